"""Whether a Qt object still exists.

A job's result can come back after the user closed the dialog that asked for it; Qt has then
deleted the C++ object while Python still holds the wrapper. (Job callbacks of a deleted widget are
skipped by the runner itself, `JobRunner.run(owner=...)`; this is for the dialogs a pane's callback
touches.)
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject


def is_alive(obj: QObject) -> bool:
    return bool(shiboken6.isValid(obj))

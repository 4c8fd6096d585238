"""Callbacks that outlive their widget.

A job's result comes back after the user may have closed the dialog or the pane that asked for it
(or a test tore it down); Qt has then deleted the C++ object while the Python callback still holds
the wrapper. `while_alive(obj, fn)` drops the call in that case instead of raising
"Internal C++ object already deleted" in the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject


def is_alive(obj: QObject) -> bool:
    return bool(shiboken6.isValid(obj))


def while_alive(obj: QObject, fn: Callable[..., object]) -> Callable[..., None]:
    """`fn`, called only while `obj` still exists."""

    def call(*args: Any, **kwargs: Any) -> None:
        if is_alive(obj):
            fn(*args, **kwargs)

    return call

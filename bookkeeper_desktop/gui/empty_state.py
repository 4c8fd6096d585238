"""The empty state of a list: centred, wrapped text in the palette's muted colour, shown in
place of a table that has no rows yet (and saying what will fill it)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel


def empty_label(text: str, name: str = "") -> QLabel:
    label = QLabel(text)
    if name:
        label.setObjectName(name)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setEnabled(False)  # drawn in the palette's muted colour
    label.setMargin(24)
    return label

"""Empty states: a list with no rows yet (centred, wrapped text in the palette's muted colour,
saying what will fill it), and a pane with no company open (`NoCompanyPanel`)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


def empty_label(text: str, name: str = "") -> QLabel:
    label = QLabel(text)
    if name:
        label.setObjectName(name)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setEnabled(False)  # drawn in the palette's muted colour
    label.setMargin(24)
    return label


class NoCompanyPanel(QWidget):
    """What a pane shows while no company is open: what to do, and the two buttons that do it
    (the same commands as File → New Company… and File → Open the Sample Company).

    Signals:
        new_company_requested(), sample_company_requested().

    Attributes:
        label: the text (tests read it).
    """

    new_company_requested = Signal()
    sample_company_requested = Signal()

    TEXT = ("No company is open. Create one for your books, or open the sample company to look "
            "around. (Later: Companies, at the top of the window, switches between them.)")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noCompanyPanel")
        self.label = QLabel(self.TEXT)
        self.label.setObjectName("emptyLabel")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setWordWrap(True)
        self.new_button = QPushButton("New Company…")
        self.new_button.setObjectName("newCompanyButton")
        self.sample_button = QPushButton("Open the Sample Company")
        self.sample_button.setObjectName("sampleCompanyButton")
        self.new_button.clicked.connect(self.new_company_requested)
        self.sample_button.clicked.connect(self.sample_company_requested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.sample_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.label)
        layout.addLayout(buttons)
        layout.addStretch(1)

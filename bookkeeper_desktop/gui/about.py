"""Help → About: the version, the Qt and Python in use, the database, and where files are kept."""

from __future__ import annotations

import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from bookkeeper_desktop import APP_NAME, __version__
from bookkeeper_desktop.gui.resources import app_icon


def about_text(database_label: str = "", data_folder: str = "") -> str:
    """The About text (pure, so tests read it without a dialog)."""
    lines = [
        f"<h2>{APP_NAME} {__version__}</h2>",
        "<p>Keeps a small business's books in step with QuickBooks Online and Xero.</p>",
        f"<p>Python {platform.python_version()} · Qt {qVersion()} · PySide6 {pyside_version}"
        f"<br>{platform.system()} {platform.release()}</p>",
    ]
    if database_label:
        lines.append(f"<p>Books: {database_label}</p>")
    if data_folder:
        lines.append(f"<p>Data folder: {data_folder}</p>")
    return "\n".join(lines)


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, *, database_label: str = "",
                 data_folder: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        self.setObjectName("aboutDialog")
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(96, 96))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.text = QLabel(about_text(database_label, data_folder))
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        row.addWidget(icon)
        row.addWidget(self.text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(buttons)
        self.resize(460, 240)

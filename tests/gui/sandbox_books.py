"""Books connected to the QBO or Xero sandbox, and answering the app's confirmation questions:
shared by the Integrations tests (conflicts, refused pushes, offline). The `books` and
`xero_books` fixtures in `tests/gui/conftest.py` use `connected`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.sandbox.xero_server import XeroSandbox
from tests.providers.conftest import MemoryKeyring
from tests.sync.conftest import TENANT, TIME_SCALE, Books, connect_books


def sandbox_for(provider: str) -> QboSandbox | XeroSandbox:
    """A fresh sandbox of `provider` with its rate limits on (time-scaled)."""
    if provider == "qbo":
        return QboSandbox(limits=True, time_scale=TIME_SCALE)
    return XeroSandbox(limits=True, time_scale=TIME_SCALE,
                       organisations={TENANT: "Demo Company (NZ)"})


def connected(gui_db: Any, provider: str) -> Iterator[Books]:
    """Our books in `gui_db` connected to a fresh sandbox of `provider`, for as long as it runs."""
    with sandbox_for(provider) as sandbox:
        yield connect_books(gui_db, provider, sandbox, Keychain(MemoryKeyring()))


def question_box(qtbot: QtBot) -> QMessageBox:
    """The confirmation now open: the application's active modal widget."""
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), QMessageBox),
                    timeout=5000)
    box = QApplication.activeModalWidget()
    assert isinstance(box, QMessageBox)
    return box


def answer(qtbot: QtBot, choice: str) -> QMessageBox:
    """Click `choice` ("Cancel" or the confirming button's text) in the open confirmation."""
    box = question_box(qtbot)
    if choice == "Cancel":
        button = box.button(QMessageBox.StandardButton.Cancel)
    else:
        (button,) = [b for b in box.buttons() if b.text() == choice]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    return box

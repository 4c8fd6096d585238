"""A screenshot of each pane with the sample company loaded (offscreen `grab()`), checked for
looking like a window rather than a blank or a crash; `docs/screenshots/make_screenshots.py`
refreshes the committed ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QImage, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.gui.context import AppContext, AppServices
from bookkeeper_desktop.gui.main_window import PANE_KEYS, MainWindow
from bookkeeper_desktop.gui.palette import apply_palette
from bookkeeper_desktop.gui.screenshots import SCREENSHOT_SIZE, capture_panes, wait_until_idle
from bookkeeper_desktop.jobs import JobRunner


def distinct_colours(image: QImage, step: int = 7) -> int:
    return len({image.pixel(x, y) for x in range(0, image.width(), step)
                for y in range(0, image.height(), step)})


@pytest.fixture
def window(qtbot: QtBot, gui_db: Any, sample_company: Any, runner: JobRunner, tmp_path: Path
           ) -> MainWindow:
    """The window on the sample company, shown, with its start-up reads finished."""
    ctx = AppContext(AppServices(gui_db), runner, company_id=sample_company.id)
    window = MainWindow(ctx, qsettings=QSettings(str(tmp_path / "w.ini"),
                                                 QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert wait_until_idle(window)
    return window


def test_screenshot_of_each_pane(window: MainWindow, tmp_path: Path) -> None:
    files = capture_panes(window, tmp_path / "shots")
    assert [f.name for f in files] == [f"{key}.png" for key in PANE_KEYS]
    images = [QImage(str(f)) for f in files]
    for path, image in zip(files, images, strict=True):
        assert not image.isNull(), path
        assert (image.width(), image.height()) == (SCREENSHOT_SIZE.width(),
                                                   SCREENSHOT_SIZE.height())
        assert distinct_colours(image) > 12, f"{path.name} looks blank"
    assert len({bytes(image.constBits()) for image in images}) == len(images), \
        "each pane shows something different"


def test_dark_palette_screenshot_is_dark(qapp: QApplication, window: MainWindow) -> None:
    before_style, before_palette = qapp.style().name(), QPalette(qapp.palette())
    try:
        apply_palette(qapp, Qt.ColorScheme.Dark)
        window.show_pane("integrations")
        assert wait_until_idle(window)
        image = window.grab().toImage()
        corner = image.pixelColor(image.width() - 5, image.height() // 2)
        assert corner.lightness() < 100, "the window background follows the dark palette"
    finally:
        qapp.setStyle(before_style)
        qapp.setPalette(before_palette)

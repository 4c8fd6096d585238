"""Screenshots of every pane (offscreen `QWidget.grab()`), for the README and the look tests.

`capture_panes(window, folder)` shows each pane in turn, waits for its background reads to finish,
and saves ``<pane>.png``; `docs/screenshots/make_screenshots.py` calls it on the sample company.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEventLoop, QSize, QTimer
from PySide6.QtGui import QImage

from bookkeeper_desktop.gui.main_window import PANE_KEYS, MainWindow

SCREENSHOT_SIZE = QSize(1280, 800)


def wait_until_idle(window: MainWindow, timeout_ms: int = 10_000) -> bool:
    """Run a local event loop until no job is queued or running (or the timeout passes)."""
    runner = window.ctx.jobs
    loop = QEventLoop()
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    settle = QTimer()
    settle.setInterval(30)

    def check() -> None:
        if not runner.busy:
            loop.quit()

    settle.timeout.connect(check)
    timer.start(timeout_ms)
    settle.start()
    # Started jobs may queue follow-up jobs (a pane reading its rows after its summary), so
    # idle must hold across two checks.
    for _ in range(2):
        loop.exec()
        if timer.isActive() is False:
            break
    settle.stop()
    idle = not runner.busy
    timer.stop()
    return idle


def capture_panes(window: MainWindow, folder: Path) -> list[Path]:
    """Save a PNG of the whole window with each pane showing; returns the files."""
    folder.mkdir(parents=True, exist_ok=True)
    window.resize(SCREENSHOT_SIZE)
    files: list[Path] = []
    for key in PANE_KEYS:
        window.show_pane(key)
        wait_until_idle(window)
        image: QImage = window.grab().toImage()
        path = folder / f"{key}.png"
        if not image.save(str(path)):
            raise OSError(f"Cannot write {path}")
        files.append(path)
    return files

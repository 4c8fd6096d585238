"""Where the files in `resources/` are: beside the package from source, in `sys._MEIPASS` when
bundled by PyInstaller (bookkeeper.spec copies `resources/` there)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QIcon

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def resources_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def app_icon() -> QIcon:
    """The app icon with every pre-rendered size (crisp in title bars and task switchers)."""
    icons = resources_dir() / "icons"
    icon = QIcon()
    for size in ICON_SIZES:
        png = icons / f"bookkeeper-desktop-{size}.png"
        if png.is_file():
            icon.addFile(str(png))
    if icon.isNull():
        svg = icons / "bookkeeper-desktop.svg"
        if svg.is_file():
            icon.addFile(str(svg))
    return icon

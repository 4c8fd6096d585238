"""Render the app icon SVG to PNGs in every size the platforms use (16 … 512 px), plus a
multi-size Windows `.ico` and a macOS `.icns` (both containers of PNG images, written here in a few
lines rather than with another tool: ICO entries may be PNG since Windows Vista; ICNS `ic07`–`ic14`
and `icp4`/`icp5` entries are PNG).

Run by hand after changing `icons/bookkeeper-desktop.svg`:

    QT_QPA_PLATFORM=offscreen .venv/bin/python resources/make_icons.py

Uses Qt's own `QSvgRenderer` and `QPainter`, so no extra tool is needed; the PNGs are committed.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent / "icons"
SVG = ICONS / "bookkeeper-desktop.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
#: ICNS entry type -> pixel size of its PNG (the @2x types hold the larger bitmap).
ICNS_TYPES = (("icp4", 16), ("icp5", 32), ("ic11", 32), ("ic12", 64), ("ic07", 128),
              ("ic13", 256), ("ic08", 256), ("ic14", 512), ("ic09", 512), ("ic10", 1024))


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def ico_file(pngs: dict[int, bytes]) -> bytes:
    """ICONDIR + ICONDIRENTRY per size + the PNGs (a width/height byte of 0 means 256)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = 6 + 16 * len(pngs)
    entries, payload = b"", b""
    for size, png in sorted(pngs.items()):
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(png),
                               offset + len(payload))
        payload += png
    return header + entries + payload


def icns_file(pngs: dict[str, bytes]) -> bytes:
    """'icns' + total length, then per entry: type, length (header included), PNG."""
    body = b"".join(kind.encode("ascii") + struct.pack(">I", 8 + len(png)) + png
                    for kind, png in pngs.items())
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"cannot read {SVG}", file=sys.stderr)
        return 1
    for size in SIZES:
        out = ICONS / f"bookkeeper-desktop-{size}.png"
        if not render(renderer, size).save(str(out), "PNG"):
            print(f"cannot write {out}", file=sys.stderr)
            return 1
        print(f"wrote {out.name}")
    ico = ICONS / "bookkeeper-desktop.ico"
    ico.write_bytes(ico_file({size: png_bytes(render(renderer, size)) for size in ICO_SIZES}))
    print(f"wrote {ico.name}")
    icns = ICONS / "bookkeeper-desktop.icns"
    icns.write_bytes(icns_file({kind: png_bytes(render(renderer, size))
                                for kind, size in ICNS_TYPES}))
    print(f"wrote {icns.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The app icon: every PNG size, the SVG, and the Windows/macOS containers Qt can read."""

from __future__ import annotations

from PySide6.QtGui import QImage, QImageReader

from bookkeeper_desktop.gui.resources import ICON_SIZES, app_icon, resources_dir


def test_every_png_size_is_there_and_that_size(qapp: object) -> None:
    icons = resources_dir() / "icons"
    for size in ICON_SIZES:
        image = QImage(str(icons / f"bookkeeper-desktop-{size}.png"))
        assert not image.isNull(), size
        assert (image.width(), image.height()) == (size, size)
        assert image.hasAlphaChannel(), "rounded corners are transparent"
        assert image.pixelColor(0, 0).alpha() == 0


def test_app_icon_offers_every_size(qapp: object) -> None:
    icon = app_icon()
    assert not icon.isNull()
    assert {s.width() for s in icon.availableSizes()} == set(ICON_SIZES)


def test_ico_and_icns_hold_png_images_of_each_size(qapp: object) -> None:
    icons = resources_dir() / "icons"
    ico = QImageReader(str(icons / "bookkeeper-desktop.ico"))
    sizes = set()
    for index in range(ico.imageCount()):
        ico.jumpToImage(index)
        sizes.add(ico.read().width())
    assert sizes == {16, 24, 32, 48, 64, 128, 256}
    icns = QImageReader(str(icons / "bookkeeper-desktop.icns"))
    assert icns.imageCount() == 10
    data = (icons / "bookkeeper-desktop.icns").read_bytes()
    assert data[:4] == b"icns"
    assert int.from_bytes(data[4:8], "big") == len(data)

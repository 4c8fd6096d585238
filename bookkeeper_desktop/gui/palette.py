"""A palette that follows the system's light or dark mode (PRODUCT.md §2).

Qt 6.5+ reports the system colour scheme through `QStyleHints.colorScheme()` and signals changes;
we use the Fusion style everywhere (it honours every palette role the same way on each OS) with a
dark palette when the system is dark and Fusion's standard light palette otherwise.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

Role = QPalette.ColorRole
Group = QPalette.ColorGroup

#: Accent used for selection and links in both schemes (the icon's green).
ACCENT_LIGHT = QColor("#2E8B6E")
ACCENT_DARK = QColor("#3FAE8A")


def dark_palette() -> QPalette:
    palette = QPalette()
    window, base, alt, text = QColor("#2B2D30"), QColor("#1E1F22"), QColor("#313338"), \
        QColor("#E6E6E6")
    disabled = QColor("#7A7D82")
    palette.setColor(Role.Window, window)
    palette.setColor(Role.WindowText, text)
    palette.setColor(Role.Base, base)
    palette.setColor(Role.AlternateBase, alt)
    palette.setColor(Role.ToolTipBase, QColor("#3C3F44"))
    palette.setColor(Role.ToolTipText, text)
    palette.setColor(Role.PlaceholderText, QColor("#8C8F94"))
    palette.setColor(Role.Text, text)
    palette.setColor(Role.Button, QColor("#3A3D41"))
    palette.setColor(Role.ButtonText, text)
    palette.setColor(Role.BrightText, QColor("#FF6B6B"))
    palette.setColor(Role.Light, QColor("#4A4D52"))
    palette.setColor(Role.Midlight, QColor("#3F4247"))
    palette.setColor(Role.Mid, QColor("#2F3236"))
    palette.setColor(Role.Dark, QColor("#18191B"))
    palette.setColor(Role.Shadow, QColor("#000000"))
    palette.setColor(Role.Highlight, ACCENT_DARK)
    palette.setColor(Role.HighlightedText, QColor("#FFFFFF"))
    palette.setColor(Role.Link, QColor("#6CC7A6"))
    palette.setColor(Role.LinkVisited, QColor("#9AD9C2"))
    for role in (Role.WindowText, Role.Text, Role.ButtonText):
        palette.setColor(Group.Disabled, role, disabled)
    palette.setColor(Group.Disabled, Role.Highlight, QColor("#4A4D52"))
    return palette


def light_palette() -> QPalette:
    style = QStyleFactory.create("Fusion")
    palette = style.standardPalette()
    palette.setColor(Role.Highlight, ACCENT_LIGHT)
    palette.setColor(Role.HighlightedText, QColor("#FFFFFF"))
    palette.setColor(Role.Link, QColor("#1B5E4B"))
    return palette


def system_scheme() -> Qt.ColorScheme:
    return QGuiApplication.styleHints().colorScheme()


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether a palette (default: the application's) is a dark one."""
    palette = palette if palette is not None else QGuiApplication.palette()
    return palette.color(Role.Window).lightness() < 128


def apply_palette(app: QApplication, scheme: Qt.ColorScheme | None = None) -> Qt.ColorScheme:
    """Use Fusion with the palette for `scheme` (default: the system's); returns the scheme used."""
    if scheme is None:
        scheme = system_scheme()
    app.setStyle("Fusion")
    app.setPalette(dark_palette() if scheme == Qt.ColorScheme.Dark else light_palette())
    return scheme


def follow_system_scheme(app: QApplication) -> None:
    """Apply the system's palette now and again whenever the user switches light/dark mode."""
    apply_palette(app)
    app.styleHints().colorSchemeChanged.connect(lambda scheme: apply_palette(app, scheme))

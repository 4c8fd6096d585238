"""Per-user persistence of `bookkeeper_desktop.settings` through QSettings.

The schema and its loader have no Qt (`bookkeeper_desktop/settings.py`); this module only moves
raw values between QSettings and that loader. QSettings uses the organisation and application names
set on the QApplication (`app.py`), so tests isolate it with `QSettings.setPath` to a temp dir.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QSettings

from bookkeeper_desktop.settings import SCHEMA, LoadResult, Settings, dump_settings, load_settings


class QSettingsStore:
    """Loads and saves `Settings` in a QSettings (INI format, per user)."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.qsettings = qsettings if qsettings is not None else default_qsettings()

    def load(self) -> LoadResult:
        raw = {spec.key: self.qsettings.value(spec.key) for spec in SCHEMA
               if self.qsettings.contains(spec.key)}
        return load_settings(raw)

    def save(self, settings: Settings) -> None:
        for key, value in dump_settings(settings).items():
            self.qsettings.setValue(key, value)
        self.qsettings.sync()


def default_qsettings() -> QSettings:
    """The app's per-user QSettings in INI format (readable, diffable, the same on every OS)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                     _organization(), _application())


def _organization() -> str:
    return QCoreApplication.organizationName() or "Bookkeeper"


def _application() -> str:
    return QCoreApplication.applicationName() or "bookkeeper-desktop"

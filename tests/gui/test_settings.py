"""The declarative settings schema, its loader, QSettings persistence and the generated dialog."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QComboBox, QDialog, QLineEdit, QSpinBox
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.core.errors import ValidationError
from bookkeeper_desktop.gui.settings_dialog import SettingsDialog
from bookkeeper_desktop.gui.settings_store import QSettingsStore
from bookkeeper_desktop.settings import (
    SCHEMA,
    SPECS,
    SettingKind,
    Settings,
    dump_settings,
    groups,
    load_settings,
)


def test_schema_has_every_setting_the_product_needs() -> None:
    keys = set(SPECS)
    assert {"export/date_format", "export/xero_tax_rate", "export/format", "export/status",
            "export/folder", "sync/auto_interval_minutes", "qbo/client_id", "qbo/redirect_port",
            "qbo/sandbox_base_url", "qbo/production_base_url", "xero/client_id",
            "xero/redirect_port", "xero/base_url"} <= keys
    assert len(keys) == len(SCHEMA), "keys are unique"
    assert not any("secret" in key or "token" in key for key in keys), "secrets live in keychain"
    for spec in SCHEMA:
        assert spec.coerce(spec.default) == spec.default, spec.key


def test_defaults() -> None:
    settings = Settings()
    assert settings.date_format == "MM/DD/YYYY"
    assert settings.strftime_date_format == "%m/%d/%Y"
    assert settings.auto_sync_minutes == 15
    assert settings.export_status == "posted"
    assert settings.qbo_base_url == "https://sandbox-quickbooks.api.intuit.com"


def test_with_values_coerces_and_switches_derived_values() -> None:
    settings = Settings().with_values({
        "export/date_format": "DD/MM/YYYY", "sync/auto_interval_minutes": "30",
        "qbo/environment": "production",
    })
    assert settings.strftime_date_format == "%d/%m/%Y"
    assert settings.auto_sync_minutes == 30
    assert settings.qbo_base_url == "https://quickbooks.api.intuit.com"
    forwarding = settings.with_values({"qbo/redirect_uri": "https://example.com/qbo/callback"})
    assert forwarding.qbo_redirect_uri == "https://example.com/qbo/callback"
    assert Settings().changed_keys(settings) == {
        "export/date_format", "sync/auto_interval_minutes", "qbo/environment"}


def test_with_values_lists_every_problem() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings().with_values({"export/date_format": "YYYY-MM-DD",
                                "qbo/redirect_port": 80, "xero/base_url": "ftp://x",
                                "nope": 1})
    problems = "\n".join(caught.value.problems)
    assert "YYYY-MM-DD" in problems
    assert "below the minimum of 1024" in problems
    assert "not an http(s) address" in problems
    assert "nope: no such setting" in problems


def test_loader_falls_back_to_defaults_and_reports_bad_values() -> None:
    result = load_settings({"sync/auto_interval_minutes": "often", "export/format": "xlsx",
                            "someone/else": "ignored"})
    assert result.settings.auto_sync_minutes == 15
    assert result.settings.export_format == "xlsx"
    assert len(result.problems) == 1
    assert "Auto-sync" in result.problems[0]


def test_bool_kind_coercion() -> None:
    from bookkeeper_desktop.settings import SettingSpec

    spec = SettingSpec("x/flag", SettingKind.BOOL, False, "Flag", "General")
    assert spec.coerce("true") is True
    assert spec.coerce("0") is False
    with pytest.raises(ValueError, match="yes or no"):
        spec.coerce("maybe")


def test_qsettings_round_trip(tmp_path: Path, qapp: object) -> None:
    path = tmp_path / "settings.ini"
    settings = Settings().with_values({"export/xero_tax_rate": "GST on Expenses",
                                       "sync/auto_interval_minutes": 5,
                                       "export/folder": str(tmp_path)})
    QSettingsStore(QSettings(str(path), QSettings.Format.IniFormat)).save(settings)
    assert path.exists()
    loaded = QSettingsStore(QSettings(str(path), QSettings.Format.IniFormat)).load()
    assert loaded.problems == ()
    assert loaded.settings == settings
    assert dump_settings(loaded.settings)["sync/auto_interval_minutes"] == 5


def test_dialog_has_one_tab_per_group_and_an_editor_per_setting(qtbot: QtBot) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == groups()
    assert isinstance(dialog.editor("export/date_format"), QComboBox)
    assert isinstance(dialog.editor("sync/auto_interval_minutes"), QSpinBox)
    assert isinstance(dialog.editor("export/xero_tax_rate"), QLineEdit)
    assert dialog.raw_values() == dict(Settings().values)


def test_dialog_round_trip(qtbot: QtBot) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    date_combo = dialog.editor("export/date_format")
    assert isinstance(date_combo, QComboBox)
    date_combo.setCurrentIndex(date_combo.findData("DD/MM/YYYY"))
    interval = dialog.editor("sync/auto_interval_minutes")
    assert isinstance(interval, QSpinBox)
    interval.setValue(60)
    tax = dialog.editor("export/xero_tax_rate")
    assert isinstance(tax, QLineEdit)
    tax.clear()
    qtbot.keyClicks(tax, "BAS Excluded")
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    result = dialog.settings()
    assert result.date_format == "DD/MM/YYYY"
    assert result.auto_sync_minutes == 60
    assert result.xero_tax_rate_name == "BAS Excluded"

    again = SettingsDialog(result)
    qtbot.addWidget(again)
    assert again.raw_values() == dict(result.values)


def test_dialog_stays_open_and_lists_problems(qtbot: QtBot) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    url = dialog.editor("xero/base_url")
    assert isinstance(url, QLineEdit)
    url.setText("not a url")
    dialog.accept()
    assert dialog.isVisible()
    assert not dialog.problems.isHidden()
    assert "not an http(s) address" in dialog.problems.text()
    assert dialog.settings() == Settings(), "nothing applied"


def test_restore_defaults(qtbot: QtBot) -> None:
    changed = Settings().with_values({"sync/auto_interval_minutes": 90})
    dialog = SettingsDialog(changed)
    qtbot.addWidget(dialog)
    dialog.restore_defaults()
    assert dialog.raw_values()["sync/auto_interval_minutes"] == 15


def test_the_date_format_setting_says_it_is_for_qbo_csv_only() -> None:
    from bookkeeper_desktop.settings import SCHEMA

    (spec,) = [s for s in SCHEMA if s.key == "export/date_format"]
    assert spec.label == "Date format in QuickBooks Online CSV files"
    assert "IIF files are always MM/DD/YYYY" in spec.help
    assert "Xero CSV files always DD/MM/YYYY" in spec.help

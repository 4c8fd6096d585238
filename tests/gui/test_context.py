"""`AppContext`: company switching, change notices, settings applied and saved, service lookup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.core.changes import NOTHING, Changes
from bookkeeper_desktop.core.errors import ValidationError
from bookkeeper_desktop.gui.context import AppContext, AppServices
from bookkeeper_desktop.gui.settings_store import QSettingsStore
from bookkeeper_desktop.jobs import JobRunner
from bookkeeper_desktop.settings import Settings


def test_switching_company_emits_once(qtbot: QtBot, app_ctx: AppContext) -> None:
    seen: list[object] = []
    app_ctx.company_changed.connect(seen.append)
    app_ctx.changes.changed.connect(seen.append)
    app_ctx.set_company(3)
    app_ctx.set_company(3)
    assert seen == [3, Changes(company=True)]
    assert app_ctx.company_id == 3


def test_notify_forwards_only_real_changes(app_ctx: AppContext) -> None:
    seen: list[Changes] = []
    app_ctx.changes.changed.connect(seen.append)
    app_ctx.notify(NOTHING)
    app_ctx.notify(Changes(entries=True) | Changes(accounts=True))
    assert seen == [Changes(entries=True, accounts=True)]


def test_settings_are_applied_saved_and_announced(qtbot: QtBot, tmp_path: Path,
                                                  gui_db: Any, runner: JobRunner) -> None:
    ini = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    ctx = AppContext(AppServices(gui_db), runner, Settings(), settings_saver=QSettingsStore(ini))
    new = Settings().with_values({"export/format": "xlsx"})
    with qtbot.waitSignal(ctx.settings_changed) as changed:
        ctx.apply_settings(new)
    assert changed.args == [new]
    assert ctx.settings.export_format == "xlsx"
    assert QSettingsStore(QSettings(str(tmp_path / "s.ini"),
                                    QSettings.Format.IniFormat)).load().settings == new


def test_job_errors_without_a_handler_reach_the_presenter(qtbot: QtBot,
                                                         app_ctx: AppContext) -> None:
    def bad(progress: object) -> None:
        raise ValidationError("That company name cannot be used.", ["The name is empty."])

    with qtbot.waitSignal(app_ctx.error_presenter.dialog_opened, timeout=5000) as opened:
        app_ctx.jobs.run(bad)
    box = opened.args[0]
    assert "The name is empty." in box.informativeText()
    box.accept()

"""The one error presenter: what each kind says, the dialogs, quiet cancels, the crash hook."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.core.errors import (
    AuthError,
    Cancelled,
    ConfigurationError,
    DatabaseLocked,
    ExportError,
    FileFormatError,
    LineProblem,
    MigrationFailed,
    NetworkError,
    RateLimited,
    ReconnectNeeded,
    SyncConflict,
    ValidationError,
)
from bookkeeper_desktop.gui.errors import (
    MAX_LISTED_PROBLEMS,
    ErrorPresenter,
    Severity,
    build_dialog,
    describe_error,
    install_crash_hook,
)


def test_file_format_error_lists_every_problem_with_its_line() -> None:
    error = FileFormatError(
        "This is not a chart of accounts we can read.",
        [LineProblem(4, "unknown account type 'Stuff'"), LineProblem(9, "empty name"),
         LineProblem(None, "no header row")],
        path="/tmp/coa.csv",
    )
    report = describe_error(error)
    assert report.title == "Cannot read this file"
    assert report.problems == ("line 4: unknown account type 'Stuff'", "line 9: empty name",
                               "no header row")
    assert "File: /tmp/coa.csv" in report.message
    assert report.hint == "Fix the lines listed in the file and drop it again."


def test_validation_error_keeps_its_own_hint() -> None:
    error = ValidationError("The entry does not balance.", ["Debits 10.00, credits 9.00"],
                            hint="Add a line of 1.00 credit.")
    report = describe_error(error)
    assert report.title == "Please check the entry"
    assert report.problems == ("Debits 10.00, credits 9.00",)
    assert report.hint == "Add a line of 1.00 credit."
    assert "Debits 10.00, credits 9.00" in report.text


def test_export_error_is_titled_as_an_export_problem() -> None:
    report = describe_error(ExportError("Xero refuses this file.", ["JE-7: over 300 lines"]))
    assert report.title == "Cannot export these entries"
    assert report.problems == ("JE-7: over 300 lines",)


@pytest.mark.parametrize(("error", "title", "hint_part"), [
    (ReconnectNeeded("Xero consent was revoked."), "Reconnect needed", "Reconnect"),
    (AuthError("The token was refused."), "Connection refused", "connect again"),
    (NetworkError("quickbooks.api.intuit.com did not answer."), "Cannot reach the service",
     "internet connection"),
    (DatabaseLocked("Another program is writing."), "The books are in use", "Close the other"),
    (SyncConflict("JE-3 changed in both places."), "Changed in both places", "sync log"),
    (ConfigurationError("No QBO client id."), "Settings needed", "Settings"),
])
def test_each_kind_gets_a_title_and_what_to_do(error: Exception, title: str,
                                                hint_part: str) -> None:
    report = describe_error(error)
    assert report.title == title
    assert report.hint is not None
    assert hint_part in report.hint


def test_rate_limit_and_migration_details_are_in_the_message() -> None:
    assert "retry in about 30 s" in describe_error(
        RateLimited("QBO asked us to wait.", retry_after=30)).message
    report = describe_error(MigrationFailed("Upgrade failed.", backup_path="/b/books.bak"))
    assert "/b/books.bak" in report.message
    assert report.severity is Severity.CRITICAL


def test_cancelled_is_quiet() -> None:
    report = describe_error(Cancelled("Cancelled; nothing was left half done."))
    assert report.quiet
    assert report.severity is Severity.INFO


def test_a_bug_gets_a_crash_report_with_traceback() -> None:
    try:
        {}["missing"]
    except KeyError as error:
        report = describe_error(error)
    assert report.title == "Unexpected error"
    assert report.severity is Severity.CRITICAL
    assert report.technical is not None
    assert "KeyError" in report.technical
    assert "test_a_bug_gets_a_crash_report_with_traceback" in report.technical


def test_dialog_content_for_a_file_error(qtbot: QtBot) -> None:
    problems = [LineProblem(n, f"bad row {n}") for n in range(1, MAX_LISTED_PROBLEMS + 4)]
    box = build_dialog(describe_error(FileFormatError("Cannot read coa.iif.", problems)))
    qtbot.addWidget(box)
    assert box.windowTitle() == "Cannot read this file"
    assert box.text() == "Cannot read coa.iif."
    informative = box.informativeText()
    assert "• line 1: bad row 1" in informative
    assert f"• line {MAX_LISTED_PROBLEMS}: bad row {MAX_LISTED_PROBLEMS}" in informative
    assert f"line {MAX_LISTED_PROBLEMS + 1}:" not in informative
    assert "… and 3 more" in informative
    assert "Fix the lines listed" in informative
    assert f"line {MAX_LISTED_PROBLEMS + 3}: bad row" in box.detailedText()
    assert box.icon() == QMessageBox.Icon.Warning


def test_presenter_opens_a_window_modal_dialog_without_blocking(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    presenter = ErrorPresenter()
    with qtbot.waitSignal(presenter.dialog_opened) as opened:
        returned = presenter.present(ReconnectNeeded("Consent expired."), parent)
    box = opened.args[0]
    assert box is returned
    assert box.isVisible()
    assert box.windowTitle() == "Reconnect needed"
    assert "Open Integrations and press Reconnect." in box.informativeText()
    box.accept()


def test_presenter_sends_cancel_to_the_status_bar(qtbot: QtBot) -> None:
    presenter = ErrorPresenter()
    opened: list[object] = []
    presenter.dialog_opened.connect(opened.append)
    with qtbot.waitSignal(presenter.status_message) as message:
        assert presenter.present(Cancelled("Import cancelled.")) is None
    assert message.args == ["Import cancelled."]
    assert opened == []


def test_crash_hook_shows_uncaught_errors_and_uninstalls(qtbot: QtBot) -> None:
    presenter = ErrorPresenter()
    before = sys.excepthook
    uninstall = install_crash_hook(presenter)
    try:
        assert sys.excepthook is not before
        try:
            raise RuntimeError("boom")
        except RuntimeError as error:
            with qtbot.waitSignal(presenter.dialog_opened) as opened:
                sys.excepthook(type(error), error, error.__traceback__)
        box = opened.args[0]
        assert box.windowTitle() == "Unexpected error"
        assert "RuntimeError: boom" in box.text()
        assert "Traceback" in box.detailedText()
        assert box.icon() == QMessageBox.Icon.Critical
        box.accept()
    finally:
        uninstall()
    assert sys.excepthook is before


def test_the_same_error_twice_opens_one_dialog(qtbot: QtBot) -> None:
    presenter = ErrorPresenter()
    first = presenter.present(NetworkError("api.xero.com did not answer."))
    assert first is not None
    assert presenter.present(NetworkError("api.xero.com did not answer.")) is None
    other = presenter.present(NetworkError("quickbooks.api.intuit.com did not answer."))
    assert other is not None
    other.accept()
    first.accept()
    again = presenter.present(NetworkError("api.xero.com did not answer."))
    assert again is not None, "once closed, it can show again"
    again.accept()

"""The ONE place the GUI turns errors into words (STYLE.md practice 5; Anki's `show_exception`).

- `describe_error(error)` is pure: it maps a `BookkeeperError` (or any exception) to an
  `ErrorReport` with a title, the message, the hint of what to do next, and the details
  (`FileFormatError.problems` with their line numbers, `ValidationError.problems`).
- `ErrorPresenter.present(error, parent)` shows it: `Cancelled` becomes a status-bar message,
  everything else a window-modal message box opened with `open()` (never `exec()`, so no nested
  event loop and tests can inspect it).
- `install_crash_hook()` routes uncaught exceptions (bugs) to a crash dialog with the traceback.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from bookkeeper_desktop.core.errors import (
    AuthError,
    BookkeeperError,
    Cancelled,
    ConfigurationError,
    DailyLimitReached,
    DatabaseCorrupt,
    DatabaseLocked,
    DatabaseReadOnly,
    DatabaseTooNew,
    DuplicateError,
    ExportError,
    FileFormatError,
    KeychainUnavailable,
    MigrationFailed,
    NetworkError,
    NotFound,
    RateLimited,
    ReconnectNeeded,
    RemoteError,
    StorageError,
    SyncConflict,
    ValidationError,
    WorkflowError,
)

log = logging.getLogger(__name__)

#: At most this many problems are listed in the dialog text; all of them go in the details.
MAX_LISTED_PROBLEMS = 12


class Severity(Enum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True)
class ErrorReport:
    """What the user is told about one error."""

    title: str
    message: str
    hint: str | None
    #: One line per problem (file problems start with "line N: ").
    problems: tuple[str, ...] = ()
    severity: Severity = Severity.WARNING
    #: Shown only in the status bar (a cancel the user asked for).
    quiet: bool = False
    #: Technical details (a traceback) for the "Show Details…" part of the dialog.
    technical: str | None = None

    @property
    def text(self) -> str:
        """The dialog's main text: the message, the first problems, then what to do."""
        parts = [self.message]
        if self.problems:
            listed = [f"• {p}" for p in self.problems[:MAX_LISTED_PROBLEMS]]
            hidden = len(self.problems) - MAX_LISTED_PROBLEMS
            if hidden > 0:
                listed.append(f"… and {hidden} more (see Show Details).")
            parts.append("\n".join(listed))
        if self.hint:
            parts.append(self.hint)
        return "\n\n".join(parts)


#: Titles per error class, most specific first.
_TITLES: tuple[tuple[type[BaseException], str], ...] = (
    (ExportError, "Cannot export these entries"),
    (FileFormatError, "Cannot read this file"),
    (ValidationError, "Please check the entry"),
    (WorkflowError, "That status change is not allowed"),
    (DuplicateError, "Already exists"),
    (NotFound, "Not found"),
    (DatabaseLocked, "The books are in use"),
    (DatabaseReadOnly, "The books cannot be saved"),
    (DatabaseCorrupt, "The books cannot be opened"),
    (DatabaseTooNew, "The books need a newer Bookkeeper Desktop"),
    (MigrationFailed, "The books could not be upgraded"),
    (StorageError, "Database problem"),
    (ConfigurationError, "Settings needed"),
    (ReconnectNeeded, "Reconnect needed"),
    (KeychainUnavailable, "No keychain available"),
    (AuthError, "Connection refused"),
    (NetworkError, "Cannot reach the service"),
    (DailyLimitReached, "Daily limit reached"),
    (RateLimited, "The service asked us to slow down"),
    (RemoteError, "The service reported a problem"),
    (SyncConflict, "Changed in both places"),
)

#: What to do next when the raiser gave no hint.
_DEFAULT_HINTS: tuple[tuple[type[BaseException], str], ...] = (
    (FileFormatError, "Fix the lines listed in the file and drop it again."),
    (ValidationError, "Correct the problems listed and try again."),
    (DatabaseLocked, "Close the other program using these books, then try again."),
    (ReconnectNeeded, "Open Integrations and press Reconnect."),
    (AuthError, "Open Integrations and connect again."),
    (NetworkError, "Check your internet connection; the sync will retry on its own."),
    (RateLimited, "Wait a minute and try again; nothing was lost."),
    (SyncConflict, "Open the sync log to choose which version to keep."),
    (ConfigurationError, "Open Settings (Ctrl+,) and fill in the missing values."),
)


def _lookup(table: tuple[tuple[type[BaseException], str], ...], error: BaseException) -> str | None:
    for kind, text in table:
        if isinstance(error, kind):
            return text
    return None


def describe_error(error: BaseException) -> ErrorReport:
    """Turn any exception into what the user reads. Pure: no widgets."""
    if isinstance(error, Cancelled):
        return ErrorReport("Cancelled", error.message, None, severity=Severity.INFO, quiet=True)
    if isinstance(error, BookkeeperError):
        problems: tuple[str, ...] = ()
        if isinstance(error, FileFormatError):
            problems = tuple(str(p) for p in error.problems)
        elif isinstance(error, ValidationError):
            problems = tuple(error.problems)
        message = error.message
        if isinstance(error, FileFormatError) and error.path:
            message = f"{message}\n\nFile: {error.path}"
        if isinstance(error, MigrationFailed) and error.backup_path:
            message = f"{message}\n\nYour untouched copy is at: {error.backup_path}"
        if isinstance(error, RateLimited) and error.retry_after:
            message = f"{message} (retry in about {round(error.retry_after)} s)"
        severity = Severity.CRITICAL if isinstance(error, StorageError) else Severity.WARNING
        return ErrorReport(
            title=_lookup(_TITLES, error) or "Something went wrong",
            message=message,
            hint=error.hint or _lookup(_DEFAULT_HINTS, error),
            problems=problems,
            severity=severity,
        )
    technical = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return ErrorReport(
        title="Unexpected error",
        message=f"Bookkeeper Desktop hit an unexpected problem: {type(error).__name__}: {error}",
        hint="Your books were not changed by the failed step. Please send the details below to "
             "support, then try again.",
        severity=Severity.CRITICAL,
        technical=technical,
    )


_ICONS = {
    Severity.INFO: QMessageBox.Icon.Information,
    Severity.WARNING: QMessageBox.Icon.Warning,
    Severity.CRITICAL: QMessageBox.Icon.Critical,
}


class ErrorPresenter(QObject):
    """Shows errors: quiet ones in the status bar, the rest in a window-modal message box.

    Signals:
        status_message(str): a short message for the status bar (the main window connects it).
        dialog_opened(QMessageBox): a dialog was opened (tests and the crash hook use it).

    Attributes:
        last_dialog: the most recent dialog opened, or None.
    """

    status_message = Signal(str)
    dialog_opened = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.last_dialog: QMessageBox | None = None
        self.default_parent: QWidget | None = None
        #: (title, message) of dialogs still open: the same error twice shows one dialog.
        self._open: set[tuple[str, str]] = set()

    def present(self, error: BaseException, parent: QWidget | None = None) -> QMessageBox | None:
        """Show `error`; returns the dialog (already open, not modal-blocking), or None when it
        went to the status bar or the same error's dialog is already open."""
        report = describe_error(error)
        if not isinstance(error, BookkeeperError):
            log.error("Unexpected error", exc_info=(type(error), error, error.__traceback__))
        if report.quiet:
            self.status_message.emit(report.message)
            return None
        key = (report.title, report.message)
        if key in self._open:
            return None
        dialog = build_dialog(report, parent or self.default_parent)
        self._open.add(key)
        dialog.finished.connect(lambda _result: self._open.discard(key))
        self.last_dialog = dialog
        dialog.open()
        self.dialog_opened.emit(dialog)
        return dialog


def build_dialog(report: ErrorReport, parent: QWidget | None = None) -> QMessageBox:
    """A message box for `report` (not shown). Deletes itself when closed."""
    box = QMessageBox(parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setWindowModality(Qt.WindowModality.WindowModal if parent is not None
                          else Qt.WindowModality.ApplicationModal)
    box.setIcon(_ICONS[report.severity])
    box.setWindowTitle(report.title)
    box.setText(report.message if not report.problems else report.message.split("\n\n")[0])
    box.setInformativeText(_informative(report))
    details: list[str] = []
    if report.problems:
        details.extend(report.problems)
    if report.technical:
        details.append(report.technical)
    if details:
        box.setDetailedText("\n".join(details))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setObjectName("errorDialog")
    return box


def _informative(report: ErrorReport) -> str:
    parts: list[str] = []
    if report.problems:
        rest = report.message.split("\n\n", 1)
        if len(rest) == 2:
            parts.append(rest[1])
        listed = [f"• {p}" for p in report.problems[:MAX_LISTED_PROBLEMS]]
        hidden = len(report.problems) - MAX_LISTED_PROBLEMS
        if hidden > 0:
            listed.append(f"… and {hidden} more (see Show Details).")
        parts.append("\n".join(listed))
    if report.hint:
        parts.append(report.hint)
    return "\n\n".join(parts)


ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], None]


def install_crash_hook(presenter: ErrorPresenter) -> Callable[[], None]:
    """Route uncaught exceptions to `presenter` (after the previous hook logs them).

    Returns a function that puts the previous hook back (tests and shutdown call it)."""
    previous: ExceptHook = sys.excepthook

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, error, tb)
            return
        log.critical("Uncaught exception", exc_info=(kind, error, tb))
        if QApplication.instance() is None:
            previous(kind, error, tb)
            return
        if error.__traceback__ is None and tb is not None:
            error = error.with_traceback(tb)
        presenter.present(error)

    sys.excepthook = hook

    def uninstall() -> None:
        if sys.excepthook is hook:
            sys.excepthook = previous

    return uninstall

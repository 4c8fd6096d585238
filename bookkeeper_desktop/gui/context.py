"""`AppContext`: what every pane and dialog is given instead of globals.

Constructed once in `app.py` (or by a test) and passed to each pane's constructor
(`LedgerPane(ctx)`, `ExportPane(ctx)`, `IntegrationsPane(ctx)`), following qutebrowser's practice of
injecting collaborators through constructors so tests can build a pane against a real temporary
database without the main window.

Rules for panes (STYLE.md practices 2 and 3):
- never open a database session or HTTP connection; run the service in a job:
  ``ctx.jobs.run(lambda p: accounts.list_accounts(ctx.services.db, company_id), on_done=...)``
  (`bookkeeper_desktop.services` functions take the open database first);
- after an operation that changed something, call ``ctx.notify(changes)`` with the
  `core.changes.Changes` it returned; every view listens on ``ctx.changes.changed`` and refreshes
  only what the flags name;
- report errors with ``ctx.show_error(error, parent)`` (or let the job's default handler do it).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.gui.errors import ErrorPresenter
from bookkeeper_desktop.jobs import JobRunner
from bookkeeper_desktop.settings import Settings


class AppServices:
    """The application services as the GUI holds them: the open database and a few flags.

    The services are plain functions taking the `Database` first (`bookkeeper_desktop.services`
    docstring), so a pane calls, inside a job::

        from bookkeeper_desktop.services import accounts
        ctx.jobs.run(lambda p: accounts.list_accounts(ctx.services.db, company_id), ...)

    Attributes:
        db: the open `storage.Database`.
        demo: True when the app runs against the sandboxes.
        extras: a dict where the connect and sync flows may keep their long-lived objects
            (provider clients, the sandbox servers) without changing this class.
    """

    def __init__(self, db: Any, *, demo: bool = False) -> None:
        self.db = db
        self.demo = demo
        self.extras: dict[str, Any] = {}


class ChangeHub(QObject):
    """The one app-wide "something changed" signal (Anki's `operation_did_execute`).

    Signals:
        changed(Changes): emitted in the GUI thread after an operation changed data.
    """

    changed = Signal(object)


class AppContext(QObject):
    """Services, the job runner, settings and the current company, shared by every pane.

    Signals:
        company_changed(int): the current company changed (its id). Also emits
            `changes.changed(Changes(company=True))` so views listening to one signal suffice.
        settings_changed(object): new `Settings` were applied.

    Attributes:
        services: the `AppServices` (its `.db` is the open database); the only door to the
            database and the providers. Use it only inside `jobs.run(...)`.
        jobs: the `JobRunner`.
        changes: the `ChangeHub`.
        demo: True when the app runs against the local sandboxes (`--demo`).
        error_presenter: the object that shows errors (set by the main window; a plain
            `ErrorPresenter` by default).
    """

    company_changed = Signal(int)
    settings_changed = Signal(object)

    def __init__(
        self,
        services: Any,
        jobs: JobRunner,
        settings: Settings | None = None,
        *,
        company_id: int | None = None,
        demo: bool = False,
        settings_saver: Any = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.jobs = jobs
        self.changes = ChangeHub(self)
        self.demo = demo
        self._settings = settings if settings is not None else Settings()
        self._settings_saver = settings_saver
        self._company_id = company_id
        self.error_presenter = ErrorPresenter()
        if jobs.default_error_handler is None:
            jobs.default_error_handler = self.show_error

    # -- company ---------------------------------------------------------------------------------
    @property
    def company_id(self) -> int | None:
        """The id of the company whose books are shown, or None before one is chosen."""
        return self._company_id

    def set_company(self, company_id: int) -> None:
        """Switch every pane to another company (no-op when it is the current one)."""
        if company_id == self._company_id:
            return
        self._company_id = company_id
        self.company_changed.emit(company_id)
        self.changes.changed.emit(Changes(company=True))

    # -- settings --------------------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        """The current `Settings` (immutable; use `apply_settings` to change them)."""
        return self._settings

    def apply_settings(self, settings: Settings) -> None:
        """Use and persist new settings, then tell every view."""
        if settings == self._settings:
            return
        self._settings = settings
        if self._settings_saver is not None:
            self._settings_saver.save(settings)
        self.settings_changed.emit(settings)
        self.changes.changed.emit(Changes(settings=True))

    # -- changes and errors ----------------------------------------------------------------------
    def notify(self, changes: Changes) -> None:
        """Tell every view what an operation changed (nothing is emitted for `NOTHING`)."""
        if changes.any:
            self.changes.changed.emit(changes)

    def show_error(self, error: BaseException, parent: QWidget | None = None) -> None:
        """Show an error the one way errors are shown (`gui.errors.ErrorPresenter`)."""
        self.error_presenter.present(error, parent)

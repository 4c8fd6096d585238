"""Wires the Integrations pane's buttons to the real flows, through jobs.

The pane only shows states and emits requests; this controller turns them into work:

- **Connect / Reconnect**: `make_flow(company_id, provider, choose_tenant)` builds a connect
  flow (`providers.connect.ConnectFlow` or anything with `start() -> request with .url`,
  `wait() -> result with .connection.company_name`, `cancel()`). `start()` runs in the network
  lane (binds the loopback listener, opens the system browser); the card then shows the URL to
  copy; `wait()` runs next in the same lane until the redirect, the timeout or Cancel. A Xero
  consent with several organisations asks the card to choose (`WorkerQuestion`).
- **Sync Now**: `sync(company_id, provider, progress) -> LastSync` runs in the network lane and
  drives the card through `IntegrationsPane.follow_sync_job`; a first one starts on its own
  right after a Connect (both providers alike).
- **Disconnect**: `disconnect(company_id, provider)` (revoke at the provider, delete from the
  keychain) runs in the network lane.
- **Create in QuickBooks Online / Xero** (after the pane's preview):
  `create_remote(company_id, provider, account_ids, progress) -> CreateOutcome` runs in the
  network lane with progress and Cancel in the status bar; its outcome is shown in a message.

- **Undo this sync…** (a run of the sync log): the preview opens at once, "Preparing…", while
  `plan_undo(company_id, provider, run_id, progress) -> UndoPlan` reads the plan in the network
  lane (Cancel stops it); Confirm runs `undo(company_id, provider, plan, progress) ->
  UndoResult` in the network lane with progress and Cancel in the status bar; a message says
  what was undone, and the sync log, card and status bar show the undo's own line.

Each finished action notifies `Changes(connections=True)` (and `sync_runs` after a sync) so every
view re-reads what changed. A missing callable leaves its button doing nothing but saying so.

Note: `wait()` holds the network lane while the user is in the browser (up to the listener's
timeout); other network jobs queue behind it, which also keeps token use serial.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox

from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.errors import Cancelled, ConfigurationError
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.gui.integrations.pane import IntegrationsPane
from bookkeeper_desktop.gui.integrations.state import CardState, LastSync, Phase, SyncRunRow, Tenant
from bookkeeper_desktop.gui.integrations.undo_preview import UndoPreview
from bookkeeper_desktop.jobs import Job, WorkerQuestion
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.services.connections import second_provider_question
from bookkeeper_desktop.services.remote_accounts import CreateOutcome
from bookkeeper_desktop.sync.undo_plan import UndoPlan, UndoResult


class ConnectFlowLike(Protocol):
    def start(self) -> Any: ...

    def wait(self) -> Any: ...

    def cancel(self) -> None: ...


TenantChooser = Callable[[Sequence[Any]], Any]
FlowFactory = Callable[[int, Provider, TenantChooser], ConnectFlowLike]
SyncFunction = Callable[[int, Provider, Progress], LastSync]
DisconnectFunction = Callable[[int, Provider], Any]
CreateRemoteFunction = Callable[[int, Provider, Sequence[int], Progress], CreateOutcome]
PlanUndoFunction = Callable[[int, Provider, int, Progress], UndoPlan]
UndoFunction = Callable[[int, Provider, UndoPlan, Progress], UndoResult]


@dataclass
class _Connecting:
    flow: ConnectFlowLike
    question: WorkerQuestion
    jobs: list[Job[Any]] = field(default_factory=list)
    cancelled: bool = False


def _wait_cancellable(flow: ConnectFlowLike, progress: Progress) -> Any:
    """`flow.wait()`, cancelled when the job is (a Cancel, or the app shutting its lanes down):
    `wait()` blocks on the loopback listener, so a watcher turns the job's flag into
    `flow.cancel()`."""
    finished = threading.Event()

    def watch() -> None:
        while not finished.wait(0.1):
            if progress.cancelled:
                flow.cancel()
                return

    watcher = threading.Thread(target=watch, name="connect-cancel-watch", daemon=True)
    watcher.start()
    try:
        return flow.wait()
    finally:
        finished.set()


class IntegrationsController(QObject):
    """Connect, Sync Now and Disconnect for an `IntegrationsPane`.

    Attributes:
        connecting: provider -> the connect attempt in progress.
        syncing: provider -> the sync job running.
    """

    #: (provider, job) of every sync started, whoever asked: Sync Now, the auto-sync
    #: scheduler, the first sync after a Connect, Not sent's "Sync now".
    sync_started = Signal(object, object)

    def __init__(
        self,
        pane: IntegrationsPane,
        *,
        make_flow: FlowFactory | None = None,
        sync: SyncFunction | None = None,
        disconnect: DisconnectFunction | None = None,
        create_remote: CreateRemoteFunction | None = None,
        plan_undo: PlanUndoFunction | None = None,
        undo: UndoFunction | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent if parent is not None else pane)
        self.pane = pane
        self.ctx = pane.ctx
        self.make_flow = make_flow
        self.sync_function = sync
        self.disconnect_function = disconnect
        self.create_remote_function = create_remote
        self.plan_undo_function = plan_undo
        self.undo_function = undo
        #: The open "Undo this sync" preview, or None.
        self.undo_preview: UndoPreview | None = None
        #: The message that says what Create in … did, or None.
        self.outcome_box: QMessageBox | None = None
        self.connecting: dict[Provider, _Connecting] = {}
        self.syncing: dict[Provider, Job[Any]] = {}
        #: Whether each provider's connect (in progress or last) is push only.
        self.push_only: dict[Provider, bool] = {}
        #: The open "Disconnect from …?" or "Connect … push only?" question, or None.
        self.confirm_box: QMessageBox | None = None
        pane.connect_requested.connect(self.connect_provider)
        pane.cancel_requested.connect(self.cancel)
        pane.sync_requested.connect(self.sync_now)
        pane.disconnect_requested.connect(self.disconnect_provider)
        pane.tenant_chosen.connect(self._tenant_chosen)
        pane.create_remote_requested.connect(self.create_remote)
        pane.undo_sync_requested.connect(self.undo_sync)

    # -- connect ---------------------------------------------------------------------------------
    def kept_in_step_with(self, provider: Provider) -> Provider | None:
        """The other provider these books are kept in step with (connected, not push only), as
        the cards show it; None when `provider` may be connected in step."""
        for other, card in self.pane.cards.items():
            if other is not provider and not card.state.push_only and card.state.phase in (
                    Phase.CONNECTED, Phase.SYNCING, Phase.NEEDS_RECONNECT):
                return other
        return None

    def connect_provider(self, provider: Provider) -> None:
        """Connect; a second provider only push only, after asking (one company, one set of
        books: PRODUCT.md §1)."""
        company_id = self.ctx.company_id
        if company_id is None or provider in self.connecting:
            return
        if self.make_flow is None:
            self._show_error(provider, ConfigurationError(
                f"Connecting to {provider.display_name} is not set up in this build."))
            return
        primary = self.kept_in_step_with(provider)
        if primary is None:
            self._set_push_only_then_connect(provider, push_only=False)
            return
        box = QMessageBox(QMessageBox.Icon.Question, f"Connect {provider.display_name} push only?",
                          second_provider_question(provider.display_name, primary.display_name),
                          QMessageBox.StandardButton.Cancel, self.pane)
        box.setObjectName("pushOnlyConfirm")
        box.setInformativeText(f"Nothing is pulled from {provider.display_name}, and "
                               f"{primary.display_name} stays the books' provider.")
        confirm = box.addButton("Connect push only", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.buttonClicked.connect(
            lambda button: self._set_push_only_then_connect(provider, push_only=True)
            if button is confirm else None)
        self.confirm_box = box
        box.open()

    def _set_push_only_then_connect(self, provider: Provider, *, push_only: bool) -> None:
        """Record push only (or clear a flag left from earlier) and start connecting. The db-lane
        write is done long before the user has consented in the browser, and no sync can run
        before the connection exists; a configuration problem still shows at once."""
        company_id = self.ctx.company_id
        if company_id is None:
            return
        source = self.pane.source
        self.push_only[provider] = push_only
        self.ctx.jobs.run(
            lambda progress: source.set_push_only(company_id, provider, push_only),
            title="Saving the connection's direction", owner=self,
            on_error=lambda error: self._show_error(provider, error))
        self._start_connect(provider)

    def _start_connect(self, provider: Provider) -> None:
        company_id = self.ctx.company_id
        if company_id is None or provider in self.connecting or self.make_flow is None:
            return
        question = WorkerQuestion(self)
        question.asked.connect(lambda tenants: self._ask_tenant(provider, tenants))
        progress_of_wait: list[Progress] = []

        def choose(tenants: Sequence[Any]) -> Any:
            progress = progress_of_wait[0] if progress_of_wait else None
            if progress is not None:  # the status bar follows the card, not the browser
                progress.phase(f"Choose the {provider.remote_company_word} on the "
                               f"{provider.display_name} card")
            chosen = question.ask(tenants, progress)
            if progress is not None:
                progress.phase("Finishing the connection")
            return next((t for t in tenants if str(getattr(t, "tenant_id", "")) == chosen), None)

        try:
            flow = self.make_flow(company_id, provider, choose)
        except Exception as error:  # a configuration problem: show it on the card
            self._show_error(provider, error)
            return
        attempt = _Connecting(flow, question)
        self.connecting[provider] = attempt
        self.pane.set_card_state(CardState.waiting_for_browser(provider, ""))

        def wait(progress: Progress) -> Any:
            progress_of_wait.append(progress)
            progress.phase("Waiting for the browser")
            return _wait_cancellable(flow, progress)

        def started(request: Any) -> None:
            if attempt.cancelled:
                return
            self.pane.set_card_state(
                CardState.waiting_for_browser(provider, str(getattr(request, "url", ""))))
            attempt.jobs.append(self.ctx.jobs.run(
                wait, lane="network", title=f"Connecting to {provider.display_name}",
                on_done=lambda result: self._connected(provider, result),
                on_error=lambda error: self._connect_failed(provider, error), owner=self))

        attempt.jobs.append(self.ctx.jobs.run(
            lambda progress: flow.start(), lane="network",
            title=f"Opening {provider.display_name} sign-in", on_done=started,
            on_error=lambda error: self._connect_failed(provider, error), owner=self))

    def _ask_tenant(self, provider: Provider, tenants: Sequence[Any]) -> None:
        self.pane.set_card_state(CardState.choose_tenant(provider, [
            Tenant(str(getattr(t, "tenant_id", "")), str(getattr(t, "name", "")))
            for t in tenants]))

    def _tenant_chosen(self, provider: Provider, tenant_id: str) -> None:
        attempt = self.connecting.get(provider)
        if attempt is not None:
            attempt.question.answer(tenant_id)
            self.pane.set_card_state(CardState.waiting_for_browser(provider, ""))

    def _connected(self, provider: Provider, result: Any) -> None:
        self.connecting.pop(provider, None)
        connection = getattr(result, "connection", None)
        name = str(getattr(connection, "company_name", "") or "your company")
        self.pane.set_card_state(CardState.connected(
            provider, name, auto_sync_minutes=self.ctx.settings.auto_sync_minutes,
            push_only=self.push_only.get(provider, False)))
        self.ctx.notify(Changes(connections=True))
        # A first sync straight away, for QuickBooks Online and Xero alike: it pulls the chart
        # and proposes the account mapping, which the user looks at next.
        if self.sync_function is not None:
            self.sync_now(provider)

    def _connect_failed(self, provider: Provider, error: BaseException) -> None:
        attempt = self.connecting.pop(provider, None)
        if attempt is not None:
            attempt.flow.cancel()
        if isinstance(error, Cancelled) or (attempt is not None and attempt.cancelled):
            self.pane.set_card_state(CardState.not_connected(provider))
            self.pane.refresh()
            return
        self._show_error(provider, error)

    # -- sync and disconnect ---------------------------------------------------------------------
    def sync_now(self, provider: Provider) -> None:
        company_id = self.ctx.company_id
        if company_id is None or provider in self.syncing:
            return
        if self.sync_function is None:
            self._show_error(provider, ConfigurationError(
                f"Syncing with {provider.display_name} is not set up in this build."))
            return
        sync = self.sync_function
        job = self.ctx.jobs.run(lambda progress: sync(company_id, provider, progress),
                                lane="network", title=f"Syncing with {provider.display_name}",
                                on_error=lambda error: None, owner=self)
        self.syncing[provider] = job
        self.pane.follow_sync_job(provider, job, lambda last: last)
        job.ended.connect(lambda: self._sync_ended(provider))
        self.sync_started.emit(provider, job)

    def _sync_ended(self, provider: Provider) -> None:
        self.syncing.pop(provider, None)
        # The one announcement of a sync's end, whoever started it (Sync Now, auto-sync, the
        # first sync after a Connect): it re-reads the Integrations pane and every other view.
        self.ctx.notify(Changes(sync_runs=True, entries=True, accounts=True, mappings=True))

    def disconnect_provider(self, provider: Provider) -> None:
        """Ask first (window-modal, not blocking), then disconnect."""
        if self.ctx.company_id is None:
            return
        if self.disconnect_function is None:
            self._show_error(provider, ConfigurationError(
                f"Disconnecting from {provider.display_name} is not set up in this build."))
            return
        company = self.pane.card(provider).state.company_name or provider.display_name
        box = QMessageBox(QMessageBox.Icon.Question, f"Disconnect from {provider.display_name}?",
                          f"Disconnect these books from {company}?",
                          QMessageBox.StandardButton.Cancel, self.pane)
        box.setObjectName("disconnectConfirm")
        box.setInformativeText(
            f"Bookkeeper Desktop will revoke its access at {provider.display_name} and delete the "
            "saved sign-in from the system keychain. Your books and the sync log stay; you can "
            "connect again at any time.")
        confirm = box.addButton("Disconnect", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.buttonClicked.connect(
            lambda button: self.disconnect_now(provider) if button is confirm else None)
        self.confirm_box = box
        box.open()

    def disconnect_now(self, provider: Provider) -> None:
        """Disconnect without asking (after the confirmation)."""
        company_id = self.ctx.company_id
        if company_id is None or self.disconnect_function is None:
            return
        disconnect = self.disconnect_function

        def done(_result: Any) -> None:
            self.pane.set_card_state(CardState.not_connected(provider))
            self.ctx.notify(Changes(connections=True))

        self.ctx.jobs.run(lambda progress: disconnect(company_id, provider), lane="network",
                          title=f"Disconnecting from {provider.display_name}", on_done=done,
                          on_error=lambda error: self._show_error(provider, error), owner=self)

    # -- create accounts at the provider ---------------------------------------------------------
    def create_remote(self, provider: Provider, account_ids: Sequence[int]) -> Job[Any] | None:
        """Create these accounts at the provider (the user saw the preview) in the network
        lane; the status bar shows its progress and Cancel; a message says what was done."""
        company_id = self.ctx.company_id
        if company_id is None or not account_ids:
            return None
        if self.create_remote_function is None:
            self._show_error(provider, ConfigurationError(
                f"Creating accounts in {provider.display_name} is not set up in this build."))
            return None
        create = self.create_remote_function
        ids = list(account_ids)
        job = self.ctx.jobs.run(lambda progress: create(company_id, provider, ids, progress),
                                lane="network",
                                title=f"Creating accounts in {provider.display_name}",
                                on_done=self._created, owner=self)
        # Whatever happened (done, refused, cancelled half way): what was created is mapped.
        job.ended.connect(lambda: self.ctx.notify(Changes(mappings=True)))
        return job

    def _created(self, outcome: CreateOutcome) -> None:
        icon = QMessageBox.Icon.Warning if outcome.failed else QMessageBox.Icon.Information
        box = QMessageBox(icon, "Accounts created", outcome.summary, QMessageBox.StandardButton.Ok,
                          self.pane)
        box.setObjectName("createRemoteOutcome")
        if outcome.failed:
            box.setInformativeText("Not created:\n" + "\n".join(
                f"• {line}" for line in outcome.failed[:15]) + (
                f"\n… and {len(outcome.failed) - 15} more" if len(outcome.failed) > 15 else ""))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(lambda _result: setattr(self, "outcome_box", None))
        self.outcome_box = box
        box.open()

    # -- undo a sync run ---------------------------------------------------------------------
    def undo_sync(self, run: SyncRunRow) -> UndoPreview | None:
        """Open the preview of undoing `run` ("Preparing…" while its plan is read at the
        provider in the network lane); Confirm undoes it (`_undo_now`)."""
        company_id = self.ctx.company_id
        provider = Provider.of(run.provider)
        if company_id is None or provider is None:
            return None
        if self.plan_undo_function is None or self.undo_function is None:
            self._show_error(provider, ConfigurationError(
                f"Undoing a sync with {provider.display_name} is not set up in this build."))
            return None
        plan_undo = self.plan_undo_function
        preview = UndoPreview(provider.display_name, run, self.pane)
        preview.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        preview.setWindowModality(Qt.WindowModality.WindowModal)
        job = self.ctx.jobs.run(
            lambda progress: plan_undo(company_id, provider, run.run_id, progress),
            lane="network", title=f"Preparing to undo sync run #{run.run_id}",
            on_done=preview.show_plan, on_error=preview.show_problem, owner=preview)
        job.progressed.connect(preview.show_progress)
        preview.rejected.connect(job.cancel)
        preview.accepted.connect(lambda: self._undo_now(provider, preview.plan))
        preview.finished.connect(lambda _result: setattr(self, "undo_preview", None))
        self.undo_preview = preview
        preview.open()
        return preview

    def _undo_now(self, provider: Provider, plan: UndoPlan | None) -> Job[Any] | None:
        company_id = self.ctx.company_id
        if company_id is None or plan is None or self.undo_function is None:
            return None
        undo = self.undo_function
        job = self.ctx.jobs.run(lambda progress: undo(company_id, provider, plan, progress),
                                lane="network",
                                title=f"Undoing sync run #{plan.run_id} at {provider.display_name}",
                                on_done=self._undone, owner=self)
        # Whatever happened (done, refused, cancelled or cut off half way), what was taken back
        # is recorded: every view re-reads it.
        job.ended.connect(lambda: self.ctx.notify(Changes(sync_runs=True, entries=True)))
        return job

    def _undone(self, result: UndoResult) -> None:
        problems = result.failed + result.not_undone
        icon = QMessageBox.Icon.Warning if problems else QMessageBox.Icon.Information
        box = QMessageBox(icon, f"Sync run #{result.run_id} undone", result.summary + ".",
                          QMessageBox.StandardButton.Ok, self.pane)
        box.setObjectName("undoOutcome")
        if problems:
            box.setInformativeText("Not undone:\n" + "\n".join(
                f"• {line}" for line in problems[:15]) + (
                f"\n… and {len(problems) - 15} more" if len(problems) > 15 else ""))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(lambda _result: setattr(self, "outcome_box", None))
        self.outcome_box = box
        box.open()

    # -- cancel and errors -----------------------------------------------------------------------
    def cancel(self, provider: Provider) -> None:
        attempt = self.connecting.get(provider)
        if attempt is not None:
            attempt.cancelled = True
            attempt.flow.cancel()
            attempt.question.answer(None)
            for job in attempt.jobs:
                job.cancel()
        # A running sync is cancelled by the pane's follow_sync_job.

    def _show_error(self, provider: Provider, error: BaseException) -> None:
        card = self.pane.card(provider)
        self.pane.set_card_state(card.state.after_error(error))

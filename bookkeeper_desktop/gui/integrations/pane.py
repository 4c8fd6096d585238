"""The Integrations pane: the QBO and Xero cards, the account-mapping editor, the sync log, and
the Conflicts and "Not sent" tabs (`conflicts.py`, `refused.py`; each reads its own data).

Data is read through an `IntegrationsSource` in a db-lane job and refreshed when the change hub
says connections, mappings, sync runs or the company changed. The Connect / Sync flows are wired
by their own modules through the pane's signals and `set_card_state()`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QPoint, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from bookkeeper_desktop.core.accounts import AccountType
from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.errors import Cancelled
from bookkeeper_desktop.core.progress import Progress, ProgressSnapshot
from bookkeeper_desktop.gui.column_widths import ColumnFitter
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.empty_state import empty_label
from bookkeeper_desktop.gui.integrations.card import ProviderCard
from bookkeeper_desktop.gui.integrations.conflicts import ConflictsView
from bookkeeper_desktop.gui.integrations.create_remote import CreateRemotePreview
from bookkeeper_desktop.gui.integrations.mapping_editor import MappingEditor
from bookkeeper_desktop.gui.integrations.models import (
    RowRole,
    SortRole,
    SyncColumn,
    SyncLogModel,
)
from bookkeeper_desktop.gui.integrations.picker import RemoteAccountPicker
from bookkeeper_desktop.gui.integrations.refused import RefusedView
from bookkeeper_desktop.gui.integrations.source import (
    HELD_PHASES,
    IntegrationsSnapshot,
    IntegrationsSource,
    ServicesSource,
    card_state_for,
)
from bookkeeper_desktop.gui.integrations.state import (
    CardState,
    LastSync,
    MappingRow,
    MappingState,
    Phase,
    SyncRunRow,
)
from bookkeeper_desktop.gui.table_model import SelectionKeeper
from bookkeeper_desktop.jobs import Job
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.services.mappings import RemoteAccount
from bookkeeper_desktop.services.remote_accounts import PlannedAccount
from bookkeeper_desktop.services.sync_runs import UNDO

T = TypeVar("T")

DEMO_BANNER = "Demo sandbox — no real data. Connect and Sync talk to local test servers."


class SyncLogView(QWidget):
    """Every sync run with direction, counts, errors and duration; an empty state first.

    Signals:
        undo_requested(SyncRunRow): "Undo this sync…" on the selected run (its button, or the
            context menu of the table).
    """

    undo_requested = Signal(object)

    EMPTY_TEXT = ("No syncs yet.\n\nEach time these books sync with QuickBooks Online or Xero "
                  "(Sync Now or auto-sync), a line appears here with what was pulled and pushed.")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = SyncLogModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSortRole(SortRole)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("syncLogTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.fitter = ColumnFitter(self.table)
        #: The same run stays selected across a refresh, wherever the sort puts it.
        self._keeper = SelectionKeeper(self.table, self._run_id_at)
        self.undo_action = QAction("Undo this sync…", self)
        self.undo_action.setObjectName("undoSyncAction")
        self.undo_action.triggered.connect(self._undo_selected)
        self.undo_button = QPushButton("Undo this sync…")
        self.undo_button.setObjectName("undoSyncButton")
        self.undo_button.setToolTip("Take back at QuickBooks Online or Xero what the selected "
                                    "sync created or changed there (a preview comes first).")
        self.undo_button.clicked.connect(self._undo_selected)
        self.empty = empty_label(self.EMPTY_TEXT, "syncLogEmpty")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.table)
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(self.undo_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        layout.addLayout(actions)
        self._selection_changed()

    def selected_run(self) -> SyncRunRow | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        run = self.proxy.data(rows[0], RowRole)
        return run if isinstance(run, SyncRunRow) else None

    def _selection_changed(self, *_args: object) -> None:
        run = self.selected_run()
        enabled = run is not None and run.undoable
        self.undo_button.setEnabled(enabled)
        self.undo_action.setEnabled(enabled)

    def _undo_selected(self) -> None:
        run = self.selected_run()
        if run is not None and run.undoable:
            self.undo_requested.emit(run)

    def _context_menu(self, position: QPoint) -> None:
        if self.selected_run() is None:
            return
        menu = QMenu(self.table)
        menu.setObjectName("syncLogMenu")
        menu.addAction(self.undo_action)
        menu.popup(self.table.viewport().mapToGlobal(position))

    def set_rows(self, rows: list[object]) -> None:
        runs = [r for r in rows if isinstance(r, SyncRunRow)]
        with self._keeper.kept():
            self.model.set_rows(runs)
        self.stack.setCurrentWidget(self.table if runs else self.empty)
        if runs:  # from font metrics (`ColumnFitter`), not by measuring every cell
            for column in SyncColumn:
                self.fitter.fit(column, self.model.column_texts(column))
        self._selection_changed()

    def _run_id_at(self, row: int) -> int | None:
        """The run of a row as the table shows it (newest first unless re-sorted)."""
        run = self.proxy.data(self.proxy.index(row, 0), RowRole)
        return run.run_id if isinstance(run, SyncRunRow) else None


#: Shown on the pane until the company's first sync.
FIRST_RUN_GUIDE = (
    "<b>Getting started:</b> 1. <b>Connect</b> QuickBooks Online or Xero on its card and sign "
    "in. 2. Check the <b>Account mapping</b> tab: accounts with the same number or name and a "
    "matching type are paired on their own; map or create the rest. 3. Press <b>Sync Now</b>: "
    "your approved and posted entries go to the provider, and any that cannot go wait in "
    "<b>Not sent</b> with the reason.")


class IntegrationsPane(QWidget):
    """The QBO and Xero cards, the mapping editor and the sync log.

    Signals (the provider is passed as its `Provider`):
        connect_requested(object), cancel_requested(object), sync_requested(object),
        disconnect_requested(object), tenant_chosen(object, str),
        auto_sync_changed(object, int): forwarded from the cards for the connect and sync flows.
        settings_requested(object): Open Settings pressed on a card (the window opens them at
            the provider's tab).
        create_remote_requested(object, object): (Provider, account ids) to create at the
            provider, after the user saw the preview (the controller runs it).
        undo_sync_requested(SyncRunRow): "Undo this sync…" on a run of the sync log (the
            controller previews and runs it).
        loaded(): a refresh finished and the views show its data.
    """

    #: The least time a sync shows as "Syncing…" on its card, however fast it was.
    MIN_SYNCING_SHOWN_MS = 800

    connect_requested = Signal(object)
    cancel_requested = Signal(object)
    sync_requested = Signal(object)
    disconnect_requested = Signal(object)
    tenant_chosen = Signal(object, str)
    auto_sync_changed = Signal(object, int)
    settings_requested = Signal(object)
    create_remote_requested = Signal(object, object)
    undo_sync_requested = Signal(object)
    loaded = Signal()

    def __init__(self, ctx: AppContext, source: IntegrationsSource | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("integrationsPane")
        self.ctx = ctx
        self.source: IntegrationsSource = source if source is not None \
            else ServicesSource(ctx.services)
        self.banner = QLabel(DEMO_BANNER)
        self.banner.setObjectName("demoBanner")
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.banner.setStyleSheet(
            "QLabel#demoBanner { background: #F2A93B; color: #202020; padding: 6px; "
            "font-weight: bold; border-radius: 4px; }")
        self.banner.setVisible(ctx.demo)
        # The three steps, until the company's first sync (issue #12: a first-run guide).
        self.guide = QLabel(FIRST_RUN_GUIDE)
        self.guide.setObjectName("firstRunGuide")
        self.guide.setWordWrap(True)
        self.guide.setTextFormat(Qt.TextFormat.RichText)
        self.guide.setVisible(False)

        self.cards: dict[Provider, ProviderCard] = {}
        cards_row = QHBoxLayout()
        for provider in Provider:
            card = ProviderCard(CardState.not_connected(provider))
            self._wire(card, provider)
            self.cards[provider] = card
            cards_row.addWidget(card, 1)

        self.mapping_editor = MappingEditor()
        self.mapping_editor.state_change_requested.connect(self._change_mapping)
        self.mapping_editor.confirm_accepted.connect(
            lambda row: self._change_mapping(row, MappingState.CONFIRMED, accept_warnings=True))
        self.mapping_editor.pick_requested.connect(self.pick_remote_account)
        self.mapping_editor.auto_confirm_changed.connect(self._save_auto_confirm)
        self.mapping_editor.create_requested.connect(self.preview_create_remote)
        #: The open picker or create preview, or None.
        self.picker: RemoteAccountPicker | None = None
        self.create_preview: CreateRemotePreview | None = None
        self.sync_log = SyncLogView()
        self.sync_log.undo_requested.connect(self.undo_sync_requested)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.mapping_editor, "Account mapping")
        self.tabs.addTab(self.sync_log, "Sync log")
        self.conflicts = ConflictsView(ctx)  # reads and resolves its own data (conflicts.py)
        self.conflicts.attach_to(self.tabs)
        # Every entry not sent, why and its one fix (refused.py).
        self.refused = RefusedView(ctx)
        self.refused.attach_to(self.tabs)
        self.refused.sync_requested.connect(self._sync_after_retry)
        self.refused.map_requested.connect(
            lambda _provider: self.tabs.setCurrentWidget(self.mapping_editor))
        self.refused.conflicts_requested.connect(
            lambda: self.tabs.setCurrentWidget(self.conflicts))

        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.guide)
        layout.addLayout(cards_row)
        layout.addWidget(self.tabs, 1)

        self._snapshot: IntegrationsSnapshot | None = None
        #: Per provider: which sync the card follows, and those that ended while it still shows
        #: "Syncing…" (`MIN_SYNCING_SHOWN_MS`).
        self._sync_generation: dict[Provider, int] = {}
        self._syncs_ended: set[Provider] = set()
        self._held: set[Provider] = set()
        self._load_generation = 0
        #: A change notice asked for a read this turn (`_on_changes`).
        self._notice_read_queued = False
        ctx.changes.changed.connect(self._on_changes)
        self.auto_sync_changed.connect(self._save_auto_sync)
        self.refresh()

    def card(self, provider: Provider) -> ProviderCard:
        return self.cards[provider]

    def set_card_state(self, state: CardState) -> None:
        """Show a state on its provider's card (the connect and sync flows call this).

        A flow's waiting, syncing, error and reconnect states are held against database
        refreshes until the user acts on the card again; a connected or not-connected state
        hands the card back to the database's view."""
        self.cards[state.provider].set_state(state)
        if state.phase in HELD_PHASES:
            self._held.add(state.provider)
        else:
            self._held.discard(state.provider)

    def follow_sync_job(self, provider: Provider, job: Job[T],
                        summarize: Callable[[T], LastSync]) -> None:
        """Drive a card from a running sync job (for the sync flow to call).

        While it runs the card shows its phase and done/total; the card's Cancel cancels the job;
        afterwards the card shows `summarize(result)` as the last sync, goes back to connected
        when cancelled, or shows the error (Reconnect for `ReconnectNeeded`).

        The pane is not re-read here: whoever runs the sync announces what it changed when the
        job ends (`IntegrationsController._sync_ended`: `ctx.notify(Changes(sync_runs=...))`),
        and that one notice re-reads this pane and every other view, whoever started the sync
        (Sync Now, auto-sync, the first sync after a Connect)."""
        card = self.cards[provider]
        self._syncs_ended.discard(provider)
        self.set_card_state(card.state.syncing())

        def progressed(snapshot: ProgressSnapshot) -> None:
            if card.state.phase is Phase.SYNCING:
                card.set_state(card.state.syncing(snapshot))

        def cancel(which: Provider) -> None:
            if which is provider:
                job.cancel()

        def cancelling() -> None:  # from the card's Cancel or the status bar's
            if card.state.phase is Phase.SYNCING:  # "Cancelling…" until it has stopped
                card.set_state(card.state.sync_cancelling())

        started = time.monotonic()
        self._sync_generation[provider] = generation = self._sync_generation.get(provider, 0) + 1

        def succeeded(result: T) -> None:
            finished = card.state.sync_finished(summarize(result))
            # A sync of 0.4 s used to flash by unseen: "Syncing…" stays up for a moment, then
            # the result with its counts.
            left_ms = self.MIN_SYNCING_SHOWN_MS - int((time.monotonic() - started) * 1000)
            if left_ms <= 0:
                self.set_card_state(finished)
                return
            QTimer.singleShot(left_ms, self, lambda: self._finish_shown(finished, generation))

        def failed(error: BaseException) -> None:
            if isinstance(error, Cancelled):
                self.set_card_state(card.state.sync_stopped())
            else:
                self.set_card_state(card.state.after_error(error))

        def ended() -> None:
            # No refresh here: the sync's change notice re-reads this pane (see the docstring).
            self.cancel_requested.disconnect(cancel)
            if self._sync_generation.get(provider) == generation:
                self._syncs_ended.add(provider)

        self.cancel_requested.connect(cancel)
        job.cancel_asked.connect(cancelling)
        job.progressed.connect(progressed)
        job.succeeded.connect(succeeded)
        job.failed.connect(failed)
        job.ended.connect(ended)

    def _finish_shown(self, finished: CardState, generation: int) -> None:
        card = self.cards[finished.provider]
        # Nothing else took the card meanwhile (another sync, an error, a disconnect).
        if card.state.phase is Phase.SYNCING and \
                self._sync_generation.get(finished.provider) == generation:
            self.set_card_state(finished)

    def sync_showing_after_end(self, provider: Provider) -> bool:
        """The card still says "Syncing…" for a sync that has ended (see
        `MIN_SYNCING_SHOWN_MS`): the scheduler may start the next one."""
        return provider in self._syncs_ended and self.cards[provider].state.phase is Phase.SYNCING

    def last_sync_text(self) -> str:
        """For the status bar: the newest sync run of the company, or "Not synced yet"."""
        runs = self._snapshot.sync_runs if self._snapshot is not None else []
        if not runs:
            return "Not synced yet"
        newest = max(runs, key=lambda run: run.started_at)
        when = (newest.finished_at or newest.started_at).astimezone().strftime("%d %b %H:%M")
        if newest.direction == UNDO:
            return f"{newest.message} ({when})"
        return f"Last sync: {Provider.name_of(newest.provider)}, {when}, {newest.outcome}"

    def refresh(self) -> None:
        """Re-read connections, mappings and sync runs of the current company in the db lane,
        now; a read still on its way for an earlier call is dropped when it arrives."""
        self._notice_read_queued = False  # this read also covers notices received so far
        self._load_generation += 1
        generation = self._load_generation
        company_id = self.ctx.company_id
        if company_id is None:
            self._apply(IntegrationsSnapshot({}, {}, []), generation)
            return
        source = self.source
        self.ctx.jobs.run(
            lambda progress: _load(source, company_id, progress),
            on_done=lambda snapshot: self._apply(snapshot, generation),
            title="Reading integrations", owner=self,
        )

    def _apply(self, snapshot: IntegrationsSnapshot, generation: int) -> None:
        if generation != self._load_generation:
            return  # a newer refresh (another company) is on its way
        self._snapshot = snapshot
        minutes = self.ctx.settings.auto_sync_minutes
        for provider, card in self.cards.items():
            if provider in self._held:
                continue
            card.set_state(card_state_for(provider, snapshot.connections.get(provider),
                                          snapshot.sync_runs,
                                          snapshot.auto_sync.get(provider, minutes),
                                          push_only=provider in snapshot.push_only))
        self.mapping_editor.set_rows(snapshot.mappings, snapshot.auto_confirm)
        self.sync_log.set_rows(list(snapshot.sync_runs))
        self.guide.setVisible(self.ctx.company_id is not None and not snapshot.sync_runs)
        self.loaded.emit()

    def _on_changes(self, changes: Changes) -> None:
        """One read for the change notices of one event-loop turn. Several notices arrive
        together from senders that cannot know of each other: jobs of both lanes that ended
        while the GUI thread was busy are delivered back to back (a sync's end and a mapping
        saved, or the QBO and Xero syncs ending together). Each would otherwise start a read whose
        result the next one throws away, and the wasted read in the worker slows the GUI thread
        through the GIL. An explicit `refresh()` reads at once."""
        if not (changes.company or changes.connections or changes.mappings
                or changes.sync_runs or changes.accounts or changes.settings):
            return
        self._load_generation += 1  # a read started before this notice is stale already
        if not self._notice_read_queued:
            self._notice_read_queued = True
            QTimer.singleShot(0, self, self._read_after_notices)

    def _read_after_notices(self) -> None:
        if self._notice_read_queued:  # not already covered by a refresh() meanwhile
            self.refresh()

    def _change_mapping(self, row: MappingRow, state: MappingState, *,
                        accept_warnings: bool = False) -> None:
        company_id = self.ctx.company_id
        if company_id is None:
            return
        source = self.source
        extra = {"accept_warnings": True} if accept_warnings else {}
        self.ctx.jobs.run(
            lambda progress: source.set_mapping_state(company_id, row, state, **extra),
            on_done=self.ctx.notify,
            title="Updating account mapping", owner=self,
        )

    def pick_remote_account(self, row: MappingRow) -> None:
        """Read the provider's chart (db lane), then open the picker; the choice is saved in
        another job."""
        company_id = self.ctx.company_id
        if company_id is None:
            return
        source = self.source
        provider = Provider.of(row.provider) or self.mapping_editor.provider
        names = {r.account_id: r.account_name for r in self.mapping_editor.model.rows()}

        def show(remotes: list[RemoteAccount]) -> None:
            picker = RemoteAccountPicker(provider.display_name, row.account_name, remotes,
                                         account_type=_account_type(row.account_type),
                                         used_by=names, parent=self)
            picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            picker.setWindowModality(Qt.WindowModality.WindowModal)

            def chosen() -> None:
                remote = picker.chosen()
                self.picker = None
                if remote is not None:
                    self.ctx.jobs.run(
                        lambda progress: source.map_by_hand(company_id, row, remote),
                        on_done=self.ctx.notify, title="Mapping the account", owner=self)

            picker.accepted.connect(chosen)
            picker.rejected.connect(lambda: setattr(self, "picker", None))
            self.picker = picker
            picker.open()

        self.ctx.jobs.run(lambda progress: source.list_remote_accounts(company_id, provider),
                          on_done=show, title=f"Reading the {provider.display_name} chart",
                          owner=self)

    def preview_create_remote(self, provider: Provider, account_ids: list[int] | None) -> None:
        """Work out what would be created (db lane), show the preview, and on Create hand the
        accounts to the controller (`create_remote_requested`)."""
        company_id = self.ctx.company_id
        if company_id is None:
            return
        source = self.source

        def show(plan: list[PlannedAccount]) -> None:
            preview = CreateRemotePreview(provider.value, provider.display_name, plan, self)
            preview.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            preview.setWindowModality(Qt.WindowModality.WindowModal)

            def create() -> None:
                self.create_preview = None
                ids = preview.account_ids()
                if ids:
                    self.create_remote_requested.emit(provider, ids)

            preview.accepted.connect(create)
            preview.rejected.connect(lambda: setattr(self, "create_preview", None))
            self.create_preview = preview
            preview.open()

        self.ctx.jobs.run(
            lambda progress: source.plan_remote_accounts(company_id, provider, account_ids),
            on_done=show, title=f"Preparing accounts for {provider.display_name}", owner=self)

    def _sync_after_retry(self, provider: Provider) -> None:
        """Sync now after Send again in the Waiting for a fix tab: what the card's Sync Now does
        (the card is handed back from an error or outcome it was holding)."""
        self._held.discard(provider)
        self.sync_requested.emit(provider)

    def _save_auto_confirm(self, provider: Provider, on: bool) -> None:
        company_id = self.ctx.company_id
        if company_id is None:
            return
        source = self.source
        self.ctx.jobs.run(lambda progress: source.set_auto_confirm(company_id, provider, on),
                          on_done=self.ctx.notify, title="Saving the mapping setting",
                          owner=self)

    def _save_auto_sync(self, provider: Provider, minutes: int) -> None:
        """Remember the card's interval for this company and provider (the scheduler reads it)."""
        company_id = self.ctx.company_id
        if company_id is None:
            return
        source = self.source
        self.ctx.jobs.run(
            lambda progress: source.set_auto_sync(company_id, provider, minutes),
            on_done=self.ctx.notify, title="Saving the auto-sync interval", owner=self,
        )

    def _wire(self, card: ProviderCard, provider: Provider) -> None:
        for user_action in (card.connect_requested, card.retry_requested, card.sync_requested,
                            card.disconnect_requested):
            user_action.connect(lambda: self._held.discard(provider))
        card.connect_requested.connect(lambda: self.connect_requested.emit(provider))
        card.retry_requested.connect(lambda: self.connect_requested.emit(provider))
        card.cancel_requested.connect(lambda: self.cancel_requested.emit(provider))
        card.sync_requested.connect(lambda: self.sync_requested.emit(provider))
        card.disconnect_requested.connect(lambda: self.disconnect_requested.emit(provider))
        card.settings_requested.connect(lambda: self.settings_requested.emit(provider))
        card.tenant_chosen.connect(lambda tenant: self.tenant_chosen.emit(provider, tenant))
        card.auto_sync_changed.connect(
            lambda minutes: self.auto_sync_changed.emit(provider, minutes))


def _account_type(label: str) -> AccountType | None:
    """A row's type label ("Other current asset") back to our type, for the picker."""
    try:
        return AccountType(label.strip().lower().replace(" ", "_"))
    except ValueError:
        return None


def _load(source: IntegrationsSource, company_id: int, progress: Progress
          ) -> IntegrationsSnapshot:
    progress.phase("Reading connections and mappings")
    return source.load(company_id)

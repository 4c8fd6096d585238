"""The Integrations pane: the QBO and Xero cards, the account-mapping editor, the sync log, and
the Conflicts and "Not sent" tabs (`conflicts.py`, `refused.py`; each reads its own data).

Data is read through an `IntegrationsSource` in a db-lane job and refreshed when the change hub
says connections, mappings, sync runs or the company changed. The Connect / Sync flows are wired
by their own modules through the pane's signals and `set_card_state()`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from bookkeeper_desktop.core.changes import Changes
from bookkeeper_desktop.core.errors import Cancelled
from bookkeeper_desktop.core.progress import Progress, ProgressSnapshot
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.empty_state import empty_label
from bookkeeper_desktop.gui.integrations.card import ProviderCard
from bookkeeper_desktop.gui.integrations.conflicts import ConflictsView
from bookkeeper_desktop.gui.integrations.models import (
    MappingColumn,
    MappingTableModel,
    ModelIndex,
    RowRole,
    SortRole,
    SyncLogModel,
)
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
    Provider,
    SyncRunRow,
)
from bookkeeper_desktop.jobs import Job

T = TypeVar("T")

DEMO_BANNER = "Demo sandbox — no real data. Connect and Sync talk to local test servers."


class _RowFilter(QSortFilterProxyModel):
    """Sorts by `SortRole`; optionally keeps only proposed mappings."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SortRole)
        self.only_proposed = False

    def set_only_proposed(self, only: bool) -> None:
        # Qt 6.9 replaced invalidateFilter() by begin/endFilterChange(); support both.
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()
            self.only_proposed = only
            self.endFilterChange()
        else:
            self.only_proposed = only
            self.invalidateFilter()

    @override
    def filterAcceptsRow(self, source_row: int, source_parent: ModelIndex) -> bool:
        if not self.only_proposed:
            return True
        model = self.sourceModel()
        row = model.data(model.index(source_row, 0), RowRole)
        return isinstance(row, MappingRow) and row.state in (MappingState.PROPOSED,
                                                             MappingState.CONFLICT)


class MappingEditor(QWidget):
    """Our accounts beside the remote ones for one provider; proposals marked; confirm/reject.

    Signals:
        state_change_requested(object, object): (MappingRow, MappingState) chosen by the user.
    """

    state_change_requested = Signal(object, object)

    EMPTY_TEXT = ("No account mappings yet.\n\nConnect to QuickBooks Online or Xero and press "
                  "Sync Now: the remote chart of accounts is pulled and each of our accounts is "
                  "matched by number, then by name. Proposals appear here for you to confirm.")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.provider_combo = QComboBox()
        for provider in Provider:
            self.provider_combo.addItem(provider.title, provider)
        self.only_proposed = QCheckBox("Only proposals and conflicts")
        self.summary = QLabel()
        self.confirm_button = QPushButton("Confirm")
        self.confirm_button.setToolTip("Use the proposed remote account for this account")
        self.reject_button = QPushButton("Reject")
        self.reject_button.setToolTip("Do not use this proposal")
        self.model = MappingTableModel(self)
        self.proxy = _RowFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("mappingTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(MappingColumn.CODE, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(
            MappingColumn.ACCOUNT, QHeaderView.ResizeMode.Interactive)
        self.empty = empty_label(self.EMPTY_TEXT, "mappingEmpty")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.table)

        top = QHBoxLayout()
        top.addWidget(QLabel("Provider:"))
        top.addWidget(self.provider_combo)
        top.addWidget(self.only_proposed)
        top.addStretch(1)
        top.addWidget(self.summary)
        top.addWidget(self.confirm_button)
        top.addWidget(self.reject_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)

        self._rows: dict[Provider, list[MappingRow]] = {p: [] for p in Provider}
        self.provider_combo.currentIndexChanged.connect(self._show_provider)
        self.only_proposed.toggled.connect(self.proxy.set_only_proposed)
        self.confirm_button.clicked.connect(lambda: self._request(MappingState.CONFIRMED))
        self.reject_button.clicked.connect(lambda: self._request(MappingState.REJECTED))
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self._show_provider()

    @property
    def provider(self) -> Provider:
        data = self.provider_combo.currentData()
        return data if isinstance(data, Provider) else Provider.QBO

    def set_rows(self, rows: dict[Provider, list[MappingRow]]) -> None:
        self._rows = {p: list(rows.get(p, [])) for p in Provider}
        self._show_provider()

    def selected_rows(self) -> list[MappingRow]:
        rows: list[MappingRow] = []
        for index in self.table.selectionModel().selectedRows():
            row = self.proxy.data(index, RowRole)
            if isinstance(row, MappingRow):
                rows.append(row)
        return rows

    def _show_provider(self) -> None:
        rows = self._rows[self.provider]
        self.model.set_rows(rows)
        self.stack.setCurrentWidget(self.table if rows else self.empty)
        proposed = sum(1 for r in rows if r.state is MappingState.PROPOSED)
        confirmed = sum(1 for r in rows if r.state is MappingState.CONFIRMED)
        conflicts = sum(1 for r in rows if r.state is MappingState.CONFLICT)
        text = f"{confirmed} confirmed, {proposed} proposed" if rows else ""
        if conflicts:
            text += f", {conflicts} in conflict"
        self.summary.setText(text)
        self._update_buttons()

    def _update_buttons(self) -> None:
        selected = self.selected_rows()
        self.confirm_button.setEnabled(any(
            r.state is not MappingState.CONFIRMED and (r.remote_id or r.remote_code)
            for r in selected))
        self.reject_button.setEnabled(any(
            r.state in (MappingState.PROPOSED, MappingState.CONFLICT) for r in selected))

    def _request(self, state: MappingState) -> None:
        for row in self.selected_rows():
            self.state_change_requested.emit(row, state)


class SyncLogView(QWidget):
    """Every sync run with direction, counts, errors and duration; an empty state first."""

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
        self.empty = empty_label(self.EMPTY_TEXT, "syncLogEmpty")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.table)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

    def set_rows(self, rows: list[object]) -> None:
        runs = [r for r in rows if isinstance(r, SyncRunRow)]
        self.model.set_rows(runs)
        self.stack.setCurrentWidget(self.table if runs else self.empty)
        if runs:
            self.table.resizeColumnsToContents()


class IntegrationsPane(QWidget):
    """The QBO and Xero cards, the mapping editor and the sync log.

    Signals (the provider is passed as its `Provider`):
        connect_requested(object), cancel_requested(object), sync_requested(object),
        disconnect_requested(object), tenant_chosen(object, str),
        auto_sync_changed(object, int): forwarded from the cards for the connect and sync flows.
        settings_requested(object): Open Settings pressed on a card (the window opens them at
            the provider's tab).
        loaded(): a refresh finished and the views show its data.
    """

    connect_requested = Signal(object)
    cancel_requested = Signal(object)
    sync_requested = Signal(object)
    disconnect_requested = Signal(object)
    tenant_chosen = Signal(object, str)
    auto_sync_changed = Signal(object, int)
    settings_requested = Signal(object)
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

        self.cards: dict[Provider, ProviderCard] = {}
        cards_row = QHBoxLayout()
        for provider in Provider:
            card = ProviderCard(CardState.not_connected(provider))
            self._wire(card, provider)
            self.cards[provider] = card
            cards_row.addWidget(card, 1)

        self.mapping_editor = MappingEditor()
        self.mapping_editor.state_change_requested.connect(self._change_mapping)
        self.sync_log = SyncLogView()
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
        layout.addLayout(cards_row)
        layout.addWidget(self.tabs, 1)

        self._snapshot: IntegrationsSnapshot | None = None
        self._held: set[Provider] = set()
        self._load_generation = 0
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
        when cancelled, or shows the error (Reconnect for `ReconnectNeeded`)."""
        card = self.cards[provider]
        self.set_card_state(card.state.syncing())

        def progressed(snapshot: ProgressSnapshot) -> None:
            if card.state.phase is Phase.SYNCING:
                card.set_state(card.state.syncing(snapshot))

        def cancel(which: Provider) -> None:
            if which is provider:
                job.cancel()

        def succeeded(result: T) -> None:
            self.set_card_state(card.state.sync_finished(summarize(result)))

        def failed(error: BaseException) -> None:
            if isinstance(error, Cancelled):
                self.set_card_state(card.state.sync_stopped())
            else:
                self.set_card_state(card.state.after_error(error))

        def ended() -> None:
            self.cancel_requested.disconnect(cancel)
            self.refresh()

        self.cancel_requested.connect(cancel)
        job.progressed.connect(progressed)
        job.succeeded.connect(succeeded)
        job.failed.connect(failed)
        job.ended.connect(ended)

    def last_sync_text(self) -> str:
        """For the status bar: the newest sync run of the company, or "Not synced yet"."""
        runs = self._snapshot.sync_runs if self._snapshot is not None else []
        if not runs:
            return "Not synced yet"
        newest = max(runs, key=lambda run: run.started_at)
        when = (newest.finished_at or newest.started_at).astimezone().strftime("%d %b %H:%M")
        provider = Provider(newest.provider).title if newest.provider in ("qbo", "xero") \
            else newest.provider
        return f"Last sync: {provider}, {when}, {newest.outcome}"

    def refresh(self) -> None:
        """Re-read connections, mappings and sync runs of the current company in the db lane."""
        company_id = self.ctx.company_id
        self._load_generation += 1
        generation = self._load_generation
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
        self.mapping_editor.set_rows(snapshot.mappings)
        self.sync_log.set_rows(list(snapshot.sync_runs))
        self.loaded.emit()

    def _on_changes(self, changes: Changes) -> None:
        if changes.company or changes.connections or changes.mappings or changes.sync_runs \
                or changes.accounts or changes.settings:
            self.refresh()

    def _change_mapping(self, row: MappingRow, state: MappingState) -> None:
        company_id = self.ctx.company_id
        if company_id is None:
            return
        source = self.source
        self.ctx.jobs.run(
            lambda progress: source.set_mapping_state(company_id, row, state),
            on_done=self.ctx.notify,
            title="Updating account mapping", owner=self,
        )

    def _sync_after_retry(self, provider: Provider) -> None:
        """Sync now after Send again in the Waiting for a fix tab: what the card's Sync Now does
        (the card is handed back from an error or outcome it was holding)."""
        self._held.discard(provider)
        self.sync_requested.emit(provider)

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


def _load(source: IntegrationsSource, company_id: int, progress: Progress
          ) -> IntegrationsSnapshot:
    progress.phase("Reading connections and mappings")
    return source.load(company_id)

"""`ProviderCard`: the QuickBooks Online or Xero card, a view of one `CardState`.

The card only shows a state and emits what the user asked for; the connect and sync flows decide
what happens and feed the next state with `set_state()`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from bookkeeper_desktop.core.progress import ProgressSnapshot
from bookkeeper_desktop.gui.integrations.state import CardState, Phase
from bookkeeper_desktop.gui.status import show_progress

#: The badge beside the title says how the connection is, not which brand it is: green only
#: when connected (a brand-green dot beside "Not connected" read as "all is well").
_BADGE_COLOURS = {Phase.CONNECTED: "#2E9E44", Phase.SYNCING: "#2E9E44",
                  Phase.NEEDS_RECONNECT: "#E67E22", Phase.ERROR: "#C0392B"}
_BADGE_IDLE = "#9E9E9E"
_BADGE_TIPS = {Phase.CONNECTED: "Connected", Phase.SYNCING: "Syncing",
               Phase.NEEDS_RECONNECT: "Needs you to reconnect", Phase.ERROR: "Something failed"}


class ProviderCard(QFrame):
    """One provider's connection, sync status and actions.

    Signals:
        connect_requested(): Connect or Reconnect pressed.
        cancel_requested(): Cancel pressed while waiting for the browser or syncing.
        sync_requested(): Sync Now pressed.
        disconnect_requested(): Disconnect pressed.
        settings_requested(): Open Settings pressed when a setting is missing.
        retry_requested(): Try Again pressed in the error state (same as Connect when not
            connected; the pane decides).
        tenant_chosen(str): a Xero organisation was picked (its tenant id).
        auto_sync_changed(int): the auto-sync interval (minutes, 0 = off) was changed.

    Attributes:
        state: the `CardState` shown.
        offline: the provider cannot be reached (`set_offline`); kept across states, since the
            database refreshes that replace the state know nothing of the network.
    """

    #: Lines of message shown before it scrolls.
    DETAIL_LINES = 4
    #: How long Copy says "Copied ✓".
    COPIED_MS = 2000

    connect_requested = Signal()
    cancel_requested = Signal()
    sync_requested = Signal()
    disconnect_requested = Signal()
    retry_requested = Signal()
    settings_requested = Signal()
    tenant_chosen = Signal(str)
    auto_sync_changed = Signal(int)

    def __init__(self, state: CardState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"card_{state.provider.value}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumWidth(320)

        self.title = QLabel(state.provider.display_name)
        title_font = QFont(self.title.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.3)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.badge = QLabel()
        self.badge.setObjectName("statusBadge")
        self.badge.setFixedSize(12, 12)
        self.headline = QLabel()
        self.headline.setObjectName("headline")
        headline_font = QFont(self.headline.font())
        headline_font.setBold(True)
        self.headline.setFont(headline_font)
        self.headline.setWordWrap(True)
        self.detail = QLabel()
        self.detail.setObjectName("detail")
        self.detail.setWordWrap(True)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # A long message scrolls inside a fixed space: the card (and the tabs below it) no
        # longer change height with every message.
        self.detail_area = QScrollArea()
        self.detail_area.setObjectName("detailArea")
        self.detail_area.setWidget(self.detail)
        self.detail_area.setWidgetResizable(True)
        self.detail_area.setFrameShape(QFrame.Shape.NoFrame)
        self.detail_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.detail_area.setFixedHeight(
            self.detail.fontMetrics().lineSpacing() * self.DETAIL_LINES + 4)

        self.url_edit = QLineEdit()
        self.url_edit.setReadOnly(True)
        self.url_edit.setObjectName("authUrl")
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the sign-in address to paste into a browser")
        self.copy_button.clicked.connect(self.copy_url)
        self._copied_timer = QTimer(self)
        self._copied_timer.setSingleShot(True)
        self._copied_timer.setInterval(self.COPIED_MS)
        self._copied_timer.timeout.connect(lambda: self.copy_button.setText("Copy"))
        url_row = QHBoxLayout()
        url_row.addWidget(self.url_edit, 1)
        url_row.addWidget(self.copy_button)
        self.url_row = QWidget()
        self.url_row.setLayout(url_row)
        url_row.setContentsMargins(0, 0, 0, 0)

        self.tenant_combo = QComboBox()
        self.tenant_combo.setObjectName("tenantCombo")
        self.choose_button = QPushButton("Use this organisation")
        self.choose_button.clicked.connect(self._choose_tenant)
        tenant_row = QHBoxLayout()
        tenant_row.setContentsMargins(0, 0, 0, 0)
        tenant_row.addWidget(self.tenant_combo, 1)
        tenant_row.addWidget(self.choose_button)
        self.tenant_row = QWidget()
        self.tenant_row.setLayout(tenant_row)

        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("syncProgress")
        self.progress_label = QLabel()
        self.progress_label.setObjectName("progressLabel")
        self.time_left_label = QLabel()
        self.time_left_label.setObjectName("timeLeft")

        self.auto_sync = QSpinBox()
        self.auto_sync.setObjectName("autoSync")
        self.auto_sync.setRange(0, 1440)
        self.auto_sync.setSuffix(" min")
        self.auto_sync.setSpecialValueText("Off")
        self.auto_sync.setToolTip("How often to sync in the background (0 turns it off)")
        self.auto_sync.valueChanged.connect(self._auto_sync_edited)
        auto_row = QHBoxLayout()
        auto_row.setContentsMargins(0, 0, 0, 0)
        auto_row.addWidget(QLabel("Auto-sync every"))
        auto_row.addWidget(self.auto_sync)
        auto_row.addStretch(1)
        self.auto_row = QWidget()
        self.auto_row.setLayout(auto_row)

        self.connect_button = QPushButton("Connect")
        self.connect_button.setObjectName("connectButton")
        self.connect_button.clicked.connect(self.connect_requested)
        self.reconnect_button = QPushButton("Reconnect")
        self.reconnect_button.setObjectName("reconnectButton")
        self.reconnect_button.clicked.connect(self.connect_requested)
        self.retry_button = QPushButton("Try Again")
        self.retry_button.setObjectName("retryButton")
        self.retry_button.clicked.connect(self.retry_requested)
        self.settings_button = QPushButton("Open Settings")
        self.settings_button.setObjectName("openSettingsButton")
        self.settings_button.clicked.connect(self.settings_requested)
        self.sync_button = QPushButton("Sync Now")
        self.sync_button.setObjectName("syncButton")
        self.sync_button.clicked.connect(self.sync_requested)
        self.disconnect_button = QPushButton("Disconnect")
        self.disconnect_button.setObjectName("disconnectButton")
        self.disconnect_button.setToolTip(
            "Revoke access at the provider and remove the saved sign-in from the keychain")
        self.disconnect_button.clicked.connect(self.disconnect_requested)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.clicked.connect(self.cancel_requested)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.connect_button, self.reconnect_button, self.settings_button,
                       self.retry_button, self.sync_button, self.cancel_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.disconnect_button)

        header = QHBoxLayout()
        header.addWidget(self.badge)
        header.addWidget(self.title)
        header.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.headline)
        layout.addWidget(self.detail_area)
        layout.addWidget(self.url_row)
        layout.addWidget(self.tenant_row)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.time_left_label)
        layout.addWidget(self.auto_row)
        layout.addStretch(1)
        layout.addLayout(buttons)

        self._updating = False
        self.offline = False
        #: The status dot's colour and the organisations listed, as last set (`set_state`
        #: changes them only when they change).
        self.badge_colour = ""
        self._tenants_shown: list[tuple[str, str]] = []
        self.state = state
        # As tall as its tallest state (syncing: progress and auto-sync rows), whatever it shows.
        for row in (self.url_row, self.tenant_row):
            row.setVisible(False)
        for row in (self.progress_label, self.progress_bar, self.time_left_label, self.auto_row):
            row.setVisible(True)
        self.setFixedHeight(self.sizeHint().height())
        self.set_state(state)

    def set_state(self, state: CardState) -> None:
        """Show `state` (the only way the card changes)."""
        if state.provider is not self.state.provider:
            raise ValueError(f"A {self.state.provider.display_name} card cannot show "
                             f"{state.provider.display_name}.")
        self.state = state
        phase = state.phase
        self.headline.setText(state.headline)
        colour = _BADGE_COLOURS.get(phase, _BADGE_IDLE)
        if colour != self.badge_colour:
            # Only when it changes: a style sheet is parsed and the dot re-polished each time,
            # and a sync's progress comes through here up to 10 times a second.
            self.badge_colour = colour
            self.badge.setStyleSheet(f"background: {colour}; border-radius: 6px;")
        self.badge.setToolTip(_BADGE_TIPS.get(phase, "Not connected"))
        self.detail.setText(state.detail_while(offline=self.offline))

        self.url_row.setVisible(phase is Phase.WAITING_FOR_BROWSER and bool(state.auth_url))
        self.url_edit.setText(state.auth_url)
        self.url_edit.setCursorPosition(0)

        self.tenant_row.setVisible(phase is Phase.CHOOSE_TENANT)
        tenants = [(tenant.name, tenant.tenant_id) for tenant in state.tenants]
        if tenants != self._tenants_shown:
            self._tenants_shown = tenants
            self.tenant_combo.clear()
            for name, tenant_id in tenants:
                self.tenant_combo.addItem(name, tenant_id)

        syncing = phase is Phase.SYNCING
        for row in (self.progress_bar, self.progress_label, self.time_left_label):
            row.setVisible(syncing)
        if syncing:
            self.progress_label.setText(state.progress_text)
            self.time_left_label.setText(state.time_left_text)
            # Determinate once the phase's total is known; a busy indicator until then.
            show_progress(self.progress_bar, state.progress or ProgressSnapshot("", 0, None))

        self.auto_row.setVisible(phase in (Phase.CONNECTED, Phase.SYNCING))
        self._updating = True
        try:
            self.auto_sync.setValue(state.auto_sync_minutes)
        finally:
            self._updating = False

        self.connect_button.setVisible(phase is Phase.NOT_CONNECTED)
        self.reconnect_button.setVisible(phase is Phase.NEEDS_RECONNECT)
        self.settings_button.setVisible(phase is Phase.NEEDS_SETTINGS)
        # After Open Settings, Try Again connects with what was filled in.
        self.retry_button.setVisible(phase in (Phase.ERROR, Phase.NEEDS_SETTINGS))
        self.sync_button.setVisible(phase is Phase.CONNECTED)
        self.cancel_button.setVisible(phase in (Phase.WAITING_FOR_BROWSER, Phase.SYNCING,
                                                Phase.CHOOSE_TENANT))
        self.cancel_button.setEnabled(not state.cancelling)
        self.disconnect_button.setVisible(
            phase in (Phase.CONNECTED, Phase.NEEDS_RECONNECT, Phase.ERROR, Phase.NEEDS_SETTINGS)
            and bool(state.company_name))
        self.setProperty("phase", phase.value)

    def set_offline(self, offline: bool) -> None:
        """Say "Offline — auto-sync paused" (or stop saying it) above the last sync."""
        if offline != self.offline:
            self.offline = offline
            self.detail.setText(self.state.detail_while(offline=offline))

    def copy_url(self) -> None:
        """Put the sign-in address on the clipboard (for when no browser opened), and say so
        on the button for a moment."""
        QGuiApplication.clipboard().setText(self.state.auth_url)
        self.copy_button.setText("Copied ✓")
        self._copied_timer.start()

    def _choose_tenant(self) -> None:
        tenant_id = self.tenant_combo.currentData()
        if tenant_id:
            self.tenant_chosen.emit(str(tenant_id))

    def _auto_sync_edited(self, minutes: int) -> None:
        if not self._updating:
            self.auto_sync_changed.emit(minutes)

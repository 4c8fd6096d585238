"""Auto-sync: polling instead of webhooks (PRODUCT.md §4), from the GUI's side.

Every `check_every_ms` a timer looks at the cards of the current company: a provider that is
connected, has an interval (minutes, per company or the app setting; 0 = off) and whose last sync
is older than that interval is synced through the controller's Sync Now. A card in any other state
(syncing, an error, reconnect needed) is left alone, so a failing sync is not retried in a loop;
backing off when the provider throttles is the sync engine's job (`sync/`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from bookkeeper_desktop.gui.integrations.controller import IntegrationsController
from bookkeeper_desktop.gui.integrations.state import Phase, Provider

Clock = Callable[[], dt.datetime]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AutoSync(QObject):
    """Starts Sync Now for connected providers whose interval has passed.

    Attributes:
        started: (provider, when) of every sync this scheduler started, for the status bar/tests.
    """

    CHECK_EVERY_MS = 30_000

    def __init__(self, controller: IntegrationsController, *, clock: Clock = _utc_now,
                 check_every_ms: int = CHECK_EVERY_MS, parent: QObject | None = None) -> None:
        super().__init__(parent if parent is not None else controller)
        self.controller = controller
        self.pane = controller.pane
        self.clock = clock
        self.started: list[tuple[Provider, dt.datetime]] = []
        self._last_started: dict[tuple[int | None, Provider], dt.datetime] = {}
        self.timer = QTimer(self)
        self.timer.setInterval(check_every_ms)
        self.timer.timeout.connect(self.check)

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def due(self) -> list[Provider]:
        """Providers whose auto-sync is due now."""
        if self.controller.sync_function is None or self.pane.ctx.company_id is None:
            return []
        now = self.clock()
        due: list[Provider] = []
        for provider, card in self.pane.cards.items():
            state = card.state
            if state.phase is not Phase.CONNECTED or state.auto_sync_minutes <= 0:
                continue
            if provider in self.controller.syncing:
                continue
            # The later of the last recorded sync and the last one this scheduler started (a
            # sync that records no run must not be started again at every check).
            times = [t for t in (state.last_sync.at if state.last_sync else None,
                                 self._last_started.get((self.pane.ctx.company_id, provider)))
                     if t is not None]
            if not times or now - max(times) >= dt.timedelta(minutes=state.auto_sync_minutes):
                due.append(provider)
        return due

    def check(self) -> None:
        for provider in self.due():
            now = self.clock()
            self.started.append((provider, now))
            self._last_started[(self.pane.ctx.company_id, provider)] = now
            self.controller.sync_now(provider)

"""Auto-sync: polling instead of webhooks (PRODUCT.md §4), from the GUI's side.

Every `check_every_ms` a timer looks at the cards of the current company: a provider that is
connected, has an interval (minutes, per company or the app setting; 0 = off) and whose last sync
is older than that interval is synced through the controller's Sync Now. A card in any other state
(syncing, an error, reconnect needed) is left alone, so a failing sync is not retried in a loop.

After a run it started, the next one waits as `bookkeeper sync --watch` does
(`sync.engine.next_delay`, one rule for both): the interval, doubled for each idle run in a row up
to 8×; after a failed or throttled run (offline, a 429, the daily limit) at least its Retry-After
or twice the interval.

Offline (`gui.integrations.online.OnlineMonitor`, optional): every sync, automatic or Sync Now,
tells the monitor how it went; a failed one makes it probe the provider's host. While the
monitor says a provider is offline no timer-driven sync of it starts and its card says
"Offline — auto-sync paused" (Sync Now by hand still runs and says why it failed). When the host
answers again, a provider whose last run failed is due at once (not after the failure back-off),
and the check runs straight away, so a sync that came due while offline starts promptly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer

from bookkeeper_desktop.core.errors import Cancelled
from bookkeeper_desktop.gui.integrations.controller import IntegrationsController
from bookkeeper_desktop.gui.integrations.online import OnlineMonitor
from bookkeeper_desktop.gui.integrations.state import LastSync, Phase
from bookkeeper_desktop.jobs import Job
from bookkeeper_desktop.providers.config import Provider

Clock = Callable[[], dt.datetime]
#: The longest automatic back-off, as a multiple of the interval.
MAX_BACKOFF = 8


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AutoSync(QObject):
    """Starts Sync Now for connected providers whose interval has passed.

    Attributes:
        started: (provider, when) of every sync this scheduler started, for the status bar/tests.
        online: the `OnlineMonitor` that pauses it, or None (never paused).
    """

    CHECK_EVERY_MS = 30_000

    def __init__(self, controller: IntegrationsController, *, clock: Clock = _utc_now,
                 check_every_ms: int = CHECK_EVERY_MS, online: OnlineMonitor | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent if parent is not None else controller)
        self.controller = controller
        self.pane = controller.pane
        self.clock = clock
        self.started: list[tuple[Provider, dt.datetime]] = []
        self._last_started: dict[tuple[int | None, Provider], dt.datetime] = {}
        #: When the next automatic run is due after one this scheduler started (back-off).
        self.next_due: dict[tuple[int | None, Provider], dt.datetime] = {}
        self._idle_runs: dict[tuple[int | None, Provider], int] = {}
        #: Company and provider whose last run (automatic or by hand) failed.
        self._failed: set[tuple[int | None, Provider]] = set()
        self.timer = QTimer(self)
        self.timer.setInterval(check_every_ms)
        self.timer.timeout.connect(self.check)
        self.online = online
        if online is not None:
            online.provider_online_changed.connect(self._online_changed)
            # Every sync's outcome teaches the monitor, whoever started it (the first sync
            # after a Connect too, which no button starts).
            controller.sync_started.connect(self._observe_started)
            for provider in Provider:
                self.pane.card(provider).set_offline(online.is_offline(provider))

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
            shown_longer = self.pane.sync_showing_after_end(provider)
            if (state.phase is not Phase.CONNECTED and not shown_longer) \
                    or state.auto_sync_minutes <= 0:
                continue
            if provider in self.controller.syncing:
                continue
            if self.online is not None and self.online.is_offline(provider):
                continue  # paused; the monitor's probe brings it back
            # The later of the last recorded sync and the last one this scheduler started (a
            # sync that records no run must not be started again at every check).
            times = [t for t in (state.last_sync.at if state.last_sync else None,
                                 self._last_started.get((self.pane.ctx.company_id, provider)))
                     if t is not None]
            backed_off = self.next_due.get((self.pane.ctx.company_id, provider))
            if backed_off is not None:
                if now >= backed_off:
                    due.append(provider)
            elif not times or now - max(times) >= dt.timedelta(
                    minutes=state.auto_sync_minutes):
                due.append(provider)
        return due

    def check(self) -> None:
        for provider in self.due():
            now = self.clock()
            self.started.append((provider, now))
            key = (self.pane.ctx.company_id, provider)
            self._last_started[key] = now
            self.controller.sync_now(provider)
            job = self.controller.syncing.get(provider)
            if job is not None:
                minutes = self.pane.cards[provider].state.auto_sync_minutes
                job.succeeded.connect(
                    lambda last, key=key, minutes=minutes: self._finished(key, minutes, last))

    def _observe_started(self, provider: Provider, job: Job[Any]) -> None:
        self._observe((self.pane.ctx.company_id, provider), job)

    def _observe(self, key: tuple[int | None, Provider], job: Job[Any]) -> None:
        """Tell the monitor how the sync `job` for `key` went."""
        online = self.online
        if online is None:
            return
        provider = key[1]

        def succeeded(last: object) -> None:
            ok = isinstance(last, LastSync) and last.ok
            result = getattr(last, "result", None)
            if result is not None:
                # The engine is loaded by now: it just ran.
                from bookkeeper_desktop.services.sync_runs import RunStatus  # noqa: PLC0415

                if getattr(result, "status", None) is RunStatus.CANCELLED:
                    return  # stopped by the user or the app closing: says nothing
            throttled = getattr(result, "retry_after", None) is not None
            if ok:
                self._failed.discard(key)
                online.run_succeeded(provider)
            else:
                self._failed.add(key)
                if not throttled:  # a 429 or the daily limit: the host answered
                    online.run_failed(provider)

        def failed(error: BaseException) -> None:
            if not isinstance(error, Cancelled):
                self._failed.add(key)
                online.run_failed(provider, error)

        job.succeeded.connect(succeeded)
        job.failed.connect(failed)

    def _online_changed(self, provider: Provider, online: bool) -> None:
        """The monitor's verdict for `provider`: show it on the card; when back, a provider
        whose last run failed is due now, and the check runs at once."""
        self.pane.card(provider).set_offline(not online)
        if not online:
            return
        now = self.clock()
        for key in [k for k in self._failed if k[1] is provider]:
            self.next_due[key] = now
        if self.timer.isActive():
            QTimer.singleShot(0, self, self.check)

    def _finished(self, key: tuple[int | None, Provider], minutes: int, last: object) -> None:
        """Schedule the next automatic run after `last` (a `LastSync`)."""
        result = getattr(last, "result", None)
        if result is None:
            return
        # Imported on the first automatic run: the engine pulls in the HTTP stack.
        from bookkeeper_desktop.sync.engine import is_idle, next_delay  # noqa: PLC0415

        idle = self._idle_runs.get(key, 0) + 1 if is_idle(result) else 0
        self._idle_runs[key] = idle
        interval = minutes * 60.0
        delay = next_delay(result, interval, idle, max_interval=interval * MAX_BACKOFF)
        self.next_due[key] = self.clock() + dt.timedelta(seconds=delay)

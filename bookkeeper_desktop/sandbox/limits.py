"""Rate limits as QBO and Xero enforce them, server side.

From API_NOTES.md ("limits" rows):

- QBO: 500 requests/min per realm (and app), 10 concurrent per app and realm, the batch endpoint
  120 requests/min per realm (since 31 Oct 2025), Reports 200/min per realm. Over the limit:
  HTTP 429 (the body shape lives in `qbo_server`).
- Xero: per tenant 60 calls/min, 5,000/day, 5 concurrent; per app 10,000/min. Over the limit: 429
  with `Retry-After` and `X-Rate-Limit-Problem` (`minute`, `day`, `concurrent`, `appminute`);
  `X-MinLimit-Remaining`, `X-DayLimit-Remaining`, `X-AppMinLimit-Remaining` on every response.

Windows slide (a call counts for exactly one minute / one day after it was admitted). `time_scale`
shrinks every window: 0.01 makes a minute 0.6 s of the injected clock. `Retry-After` values are in
the vendor's (unscaled) seconds, rounded up — a client multiplies by its own time scale, as
`providers.ratelimit.RateBudget.pause` expects. Refused calls do not count.
`enabled=False` keeps counting (the Xero headers stay truthful) but never refuses.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bookkeeper_desktop.sandbox.clock import Clock

MINUTE = 60.0
DAY = 86_400.0

QBO_PER_MINUTE = 500
QBO_CONCURRENT = 10
QBO_BATCH_PER_MINUTE = 120
QBO_REPORTS_PER_MINUTE = 200
XERO_PER_MINUTE = 60
XERO_PER_DAY = 5_000
XERO_CONCURRENT = 5
XERO_APP_PER_MINUTE = 10_000


class _Window:
    """Timestamps of admitted calls within one sliding window."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self.calls: deque[float] = deque()

    def trim(self, now: float, scale: float) -> None:
        horizon = now - self.seconds * scale
        while self.calls and self.calls[0] <= horizon:
            self.calls.popleft()

    def full(self) -> bool:
        return len(self.calls) >= self.limit

    def retry_after(self, now: float, scale: float) -> int:
        """Vendor seconds until the oldest call leaves the window (at least 1)."""
        if not self.calls:
            return 1
        wall = self.calls[0] + self.seconds * scale - now
        return max(1, math.ceil(wall / scale)) if scale > 0 else 1

    def remaining(self) -> int:
        return max(0, self.limit - len(self.calls))


@dataclass
class Admission:
    """The limiter's answer for one call. `problem` is None when the call was admitted."""

    problem: str | None = None
    retry_after: int = 0
    remaining: dict[str, int] = field(default_factory=dict)
    _release: Callable[[], None] | None = None

    @property
    def admitted(self) -> bool:
        return self.problem is None

    def release(self) -> None:
        """End the call's concurrency slot (idempotent)."""
        if self._release is not None:
            release, self._release = self._release, None
            release()


class _Limiter:
    def __init__(self, clock: Clock, *, enabled: bool, time_scale: float) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.clock = clock
        self.enabled = enabled
        self.time_scale = time_scale
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, ...], _Window] = {}
        self._in_flight: dict[str, int] = {}

    def configure(self, *, enabled: bool | None = None, time_scale: float | None = None) -> None:
        with self._lock:
            if enabled is not None:
                self.enabled = enabled
            if time_scale is not None:
                if time_scale <= 0:
                    raise ValueError("time_scale must be positive")
                self.time_scale = time_scale

    def _window(self, key: tuple[str, ...], limit: int, seconds: float) -> _Window:
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Window(limit, seconds)
        window.trim(self.clock.now(), self.time_scale)
        return window

    def _releaser(self, key: str) -> Callable[[], None]:
        def release() -> None:
            with self._lock:
                self._in_flight[key] -= 1
        return release

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            now = self.clock.now()
            for window in self._windows.values():
                window.trim(now, self.time_scale)
            return {
                "enabled": self.enabled,
                "time_scale": self.time_scale,
                "windows": {"/".join(k): len(w.calls) for k, w in self._windows.items()},
                "in_flight": {k: v for k, v in self._in_flight.items() if v},
            }


class QboLimiter(_Limiter):
    """Intuit's limits, keyed by app (client id) and realm."""

    def admit(self, client_id: str, realm_id: str, *, batch: bool = False,
              reports: bool = False) -> Admission:
        """One call to the realm; `batch` for `/batch`, `reports` for `/reports/…`."""
        key = f"{client_id}/{realm_id}"
        with self._lock:
            now, scale = self.clock.now(), self.time_scale
            minute = self._window(("minute", key), QBO_PER_MINUTE, MINUTE)
            special = None
            if batch:
                special = self._window(("batch", key), QBO_BATCH_PER_MINUTE, MINUTE)
            elif reports:
                special = self._window(("reports", key), QBO_REPORTS_PER_MINUTE, MINUTE)
            in_flight = self._in_flight.get(key, 0)
            if self.enabled:
                if in_flight >= QBO_CONCURRENT:
                    return Admission("concurrent", 1)
                if minute.full():
                    return Admission("minute", minute.retry_after(now, scale))
                if special is not None and special.full():
                    return Admission("batch" if batch else "reports",
                                     special.retry_after(now, scale))
            minute.calls.append(now)
            if special is not None:
                special.calls.append(now)
            self._in_flight[key] = in_flight + 1
            return Admission(None, 0, {"minute": minute.remaining()}, self._releaser(key))


class XeroLimiter(_Limiter):
    """Xero's limits: per tenant (minute, day, concurrent) and per app (minute)."""

    def admit(self, client_id: str, tenant_id: str) -> Admission:
        with self._lock:
            now, scale = self.clock.now(), self.time_scale
            minute = self._window(("minute", tenant_id), XERO_PER_MINUTE, MINUTE)
            day = self._window(("day", tenant_id), XERO_PER_DAY, DAY)
            app = self._window(("appminute", client_id), XERO_APP_PER_MINUTE, MINUTE)
            in_flight = self._in_flight.get(tenant_id, 0)

            def remaining() -> dict[str, int]:
                return {"minute": minute.remaining(), "day": day.remaining(),
                        "appminute": app.remaining()}

            if self.enabled:
                if day.full():
                    return Admission("day", day.retry_after(now, scale), remaining())
                if app.full():
                    return Admission("appminute", app.retry_after(now, scale), remaining())
                if minute.full():
                    return Admission("minute", minute.retry_after(now, scale), remaining())
                if in_flight >= XERO_CONCURRENT:
                    return Admission("concurrent", 1, remaining())
            for window in (minute, day, app):
                window.calls.append(now)
            self._in_flight[tenant_id] = in_flight + 1
            return Admission(None, 0, remaining(), self._releaser(tenant_id))

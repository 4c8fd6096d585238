"""Time as the sandboxes see it, injectable so tests can jump ahead instead of sleeping.

Token expiry (QBO access token 3,600 s, Xero 1,800 s), Xero's 30-minute refresh grace period and the
rate-limit windows all read `Clock.now()`. Tests pass a `FakeClock` and `advance()` it.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the Unix epoch."""


class SystemClock:
    def now(self) -> float:
        return time.time()


class FakeClock:
    """A clock that only moves when told to. Thread-safe."""

    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


def utc_datetime(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def iso_utc(timestamp: float) -> str:
    """`2026-11-24T08:00:00.123Z`, the form both vendors use in JSON timestamps."""
    return utc_datetime(timestamp).isoformat(timespec="milliseconds").replace("+00:00", "Z")

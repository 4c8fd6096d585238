"""Requests per client address: a token bucket per address, in memory (the relay is stateless:
a restart forgets the counts, which only ever errs towards letting a user through)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

#: Past this many addresses, full buckets (idle addresses) are dropped.
MAX_TRACKED = 10_000


class AddressLimiter:
    """`rate_per_minute` requests per address, with a burst of the same size."""

    def __init__(self, rate_per_minute: int, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(rate_per_minute)
        self.refill_per_second = rate_per_minute / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, when)
        self._lock = threading.Lock()

    def admit(self, address: str) -> float:
        """0 when the request may go ahead; else the seconds until it could (Retry-After)."""
        now = self.clock()
        with self._lock:
            tokens, then = self._buckets.get(address, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - then) * self.refill_per_second)
            if tokens >= 1.0:
                self._buckets[address] = (tokens - 1.0, now)
                self._prune(now)
                return 0.0
            self._buckets[address] = (tokens, now)
            return (1.0 - tokens) / self.refill_per_second

    def _prune(self, now: float) -> None:
        if len(self._buckets) <= MAX_TRACKED:
            return
        full = [address for address, (tokens, then) in self._buckets.items()
                if tokens + (now - then) * self.refill_per_second >= self.capacity]
        for address in full:
            del self._buckets[address]

"""Staying inside the providers' rate limits on our side, before the server complains.

Each realm (QBO) or tenant (Xero) gets a `RateBudget`: a sliding window of calls per minute, a cap
on calls in flight, and (Xero) a daily allowance. `acquire()` waits for a free slot rather than
sending a call the server would refuse with 429, and lets waiting callers in first come, first
served (a pull's first reads are not overtaken by the transaction pages asked for after them);
`DailyLimitReached` stops a sync with a clear message instead of waiting until tomorrow.
`Backoff` gives the jittered delays for retrying 5xx and dropped connections.

Limits, from API_NOTES.md: QBO 500 requests/min per realm, 10 concurrent, batch endpoint
120 requests/min; Xero 60 calls/min, 5 concurrent and 5,000/day per tenant.

`time_scale` shrinks every window (0.01 makes a minute 0.6 s) so tests and benchmarks can run
against the sandboxes' equally scaled limits. `margin` lengthens every window by that many real
(unscaled) seconds: the provider counts a call from when it arrives, we from when it leaves
(`sync.clients.WINDOW_MARGIN` says how much that is).
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bookkeeper_desktop.core.errors import DailyLimitReached
from bookkeeper_desktop.core.progress import CANCEL_POLL_SECONDS, Progress

MINUTE = 60.0
DAY = 86_400.0
#: The longest a caller waiting for time (a window to slide, a pause) sleeps before it looks
#: at Cancel and the budget again, in seconds.
TIME_POLL = 0.25


@dataclass(frozen=True)
class Limits:
    per_minute: int
    concurrent: int
    per_day: int | None = None


QBO_LIMITS = Limits(per_minute=500, concurrent=10)
QBO_BATCH_LIMITS = Limits(per_minute=120, concurrent=10)
XERO_LIMITS = Limits(per_minute=60, concurrent=5, per_day=5_000)


class RateBudget:
    """The call budget of one realm or tenant. Thread-safe.

    Attributes:
        limits: the provider's published limits.
        time_scale: factor applied to the minute and day windows.
        margin: seconds added to each window after scaling (network time is not scaled).
    """

    def __init__(
        self,
        limits: Limits,
        *,
        time_scale: float = 1.0,
        margin: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if margin < 0:
            raise ValueError("a window margin cannot be negative")
        self.limits = limits
        self.time_scale = time_scale
        self.margin = margin
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        #: Wakes the waiting callers when a slot is released or the caller ahead leaves.
        self._changed = threading.Condition(self._lock)
        #: The waiting callers, first come first: only the first may take a slot.
        self._queue: deque[object] = deque()
        self._minute_calls: deque[float] = deque()
        self._day_calls: deque[float] = deque()
        self._in_flight = 0
        self._paused_until = 0.0

    @property
    def minute(self) -> float:
        return MINUTE * self.time_scale + self.margin

    @property
    def day(self) -> float:
        return DAY * self.time_scale + self.margin

    def pause(self, seconds: float) -> None:
        """Stop every caller for `seconds` (a 429's Retry-After, already scaled by the caller)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _wait_time(self, now: float) -> float:
        """Seconds until the windows and a pause let a call start; 0 when they let it start now
        (the calls in flight aside). Caller holds the lock."""
        while self._minute_calls and now - self._minute_calls[0] >= self.minute:
            self._minute_calls.popleft()
        if self.limits.per_day is not None:
            while self._day_calls and now - self._day_calls[0] >= self.day:
                self._day_calls.popleft()
            if len(self._day_calls) >= self.limits.per_day:
                raise DailyLimitReached(
                    f"The provider's daily limit of {self.limits.per_day:,} calls is used up.",
                    retry_after=self._day_calls[0] + self.day - now,
                    hint="Sync resumes automatically tomorrow; nothing was lost.",
                )
        waits = [self._paused_until - now]
        if len(self._minute_calls) >= self.limits.per_minute:
            waits.append(self._minute_calls[0] + self.minute - now)
        return max(0.0, *waits)

    def acquire(self, progress: Progress | None = None) -> None:
        """Block until a call may start, then count it as started. Call `release()` after.

        Callers are let in first come, first served: each waits its turn in a queue and only
        the first may take a slot, so a call asked for early (a contacts page) is never
        overtaken by calls asked for after it (transaction pages). The first waits for a slot
        to be released (woken at once by `release`) or for time (a window to slide, a pause:
        `sleep` in steps of at most `TIME_POLL`); the others until it has gone. Every waiter
        looks at Cancel at least every `CANCEL_POLL_SECONDS` (`TIME_POLL` while sleeping); a caller
        that leaves (Cancel, the daily limit) gives its turn to the next."""
        turn = object()
        with self._lock:
            self._queue.append(turn)
        try:
            while True:
                with self._lock:
                    if self._queue[0] is turn:
                        now = self._clock()
                        wait = self._wait_time(now)
                        if wait <= 0 and self._in_flight < self.limits.concurrent:
                            self._minute_calls.append(now)
                            if self.limits.per_day is not None:
                                self._day_calls.append(now)
                            self._in_flight += 1
                            return
                    else:
                        wait = 0.0
                    if wait <= 0:  # a slot to be released, or the callers ahead to go
                        self._changed.wait(CANCEL_POLL_SECONDS)
                if progress is not None:
                    progress.check_cancelled()
                if wait > 0:
                    self._sleep(min(wait, TIME_POLL))
        finally:
            with self._lock:
                self._queue.remove(turn)
                self._changed.notify_all()

    def release(self) -> None:
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            self._changed.notify_all()

    @property
    def waiting(self) -> int:
        """How many callers wait in `acquire` for their turn."""
        with self._lock:
            return len(self._queue)

    @contextmanager
    def slot(self, progress: Progress | None = None) -> Iterator[None]:
        self.acquire(progress)
        try:
            yield
        finally:
            self.release()

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def calls_in_window(self) -> int:
        with self._lock:
            now = self._clock()
            return sum(1 for t in self._minute_calls if now - t < self.minute)


class Backoff:
    """Exponential backoff with full jitter (AWS architecture blog's "full jitter"): attempt n
    waits a random time in [0, min(cap, base·2ⁿ)], so many clients retrying at once spread out."""

    def __init__(
        self, *, base: float = 0.5, cap: float = 30.0, attempts: int = 5,
        rng: random.Random | None = None,
    ) -> None:
        self.base = base
        self.cap = cap
        self.attempts = attempts
        self._rng = rng or random.Random()

    def delays(self) -> Iterator[float]:
        """One delay before each retry; `attempts - 1` of them."""
        for attempt in range(self.attempts - 1):
            yield self._rng.uniform(0, min(self.cap, self.base * 2**attempt))

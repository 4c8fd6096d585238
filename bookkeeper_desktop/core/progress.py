"""A small thread-safe progress object with a cancel flag, shared by a worker and its caller.

The worker calls `report()` and `check_cancelled()` at safe points; the caller (the GUI through
the jobs layer, or the CLI) reads `snapshot()` and may call `cancel()`. No Qt here: the jobs layer
turns snapshots into signals.

A snapshot carries the time left in its phase, from `TimeLeftEstimator` (issue 15: "an honest
time estimate"), and `progress_line()` says all of it in the words the card and the CLI show:
"Sending entries: 1,200 of 5,000 — about 2 minutes left".

A request in flight is not a safe point, but it may be *abandoned*: `call_unless_cancelled` runs
a call in a helper thread and gives up waiting for it within `CANCEL_POLL_SECONDS` of Cancel (an
HTTP request cannot be interrupted; its answer is dropped when it comes). That is the same as a
connection cut off mid-request, which the sync already recovers from (the outbox is reconciled
with the provider at the next run), and it lets Cancel end a sync within a second however slow
the provider answers.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from bookkeeper_desktop.core.errors import Cancelled

T = TypeVar("T")

#: How often a worker waiting for an abandonable call looks at the cancel flag (seconds).
CANCEL_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class ProgressSnapshot:
    """Where a job is. `total` None: not known (no count, no time estimate). `approximate`:
    `total` is an estimate ("of about 20,000"). `seconds_left` in this phase: None until there
    is enough to estimate from (see `TimeLeftEstimator`). `stalled`: nothing moved for a while
    (why there is no estimate)."""

    phase: str
    done: int
    total: int | None
    approximate: bool = False
    seconds_left: float | None = None
    stalled: bool = False

    @property
    def fraction(self) -> float | None:
        return None if not self.total else min(1.0, self.done / self.total)

    @property
    def counts_text(self) -> str:
        """"Sending entries: 1,200 of 5,000", "Reading invoices: 4,000 of about 20,000",
        "Reading contacts: 300 so far", or the phase alone before anything was counted."""
        if self.total:
            about = "about " if self.approximate else ""
            return f"{self.phase}: {self.done:,} of {about}{self.total:,}"
        if self.done:
            return f"{self.phase}: {self.done:,} so far"
        return self.phase

    @property
    def time_left_text(self) -> str:
        """"about 2 minutes left"; why there is none ("no time estimate: the total is not
        known"); "" where an estimate would mean nothing (a phase of a few big steps)."""
        if self.seconds_left is not None:
            return time_left_words(self.seconds_left)
        if self.stalled:
            return f"no time estimate: nothing moved for {STALLED_AFTER_SECONDS:.0f} s"
        if self.total is None and self.done:
            return "no time estimate: the total is not known"
        if self.total is not None and self.total >= MIN_TOTAL_TO_ESTIMATE \
                and self.done < self.total:
            return "estimating the time left…"
        return ""


def progress_line(snapshot: ProgressSnapshot) -> str:
    """The one line the card and the CLI show: counts, then the time left or why there is
    none."""
    left = snapshot.time_left_text
    return f"{snapshot.counts_text} — {left}" if left else snapshot.counts_text


def time_left_words(seconds: float) -> str:
    """Rounded the way a person says it; never negative, never to the second."""
    if seconds < 10:
        return "a few seconds left"
    if seconds < 50:
        return "less than a minute left"
    minutes = seconds / 60.0
    if minutes < 1.5:
        return "about a minute left"
    if minutes < 10:
        return f"about {round(minutes)} minutes left"
    if minutes < 100:
        return f"about {5 * round(minutes / 5)} minutes left"
    hours = minutes / 60.0
    if hours < 1.75:
        return "about an hour and a half left"
    return f"about {round(hours)} hours left"


#: An estimate needs this many seconds of progress in the phase, and this many steps of it.
MIN_SECONDS_TO_ESTIMATE = 3.0
MIN_STEPS_TO_ESTIMATE = 3
#: A phase counted in fewer steps than this (the kinds of transactions, read one after another)
#: moves too unevenly for a rate to mean anything: no estimate.
MIN_TOTAL_TO_ESTIMATE = 50
#: The rate is measured over the last this many seconds (recent speed, not the whole phase's).
RATE_WINDOW_SECONDS = 30.0
#: Nothing moved for this long: no estimate ("nothing moved"), rather than a number that grows.
STALLED_AFTER_SECONDS = 20.0
#: Smoothing time constant: a new rate takes about this long to show fully in the estimate.
SMOOTHING_SECONDS = 8.0
#: One update moves the estimate by at most this factor either way (no wild jumps).
MAX_STEP_FACTOR = 1.5


class TimeLeftEstimator:
    """The time left in a phase, from its recent rate, smoothed. Not thread-safe (`Progress`
    holds it under its lock); the clock is injected so tests control time.

    Honest by construction: no estimate before `MIN_SECONDS_TO_ESTIMATE` and
    `MIN_STEPS_TO_ESTIMATE` of progress, without a total, for a phase of fewer than
    `MIN_TOTAL_TO_ESTIMATE` steps, or once nothing moved for `STALLED_AFTER_SECONDS`. The rate is
    taken over the last `RATE_WINDOW_SECONDS`; the estimate counts down between reports and moves
    towards each new measurement exponentially (`SMOOTHING_SECONDS`), at most by
    `MAX_STEP_FACTOR` at a time, and is never negative.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._phase: str | None = None
        self._samples: deque[tuple[float, int]] = deque()
        self._steps = 0
        self._started_at = 0.0
        self._moved_at = 0.0
        self._done = 0
        self._total: int | None = None
        #: The smoothed estimate and when it was made (it counts down from there).
        self._estimate: float | None = None
        self._estimated_at = 0.0

    def observe(self, phase: str, done: int, total: int | None) -> None:
        now = self.clock()
        if phase != self._phase or done < self._done:
            self._restart(phase, done, now)
        elif done > self._done:
            self._steps += 1
            self._moved_at = now
            self._samples.append((now, done))
            self._forget_before(now - RATE_WINDOW_SECONDS)
        self._done = done
        self._total = total
        self._update(now)

    def seconds_left(self) -> float | None:
        """The estimate now (counting down since the last report), or None."""
        now = self.clock()
        if self._estimate is None or self.stalled:
            return None
        return max(0.0, self._estimate - (now - self._estimated_at))

    @property
    def stalled(self) -> bool:
        return self._steps > 0 and self._total is not None \
            and self.clock() - self._moved_at >= STALLED_AFTER_SECONDS

    def _restart(self, phase: str, done: int, now: float) -> None:
        self._phase = phase
        self._samples.clear()
        self._samples.append((now, done))
        self._steps = 0
        self._started_at = self._moved_at = now
        self._estimate = None

    def _forget_before(self, start: float) -> None:
        # Keep the newest sample older than the window as its left edge.
        while len(self._samples) > 2 and self._samples[1][0] <= start:
            self._samples.popleft()

    def _update(self, now: float) -> None:
        total = self._total
        if total is None or total < MIN_TOTAL_TO_ESTIMATE or self._done >= total:
            self._estimate = None  # nothing to estimate, or nothing left
            return
        if self._steps < MIN_STEPS_TO_ESTIMATE or now - self._started_at < MIN_SECONDS_TO_ESTIMATE:
            return
        first_at, first_done = self._samples[0]
        elapsed = now - first_at
        if elapsed <= 0 or self._done <= first_done:
            return
        measured = (total - self._done) / ((self._done - first_done) / elapsed)
        if self._estimate is None:
            self._estimate, self._estimated_at = measured, now
            return
        counted_down = max(0.0, self._estimate - (now - self._estimated_at))
        weight = 1.0 - math.exp(-(now - self._estimated_at) / SMOOTHING_SECONDS)
        smoothed = counted_down + weight * (measured - counted_down)
        floor = counted_down / MAX_STEP_FACTOR
        ceiling = max(counted_down * MAX_STEP_FACTOR, 1.0)
        self._estimate = min(max(smoothed, floor), ceiling)
        self._estimated_at = now


class Progress:
    """Progress of one job. Safe to use from any thread."""

    def __init__(self, on_report: Callable[[ProgressSnapshot], None] | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._snapshot = ProgressSnapshot("", 0, None)
        self._estimator = TimeLeftEstimator(clock)
        self._on_report = on_report

    def report(self, done: int, total: int | None = None, phase: str | None = None, *,
               approximate: bool = False) -> None:
        """`done` of `total` in `phase` (None: the phase so far). `approximate`: the total is
        an estimate (a count asked before reading, which may change while reading)."""
        with self._lock:
            name = phase if phase is not None else self._snapshot.phase
            self._estimator.observe(name, done, total)
            self._snapshot = ProgressSnapshot(name, done, total, approximate and total is not None)
            snapshot = self._with_estimate()
        if self._on_report is not None:
            self._on_report(snapshot)

    def phase(self, name: str, total: int | None = None) -> None:
        self.report(0, total, name)

    def snapshot(self) -> ProgressSnapshot:
        """Where the job is now, with the time left (whole seconds, so that a poll finds a new
        snapshot at most once a second while nothing is reported)."""
        with self._lock:
            return self._with_estimate()

    def _with_estimate(self) -> ProgressSnapshot:
        left = self._estimator.seconds_left()
        snapshot = self._snapshot
        if left is None and not self._estimator.stalled:
            return snapshot
        return ProgressSnapshot(snapshot.phase, snapshot.done, snapshot.total,
                                snapshot.approximate,
                                None if left is None else float(math.ceil(left)),
                                self._estimator.stalled)

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def check_cancelled(self) -> None:
        """Raise `Cancelled` if the user asked to stop. Call only where stopping is safe."""
        if self._cancelled.is_set():
            raise Cancelled("Cancelled; nothing was left half done.")


def call_unless_cancelled(call: Callable[[], T], progress: Progress | None, *,
                          after_abandoned: Callable[[], None] | None = None) -> T:
    """`call()`'s result, or `Cancelled` within `CANCEL_POLL_SECONDS` of `progress` being
    cancelled while it runs (see the module docstring: only for calls whose lost answer is
    recovered from, like an HTTP request the sync reconciles). The abandoned call goes on in a
    daemon thread; its result or error is dropped, and `after_abandoned()` runs when it ends
    (to free what it held, such as a rate budget's slot) — at once when Cancel came before the
    call started, which it then never does: whenever this raises `Cancelled`,
    `after_abandoned()` runs exactly once."""
    if progress is None:
        return call()
    if progress.cancelled:  # not started: "abandoned" at once
        if after_abandoned is not None:
            after_abandoned()
        progress.check_cancelled()
    finished = threading.Event()
    outcome: list[T] = []
    failure: list[BaseException] = []
    lock = threading.Lock()
    abandoned = False

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:  # handed to the waiting thread (or dropped if abandoned)
            failure.append(exc)
        finally:
            with lock:
                finished.set()
                late = abandoned
            if late and after_abandoned is not None:
                after_abandoned()

    threading.Thread(target=run, name="abandonable-call", daemon=True).start()
    while not finished.wait(CANCEL_POLL_SECONDS):
        if progress.cancelled:
            with lock:
                if not finished.is_set():
                    abandoned = True
                    raise Cancelled("Cancelled; the request in flight was left to finish on "
                                    "its own and its answer dropped.")
    if failure:
        raise failure[0]
    return outcome[0]


#: A progress that nobody watches, for callers that do not care.
def no_progress() -> Progress:
    return Progress()

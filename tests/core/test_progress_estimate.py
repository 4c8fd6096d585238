"""The time-left estimate of `core.progress` (issue 15: "an honest time estimate"), driven by an
injected clock: steady and bursty rates, an unknown total, a rate that drops to zero, and never a
negative or absurd number. Also the words the card and the CLI show, and abandoning a call in
flight on Cancel."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from bookkeeper_desktop.core.errors import Cancelled
from bookkeeper_desktop.core.progress import (
    CANCEL_POLL_SECONDS,
    MIN_SECONDS_TO_ESTIMATE,
    STALLED_AFTER_SECONDS,
    Progress,
    ProgressSnapshot,
    call_unless_cancelled,
    progress_line,
    time_left_words,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def steady(progress: Progress, clock: Clock, *, per_second: int, seconds: int, total: int,
           start: int = 0, phase: str = "Sending entries") -> list[float | None]:
    """Report `per_second` more each second for `seconds`; the estimate after each report."""
    estimates: list[float | None] = []
    done = start
    for _ in range(seconds):
        clock.advance(1.0)
        done = min(total, done + per_second)
        progress.report(done, total, phase)
        estimates.append(progress.snapshot().seconds_left)
    return estimates


def test_steady_rate_gives_the_true_time_left() -> None:
    clock = Clock()
    progress = Progress(clock=clock)
    progress.report(0, 5000, "Sending entries")
    estimates = steady(progress, clock, per_second=50, seconds=20, total=5000)
    # No estimate before there is enough to estimate from.
    assert estimates[: int(MIN_SECONDS_TO_ESTIMATE) - 1] == [None] * (
        int(MIN_SECONDS_TO_ESTIMATE) - 1)
    # 1,000 of 5,000 at 50 a second: 80 s left, within a second (rounded up).
    assert estimates[-1] == pytest.approx(80, abs=1)
    snapshot = progress.snapshot()
    assert progress_line(snapshot) == "Sending entries: 1,000 of 5,000 — about a minute left"


def test_the_estimate_counts_down_between_reports() -> None:
    clock = Clock()
    progress = Progress(clock=clock)
    progress.report(0, 5000, "Sending entries")
    steady(progress, clock, per_second=50, seconds=10, total=5000)
    before = progress.snapshot().seconds_left
    clock.advance(5.0)  # a slow page: no report for 5 s
    after = progress.snapshot().seconds_left
    assert before is not None
    assert after is not None
    assert after == pytest.approx(before - 5, abs=1)


def test_bursty_rate_does_not_jump_wildly() -> None:
    """Pages arrive in bursts (several at once, then a wait): the estimate stays near the
    average rate's and no step moves it by more than half."""
    clock = Clock()
    progress = Progress(clock=clock)
    total, done = 40_000, 0
    progress.report(0, total, "Reading transactions from QuickBooks Online")
    seen: list[float] = []
    for second in range(1, 61):
        clock.advance(1.0)
        if second % 4 == 0:  # 1,000 every 4 s in one burst: 250 a second on average
            done += 1000
            progress.report(done, total)
        left = progress.snapshot().seconds_left
        if left is not None:
            seen.append(left)
    assert seen, "never estimated"
    true_left = (total - done) / 250
    assert seen[-1] == pytest.approx(true_left, abs=max(10.0, true_left * 0.25))
    for earlier, later in itertools.pairwise(seen):
        # Counting down one second between polls, or a measured step of at most ×1.5 / ÷1.5.
        assert later <= earlier * 1.5 + 1
        assert later >= (earlier - 1) / 1.5 - 1


def test_a_slowdown_shows_gradually_and_then_fully() -> None:
    clock = Clock()
    progress = Progress(clock=clock)
    progress.report(0, 10_000, "Sending entries")
    steady(progress, clock, per_second=100, seconds=20, total=10_000)
    fast = progress.snapshot().seconds_left
    assert fast == pytest.approx(80, abs=2)
    estimates = steady(progress, clock, per_second=20, seconds=60, total=10_000, start=2000)
    # 3,200 done at 20 a second now: 340 s left; the 30-second window has forgotten the fast part.
    assert estimates[-1] == pytest.approx(340, rel=0.1)
    assert all(e is not None and e >= 0 for e in estimates)


def test_unknown_total_gives_no_estimate_and_says_so() -> None:
    clock = Clock()
    progress = Progress(clock=clock)
    progress.report(0, None, "Reading transactions from Xero")
    for done in range(1000, 20_001, 1000):
        clock.advance(1.0)
        progress.report(done)
        assert progress.snapshot().seconds_left is None
    snapshot = progress.snapshot()
    assert progress_line(snapshot) == ("Reading transactions from Xero: 20,000 so far — "
                                       "no time estimate: the total is not known")


def test_an_approximate_total_says_about() -> None:
    clock = Clock()
    progress = Progress(clock=clock)
    progress.report(4000, 20_000, "Reading transactions from QuickBooks Online",
                    approximate=True)
    assert progress.snapshot().counts_text == (
        "Reading transactions from QuickBooks Online: 4,000 of about 20,000")
    progress.report(10, None, "Reading contacts", approximate=True)
    assert not progress.snapshot().approximate  # "about" only qualifies a total


def test_rate_dropping_to_zero_ends_the_estimate_then_it_comes_back() -> None:
    clock = Clock()
    progress = Progress(clock=clock)
    progress.report(0, 5000, "Sending entries")
    steady(progress, clock, per_second=50, seconds=10, total=5000)
    for _ in range(int(STALLED_AFTER_SECONDS) - 1):
        clock.advance(1.0)
        left = progress.snapshot().seconds_left
        assert left is not None
        assert left >= 0
    clock.advance(1.0)
    snapshot = progress.snapshot()
    assert snapshot.seconds_left is None
    assert snapshot.stalled
    assert progress_line(snapshot).endswith("no time estimate: nothing moved for 20 s")
    # Moving again: an estimate comes back once measured, and it is not absurd.
    estimates = steady(progress, clock, per_second=50, seconds=10, total=5000, start=500)
    assert estimates[-1] is not None
    assert 0 < estimates[-1] < 5000


def test_a_new_phase_starts_its_own_estimate() -> None:
    clock = Clock()
    progress = Progress(clock=clock)
    progress.report(0, 5000, "Reading transactions")
    steady(progress, clock, per_second=500, seconds=8, total=5000, phase="Reading transactions")
    assert progress.snapshot().seconds_left is not None
    progress.report(0, 3000, "Sending entries")
    assert progress.snapshot().seconds_left is None
    assert progress_line(progress.snapshot()) == (
        "Sending entries: 0 of 3,000 — estimating the time left…")


def test_a_phase_of_a_few_big_steps_gets_no_estimate() -> None:
    """The kinds of transactions read one after another (11 for QBO) say nothing about time."""
    clock = Clock()
    progress = Progress(clock=clock)
    for kind in range(12):
        clock.advance(5.0)
        progress.report(kind, 11, "Pulling Invoice")
        assert progress.snapshot().seconds_left is None
    assert progress_line(progress.snapshot()) == "Pulling Invoice: 11 of 11"


def test_no_negative_or_absurd_estimates_when_done_overshoots_or_goes_back() -> None:
    clock = Clock()
    progress = Progress(clock=clock)
    progress.report(0, 100, "Sending entries")
    steady(progress, clock, per_second=5, seconds=10, total=100)
    progress.report(150, 100)  # more than the total (entries added meanwhile)
    assert progress.snapshot().seconds_left is None
    assert progress.snapshot().fraction == 1.0
    progress.report(10, 100)  # went back (a retry from the start): measured afresh
    assert progress.snapshot().seconds_left is None
    clock.advance(100_000)
    assert progress.snapshot().seconds_left is None


@pytest.mark.parametrize(("seconds", "words"), [
    (0, "a few seconds left"), (9.9, "a few seconds left"), (30, "less than a minute left"),
    (70, "about a minute left"), (130, "about 2 minutes left"), (14 * 60, "about 15 minutes left"),
    (100 * 60, "about an hour and a half left"), (5 * 3600, "about 5 hours left"),
])
def test_time_left_words(seconds: float, words: str) -> None:
    assert time_left_words(seconds) == words


def test_counts_without_a_total_or_anything_done() -> None:
    assert progress_line(ProgressSnapshot("Starting", 0, None)) == "Starting"
    assert progress_line(ProgressSnapshot("Pulling Bill", 3, 11)) == "Pulling Bill: 3 of 11"


# -- abandoning a call in flight ------------------------------------------------------------------

def test_cancel_abandons_a_slow_call_within_the_poll_interval() -> None:
    progress = Progress()
    release = threading.Event()
    after = threading.Event()

    def slow() -> str:
        release.wait(10)
        return "late answer"

    threading.Timer(0.2, progress.cancel).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        call_unless_cancelled(slow, progress, after_abandoned=after.set)
    assert time.monotonic() - started < 0.2 + 3 * CANCEL_POLL_SECONDS + 0.5
    assert not after.is_set()  # still running in the background
    release.set()
    assert after.wait(5)  # and when it ends, what it held is freed


def test_a_call_that_ends_returns_its_answer_or_raises_its_error() -> None:
    progress = Progress()
    assert call_unless_cancelled(lambda: 42, progress) == 42
    assert call_unless_cancelled(lambda: 7, None) == 7

    def broken() -> int:
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        call_unless_cancelled(broken, progress)
    progress.cancel()
    ran: list[int] = []
    freed: list[int] = []
    with pytest.raises(Cancelled):  # already cancelled: not even started, its slot freed
        call_unless_cancelled(lambda: ran.append(1), progress,
                              after_abandoned=lambda: freed.append(1))
    assert (ran, freed) == ([], [1])

import random
import threading
import time

import pytest

from bookkeeper_desktop.core.errors import Cancelled, DailyLimitReached
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.providers.ratelimit import (
    QBO_LIMITS,
    XERO_LIMITS,
    Backoff,
    Limits,
    RateBudget,
)
from bookkeeper_desktop.sync.clients import WINDOW_MARGIN, budget_for


class FakeClock:
    """Time that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_published_limits() -> None:
    assert (QBO_LIMITS.per_minute, QBO_LIMITS.concurrent) == (500, 10)
    assert (XERO_LIMITS.per_minute, XERO_LIMITS.concurrent, XERO_LIMITS.per_day) == (60, 5, 5000)


def test_per_minute_budget_waits_for_the_window_to_slide() -> None:
    clock = FakeClock()
    budget = RateBudget(Limits(per_minute=3, concurrent=10), clock=clock, sleep=clock.sleep)
    for _ in range(3):
        budget.acquire()
        budget.release()
    assert clock.slept == []
    budget.acquire()  # the fourth call must wait until the first leaves the 60 s window
    assert clock.now == pytest.approx(1060.0)
    assert budget.calls_in_window() == 1


def test_time_scale_shrinks_the_window() -> None:
    clock = FakeClock()
    budget = RateBudget(Limits(per_minute=1, concurrent=1), time_scale=0.01, clock=clock,
                        sleep=clock.sleep)
    with budget.slot():
        pass
    with budget.slot():
        pass
    assert clock.now == pytest.approx(1000.6)


def test_the_margin_lengthens_every_window_by_real_seconds() -> None:
    """The margin is network time: not scaled with the window (0.6 s + 0.5 s at scale 0.01),
    and the day's window is as much longer as the minute's."""
    clock = FakeClock()
    budget = RateBudget(Limits(per_minute=1, concurrent=1, per_day=2), time_scale=0.01,
                        margin=0.5, clock=clock, sleep=clock.sleep)
    with budget.slot():
        pass
    with budget.slot():
        pass
    assert clock.now == pytest.approx(1001.1)
    with pytest.raises(DailyLimitReached) as info:
        budget.acquire()
    assert info.value.retry_after == pytest.approx(864.0 + 0.5 - 1.1)
    with pytest.raises(ValueError, match="negative"):
        RateBudget(Limits(per_minute=1, concurrent=1), margin=-0.1)


def test_sync_budgets_keep_the_window_margin() -> None:
    """The budgets the sync's clients share carry `WINDOW_MARGIN` at every time scale."""
    budget = budget_for(Provider.XERO, "margin-test-tenant", time_scale=0.01)
    assert budget.minute == pytest.approx(0.6 + WINDOW_MARGIN)


def test_daily_limit_stops_with_a_clear_message() -> None:
    clock = FakeClock()
    budget = RateBudget(Limits(per_minute=1000, concurrent=5, per_day=2), clock=clock,
                        sleep=clock.sleep)
    with budget.slot():
        pass
    with budget.slot():
        pass
    with pytest.raises(DailyLimitReached) as info:
        budget.acquire()
    assert "daily limit of 2 calls" in info.value.message
    assert info.value.retry_after == pytest.approx(86_400.0)


def test_pause_holds_every_caller() -> None:
    clock = FakeClock()
    budget = RateBudget(Limits(per_minute=100, concurrent=5), clock=clock, sleep=clock.sleep)
    budget.pause(7.5)
    budget.acquire()
    assert clock.now == pytest.approx(1007.5)


def test_concurrency_is_capped_with_real_threads() -> None:
    budget = RateBudget(Limits(per_minute=10_000, concurrent=3))
    peak = 0
    lock = threading.Lock()

    def call() -> None:
        nonlocal peak
        with budget.slot():
            with lock:
                peak = max(peak, budget.in_flight)
            time.sleep(0.02)

    threads = [threading.Thread(target=call) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert peak == 3
    assert budget.in_flight == 0


def test_waiting_can_be_cancelled() -> None:
    clock = FakeClock()
    progress = Progress()
    budget = RateBudget(Limits(per_minute=1, concurrent=1), clock=clock,
                        sleep=lambda s: progress.cancel())
    budget.acquire()
    budget.release()
    with pytest.raises(Cancelled):
        budget.acquire(progress)


def test_backoff_delays_are_jittered_and_capped() -> None:
    backoff = Backoff(base=1.0, cap=4.0, attempts=6, rng=random.Random(7))
    delays = list(backoff.delays())
    assert len(delays) == 5
    bounds = [1, 2, 4, 4, 4]
    assert all(0 <= d <= b for d, b in zip(delays, bounds, strict=True))
    assert len(set(delays)) == 5

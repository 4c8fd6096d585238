from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

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


def _wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.002)


def _count_reaches(items: list[str], count: int) -> Callable[[], bool]:
    return lambda: len(items) == count


class Waiter:
    """A thread that asks `budget` for a slot and keeps it: when it got one, or what it raised."""

    def __init__(self, budget: RateBudget, name: str, admitted: list[str]) -> None:
        self.progress = Progress()
        self.error: BaseException | None = None
        self.left_at: float | None = None
        self._budget, self._name, self._admitted = budget, name, admitted
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self._budget.acquire(self.progress)
            self._admitted.append(self._name)
        except BaseException as exc:
            self.error = exc
        self.left_at = time.monotonic()

    def cancel(self) -> float:
        """Cancel its wait; the seconds it took to leave `acquire`."""
        asked = time.monotonic()
        self.progress.cancel()
        self.thread.join(5)
        assert self.left_at is not None, "still waiting"
        return self.left_at - asked

    def start(self) -> Waiter:
        queued = self._budget.waiting
        self.thread.start()
        _wait_until(lambda: self._budget.waiting == queued + 1)  # its arrival is known
        return self


def test_more_waiters_than_slots_are_let_in_in_the_order_they_came() -> None:
    budget = RateBudget(Limits(per_minute=10_000, concurrent=2))
    budget.acquire()
    budget.acquire()
    admitted: list[str] = []
    waiters = [Waiter(budget, f"caller {n}", admitted).start() for n in range(8)]
    for freed in range(1, len(waiters) + 1):
        budget.release()
        _wait_until(_count_reaches(admitted, freed))
        assert budget.waiting == len(waiters) - freed
    assert admitted == [f"caller {n}" for n in range(8)]
    assert budget.in_flight == 2


def test_the_first_waiter_takes_the_first_slot_freed_however_many_wait() -> None:
    budget = RateBudget(Limits(per_minute=10_000, concurrent=3))
    for _ in range(3):
        budget.acquire()
    admitted: list[str] = []
    waiters = [Waiter(budget, f"caller {n}", admitted).start() for n in range(12)]
    for _ in range(3):
        budget.release()  # three slots freed at once
    _wait_until(lambda: len(admitted) == 3)
    assert sorted(admitted) == ["caller 0", "caller 1", "caller 2"]
    assert budget.waiting == 9
    for waiter in waiters:
        waiter.progress.cancel()
    for waiter in waiters:
        waiter.thread.join(5)


def test_cancel_wakes_a_waiter_within_a_second_and_the_next_keeps_its_turn() -> None:
    budget = RateBudget(Limits(per_minute=10_000, concurrent=1))
    budget.acquire()
    admitted: list[str] = []
    first, middle, last = (Waiter(budget, name, admitted).start()
                           for name in ("first", "middle", "last"))
    for waiter in (middle, first):  # one behind another caller, then the one at the front
        assert waiter.cancel() < 1.0
        assert isinstance(waiter.error, Cancelled)
    assert budget.waiting == 1
    assert admitted == []
    budget.release()
    last.thread.join(5)
    assert admitted == ["last"]
    assert last.error is None


def test_cancel_wakes_a_waiter_waiting_for_the_minute_window() -> None:
    budget = RateBudget(Limits(per_minute=1, concurrent=5))
    with budget.slot():
        pass
    admitted: list[str] = []
    waiter = Waiter(budget, "second call", admitted).start()
    time.sleep(0.3)  # asleep, waiting for the window to slide (a minute)
    assert waiter.cancel() < 1.0
    assert isinstance(waiter.error, Cancelled)
    assert admitted == []
    assert budget.waiting == 0


def test_backoff_delays_are_jittered_and_capped() -> None:
    backoff = Backoff(base=1.0, cap=4.0, attempts=6, rng=random.Random(7))
    delays = list(backoff.delays())
    assert len(delays) == 5
    bounds = [1, 2, 4, 4, 4]
    assert all(0 <= d <= b for d, b in zip(delays, bounds, strict=True))
    assert len(set(delays)) == 5

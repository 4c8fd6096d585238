"""The engine's pure parts: polling delays (idle and throttled back-off), the watch loop, the
advice each typed error becomes, the retrier's handling of 429 / 5xx / the daily limit."""

from __future__ import annotations

import pytest

from bookkeeper_desktop.core.errors import (
    Cancelled,
    DailyLimitReached,
    NetworkError,
    RateLimited,
    ReconnectNeeded,
    RemoteError,
)
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.services.sync_runs import RunStatus
from bookkeeper_desktop.sync.clients import Retrier
from bookkeeper_desktop.sync.engine import SyncResult, advice, is_idle, next_delay, watch


def _result(status: RunStatus = RunStatus.SUCCEEDED, *, created: int = 0,
            retry_after: float | None = None) -> SyncResult:
    return SyncResult(run_id=1, company_id=1, provider="qbo", direction="both", status=status,
                      message="", counts={"created": created}, retry_after=retry_after)


def test_idle_runs_double_the_wait_up_to_the_maximum() -> None:
    assert next_delay(None, 60, 0, max_interval=480) == 60
    assert next_delay(_result(created=3), 60, 0, max_interval=480) == 60
    assert [next_delay(_result(), 60, idle, max_interval=480) for idle in (1, 2, 3, 4)] == \
        [120, 240, 480, 480]


def test_failed_or_throttled_run_waits_for_retry_after() -> None:
    assert next_delay(_result(RunStatus.FAILED, retry_after=300), 60, 0,
                      max_interval=900) == 300
    assert next_delay(_result(RunStatus.FAILED), 60, 0, max_interval=900) == 120
    assert next_delay(_result(RunStatus.FAILED, retry_after=5000), 60, 0,
                      max_interval=900) == 900


def test_is_idle_only_when_nothing_moved() -> None:
    assert is_idle(_result())
    assert not is_idle(_result(created=1))
    assert not is_idle(_result(RunStatus.FAILED))


def test_watch_sleeps_between_rounds_and_stops() -> None:
    slept: list[float] = []
    rounds: list[int] = []

    def once() -> list[SyncResult]:
        rounds.append(1)
        return [_result()]

    ran = watch(once, interval=0.02, max_interval=1.0, stop=lambda: len(rounds) >= 3,
                sleep=slept.append)
    assert ran == 3
    assert slept


def test_advice_says_what_to_do() -> None:
    assert "Reconnect to Xero" in advice(ReconnectNeeded("Refused."), "xero")
    assert "tomorrow" in advice(DailyLimitReached("Used up."), "xero")
    assert "slow down" in advice(RateLimited("Busy."), "qbo")
    assert "internet connection" in advice(NetworkError("Down."), "qbo")
    assert "Fix it" in advice(RemoteError("Refused.", hint="Fix it."), "qbo")


def _failing(errors: list[Exception]) -> tuple[list[int], object]:
    calls: list[int] = []

    def call() -> str:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return "done"
    return calls, call


def test_retrier_waits_out_429_and_5xx_then_succeeds() -> None:
    waits: list[float] = []
    retrier = Retrier(time_scale=0.001, sleep=waits.append)
    calls, call = _failing([RateLimited("slow", retry_after=2), NetworkError("503"),
                            RateLimited("no header")])
    assert retrier.run(call, progress=None) == "done"  # type: ignore[arg-type]
    assert len(calls) == 4
    assert retrier.retries == 3


def test_retrier_gives_up_after_its_attempts_and_never_retries_the_daily_limit() -> None:
    retrier = Retrier(time_scale=0.001, attempts=3, sleep=lambda _s: None)
    _, call = _failing([NetworkError(str(n)) for n in range(5)])
    with pytest.raises(NetworkError):
        retrier.run(call, progress=None)  # type: ignore[arg-type]
    calls, daily = _failing([DailyLimitReached("day")])
    with pytest.raises(DailyLimitReached):
        retrier.run(daily, progress=None)  # type: ignore[arg-type]
    assert len(calls) == 1


def test_waiting_is_a_safe_point_for_cancel() -> None:
    progress = Progress()
    progress.cancel()
    retrier = Retrier(time_scale=1.0, sleep=lambda _s: None)
    _, call = _failing([RateLimited("slow", retry_after=30)])
    with pytest.raises(Cancelled):
        retrier.run(call, progress=progress)  # type: ignore[arg-type]

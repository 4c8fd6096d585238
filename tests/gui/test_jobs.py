"""The jobs layer with real threads: results, errors, progress, cancel, lanes, a free event loop."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from PySide6.QtCore import QElapsedTimer, QThread, QTimer
from pytestqt.qtbot import QtBot

from bookkeeper_desktop.core.errors import Cancelled, FileFormatError, LineProblem
from bookkeeper_desktop.core.progress import Progress, ProgressSnapshot
from bookkeeper_desktop.jobs import JobRunner, JobState
from bookkeeper_desktop.jobs.runner import POLL_INTERVAL_MS


def test_result_comes_back_to_gui_thread_through_on_done(qtbot: QtBot, runner: JobRunner) -> None:
    seen: list[tuple[int, bool]] = []
    worker_threads: list[int] = []

    def work(progress: Progress) -> int:
        worker_threads.append(threading.get_ident())
        return 6 * 7

    job = runner.run(
        work, on_done=lambda value: seen.append(
            (value, QThread.currentThread() is qtbot_app_thread())),
        title="answer",
    )
    with qtbot.waitSignal(job.ended, timeout=5000):
        pass
    assert seen == [(42, True)]
    assert job.state is JobState.DONE
    assert job.result == 42
    assert worker_threads
    assert worker_threads[0] != threading.get_ident()


def qtbot_app_thread() -> QThread:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    assert app is not None
    return app.thread()


def test_work_runs_in_the_lane_thread(qtbot: QtBot, runner: JobRunner) -> None:
    threads: dict[str, QThread] = {}

    def where(lane: str) -> Any:
        def fn(progress: Progress) -> None:
            threads[lane] = QThread.currentThread()
        return fn

    db_job = runner.run(where("db"), lane="db")
    net_job = runner.run(where("network"), lane="network")
    with qtbot.waitSignals([db_job.ended, net_job.ended], timeout=5000):
        pass
    assert threads["db"] is runner.lane_thread("db")
    assert threads["network"] is runner.lane_thread("network")
    assert threads["db"] is not threads["network"]


def test_typed_error_goes_to_on_error_with_its_details(qtbot: QtBot, runner: JobRunner) -> None:
    errors: list[BaseException] = []

    def bad_file(progress: Progress) -> None:
        raise FileFormatError("Not a chart of accounts.", [LineProblem(3, "no Type column")])

    job = runner.run(bad_file, on_error=errors.append)
    with qtbot.waitSignal(job.failed, timeout=5000) as blocker:
        pass
    assert isinstance(blocker.args[0], FileFormatError)
    assert errors == [blocker.args[0]]
    assert job.state is JobState.FAILED
    assert str(job.error).endswith("line 3: no Type column")


def test_unhandled_error_goes_to_the_default_handler(qtbot: QtBot) -> None:
    caught: list[BaseException] = []
    runner = JobRunner(default_error_handler=caught.append)
    try:
        job = runner.run(lambda p: 1 // 0)
        with qtbot.waitSignal(job.ended, timeout=5000):
            pass
        assert len(caught) == 1
        assert isinstance(caught[0], ZeroDivisionError)
        assert caught[0].__traceback__ is not None, "traceback kept for the crash report"
    finally:
        assert runner.shutdown()


def test_progress_reaches_the_gui_as_snapshots(qtbot: QtBot, runner: JobRunner) -> None:
    snapshots: list[ProgressSnapshot] = []

    def counting(progress: Progress) -> str:
        progress.phase("Reading", total=4)
        for done in range(1, 5):
            time.sleep(0.12)
            progress.report(done, 4)
        return "ok"

    job = runner.run(counting, title="count")
    job.progressed.connect(snapshots.append)
    with qtbot.waitSignal(job.ended, timeout=5000):
        pass
    assert snapshots[-1] == ProgressSnapshot("Reading", 4, 4)
    assert len(snapshots) >= 3, "intermediate progress is delivered while the job runs"
    dones = [s.done for s in snapshots]
    assert dones == sorted(dones)
    assert all(s.phase == "Reading" for s in snapshots)


def test_a_worker_reporting_flat_out_reaches_the_gui_at_most_ten_times_a_second(
        qtbot: QtBot, runner: JobRunner) -> None:
    """Reports are coalesced: a worker that reports a million times costs the event loop at
    most one update per poll (`POLL_INTERVAL_MS`), each with the newest count."""
    snapshots: list[ProgressSnapshot] = []
    reports = 0

    def flat_out(progress: Progress) -> None:
        nonlocal reports
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            reports += 1
            progress.report(reports, None, "Reading")

    job = runner.run(flat_out, title="flat out")
    job.progressed.connect(snapshots.append)
    with qtbot.waitSignal(job.ended, timeout=10_000):
        pass
    assert reports > 10_000
    assert 3 <= len(snapshots) <= 1.5 * 1000 / POLL_INTERVAL_MS + 3
    assert snapshots[-1].done == reports


def test_cancel_stops_a_running_job_at_its_next_check(qtbot: QtBot, runner: JobRunner) -> None:
    started = threading.Event()
    steps: list[int] = []

    def long_job(progress: Progress) -> None:
        started.set()
        for step in range(200):
            progress.check_cancelled()
            steps.append(step)
            time.sleep(0.01)

    job = runner.run(long_job)
    qtbot.waitUntil(started.is_set, timeout=5000)
    job.cancel()
    with qtbot.waitSignal(job.ended, timeout=5000):
        pass
    assert job.state is JobState.CANCELLED
    assert isinstance(job.error, Cancelled)
    assert len(steps) < 200


def test_cancel_of_a_queued_job_means_it_never_runs(qtbot: QtBot, runner: JobRunner) -> None:
    release = threading.Event()
    ran: list[str] = []
    blocker = runner.run(lambda p: release.wait(5))
    queued = runner.run(lambda p: ran.append("queued"))
    queued.cancel()
    release.set()
    with qtbot.waitSignals([blocker.ended, queued.ended], timeout=5000):
        pass
    assert ran == []
    assert queued.state is JobState.CANCELLED


def test_db_lane_is_serial(qtbot: QtBot, runner: JobRunner) -> None:
    order: list[str] = []

    def step(name: str, pause: float) -> Any:
        def fn(progress: Progress) -> None:
            order.append(f"{name}-start")
            time.sleep(pause)
            order.append(f"{name}-end")
        return fn

    first = runner.run(step("a", 0.2))
    second = runner.run(step("b", 0.0))
    with qtbot.waitSignals([first.ended, second.ended], timeout=5000):
        pass
    assert order == ["a-start", "a-end", "b-start", "b-end"]


def test_two_lanes_run_concurrently(qtbot: QtBot, runner: JobRunner) -> None:
    """Each job waits for the other to start: this only finishes if both run at once."""
    db_started, net_started = threading.Event(), threading.Event()

    def db_job(progress: Progress) -> bool:
        db_started.set()
        return net_started.wait(3)

    def net_job(progress: Progress) -> bool:
        net_started.set()
        return db_started.wait(3)

    a = runner.run(db_job, lane="db")
    b = runner.run(net_job, lane="network")
    with qtbot.waitSignals([a.ended, b.ended], timeout=6000):
        pass
    assert a.result is True
    assert b.result is True


def test_gui_thread_is_never_blocked_by_a_one_second_job(qtbot: QtBot, runner: JobRunner) -> None:
    """A 10 ms timer keeps ticking while a busy 1 s job runs; the longest gap stays small.

    The bound is loose (machines vary; no timing budgets in tests), but a GUI-thread `fn`
    would show a gap of a full second."""
    gaps: list[int] = []
    clock = QElapsedTimer()
    clock.start()
    last = [0]

    def tick() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    timer.start()

    def busy_second(progress: Progress) -> int:
        end = time.monotonic() + 1.0
        spins = 0
        while time.monotonic() < end:
            spins += 1
            if spins % 5000 == 0:
                progress.report(spins)
        return spins

    job = runner.run(busy_second)
    last[0] = clock.elapsed()
    with qtbot.waitSignal(job.ended, timeout=5000):
        pass
    timer.stop()
    assert job.state is JobState.DONE
    assert len(gaps) > 20
    assert max(gaps) < 400, f"the event loop stalled for {max(gaps)} ms"


def test_busy_signal_and_active_jobs(qtbot: QtBot, runner: JobRunner) -> None:
    release = threading.Event()
    states: list[bool] = []
    runner.busy_changed.connect(states.append)
    job = runner.run(lambda p: release.wait(5), title="waiting")
    assert runner.busy
    assert runner.active_jobs() == [job]
    release.set()
    with qtbot.waitSignal(runner.busy_changed, timeout=5000):
        pass
    assert states == [True, False]
    assert not runner.busy


def test_unknown_lane_is_refused_and_nothing_runs_after_shutdown(qtbot: QtBot) -> None:
    runner = JobRunner()
    with pytest.raises(ValueError, match="Unknown lane"):
        runner.run(lambda p: None, lane="disk")  # type: ignore[arg-type]
    assert runner.shutdown()
    ran: list[object] = []
    late = runner.run(lambda p: ran.append("ran"), on_done=ran.append, on_error=ran.append)
    qtbot.wait(50)
    assert late.state is JobState.CANCELLED
    assert isinstance(late.error, Cancelled)
    assert ran == []
    assert not runner.busy


def test_shutdown_cancels_a_cooperative_job(qtbot: QtBot) -> None:
    runner = JobRunner()
    started = threading.Event()

    def forever(progress: Progress) -> None:
        started.set()
        while True:
            progress.check_cancelled()
            time.sleep(0.01)

    runner.run(forever)
    qtbot.waitUntil(started.is_set, timeout=5000)
    assert runner.shutdown(3000)
    assert not runner.lane_thread("db").isRunning()


def test_callbacks_are_skipped_when_the_owner_was_deleted(qtbot: QtBot,
                                                          runner: JobRunner) -> None:
    from PySide6.QtWidgets import QWidget

    owner = QWidget()
    release = threading.Event()
    called: list[object] = []
    job = runner.run(lambda p: release.wait(5), on_done=called.append, owner=owner)
    failing = runner.run(lambda p: 1 // 0, on_error=called.append, owner=owner)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not job.owner_alive, timeout=5000)
    release.set()
    with qtbot.waitSignals([job.ended, failing.ended], timeout=5000):
        pass
    assert called == []
    assert job.state is JobState.DONE, "the job itself still completed"
    assert failing.state is JobState.FAILED


def test_deliveries_after_shutdown_are_dropped(qtbot: QtBot) -> None:
    """A result that arrives after shutdown must not reach a widget that may be gone."""
    runner = JobRunner()
    started = threading.Event()
    called: list[object] = []

    def quick(progress: Progress) -> int:
        started.set()
        time.sleep(0.05)
        return 1

    runner.run(quick, on_done=called.append)
    assert started.wait(5)
    assert runner.shutdown()
    qtbot.wait(50)  # the finished job's delivery is now in the event loop
    assert called == []
    assert not runner.busy

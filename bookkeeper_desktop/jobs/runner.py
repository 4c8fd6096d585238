"""Background jobs: two QThread lanes (database, network) and the bridge back to the GUI thread.

This is Anki's `CollectionOp`/`QueryOp` idea reduced to one call (STYLE.md practices 2 and 4):

    job = ctx.jobs.run(lambda p: services.import_coa(company_id, path, progress=p),
                       on_done=self._imported, title="Importing chart of accounts")

`fn` runs in a worker thread and receives a `core.progress.Progress`; it must never touch a widget.
Its result or error comes back to the GUI thread, where `on_done` / `on_error` and the `Job`
signals run. Nothing here spins `processEvents()`.

Lanes:
- ``"db"``: one thread; database work is serialised there (SQLAlchemy sessions are not shared
  between threads, and SQLite allows one writer anyway).
- ``"network"``: one thread for HTTP work (OAuth refresh, API calls), so a slow provider never
  queues behind a long import, and vice versa.

Progress is *pulled*: the worker only updates the thread-safe `Progress`; a GUI-thread timer polls
the snapshots of running jobs every `POLL_INTERVAL_MS` and emits `Job.progressed` when one
changed. A worker that reports a million times therefore costs the event loop nothing.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, Literal, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from bookkeeper_desktop.core.errors import BookkeeperError, Cancelled
from bookkeeper_desktop.core.progress import Progress, ProgressSnapshot

T = TypeVar("T")

LaneName = Literal["db", "network"]
LANES: tuple[LaneName, ...] = ("db", "network")

#: How often running jobs' progress is polled and forwarded to the GUI (ms): at most 10 updates
#: a second per job, however often its worker reports (a fast pull reports every page).
POLL_INTERVAL_MS = 100
#: Jobs that run longer than this are shown in the status bar (Anki shows a busy cursor at 300 ms).
SHOW_AFTER_MS = 300

ErrorHandler = Callable[[BaseException], None]


class JobState(Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


class Job(QObject, Generic[T]):
    """One background operation, owned by the GUI thread.

    Signals:
        started(): the worker picked the job up.
        progressed(ProgressSnapshot): the job's progress changed (polled, at most 10 per second).
        cancel_asked(): `cancel()` was called, the first time (from the status bar, a card,
            anywhere): views may say "Cancelling…" until the job ends.
        succeeded(object): `fn` returned; carries its result.
        failed(object): `fn` raised; carries the exception (`Cancelled` when the user cancelled).
        ended(): emitted last, after `succeeded` or `failed` and after the callbacks ran.

    Attributes:
        id: a number unique within the runner.
        title: what the status bar says while it runs ("Importing chart of accounts").
        lane: ``"db"`` or ``"network"``.
        progress: the `Progress` handed to `fn` (thread-safe; `cancel()` sets its flag).
        state: a `JobState`.
        result / error: set once the job ended.
        started_at / ended_at: `time.monotonic()` stamps, or None.
    """

    started = Signal()
    progressed = Signal(object)
    cancel_asked = Signal()
    succeeded = Signal(object)
    failed = Signal(object)
    ended = Signal()

    def __init__(
        self,
        job_id: int,
        fn: Callable[[Progress], T],
        *,
        lane: LaneName,
        title: str,
        on_done: Callable[[T], None] | None,
        on_error: Callable[[BaseException], None] | None,
        owner: QObject | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.id = job_id
        self.fn = fn
        self.lane: LaneName = lane
        self.title = title
        self.progress = Progress()
        self.state = JobState.QUEUED
        self.result: T | None = None
        self.error: BaseException | None = None
        self.queued_at = time.monotonic()
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self._on_done = on_done
        self._on_error = on_error
        self._owner = owner
        self._last_snapshot: ProgressSnapshot | None = None

    def cancel(self) -> None:
        """Ask the job to stop. A queued job never starts; a running one stops at its next
        `check_cancelled()` and fails with `Cancelled`. A job that finishes without checking
        still delivers its result (the work was done and committed)."""
        first = not self.progress.cancelled
        self.progress.cancel()
        if first:
            self.cancel_asked.emit()

    @property
    def cancel_requested(self) -> bool:
        return self.progress.cancelled

    @property
    def running_ms(self) -> float:
        """How long the job has been running (0 while queued)."""
        if self.started_at is None:
            return 0.0
        end = self.ended_at if self.ended_at is not None else time.monotonic()
        return (end - self.started_at) * 1000.0

    def snapshot(self) -> ProgressSnapshot:
        return self.progress.snapshot()

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.lane} {self.state.value} {self.title!r}>"

    # -- called by the runner in the GUI thread --------------------------------------------------
    def _mark_started(self) -> None:
        self.state = JobState.RUNNING
        self.started_at = time.monotonic()
        self.started.emit()

    def _poll_progress(self) -> None:
        snapshot = self.progress.snapshot()
        if snapshot != self._last_snapshot:
            self._last_snapshot = snapshot
            self.progressed.emit(snapshot)

    @property
    def owner_alive(self) -> bool:
        """False once the widget that asked for the job was deleted (callbacks are skipped)."""
        return self._owner is None or bool(shiboken6.isValid(self._owner))

    def _finish(self, ok: bool, payload: Any, fallback_error: ErrorHandler | None) -> None:
        self.ended_at = time.monotonic()
        if self.started_at is None:
            self.started_at = self.ended_at
        self._poll_progress()
        call_back = self.owner_alive
        if ok:
            self.state = JobState.DONE
            self.result = payload
            if self._on_done is not None and call_back:
                self._on_done(payload)
            self.succeeded.emit(payload)
        else:
            error: BaseException = payload
            self.state = JobState.CANCELLED if isinstance(error, Cancelled) else JobState.FAILED
            self.error = error
            handler = self._on_error if self._on_error is not None else fallback_error
            if handler is not None and call_back:
                handler(error)
            self.failed.emit(error)
        self.ended.emit()


@dataclass(frozen=True)
class _Delivery:
    job_id: int
    kind: Literal["started", "ok", "error"]
    payload: Any = None


_STOP = object()


class _Lane(QThread):
    """One worker thread running jobs of its queue in order.

    Signals:
        delivered(_Delivery): emitted from the worker thread; connected *queued* to the runner.
    """

    delivered = Signal(object)

    def __init__(self, name: LaneName, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lane_name = name
        self.setObjectName(f"bookkeeper-{name}-lane")
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.busy = threading.Event()

    def submit(self, job_id: int, fn: Callable[[Progress], Any], progress: Progress) -> None:
        self._queue.put((job_id, fn, progress))

    def stop(self) -> None:
        self._queue.put(_STOP)

    def run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            job_id, fn, progress = item
            if progress.cancelled:
                self.delivered.emit(_Delivery(job_id, "error", Cancelled(
                    "Cancelled before it started; nothing was changed.")))
                continue
            self.busy.set()
            self.delivered.emit(_Delivery(job_id, "started"))
            try:
                result = fn(progress)
            except BaseException as error:  # every failure, bugs included, goes back to the GUI
                self.delivered.emit(_Delivery(job_id, "error", error))
            else:
                self.delivered.emit(_Delivery(job_id, "ok", result))
            finally:
                self.busy.clear()


class JobRunner(QObject):
    """Runs operations in the database or network lane and brings results back by signal.

    Construct once (the `AppContext` owns it) and call `shutdown()` before the application quits.

    Signals:
        job_queued(Job): a job was accepted.
        job_started(Job): a worker began it.
        job_progressed(Job): its progress changed.
        job_ended(Job): it finished, failed or was cancelled.
        busy_changed(bool): whether any job is queued or running.

    Attributes:
        default_error_handler: called for failures of jobs that passed no `on_error`
            (the GUI sets it to the error presenter).
    """

    job_queued = Signal(object)
    job_started = Signal(object)
    job_progressed = Signal(object)
    job_ended = Signal(object)
    busy_changed = Signal(bool)

    def __init__(
        self, parent: QObject | None = None, *, default_error_handler: ErrorHandler | None = None,
    ) -> None:
        super().__init__(parent)
        self.default_error_handler = default_error_handler
        self._jobs: dict[int, Job[Any]] = {}
        self._next_id = 1
        self._lanes: dict[LaneName, _Lane] = {}
        for name in LANES:
            lane = _Lane(name)
            lane.delivered.connect(self._on_delivered, Qt.ConnectionType.QueuedConnection)
            lane.start()
            self._lanes[name] = lane
        self._poll_timer = QTimer(self)
        self._poll_timer.setInterval(POLL_INTERVAL_MS)
        self._poll_timer.timeout.connect(self._poll)
        self._shut_down = False

    def run(
        self,
        fn: Callable[[Progress], T],
        *,
        lane: LaneName = "db",
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        title: str = "",
        owner: QObject | None = None,
    ) -> Job[T]:
        """Queue `fn` on `lane` and return its `Job` at once (after `shutdown()`, a job that is
        already cancelled and never runs).

        `fn(progress)` runs in the lane's thread; `on_done(result)` or `on_error(error)` runs in
        the GUI thread afterwards (an error is a `BookkeeperError` for anything we expected, or
        any other exception for a bug). Without `on_error`, `default_error_handler` gets it.
        With `owner` (usually the widget asking), both callbacks are skipped if the owner was
        deleted meanwhile (a closed dialog, a pane torn down), instead of touching a dead widget.
        """
        if lane not in self._lanes:
            raise ValueError(f"Unknown lane {lane!r}; use one of {LANES}.")
        job: Job[T] = Job(
            self._next_id, fn, lane=lane, title=title, on_done=on_done, on_error=on_error,
            owner=owner,
        )
        self._next_id += 1
        if self._shut_down:
            # The app is closing (a widget's timer fired late): nothing runs, nothing is called.
            job.cancel()
            job.state = JobState.CANCELLED
            job.error = Cancelled("The application is closing; this was not started.")
            return job
        was_busy = bool(self._jobs)
        self._jobs[job.id] = job
        self._lanes[lane].submit(job.id, fn, job.progress)
        self.job_queued.emit(job)
        if not was_busy:
            self.busy_changed.emit(True)
        if not self._poll_timer.isActive():
            self._poll_timer.start()
        return job

    def active_jobs(self) -> list[Job[Any]]:
        """Jobs queued or running, oldest first."""
        return list(self._jobs.values())

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    def cancel_all(self) -> None:
        for job in list(self._jobs.values()):
            job.cancel()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel every job, stop both lanes and wait for their threads.

        Returns False if a worker did not stop in time (a job that never checks its cancel flag).
        Results still in flight are dropped: the GUI is going away.
        """
        if self._shut_down:
            return True
        self._shut_down = True
        self.cancel_all()
        self._poll_timer.stop()
        stopped = True
        for lane in self._lanes.values():
            lane.stop()
        for lane in self._lanes.values():
            stopped = lane.wait(timeout_ms) and stopped
        # Deliveries still queued in the event loop are dropped: their widgets may be gone.
        self._jobs.clear()
        return stopped

    def lane_thread(self, lane: LaneName) -> QThread:
        """The QThread of a lane (tests check that work really ran there)."""
        return self._lanes[lane]

    @Slot(object)
    def _on_delivered(self, delivery: _Delivery) -> None:
        job = self._jobs.get(delivery.job_id)
        if job is None:
            return
        if delivery.kind == "started":
            job._mark_started()
            self.job_started.emit(job)
            return
        del self._jobs[job.id]
        try:
            job._finish(delivery.kind == "ok", delivery.payload, self.default_error_handler)
        finally:
            self.job_ended.emit(job)
            if not self._jobs:
                self._poll_timer.stop()
                self.busy_changed.emit(False)

    @Slot()
    def _poll(self) -> None:
        for job in list(self._jobs.values()):
            if job.state is JobState.RUNNING:
                before = job._last_snapshot
                job._poll_progress()
                if job._last_snapshot != before:
                    self.job_progressed.emit(job)


def is_expected_error(error: BaseException) -> bool:
    """True for errors we raise on purpose (shown as a message), False for bugs (crash report)."""
    return isinstance(error, BookkeeperError)

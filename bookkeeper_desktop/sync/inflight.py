"""Requests kept in flight on worker threads while the sync's own thread keeps the database.

The push sends several write requests at once (up to `ProviderClient.parallel`; each call still
takes its slot from the rate budgets first, `sync.clients`). A `Window` runs each request on a
worker thread that does nothing but the HTTP call; recording an outbox row before its send and
applying an answer stay on the thread that runs the sync, so SQLite has a single writer and every
safe point (`SyncContext.safe_point`: Cancel, the crash tests' kill points) is on that thread,
between whole steps, as before.

**Leaving early.** A run that stops with requests still out (Cancel, an error) takes back the
answers that arrive within a moment (`Window.close`). A request still out after that is a
*straggler*: the provider may yet act on it. Its outbox rows stay "sending" and are reconciled
by a later run, and that run's reconciliation first waits for the stragglers of the same
realm/tenant in this process (`wait_for_stragglers`): it must not look for a push that is still
on its way, find nothing, and send it a second time. (A process that dies leaves the same
"sending" rows with nothing in flight: the crash tests' case.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Generic, TypeVar

from bookkeeper_desktop.core.progress import Progress

T = TypeVar("T")

#: How often a caller waiting for answers looks at Cancel, in seconds.
POLL = 0.05

_stragglers: dict[Hashable, set[Future[Any]]] = {}
_stragglers_lock = threading.Lock()


class Window(Generic[T]):
    """Up to `size` calls running at once on worker threads, each with a tag (what it sends);
    the caller starts them and takes their outcomes back, in the order they finish.

    `owner` names the realm/tenant the calls go to (for `wait_for_stragglers`)."""

    def __init__(self, size: int, owner: Hashable) -> None:
        self.size = max(1, size)
        self.owner = owner
        self._pool = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="sync-send")
        self._running: dict[Future[Any], T] = {}

    def __len__(self) -> int:
        return len(self._running)

    @property
    def free(self) -> int:
        return self.size - len(self._running)

    @property
    def answered(self) -> bool:
        """Whether a call has finished and waits to be taken back (`next_done` would not
        wait)."""
        return any(future.done() for future in self._running)

    def tags(self) -> Iterator[T]:
        """What the calls in flight carry."""
        return iter(list(self._running.values()))

    def start(self, tag: T, call: Callable[[], Any]) -> None:
        if not self.free:
            raise RuntimeError("no free slot in the window")
        self._running[self._pool.submit(call)] = tag

    def next_done(self, progress: Progress | None) -> tuple[T, Future[Any]]:
        """The first call to finish (waiting for one), with its future (`result()` gives the
        answer or raises the call's error). Cancel is looked at while waiting."""
        if not self._running:
            raise RuntimeError("nothing in flight")
        while True:
            done, _ = wait(list(self._running), timeout=POLL, return_when=FIRST_COMPLETED)
            if done:
                future = next(iter(done))
                return self._running.pop(future), future
            if progress is not None:
                progress.check_cancelled()

    def close(self, grace: float | None = 0.0) -> list[tuple[T, Future[Any]]]:
        """Stop: wait up to `grace` seconds (None: until all are back) for the calls in flight,
        and return those that finished; the others become stragglers. The worker threads end
        when their calls do."""
        finished: list[tuple[T, Future[Any]]] = []
        if self._running:
            done, left = wait(list(self._running), timeout=grace)
            finished = [(self._running[f], f) for f in done]
            if left:
                with _stragglers_lock:
                    _stragglers.setdefault(self.owner, set()).update(left)
            self._running.clear()
        self._pool.shutdown(wait=False)
        return finished


def wait_for_stragglers(owner: Hashable, progress: Progress | None) -> None:
    """Return once no call an earlier run of this process left in flight to `owner` is still
    on its way (each ends: every API call has a timeout). Cancel is looked at while waiting."""
    with _stragglers_lock:
        pending = _stragglers.pop(owner, set())
    while pending:
        _, pending = wait(pending, timeout=POLL)
        if pending and progress is not None:
            try:
                progress.check_cancelled()
            except BaseException:
                with _stragglers_lock:
                    _stragglers.setdefault(owner, set()).update(pending)
                raise

"""A small thread-safe progress object with a cancel flag, shared by a worker and its caller.

The worker calls `report()` and `check_cancelled()` at safe points; the caller (the GUI through
the jobs layer, or the CLI) reads `snapshot()` and may call `cancel()`. No Qt here: the jobs layer
turns snapshots into signals.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from bookkeeper_desktop.core.errors import Cancelled


@dataclass(frozen=True)
class ProgressSnapshot:
    phase: str
    done: int
    total: int | None

    @property
    def fraction(self) -> float | None:
        return None if not self.total else min(1.0, self.done / self.total)


class Progress:
    """Progress of one job. Safe to use from any thread."""

    def __init__(self, on_report: Callable[[ProgressSnapshot], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._snapshot = ProgressSnapshot("", 0, None)
        self._on_report = on_report

    def report(self, done: int, total: int | None = None, phase: str | None = None) -> None:
        with self._lock:
            self._snapshot = ProgressSnapshot(
                phase if phase is not None else self._snapshot.phase, done, total,
            )
            snapshot = self._snapshot
        if self._on_report is not None:
            self._on_report(snapshot)

    def phase(self, name: str, total: int | None = None) -> None:
        self.report(0, total, name)

    def snapshot(self) -> ProgressSnapshot:
        with self._lock:
            return self._snapshot

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def check_cancelled(self) -> None:
        """Raise `Cancelled` if the user asked to stop. Call only where stopping is safe."""
        if self._cancelled.is_set():
            raise Cancelled("Cancelled; nothing was left half done.")


#: A progress that nobody watches, for callers that do not care.
def no_progress() -> Progress:
    return Progress()

"""What the GUI thread does in the long gaps of `bench_gui_sync.py`: every event it handles
(paints named by their view, layouts, timers) and every job result it receives, with wall time
and the GUI thread's own CPU, listed under each gap over `--over` ms (issue 15).

Run by hand:
    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui_trace.py [--only qbo|xero]
        [--pull 3000] [--over 25] [--tail SECONDS]

The same set-up as `bench_gui_sync.py --ledger visible` (its `bench()`), with a
`QApplication.notify` that times each event on the GUI thread, and the job runner's deliveries
timed with their job's title. Timing every event costs a few µs each, so the gaps are a little
longer than in `bench_gui_sync.py`; compare their parts, not their totals. A paint with much more
wall time than CPU waited for the GIL (a worker running Python) or for a CPU. `--tail S` also
lists everything over 0.2 ms in the last S seconds, in order.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_gui_sync
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from bookkeeper_desktop.app import SWITCH_INTERVAL_S
from bookkeeper_desktop.jobs import runner as job_runner
from bookkeeper_desktop.providers.config import Provider

#: (start, end, GUI-thread CPU ms, depth, what): depth 0 = an event from the loop, 1+ = nested
#: in one, -1 = a job's result delivered.
Record = tuple[float, float, float, int, str]


class TracingApplication(QApplication):
    """Times every event handled on the GUI thread (longer than `least` seconds, or a paint)."""

    def __init__(self, argv: list[str], records: list[Record], least: float = 0.0002) -> None:
        super().__init__(argv)
        self.records = records
        self.least = least
        self.depth = 0
        self.gui_thread = threading.get_ident()

    def notify(self, receiver: QObject, event: QEvent) -> bool:
        if threading.get_ident() != self.gui_thread:
            return super().notify(receiver, event)
        began, cpu = time.perf_counter(), time.thread_time()
        self.depth += 1
        try:
            return super().notify(receiver, event)
        finally:
            self.depth -= 1
            ended = time.perf_counter()
            kind = event.type().name
            if ended - began > self.least or "Paint" in kind:
                self.records.append((began, ended, (time.thread_time() - cpu) * 1000,
                                     self.depth, f"{kind} -> {_name(receiver)}"))


def _name(receiver: QObject) -> str:
    name = f"{type(receiver).__name__}:{receiver.objectName()}"
    parent = receiver.parent()
    if receiver.objectName() == "qt_scrollarea_viewport" and parent is not None:
        name += f" of {type(parent).__name__}:{parent.objectName()}"
    return name


def trace_deliveries(records: list[Record]) -> None:
    """Record each job result (and start) the runner hands to the GUI thread, by job title."""
    original = job_runner.JobRunner._on_delivered

    def delivered(self: job_runner.JobRunner, delivery: Any) -> None:
        job = self._jobs.get(delivery.job_id)
        began, cpu = time.perf_counter(), time.thread_time()
        try:
            original(self, delivery)
        finally:
            records.append((began, time.perf_counter(), (time.thread_time() - cpu) * 1000, -1,
                            f"job {delivery.kind}: {job.title if job else '?'}"))

    job_runner.JobRunner._on_delivered = delivered  # type: ignore[method-assign]


def trace_ticks(ticks: list[float]) -> None:
    """Keep the wall time of each of the gap meter's ticks (to find the gaps)."""
    original = bench_gui_sync.GapMeter._tick

    def tick(self: bench_gui_sync.GapMeter) -> None:
        ticks.append(time.perf_counter())
        original(self)

    bench_gui_sync.GapMeter._tick = tick  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=["qbo", "xero"], default="qbo")
    parser.add_argument("--pull", type=int, default=3000)
    parser.add_argument("--time-scale", type=float, default=0.25)
    parser.add_argument("--over", type=float, default=25.0, help="list gaps over this (ms)")
    parser.add_argument("--tail", type=float, default=0.0, metavar="SECONDS")
    args = parser.parse_args()
    records: list[Record] = []
    ticks: list[float] = []
    app = TracingApplication(sys.argv[:1], records)
    sys.setswitchinterval(SWITCH_INTERVAL_S)  # as app.py does at start-up
    trace_deliveries(records)
    trace_ticks(ticks)
    with tempfile.TemporaryDirectory() as folder:
        row = bench_gui_sync.bench(Provider(args.only), args.pull, args.time_scale, Path(folder),
                                   "visible")
    del app
    print(f"{row[0]}: longest gap {row[5]} ms, while the job ran {row[7]} ms, while the panes "
          f"re-read {row[8]} ms, most GUI-thread CPU in one gap {row[10]} ms; load "
          f"{os.getloadavg()[0]:.1f}")
    records.sort()
    for began, ended in itertools.pairwise(ticks):
        if (ended - began) * 1000 <= args.over:
            continue
        print(f"--- gap of {(ended - began) * 1000:.1f} ms, {ended - ticks[0]:.2f} s after the "
              "click")
        for start, end, cpu, depth, what in records:
            if end > began and start < ended and (end - start > 0.002 or depth == -1):
                print(f"   at {(start - began) * 1000:6.1f} ms: {(end - start) * 1000:5.1f} ms, "
                      f"CPU {cpu:5.1f} ms, {'job' if depth < 0 else f'depth {depth}'}: {what}")
    if args.tail and ticks:
        print(f"--- everything over 0.2 ms in the last {args.tail} s")
        for start, end, cpu, depth, what in records:
            if start > ticks[-1] - args.tail and depth <= 1:
                print(f"   {(start - ticks[-1]) * 1000:8.1f} ms: {(end - start) * 1000:5.1f} ms, "
                      f"CPU {cpu:5.1f} ms, {'job' if depth < 0 else f'depth {depth}'}: {what}")


if __name__ == "__main__":
    main()

"""GUI ledger benchmark: the Ledger pane on 100k entries (about 300k lines) in SQLite.

Run by hand (offscreen is fine; a real display works too):
    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui_ledger.py [--entries 100000]

Measures (PRODUCT.md §7 budgets):
- open: from constructing `LedgerPane(ctx)` to the table showing its first page of real rows
  (ids of every entry read in SQL, first page fetched in the db lane, painted) — budget 1 s;
- scroll: the vertical scroll bar is moved from top to bottom and back in 400 steps of 10 ms
  while a 5 ms QTimer records the longest gap between its ticks — budget 50 ms;
- a sort by amount and a status filter on the full table (time until the new ids arrive);
- resident memory (VmRSS) with the pane open after scrolling — budget 400 MB.
Prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QApplication

from bookkeeper_desktop.gui.context import AppContext, AppServices
from bookkeeper_desktop.gui.ledger import LedgerPane
from bookkeeper_desktop.jobs import JobRunner
from bookkeeper_desktop.sample_data import generate_entries, sample_accounts
from bookkeeper_desktop.services import accounts, companies, entries
from bookkeeper_desktop.storage.engine import open_database

ROWS: list[tuple[str, str, str, str]] = []


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def record(label: str, value: str, budget: str, ok: bool | None) -> None:
    verdict = "" if ok is None else ("ok" if ok else "OVER BUDGET")
    ROWS.append((label, value, budget, verdict))
    print(f"{label:<62} {value:>12}  {budget:<10} {verdict}", file=sys.stderr)


class GcMeter:
    """The longest garbage-collector pause (any generation) since `start`."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._began = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.longest = max(self.longest, (time.perf_counter() - self._began) * 1000)


class GapMeter:
    """A 5 ms timer that records the longest time between two of its ticks: how long the event
    loop was blocked at worst.

    `busiest` is the most CPU the GUI thread itself used between two ticks (`time.thread_time`):
    on a machine shared with other work a long gap with little CPU is time spent waiting (for a
    CPU or for the GIL), a long gap with as much CPU is our own code running in the GUI thread.
    """

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.clock = QElapsedTimer()
        self.longest = 0
        self.busiest = 0.0
        self._cpu = 0.0

    def start(self) -> None:
        self.longest = 0
        self.busiest = 0.0
        self._cpu = time.thread_time()
        self.clock.start()
        self.timer.start()

    def _tick(self) -> None:
        self.longest = max(self.longest, self.clock.restart())
        cpu = time.thread_time()
        self.busiest = max(self.busiest, (cpu - self._cpu) * 1000)
        self._cpu = cpu

    def stop(self) -> int:
        self.timer.stop()
        return self.longest


def wait_until(app: QApplication, condition: Callable[[], bool], timeout_s: float = 30) -> None:
    deadline = time.perf_counter() + timeout_s
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("condition not met")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)


def run_for(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--gc-freeze", action="store_true",
                        help="call gc.freeze() once the pane is open, as an app would after "
                             "start-up, so the collector no longer walks start-up objects")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bookkeeper-gui-bench-"))
    db = open_database(f"sqlite:///{folder / 'bench.sqlite'}")
    company = companies.create_company(db, "Benchmark Co")
    chart = accounts.add_accounts(db, company.id, sample_accounts())
    made = generate_entries(args.entries, chart, seed=1, end=dt.date(2026, 6, 30))
    started = time.perf_counter()
    entries.bulk_insert_entries(db, company.id, made, validate=False)
    print(f"inserted {args.entries:,} entries in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)

    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    jobs = JobRunner()
    ctx = AppContext(AppServices(db), jobs, company_id=company.id)
    rss_before = rss_mb()

    # --- open ------------------------------------------------------------------------------
    meter = GapMeter()
    meter.start()
    clock = time.perf_counter()
    pane = LedgerPane(ctx)
    pane.resize(1400, 860)
    pane.show()
    model = pane.entry_model
    wait_until(app, lambda: model.rowCount() == args.entries and model.loaded_row(0) is not None)
    app.processEvents()
    opened = time.perf_counter() - clock
    open_gap = meter.stop()
    record(f"open the ledger with {args.entries:,} entries (first rows painted)",
           f"{opened * 1000:,.0f} ms", "< 1 s", opened < 1.0)
    record("longest event-loop stall while opening", f"{open_gap} ms", "< 50 ms",
           open_gap <= 50)
    record("most GUI-thread CPU between two ticks while opening", f"{meter.busiest:.0f} ms",
           "< 50 ms", meter.busiest <= 50)
    wait_until(app, lambda: pane.tree_model.rowCount() > 0)
    if args.gc_freeze:
        gc.freeze()

    # --- scroll ----------------------------------------------------------------------------
    bar = pane.table.verticalScrollBar()
    steps = 200
    positions = [round(bar.maximum() * i / steps) for i in range(steps + 1)]
    positions += positions[::-1]
    gc_meter = GcMeter()
    meter.start()
    clock = time.perf_counter()
    for position in positions:
        bar.setValue(position)
        run_for(10)
    last_row = model.rowCount() - 1
    bar.setValue(bar.maximum())
    wait_until(app, lambda: model.loaded_row(last_row) is not None)
    bar.setValue(0)
    wait_until(app, lambda: model.loaded_row(0) is not None)
    scroll_gap = meter.stop()
    scrolled = time.perf_counter() - clock
    record(f"scroll top → bottom → top in {len(positions)} steps ({scrolled:.1f} s)",
           f"{scroll_gap} ms", "< 50 ms", scroll_gap <= 50)
    record("most GUI-thread CPU between two ticks while scrolling", f"{meter.busiest:.0f} ms",
           "< 50 ms", meter.busiest <= 50)
    record("longest garbage-collector pause while scrolling", f"{gc_meter.longest:.0f} ms", "",
           None)
    record("pages cached after scrolling (bounded)", f"{model.cached_pages}", "≤ 64", None)

    # --- sort and filter ---------------------------------------------------------------------
    meter.start()
    clock = time.perf_counter()
    pane.table.sortByColumn(5, Qt.SortOrder.AscendingOrder)
    wait_until(app, lambda: not model.loading and model.loaded_row(0) is not None)
    sort_time = time.perf_counter() - clock
    sort_gap = meter.stop()
    record("sort 100k entries by amount (SQL) until the first rows show",
           f"{sort_time * 1000:,.0f} ms", "", None)
    meter.start()
    clock = time.perf_counter()
    bar_filter = pane.filter_bar
    bar_filter.status_combo.setCurrentIndex(bar_filter.status_combo.findData("draft"))
    wait_until(app, lambda: not model.loading and model.rowCount() < args.entries)
    filter_time = time.perf_counter() - clock
    filter_gap = meter.stop()
    record(f"filter by status (draft: {model.rowCount():,} rows)",
           f"{filter_time * 1000:,.0f} ms", "", None)
    record("longest stall during sort and filter", f"{max(sort_gap, filter_gap)} ms", "< 50 ms",
           max(sort_gap, filter_gap) <= 50)

    rss = rss_mb()
    record("resident memory with the ledger open (VmRSS)", f"{rss:,.0f} MB", "< 400 MB",
           rss < 400)
    record("of which before the pane was built (Qt, SQLAlchemy, data)", f"{rss_before:,.0f} MB",
           "", None)
    jobs.shutdown()

    cpu = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    print()
    print(f"Machine: `{' '.join(platform.uname())}`, nproc {cpu}, Python "
          f"{platform.python_version()}, Qt platform {os.environ['QT_QPA_PLATFORM']}, "
          f"gc.freeze() {'after opening' if args.gc_freeze else 'not used'}, "
          f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    print()
    print("| measure | result | budget | |")
    print("|---|---|---|---|")
    for label, value, budget, verdict in ROWS:
        print(f"| {label} | {value} | {budget} | {verdict} |")


if __name__ == "__main__":
    main()

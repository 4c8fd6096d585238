"""GUI sync benchmark: the longest event-loop stall while a sync pulls a few thousand transactions
(issue 6 goal: under 50 ms).

Run by hand:
    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui_sync.py [--pull 3000]
        [--time-scale 0.25] [--only qbo|xero] [--ledger hidden|visible|off] [--again N]
        [--switch-interval MS]
    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui_sync.py --diff-costs 100000

What runs: a real QApplication (offscreen), the real `IntegrationsPane` (cards, mapping editor,
sync log, Conflicts tab) and the `LedgerPane` on a fresh SQLite file: `--ledger hidden` (the
default) stacks them as the main window does (the user clicked Sync Now, so Integrations is the
pane shown and the ledger re-reads unseen), `visible` shows the ledger beside it as its own window
(the worst case: it repaints too), `off` leaves it out; the
sandbox in its own process (rate limits on, time-scaled like benchmarks/bench_sync.py) seeded with
`--pull` transactions; the books connected through the real OAuth flow. With `--again N` that
first sync is not measured: the ledger (holding what it pulled) is scrolled to its middle with a
row selected, N more transactions are made at the provider, and the second, incremental sync is
the one measured (the ledger then changes in place under the user's selection).
**Sync Now** goes through
`IntegrationsController.sync_now` exactly as the app wires it: `services.sync.run_sync` in the
JobRunner's network lane, the card following its progress and time left (polled every 100 ms),
then the change notice that makes the panes re-read in the db lane. The interpreter's thread
switch interval is the one app.py sets at start-up (`--switch-interval` to compare another).

A 5 ms `PreciseTimer` records every gap between its ticks from the click until the panes have
re-read after the sync; reported: the longest gap, the 99th percentile, the most CPU the GUI
thread itself used between two ticks (a long gap with little GUI-thread CPU is waiting for the
GIL or a CPU, not our GUI code), and the longest garbage-collector pause in any thread.
Prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QApplication, QStackedWidget, QTableView
from sync_setup import MemoryKeyring, connect, remote

from bookkeeper_desktop.app import SWITCH_INTERVAL_S
from bookkeeper_desktop.core.journal import EntrySource, EntryStatus
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.gui.context import AppContext, AppServices
from bookkeeper_desktop.gui.integrations import IntegrationsPane
from bookkeeper_desktop.gui.integrations.controller import IntegrationsController
from bookkeeper_desktop.gui.integrations.state import LastSync, Phase
from bookkeeper_desktop.gui.ledger import LedgerPane
from bookkeeper_desktop.gui.ledger.entry_table import EntryTableModel, PlaceKeeper
from bookkeeper_desktop.jobs import JobRunner
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.services.sync import TIME_SCALE_ENV, run_sync
from bookkeeper_desktop.storage.engine import open_database


class GapMeter:
    """Every gap between the ticks of a 5 ms timer, and the GUI thread's CPU per gap."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        #: When each gap ended (seconds after `start`), in the order of `gaps`.
        self.ends: list[float] = []
        self.busiest = 0.0
        self._began = 0.0
        self._last = 0.0
        self._cpu = 0.0

    def start(self) -> None:
        self.gaps = []
        self.ends = []
        self.busiest = 0.0
        self._last = self._began = time.perf_counter()
        self._cpu = time.thread_time()
        self.timer.start()

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        gap = (now - self._last) * 1000
        self.gaps.append(gap)
        self.ends.append(now - self._began)
        self.busiest = max(self.busiest, (cpu - self._cpu) * 1000)
        self._last, self._cpu = now, cpu

    def stop(self) -> None:
        self.timer.stop()

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.gaps)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


class GcMeter:
    """The longest garbage-collector pause (any generation, any thread) while active."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.active = False
        self._began = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, _info: dict[str, int]) -> None:
        if not self.active:
            return
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.longest = max(self.longest, (time.perf_counter() - self._began) * 1000)


def flood(progress: Progress, per_second: int, total: int, stop: threading.Event,
          name: str) -> None:
    """Report into the sync's `Progress` `per_second` times a second until `stop`, as a pull
    that reported every object would ("Reading transactions from …: N of about TOTAL"): the
    GUI must still see at most `POLL_INTERVAL_MS`'s worth of updates."""
    done, pause = 0, 1.0 / per_second
    next_at = time.perf_counter()
    while not stop.is_set():
        done = min(total, done + 1)
        progress.report(done, total, f"Reading transactions from {name}", approximate=True)
        next_at += pause
        time.sleep(max(0.0, next_at - time.perf_counter()))


def bench(provider: Provider, pull: int, scale: float, folder: Path, ledger: str, *,
          again: int = 0, reports: int = 0) -> tuple[str, ...]:
    keychain = Keychain(MemoryKeyring())
    # The sandbox runs in its own process, as QBO and Xero run on their own machines: in this
    # process it would take turns with the GUI thread for the GIL, which the app never does.
    with remote(provider.value, scale, count=pull) as server, \
            open_database(f"sqlite:///{folder / f'{provider.value}.sqlite'}") as db:
        company_id, env = connect(db, provider.value, server.base_url, keychain)
        env = {**env, TIME_SCALE_ENV: str(scale)}

        runner = JobRunner()
        ctx = AppContext(AppServices(db), runner, company_id=company_id)
        pane = IntegrationsPane(ctx)
        stack = QStackedWidget()
        stack.addWidget(pane)
        panes: list[Any] = [stack]
        if ledger != "off":
            ledger_pane = LedgerPane(ctx)
            if ledger == "hidden":
                stack.addWidget(ledger_pane)
            else:
                ledger_pane.resize(1400, 860)
                ledger_pane.show()
                panes.append(ledger_pane)
        stack.setCurrentWidget(pane)
        stack.resize(1400, 860)
        stack.show()
        outcome: dict[str, Any] = {}

        def sync(company: int, which: Provider, progress: Progress) -> LastSync:
            """What app.py's Sync Now runs, with the benchmark's environment and keychain."""
            stop = threading.Event()
            if reports and outcome.get("measured"):
                threading.Thread(target=flood,
                                 args=(progress, reports, pull, stop, which.display_name),
                                 daemon=True).start()
            try:
                result = run_sync(db, company, which.value, progress=progress, env=env,
                                  keychain=keychain)
            finally:
                stop.set()
            outcome["result"] = result
            return LastSync(at=dt.datetime.now(dt.UTC), ok=result.ok, summary=result.summary)

        controller = IntegrationsController(pane, sync=sync)
        settle = QEventLoop()
        QTimer.singleShot(300, settle.quit)  # the panes' first reads
        settle.exec()
        if again:
            # The first pull, not measured; then the user scrolls the ledger to its middle and
            # selects a row, and `again` more transactions wait at the provider.
            first = QEventLoop()
            controller.sync_now(provider)
            controller.syncing[provider].ended.connect(
                lambda: pane.loaded.connect(lambda: QTimer.singleShot(300, first.quit)))
            QTimer.singleShot(600_000, first.quit)
            first.exec()
            if ledger != "off":
                table, model = ledger_pane.table, ledger_pane.entry_model
                middle = model.rowCount() // 2
                table.scrollTo(model.index(middle, 0))
                table.selectRow(middle)
                settle = QEventLoop()
                QTimer.singleShot(300, settle.quit)
                settle.exec()
            server.seed_more(again)
        # As app.py does once the window shows: start-up objects out of the GC's full scans.
        gc.freeze()

        meter, gc_meter = GapMeter(), GcMeter()
        done = QEventLoop()
        card = pane.card(provider)

        ended_at: list[float] = []

        def after_sync() -> None:
            ended_at.append(time.perf_counter() - started)
            # The sync ended; the change notice makes every pane re-read. Stop once they did.
            pane.loaded.connect(lambda: QTimer.singleShot(200, done.quit))

        meter.start()
        gc_meter.active = True
        outcome["measured"] = True
        started = time.perf_counter()
        controller.sync_now(provider)
        job = controller.syncing[provider]
        job.ended.connect(after_sync)
        updates: list[float] = []
        job.progressed.connect(lambda _snapshot: updates.append(time.perf_counter()))
        QTimer.singleShot(600_000, done.quit)
        done.exec()
        took = time.perf_counter() - started
        meter.stop()
        gc_meter.active = False
        # A sync shorter than `MIN_SYNCING_SHOWN_MS` (an incremental one) still shows
        # "Syncing…" on its card for a moment: let it finish showing (not measured).
        if card.state.phase is Phase.SYNCING:
            shown = QEventLoop()
            QTimer.singleShot(pane.MIN_SYNCING_SHOWN_MS + 200, shown.quit)
            shown.exec()
        result = outcome.get("result")
        if result is None or not result.ok or card.state.phase is not Phase.CONNECTED:
            why = getattr(result, "message", job.error)
            raise SystemExit(f"{provider.display_name} sync failed: {why}")
        for widget in panes:
            widget.close()
        runner.shutdown(10_000)
        gc.unfreeze()
        end = ended_at[0] if ended_at else took
        during = [g for at, g in zip(meter.ends, meter.gaps, strict=True) if at <= end]
        after = [g for at, g in zip(meter.ends, meter.gaps, strict=True) if at > end]
        print(f"{provider.display_name}: sync job {end:.2f} s; gaps over 20 ms during the job "
              f"{[round(g) for g in during if g > 20]}, after it (panes re-reading) "
              f"{[round(g) for g in after if g > 20]}", file=sys.stderr)
        if again and ledger != "off":
            print(f"{provider.display_name}: ledger after the second sync: "
                  f"{ledger_pane.entry_model.rowCount():,} rows, selected ids "
                  f"{ledger_pane.selected_entry_ids()}, top row "
                  f"{ledger_pane.table.rowAt(0)}", file=sys.stderr)
        # Card updates a second: the busiest second of the job (the poll coalesces reports).
        busiest = max((sum(1 for u in updates if at <= u < at + 1.0) for at in updates),
                      default=0)
        return (provider.display_name, f"{result.counts['created']:,}", f"{end:.1f}", f"{took:.1f}",
                f"{len(meter.gaps):,}", f"{max(meter.gaps):.1f}", f"{meter.percentile(0.99):.1f}",
                f"{max(during, default=0):.1f}", f"{max(after, default=0):.1f}",
                f"{meter.percentile(0.5):.1f}", f"{meter.busiest:.1f}",
                f"{gc_meter.longest:.1f}", f"{len(updates) / max(end, 1e-9):.1f} / {busiest}")


@dataclass(frozen=True)
class _Row:
    """An entry row as the table reads it (`storage.records.EntrySummary`'s table fields)."""

    id: int
    date: dt.date
    number: str
    memo: str
    status: EntryStatus
    source: EntrySource
    total: Decimal
    line_count: int
    remote_deleted: bool = False


class _Books:
    """An in-memory `EntryRowSource` of `count` entries, newest first, whose ids can be changed
    between two refreshes."""

    def __init__(self, count: int) -> None:
        self.order = list(range(count, 0, -1))

    def ids(self, _filter: Any, _sort: Any) -> list[int]:
        return list(self.order)

    def rows(self, ids: Sequence[int]) -> list[_Row]:
        start = dt.date(2026, 1, 1)
        return [_Row(i, start + dt.timedelta(days=i % 365), f"JE-{i:06d}", f"Entry {i}",
                     EntryStatus.POSTED, EntrySource.QBO, Decimal(i % 5000) + Decimal("0.25"), 2)
                for i in ids]


class _TimedTable(QTableView):
    """A table view that records how long each of its paints takes on the GUI thread."""

    def __init__(self) -> None:
        super().__init__()
        self.paints: list[float] = []

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        began = time.perf_counter()
        super().paintEvent(event)
        self.paints.append((time.perf_counter() - began) * 1000)


def diff_costs(entries: int) -> None:
    """What the GUI thread pays for one refresh of the entry table after a sync, by size of
    the change, on a ledger of `entries` rows shown in a 1200x800 table scrolled to its middle
    with a row selected: the model's handling of the answer (replaying the steps, or the reset
    past `id_diff.MAX_STEPS`) and the repaint that follows, each timed on the GUI thread."""
    runner = JobRunner()
    books = _Books(entries)
    model = EntryTableModel(books, runner)
    view = _TimedTable()
    view.setModel(model)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    PlaceKeeper(view, model)  # as the Ledger pane keeps its place across a reset
    view.resize(1200, 800)
    view.show()
    wait = QEventLoop()
    model.ids_loaded.connect(wait.quit)
    model.set_filter(None)
    wait.exec()
    handled: list[float] = []
    answer = model._ids_arrived  # timed where the job's answer lands

    def timed(generation: int, reading: Any) -> None:
        began = time.perf_counter()
        answer(generation, reading)
        handled.append((time.perf_counter() - began) * 1000)

    model._ids_arrived = timed  # type: ignore[method-assign]
    middle = entries // 2
    fresh = iter(range(entries + 1, entries * 10))
    cases: list[tuple[str, Callable[[list[int]], list[int]]]] = [
        ("nothing changed", lambda order: order),
        ("20,000 pulled, all newer than the rest (one insertion)",
         lambda order: [next(fresh) for _ in range(20_000)][::-1] + order),
        ("300 pulled, newest first (one insertion)",
         lambda order: [next(fresh) for _ in range(300)][::-1] + order),
        ("30 inserted and 30 removed across the ledger (60 steps)",
         lambda order: _scatter(order, 30, fresh)),
        ("20,000 pulled, spread through the ledger (too many steps: one reset)",
         lambda order: _spread(order, 20_000, fresh)),
    ]
    print(f"\nEntry table refresh on the GUI thread: {entries:,} entries, a 1200x800 table "
          "scrolled to the middle, one row selected\n")
    print("| change | rows after | handling the answer (ms) | table repaints after it (ms "
          "each) | reset | selection, current row and scroll bar kept |")
    print("|---|---|---|---|---|---|")
    for title, change in cases:
        view.scrollTo(model.index(middle, 0), QTableView.ScrollHint.PositionAtTop)
        view.selectRow(middle)
        selected, scroll = model.entry_id(middle), view.verticalScrollBar().value()
        settle = QEventLoop()
        QTimer.singleShot(200, settle.quit)
        settle.exec()
        books.order = change(books.order)
        resets: list[bool] = []
        model.modelReset.connect(lambda resets=resets: resets.append(True))
        handled.clear()
        wait = QEventLoop()
        model.ids_loaded.connect(wait.quit)
        model.refresh(range(view.rowAt(0), view.rowAt(0) + 40))
        view.paints.clear()
        wait.exec()
        model.ids_loaded.disconnect(wait.quit)
        settle = QEventLoop()
        QTimer.singleShot(300, settle.quit)  # the repaints it causes, and any page it asks for
        settle.exec()
        painted = ", ".join(f"{ms:.1f}" for ms in view.paints) or "none"
        kept = [model.entry_id(i.row()) for i in view.selectionModel().selectedRows()]
        kept += [model.entry_id(view.currentIndex().row()), view.verticalScrollBar().value()]
        same = kept == [selected, selected, scroll]
        print(f"| {title} | {model.rowCount():,} | {handled[0]:.1f} | {painted} | "
              f"{'yes' if resets else 'no'} | {'yes' if same else 'no'} |")
    view.close()
    runner.shutdown(10_000)


def _scatter(order: list[int], count: int, fresh: Iterator[int]) -> list[int]:
    result = list(order)
    step = len(result) // (count + 1)
    for n in range(count, 0, -1):
        del result[n * step + 1]
        result.insert(n * step - step // 2, next(fresh))
    return result


def _spread(order: list[int], count: int, fresh: Iterator[int]) -> list[int]:
    every = max(1, len(order) // count)
    result: list[int] = []
    for index, entry_id in enumerate(order):
        if index % every == 0 and count:
            result.append(next(fresh))
            count -= 1
        result.append(entry_id)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pull", type=int, default=3000)
    parser.add_argument("--time-scale", type=float, default=0.25)
    parser.add_argument("--only", choices=["qbo", "xero"])
    parser.add_argument("--ledger", choices=["hidden", "visible", "off"], default="hidden")
    parser.add_argument("--again", type=int, default=0, metavar="N",
                        help="measure a second, incremental sync of N more transactions "
                             "(the ledger holds the first pull, scrolled, a row selected)")
    parser.add_argument("--reports", type=int, default=0, metavar="PER_SECOND",
                        help="also report progress PER_SECOND times a second from a second "
                             "thread during the measured sync (a pull reporting every object)")
    parser.add_argument("--switch-interval", type=float, default=SWITCH_INTERVAL_S * 1000,
                        metavar="MS",
                        help="the interpreter's thread switch interval (ms); default: the one "
                             "app.py sets at start-up (Python's own default is 5)")
    parser.add_argument("--diff-costs", type=int, default=0, metavar="ENTRIES",
                        help="only measure the entry table's refresh on the GUI thread for "
                             "changes of several sizes on a ledger of ENTRIES rows (no sync)")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    sys.setswitchinterval(args.switch_interval / 1000)  # as app.py does at start-up
    if args.diff_costs:
        diff_costs(args.diff_costs)
        load = os.getloadavg()
        print(f"\nMachine: `{' '.join(platform.uname())}`, {os.cpu_count()} CPUs, Python "
              f"{sys.version.split()[0]}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; load "
              f"{load[0]:.1f}")
        return
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for provider in ([Provider(args.only)] if args.only else list(Provider)):
            rows.append(bench(provider, args.pull, args.time_scale, Path(folder),
                              args.ledger, again=args.again, reports=args.reports))
    del app
    load = os.getloadavg()
    print(f"Machine: `{' '.join(platform.uname())}`, {os.cpu_count()} CPUs, Python "
          f"{sys.version.split()[0]}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; load "
          f"{load[0]:.1f}; time scale {args.time_scale}; ledger pane "
          f"{args.ledger}; switch interval {sys.getswitchinterval() * 1000:g} ms"
          + (f"; measured: a second sync of {args.again:,} more" if args.again
                              else "") + (f"; {args.reports:,} progress reports a second"
                                          if args.reports else "") + "\n")
    print("| provider | pulled into the ledger | sync job (s) | click → panes re-read (s) | "
          "ticks | **longest gap (ms)** | **p99 gap (ms)** | longest while the job ran (ms) | "
          "longest while the panes re-read (ms) | median gap (ms) | most GUI-thread CPU in "
          "one gap (ms) | longest GC pause (ms) | card updates a second (mean / busiest) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()

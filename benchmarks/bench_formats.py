"""Benchmarks of the file formats (run by hand; results go to benchmarks/RESULTS.md).

    .venv/bin/python benchmarks/bench_formats.py [--entries 100000] [--skip-memory]

1. Exporting N entries of 3 lines (100k entries = 300k lines) to IIF, QBO CSV and Xero CSV, against
   Python's `csv` module writing the same rows (built from the same entries), and to XLSX against
   openpyxl's write-only mode appending the same cells. Budget: within 2x.
2. Importing a 5,000-account chart (QBO CSV and IIF): read + preview against an empty chart and
   against the same 5,000 accounts (every row matched). Budget: under 1 s. Then, through storage,
   undoing that import (`services.coa_undo`): the preview and the undo (no budget: a job).
3. Peak memory (tracemalloc) exporting 10k vs 100k entries: it must stay flat (streaming).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import os
import platform
import subprocess
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.formats import ExportOptions, plan_import, read_chart, write_export
from bookkeeper_desktop.formats.common import ExportFormat
from bookkeeper_desktop.services import coa_import, coa_undo
from bookkeeper_desktop.services.companies import create_company
from bookkeeper_desktop.storage.engine import open_database

TYPES = [AccountType.BANK, AccountType.EXPENSE, AccountType.INCOME,
         AccountType.OTHER_CURRENT_LIABILITY, AccountType.COST_OF_GOODS_SOLD]


def make_accounts(count: int = 60) -> dict[int, Account]:
    accounts: dict[int, Account] = {}
    for i in range(1, count + 1):
        parent = f"Group {i % 6}"
        name = f"{parent}:Account {i}" if i % 3 else f"Account {i}"
        accounts[i] = Account(name, TYPES[i % len(TYPES)], code=str(1000 + i), id=i)
    return accounts


def make_entries(n: int, accounts: dict[int, Account]) -> Iterator[JournalEntry]:
    """N balanced 3-line entries, generated lazily (as storage streams them)."""
    ids = sorted(accounts)
    start = dt.date(2020, 1, 1)
    for i in range(n):
        cents = 1000 + (i * 7919) % 100000
        a = Decimal(cents) / 100
        b = Decimal(cents // 3) / 100
        lines = (
            JournalLine(ids[i % len(ids)], debit=a, description=f"Line one of {i}"),
            JournalLine(ids[(i + 7) % len(ids)], debit=b, description="Second, with comma"),
            JournalLine(ids[(i + 13) % len(ids)], credit=a + b, contact="Vendor"),
        )
        yield JournalEntry(start + dt.timedelta(days=i % 2000), lines, number=f"JE-{i}",
                           memo=f"Entry {i}", status=EntryStatus.POSTED, id=i + 1)


def csv_baseline(fmt: ExportFormat, n: int, accounts: dict[int, Account], path: Path) -> None:
    """The same rows written with Python's csv module (no checks, no neutralising)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        if fmt is ExportFormat.IIF:
            writer = csv.writer(handle, delimiter="\t", lineterminator="\r\n",
                                quoting=csv.QUOTE_NONE, escapechar="\\")
        else:
            writer = csv.writer(handle, lineterminator="\r\n")
        for entry in make_entries(n, accounts):
            assert entry.date is not None
            date = entry.date.strftime("%m/%d/%Y")
            for index, line in enumerate(entry.lines):
                account = accounts[line.account_id]
                if fmt is ExportFormat.IIF:
                    writer.writerow(("TRNS" if index == 0 else "SPL", "", "GENERAL JOURNAL",
                                     date, account.full_name, line.contact, line.tracking,
                                     f"{line.signed_amount:.2f}", entry.number,
                                     line.description or entry.memo))
                elif fmt is ExportFormat.QBO_CSV:
                    writer.writerow((entry.number, date, account.full_name,
                                     f"{line.debit:.2f}" if line.debit else "",
                                     f"{line.credit:.2f}" if line.credit else "",
                                     line.description or entry.memo, line.contact))
                else:
                    writer.writerow((entry.memo, entry.date.strftime("%d/%m/%Y"),
                                     line.description, account.code, "Tax Exempt",
                                     f"{line.signed_amount:.2f}", "", "", "", ""))
            if fmt is ExportFormat.IIF:
                writer.writerow(("ENDTRNS",))


def xlsx_baseline(n: int, accounts: dict[int, Account], path: Path) -> None:
    """openpyxl write-only appending the same cells (plain values)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Journal")
    for entry in make_entries(n, accounts):
        for position, line in enumerate(entry.lines, start=1):
            account = accounts[line.account_id]
            sheet.append((entry.number, entry.date, entry.memo, entry.status.value, position,
                          account.code, account.full_name, line.description, line.contact,
                          line.tracking, line.debit or None, line.credit or None))
    workbook.save(path)


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def best_of(runs: int, fn: Callable[[], object]) -> float:
    return min(timed(fn) for _ in range(runs))


def bench_exports(n: int, folder: Path, runs: int) -> list[str]:
    accounts = make_accounts()
    rows = ["| format | ours (s) | baseline (s) | ratio | budget |", "|---|---:|---:|---:|---|"]
    options = ExportOptions(xero_max_lines=300)
    for fmt in ExportFormat:
        out = folder / f"bench{fmt.suffix}"

        def ours(fmt: ExportFormat = fmt, out: Path = out) -> None:
            write_export(make_entries(n, accounts), accounts, fmt, out, options)

        base_out = folder / f"base{fmt.suffix}"
        if fmt is ExportFormat.XLSX:
            def base(base_out: Path = base_out) -> None:
                xlsx_baseline(n, accounts, base_out)
            label = "openpyxl write-only, same cells"
        else:
            def base(fmt: ExportFormat = fmt, base_out: Path = base_out) -> None:
                csv_baseline(fmt, n, accounts, base_out)
            label = "csv module, same rows"
        mine = best_of(runs, ours)
        theirs = best_of(runs, base)
        ratio = mine / theirs
        verdict = "ok" if ratio <= 2.0 else "OVER"
        rows.append(f"| {fmt.label} | {mine:.2f} | {theirs:.2f} ({label}) | {ratio:.2f}x | "
                    f"≤2x {verdict} |")
        for leftover in folder.iterdir():
            leftover.unlink()
        print(rows[-1], flush=True)
    return rows


def write_chart_files(folder: Path, count: int = 5000) -> tuple[Path, Path]:
    qbo = folder / "chart.csv"
    iif = folder / "chart.iif"
    kinds = ["Bank", "Expenses", "Income", "Other Current Liabilities", "Cost of Goods Sold"]
    iif_kinds = ["BANK", "EXP", "INC", "OCLIAB", "COGS"]
    with qbo.open("w", newline="", encoding="utf-8") as q, iif.open("w", encoding="cp1252",
                                                                    newline="") as f:
        writer = csv.writer(q)
        writer.writerow(["Account Number", "Account Name", "Type", "Detail Type"])
        f.write("!ACCNT\tNAME\tACCNTTYPE\tOBAMOUNT\tDESC\tACCNUM\r\n")
        for i in range(count):
            parent = f"Group {i // 50}"
            name = parent if i % 50 == 0 else f"{parent}:Account {i}"
            writer.writerow([str(10000 + i), name, kinds[(i // 50) % 5], "Other"])
            f.write(f"ACCNT\t{name}\t{iif_kinds[(i // 50) % 5]}\t\"1,234.56\"\tDesc {i}\t"
                    f"{10000 + i}\r\n")
    return qbo, iif


def bench_import(folder: Path, runs: int) -> list[str]:
    qbo, iif = write_chart_files(folder)
    rows = ["| chart (5,000 accounts) | read + preview, empty chart (s) | "
            "read + preview, all 5,000 already there (s) | budget |", "|---|---:|---:|---|"]
    for path in (qbo, iif):
        chart = read_chart(path)
        assert len(chart.rows) == 5000, chart.problems[:3]
        existing = [row.to_account().with_changes(id=i) for i, row in enumerate(chart.rows)]
        empty = best_of(runs, lambda path=path: plan_import(read_chart(path), []))
        full = best_of(runs, lambda path=path, existing=existing: plan_import(read_chart(path),
                                                                              existing))
        verdict = "ok" if max(empty, full) < 1.0 else "OVER"
        rows.append(f"| {chart.detected.label} | {empty:.3f} | {full:.3f} | <1 s {verdict} |")
        print(rows[-1], flush=True)
    return rows


def bench_import_storage(folder: Path, runs: int) -> list[str]:
    """Preview and apply into a real SQLite database (services.coa_import), the same file twice."""
    qbo, iif = write_chart_files(folder)
    rows = ["| chart (5,000 accounts) into SQLite | first import: preview + apply (s) | "
            "same file again (s) | budget |", "|---|---:|---:|---|"]
    for path in (qbo, iif):
        firsts, agains = [], []
        for run in range(runs):
            database = open_database(f"sqlite:///{folder / f'bench-{path.suffix}-{run}.sqlite'}")
            company = create_company(database, "Bench").id
            start = time.perf_counter()
            outcome = coa_import.import_chart(database, company, path, actor="bench")
            firsts.append(time.perf_counter() - start)
            assert len(outcome.added) == 5000
            start = time.perf_counter()
            again = coa_import.import_chart(database, company, path, actor="bench")
            agains.append(time.perf_counter() - start)
            assert not again.added
            assert not again.updated
            database.close()
        verdict = "ok" if min(firsts) < 1.0 else "OVER"
        rows.append(f"| {read_chart(path).detected.label} | {min(firsts):.3f} | "
                    f"{min(agains):.3f} | <1 s {verdict} |")
        print(rows[-1], flush=True)
    return rows


def bench_import_undo(folder: Path, runs: int) -> list[str]:
    """Undo the import of a 5,000-account chart (services.coa_undo): the preview, then the undo
    (all 5,000 accounts removed, in one transaction). No budget; the undo runs as a job."""
    qbo, iif = write_chart_files(folder)
    rows = ["| chart (5,000 accounts) into SQLite | undo preview (s) | undo (s) |",
            "|---|---:|---:|"]
    for path in (qbo, iif):
        previews, undos = [], []
        for run in range(runs):
            database = open_database(f"sqlite:///{folder / f'undo-{path.suffix}-{run}.sqlite'}")
            company = create_company(database, "Bench").id
            coa_import.import_chart(database, company, path, actor="bench")
            start = time.perf_counter()
            plan = coa_undo.plan_undo_last(database, company)
            previews.append(time.perf_counter() - start)
            assert plan is not None
            assert len(plan.remove) == 5000
            start = time.perf_counter()
            coa_undo.undo_last_import(database, company, import_id=plan.record.id)
            undos.append(time.perf_counter() - start)
            database.close()
        rows.append(f"| {read_chart(path).detected.label} | {min(previews):.3f} | "
                    f"{min(undos):.3f} |")
        print(rows[-1], flush=True)
    return rows


def bench_memory(folder: Path) -> list[str]:
    accounts = make_accounts()
    rows = ["| format | peak 10k entries (MiB) | peak 100k entries (MiB) | growth |",
            "|---|---:|---:|---:|"]
    for fmt in ExportFormat:
        peaks = []
        for n in (10_000, 100_000):
            out = folder / f"mem{fmt.suffix}"
            gc.collect()
            tracemalloc.start()
            write_export(make_entries(n, accounts), accounts, fmt, out)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            peaks.append(peak / (1024 * 1024))
            for leftover in folder.iterdir():
                leftover.unlink()
        rows.append(f"| {fmt.label} | {peaks[0]:.1f} | {peaks[1]:.1f} | "
                    f"{peaks[1] / peaks[0]:.2f}x |")
        print(rows[-1], flush=True)
    return rows


def machine() -> str:
    cpus = os.cpu_count()
    uname = subprocess.run(["uname", "-a"], capture_output=True, text=True, check=False)
    return (f"`{uname.stdout.strip()}`; nproc {cpus}; Python {platform.python_version()}; "
            f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--only-import", action="store_true")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if not args.only_import:
            print(f"\nExport of {args.entries:,} entries ({3 * args.entries:,} lines), best of "
                  f"{args.runs}:")
            bench_exports(args.entries, folder, args.runs)
        print("\nChart import:")
        bench_import(folder, max(args.runs, 3))
        print("\nChart import into storage:")
        bench_import_storage(folder, max(args.runs, 3))
        print("\nUndo of that import:")
        bench_import_undo(folder, max(args.runs, 3))
        for leftover in folder.iterdir():
            leftover.unlink()
        if not args.skip_memory and not args.only_import:
            print("\nPeak traced memory while exporting:")
            bench_memory(folder)


if __name__ == "__main__":
    main()

"""Storage benchmark: insert and read back 100k journal entries (about 300k lines) on SQLite.

Run by hand:  .venv/bin/python benchmarks/bench_storage.py [--entries 100000] [--db URL]
Prints a Markdown table for benchmarks/RESULTS.md. Uses a temporary SQLite file unless
--db is given (a PostgreSQL URL works too; use an empty database).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from bookkeeper_desktop.core.journal import EntryStatus
from bookkeeper_desktop.sample_data import generate_entries, sample_accounts
from bookkeeper_desktop.services import accounts, companies, entries
from bookkeeper_desktop.services.lookups import entry_lookups
from bookkeeper_desktop.storage.engine import open_database
from bookkeeper_desktop.storage.records import EntryFilter, EntrySort, SortColumn

T = TypeVar("T")
ROWS: list[tuple[str, str, str]] = []


def timed(label: str, action: Callable[[], T], note: str = "") -> T:
    start = time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - start
    ROWS.append((label, f"{elapsed * 1000:,.1f} ms" if elapsed < 1 else f"{elapsed:,.2f} s",
                 note))
    print(f"{label:<58} {ROWS[-1][1]:>12}  {note}", file=sys.stderr)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bookkeeper-bench-")
    url = args.db or f"sqlite:///{Path(folder) / 'bench.sqlite'}"

    db = timed("open + migrate an empty database", lambda: open_database(url))
    company = companies.create_company(db, "Benchmark Co")
    chart = accounts.add_accounts(db, company.id, sample_accounts())
    end = dt.date(2026, 6, 30)
    made = timed(f"generate {args.entries:,} entries in memory",
                 lambda: list(generate_entries(args.entries, chart, seed=1, end=end)))
    lines = sum(len(e.lines) for e in made)
    ids = timed(f"insert {args.entries:,} entries / {lines:,} lines (validated)",
                lambda: entries.bulk_insert_entries(db, company.id, made),
                "one transaction, Core executemany")
    # Drop the 100k generated entries (about a million objects) so that the garbage collector
    # does not walk them during every timing below; the app never holds them all either.
    made.clear()
    gc.collect()
    everything = EntryFilter()
    by_date = EntrySort(SortColumn.DATE)
    timed("count all entries", lambda: entries.count_entries(db, company.id, everything))
    timed("count posted entries", lambda: entries.count_entries(
        db, company.id, EntryFilter.of_status(EntryStatus.POSTED)))
    all_ids = timed("ids of all entries, sorted by date", lambda: entries.entry_ids(
        db, company.id, everything, by_date), "what the lazy table model holds")
    timed("ids sorted by amount, descending", lambda: entries.entry_ids(
        db, company.id, everything, EntrySort(SortColumn.TOTAL, descending=True)))
    timed("first page (200 rows) by date", lambda: entries.page_entries(
        db, company.id, everything, by_date, offset=0, limit=200))
    timed("last page (200 rows) by date, OFFSET near the end", lambda: entries.page_entries(
        db, company.id, everything, by_date, offset=len(all_ids) - 200, limit=200))
    rng = random.Random(5)
    fetches = []
    for _ in range(50):
        start = rng.randrange(0, len(all_ids) - 100)
        begin = time.perf_counter()
        entries.summaries_by_id(db, company.id, all_ids[start:start + 100])
        fetches.append((time.perf_counter() - begin) * 1000)
    ROWS.append(("fetch 100 rows by id at a random scroll position (50 times)",
                 f"median {statistics.median(fetches):.1f} ms, max {max(fetches):.1f} ms",
                 "the table model's fetch on scroll"))
    print(ROWS[-1], file=sys.stderr)
    timed("text filter 'Payroll' (count)", lambda: entries.count_entries(
        db, company.id, EntryFilter(text="Payroll")), "LIKE over memo and number")
    account_id = chart[0].id
    timed("account filter (count of entries touching Checking)", lambda: entries.count_entries(
        db, company.id, EntryFilter(account_id=account_id)))
    named = next((line.contact for entry in entries.get_entries(db, company.id, ids[:200])
                  for line in entry.lines if line.contact), "Nobody")
    timed(f"contact filter '{named}' (ids, by date)", lambda: entries.entry_ids(
        db, company.id, EntryFilter(contact=named), by_date),
        "lines naming it, any case; no index on journal_lines.contact")
    timed("entry editor's lookups (active contacts, tax codes in use)",
          lambda: entry_lookups(db, company.id), "DISTINCT over every line's tax code")
    timed("date range filter, one month (ids)", lambda: entries.entry_ids(
        db, company.id, EntryFilter(date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 31))))
    timed("get one entry with its lines", lambda: entries.get_entry(db, company.id, ids[-1]))
    read = timed(f"read back all {args.entries:,} entries with lines (iter_entries)",
                 lambda: sum(1 for _ in entries.iter_entries(db, company.id)),
                 "batches of 1,000")
    assert read == args.entries
    tb = timed("trial balance (posted)", lambda: entries.trial_balance(db, company.id))
    assert tb.is_balanced
    db.close()
    size = Path(url.removeprefix("sqlite:///")).stat().st_size if url.startswith("sqlite") else 0

    print(f"\n## Storage (SQLite) — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC\n")
    print(f"Machine: `{' '.join(platform.uname())}`, {_nproc()} CPUs, Python "
          f"{platform.python_version()}, SQLite {_sqlite_version()}.  ")
    print(f"Data: {args.entries:,} entries, {lines:,} lines, 61 accounts"
          + (f"; database file {size / 1e6:,.0f} MB." if size else "."))
    print("Command: `.venv/bin/python benchmarks/bench_storage.py`\n")
    print("| operation | time | note |")
    print("|---|---:|---|")
    for label, value, note in ROWS:
        print(f"| {label} | {value} | {note} |")


def _nproc() -> int:
    return os.cpu_count() or 0


def _sqlite_version() -> str:
    return sqlite3.sqlite_version


if __name__ == "__main__":
    main()

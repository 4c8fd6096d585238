"""Not sent benchmark (issue #12 item 3): the reads behind the run's counts per reason, the Not
sent list, the Ledger's Sync column (one page) and its Not sent filter, over 100k entries of which
10% are not sent, on SQLite.

Run by hand:  .venv/bin/python benchmarks/bench_not_sent.py [--entries 100000]
Prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from bookkeeper_desktop.sample_data import generate_entries, sample_accounts
from bookkeeper_desktop.services import accounts, companies, entries
from bookkeeper_desktop.services.not_sent import ledger_sync_text, list_not_sent
from bookkeeper_desktop.storage.engine import open_database
from bookkeeper_desktop.storage.records import EntryFilter, EntrySort
from bookkeeper_desktop.storage.schema import ConnectionRow, OutboxRow
from bookkeeper_desktop.sync.engine import not_sent_counts

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_storage import ROWS, timed

REASONS = ("unmapped", "stopped", "refused")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bookkeeper-bench-")
    db = open_database(f"sqlite:///{Path(folder) / 'bench.sqlite'}")
    company = companies.create_company(db, "Benchmark Co")
    chart = accounts.add_accounts(db, company.id, sample_accounts())
    made = list(generate_entries(args.entries, chart, seed=1, end=dt.date(2026, 6, 30)))
    ids = entries.bulk_insert_entries(db, company.id, made)
    made.clear()
    gc.collect()
    # One outbox row per entry: 90% sent, 10% not sent (a third each unmapped, stopped, refused).
    rng = random.Random(3)
    rows = []
    for n, entry_id in enumerate(ids):
        unsent = n % 10 == 0
        rows.append({"company_id": company.id, "provider": "qbo", "entry_id": entry_id,
                     "operation": "create", "idempotency_key": f"qbo{company.id}-{entry_id}-x",
                     "state": "refused" if unsent else "sent",
                     "reason": rng.choice(REASONS) if unsent else None,
                     "last_error": "why" if unsent else "", "attempts": 1, "refusals": 0})
    with db.session() as session:
        session.add(ConnectionRow(company_id=company.id, provider="qbo", tenant_id="1",
                                  status="connected"))
        session.execute(insert(OutboxRow), rows)
    unsent = len(ids) // 10

    counts = timed("counts per reason after a run (not_sent_counts)",
                   lambda: not_sent_counts(db, company.id, "qbo"), f"{unsent:,} not sent")
    assert sum(counts.values()) == unsent
    listed = timed("the Not sent list (list_not_sent)", lambda: list_not_sent(db, company.id))
    assert len(listed) == unsent
    only = EntryFilter(not_sent=True)
    found = timed("Ledger Not sent filter: ids sorted by date",
                  lambda: entries.entry_ids(db, company.id, only, EntrySort()))
    assert len(found) == unsent
    pages = []
    for _ in range(50):
        start = rng.randrange(0, len(ids) - 200)
        summaries = list(entries.summaries_by_id(db, company.id, ids[start:start + 200]).values())
        begin = time.perf_counter()
        ledger_sync_text(db, company.id, summaries)
        pages.append((time.perf_counter() - begin) * 1000)
    ROWS.append(("Ledger Sync column for a page of 200 rows (50 random pages)",
                 f"median {statistics.median(pages):.1f} ms, max {max(pages):.1f} ms",
                 "in the db lane, beside the page read"))
    print(ROWS[-1], file=sys.stderr)
    db.close()

    print(f"\n## Not sent (SQLite) — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC\n")
    print(f"Machine: `{' '.join(platform.uname())}`, Python {platform.python_version()}.  ")
    print(f"Data: {args.entries:,} entries with one outbox row each, {unsent:,} not sent.")
    print("Command: `.venv/bin/python benchmarks/bench_not_sent.py`\n")
    print("| operation | time | note |")
    print("|---|---:|---|")
    for label, value, note in ROWS:
        print(f"| {label} | {value} | {note} |")


if __name__ == "__main__":
    main()

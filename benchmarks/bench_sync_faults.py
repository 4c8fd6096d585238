"""Syncs under injected faults (issue #13 §4): how many complete, and how long recovery takes.

    .venv/bin/python benchmarks/bench_sync_faults.py --syncs 1000

For each provider: one company connected to its sandbox (rate limits on, time-scaled: a minute of
the provider's lasts `--time-scale` × 60 s, and our client's waits use the same scale), a first
clean sync, then `--syncs` syncs in a row, each after a few new entries were made here and one
journal was edited at the provider, with about `--fault-rate` of the accounting API's requests
faulted at random (the sandbox's `probability` rules, seeded): 5xx (503), 429 with Retry-After,
the connection dropped before the server acted, and dropped after it committed — in equal shares.

Reported: syncs completed (status succeeded), the failed ones' messages, and the time to recover
(from the start of a failed sync to the end of the next successful one). The syncs run in rounds
of `--round-size` against a fresh sandbox and fresh books (see `bench`); at the end of each round
the faults are cleared, one more sync runs, and every entry must be at the provider exactly once
(no duplicate, none lost). Prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bookkeeper_desktop.providers.keychain import Keychain  # noqa: E402
from bookkeeper_desktop.sandbox.faults import Fault  # noqa: E402
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox  # noqa: E402
from bookkeeper_desktop.sandbox.xero_server import XeroSandbox  # noqa: E402
from bookkeeper_desktop.services.sync import open_client, run_sync  # noqa: E402
from bookkeeper_desktop.storage.engine import open_database  # noqa: E402
from tests.providers.conftest import MemoryKeyring  # noqa: E402
from tests.sync.conftest import TENANT, Books, connect_books  # noqa: E402
from tests.sync.helpers import make_entries, pushed_copies, remote_journals  # noqa: E402

API_PATH = {"qbo": r"^/v3/company/", "xero": r"(?i)^/api\.xro/2\.0/"}


@dataclass
class Outcome:
    completed: int = 0
    failed: int = 0
    durations: list[float] = field(default_factory=list)
    recoveries: list[float] = field(default_factory=list)
    messages: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    lost: int = 0
    retries: int = 0
    reconciled: int = 0
    requests: int = 0


def add_faults(books: Books, rate: float, seed: int) -> None:
    """About `rate` of the API's requests faulted, in four equal kinds."""
    share = rate / 4
    path = API_PATH[books.provider]
    books.sandbox.faults.seed(seed)
    for kind, extra in (("error", {"status": 503}), ("rate_limit", {"seconds": 1.0}),
                        ("drop_before", {}), ("drop_after", {})):
        # Each rule draws only if the ones before it did not fire: scale so the shares hold.
        books.sandbox.add_fault(Fault(kind, count=None, path=path,  # type: ignore[arg-type]
                                      probability=share, **extra))  # type: ignore[arg-type]


def seeded_journals(books: Books) -> list[str]:
    """Ids of the journals the sandbox company started with (not ours), read once: the state
    endpoint serialises the whole sandbox, too slow to call at every sync."""
    if books.provider == "qbo":
        return [str(j["Id"]) for j in remote_journals(books)]
    return [str(j["ManualJournalID"]) for j in remote_journals(books) if j["Status"] == "POSTED"]


def edit_one(books: Books, seeded: list[str], round_number: int) -> None:
    """A user at the provider edits one of its own journals (the next pull brings it in)."""
    target = seeded[round_number % len(seeded)]
    if books.provider == "qbo":
        books.sandbox.api.remote_edit(books.tenant, "JournalEntry", target,  # type: ignore[arg-type]
                                      {"DocNumber": f"R{round_number}"})
    else:
        books.sandbox.api.remote_edit(books.tenant, "ManualJournals",  # type: ignore[arg-type]
                                      target, {"Narration": f"edited {round_number}"})


def bench(provider: str, syncs: int, *, rate: float, time_scale: float, seed: int,
          round_size: int) -> Outcome:
    """`syncs` faulted syncs in rounds of `round_size`, each against a fresh sandbox and fresh
    books: the push's reconciliation looks 10 minutes of *wall-clock* time back
    (`push.RECONCILE_MARGIN`), which at time scale 0.01 is more than a provider-day of pushes, so
    one long round would measure a growing reconcile query instead of the sync."""
    outcome = Outcome()
    done = 0
    round_number = 0
    while done < syncs:
        count = min(round_size, syncs - done)
        one_round(provider, count, rate=rate, time_scale=time_scale, seed=seed + round_number,
                  outcome=outcome, done=done, total=syncs)
        done += count
        round_number += 1
    return outcome


def one_round(provider: str, syncs: int, *, rate: float, time_scale: float, seed: int,
              outcome: Outcome, done: int, total: int) -> None:
    # Xero allows 5,000 calls a day per tenant, and our client keeps to that budget itself (per
    # tenant, for the whole process): 1,000 syncs in a few minutes are several days at time scale
    # 0.01, so each round is another organisation, as it would be another day.
    tenant = TENANT if done == 0 else str(uuid.UUID(int=done))
    sandbox = QboSandbox(limits=True, time_scale=time_scale) if provider == "qbo" \
        else XeroSandbox(limits=True, time_scale=time_scale,
                         organisations={tenant: "Demo Company (NZ)"})
    with sandbox, tempfile.TemporaryDirectory() as folder:
        db = open_database(f"sqlite:///{Path(folder) / 'books.sqlite'}")
        books = connect_books(db, provider, sandbox, Keychain(MemoryKeyring()))
        if provider == "xero":
            books = dataclasses.replace(books, tenant=tenant)

        def one_sync() -> tuple[bool, str, float]:
            started = time.monotonic()
            with open_client(db, books.company_id, provider, keychain=books.keychain,
                             env=books.env, time_scale=time_scale) as client:
                result = run_sync(db, books.company_id, provider, client=client)
            outcome.retries += int(result.counts.get("retries", 0))
            outcome.reconciled += int(result.counts.get("reconciled", 0))
            return result.ok, result.message, time.monotonic() - started

        assert one_sync()[0], "the first clean sync"
        made: list[int] = []
        seeded = seeded_journals(books)
        add_faults(books, rate, seed)
        before = sandbox.request_counts()
        failed_since: float | None = None
        for number in range(syncs):
            made += make_entries(books, 3, start=len(made) + 10_000)
            edit_one(books, seeded, number)
            started = time.monotonic()
            ok, message, took = one_sync()
            outcome.durations.append(took)
            if ok:
                outcome.completed += 1
                if failed_since is not None:
                    outcome.recoveries.append(time.monotonic() - failed_since)
                    failed_since = None
            else:
                outcome.failed += 1
                outcome.messages[message[:160]] += 1
                if failed_since is None:
                    failed_since = started
            if (done + number + 1) % 100 == 0:
                print(f"  {provider}: {done + number + 1}/{total}, {outcome.failed} failed",
                      file=sys.stderr)
        after = sandbox.request_counts()
        outcome.requests += sum(after.values()) - sum(before.values())
        sandbox.clear_faults()
        # A failed last sync recovers here, without faults.
        ok, message, _ = one_sync()
        assert ok, message
        if failed_since is not None:
            outcome.recoveries.append(time.monotonic() - failed_since)
        copies = pushed_copies(books)
        outcome.duplicates += sum(1 for n in copies.values() if n > 1)
        outcome.lost += sum(1 for entry_id in made if copies.get(entry_id, 0) == 0)
        db.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--syncs", type=int, default=1000)
    parser.add_argument("--fault-rate", type=float, default=0.10)
    parser.add_argument("--time-scale", type=float, default=0.01)
    parser.add_argument("--only", choices=["qbo", "xero"])
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--round-size", type=int, default=100,
                        help="syncs per fresh sandbox and fresh books")
    args = parser.parse_args()
    began = time.monotonic()
    print(f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, "
          f"load average {os.getloadavg()[0]:.2f}; time scale {args.time_scale}, fault rate "
          f"{args.fault_rate:.0%}")
    print()
    print("| provider | syncs | API requests | retries | reconciled | completed | ratio | "
          "sync median / max (s) | recoveries | time to recover median / max (s) | duplicates | "
          "lost |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    bad = False
    reports = {}
    for provider in [args.only] if args.only else ["qbo", "xero"]:
        o = bench(provider, args.syncs, rate=args.fault_rate, time_scale=args.time_scale,
                  seed=args.seed, round_size=args.round_size)
        reports[provider] = o
        recover = (f"{statistics.median(o.recoveries):.2f} / {max(o.recoveries):.2f}"
                   if o.recoveries else "-")
        print(f"| {provider} | {args.syncs} | {o.requests} | {o.retries} | {o.reconciled} | "
              f"{o.completed} | "
              f"{o.completed / args.syncs:.2%} | {statistics.median(o.durations):.2f} / "
              f"{max(o.durations):.2f} | {len(o.recoveries)} | {recover} | {o.duplicates} | "
              f"{o.lost} |")
        bad = bad or o.duplicates > 0 or o.lost > 0
    for provider, o in reports.items():
        for message, count in o.messages.most_common(8):
            print(f"\n{provider} failed ×{count}: {message}")
    print(f"\nTook {time.monotonic() - began:.0f} s.")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

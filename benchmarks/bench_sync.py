"""Sync benchmark: push 5,000 entries and pull 20,000 transactions against the sandboxes with their
rate limits on (time-scaled), reported as the fraction of the rate-limit bound achieved.

Run by hand:  .venv/bin/python benchmarks/bench_sync.py [--time-scale 0.1] [--push 5000]
              [--pull 20000] [--only qbo|xero]
(`--push 0` measures the pull alone, e.g. at `--time-scale 1`, the providers' real limits.)
Prints a Markdown table for benchmarks/RESULTS.md.

The bound: with a sliding window of L requests per window W (QBO batch 120/min of 30 items; Xero
60/min of 50 items per write, pageSize 1,000 per read), n requests cannot finish faster than
floor((n - 1) / L) windows; the benchmark reports that minimum, the time taken and the fraction.
For pulls, whose request count fits inside one window's burst, the bound is stated in objects per
window instead (page size × L), the steady rate the limits allow.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sync_setup import MemoryKeyring, add_entries, connect, min_windows, remote, timed_sync

from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.storage.engine import open_database


def bench(provider: str, scale: float, push_count: int, pull_count: int, folder: Path
          ) -> list[tuple[str, ...]]:
    """Pull and push each against a fresh sandbox and fresh books (the sandboxes slow down with
    tens of thousands of records: their own bookkeeping per write, not ours)."""
    rows: list[tuple[str, ...]] = []
    window = 60.0 * scale
    keychain = Keychain(MemoryKeyring())
    # Pull: the first full sync of a company with `pull_count` more transactions.
    with remote(provider, scale, count=pull_count) as server, \
            open_database(f"sqlite:///{folder / f'{provider}-pull.sqlite'}") as db:
        company_id, env = connect(db, provider, server.base_url, keychain)
        elapsed, counts = timed_sync(db, company_id, provider, env, keychain=keychain, scale=scale,
                                pull=True, push=False)
        page, limit = (1000, 500) if provider == "qbo" else (1000, 60)
        steady_pull = pull_count / (page * limit) * window
        rows.append((provider, f"pull {pull_count:,} (+ seed)", f"{counts['api_calls']}",
                     f"{elapsed:.2f}", "-", f"{steady_pull:.2f}", "-",
                     f"{steady_pull / elapsed:.0%}", f"{counts['created']}"))
    if not push_count:
        return rows
    # Push: `push_count` posted entries after a first sync of the seeded company.
    with remote(provider, scale, second=True) as server, \
            open_database(f"sqlite:///{folder / f'{provider}-push.sqlite'}") as db:
        company_id, env = connect(db, provider, server.base_url, keychain)
        timed_sync(db, company_id, provider, env, keychain=keychain, scale=scale, pull=True,
              push=False)
        add_entries(db, company_id, provider, push_count)
        elapsed, counts = timed_sync(db, company_id, provider, env, keychain=keychain, scale=scale,
                                pull=False, push=True)
        per_request, per_window = (30, 120) if provider == "qbo" else (50, 60)
        requests = -(-push_count // per_request)
        bound = min_windows(requests, per_window) * window
        steady = requests / per_window * window
        rows.append((provider, f"push {push_count:,}", f"{requests}", f"{elapsed:.2f}",
                     f"{bound:.2f}", f"{steady:.2f}", f"{bound / elapsed:.0%}",
                     f"{steady / elapsed:.0%}", f"{counts['pushed']}"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--time-scale", type=float, default=0.25)
    parser.add_argument("--push", type=int, default=5000)
    parser.add_argument("--pull", type=int, default=20000)
    parser.add_argument("--only", choices=["qbo", "xero"])
    args = parser.parse_args()
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory() as folder:
        for provider in ([args.only] if args.only else ["qbo", "xero"]):
            rows += bench(provider, args.time_scale, args.push, args.pull, Path(folder))
    print(f"Machine: `{' '.join(platform.uname())}`, {os.cpu_count()} CPUs, Python "
          f"{sys.version.split()[0]}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; "
          f"time scale {args.time_scale} (a minute = {60 * args.time_scale:g} s)\n")
    print("| provider | job | requests | took (s) | burst bound (s) | steady bound (s) | "
          "of burst bound | of steady bound | objects |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()

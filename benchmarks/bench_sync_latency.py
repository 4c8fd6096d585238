"""Sync at real-world latency and the providers' real limits (issue 15).

Run by hand (about 15 minutes with the defaults; prints Markdown for benchmarks/RESULTS.md):

    .venv/bin/python benchmarks/bench_sync_latency.py
    .venv/bin/python benchmarks/bench_sync_latency.py --only qbo --pull 5000 --push 1000 --busy 0
    .venv/bin/python benchmarks/bench_sync_latency.py --jobs push --ours-only   # the push rows

Every sandbox runs in its own process (as the provider runs on its own machine) with its rate
limits on at time scale 1 (QBO 500/min, 10 concurrent, batch 120/min; Xero 60/min, 5 concurrent)
and the modelled latency on (`sandbox/latency.py`: "realistic", seeded; its figures are
estimates). Set-up (connecting, filling a company) runs with latency off and the limits'
windows — the sandbox's and our client's — are emptied before each measured run, so every run
starts alike. (Until 2026-12-03 15:00 only the sandbox's were: a push's own budget still
counted the first sync made just before it, and Xero's 60 a minute held some writes back.)

(a) first sync pulling `--pull` objects and (b) a push of `--push` entries, each measured three
ways in the same run: **ours** (the client as the app builds it: as many requests in flight as
the provider allows, `ProviderClient.parallel`), **one at a time** (the same client with
`parallel=1`), and for pulls a **tap-style reader** written here: read a page, store it, then ask
for the next (how Singer and Airbyte taps read), with the same page sizes as ours. A pull is also
run a fourth time, ours with the latency **off**: the difference is what waiting on the network
still adds to our pull (the rest is our own work: building and storing the ledger).

Three bounds for each job, each a time no client can beat:
- the **rate-limit bound**: the sliding window's minimum, floor((n − 1) / L) windows for n
  requests at L per minute (QBO pushes: the batch endpoint's 120/min and the 500/min, whichever
  is tighter);
- the **latency bound**: the seconds of latency the sandbox drew for our run ÷ the allowed
  concurrency (10 QBO, 5 Xero): what no client can beat without sending fewer requests;
- the **combined bound** (`sandbox.latency.least_time`, from each delay the sandbox drew,
  `GET /__sandbox__/latency`): the requests beyond the first k·L cannot be admitted before
  k minutes, and they still need their own latency, spread over the allowed concurrency:

      max over k ≥ 0 of  60·k + max(S_m ÷ C, d_m),   m = n − k·L,

  S_m the sum of the m shortest delays drawn, d_m the m-th shortest, C the concurrency limit.
  It is at least each of the other two (k = 0 is the latency bound; the largest k is the
  rate-limit bound plus at least the shortest delay) and it is a lower bound for any client:
  at most k·L requests are admitted in the first k minutes, so at least m are admitted after
  60·k; each holds a concurrency slot at the provider for at least its delay (the sandbox counts
  a request in flight until its answer leaves), so those m cannot all be answered before
  60·k + S_m ÷ C, nor the longest of them before 60·k + d_m. It takes the delays as given (a
  client sending other requests would have drawn others). For a push it is computed over the
  **write requests only** (QBO's batches against the batch endpoint's 120/min, Xero's writes
  against its 60/min): the reads our push also makes (QBO's CompanyInfo, Xero's Organisation)
  are left out, since another client might not need them, which only lowers the bound. For a
  pull, over every API request of the run (the same requests the latency bound counts).
"ours of bound" is max(rate-limit, latency bound) ÷ our time, "ours of combined" the combined
bound ÷ our time (100 % = as fast as the services allow).

(c) "sync time < 30 s for typical datasets": the first sync (pull and push) of the sample company
(`sample_data`, into a QBO company / Xero organisation holding the sample chart, as `--demo`
connects it), and a first sync of a company that already keeps **three years of a busy small
business's books** at the provider: `--busy` transactions a working day (default 15: sales,
purchases, bank, payroll, in the sample generator's mix), 250 working days a year, so 11,250
transactions, put there by our own push with limits and latency off; then a new company of ours
connects and pulls them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sync_setup import (
    MemoryKeyring,
    Remote,
    SandboxSpec,
    add_entries,
    connect,
    min_windows,
    remote,
    timed_sync,
)

from bookkeeper_desktop.core.journal import EntryStatus
from bookkeeper_desktop.providers.http import QBO_MINOR_VERSION
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.sample_data import create_sample_company
from bookkeeper_desktop.sandbox.latency import least_time
from bookkeeper_desktop.sandbox.limits import (
    QBO_BATCH_PER_MINUTE,
    QBO_CONCURRENT,
    QBO_PER_MINUTE,
    XERO_CONCURRENT,
    XERO_PER_MINUTE,
)
from bookkeeper_desktop.services.sync import open_client
from bookkeeper_desktop.storage.engine import Database, open_database
from bookkeeper_desktop.sync.clients import QBO_PAGE, XERO_PAGE, XERO_UNPAGED, forget_budgets
from bookkeeper_desktop.sync.remote_entries import QBO_ENTITIES, XERO_COLLECTIONS

LATENCY_SEED = 15
CONCURRENT = {"qbo": QBO_CONCURRENT, "xero": XERO_CONCURRENT}
PER_MINUTE = {"qbo": QBO_PER_MINUTE, "xero": XERO_PER_MINUTE}
WORKING_DAYS_A_YEAR = 250
#: The parts of the benchmark (`--jobs`): (a) pull, (b) push, (c) sample and busy companies.
JOBS = ("pull", "push", "sample", "busy")
#: The client's time scale while filling a company with the sandbox's limits off.
FILL_SCALE = 0.001


#: The API's paths (not OAuth's), and of those the push's write requests.
API_PATH = {"qbo": re.compile(r"^/v3/company/[^/]+/"), "xero": re.compile(r"^/api\.xro/2\.0/")}
PUSH_WRITE = {"qbo": re.compile(r"^/v3/company/[^/]+/batch$"), "xero": API_PATH["xero"]}


@dataclass
class Run:
    """One measured run: our time, the requests the sandbox answered, the latency it drew (in
    total, and each delay with its path and whether it was a write)."""

    seconds: float
    requests: int
    latency_total: float
    peak_in_flight: int
    counts: dict[str, Any]
    delays: list[dict[str, Any]] = field(default_factory=list)


def measured(server: Remote, run: Callable[[], tuple[float, dict[str, Any]]], *,
             profile: str = "realistic") -> Run:
    """`run` with fresh rate-limit windows, the sandbox's and our own (the set-up's calls, such
    as the first sync before a push, counted against both for a minute), and the latency's
    draws restarted from the seed (`profile` "off": the sandbox answers at once)."""
    server.fresh_limits()
    forget_budgets()
    server.test_call("POST", "latency", {"profile": profile, "seed": LATENCY_SEED})
    seconds, counts = run()
    latency = server.test_call("GET", "latency")
    server.test_call("POST", "latency", {"profile": "off"})
    if not latency["delays_complete"]:
        raise SystemExit("the sandbox kept only some of the delays it drew: no bound")
    writes = [d["at"] for d in latency["delays"] if d["write"]]
    print(f"  {seconds:.1f} s, {latency['requests']} requests, {counts.get('retries', 0)} "
          f"retries" + (f"; writes drawn from {writes[0]:.1f} s to {writes[-1]:.1f} s after "
                        "the latency was set" if writes else ""), file=sys.stderr, flush=True)
    return Run(seconds, int(latency["requests"]), float(latency["total_seconds"]),
               int(latency["peak_in_flight"]), counts, list(latency["delays"]))


def fresh_books(folder: Path, name: str) -> Database:
    path = folder / f"{name}.sqlite"
    path.unlink(missing_ok=True)
    return open_database(f"sqlite:///{path}")


# -- (a) pull ----------------------------------------------------------------------------------


def tap_read(db: Database, company_id: int, provider: str, env: dict[str, str], *,
             keychain: Keychain, store: Path) -> tuple[float, dict[str, Any]]:
    """A tap-style reader: every stream page by page, one request at a time, each page stored
    (and committed) before the next is asked for; no rate budget of its own (one at a time stays
    under both providers' limits at these latencies)."""
    with open_client(db, company_id, provider, keychain=keychain, env=env) as client, \
            sqlite3.connect(store) as out:
        out.execute("create table if not exists records (stream text, id text, body text)")
        calls = 0
        stored = 0
        started = time.perf_counter()
        for stream, page_rows in _tap_pages(provider, client.api.request):
            calls += 1
            out.executemany("insert into records values (?, ?, ?)",
                            [(stream, str(row.get("Id") or row.get(f"{stream[:-1]}ID") or ""),
                              repr(row)) for row in page_rows])
            out.commit()
            stored += len(page_rows)
        return time.perf_counter() - started, {"api_calls": calls, "created": stored}


def _tap_pages(provider: str, request: Callable[..., Any]
               ) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    if provider == "qbo":
        for entity in ("Account", *QBO_ENTITIES):
            start = 1
            while True:
                query = (f"select * from {entity} orderby Id startposition {start} "
                         f"maxresults {QBO_PAGE}")
                answer = request("GET", "query", params={
                    "query": query, "minorversion": QBO_MINOR_VERSION}).json()
                rows = list((answer.get("QueryResponse") or {}).get(entity) or [])
                yield entity, rows
                if len(rows) < QBO_PAGE:
                    break
                start += QBO_PAGE
        return
    for collection in ("Accounts", *XERO_COLLECTIONS):
        if collection == "Accounts" or collection in XERO_UNPAGED:
            yield collection, list(request("GET", collection).json().get(collection) or [])
            continue
        page = 1
        while True:
            answer = request("GET", collection,
                             params={"page": page, "pageSize": XERO_PAGE}).json()
            rows = list(answer.get(collection) or [])
            yield collection, rows
            if len(rows) < XERO_PAGE:
                break
            page += 1


def bench_pull(provider: str, count: int, folder: Path, keychain: Keychain
               ) -> dict[str, Run]:
    """The first sync of a company with `count` transactions at the provider: ours, one at a
    time, tap-style; one sandbox (the pull changes nothing there), fresh books each time."""
    runs: dict[str, Run] = {}
    with remote(SandboxSpec(provider, count=count)) as server:
        for mode, parallel in (("ours", None), ("one", 1), ("tap", 1), ("still", None)):
            with fresh_books(folder, f"{provider}-pull-{mode}") as db:
                company_id, env = connect(db, provider, server.base_url, keychain)
                if mode == "tap":
                    store = folder / f"{provider}-tap.sqlite"
                    runs[mode] = measured(server, partial(
                        tap_read, db, company_id, provider, env, keychain=keychain,
                        store=store))
                else:
                    # "still": ours again with the latency off, to show what the network still
                    # costs once the pages are read several at a time.
                    runs[mode] = measured(server, partial(
                        timed_sync, db, company_id, provider, env, keychain=keychain, scale=1.0,
                        pull=True, push=False, parallel=parallel),
                        profile="off" if mode == "still" else "realistic")
    return runs


def still_row(provider: str, label: str, runs: dict[str, Run]) -> str:
    """Our pull with and without the modelled latency: what waiting on the network still adds."""
    ours, still = runs["ours"], runs["still"]
    cells = [provider, label, f"{ours.seconds:.1f}", f"{still.seconds:.1f}",
             f"{ours.seconds - still.seconds:.1f}", f"{1 - still.seconds / ours.seconds:.0%}"]
    return "| " + " | ".join(cells) + " |"


# -- (b) push ----------------------------------------------------------------------------------


def bench_push(provider: str, count: int, folder: Path, keychain: Keychain, *,
               modes: tuple[str, ...] = ("ours", "one")) -> dict[str, Run]:
    """A push of `count` posted entries after a first sync, ours and one at a time, each into
    a fresh sandbox company."""
    runs: dict[str, Run] = {}
    for mode, parallel in (("ours", None), ("one", 1)):
        if mode not in modes:
            continue
        with remote(SandboxSpec(provider, second=True)) as server, \
                fresh_books(folder, f"{provider}-push-{mode}") as db:
            company_id, env = connect(db, provider, server.base_url, keychain)
            timed_sync(db, company_id, provider, env, keychain=keychain, scale=1.0, pull=True,
                       push=False)
            add_entries(db, company_id, provider, count)
            runs[mode] = measured(server, partial(
                timed_sync, db, company_id, provider, env, keychain=keychain, scale=1.0, pull=False,
                push=True, parallel=parallel))
    return runs


def bounds(provider: str, job: str, run: Run) -> tuple[float, float, float]:
    """(rate-limit bound, latency bound, combined bound) in seconds for our run (see the module
    docstring)."""
    requests = int(run.counts.get("api_calls") or run.requests)
    windows = min_windows(requests, PER_MINUTE[provider])
    if provider == "qbo" and job == "push":
        batches = -(-int(run.counts.get("pushed") or 0) // 30)  # QBO batches hold 30 items
        windows = max(windows, min_windows(batches, QBO_BATCH_PER_MINUTE))
    return windows * 60.0, run.latency_total / CONCURRENT[provider], combined_bound(
        provider, job, run)


def combined_bound(provider: str, job: str, run: Run) -> float:
    """`least_time` of the run's delays: a push's write requests against the write window
    (QBO's batch endpoint, Xero's one window), a pull's API requests against the API's."""
    if job == "push":
        chosen = [d for d in run.delays if d["write"] and PUSH_WRITE[provider].match(d["path"])]
        per_window = QBO_BATCH_PER_MINUTE if provider == "qbo" else XERO_PER_MINUTE
    else:
        chosen = [d for d in run.delays if API_PATH[provider].match(d["path"])]
        per_window = PER_MINUTE[provider]
    return least_time([float(d["seconds"]) for d in chosen], per_window=per_window,
                      concurrent=CONCURRENT[provider])


def job_row(provider: str, job: str, label: str, runs: dict[str, Run]) -> str:
    ours, one = runs["ours"], runs.get("one")
    rate, latency, combined = bounds(provider, job, ours)
    bound = max(rate, latency)
    tap = f"{runs['tap'].seconds:.1f}" if "tap" in runs else "-"
    cells = [provider, label, str(ours.counts.get("api_calls", ours.requests)),
             f"{ours.seconds:.1f}", f"{rate:.1f}", f"{latency:.1f}", f"{combined:.1f}",
             f"{bound / ours.seconds:.0%}", f"{combined / ours.seconds:.0%}",
             f"{one.seconds:.1f}" if one else "-", tap,
             f"{one.seconds / ours.seconds:.2f}×" if one else "-",
             f"{ours.peak_in_flight} / {one.peak_in_flight if one else '-'}"]
    return "| " + " | ".join(cells) + " |"


# -- (c) typical datasets ----------------------------------------------------------------------


def bench_sample(provider: str, folder: Path, keychain: Keychain) -> dict[str, Run]:
    """The sample company's first sync (pull and push) into a provider company holding the
    sample chart, ours and one at a time, each into a fresh sandbox."""
    runs: dict[str, Run] = {}
    for mode, parallel in (("ours", None), ("one", 1)):
        with remote(SandboxSpec(provider, sample=True)) as server, \
                fresh_books(folder, f"{provider}-sample-{mode}") as db:
            company = create_sample_company(db, "Sample Company")
            company_id, env = connect(db, provider, server.base_url, keychain,
                                      company_id=company.id)
            runs[mode] = measured(server, partial(
                timed_sync, db, company_id, provider, env, keychain=keychain, scale=1.0, pull=True,
                push=True, parallel=parallel))
    return runs


def bench_busy(provider: str, per_day: int, years: int, folder: Path, keychain: Keychain
               ) -> tuple[int, dict[str, Run]]:
    """A provider company with `years` years of `per_day` transactions a working day (filled by
    our push, limits and latency off), then a new company of ours connecting for its first sync:
    ours and one at a time. (Transactions at the provider, runs.)"""
    count = per_day * WORKING_DAYS_A_YEAR * years
    end = dt.date(2026, 11, 30)
    runs: dict[str, Run] = {}
    with remote(SandboxSpec(provider, sample=True)) as server:
        server.test_call("POST", "limits", {"enabled": False})
        with fresh_books(folder, f"{provider}-busy-source") as db:
            company = create_sample_company(
                db, "Busy Books", entries=count, seed=2026,
                start=end - dt.timedelta(days=365 * years), end=end,
                status_weights={EntryStatus.POSTED: 1})
            company_id, env = connect(db, provider, server.base_url, keychain,
                                      company_id=company.id)
            started = time.perf_counter()
            _, counts = timed_sync(db, company_id, provider, env, keychain=keychain,
                                   scale=FILL_SCALE, pull=True, push=True)
            print(f"  ({provider}: filled with {counts.get('pushed')} transactions in "
                  f"{time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
        for mode, parallel in (("ours", None), ("one", 1)):
            with fresh_books(folder, f"{provider}-busy-{mode}") as db:
                company_id, env = connect(db, provider, server.base_url, keychain,
                                          name=f"Busy {mode}")
                runs[mode] = measured(server, partial(
                    timed_sync, db, company_id, provider, env, keychain=keychain, scale=1.0,
                    pull=True, push=True, parallel=parallel))
    return count, runs


def typical_row(provider: str, company: str, at_provider: str, runs: dict[str, Run]) -> str:
    ours, one = runs["ours"], runs["one"]
    counts = ours.counts
    moved = (f"{counts.get('pulled', 0):,} / {counts.get('created', 0):,} / "
             f"{counts.get('unposted', 0):,} / {counts.get('pushed', 0):,}")
    cells = [provider, company, at_provider, moved,
             str(ours.counts.get("api_calls", ours.requests)), f"{ours.latency_total:.1f}",
             f"{ours.seconds:.1f}", f"{one.seconds:.1f}",
             "yes" if ours.seconds < 30 else "**no**"]
    return "| " + " | ".join(cells) + " |"


# -- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pull", type=int, default=20_000, help="objects to pull (0: skip)")
    parser.add_argument("--push", type=int, default=5_000, help="entries to push (0: skip)")
    parser.add_argument("--busy", type=int, default=15,
                        help="transactions a working day of the three-year company (0: skip)")
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--no-sample", action="store_true", help="skip the sample company")
    parser.add_argument("--only", choices=["qbo", "xero"])
    parser.add_argument("--jobs", nargs="+", choices=JOBS, default=list(JOBS),
                        help="which parts to run (default: all); e.g. --jobs push")
    parser.add_argument("--ours-only", action="store_true",
                        help="push: skip the one-at-a-time run (its columns show -)")
    args = parser.parse_args()
    providers = [args.only] if args.only else ["qbo", "xero"]
    jobs_chosen = set(args.jobs)
    keychain = Keychain(MemoryKeyring())
    jobs: list[str] = []
    stills: list[str] = []
    typical: list[str] = []
    started = dt.datetime.now(dt.UTC)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for provider in providers:
            if args.pull and "pull" in jobs_chosen:
                print(f"{provider}: pull {args.pull:,}", file=sys.stderr, flush=True)
                pulled = bench_pull(provider, args.pull, folder, keychain)
                jobs.append(job_row(provider, "pull", f"first sync, pull {args.pull:,}", pulled))
                stills.append(still_row(provider, f"pull {args.pull:,}", pulled))
            if args.push and "push" in jobs_chosen:
                print(f"{provider}: push {args.push:,}", file=sys.stderr, flush=True)
                modes = ("ours",) if args.ours_only else ("ours", "one")
                jobs.append(job_row(provider, "push", f"push {args.push:,}",
                                    bench_push(provider, args.push, folder, keychain,
                                               modes=modes)))
            if not args.no_sample and "sample" in jobs_chosen:
                print(f"{provider}: sample company", file=sys.stderr, flush=True)
                typical.append(typical_row(provider, "sample company", "chart only",
                                           bench_sample(provider, folder, keychain)))
            if args.busy and "busy" in jobs_chosen:
                print(f"{provider}: {args.years} busy years", file=sys.stderr, flush=True)
                count, runs = bench_busy(provider, args.busy, args.years, folder, keychain)
                typical.append(typical_row(
                    provider, f"{args.years} years × {args.busy} a working day",
                    f"{count:,} transactions", runs))
    print(f"Machine: `{' '.join(platform.uname())}`, {os.cpu_count()} CPUs, Python "
          f"{sys.version.split()[0]}; {started:%Y-%m-%d %H:%M} UTC; load average at start "
          f"{load:.2f}, at end {os.getloadavg()[0]:.2f}. Limits at time scale 1, latency "
          f"'realistic' (seed {LATENCY_SEED}).\n")
    if jobs:
        print("| provider | job | requests | ours (s) | rate-limit bound (s) | latency bound (s) "
              "| combined bound (s) | ours of bound | ours of combined | one at a time (s) "
              "| tap-style (s) | one at a time ÷ ours | peak in flight (ours / one) |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        print("\n".join(jobs))
        print()
    if stills:
        print("| provider | job | ours, latency on (s) | ours, latency off (s) | what the network "
              "still adds (s) | its share of our time |")
        print("|---|---|---|---|---|---|")
        print("\n".join(stills))
        print()
    if typical:
        print("| provider | company | at the provider | pulled / new entries / kept as remote "
              "records / pushed | requests | waiting (s) "
              "| first sync, ours (s) | one at a time (s) | under 30 s |")
        print("|---|---|---|---|---|---|---|---|---|")
        print("\n".join(typical))


if __name__ == "__main__":
    main()

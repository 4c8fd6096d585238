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
import contextlib
import dataclasses
import datetime as dt
import multiprocessing
import multiprocessing.connection
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
from keyring.backend import KeyringBackend

from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.providers.config import load_config
from bookkeeper_desktop.providers.connect import ConnectFlow
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.sandbox.browser import ConsentBrowser
from bookkeeper_desktop.sandbox.qbo_server import DEMO_QBO_CLIENT, QboSandbox
from bookkeeper_desktop.sandbox.xero_server import DEMO_XERO_CLIENT, XeroSandbox
from bookkeeper_desktop.services import companies, entries
from bookkeeper_desktop.services.accounts import accounts_by_id
from bookkeeper_desktop.services.connection_store import DatabaseConnectionStore
from bookkeeper_desktop.services.mappings import mapping_by_account
from bookkeeper_desktop.services.sync import open_client, run_sync
from bookkeeper_desktop.storage.engine import Database, open_database

REALM = "9341453050071366"
TENANT = "3f2b7c1e-6d4a-4e8b-9f0c-2a1d5e7b8c90"


class _Keyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


def _consent(url: str) -> bool:
    with httpx.Client(follow_redirects=False, timeout=30) as client:
        location = ConsentBrowser(client).consent(url, "allow", None)
        client.get(location)
    return True


def _connect(db: Database, provider: str, base_url: str, keychain: Keychain) -> tuple[int, dict[
        str, str]]:
    company = companies.create_company(db, f"Bench {provider}")
    if provider == "qbo":
        env = {"QBO_CLIENT_ID": DEMO_QBO_CLIENT.client_id,
               "QBO_CLIENT_SECRET": DEMO_QBO_CLIENT.client_secret or "",
               "QBO_REDIRECT_URI": "http://localhost:0/callback",
               "BOOKKEEPER_SANDBOX_QBO_URL": base_url}
    else:
        env = {"XERO_CLIENT_ID": DEMO_XERO_CLIENT.client_id,
               "XERO_REDIRECT_URI": "http://localhost:0/callback",
               "BOOKKEEPER_SANDBOX_XERO_URL": base_url}
    config = load_config(provider, env=env)
    ConnectFlow(company.id, config, keychain=keychain, store=DatabaseConnectionStore(db),
                open_browser=_consent, timeout=30).run()
    return company.id, env


def _sync(db: Database, company_id: int, provider: str, env: dict[str, str], *,
          keychain: Keychain, scale: float, pull: bool, push: bool
          ) -> tuple[float, dict[str, object]]:
    with open_client(db, company_id, provider, keychain=keychain, env=env,
                     time_scale=scale) as client:
        started = time.perf_counter()
        result = run_sync(db, company_id, provider, pull=pull, push=push, client=client)
        elapsed = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"{provider} sync failed: {result.message}")
    return elapsed, dict(result.counts)


def _entries(db: Database, company_id: int, provider: str, count: int) -> None:
    mapped = mapping_by_account(db, company_id, provider, confirmed_only=True)
    accounts = accounts_by_id(db, company_id)
    usable = [a for a in sorted(mapped) if accounts[a].account_class.value in ("expense", "asset")
              and (provider == "qbo" or mapped[a].remote_code)
              and accounts[a].type.value not in ("accounts_receivable", "accounts_payable")]
    debit, credit = usable[:2]
    entries.bulk_insert_entries(db, company_id, [JournalEntry(
        date=dt.date(2026, 10, 1) + dt.timedelta(days=n % 28),
        lines=(JournalLine.of(debit, Decimal(f"{10 + n % 500}.25")),
               JournalLine.of(credit, -Decimal(f"{10 + n % 500}.25"))),
        number=f"B-{n}", memo=f"bench {n}", status=EntryStatus.POSTED) for n in range(count)])


def _min_windows(requests: int, per_window: int) -> int:
    return max(0, (requests - 1) // per_window)


def seed(server: QboSandbox | XeroSandbox, count: int, *, now: bool = False) -> None:
    """`count` remote transactions (`now`: all changed now, for an incremental pull to find)."""
    if isinstance(server, QboSandbox):
        server.api.bulk_create_journal_entries(  # type: ignore[attr-defined]
            REALM, count, **({"days": 0, "prefix": "MORE"} if now else {}))
    else:
        _xero_bulk(server, count)


def _serve(provider: str, scale: float, second: bool, count: int,
           pipe: multiprocessing.connection.Connection) -> None:
    """Child process: one sandbox, seeded with `count` transactions; then `("more", n)` seeds n
    more (answered "ok") until "stop"."""
    with _server(provider, scale, second=second) as server:
        if count:
            seed(server, count)
        pipe.send(server.base_url)
        while (command := pipe.recv()) != "stop":
            seed(server, int(command[1]), now=True)
            pipe.send("ok")


@dataclasses.dataclass
class Remote:
    """A sandbox running in its own process (`remote`)."""

    base_url: str
    pipe: multiprocessing.connection.Connection

    def seed_more(self, count: int) -> None:
        self.pipe.send(("more", count))
        self.pipe.recv()


@contextlib.contextmanager
def remote(provider: str, scale: float, *, second: bool = False, count: int = 0
           ) -> Iterator[Remote]:
    """A sandbox in its own process, as the provider is on its own machine: its work (paging
    20,000 objects, encoding JSON) must not take turns with ours for this process's GIL."""
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(provider, scale, second, count, theirs), daemon=True)
    child.start()
    try:
        yield Remote(str(ours.recv()), ours)
    finally:
        ours.send("stop")
        child.join(30)


def _server(provider: str, scale: float, *, second: bool = False) -> QboSandbox | XeroSandbox:
    if provider == "qbo":
        return QboSandbox(limits=True, time_scale=scale,
                          companies={("1" if second else "") + REALM: "Bench"})
    return XeroSandbox(limits=True, time_scale=scale,
                       organisations={("f" if second else "") + TENANT: "Bench"})


def bench(provider: str, scale: float, push_count: int, pull_count: int, folder: Path
          ) -> list[tuple[str, ...]]:
    """Pull and push each against a fresh sandbox and fresh books (the sandboxes slow down with
    tens of thousands of records: their own bookkeeping per write, not ours)."""
    rows: list[tuple[str, ...]] = []
    window = 60.0 * scale
    keychain = Keychain(_Keyring())
    # Pull: the first full sync of a company with `pull_count` more transactions.
    with remote(provider, scale, count=pull_count) as server, \
            open_database(f"sqlite:///{folder / f'{provider}-pull.sqlite'}") as db:
        company_id, env = _connect(db, provider, server.base_url, keychain)
        elapsed, counts = _sync(db, company_id, provider, env, keychain=keychain, scale=scale,
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
        company_id, env = _connect(db, provider, server.base_url, keychain)
        _sync(db, company_id, provider, env, keychain=keychain, scale=scale, pull=True,
              push=False)
        _entries(db, company_id, provider, push_count)
        elapsed, counts = _sync(db, company_id, provider, env, keychain=keychain, scale=scale,
                                pull=False, push=True)
        per_request, per_window = (30, 120) if provider == "qbo" else (50, 60)
        requests = -(-push_count // per_request)
        bound = _min_windows(requests, per_window) * window
        steady = requests / per_window * window
        rows.append((provider, f"push {push_count:,}", f"{requests}", f"{elapsed:.2f}",
                     f"{bound:.2f}", f"{steady:.2f}", f"{bound / elapsed:.0%}",
                     f"{steady / elapsed:.0%}", f"{counts['pushed']}"))
    return rows


def _xero_bulk(server: XeroSandbox, count: int) -> None:
    api = server.api
    codes = [a["Code"] for a in api.objects(TENANT, "Accounts")  # type: ignore[attr-defined]
             if a.get("Code") and a.get("Type") in ("EXPENSE", "OVERHEADS")][:2]
    for n in range(count):
        api.remote_create(TENANT, "ManualJournals", {  # type: ignore[attr-defined]
            "Narration": f"bulk {n}", "Date": "2026-10-01", "Status": "POSTED",
            "JournalLines": [{"LineAmount": Decimal("12.50"), "AccountCode": codes[0]},
                             {"LineAmount": Decimal("-12.50"), "AccountCode": codes[1]}]})


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

"""What the sync benchmarks share (bench_sync.py, bench_sync_latency.py, bench_gui_sync.py): a
sandbox in its own process, an in-memory keyring, connecting a company of ours through the real
OAuth flow, a timed sync, and bulk data on either side.

Imported by the scripts in this folder (they run with this folder on `sys.path`); not a test.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import multiprocessing
import multiprocessing.connection
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

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
from bookkeeper_desktop.storage.engine import Database

REALM = "9341453050071366"
TENANT = "3f2b7c1e-6d4a-4e8b-9f0c-2a1d5e7b8c90"


class MemoryKeyring(KeyringBackend):
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
    with httpx.Client(follow_redirects=False, timeout=60) as client:
        location = ConsentBrowser(client).consent(url, "allow", None)
        client.get(location)
    return True


def connect(db: Database, provider: str, base_url: str, keychain: Keychain, *,
            company_id: int | None = None, name: str | None = None
            ) -> tuple[int, dict[str, str]]:
    """Connect a company of ours (a new empty one unless `company_id`) to the sandbox at
    `base_url` through the real OAuth flow; (company id, the environment naming the sandbox)."""
    if company_id is None:
        company_id = companies.create_company(db, name or f"Bench {provider}").id
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
    ConnectFlow(company_id, config, keychain=keychain, store=DatabaseConnectionStore(db),
                open_browser=_consent, timeout=60).run()
    return company_id, env


def timed_sync(db: Database, company_id: int, provider: str, env: dict[str, str], *,
               keychain: Keychain, scale: float, pull: bool, push: bool,
               parallel: int | None = None) -> tuple[float, dict[str, Any]]:
    """One sync through `services.sync` (seconds, the run's counts); exits if it failed."""
    with open_client(db, company_id, provider, keychain=keychain, env=env,
                     time_scale=scale, parallel=parallel) as client:
        started = time.perf_counter()
        result = run_sync(db, company_id, provider, pull=pull, push=push, client=client)
        elapsed = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"{provider} sync failed: {result.message}")
    return elapsed, dict(result.counts)


def add_entries(db: Database, company_id: int, provider: str, count: int) -> None:
    """`count` posted two-line entries on two mapped expense/asset accounts, to push."""
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


def min_windows(requests: int, per_window: int) -> int:
    """Whole windows n requests need under a sliding window of L: floor((n - 1) / L)."""
    return max(0, (requests - 1) // per_window)


def seed(server: QboSandbox | XeroSandbox, count: int, *, now: bool = False) -> None:
    """`count` remote transactions (`now`: all changed now, for an incremental pull to find)."""
    if isinstance(server, QboSandbox):
        server.api.bulk_create_journal_entries(  # type: ignore[attr-defined]
            REALM, count, **({"days": 0, "prefix": "MORE"} if now else {}))
    else:
        _xero_bulk(server, count)


def _xero_bulk(server: XeroSandbox, count: int) -> None:
    api = server.api
    codes = [a["Code"] for a in api.objects(TENANT, "Accounts")  # type: ignore[attr-defined]
             if a.get("Code") and a.get("Type") in ("EXPENSE", "OVERHEADS")][:2]
    for n in range(count):
        api.remote_create(TENANT, "ManualJournals", {  # type: ignore[attr-defined]
            "Narration": f"bulk {n}", "Date": "2026-10-01", "Status": "POSTED",
            "JournalLines": [{"LineAmount": Decimal("12.50"), "AccountCode": codes[0]},
                             {"LineAmount": Decimal("-12.50"), "AccountCode": codes[1]}]})


@dataclasses.dataclass(frozen=True)
class SandboxSpec:
    """What `remote` starts: the provider, its time scale, a second realm/tenant id (a fresh
    company beside the one a previous run filled), `count` bulk transactions, the sample chart
    (`sample_seed`, as `--demo`'s first company) and the modelled latency (None: off)."""

    provider: str
    scale: float = 1.0
    second: bool = False
    count: int = 0
    sample: bool = False
    latency: str | dict[str, Any] | None = None


def _server(spec: SandboxSpec) -> QboSandbox | XeroSandbox:
    if spec.provider == "qbo":
        realm = ("1" if spec.second else "") + REALM
        return QboSandbox(limits=True, time_scale=spec.scale, companies={realm: "Bench"},
                          sample_companies={realm} if spec.sample else (),
                          latency=spec.latency)
    tenant = ("f" if spec.second else "") + TENANT
    return XeroSandbox(limits=True, time_scale=spec.scale, organisations={tenant: "Bench"},
                       sample_organisations={tenant} if spec.sample else (),
                       latency=spec.latency)


def _serve(spec: SandboxSpec, pipe: multiprocessing.connection.Connection) -> None:
    """Child process: one sandbox, seeded with `spec.count` transactions; then `("more", n)`
    seeds n more, `("fresh_limits",)` starts the rate limits afresh (each answered "ok"), until
    "stop"."""
    with _server(spec) as server:
        if spec.count:
            seed(server, spec.count)
        pipe.send(server.base_url)
        while (command := pipe.recv()) != "stop":
            if command[0] == "fresh_limits":
                # Empty windows at the spec's scale: what was sent to fill the company (limits
                # off) must not count against the run measured next.
                server.limiter = type(server.limiter)(server.clock, enabled=True,
                                                      time_scale=spec.scale)
            else:
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

    def fresh_limits(self) -> None:
        """Rate limits on, with empty windows (after filling the company with limits off)."""
        self.pipe.send(("fresh_limits",))
        self.pipe.recv()

    def test_call(self, method: str, name: str, body: Any = None) -> Any:
        """A `/__sandbox__/{name}` call (latency, limits, state…); its JSON answer."""
        with httpx.Client(timeout=120) as client:
            answer = client.request(method, f"{self.base_url}/__sandbox__/{name}", json=body)
        answer.raise_for_status()
        return answer.json() if answer.content else None


@contextlib.contextmanager
def remote(provider: str | SandboxSpec, scale: float = 1.0, *, second: bool = False,
           count: int = 0) -> Iterator[Remote]:
    """A sandbox in its own process, as the provider is on its own machine: its work (paging
    20,000 objects, encoding JSON) must not take turns with ours for this process's GIL.
    Give a `SandboxSpec`, or the provider and the spec's other fields."""
    spec = provider if isinstance(provider, SandboxSpec) else SandboxSpec(
        provider, scale, second, count)
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(spec, theirs), daemon=True)
    child.start()
    try:
        yield Remote(str(ours.recv()), ours)
    finally:
        ours.send("stop")
        child.join(30)


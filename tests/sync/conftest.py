"""Sync end-to-end fixtures: the real sandboxes on loopback with their rate limits on (time-scaled
so a minute lasts 0.6 s), a real SQLite database, and a connection made through the real OAuth
flow (scripted consent page, loopback listener, keychain entry in an in-memory keyring)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bookkeeper_desktop.providers.config import load_config
from bookkeeper_desktop.providers.connect import ConnectFlow
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.sandbox.xero_server import XeroSandbox
from bookkeeper_desktop.services import companies
from bookkeeper_desktop.services.connection_store import DatabaseConnectionStore
from bookkeeper_desktop.services.sync import open_client
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.sync.clients import QboClient, XeroClient
from tests.providers.conftest import MemoryKeyring, ScriptedBrowser, sandbox_env

TIME_SCALE = 0.01
REALM = "9341453050071366"
TENANT = "3f2b7c1e-6d4a-4e8b-9f0c-2a1d5e7b8c90"


@dataclass
class Books:
    """One company of ours connected to one sandbox company."""

    db: Database
    company_id: int
    provider: str
    sandbox: QboSandbox | XeroSandbox
    keychain: Keychain
    env: dict[str, str]
    tenant: str

    def client(self, *, parallel: int | None = None) -> QboClient | XeroClient:
        return open_client(self.db, self.company_id, self.provider, keychain=self.keychain,
                           env=self.env, time_scale=TIME_SCALE, parallel=parallel)


def connect_books(db: Database, provider: str, sandbox: QboSandbox | XeroSandbox,
                  keychain: Keychain, name: str = "Sync Test Ltd") -> Books:
    company = companies.create_company(db, name)
    env = (sandbox_env(qbo=sandbox) if isinstance(sandbox, QboSandbox)
           else sandbox_env(xero=sandbox))
    config = load_config(provider, env=env)
    flow = ConnectFlow(company.id, config, keychain=keychain, store=DatabaseConnectionStore(db),
                       open_browser=ScriptedBrowser(), timeout=10.0)
    flow.run()
    tenant = REALM if provider == "qbo" else TENANT
    return Books(db, company.id, provider, sandbox, keychain, env, tenant)


@pytest.fixture
def db(tmp_path: Path, fresh_sqlite: Callable[[Path], Database]) -> Iterator[Database]:
    database = fresh_sqlite(tmp_path / "books.sqlite")
    yield database
    database.close()


@pytest.fixture
def keychain() -> Keychain:
    return Keychain(MemoryKeyring())


@pytest.fixture
def qbo_server() -> Iterator[QboSandbox]:
    with QboSandbox(limits=True, time_scale=TIME_SCALE) as sandbox:
        yield sandbox


@pytest.fixture
def xero_server() -> Iterator[XeroSandbox]:
    with XeroSandbox(limits=True, time_scale=TIME_SCALE,
                     organisations={TENANT: "Demo Company (NZ)"}) as sandbox:
        yield sandbox


@pytest.fixture
def qbo(db: Database, qbo_server: QboSandbox, keychain: Keychain) -> Books:
    return connect_books(db, "qbo", qbo_server, keychain)


@pytest.fixture
def xero(db: Database, xero_server: XeroSandbox, keychain: Keychain) -> Books:
    return connect_books(db, "xero", xero_server, keychain)

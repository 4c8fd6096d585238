"""The demo's story (issues #11 item 6 and #12 item 6): the sample company connected to the
demo's QBO company or Xero organisation that hold its own chart and contacts pairs every account
exactly, with no mapping step, and one Sync Now sends every approved and posted entry, with
nothing refused and nothing left unmapped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bookkeeper_desktop.core.journal import EntryStatus
from bookkeeper_desktop.providers.config import load_config
from bookkeeper_desktop.providers.connect import ConnectFlow
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.sample_data import create_sample_company
from bookkeeper_desktop.sandbox.demo import DEMO_SAMPLE_NAME, DEMO_SAMPLE_REALM, DEMO_SAMPLE_TENANT
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.sandbox.xero_server import XeroSandbox
from bookkeeper_desktop.services import entries as entry_service
from bookkeeper_desktop.services.accounts import list_accounts
from bookkeeper_desktop.services.connection_store import DatabaseConnectionStore
from bookkeeper_desktop.services.mappings import MappingState, list_mappings
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.records import EntryFilter
from tests.providers.conftest import ScriptedBrowser, sandbox_env
from tests.sync.conftest import TIME_SCALE, Books
from tests.sync.helpers import sync


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[QboSandbox | XeroSandbox]:
    if request.param == "qbo":
        with QboSandbox(limits=True, time_scale=TIME_SCALE,
                        companies={DEMO_SAMPLE_REALM: DEMO_SAMPLE_NAME},
                        sample_companies={DEMO_SAMPLE_REALM}) as qbo:
            yield qbo
    else:
        with XeroSandbox(limits=True, time_scale=TIME_SCALE,
                         organisations={DEMO_SAMPLE_TENANT: DEMO_SAMPLE_NAME},
                         sample_organisations={DEMO_SAMPLE_TENANT}) as xero:
            yield xero


@pytest.mark.parametrize("sandbox", ["qbo", "xero"], indirect=True)
def test_the_sample_company_syncs_to_the_demo_books_with_nothing_refused(
        db: Database, keychain: Keychain, sandbox: QboSandbox | XeroSandbox) -> None:
    provider = "qbo" if isinstance(sandbox, QboSandbox) else "xero"
    company = create_sample_company(db, "Sample Company")
    env = sandbox_env(qbo=sandbox) if provider == "qbo" else sandbox_env(xero=sandbox)
    ConnectFlow(company.id, load_config(provider, env=env), keychain=keychain,
                store=DatabaseConnectionStore(db), open_browser=ScriptedBrowser(),
                timeout=10.0).run()
    tenant = DEMO_SAMPLE_REALM if provider == "qbo" else DEMO_SAMPLE_TENANT
    books = Books(db, company.id, provider, sandbox, keychain, env, tenant)

    result = sync(books)
    assert result.ok, result.message
    assert result.errors == ()
    assert result.counts["refused"] == 0, result.counts["waiting"][:3]
    posting = [a for a in list_accounts(db, company.id) if a.type.value != "non_posting"]
    mappings = {m.account_id: m for m in list_mappings(db, company.id, provider)}
    assert {a.id for a in posting} <= set(mappings)
    assert all(mappings[a.id].state is MappingState.CONFIRMED for a in posting if a.id)
    assert all(mappings[a.id].remote_code == a.code for a in posting if a.id)
    to_send = sum(entry_service.count_entries(db, company.id, EntryFilter.of_status(status))
                  for status in (EntryStatus.APPROVED, EntryStatus.POSTED))
    assert result.counts["pushed"] == to_send
    again = sync(books)
    assert (again.counts["pushed"], again.counts["refused"], again.counts["created"]) == (0, 0, 0)

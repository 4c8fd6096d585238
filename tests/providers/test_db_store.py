"""The providers' connection store on a real SQLite database (the `connections` table), driven by
the real connect flow against the QBO sandbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bookkeeper_desktop.core.errors import ReconnectNeeded
from bookkeeper_desktop.providers.config import Provider, ProviderConfig
from bookkeeper_desktop.providers.connect import ConnectFlow
from bookkeeper_desktop.providers.connections import ConnectionState
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.services import audit, companies, connections
from bookkeeper_desktop.services.connection_store import DatabaseConnectionStore
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.records import ConnectionStatus

from .conftest import ScriptedBrowser


@pytest.fixture
def db(tmp_path: Path, fresh_sqlite: Callable[[Path], Database]) -> Iterator[Database]:
    database = fresh_sqlite(tmp_path / "books.sqlite")
    yield database
    database.close()


def test_connect_refresh_reconnect_and_disconnect_recorded_in_the_database(
        db: Database, qbo_sandbox: QboSandbox, qbo_config: ProviderConfig,
        keychain: Keychain) -> None:
    company = companies.create_company(db, "Acme Books")
    store = DatabaseConnectionStore(db, actor="tester")
    flow = ConnectFlow(company.id, qbo_config, keychain=keychain, store=store,
                       open_browser=ScriptedBrowser(), timeout=10)
    flow.run()
    info = connections.get_connection(db, company.id, "qbo")
    assert info is not None
    assert info.remote_company_name == "Craig's Design and Landscaping Services"
    assert info.tenant_id == "9341453050071366"
    assert info.status is ConnectionStatus.CONNECTED
    assert info.scopes == ("com.intuit.quickbooks.accounting",)
    assert info.connected_at is not None
    first_expiry = info.access_expires_at
    assert first_expiry is not None
    # No token in the database, anywhere.
    stored = keychain.load_token(company.id, Provider.QBO)
    assert stored is not None
    raw = Path(db.engine.url.database or "").read_bytes()
    assert stored.refresh_token.encode() not in raw

    assert flow.manager is not None
    flow.manager.clock = lambda: first_expiry.timestamp() + 10
    flow.manager.access_token()
    refreshed = connections.get_connection(db, company.id, "qbo")
    assert refreshed is not None
    assert refreshed.access_expires_at is not None
    assert refreshed.access_expires_at > first_expiry

    qbo_sandbox.revoke_all_grants()
    with pytest.raises(ReconnectNeeded):
        flow.manager.force_refresh()
    needs = store.get(company.id, Provider.QBO)
    assert needs is not None
    assert needs.status is ConnectionState.NEEDS_ATTENTION
    assert "no longer accepts" in needs.reason

    result = flow.manager.disconnect()
    assert result.local_cleared
    gone = connections.get_connection(db, company.id, "qbo")
    assert gone is not None
    assert gone.status is ConnectionStatus.DISCONNECTED
    actions = [r.action for r in audit.audit_log(db, company.id)]
    assert "connect" in actions
    assert actions.count("connection_status") == 2

"""`app.integration_flows` (what the main window hands the Integrations pane) against the real QBO
and Xero sandboxes on loopback: Connect, Sync Now and Disconnect share one token manager per
company and provider, so concurrent syncs refresh an expired token once, a Disconnect waits for a
refresh in flight, and a reconnect replaces the manager (the old grant's tokens are never used).

The flows run as the network lane runs them (plain threads here; the flows are Qt-free)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bookkeeper_desktop.app import integration_flows
from bookkeeper_desktop.core.errors import NotFound
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.gui.context import AppContext
from bookkeeper_desktop.gui.integrations.state import LastSync
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.providers.config import Provider as ApiProvider
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.sandbox.oauth import fingerprint
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.sandbox.server import SandboxServer
from bookkeeper_desktop.sandbox.xero_server import XeroSandbox
from bookkeeper_desktop.services import companies
from bookkeeper_desktop.services import connections as connection_service
from tests.providers.conftest import MemoryKeyring, ScriptedBrowser, sandbox_env

TOKEN_PATHS = {Provider.QBO: "/oauth2/v1/tokens/bearer", Provider.XERO: "/connect/token"}


class Setup:
    """The app's flows for one company, pointed at one sandbox, with an in-memory keychain."""

    def __init__(self, ctx: AppContext, sandbox: SandboxServer, provider: Provider) -> None:
        self.sandbox = sandbox
        self.provider = provider
        self.api_provider = ApiProvider(provider.value)
        self.db = ctx.services.db
        self.company_id = companies.create_company(self.db, "Flow Books").id
        self.keyring = MemoryKeyring()
        self.keychain = Keychain(self.keyring)
        self.env = (sandbox_env(qbo=sandbox) if isinstance(sandbox, QboSandbox)
                    else sandbox_env(xero=sandbox) if isinstance(sandbox, XeroSandbox) else {})
        self.flows = integration_flows(ctx.services, lambda: ctx.settings, self.env,
                                       keychain=self.keychain, open_browser=ScriptedBrowser())

    def connect(self) -> None:
        flow = self.flows["make_flow"](self.company_id, self.provider, lambda ts: ts[0])
        flow.run()

    def sync(self) -> LastSync:
        result: LastSync = self.flows["sync"](self.company_id, self.provider, Progress())
        return result

    def disconnect(self) -> Any:
        return self.flows["disconnect"](self.company_id, self.provider)

    def refreshes(self) -> int:
        return self.sandbox.token_grant_counts().get("refresh_token", 0)

    def saved_refresh_token(self) -> str | None:
        stored = self.keychain.load_token(self.company_id, self.api_provider)
        return stored.refresh_token if stored is not None else None

    def api_requests(self) -> int:
        return sum(n for path, n in self.sandbox.request_counts().items()
                   if path != TOKEN_PATHS[self.provider])


@pytest.fixture(params=[Provider.QBO, Provider.XERO], ids=["qbo", "xero"])
def setup(request: pytest.FixtureRequest, app_ctx: AppContext) -> Iterator[Setup]:
    provider: Provider = request.param
    server: SandboxServer = (QboSandbox(limits=False) if provider is Provider.QBO
                             else XeroSandbox(limits=False))
    with server:
        yield Setup(app_ctx, server, provider)


def run_at_once(count: int, work: Callable[[], Any]) -> tuple[list[Any], list[BaseException]]:
    """`count` threads start `work` together; their results and errors."""
    barrier = threading.Barrier(count)
    results: list[Any] = []
    errors: list[BaseException] = []

    def worker() -> None:
        barrier.wait()
        try:
            results.append(work())
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results, errors


def test_sync_now_after_connect_uses_the_connects_access_token(setup: Setup) -> None:
    """The manager Connect installed (with its fresh access token) is the one Sync Now uses:
    no refresh, no second manager reading the keychain."""
    setup.connect()
    first = setup.sync()
    assert first.ok, first.summary
    assert setup.refreshes() == 0
    assert setup.sync().ok
    assert setup.refreshes() == 0


def test_two_syncs_at_once_refresh_an_expired_token_once(setup: Setup) -> None:
    setup.connect()
    assert setup.sync().ok
    before = setup.saved_refresh_token()
    assert before is not None
    setup.sandbox.expire_access_tokens()
    # The refresh takes a while, so the second sync's 401 arrives while the first refreshes.
    setup.sandbox.inject_latency(0.3, path=TOKEN_PATHS[setup.provider])
    results, errors = run_at_once(2, setup.sync)
    assert errors == []
    assert len(results) == 2
    assert all(r.ok for r in results), [r.summary for r in results]
    assert setup.refreshes() == 1
    after = setup.saved_refresh_token()
    assert after is not None
    assert after != before
    # The keychain holds the newest refresh token: the one the sandbox has not rotated.
    record = setup.sandbox.oauth.refresh_tokens[fingerprint(after)]
    assert record.successor is None
    assert not record.revoked


def test_disconnect_waits_for_a_refresh_in_flight_then_revokes_what_it_saved(
        setup: Setup) -> None:
    setup.connect()
    assert setup.sync().ok
    setup.sandbox.expire_access_tokens()
    setup.sandbox.inject_latency(0.5, path=TOKEN_PATHS[setup.provider], count=1)
    token_path = TOKEN_PATHS[setup.provider]
    before = setup.sandbox.request_counts().get(token_path, 0)
    outcome: list[LastSync] = []
    running = threading.Thread(target=lambda: outcome.append(setup.sync()))
    running.start()
    ticks = threading.Event()
    # The sandbox counts the refresh as it arrives, then holds it for the latency.
    while setup.sandbox.request_counts().get(token_path, 0) == before and running.is_alive():
        ticks.wait(0.005)
    result = setup.disconnect()
    running.join(60)
    assert result.revoked, result.message
    assert setup.keyring.entries == {}, "no refresh token left behind"
    assert all(g.revoked_at is not None for g in setup.sandbox.oauth.grants.values())
    assert setup.refreshes() == 1
    (finished,) = outcome
    assert not finished.ok, "the sync that lost its connection says so"
    assert "onnect" in finished.summary


def test_after_disconnect_a_sync_says_connect_and_sends_nothing(setup: Setup) -> None:
    setup.connect()
    assert setup.sync().ok
    setup.disconnect()
    requests, refreshes = setup.api_requests(), setup.refreshes()
    with pytest.raises(NotFound) as caught:
        setup.sync()
    assert "not connected" in caught.value.message
    assert caught.value.hint is not None
    assert "Connect" in caught.value.hint
    assert setup.api_requests() == requests
    assert setup.refreshes() == refreshes
    stored = connection_service.get_connection(setup.db, setup.company_id,
                                               setup.provider.value)
    assert stored is None or stored.status.value == "disconnected"


def test_connect_again_after_disconnect_syncs_with_the_new_grant(setup: Setup) -> None:
    setup.connect()
    assert setup.sync().ok
    setup.disconnect()
    setup.connect()
    again = setup.sync()
    assert again.ok, again.summary
    assert setup.refreshes() == 0, "the new Connect's access token is used as it is"


def test_a_reconnect_replaces_the_manager_and_its_old_tokens(setup: Setup) -> None:
    """Connect twice (no Disconnect in between), then the first grant dies at the provider:
    the sync uses the second Connect's tokens, so nothing of the first is sent or refreshed."""
    setup.connect()
    assert setup.sync().ok
    old = setup.saved_refresh_token()
    assert old is not None
    setup.connect()
    new = setup.saved_refresh_token()
    assert new is not None
    assert new != old
    old_grant = setup.sandbox.oauth.grant_for_token(old)
    assert old_grant is not None
    setup.sandbox.oauth.revoke_grant(old_grant.grant_id)
    result = setup.sync()
    assert result.ok, result.summary
    assert setup.refreshes() == 0, "no 401 from a revoked access token, so no refresh"
    assert setup.saved_refresh_token() == new


def test_disconnect_after_the_client_id_was_removed_still_deletes_the_sign_in(
        setup: Setup) -> None:
    """As `bookkeeper disconnect` does: the provider cannot be called without the app's client
    id, so the keychain entry is deleted here and the result says the revoke did not happen."""
    setup.connect()
    assert setup.saved_refresh_token() is not None
    prefix = "QBO" if setup.provider is Provider.QBO else "XERO"
    del setup.env[f"{prefix}_CLIENT_ID"]
    result = setup.disconnect()
    assert result.local_cleared
    assert not result.revoked
    assert "No client ID" in result.problems[0]
    assert setup.keyring.entries == {}
    stored = connection_service.get_connection(setup.db, setup.company_id,
                                               setup.provider.value)
    assert stored is not None
    assert stored.status.value == "disconnected"
    assert any(g.revoked_at is None for g in setup.sandbox.oauth.grants.values()), \
        "the grant lives on at the provider, which the result's message warns about"

"""The token manager against the sandboxes: refresh before expiry, single flight under 20 threads,
rotation saved before use, invalid_grant → needs reconnect with no retry loop, Xero's grace-period
retry, and Disconnect (including a revoke that fails)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
import pytest

from bookkeeper_desktop.core.errors import KeychainUnavailable, NetworkError, ReconnectNeeded
from bookkeeper_desktop.providers.config import Provider, ProviderConfig
from bookkeeper_desktop.providers.connect import ConnectFlow
from bookkeeper_desktop.providers.connections import ConnectionState, MemoryConnectionStore
from bookkeeper_desktop.providers.keychain import ENTRY_LIMIT, Keychain
from bookkeeper_desktop.providers.oauth import tls_context
from bookkeeper_desktop.providers.tokens import TokenManager, TokenManagers
from bookkeeper_desktop.sandbox.oauth import fingerprint
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.sandbox.server import SandboxServer
from bookkeeper_desktop.sandbox.xero_server import XeroSandbox

from .conftest import COMPANY, MemoryKeyring, ScriptedBrowser


class Clock:
    def __init__(self) -> None:
        import time
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def connected(config: ProviderConfig, keychain: Keychain, store: MemoryConnectionStore,
              clock: Callable[[], float] | None = None) -> TokenManager:
    """Connect through the real flow and hand back the token manager it installed."""
    kwargs = {"clock": clock} if clock is not None else {}
    flow = ConnectFlow(COMPANY, config, keychain=keychain, store=store,
                       open_browser=ScriptedBrowser(), choose_tenant=lambda ts: ts[0],
                       timeout=10, **kwargs)  # type: ignore[arg-type]
    flow.run()
    assert flow.manager is not None
    return flow.manager


def refreshes(sandbox: SandboxServer) -> int:
    """Refresh requests that reached the sandbox, read from its state endpoint."""
    state = httpx.get(f"{sandbox.base_url}/__sandbox__/state", verify=tls_context()).json()
    return int(state["requests"]["token_grants"].get("refresh_token", 0))


@pytest.fixture(params=["qbo", "xero"])
def provider_setup(request: pytest.FixtureRequest, qbo_sandbox: QboSandbox,
                   xero_sandbox: XeroSandbox, qbo_config: ProviderConfig,
                   xero_config: ProviderConfig) -> tuple[SandboxServer, ProviderConfig]:
    if request.param == "qbo":
        return qbo_sandbox, qbo_config
    return xero_sandbox, xero_config


def test_access_token_is_reused_until_near_expiry_then_refreshed_and_rotated(
        provider_setup: tuple[SandboxServer, ProviderConfig], keychain: Keychain,
        store: MemoryConnectionStore) -> None:
    sandbox, config = provider_setup
    clock = Clock()
    manager = connected(config, keychain, store, clock)
    first = manager.access_token()
    assert manager.access_token() == first
    assert refreshes(sandbox) == 0
    old = keychain.load_token(COMPANY, config.provider)
    assert old is not None

    lifetime = 3600 if config.provider is Provider.QBO else 1800
    clock.now += lifetime - manager.leeway + 1  # inside the leeway: refresh before expiry
    second = manager.access_token()
    assert second != first
    assert refreshes(sandbox) == 1
    new = keychain.load_token(COMPANY, config.provider)
    assert new is not None
    assert new.refresh_token != old.refresh_token
    assert new.metadata == old.metadata
    # The rotated token is the one the sandbox now knows as current.
    record = sandbox.oauth.refresh_tokens[fingerprint(old.refresh_token)]
    assert record.successor == fingerprint(new.refresh_token)
    saved = store.get(COMPANY, config.provider)
    assert saved is not None
    assert saved.access_expires_at is not None
    assert saved.access_expires_at.timestamp() == pytest.approx(clock.now + lifetime, abs=5)


def test_twenty_threads_refresh_once(provider_setup: tuple[SandboxServer, ProviderConfig],
                                     keychain: Keychain, store: MemoryConnectionStore) -> None:
    sandbox, config = provider_setup
    clock = Clock()
    manager = connected(config, keychain, store, clock)
    clock.now += 7200  # every thread finds the access token expired
    sandbox.inject_latency(0.2, path=config.endpoints.token.split(sandbox.base_url)[1])
    barrier = threading.Barrier(20)
    tokens: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        barrier.wait()
        try:
            tokens.append(manager.access_token())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert len(tokens) == 20
    assert len(set(tokens)) == 1
    assert refreshes(sandbox) == 1
    assert manager.refresh_requests == 1


def test_401_storm_refreshes_once(qbo_sandbox: QboSandbox, qbo_config: ProviderConfig,
                                  keychain: Keychain, store: MemoryConnectionStore) -> None:
    manager = connected(qbo_config, keychain, store)
    rejected = manager.access_token()
    results = []
    barrier = threading.Barrier(10)

    def worker() -> None:
        barrier.wait()
        results.append(manager.refresh_after_rejection(rejected))

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(set(results)) == 1
    assert results[0] != rejected
    assert refreshes(qbo_sandbox) == 1


def test_reused_refresh_token_needs_reconnect_without_a_retry_loop(
        provider_setup: tuple[SandboxServer, ProviderConfig], keychain: Keychain,
        store: MemoryConnectionStore) -> None:
    sandbox, config = provider_setup
    manager = connected(config, keychain, store)
    stale = keychain.load_token(COMPANY, config.provider)
    assert stale is not None
    manager.force_refresh()
    manager.force_refresh()  # two rotations: also past Xero's grace (the successor was used)
    keychain.save_token(COMPANY, config.provider, stale)  # as if an old copy came back
    with pytest.raises(ReconnectNeeded) as caught:
        manager.force_refresh()
    assert "no longer accepts" in caught.value.message
    assert refreshes(sandbox) == 3
    saved = store.get(COMPANY, config.provider)
    assert saved is not None
    assert saved.status is ConnectionState.NEEDS_ATTENTION
    assert "no longer accepts" in saved.reason
    # Asking again does not send anything: no retry loop.
    with pytest.raises(ReconnectNeeded):
        manager.access_token()
    with pytest.raises(ReconnectNeeded):
        manager.force_refresh()
    assert refreshes(sandbox) == 3


def test_consent_revoked_at_the_provider_needs_reconnect(
        provider_setup: tuple[SandboxServer, ProviderConfig], keychain: Keychain,
        store: MemoryConnectionStore) -> None:
    sandbox, config = provider_setup
    manager = connected(config, keychain, store)
    sandbox.revoke_all_grants()
    with pytest.raises(ReconnectNeeded):
        manager.force_refresh()
    saved = store.get(COMPANY, config.provider)
    assert saved is not None
    assert saved.status is ConnectionState.NEEDS_ATTENTION


def test_reconnect_clears_the_needs_reconnect_state(
        qbo_config: ProviderConfig, qbo_sandbox: QboSandbox, keychain: Keychain,
        store: MemoryConnectionStore) -> None:
    managers = TokenManagers(lambda c, p: TokenManager(c, qbo_config, keychain=keychain,
                                                       store=store))
    first = connected(qbo_config, keychain, store)
    managers.put(first)
    qbo_sandbox.revoke_all_grants()
    with pytest.raises(ReconnectNeeded):
        managers.get(COMPANY, Provider.QBO).force_refresh()
    flow = ConnectFlow(COMPANY, qbo_config, keychain=keychain, store=store, managers=managers,
                       open_browser=ScriptedBrowser(), timeout=10)
    flow.run()
    assert managers.get(COMPANY, Provider.QBO) is flow.manager
    assert managers.get(COMPANY, Provider.QBO).force_refresh()
    saved = store.get(COMPANY, Provider.QBO)
    assert saved is not None
    assert saved.status is ConnectionState.CONNECTED


def test_xero_no_response_retries_once_with_the_old_token_in_the_grace_period(
        xero_sandbox: XeroSandbox, xero_config: ProviderConfig, keychain: Keychain,
        store: MemoryConnectionStore) -> None:
    manager = connected(xero_config, keychain, store)
    old = keychain.load_token(COMPANY, Provider.XERO)
    assert old is not None
    xero_sandbox.drop_next(1, after_commit=True, path="/connect/token")
    token = manager.force_refresh()
    assert refreshes(xero_sandbox) == 2
    assert manager.refresh_requests == 2
    new = keychain.load_token(COMPANY, Provider.XERO)
    assert new is not None
    assert new.refresh_token != old.refresh_token
    # The token works against the API.
    connection_id = str(new.metadata["tenant_id"])
    answer = httpx.get(f"{xero_config.endpoints.api_base}/Organisation",
                       headers={"Authorization": f"Bearer {token}",
                                "xero-tenant-id": connection_id, "Accept": "application/json"})
    assert answer.status_code == 200


def test_xero_retries_only_once(xero_sandbox: XeroSandbox, xero_config: ProviderConfig,
                                keychain: Keychain, store: MemoryConnectionStore) -> None:
    manager = connected(xero_config, keychain, store)
    xero_sandbox.drop_next(2, after_commit=True, path="/connect/token")
    with pytest.raises(NetworkError):
        manager.force_refresh()
    assert refreshes(xero_sandbox) == 2
    saved = store.get(COMPANY, Provider.XERO)
    assert saved is not None
    assert saved.status is ConnectionState.CONNECTED


def test_qbo_no_response_is_not_retried(qbo_sandbox: QboSandbox, qbo_config: ProviderConfig,
                                        keychain: Keychain, store: MemoryConnectionStore) -> None:
    manager = connected(qbo_config, keychain, store)
    path = "/oauth2/v1/tokens/bearer"
    before = qbo_sandbox.request_counts().get(path, 0)
    qbo_sandbox.drop_next(1, after_commit=False, path=path)
    with pytest.raises(NetworkError):
        manager.force_refresh()
    assert manager.refresh_requests == 1
    assert qbo_sandbox.request_counts().get(path, 0) - before == 1
    assert manager.force_refresh()  # nothing was rotated: the saved token still works
    assert refreshes(qbo_sandbox) == 1


def test_a_keychain_that_cannot_take_the_renewal_mark_stops_the_refresh_before_it_is_sent(
        qbo_sandbox: QboSandbox, qbo_config: ProviderConfig, memory_keyring: MemoryKeyring,
        store: MemoryConnectionStore) -> None:
    keychain = Keychain(memory_keyring)
    manager = connected(qbo_config, keychain, store)
    memory_keyring.fail_writes = True
    with pytest.raises(KeychainUnavailable):
        manager.force_refresh()
    assert refreshes(qbo_sandbox) == 0, "nothing rotated that could not be saved"
    memory_keyring.fail_writes = False
    assert manager.force_refresh()
    assert refreshes(qbo_sandbox) == 1


def test_rotated_token_is_saved_before_the_access_token_is_handed_out(
        qbo_sandbox: QboSandbox, qbo_config: ProviderConfig, memory_keyring: MemoryKeyring,
        store: MemoryConnectionStore) -> None:
    keychain = Keychain(memory_keyring)
    manager = connected(qbo_config, keychain, store)
    before = manager.access_token()
    memory_keyring.writes_left = 1  # the renewal mark is saved, the rotated token is not
    with pytest.raises(KeychainUnavailable):
        manager.force_refresh()
    # The server rotated, but the new access token was never handed out...
    assert refreshes(qbo_sandbox) == 1
    assert manager.access_expires_at is None
    saved = store.get(COMPANY, Provider.QBO)
    assert saved is not None
    assert saved.status is ConnectionState.NEEDS_ATTENTION
    # ...and nothing else gets one either.
    memory_keyring.writes_left = None
    memory_keyring.fail_writes = False
    with pytest.raises(ReconnectNeeded):
        manager.access_token()
    assert before


def test_a_second_manager_uses_the_access_token_the_first_saved(
        qbo_sandbox: QboSandbox, qbo_config: ProviderConfig, keychain: Keychain,
        store: MemoryConnectionStore) -> None:
    """Two processes (the GUI and a scheduled CLI sync) share the keychain entry: a start within
    the access token's hour sends no refresh at all."""
    first = connected(qbo_config, keychain, store)
    renewed = first.force_refresh()
    second = TokenManager(COMPANY, qbo_config, keychain=keychain, store=store)
    assert second.access_token() == renewed
    assert refreshes(qbo_sandbox) == 1
    # Once the provider rejects it, the second renews from the rotation the first saved...
    assert second.refresh_after_rejection(renewed) != renewed
    assert refreshes(qbo_sandbox) == 2
    # ...and the first, told its token was rejected, takes the second's instead of refreshing.
    assert first.refresh_after_rejection(renewed) == second.access_token()
    assert first.force_refresh()
    assert refreshes(qbo_sandbox) == 3


def test_a_start_near_the_access_tokens_expiry_refreshes(
        qbo_sandbox: QboSandbox, qbo_config: ProviderConfig, keychain: Keychain,
        store: MemoryConnectionStore) -> None:
    clock = Clock()
    connected(qbo_config, keychain, store, clock)
    clock.now += 3600 - 60  # inside the leeway
    later = TokenManager(COMPANY, qbo_config, keychain=keychain, store=store, clock=clock)
    assert later.access_token()
    assert refreshes(qbo_sandbox) == 1


def test_missing_keychain_entry_needs_reconnect(qbo_config: ProviderConfig, keychain: Keychain,
                                                store: MemoryConnectionStore) -> None:
    manager = TokenManager(COMPANY, qbo_config, keychain=keychain, store=store)
    with pytest.raises(ReconnectNeeded, match="no saved"):
        manager.access_token()


# -- disconnect -------------------------------------------------------------------------------


def test_qbo_disconnect_revokes_and_clears(qbo_sandbox: QboSandbox, qbo_config: ProviderConfig,
                                           keychain: Keychain, memory_keyring: MemoryKeyring,
                                           store: MemoryConnectionStore) -> None:
    manager = connected(qbo_config, keychain, store)
    stored = keychain.load_token(COMPANY, Provider.QBO)
    assert stored is not None
    result = manager.disconnect()
    assert result.revoked
    assert result.local_cleared
    assert result.problems == ()
    assert result.connection_deleted is None
    assert "access was revoked" in result.message
    assert memory_keyring.entries == {}
    grant = qbo_sandbox.oauth.grant_for_token(stored.refresh_token)
    assert grant is not None
    assert grant.revoked_at is not None
    saved = store.get(COMPANY, Provider.QBO)
    assert saved is not None
    assert saved.status is ConnectionState.DISCONNECTED
    with pytest.raises(ReconnectNeeded):
        manager.access_token()


def test_xero_disconnect_deletes_the_connection_and_revokes(
        xero_sandbox: XeroSandbox, xero_config: ProviderConfig, keychain: Keychain,
        memory_keyring: MemoryKeyring, store: MemoryConnectionStore) -> None:
    manager = connected(xero_config, keychain, store)
    assert len(xero_sandbox.connections_of(xero_config.client_id)) == 1
    result = manager.disconnect()
    assert result.revoked
    assert result.connection_deleted
    assert xero_sandbox.connections_of(xero_config.client_id) == []
    assert xero_sandbox.request_counts().get("/connections/" + next(iter([
        p.split("/connections/")[1] for p in xero_sandbox.request_counts()
        if p.startswith("/connections/")]))) == 1
    assert memory_keyring.entries == {}
    assert all(g.revoked_at is not None for g in xero_sandbox.oauth.grants.values())


def test_disconnect_with_revoke_failing_still_clears_local_secrets(
        provider_setup: tuple[SandboxServer, ProviderConfig], keychain: Keychain,
        memory_keyring: MemoryKeyring, store: MemoryConnectionStore) -> None:
    sandbox, config = provider_setup
    manager = connected(config, keychain, store)
    revoke_path = config.endpoints.revoke.split(sandbox.base_url)[1]
    sandbox.fail_next(1, status=503, path=revoke_path)
    result = manager.disconnect()
    assert not result.revoked
    assert result.local_cleared
    assert result.problems
    assert "503" in result.problems[-1]
    assert "did not confirm" in result.message
    assert memory_keyring.entries == {}
    saved = store.get(COMPANY, config.provider)
    assert saved is not None
    assert saved.status is ConnectionState.DISCONNECTED
    assert "not confirmed" in saved.reason
    # The grant is still alive at the provider (that is what the message warns about).
    assert any(g.revoked_at is None for g in sandbox.oauth.grants.values())


def test_disconnect_with_the_provider_unreachable(qbo_config: ProviderConfig, keychain: Keychain,
                                                  memory_keyring: MemoryKeyring,
                                                  store: MemoryConnectionStore) -> None:
    from dataclasses import replace

    manager = connected(qbo_config, keychain, store)
    endpoints = replace(qbo_config.endpoints, revoke="http://127.0.0.1:9/revoke")
    manager.oauth.config = replace(qbo_config, endpoints=endpoints)
    result = manager.disconnect()
    assert not result.revoked
    assert result.local_cleared
    assert "Cannot reach" in result.problems[0]
    assert memory_keyring.entries == {}


def test_keychain_entry_holds_the_sign_in_within_the_windows_size_limit(
        qbo_config: ProviderConfig, keychain: Keychain, memory_keyring: MemoryKeyring,
        store: MemoryConnectionStore) -> None:
    manager = connected(qbo_config, keychain, store)
    access = manager.access_token()
    assert len(access) > 900  # a JWE-sized access token, as Intuit's
    # MemoryKeyring refuses values over 1,280 characters, as Windows Credential Manager does:
    # the entry was split rather than refused.
    assert all(len(value) <= ENTRY_LIMIT for value in memory_keyring.entries.values())
    stored = keychain.load_token(COMPANY, Provider.QBO)
    assert stored is not None
    assert stored.access_token == access
    assert stored.access_expires_at == manager.access_expires_at
    assert stored.refresh_started_at is None
    assert stored.metadata == {"tenant_id": "9341453050071366"}
    assert "id_token" not in "".join(memory_keyring.entries.values())


def test_disconnect_during_a_refresh_leaves_no_token_behind(
        qbo_sandbox: QboSandbox, qbo_config: ProviderConfig, keychain: Keychain,
        memory_keyring: MemoryKeyring, store: MemoryConnectionStore) -> None:
    """A refresh in flight saves its rotated token; Disconnect waits for it, then deletes and
    revokes that one, so no live refresh token is left in the keychain."""
    clock = Clock()
    manager = connected(qbo_config, keychain, store, clock)
    clock.now += 7200
    qbo_sandbox.inject_latency(0.4, path="/oauth2/v1/tokens/bearer", count=1)
    refreshing = threading.Thread(target=manager.access_token)
    refreshing.start()
    deadline = threading.Event()
    while manager.refresh_requests == 0 and not deadline.wait(0.01):
        pass
    result = manager.disconnect()
    refreshing.join(5)
    assert result.revoked
    assert memory_keyring.entries == {}
    assert all(g.revoked_at is not None for g in qbo_sandbox.oauth.grants.values())
    assert refreshes(qbo_sandbox) == 1


def test_one_manager_per_company_and_provider(qbo_config: ProviderConfig, keychain: Keychain,
                                              store: MemoryConnectionStore) -> None:
    made: list[tuple[int, Provider]] = []

    def factory(company_id: int, provider: Provider) -> TokenManager:
        made.append((company_id, provider))
        return TokenManager(company_id, qbo_config, keychain=keychain, store=store)

    managers = TokenManagers(factory)
    got: list[TokenManager] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        got.append(managers.get(COMPANY, Provider.QBO))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert len({id(m) for m in got}) == 1
    assert made == [(COMPANY, Provider.QBO)]
    assert managers.get(COMPANY + 1, Provider.QBO) is not got[0]
    managers.forget(COMPANY, Provider.QBO)
    assert managers.get(COMPANY, Provider.QBO) is not got[0]

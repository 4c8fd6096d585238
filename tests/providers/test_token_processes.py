"""Refreshing one sign-in from two processes (the GUI and `bookkeeper sync --watch`) against the
sandboxes, whose refresh tokens rotate as QBO's and Xero's do (QBO: the old one fails at once;
Xero: a grace period that revokes the successor): the inter-process refresh lock makes the second
process rotate the token the first saved, so both end with a working token and the keychain holds
the newest; the keychain re-read after `invalid_grant` covers a process that took no lock.

The processes share a keychain: `tests.sync.file_keyring.FileKeyring` (a real keyring backend on
one file) everywhere, and
the real Secret Service under the `keychain` marker (.ci/with-keyring)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import keyring.errors
import pytest
from keyring.backend import KeyringBackend

from bookkeeper_desktop.core.errors import KeychainUnavailable, NetworkError, ReconnectNeeded
from bookkeeper_desktop.providers.config import Provider, ProviderConfig
from bookkeeper_desktop.providers.connect import ConnectFlow
from bookkeeper_desktop.providers.connections import ConnectionState, MemoryConnectionStore
from bookkeeper_desktop.providers.keychain import Keychain, StoredToken
from bookkeeper_desktop.providers.tokens import (
    RefreshLock,
    TokenManager,
    refresh_lock_path,
)
from bookkeeper_desktop.sandbox.oauth import fingerprint
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.sandbox.server import SandboxServer
from bookkeeper_desktop.sandbox.xero_server import XeroSandbox
from tests.sync.file_keyring import FileKeyring

from .conftest import COMPANY, MemoryKeyring, ScriptedBrowser, sandbox_env
from .refresh_worker import api_status

REPO = Path(__file__).resolve().parents[2]
SERVICE = "bookkeeper-desktop-test"
TOKEN_PATHS = {Provider.QBO: "/oauth2/v1/tokens/bearer", Provider.XERO: "/connect/token"}


@pytest.fixture(params=["qbo", "xero"])
def provider_setup(request: pytest.FixtureRequest, qbo_sandbox: QboSandbox,
                   xero_sandbox: XeroSandbox, qbo_config: ProviderConfig,
                   xero_config: ProviderConfig
                   ) -> tuple[SandboxServer, ProviderConfig, dict[str, str]]:
    if request.param == "qbo":
        return qbo_sandbox, qbo_config, sandbox_env(qbo=qbo_sandbox)
    return xero_sandbox, xero_config, sandbox_env(xero=xero_sandbox)


def connect(config: ProviderConfig, keychain: Keychain,
            store: MemoryConnectionStore | None = None) -> TokenManager:
    flow = ConnectFlow(COMPANY, config, keychain=keychain, store=store or MemoryConnectionStore(),
                       open_browser=ScriptedBrowser(), choose_tenant=lambda ts: ts[0],
                       timeout=10)
    flow.run()
    assert flow.manager is not None
    return flow.manager


def expire_saved_access_token(keychain: Keychain, provider: Provider) -> None:
    """An hour later: the access token the keychain holds has expired, so the next process of
    ours to start must refresh."""
    stored = keychain.load_token(COMPANY, provider)
    assert stored is not None
    assert stored.access_token is not None
    keychain.save_token(COMPANY, provider, StoredToken(stored.refresh_token, stored.metadata))


def refreshes(sandbox: SandboxServer) -> int:
    return sandbox.token_grant_counts().get("refresh_token", 0)


def run_workers(tmp_path: Path, count: int, spec: dict[str, Any]) -> list[dict[str, Any]]:
    """`count` worker processes (tests/providers/refresh_worker.py) that refresh at the same
    moment; their JSON reports."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    workers: list[subprocess.Popen[str]] = []
    go = tmp_path / f"go-{uuid.uuid4().hex}"
    readies = []
    for n in range(count):
        ready = tmp_path / f"ready-{n}-{uuid.uuid4().hex}"
        readies.append(ready)
        args = json.dumps({**spec, "ready": str(ready), "go": str(go)})
        workers.append(subprocess.Popen(
            [sys.executable, "-m", "tests.providers.refresh_worker", args], cwd=REPO, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    deadline = time.monotonic() + 60
    while not all(r.exists() for r in readies) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    reports = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert out.strip(), err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports


def chain_from(sandbox: SandboxServer, token: str) -> list[str]:
    """The fingerprints of the rotations that followed `token`, in order."""
    chain = []
    record = sandbox.oauth.refresh_tokens[fingerprint(token)]
    while record.successor is not None:
        chain.append(record.successor)
        record = sandbox.oauth.refresh_tokens[record.successor]
    return chain


def check_two_processes(sandbox: SandboxServer, config: ProviderConfig, keychain: Keychain,
                        tmp_path: Path, spec: dict[str, Any]) -> None:
    """Both workers refresh at once; both tokens work, the keychain holds the newest."""
    manager = connect(config, keychain)
    expire_saved_access_token(keychain, config.provider)
    first = keychain.load_token(COMPANY, config.provider)
    assert first is not None
    # Each refresh takes a while: without the lock both would send the same refresh token.
    sandbox.inject_latency(0.3, path=TOKEN_PATHS[config.provider])
    reports = run_workers(tmp_path, 2, {**spec, "provider": config.provider.value,
                                        "company_id": COMPANY})
    assert all("token" in r for r in reports), reports
    assert [r["status"] for r in reports] == [200, 200]
    assert sorted(r["waits"] for r in reports) == [0, 1], "one waited for the other's refresh"
    # The one that waited found the access token the other saved: one rotation in all.
    assert sorted(r["refresh_requests"] for r in reports) == [0, 1]
    assert reports[0]["token"] == reports[1]["token"]
    assert refreshes(sandbox) == 1, "one rotation, no refused second attempt"
    newest = keychain.load_token(COMPANY, config.provider)
    assert newest is not None
    assert newest.refresh_started_at is None
    # One line of rotations: first → the keychain's, not revoked, nothing after it.
    chain = chain_from(sandbox, first.refresh_token)
    assert chain == [fingerprint(newest.refresh_token)]
    assert not sandbox.oauth.refresh_tokens[chain[0]].revoked
    assert newest.metadata == first.metadata
    # And this process (the first one, the GUI) renews from the newest token, not its own old
    # one: the rotation the workers made is picked up.
    assert manager.force_refresh()
    assert refreshes(sandbox) == 2
    tenant_id = str(first.metadata["tenant_id"])
    assert api_status(config, manager.access_token(), tenant_id) == 200


def test_two_processes_refresh_at_once_and_both_keep_working(
        provider_setup: tuple[SandboxServer, ProviderConfig, dict[str, str]],
        tmp_path: Path) -> None:
    sandbox, config, env = provider_setup
    path = tmp_path / "keyring.json"
    keychain = Keychain(FileKeyring(path), service=SERVICE)
    check_two_processes(sandbox, config, keychain, tmp_path,
                        {"env": env, "keyring": f"file:{path}", "service": SERVICE})


@pytest.fixture
def secret_service() -> KeyringBackend:
    """keyring's Secret Service backend on the session bus, or a clean skip."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        pytest.skip("no D-Bus session (run under .ci/with-keyring)")
    from keyring.backends import SecretService

    backend = SecretService.Keyring()
    try:
        backend.get_password(SERVICE, "probe")
    except Exception as exc:  # no daemon, locked, not activatable
        pytest.skip(f"no Secret Service answers on this D-Bus session: {exc}")
    return backend


@pytest.mark.keychain
def test_two_processes_refresh_at_once_with_the_real_secret_service(
        provider_setup: tuple[SandboxServer, ProviderConfig, dict[str, str]],
        secret_service: KeyringBackend, tmp_path: Path) -> None:
    sandbox, config, env = provider_setup
    service = f"{SERVICE}-{uuid.uuid4().hex[:8]}"
    keychain = Keychain(secret_service, service=service)
    try:
        check_two_processes(sandbox, config, keychain, tmp_path,
                            {"env": env, "keyring": "secret-service", "service": service})
    finally:
        keychain.delete_token(COMPANY, config.provider)


# -- the lock file ------------------------------------------------------------------------------


def test_the_lock_file_is_per_keychain_entry_in_the_data_folder(
        isolated_data_dir: Path) -> None:
    path = refresh_lock_path("bookkeeper-desktop", 7, Provider.XERO)
    assert path == isolated_data_dir / "locks" / "token-bookkeeper-desktop-company-7-xero.lock"
    assert refresh_lock_path("demo/service x", 7, Provider.QBO).name \
        == "token-demo_service_x-company-7-qbo.lock"
    assert refresh_lock_path("s", 7, Provider.QBO) != refresh_lock_path("s", 8, Provider.QBO)


def test_a_lock_held_too_long_by_another_process_is_a_clear_error(
        qbo_config: ProviderConfig, keychain: Keychain, tmp_path: Path) -> None:
    path = tmp_path / "held.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, sys, time\n"
         f"f = open({str(path)!r}, 'a+')\n"
         "fcntl.flock(f, fcntl.LOCK_EX)\n"
         "print('held', flush=True)\n"
         "time.sleep(60)\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        manager = TokenManager(COMPANY, qbo_config, keychain=keychain,
                               store=MemoryConnectionStore(),
                               refresh_lock=RefreshLock(path, timeout=0.3))
        started = time.monotonic()
        with pytest.raises(NetworkError) as caught:
            manager.access_token()
        assert time.monotonic() - started >= 0.3
        assert "Another Bookkeeper Desktop process" in caught.value.message
        assert caught.value.hint is not None
        assert manager.refresh_requests == 0
        assert manager.needs_reconnect is None, "a busy lock is no reason to reconnect"
        # The holder dies (killed, as a sync can be): the OS drops its lock at once.
        holder.kill()
        holder.wait(10)
        connect(qbo_config, keychain)
        assert manager.force_refresh()
        assert manager.refresh_requests == 1
        assert manager.refresh_lock.waits == 1
    finally:
        holder.kill()
        holder.communicate(timeout=10)  # waits and closes the pipe


def test_two_managers_of_one_process_exclude_each_other(
        qbo_sandbox: QboSandbox, qbo_config: ProviderConfig, keychain: Keychain) -> None:
    """flock conflicts between two opens of the file, so the lock also holds between two managers
    of one process (two windows, a CLI command in the GUI's process) that do not share a
    `TokenManagers`."""
    connect(qbo_config, keychain)
    first = TokenManager(COMPANY, qbo_config, keychain=keychain, store=MemoryConnectionStore())
    second = TokenManager(COMPANY, qbo_config, keychain=keychain, store=MemoryConnectionStore())
    assert first.refresh_lock.path == second.refresh_lock.path
    with first.refresh_lock.hold():
        second.refresh_lock.timeout = 0.2
        with pytest.raises(NetworkError):
            second.force_refresh()
        assert first.force_refresh(), "re-entrant for its holder"
    assert second.force_refresh()
    assert refreshes(qbo_sandbox) == 2


def test_without_a_writable_data_folder_refresh_goes_on_without_the_lock(
        qbo_sandbox: QboSandbox, qbo_config: ProviderConfig, keychain: Keychain,
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the locks folder would be")
    connect(qbo_config, keychain)
    manager = TokenManager(COMPANY, qbo_config, keychain=keychain, store=MemoryConnectionStore(),
                           refresh_lock=RefreshLock(blocker / "locks" / "x.lock"))
    with caplog.at_level("WARNING", logger="bookkeeper_desktop.providers.tokens"):
        assert manager.force_refresh()
    assert "refreshing without it" in caplog.text
    assert refreshes(qbo_sandbox) == 1


# -- a process that took no lock ------------------------------------------------------------------


class RaceKeyring(MemoryKeyring):
    """The moment of the race, made exact: right after one process marked its renewal (so it is
    about to send the refresh token it read), another process (one that takes no lock) rotates
    that token and saves its successor."""

    def __init__(self) -> None:
        super().__init__()
        self.after_next_write: Any = None

    def set_password(self, service: str, username: str, password: str) -> None:
        super().set_password(service, username, password)
        hook, self.after_next_write = self.after_next_write, None
        if hook is not None:
            hook()


def test_invalid_grant_rereads_the_keychain_and_retries_once_with_the_newer_token(
        qbo_sandbox: QboSandbox, qbo_config: ProviderConfig, tmp_path: Path) -> None:
    """QBO fails a used refresh token at once: the process that lost the race finds the token
    the other one saved and refreshes with it, instead of asking the user to reconnect."""
    backend = RaceKeyring()
    keychain = Keychain(backend)
    store = MemoryConnectionStore()
    connect(qbo_config, keychain, store)
    other = TokenManager(COMPANY, qbo_config, keychain=Keychain(backend), store=store,
                         refresh_lock=RefreshLock(None))
    ours = TokenManager(COMPANY, qbo_config, keychain=keychain, store=store)
    backend.after_next_write = other.force_refresh
    token = ours.force_refresh()
    assert ours.needs_reconnect is None
    assert ours.refresh_requests == 2, "the refused attempt and one retry"
    assert refreshes(qbo_sandbox) == 3
    stored = keychain.load_token(COMPANY, Provider.QBO)
    assert stored is not None
    record = qbo_sandbox.oauth.refresh_tokens[fingerprint(stored.refresh_token)]
    assert record.successor is None, "the keychain holds the newest token"
    check = qbo_sandbox.oauth.check_access(f"Bearer {token}")
    assert check.problem is None
    saved = store.get(COMPANY, Provider.QBO)
    assert saved is not None
    assert saved.status is ConnectionState.CONNECTED


def test_a_dead_token_is_not_retried_when_nothing_newer_was_saved(
        qbo_sandbox: QboSandbox, qbo_config: ProviderConfig, keychain: Keychain) -> None:
    manager = connect(qbo_config, keychain)
    qbo_sandbox.revoke_all_grants()
    with pytest.raises(ReconnectNeeded):
        manager.force_refresh()
    assert manager.refresh_requests == 1
    for _ in range(3):
        with pytest.raises(ReconnectNeeded):
            manager.access_token()
    assert refreshes(qbo_sandbox) == 1, "no request until the keychain changes"


def test_a_connect_made_by_another_process_revives_a_manager_that_needed_reconnect(
        provider_setup: tuple[SandboxServer, ProviderConfig, dict[str, str]],
        keychain: Keychain) -> None:
    sandbox, config, _ = provider_setup
    manager = connect(config, keychain)
    sandbox.revoke_all_grants()
    with pytest.raises(ReconnectNeeded):
        manager.force_refresh()
    connect(config, keychain)  # `bookkeeper connect` in another process saves a new sign-in
    assert manager.access_token()
    assert manager.needs_reconnect is None
    assert refreshes(sandbox) == 1, "the new sign-in's access token is used as it is"


def test_after_disconnect_only_a_new_sign_in_is_used(
        qbo_sandbox: QboSandbox, qbo_config: ProviderConfig, keychain: Keychain,
        memory_keyring: MemoryKeyring) -> None:
    manager = connect(qbo_config, keychain)
    manager.disconnect()
    assert memory_keyring.entries == {}
    with pytest.raises(ReconnectNeeded, match="Not connected"):
        manager.access_token()
    assert refreshes(qbo_sandbox) == 0
    connect(qbo_config, keychain)
    assert manager.access_token()
    assert refreshes(qbo_sandbox) == 0, "the new sign-in's access token is used as it is"
    assert manager.force_refresh()
    assert refreshes(qbo_sandbox) == 1


def test_api_status_of_a_bad_token_is_401(qbo_sandbox: QboSandbox,
                                          qbo_config: ProviderConfig) -> None:
    """The worker's check can fail: an unknown token is refused."""
    assert api_status(qbo_config, "not-a-token", "9341453050071366") == httpx.codes.UNAUTHORIZED


class LockedAfterwards(MemoryKeyring):
    """A keychain that locks (the user's session locked it) once `locked` is set."""

    locked = False

    def get_password(self, service: str, username: str) -> str | None:
        if self.locked:
            raise keyring.errors.KeyringLocked("Collection is locked")
        return super().get_password(service, username)


def test_needing_reconnect_is_still_said_when_the_keychain_cannot_be_read(
        qbo_sandbox: QboSandbox, qbo_config: ProviderConfig) -> None:
    backend = LockedAfterwards()
    manager = connect(qbo_config, Keychain(backend))
    qbo_sandbox.revoke_all_grants()
    with pytest.raises(ReconnectNeeded):
        manager.force_refresh()
    backend.locked = True
    with pytest.raises(ReconnectNeeded) as caught:
        manager.access_token()
    assert not isinstance(caught.value, KeychainUnavailable)
    assert refreshes(qbo_sandbox) == 1
    # A manager in good standing reports the locked keychain itself.
    fresh = TokenManager(COMPANY, qbo_config, keychain=Keychain(backend),
                         store=MemoryConnectionStore())
    with pytest.raises(KeychainUnavailable):
        fresh.access_token()

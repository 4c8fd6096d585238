"""A process renewing a sign-in killed at every step of the renewal (SIGKILL, like a power cut),
then a fresh start, against the sandboxes whose refresh tokens rotate as the vendors' do
(API_NOTES.md "lifetimes": QBO's old token fails at once; Xero's works for 30 minutes if its
successor was never used). Issue #13 §3: no lockout where the provider's rules allow recovery, and
an exact message where they do not.

The steps: before the renewal mark is saved; after it, before the request; the request sent but
not yet handled (the server handles it after the kill); handled, answer not yet received; answer
received, before the save; in the middle of the (split) save; after the save. The many-times loop
with random kill moments is `benchmarks/bench_refresh_crash.py`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bookkeeper_desktop.core.errors import ReconnectNeeded
from bookkeeper_desktop.providers.config import Provider, ProviderConfig, load_config
from bookkeeper_desktop.providers.connections import MemoryConnectionStore
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.providers.tokens import RefreshLock, TokenManager
from bookkeeper_desktop.sandbox.oauth import fingerprint
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.sandbox.server import SandboxServer
from bookkeeper_desktop.sandbox.xero_server import XeroSandbox
from tests.sync.file_keyring import FileKeyring

from .conftest import COMPANY, sandbox_env
from .refresh_worker import api_status
from .test_token_processes import TOKEN_PATHS, connect

REPO = Path(__file__).resolve().parents[2]
SERVICE = "bookkeeper-desktop-crash-test"
INTERRUPTED = "was interrupted (the app was closed or stopped) before the renewed sign-in could " \
              "be saved"


@dataclass
class Shared:
    """The sandbox, configuration and the keychain/lock files the test and its children share."""

    sandbox: SandboxServer
    config: ProviderConfig
    env: dict[str, str]
    keyring: Path
    lock: Path

    @property
    def provider(self) -> Provider:
        return self.config.provider

    def keychain(self) -> Keychain:
        return Keychain(FileKeyring(self.keyring), service=SERVICE)

    def manager(self) -> TokenManager:
        """A freshly started process's token manager."""
        return TokenManager(COMPANY, self.config, keychain=self.keychain(),
                            store=MemoryConnectionStore(), refresh_lock=RefreshLock(self.lock))

    def child(self, **kill: int) -> subprocess.Popen[str]:
        spec = {"env": self.env, "provider": self.provider.value, "company_id": COMPANY,
                "keyring": str(self.keyring), "service": SERVICE, "lock": str(self.lock),
                **kill}
        return subprocess.Popen(
            [sys.executable, "-m", "tests.providers.crash_refresh_child", json.dumps(spec)],
            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)

    def refreshes(self) -> int:
        return self.sandbox.token_grant_counts().get("refresh_token", 0)


@pytest.fixture(params=["qbo", "xero"])
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Shared]:
    sandbox: SandboxServer = QboSandbox(limits=False) if request.param == "qbo" \
        else XeroSandbox(limits=False)
    with sandbox:
        env = sandbox_env(**{request.param: sandbox})  # type: ignore[arg-type]
        config = load_config(request.param, env=env)
        yield Shared(sandbox, config, env, tmp_path / "keyring.json", tmp_path / "refresh.lock")


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = process.communicate(timeout=60)
    return process.returncode, out + err


def kill_when(process: subprocess.Popen[str], condition: Any, delay: float = 0.0
              ) -> tuple[int, str]:
    """SIGKILL `process` once `condition()` holds (checked every 5 ms), after `delay`."""
    deadline = time.monotonic() + 30
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    return finish(process)


def wrote_mark(process: subprocess.Popen[str]) -> Any:
    """A condition: the child printed `wrote 1` (its renewal mark is saved)."""
    assert process.stdout is not None
    stream = process.stdout
    seen: list[str] = []

    def condition() -> bool:
        if not seen:
            line = stream.readline()
            if line:
                seen.append(line)
        return bool(seen)
    return condition


def interrupt(shared: Shared, step: str, writes: int) -> None:
    """Run one renewal in a child and kill it at `step`."""
    token_path = TOKEN_PATHS[shared.provider]
    if step.startswith("before write "):
        code, output = finish(shared.child(kill_before_write=int(step.rsplit(maxsplit=1)[-1])))
    elif step == "after the last write":
        code, output = finish(shared.child(kill_after_write=writes))
    elif step == "request not yet handled":
        shared.sandbox.inject_latency(0.8, path=token_path, count=1)
        arrived = shared.sandbox.request_counts().get(token_path, 0)
        process = shared.child()
        code, output = kill_when(
            process, lambda: shared.sandbox.request_counts().get(token_path, 0) > arrived)
        time.sleep(1.0)  # the server handles it after the kill, as a real one would
    elif step == "handled, answer not received":
        shared.sandbox.hold_answers(5.0, path=token_path, count=1)
        before = shared.refreshes()
        process = shared.child()
        code, output = kill_when(process, lambda: shared.refreshes() > before)
    else:
        raise AssertionError(step)
    assert code == -signal.SIGKILL, output


def fresh_start(shared: Shared) -> str | ReconnectNeeded:
    """What a freshly started process gets: an access token, or why it must reconnect."""
    try:
        return shared.manager().access_token()
    except ReconnectNeeded as exc:
        return exc


def steps(writes: int) -> list[str]:
    return ["before write 1", "before write 2", "request not yet handled",
            "handled, answer not received",
            *[f"before write {n}" for n in range(3, writes + 1)], "after the last write"]


def clean_renewal_writes(shared: Shared) -> int:
    """A renewal that is not interrupted: how many keychain writes it makes (the mark, then the
    rotated sign-in, split across entries where it is long)."""
    code, output = finish(shared.child())
    assert code == 0, output
    assert '"token"' in output
    return sum(1 for line in output.splitlines() if line.startswith("wrote "))


def test_a_renewal_killed_at_every_step_recovers_or_says_exactly_why_not(
        shared: Shared) -> None:
    connect(shared.config, shared.keychain())
    writes = clean_renewal_writes(shared)
    assert writes >= 2, "the mark, then the rotated sign-in"
    outcomes: dict[str, str] = {}
    for step in steps(writes):
        keychain = shared.keychain()
        before = keychain.load_token(COMPANY, shared.provider)
        assert before is not None
        interrupt(shared, step, writes)
        held = keychain.load_token(COMPANY, shared.provider)
        assert held is not None, f"{step}: the keychain always holds a sign-in"
        record = shared.sandbox.oauth.refresh_tokens[fingerprint(held.refresh_token)]
        rotated_unsaved = record.successor is not None
        # A fresh start.
        started = fresh_start(shared)
        if isinstance(started, ReconnectNeeded):
            outcomes[step] = "reconnect"
            assert shared.provider is Provider.QBO, f"{step}: Xero's grace period allows recovery"
            assert rotated_unsaved, f"{step}: locked out although QBO never rotated the token"
            assert held.refresh_started_at is not None
            assert INTERRUPTED in started.message
            assert "QuickBooks Online accepts each renewal only once" in started.message
            assert started.hint is not None
            assert "Reconnect to QuickBooks Online" in started.hint
            # The exact message again at the next start (after one refused request: a new
            # process cannot know the token is dead before it asks).
            count = shared.refreshes()
            with pytest.raises(ReconnectNeeded, match="was interrupted"):
                shared.manager().access_token()
            assert shared.refreshes() == count + 1
            connect(shared.config, keychain)
            continue
        token = started
        outcomes[step] = "recovered"
        tenant_id = str(held.metadata["tenant_id"])
        assert api_status(shared.config, token, tenant_id) == 200, step
        after = keychain.load_token(COMPANY, shared.provider)
        assert after is not None
        assert after.refresh_started_at is None, f"{step}: the mark is cleared"
        newest = shared.sandbox.oauth.refresh_tokens[fingerprint(after.refresh_token)]
        assert newest.successor is None, f"{step}: the keychain holds the newest token"
        assert not newest.revoked
    interrupted_after_rotation = {"request not yet handled", "handled, answer not received",
                                  *[f"before write {n}" for n in range(2, writes + 1)]}
    expected = {step: "reconnect" if shared.provider is Provider.QBO
                and step in interrupted_after_rotation else "recovered"
                for step in steps(writes)}
    assert outcomes == expected


def test_a_start_within_the_hour_sends_no_refresh(shared: Shared) -> None:
    connect(shared.config, shared.keychain())
    for _ in range(3):
        token = shared.manager().access_token()
        assert api_status(shared.config, token, _tenant(shared)) == 200
    assert shared.refreshes() == 0


def _tenant(shared: Shared) -> str:
    stored = shared.keychain().load_token(COMPANY, shared.provider)
    assert stored is not None
    return str(stored.metadata["tenant_id"])


def test_a_renewal_that_failed_with_an_answer_leaves_no_mark(shared: Shared) -> None:
    """A 5xx from the token endpoint is a definite answer: no renewal is in flight, so a later
    refusal for another reason (a revoked grant) keeps the provider's own message."""
    connect(shared.config, shared.keychain())
    shared.sandbox.fail_next(1, status=503, path=TOKEN_PATHS[shared.provider])
    code, output = finish(shared.child())
    assert code == 1
    assert "could not complete the sign-in" in output
    stored = shared.keychain().load_token(COMPANY, shared.provider)
    assert stored is not None
    assert stored.refresh_started_at is None
    shared.sandbox.revoke_all_grants()
    with pytest.raises(ReconnectNeeded) as caught:
        shared.manager().force_refresh()
    assert "interrupted" not in caught.value.message
    assert "no longer accepts this sign-in" in caught.value.message

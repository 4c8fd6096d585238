"""A process of ours that renews a sign-in and may be killed in the middle, for
tests/providers/test_refresh_crash.py and benchmarks/bench_refresh_crash.py.

    python -m tests.providers.crash_refresh_child SPEC_JSON

SPEC: `env` (the sandbox environment of `conftest.sandbox_env`), `provider`, `company_id`,
`keyring` (the path of a tests/sync/file_keyring.py file shared with the test), `service`, `lock`
(the refresh lock file), and
optionally `kill_before_write` / `kill_after_write` (N: the process kills itself with SIGKILL —
no clean-up, like a power cut — just before / just after its N-th keychain write).

It starts with nothing in memory, as `bookkeeper sync` does, renews the sign-in
(`TokenManager.force_refresh`, because the test made the saved access token look expired or wants
a refresh regardless), prints one line `wrote N` to stdout after each keychain write (so a test can
follow it) and, if still alive, one JSON line: the token or the error."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from bookkeeper_desktop.core.errors import BookkeeperError
from bookkeeper_desktop.providers.config import Provider, load_config
from bookkeeper_desktop.providers.connections import MemoryConnectionStore
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.providers.tokens import RefreshLock, TokenManager
from tests.sync.file_keyring import FileKeyring


class KillingKeyring(FileKeyring):
    """The shared file keyring, with a power cut before or after one chosen write."""

    def __init__(self, path: Path, kill_before: int | None, kill_after: int | None) -> None:
        super().__init__(path)
        self.kill_before = kill_before
        self.kill_after = kill_after
        self.writes = 0

    def set_password(self, service: str, username: str, password: str) -> None:
        self.writes += 1
        if self.writes == self.kill_before:
            os.kill(os.getpid(), signal.SIGKILL)
        super().set_password(service, username, password)
        sys.stdout.write(f"wrote {self.writes}\n")
        sys.stdout.flush()
        if self.writes == self.kill_after:
            os.kill(os.getpid(), signal.SIGKILL)


def main(argv: list[str]) -> int:
    spec: dict[str, Any] = json.loads(argv[1])
    provider = Provider(spec["provider"])
    config = load_config(provider.value, env=spec["env"])
    backend = KillingKeyring(Path(spec["keyring"]), spec.get("kill_before_write"),
                             spec.get("kill_after_write"))
    manager = TokenManager(int(spec["company_id"]), config,
                           keychain=Keychain(backend, service=spec["service"]),
                           store=MemoryConnectionStore(),
                           refresh_lock=RefreshLock(Path(spec["lock"])))
    try:
        report: dict[str, Any] = {"token": manager.force_refresh()}
    except BookkeeperError as exc:
        report = {"error": f"{type(exc).__name__}: {exc.message}"}
    sys.stdout.write(json.dumps(report) + "\n")
    return 0 if "token" in report else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

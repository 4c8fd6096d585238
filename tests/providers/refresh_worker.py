"""A second process of ours refreshing a sign-in, for tests/providers/test_token_processes.py.

    python -m tests.providers.refresh_worker SPEC_JSON

SPEC: `env` (the sandbox environment of `conftest.sandbox_env`), `provider`, `company_id`,
`keyring` ("file:<path>" for tests/sync/file_keyring.py's `FileKeyring`, or "secret-service"),
`service` (keychain service), `lock` (false: refresh without the inter-process lock, as an older
version would), `ready` and `go` (files: this process creates `ready`, then waits for the test to
create `go`, so that every worker refreshes at the same moment).

It builds a `TokenManager` with nothing in memory (as a freshly started `bookkeeper sync` has),
asks for an access token, calls the API once with it as it is (no refresh on 401) and prints one
JSON line: the token, the API's status code, the manager's refresh requests and lock waits, or the
error."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bookkeeper_desktop.core.errors import BookkeeperError
from bookkeeper_desktop.providers.config import Provider, ProviderConfig, load_config
from bookkeeper_desktop.providers.connections import MemoryConnectionStore
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.providers.oauth import tls_context
from bookkeeper_desktop.providers.tokens import RefreshLock, TokenManager
from tests.sync.file_keyring import FileKeyring


def keychain_for(spec: dict[str, Any]) -> Keychain:
    where = str(spec["keyring"])
    if where.startswith("file:"):
        return Keychain(FileKeyring(Path(where[5:])), service=spec["service"])
    from keyring.backends import SecretService

    return Keychain(SecretService.Keyring(), service=spec["service"])


def api_status(config: ProviderConfig, token: str, tenant_id: str) -> int:
    """One API call with `token` as it is: 200 when the token works."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    base = config.endpoints.api_base
    if config.provider is Provider.QBO:
        url = f"{base}/company/{tenant_id}/query"
        params = {"query": "select * from Account MAXRESULTS 1", "minorversion": "75"}
    else:
        url, params = f"{base}/Organisation", {}
        headers["xero-tenant-id"] = tenant_id
    response = httpx.get(url, headers=headers, params=params, verify=tls_context(), timeout=30)
    return response.status_code


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    provider = Provider(spec["provider"])
    config = load_config(provider.value, env=spec["env"])
    keychain = keychain_for(spec)
    extra = {} if spec.get("lock", True) else {"refresh_lock": RefreshLock(None)}
    manager = TokenManager(int(spec["company_id"]), config, keychain=keychain,
                           store=MemoryConnectionStore(), **extra)  # type: ignore[arg-type]
    Path(spec["ready"]).touch()
    go = Path(spec["go"])
    deadline = time.monotonic() + 30
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.002)
    report: dict[str, Any] = {}
    try:
        token = manager.access_token()
        stored = keychain.load_token(manager.company_id, provider)
        tenant_id = str(stored.metadata.get("tenant_id", "")) if stored else ""
        report = {"token": token, "status": api_status(config, token, tenant_id)}
    except BookkeeperError as exc:
        report = {"error": f"{type(exc).__name__}: {exc.message}"}
    report |= {"refresh_requests": manager.refresh_requests,
               "waits": manager.refresh_lock.waits}
    sys.stdout.write(json.dumps(report) + "\n")
    return 0 if "token" in report else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

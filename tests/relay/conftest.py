"""The relay served by uvicorn on loopback, in front of a real QBO sandbox: the sandbox plays
Intuit, with the demo app's client id and secret, so a request the relay did not authenticate is
refused as Intuit would refuse it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn

from bookkeeper_desktop.sandbox.qbo_server import DEMO_QBO_CLIENT, QboSandbox
from bookkeeper_relay.app import create_app
from bookkeeper_relay.ratelimit import AddressLimiter
from bookkeeper_relay.settings import RelaySettings


@pytest.fixture
def qbo_sandbox() -> Iterator[QboSandbox]:
    with QboSandbox(limits=False) as sandbox:
        yield sandbox


def relay_settings(sandbox: QboSandbox, **changes: object) -> RelaySettings:
    """Settings for a relay that forwards to `sandbox` as the demo QBO app."""
    values: dict[str, object] = {
        "client_id": DEMO_QBO_CLIENT.client_id,
        "client_secret": DEMO_QBO_CLIENT.client_secret or "",
        "token_url": sandbox.base_url + "/oauth2/v1/tokens/bearer",
        "revoke_url": sandbox.base_url + "/v2/oauth2/tokens/revoke",
    } | changes
    return RelaySettings(**values)  # type: ignore[arg-type]


@contextmanager
def running_relay(settings: RelaySettings, *,
                  limiter: AddressLimiter | None = None) -> Iterator[str]:
    """Serve the relay with uvicorn, configured as `bookkeeper_relay.__main__` does (no access
    log, proxy headers believed from 127.0.0.1 only), on 127.0.0.1; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings, limiter=limiter), access_log=False,
                            log_config=None, server_header=False, proxy_headers=True,
                            forwarded_allow_ips="127.0.0.1", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started or not thread.is_alive():
                break
            threading.Event().wait(0.01)
        assert server.started, "the relay did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

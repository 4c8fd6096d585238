"""The loopback HTTP layer: requests in, responses out, chunked bodies, errors in handlers, ports
in use, and stopping with keep-alive connections open."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bookkeeper_desktop.sandbox import server as server_module
from bookkeeper_desktop.sandbox.browser import ConsentBrowser
from bookkeeper_desktop.sandbox.clock import FakeClock
from bookkeeper_desktop.sandbox.http import Request, Response
from bookkeeper_desktop.sandbox.server import LoopbackServer
from bookkeeper_desktop.sandbox.xero_server import XeroSandbox
from tests.sandbox.conftest import XERO_PKCE
from tests.sandbox.test_xero_oauth import DEMO_NZ, TENANT_OF, Flow


def echo(request: Request) -> Response:
    return Response.json({"method": request.method, "path": request.path,
                          "query": dict(request.query), "body": request.body.decode(),
                          "header": request.header("x-probe")})


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    loopback = LoopbackServer(echo)
    loopback.start()
    yield loopback
    loopback.stop()


def test_request_values_reach_the_app(server: LoopbackServer, http: httpx.Client) -> None:
    answer = http.post(server.base_url + "/a/b?x=1&x=2&y=", content=b"hello",
                       headers={"X-Probe": "yes"})
    assert answer.json() == {"method": "POST", "path": "/a/b",
                             "query": {"x": ["1", "2"], "y": [""]}, "body": "hello",
                             "header": "yes"}


def test_chunked_request_body_is_read(server: LoopbackServer, http: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"first,"
        yield b"second"

    answer = http.put(server.base_url + "/upload", content=chunks())
    assert answer.json()["body"] == "first,second"


def test_oversized_body_is_refused(server: LoopbackServer, http: httpx.Client,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_module, "MAX_BODY", 10)
    answer = http.post(server.base_url + "/big", content=b"x" * 11)
    assert answer.status_code == 413
    assert "too large" in answer.text

    def chunks() -> Iterator[bytes]:
        yield b"x" * 6
        yield b"x" * 6

    assert http.post(server.base_url + "/big", content=chunks()).status_code == 413
    assert http.post(server.base_url + "/small", content=b"x" * 10).status_code == 200


def test_malformed_chunked_body_is_400(server: LoopbackServer) -> None:
    port = int(server.base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"zz\r\n")
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 400")


def test_head_has_no_body(server: LoopbackServer, http: httpx.Client) -> None:
    answer = http.head(server.base_url + "/x")
    assert answer.status_code == 200
    assert answer.content == b""


def test_start_twice_gives_the_same_url_and_port_in_use_is_an_error(
        server: LoopbackServer) -> None:
    assert server.start() == server.base_url
    port = int(server.base_url.rsplit(":", 1)[1])
    clash = LoopbackServer(echo, port=port)
    with pytest.raises(OSError, match="in use"):
        clash.start()
    assert not clash.running


def test_stop_closes_idle_keep_alive_connections() -> None:
    loopback = LoopbackServer(echo)
    url = loopback.start()
    with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=5) as sock:
        sock.sendall(b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
        received = b""
        while b"\r\n\r\n" not in received or not received.endswith(b"}"):
            received += sock.recv(65536)
        assert received.startswith(b"HTTP/1.1 200")
        loopback.stop()
        assert sock.recv(65536) == b""  # closed by the server, not left hanging


def test_handler_exception_becomes_a_500_not_a_dropped_connection(
        clock: FakeClock, browser: ConsentBrowser, http: httpx.Client,
        caplog: pytest.LogCaptureFixture) -> None:
    class BrokenApi:
        def handle(self, request: Request, tenant_id: str) -> Response:
            raise RuntimeError("boom")

        def seed_organisation(self, tenant_id: str, name: str) -> None:
            pass

        def to_state(self) -> dict[str, Any]:
            return {}

        def from_state(self, state: dict[str, Any]) -> None:
            pass

    with XeroSandbox(clock=clock, clients=[XERO_PKCE], api=BrokenApi()) as xero:
        tokens = Flow(xero, browser, http).connect()
        with caplog.at_level(logging.ERROR, logger="bookkeeper_desktop.sandbox.server"):
            answer = http.get(xero.base_url + "/api.xro/2.0/Organisation", headers={
                "Authorization": f"Bearer {tokens['access_token']}",
                "xero-tenant-id": TENANT_OF[DEMO_NZ]})
        assert answer.status_code == 500
        assert answer.json() == {"error": "sandbox_error",
                                 "error_description": "RuntimeError: boom"}
        assert "failed" in caplog.text
        # The concurrency slot was given back.
        assert xero.limiter.snapshot()["in_flight"] == {}

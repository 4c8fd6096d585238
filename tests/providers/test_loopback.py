"""The loopback redirect listener on its own: 127.0.0.1 only, one matching request, error pages
that do not complete the flow, deny, timeout, cancel, port in use."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest

from bookkeeper_desktop.core.errors import (
    AuthError,
    AuthorizationDenied,
    Cancelled,
    ConfigurationError,
)
from bookkeeper_desktop.providers.loopback import (
    AuthorizationTimedOut,
    CallbackListener,
    CallbackResult,
)


def listener(state: str | None = "s-1", timeout: float = 10.0) -> CallbackListener:
    return CallbackListener(port=0, path="/callback", state=state, timeout=timeout).start()


def url(server: CallbackListener, query: str, path: str = "/callback") -> str:
    return f"http://127.0.0.1:{server.port}{path}?{query}"


def test_binds_loopback_only() -> None:
    server = listener()
    try:
        assert server._server is not None
        assert server._server.server_address[0] == "127.0.0.1"
        other = _non_loopback_address()
        if other is None:
            return
        with socket.socket() as probe:
            probe.settimeout(1)
            with pytest.raises(ConnectionRefusedError):
                probe.connect((other, server.port))
    finally:
        server.close()


def _non_loopback_address() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))  # no packet is sent for UDP connect
            address = str(s.getsockname()[0])
    except OSError:
        return None
    return None if address.startswith("127.") else address


def test_one_matching_request_completes_and_closes() -> None:
    server = listener()
    port = server.port
    answer = httpx.get(url(server, "code=abc&state=s-1&realmId=123"))
    assert answer.status_code == 200
    assert "You can close this window and return to Bookkeeper Desktop" in answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    result = server.wait()
    assert result == CallbackResult(code="abc", state="s-1", realm_id="123",
                                    params={"code": "abc", "state": "s-1", "realmId": "123"})
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/callback?code=again&state=s-1", timeout=2)


def test_other_paths_and_wrong_state_get_error_pages_and_do_not_complete() -> None:
    server = listener()
    try:
        favicon = httpx.get(url(server, "", "/favicon.ico"))
        assert favicon.status_code == 404
        wrong = httpx.get(url(server, "code=evil&state=other"))
        assert wrong.status_code == 400
        assert "does not match" in wrong.text
        no_state = httpx.get(url(server, "code=evil"))
        assert no_state.status_code == 400
        post = httpx.post(url(server, "code=evil&state=s-1"))
        assert post.status_code == 405
        assert not server._done.is_set()
        assert server.rejected == ["path /favicon.ico", "state mismatch", "state mismatch"]
        good = httpx.get(url(server, "code=real&state=s-1"))
        assert good.status_code == 200
        assert server.wait().code == "real"
    finally:
        server.close()


def test_until_the_state_is_set_everything_is_refused() -> None:
    server = listener(state=None)
    try:
        assert httpx.get(url(server, "code=c&state=")).status_code == 400
        server.state = "later"
        assert httpx.get(url(server, "code=c&state=later")).status_code == 200
        assert server.wait().code == "c"
    finally:
        server.close()


def test_denied() -> None:
    server = listener()
    answer = httpx.get(url(server, "error=access_denied&state=s-1"))
    assert answer.status_code == 200
    assert "return to Bookkeeper Desktop" in answer.text
    with pytest.raises(AuthorizationDenied):
        server.wait()


def test_denied_with_wrong_state_does_not_end_the_flow() -> None:
    server = listener(timeout=0.3)
    assert httpx.get(url(server, "error=access_denied&state=x")).status_code == 400
    with pytest.raises(AuthorizationTimedOut):
        server.wait()


def test_other_provider_errors() -> None:
    server = listener()
    httpx.get(url(server, "error=invalid_scope&error_description=Invalid+scope&state=s-1"))
    with pytest.raises(AuthError, match=r"invalid_scope.*Invalid scope") as caught:
        server.wait()
    assert not isinstance(caught.value, AuthorizationDenied)


def test_missing_code_does_not_complete() -> None:
    server = listener(timeout=0.3)
    assert httpx.get(url(server, "state=s-1")).status_code == 400
    with pytest.raises(AuthorizationTimedOut):
        server.wait()


def test_timeout_frees_the_port() -> None:
    server = listener(timeout=0.2)
    port = server.port
    started = time.monotonic()
    with pytest.raises(AuthorizationTimedOut, match=r"0\.2 seconds"):
        server.wait()
    assert time.monotonic() - started < 3
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


def test_default_timeout_is_five_minutes() -> None:
    assert CallbackListener(port=0, path="/callback", state="s").timeout == 300
    from bookkeeper_desktop.providers.loopback import _duration

    assert _duration(300) == "5 minutes"


def test_cancel_from_another_thread() -> None:
    server = listener(timeout=30)
    threading.Timer(0.1, server.cancel).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        server.wait()
    assert time.monotonic() - started < 3


def test_a_cancel_before_anyone_waits_frees_the_port() -> None:
    """A Connect cancelled before its wait job ran never calls `wait()` or `close()`: the
    listener still lets go of its port (it once stayed open until garbage-collected)."""
    server = listener(timeout=30)
    port = server.port
    server.cancel()
    deadline = time.monotonic() + 5
    while True:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
                break
            except OSError:
                assert time.monotonic() < deadline, "the cancelled listener kept its port"
        time.sleep(0.02)
    server.close()  # still safe afterwards


def test_port_in_use() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigurationError) as caught:
            CallbackListener(port=port, path="/callback", state="s").start()
    assert f"Port {port}" in caught.value.message
    assert "already in use" in caught.value.message
    assert caught.value.hint
    assert "Redirect port" in caught.value.hint


def test_the_same_port_can_be_used_again_right_after_a_flow() -> None:
    first = listener()
    port = first.port
    httpx.get(url(first, "code=a&state=s-1"))
    first.wait()
    second = CallbackListener(port=port, path="/callback", state="s-2").start()
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/callback?code=b&state=s-2").status_code == 200
        assert second.wait().code == "b"
    finally:
        second.close()


def test_localhost_reaches_the_listener() -> None:
    """The registered redirect URI says localhost; the browser must find our 127.0.0.1."""
    server = listener()
    answer = httpx.get(f"http://localhost:{server.port}/callback?code=l&state=s-1")
    assert answer.status_code == 200
    assert server.wait().code == "l"


def test_an_idle_preconnected_socket_does_not_block_the_redirect() -> None:
    """Browsers open speculative connections that send nothing; the redirect must still land."""
    server = listener()
    try:
        with socket.create_connection(("127.0.0.1", server.port)):
            started = time.monotonic()
            answer = httpx.get(url(server, "code=p&state=s-1"), timeout=5)
            assert answer.status_code == 200
            assert time.monotonic() - started < 3
        assert server.wait().code == "p"
    finally:
        server.close()

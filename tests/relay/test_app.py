"""The relay's routes, served by uvicorn on loopback and forwarding to a real QBO sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bookkeeper_desktop.core.errors import NetworkError, ReconnectNeeded
from bookkeeper_desktop.providers.config import load_config
from bookkeeper_desktop.providers.oauth import OAuthClient
from bookkeeper_desktop.providers.publisher import PUBLISHER_FILE_ENV
from bookkeeper_desktop.sandbox.qbo_server import DEMO_QBO_CLIENT, QboSandbox
from bookkeeper_desktop.settings import Settings
from bookkeeper_relay.app import MAX_BODY
from bookkeeper_relay.ratelimit import AddressLimiter
from bookkeeper_relay.settings import RelaySettings

from .conftest import relay_settings, running_relay

CLIENT_ID = DEMO_QBO_CLIENT.client_id
STATE = "48123.AbCdEfGhIjKlMnOpQrStUvWxYz012345"


def refresh(client: httpx.Client, refresh_token: str = "AB11x",
            client_id: str = CLIENT_ID) -> httpx.Response:
    """A refresh call as the desktop app sends it to the relay (public client: no secret)."""
    return client.post("/qbo/token", data={"grant_type": "refresh_token",
                                           "refresh_token": refresh_token,
                                           "client_id": client_id})


def refresh_through(settings: RelaySettings) -> httpx.Response:
    """One refresh call through a relay started with `settings`."""
    with running_relay(settings) as url, httpx.Client(base_url=url) as client:
        return refresh(client)


@pytest.fixture
def relay(qbo_sandbox: QboSandbox) -> Iterator[httpx.Client]:
    with running_relay(relay_settings(qbo_sandbox)) as url, \
            httpx.Client(base_url=url, follow_redirects=False, timeout=10) as client:
        yield client


def test_health_check_answers_ok(relay: httpx.Client) -> None:
    answer = relay.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/", 404), ("GET", "/qbo/token", 405), ("GET", "/admin", 404),
    ("POST", "/qbo/callback", 405), ("GET", "/oauth2/v1/tokens/bearer", 404),
])
def test_every_other_path_or_method_is_refused(relay: httpx.Client, method: str, path: str,
                                               status: int) -> None:
    assert relay.request(method, path).status_code == status


def test_callback_forwards_the_query_unchanged_to_the_listener_port_in_state(
        relay: httpx.Client) -> None:
    answer = relay.get("/qbo/callback", params={"code": "AB-code", "state": STATE,
                                                "realmId": "9341453050071366"})
    assert answer.status_code == 303
    target = urlsplit(answer.headers["location"])
    assert (target.scheme, target.hostname, target.port, target.path) == (
        "http", "127.0.0.1", 48123, "/callback")
    assert parse_qs(target.query) == {"code": ["AB-code"], "state": [STATE],
                                      "realmId": ["9341453050071366"]}
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["referrer-policy"] == "no-referrer"


def test_callback_forwards_a_denial_too(relay: httpx.Client) -> None:
    answer = relay.get("/qbo/callback", params={"error": "access_denied", "state": STATE})
    assert answer.status_code == 303
    assert "error=access_denied" in answer.headers["location"]


@pytest.mark.parametrize("state", ["", "no-port-here", "80.AbCdEfGhIjKlMnOpQr",
                                   "99999.AbCdEfGhIjKlMnOpQr", "8765.short",
                                   "8765.AbCdEfGhIjKlMnOpQr@evil.example"])
def test_callback_without_a_usable_port_in_state_is_a_page_not_a_redirect(
        relay: httpx.Client, state: str) -> None:
    answer = relay.get("/qbo/callback", params={"code": "c", "state": state})
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert "cannot be forwarded" in answer.text


def test_token_for_another_client_id_is_refused_without_reaching_intuit(
        relay: httpx.Client, qbo_sandbox: QboSandbox) -> None:
    answer = refresh(relay, client_id="someone")
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert qbo_sandbox.token_grant_counts() == {}


def test_only_the_two_grants_are_relayed(relay: httpx.Client, qbo_sandbox: QboSandbox) -> None:
    answer = relay.post("/qbo/token", data={"grant_type": "client_credentials",
                                            "client_id": CLIENT_ID})
    assert answer.status_code == 400
    assert answer.json()["error"] == "unsupported_grant_type"
    assert qbo_sandbox.token_grant_counts() == {}


def test_token_call_reaches_intuit_authenticated_and_its_answer_comes_back(
        relay: httpx.Client, qbo_sandbox: QboSandbox) -> None:
    # An unknown refresh token: the sandbox checks the client's Basic credentials first, so
    # `invalid_grant` (not `invalid_client`) proves the relay added the publisher's secret.
    answer = refresh(relay, "AB11unknown")
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    assert answer.headers["cache-control"] == "no-store"
    assert qbo_sandbox.token_grant_counts() == {"refresh_token": 1}


def test_a_wrong_secret_on_the_relay_shows_as_intuits_invalid_client(
        qbo_sandbox: QboSandbox) -> None:
    answer = refresh_through(relay_settings(qbo_sandbox, client_secret="not-the-secret"))
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


def test_revoke_needs_json_with_the_publishers_client_id(relay: httpx.Client) -> None:
    assert relay.post("/qbo/revoke", content=b"token=x").status_code == 400
    refused = relay.post("/qbo/revoke", json={"token": "AB11x", "client_id": "other"})
    assert refused.status_code == 401
    # An unknown token: Intuit (the sandbox) answers 200, as RFC 7009 §2.2 says.
    assert relay.post("/qbo/revoke", json={"token": "AB11x",
                                           "client_id": CLIENT_ID}).status_code == 200


def test_intuit_unreachable_is_a_502_temporarily_unavailable(qbo_sandbox: QboSandbox) -> None:
    answer = refresh_through(relay_settings(
        qbo_sandbox, token_url="http://127.0.0.1:9/oauth2/v1/tokens/bearer"))
    assert answer.status_code == 502
    assert answer.json()["error"] == "temporarily_unavailable"


def test_an_oversized_body_is_refused(relay: httpx.Client, qbo_sandbox: QboSandbox) -> None:
    answer = relay.post("/qbo/token", content=b"a" * (MAX_BODY + 1),
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 413
    assert qbo_sandbox.token_grant_counts() == {}


def test_requests_are_limited_per_client_address_but_not_health_checks(
        qbo_sandbox: QboSandbox) -> None:
    # Behind the publisher's TLS proxy (here: 127.0.0.1, the trusted one) the address is the one
    # the proxy forwards.
    with running_relay(relay_settings(qbo_sandbox), limiter=AddressLimiter(3)) as url, \
            httpx.Client(base_url=url, headers={"X-Forwarded-For": "203.0.113.5"}) as first, \
            httpx.Client(base_url=url, headers={"X-Forwarded-For": "203.0.113.6"}) as second:
        answers = [first.get("/qbo/callback", params={"state": STATE}).status_code
                   for _ in range(4)]
        assert answers == [303, 303, 303, 429]
        limited = first.get("/qbo/callback", params={"state": STATE})
        assert int(limited.headers["retry-after"]) >= 1
        assert first.get("/healthz").status_code == 200
        assert second.get("/qbo/callback", params={"state": STATE}).status_code == 303


def test_the_limit_refills_with_time() -> None:
    now = [0.0]
    limiter = AddressLimiter(60, clock=lambda: now[0])
    assert all(limiter.admit("a") == 0 for _ in range(60))
    assert limiter.admit("a") == pytest.approx(1.0)
    now[0] += 1.0
    assert limiter.admit("a") == 0
    assert limiter.admit("a") > 0


def test_the_app_reads_the_relays_refusals_as_what_to_do(
        qbo_sandbox: QboSandbox, tmp_path: Path) -> None:
    """Through the desktop app's own OAuth client: a busy relay (429) and an unreachable Intuit
    (502) are "try again in a minute", not a reconnect."""
    with running_relay(relay_settings(qbo_sandbox), limiter=AddressLimiter(1)) as url:
        publisher = tmp_path / "publisher.toml"
        publisher.write_text(f'name = "P"\n[qbo]\nclient_id = "{CLIENT_ID}"\n'
                             f'relay_url = "{url}"\n', encoding="utf-8")
        config = load_config("qbo", Settings(), env={PUBLISHER_FILE_ENV: str(publisher)})
        client = OAuthClient(config)
        with pytest.raises(ReconnectNeeded):
            client.refresh("AB11unknown")  # Intuit's invalid_grant, passed on
        with pytest.raises(NetworkError, match="busy") as busy:
            client.refresh("AB11unknown")
        assert not isinstance(busy.value, ReconnectNeeded)
    down = relay_settings(qbo_sandbox, token_url="http://127.0.0.1:9/oauth2/v1/tokens/bearer")
    with running_relay(down) as url:
        publisher.write_text(f'name = "P"\n[qbo]\nclient_id = "{CLIENT_ID}"\n'
                             f'relay_url = "{url}"\n', encoding="utf-8")
        config = load_config("qbo", Settings(), env={PUBLISHER_FILE_ENV: str(publisher)})
        with pytest.raises(NetworkError, match="could not complete the sign-in"):
            OAuthClient(config).refresh("AB11x")

"""The test-only state endpoint and the request counters, including many clients racing one
refresh token."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from bookkeeper_desktop.sandbox.apis import FallbackQboApi
from bookkeeper_desktop.sandbox.browser import ConsentBrowser
from bookkeeper_desktop.sandbox.clock import FakeClock
from bookkeeper_desktop.sandbox.oauth import fingerprint
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.sandbox.xero_server import XeroSandbox
from tests.sandbox.conftest import QBO_CLIENT
from tests.sandbox.test_qbo_oauth import REALM, connect, refresh
from tests.sandbox.test_xero_oauth import DEMO_NZ, Flow
from tests.sandbox.test_xero_oauth import refresh as xero_refresh


def test_qbo_state_shows_grants_tokens_api_and_counts(
        qbo: QboSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    tokens = connect(qbo, browser, http)
    refresh(qbo, http, tokens["refresh_token"])
    state = http.get(qbo.base_url + "/__sandbox__/state").json()
    assert state["vendor"] == "qbo"
    [grant] = state["oauth"]["grants"].values()
    assert grant["subject"] == {"realm_id": REALM}
    assert grant["revoked_at"] is None
    old = state["oauth"]["refresh_tokens"][fingerprint(tokens["refresh_token"])]
    assert old["successor"] in state["oauth"]["refresh_tokens"]
    assert old["rotated_at"] is not None
    assert state["api"] == {"companies": {REALM: "Maple Street Bakery"}}
    assert state["companies"] == {REALM: "Maple Street Bakery"}
    assert state["requests"]["by_path"]["/oauth2/v1/tokens/bearer"] == 2
    assert state["requests"]["token_grants"] == {"authorization_code": 1, "refresh_token": 1}
    assert state["limits"]["enabled"] is True
    assert [c["client_id"] for c in state["clients"]] == ["qbo-test-client"]
    assert tokens["refresh_token"] not in str(state)
    assert tokens["access_token"] not in str(state)


def test_xero_state_shows_connections(xero: XeroSandbox, browser: ConsentBrowser,
                                      http: httpx.Client) -> None:
    Flow(xero, browser, http).connect([DEMO_NZ])
    state = http.get(xero.base_url + "/__sandbox__/state").json()
    [connection] = state["connections"].values()
    assert connection["tenant_name"] == DEMO_NZ
    assert len(state["organisations"]) == 3


def test_twenty_clients_racing_one_refresh_token_only_one_wins(
        qbo: QboSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    tokens = connect(qbo, browser, http)
    start = threading.Barrier(20)

    def attempt(_: int) -> int:
        start.wait()
        return refresh(qbo, http, tokens["refresh_token"]).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(attempt, range(20)))
    assert sorted(statuses) == [200] + [400] * 19
    counts = http.get(qbo.base_url + "/__sandbox__/state").json()["requests"]["token_grants"]
    assert counts["refresh_token"] == 20


def test_xero_racing_refreshes_within_grace_all_succeed_but_one_chain_survives(
        xero: XeroSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    tokens = Flow(xero, browser, http).connect()
    results = [xero_refresh(xero, http, tokens["refresh_token"]) for _ in range(3)]
    assert [r.status_code for r in results] == [200, 200, 200]
    successors = [r.json()["refresh_token"] for r in results]
    assert [xero_refresh(xero, http, t).status_code for t in successors[:2]] == [400, 400]
    assert xero_refresh(xero, http, successors[2]).status_code == 200


def test_on_change_says_which_changes_are_urgent(clock: FakeClock, browser: ConsentBrowser,
                                                 http: httpx.Client) -> None:
    calls: list[bool] = []
    with QboSandbox(clock=clock, clients=[QBO_CLIENT], api=FallbackQboApi(),
                    companies={REALM: "Maple Street Bakery"}, on_change=calls.append) as qbo:
        tokens = connect(qbo, browser, http)
        assert calls == [True, True]  # consent decision, token exchange
        calls.clear()
        http.get(f"{qbo.base_url}/v3/company/{REALM}/companyinfo/{REALM}",
                 headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert calls == []
        http.post(f"{qbo.base_url}/v3/company/{REALM}/journalentry", json={},
                  headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert calls == [False]
        refresh(qbo, http, tokens["refresh_token"])
        assert calls == [False, True]


def test_counts_can_be_zeroed(qbo: QboSandbox, http: httpx.Client) -> None:
    http.get(qbo.base_url + "/.well-known/openid_configuration")
    assert qbo.request_counts() == {"/.well-known/openid_configuration": 1}
    assert http.delete(qbo.base_url + "/__sandbox__/counts").status_code == 204
    assert qbo.request_counts() == {}


def test_unknown_test_endpoint_is_404(qbo: QboSandbox, http: httpx.Client) -> None:
    assert http.get(qbo.base_url + "/__sandbox__/secrets").status_code == 404


def test_server_binds_loopback_only(qbo: QboSandbox) -> None:
    assert qbo.base_url.startswith("http://127.0.0.1:")


def test_state_round_trip_restores_tokens(
        qbo: QboSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    tokens = connect(qbo, browser, http)
    saved = qbo.to_state()
    with QboSandbox(clock=qbo.clock, clients=qbo.oauth.clients.values(),
                    api=type(qbo.api)()) as again:
        again.load_state(saved)
        assert refresh(again, http, tokens["refresh_token"]).status_code == 200
        assert again.companies == qbo.companies

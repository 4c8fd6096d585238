"""Fault injection over real sockets: latency, 5xx, 429, dropped connections before and after the
server commits, tokens expired early, grants revoked — through the Python API and the JSON
endpoint."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from bookkeeper_desktop.sandbox.browser import ConsentBrowser
from bookkeeper_desktop.sandbox.faults import Fault
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.sandbox.xero_server import XeroSandbox
from tests.sandbox.test_qbo_oauth import REALM, company_info, connect, refresh
from tests.sandbox.test_xero_oauth import DEMO_NZ, TENANT_OF, Flow, organisation
from tests.sandbox.test_xero_oauth import refresh as xero_refresh

TOKEN_PATH = "tokens/bearer"


@pytest.fixture
def tokens(qbo: QboSandbox, browser: ConsentBrowser, http: httpx.Client) -> dict[str, Any]:
    return connect(qbo, browser, http)


def test_latency_delays_the_matching_requests_only(
        qbo: QboSandbox, http: httpx.Client, tokens: dict[str, Any]) -> None:
    qbo.inject_latency(0.3, path="companyinfo", count=1)
    started = time.monotonic()
    assert company_info(qbo, http, tokens["access_token"]).status_code == 200
    assert time.monotonic() - started >= 0.3
    assert qbo.faults.rules() == []


def test_error_fault_answers_5xx_without_running_the_handler(
        qbo: QboSandbox, http: httpx.Client, tokens: dict[str, Any]) -> None:
    qbo.fail_next(2, status=503, path=TOKEN_PATH)
    for _ in range(2):
        answer = refresh(qbo, http, tokens["refresh_token"])
        assert answer.status_code == 503
        assert answer.json()["Fault"]["type"] == "SystemFault"
    # The refresh token was not consumed by the failed attempts.
    assert refresh(qbo, http, tokens["refresh_token"]).status_code == 200


def test_error_fault_on_one_path_leaves_others_alone(
        qbo: QboSandbox, http: httpx.Client, tokens: dict[str, Any]) -> None:
    qbo.fail_next(1, status=500, path="^/v3/company/")
    assert refresh(qbo, http, tokens["refresh_token"]).status_code == 200
    assert company_info(qbo, http, tokens["access_token"]).status_code == 500
    assert company_info(qbo, http, tokens["access_token"]).status_code == 200


def test_a_fault_on_a_query_string_leaves_the_other_requests_on_the_path_alone(
        qbo: QboSandbox, http: httpx.Client, tokens: dict[str, Any]) -> None:
    """`query` singles out requests by their query string (QBO's queries all share `/query`:
    "from Customer" picks the customer queries), added here through the JSON endpoint."""
    added = http.post(qbo.base_url + "/__sandbox__/faults", json={
        "kind": "error", "count": None, "status": 500, "path": "companyinfo",
        "query": "select=Customer"})
    assert added.status_code == 201, added.text

    def info(select: str) -> int:
        return http.get(f"{qbo.base_url}/v3/company/{REALM}/companyinfo/{REALM}",
                        params={"select": select},
                        headers={"Authorization": f"Bearer {tokens['access_token']}",
                                 "Accept": "application/json"}).status_code

    assert info("Customer") == 500
    assert info("Vendor") == 200
    assert info("Customer") == 500  # until cleared
    with pytest.raises(ValueError, match="missing"):
        Fault.from_json({"kind": "error", "query": "from (Customer"})


def test_a_request_refused_for_its_token_does_not_use_up_a_rule(
        qbo: QboSandbox, http: httpx.Client, tokens: dict[str, Any]) -> None:
    qbo.fail_next(1, status=503, path="companyinfo")
    assert company_info(qbo, http, "not-a-token").status_code == 401
    assert len(qbo.faults.rules()) == 1
    assert company_info(qbo, http, tokens["access_token"]).status_code == 503
    assert qbo.faults.rules() == []


def test_qbo_throttle_fault_is_intuits_xml(qbo: QboSandbox, http: httpx.Client,
                                           tokens: dict[str, Any]) -> None:
    qbo.throttle_next(1)
    answer = company_info(qbo, http, tokens["access_token"])
    assert answer.status_code == 429
    assert answer.headers["content-type"].startswith("application/xml")
    assert "errorCode=003001" in answer.text
    assert "ThrottleExceeded" in answer.text
    assert "retry-after" not in answer.headers
    qbo.throttle_next(1, retry_after=7)
    asked = company_info(qbo, http, tokens["access_token"])
    assert asked.status_code == 429
    assert asked.headers["retry-after"] == "7"


def test_xero_throttle_fault_has_retry_after_and_problem(
        xero: XeroSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    tokens = Flow(xero, browser, http).connect()
    xero.throttle_next(1, retry_after=42, problem="day", path="Organisation")
    answer = organisation(xero, http, tokens, TENANT_OF[DEMO_NZ])
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "42"
    assert answer.headers["x-rate-limit-problem"] == "day"
    assert answer.json()["Status"] == 429
    xero.throttle_next(1)
    default = organisation(xero, http, tokens, TENANT_OF[DEMO_NZ])
    assert default.headers["retry-after"] == "60"
    assert default.headers["x-rate-limit-problem"] == "minute"


def test_drop_before_closes_without_response_and_changes_nothing(
        qbo: QboSandbox, http: httpx.Client, tokens: dict[str, Any]) -> None:
    qbo.drop_next(1, path=TOKEN_PATH)
    with pytest.raises(httpx.RemoteProtocolError):
        refresh(qbo, http, tokens["refresh_token"])
    assert refresh(qbo, http, tokens["refresh_token"]).status_code == 200


def test_drop_after_commit_rotates_the_token_but_the_client_never_hears(
        qbo: QboSandbox, http: httpx.Client, tokens: dict[str, Any]) -> None:
    qbo.drop_next(1, after_commit=True, path=TOKEN_PATH)
    with pytest.raises(httpx.RemoteProtocolError):
        refresh(qbo, http, tokens["refresh_token"])
    # QBO: the rotation happened, so the old token is already stale.
    assert refresh(qbo, http, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert qbo.token_grant_counts()["refresh_token"] == 2


def test_latency_after_commits_first_then_holds_the_answer(
        qbo: QboSandbox, http: httpx.Client, tokens: dict[str, Any]) -> None:
    """The window a crash test kills in: the server acted, the client has not heard yet."""
    qbo.hold_answers(0.5, path=TOKEN_PATH, count=1)
    answers: list[httpx.Response] = []
    waiting = threading.Thread(
        target=lambda: answers.append(refresh(qbo, http, tokens["refresh_token"])))
    started = time.monotonic()
    waiting.start()
    while qbo.token_grant_counts().get("refresh_token", 0) == 0:
        assert time.monotonic() - started < 5
        time.sleep(0.01)
    assert answers == [], "committed, not yet answered"
    waiting.join(5)
    assert time.monotonic() - started >= 0.5
    assert answers[0].status_code == 200
    assert qbo.faults.rules() == []


def test_a_rule_with_a_probability_faults_about_that_share_repeatably(
        qbo: QboSandbox, http: httpx.Client, tokens: dict[str, Any]) -> None:
    def statuses() -> list[int]:
        qbo.clear_faults()
        qbo.faults.seed(7)
        qbo.add_fault(Fault("error", count=None, path="companyinfo", probability=0.25))
        return [company_info(qbo, http, tokens["access_token"]).status_code
                for _ in range(200)]

    first = statuses()
    assert set(first) == {200, 503}
    assert 25 <= first.count(503) <= 75
    assert statuses() == first, "the same seed, the same faults"


def test_xero_grace_period_rescues_a_refresh_whose_response_was_lost(
        xero: XeroSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    tokens = Flow(xero, browser, http).connect()
    xero.drop_next(1, after_commit=True, path="/connect/token")
    with pytest.raises(httpx.RemoteProtocolError):
        xero_refresh(xero, http, tokens["refresh_token"])
    retried = xero_refresh(xero, http, tokens["refresh_token"])
    assert retried.status_code == 200


def test_expire_tokens_makes_current_access_tokens_fail_but_refresh_works(
        qbo: QboSandbox, http: httpx.Client, tokens: dict[str, Any]) -> None:
    answer = http.post(qbo.base_url + "/__sandbox__/faults", json={"action": "expire_tokens"})
    assert answer.status_code == 201
    assert answer.json() == [{"action": "expire_tokens", "count": 1}]
    assert company_info(qbo, http, tokens["access_token"]).status_code == 401
    renewed = refresh(qbo, http, tokens["refresh_token"]).json()
    assert company_info(qbo, http, renewed["access_token"]).status_code == 200


def test_revoke_grants_action_makes_refresh_fail(
        xero: XeroSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    tokens = Flow(xero, browser, http).connect()
    http.post(xero.base_url + "/__sandbox__/faults", json={"action": "revoke_grants"})
    assert xero_refresh(xero, http, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert xero.connections == {}


def test_faults_endpoint_adds_lists_and_clears(
        qbo: QboSandbox, http: httpx.Client, tokens: dict[str, Any]) -> None:
    url = qbo.base_url + "/__sandbox__/faults"
    added = http.post(url, json=[{"kind": "error", "status": 502, "count": None,
                                  "path": "companyinfo"},
                                 {"kind": "latency", "seconds": 0.01}])
    assert added.status_code == 201
    assert [f["kind"] for f in http.get(url).json()] == ["error", "latency"]
    for _ in range(3):
        assert company_info(qbo, http, tokens["access_token"]).status_code == 502
    assert http.delete(url).status_code == 204
    assert http.get(url).json() == []
    assert company_info(qbo, http, tokens["access_token"]).status_code == 200


@pytest.mark.parametrize("bad", [
    {"kind": "explode"}, {"kind": "error", "status": 404}, {"kind": "error", "count": 0},
    {"kind": "latency", "seconds": -1}, {"kind": "error", "path": "("}, {"kind": "error",
                                                                        "colour": "red"},
    {"kind": "error", "probability": 0}, {"kind": "error", "probability": 1.5},
    {"action": "reboot"}, "error",
])
def test_faults_endpoint_refuses_bad_rules(qbo: QboSandbox, http: httpx.Client,
                                           bad: Any) -> None:
    answer = http.post(qbo.base_url + "/__sandbox__/faults", json=bad)
    assert answer.status_code == 400
    assert answer.json()["error"]
    assert qbo.faults.rules() == []


def test_method_filter(qbo: QboSandbox, http: httpx.Client, tokens: dict[str, Any]) -> None:
    qbo.add_fault(Fault("error", status=500, method="POST", path=f"/v3/company/{REALM}/"))
    assert company_info(qbo, http, tokens["access_token"]).status_code == 200
    assert len(qbo.faults.rules()) == 1


def test_test_endpoints_are_not_counted_or_faulted(qbo: QboSandbox, http: httpx.Client) -> None:
    qbo.fail_next(1, status=500)
    assert http.get(qbo.base_url + "/__sandbox__/state").status_code == 200
    assert qbo.request_counts() == {}
    assert len(qbo.faults.rules()) == 1

"""The QBO sandbox's OAuth side over real HTTP: consent, code, tokens, rotation, revoke."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bookkeeper_desktop.sandbox.browser import ConsentBrowser, ConsentForm
from bookkeeper_desktop.sandbox.clock import FakeClock
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from tests.sandbox.conftest import (
    QBO_CLIENT,
    QBO_SCOPE,
    REDIRECT,
    authorize_url,
    pkce_pair,
    query_of,
)

REALM = "4620816365"
AUTH = (QBO_CLIENT.client_id, QBO_CLIENT.client_secret or "")


def consent(qbo: QboSandbox, browser: ConsentBrowser, decision: str = "allow",
            challenge: str | None = None) -> dict[str, str]:
    url = authorize_url(qbo.base_url, "/connect/oauth2", QBO_CLIENT.client_id, QBO_SCOPE,
                        challenge=challenge)
    return query_of(browser.consent(url, decision))


def exchange(qbo: QboSandbox, http: httpx.Client, code: str, *, auth: tuple[str, str] = AUTH,
             redirect_uri: str = REDIRECT, verifier: str | None = None) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier is not None:
        data["code_verifier"] = verifier
    return http.post(qbo.base_url + "/oauth2/v1/tokens/bearer", data=data, auth=auth,
                     headers={"Accept": "application/json"})


def refresh(qbo: QboSandbox, http: httpx.Client, token: str) -> httpx.Response:
    return http.post(qbo.base_url + "/oauth2/v1/tokens/bearer", auth=AUTH,
                     data={"grant_type": "refresh_token", "refresh_token": token})


def company_info(qbo: QboSandbox, http: httpx.Client, access: str,
                 realm: str = REALM) -> httpx.Response:
    return http.get(f"{qbo.base_url}/v3/company/{realm}/companyinfo/{realm}",
                    headers={"Authorization": f"Bearer {access}", "Accept": "application/json"})


def connect(qbo: QboSandbox, browser: ConsentBrowser, http: httpx.Client) -> dict[str, Any]:
    callback = consent(qbo, browser)
    answer = exchange(qbo, http, callback["code"])
    assert answer.status_code == 200, answer.text
    tokens: dict[str, Any] = answer.json()
    return tokens


def test_discovery_document_points_at_this_server(qbo: QboSandbox, http: httpx.Client) -> None:
    for path in ("/.well-known/openid_configuration", "/.well-known/openid_configuration/",
                 "/.well-known/openid_sandbox_configuration/"):
        doc = http.get(qbo.base_url + path).json()
        assert doc["authorization_endpoint"] == qbo.base_url + "/connect/oauth2"
        assert doc["token_endpoint"] == qbo.base_url + "/oauth2/v1/tokens/bearer"
        assert doc["revocation_endpoint"] == qbo.base_url + "/v2/oauth2/tokens/revoke"
        assert doc["userinfo_endpoint"].startswith(qbo.base_url)
        assert doc["issuer"].startswith(qbo.base_url)


def test_consent_page_is_a_form_with_allow_and_deny(qbo: QboSandbox,
                                                     browser: ConsentBrowser) -> None:
    page = browser.open(authorize_url(qbo.base_url, "/connect/oauth2", QBO_CLIENT.client_id,
                                      QBO_SCOPE))
    assert isinstance(page, ConsentForm)
    assert page.method == "POST"
    assert ("decision", "allow") in page.buttons
    assert ("decision", "deny") in page.buttons
    assert [c.label for c in page.choices] == ["Maple Street Bakery"]
    assert "Demo sandbox — no real data" in page.text


def test_allow_redirects_with_code_state_and_realm(qbo: QboSandbox,
                                                   browser: ConsentBrowser) -> None:
    callback = consent(qbo, browser)
    assert callback["state"] == "st-1"
    assert callback["realmId"] == REALM
    assert len(callback["code"]) > 20


def test_deny_redirects_with_access_denied_and_state(qbo: QboSandbox,
                                                     browser: ConsentBrowser) -> None:
    assert consent(qbo, browser, "deny") == {"error": "access_denied", "state": "st-1"}


def test_full_flow_token_refresh_rotation_and_revoke(
        qbo: QboSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    tokens = connect(qbo, browser, http)
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["x_refresh_token_expires_in"] == 100 * 86_400
    info = company_info(qbo, http, tokens["access_token"])
    assert info.status_code == 200
    assert info.json()["CompanyInfo"]["CompanyName"] == "Maple Street Bakery"
    assert info.headers["intuit_tid"]

    first = tokens["refresh_token"]
    rotated = refresh(qbo, http, first)
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()["refresh_token"]
    assert second != first
    assert company_info(qbo, http, rotated.json()["access_token"]).status_code == 200

    reused = refresh(qbo, http, first)
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"

    assert refresh(qbo, http, second).status_code == 200
    assert refresh(qbo, http, second).json()["error"] == "invalid_grant"
    assert qbo.token_grant_counts() == {"authorization_code": 1, "refresh_token": 4}


def test_revoke_kills_refresh_and_access_tokens(
        qbo: QboSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    tokens = connect(qbo, browser, http)
    answer = http.post(qbo.base_url + "/v2/oauth2/tokens/revoke", auth=AUTH,
                       json={"token": tokens["refresh_token"]})
    assert answer.status_code == 200
    assert refresh(qbo, http, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert company_info(qbo, http, tokens["access_token"]).status_code == 401


def test_revoke_needs_client_authentication(
        qbo: QboSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    tokens = connect(qbo, browser, http)
    answer = http.post(qbo.base_url + "/v2/oauth2/tokens/revoke", auth=(AUTH[0], "wrong"),
                       json={"token": tokens["refresh_token"]})
    assert answer.status_code == 401
    assert refresh(qbo, http, tokens["refresh_token"]).status_code == 200


def test_wrong_client_secret_is_invalid_client(
        qbo: QboSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    callback = consent(qbo, browser)
    answer = exchange(qbo, http, callback["code"], auth=(AUTH[0], "not-the-secret"))
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


def test_secret_in_form_body_is_not_accepted(
        qbo: QboSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    callback = consent(qbo, browser)
    answer = http.post(qbo.base_url + "/oauth2/v1/tokens/bearer", data={
        "grant_type": "authorization_code", "code": callback["code"], "redirect_uri": REDIRECT,
        "client_id": AUTH[0], "client_secret": AUTH[1]})
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


def test_unregistered_redirect_uri_gets_an_error_page_not_a_redirect(
        qbo: QboSandbox, http: httpx.Client) -> None:
    for uri in ("http://localhost:9999/callback", "http://127.0.0.1:8765/callback",
                REDIRECT + "/extra"):
        answer = http.get(authorize_url(qbo.base_url, "/connect/oauth2", QBO_CLIENT.client_id,
                                        QBO_SCOPE, redirect_uri=uri))
        assert answer.status_code == 400
        assert "location" not in answer.headers
        assert "redirect_uri" in answer.text


def test_unknown_client_gets_an_error_page(qbo: QboSandbox, http: httpx.Client) -> None:
    answer = http.get(authorize_url(qbo.base_url, "/connect/oauth2", "nobody", QBO_SCOPE))
    assert answer.status_code == 400
    assert "location" not in answer.headers


def test_token_request_with_other_redirect_uri_is_invalid_grant(
        qbo: QboSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    callback = consent(qbo, browser)
    answer = exchange(qbo, http, callback["code"], redirect_uri="http://localhost:8765/other")
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_bad_scope_and_missing_state_redirect_with_errors(
        qbo: QboSandbox, http: httpx.Client) -> None:
    bad_scope = http.get(authorize_url(qbo.base_url, "/connect/oauth2", QBO_CLIENT.client_id,
                                       "com.intuit.quickbooks.everything"))
    assert bad_scope.status_code == 302
    assert query_of(bad_scope.headers["location"]) == {"error": "invalid_scope", "state": "st-1"}
    no_state = http.get(authorize_url(qbo.base_url, "/connect/oauth2", QBO_CLIENT.client_id,
                                      QBO_SCOPE, state=""))
    assert query_of(no_state.headers["location"]) == {"error": "invalid_request"}


def test_code_is_single_use_and_reuse_revokes_its_tokens(
        qbo: QboSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    callback = consent(qbo, browser)
    tokens = exchange(qbo, http, callback["code"]).json()
    again = exchange(qbo, http, callback["code"])
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert company_info(qbo, http, tokens["access_token"]).status_code == 401
    assert refresh(qbo, http, tokens["refresh_token"]).status_code == 400


def test_code_expires_after_five_minutes(qbo: QboSandbox, clock: FakeClock,
                                         browser: ConsentBrowser, http: httpx.Client) -> None:
    callback = consent(qbo, browser)
    clock.advance(301)
    assert exchange(qbo, http, callback["code"]).json()["error"] == "invalid_grant"


def test_pkce_verifier_is_checked_when_a_challenge_was_sent(
        qbo: QboSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    verifier, challenge = pkce_pair()
    missing = exchange(qbo, http, consent(qbo, browser, challenge=challenge)["code"])
    assert missing.json()["error"] == "invalid_grant"
    other_verifier, _ = pkce_pair()
    wrong = exchange(qbo, http, consent(qbo, browser, challenge=challenge)["code"],
                     verifier=other_verifier)
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    right = exchange(qbo, http, consent(qbo, browser, challenge=challenge)["code"],
                     verifier=verifier)
    assert right.status_code == 200


def test_access_token_expires_after_an_hour_with_intuits_fault(
        qbo: QboSandbox, clock: FakeClock, browser: ConsentBrowser, http: httpx.Client) -> None:
    tokens = connect(qbo, browser, http)
    clock.advance(3599)
    assert company_info(qbo, http, tokens["access_token"]).status_code == 200
    clock.advance(1)
    answer = company_info(qbo, http, tokens["access_token"])
    assert answer.status_code == 401
    body = answer.json()
    assert body["Fault"]["type"] == "AUTHENTICATION"
    assert body["Fault"]["Error"] == [{
        "Message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
        "code": "3200"}]
    assert "time" in body


def test_missing_or_unknown_bearer_is_401(qbo: QboSandbox, http: httpx.Client) -> None:
    url = f"{qbo.base_url}/v3/company/{REALM}/companyinfo/{REALM}"
    assert http.get(url).status_code == 401
    assert http.get(url, headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_token_of_one_realm_cannot_read_another(
        qbo: QboSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    qbo.add_company("193514", "Other Company")
    url = authorize_url(qbo.base_url, "/connect/oauth2", QBO_CLIENT.client_id, QBO_SCOPE)
    callback = query_of(browser.consent(url, choose=["Other Company"]))
    assert callback["realmId"] == "193514"
    tokens = exchange(qbo, http, callback["code"]).json()
    assert company_info(qbo, http, tokens["access_token"], "193514").status_code == 200
    denied = company_info(qbo, http, tokens["access_token"], REALM)
    assert denied.status_code == 403
    assert denied.json()["Fault"]["Error"][0]["code"] == "3100"


def test_refresh_token_dies_after_100_days_unused(
        qbo: QboSandbox, clock: FakeClock, browser: ConsentBrowser, http: httpx.Client) -> None:
    tokens = connect(qbo, browser, http)
    clock.advance(99 * 86_400)
    renewed = refresh(qbo, http, tokens["refresh_token"]).json()
    clock.advance(99 * 86_400)
    assert refresh(qbo, http, renewed["refresh_token"]).status_code == 200
    clock.advance(100 * 86_400)
    assert refresh(qbo, http, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_consent_form_can_be_answered_once(qbo: QboSandbox, browser: ConsentBrowser) -> None:
    page = browser.open(authorize_url(qbo.base_url, "/connect/oauth2", QBO_CLIENT.client_id,
                                      QBO_SCOPE))
    assert isinstance(page, ConsentForm)
    assert browser.submit(page).status_code == 302
    assert browser.submit(page).status_code == 400


def test_userinfo_needs_the_openid_scope(qbo: QboSandbox, browser: ConsentBrowser,
                                         http: httpx.Client) -> None:
    tokens = connect(qbo, browser, http)
    answer = http.get(qbo.base_url + "/v1/openid_connect/userinfo",
                      headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert answer.status_code == 200
    assert answer.json()["email"]


@pytest.mark.parametrize("port", [1, 65535])
def test_demo_client_accepts_any_localhost_port(port: int) -> None:
    from bookkeeper_desktop.sandbox.qbo_server import DEMO_QBO_CLIENT

    assert DEMO_QBO_CLIENT.redirect_allowed(f"http://localhost:{port}/callback")
    assert not DEMO_QBO_CLIENT.redirect_allowed(f"http://127.0.0.1:{port}/callback")
    assert not DEMO_QBO_CLIENT.redirect_allowed("http://localhost:99999/callback")
    assert not DEMO_QBO_CLIENT.redirect_allowed(f"http://localhost:{port}/callback/x")

"""The Xero sandbox's identity side over real HTTP: consent with organisations, PKCE, rotation
with the 30-minute grace period, revocation, connections, and Accounting API auth."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from bookkeeper_desktop.sandbox.browser import ConsentBrowser, ConsentForm, ConsentPageError
from bookkeeper_desktop.sandbox.clock import FakeClock
from bookkeeper_desktop.sandbox.xero_server import DEMO_ORGANISATIONS, XeroSandbox
from tests.sandbox.conftest import (
    REDIRECT,
    XERO_CONFIDENTIAL,
    XERO_PKCE,
    XERO_SCOPE,
    authorize_url,
    pkce_pair,
    query_of,
)

DEMO_NZ = "Demo Company (NZ)"
BAKERY = "Harbourside Bakery Ltd"
TENANT_OF = {name: tenant for tenant, name in DEMO_ORGANISATIONS.items()}


class Flow:
    """One PKCE connection attempt against the sandbox."""

    def __init__(self, xero: XeroSandbox, browser: ConsentBrowser, http: httpx.Client,
                 scope: str = XERO_SCOPE) -> None:
        self.xero, self.browser, self.http = xero, browser, http
        self.verifier, self.challenge = pkce_pair()
        self.url = authorize_url(xero.base_url, "/identity/connect/authorize",
                                 XERO_PKCE.client_id, scope, challenge=self.challenge)

    def consent(self, choose: list[str] | None = None, decision: str = "allow") -> dict[str, str]:
        return query_of(self.browser.consent(self.url, decision, choose))

    def exchange(self, code: str, verifier: str | None = None) -> httpx.Response:
        return self.http.post(self.xero.base_url + "/connect/token", data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": XERO_PKCE.client_id,
            "code_verifier": verifier if verifier is not None else self.verifier})

    def connect(self, choose: list[str] | None = None) -> dict[str, Any]:
        answer = self.exchange(self.consent(choose or [DEMO_NZ])["code"])
        assert answer.status_code == 200, answer.text
        tokens: dict[str, Any] = answer.json()
        return tokens


def refresh(xero: XeroSandbox, http: httpx.Client, token: str) -> httpx.Response:
    return http.post(xero.base_url + "/connect/token", data={
        "grant_type": "refresh_token", "refresh_token": token, "client_id": XERO_PKCE.client_id})


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"}


def organisation(xero: XeroSandbox, http: httpx.Client, tokens: dict[str, Any],
                 tenant: str) -> httpx.Response:
    return http.get(xero.base_url + "/api.xro/2.0/Organisation",
                    headers={**bearer(tokens), "xero-tenant-id": tenant})


def test_consent_offers_every_organisation_as_checkboxes(
        xero: XeroSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    page = browser.open(Flow(xero, browser, http).url)
    assert isinstance(page, ConsentForm)
    assert sorted(c.label for c in page.choices) == sorted(DEMO_ORGANISATIONS.values())
    assert {c.kind for c in page.choices} == {"checkbox"}
    assert not any(c.checked for c in page.choices)


def test_pkce_flow_connections_and_organisation(
        xero: XeroSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    flow = Flow(xero, browser, http)
    callback = flow.consent([DEMO_NZ, BAKERY])
    assert callback["state"] == "st-1"
    assert "realmId" not in callback
    tokens = flow.exchange(callback["code"]).json()
    assert tokens["expires_in"] == 1800
    assert tokens["token_type"] == "Bearer"
    assert set(tokens["scope"].split()) == set(XERO_SCOPE.split())
    connections = http.get(xero.base_url + "/connections", headers=bearer(tokens)).json()
    assert sorted(c["tenantName"] for c in connections) == [DEMO_NZ, BAKERY]
    for connection in connections:
        assert connection["tenantType"] == "ORGANISATION"
        assert set(connection) == {"id", "authEventId", "tenantId", "tenantType", "tenantName",
                                   "createdDateUtc", "updatedDateUtc"}
    answer = organisation(xero, http, tokens, TENANT_OF[BAKERY])
    assert answer.status_code == 200
    assert answer.json()["Organisations"][0]["Name"] == BAKERY
    assert answer.json()["Organisations"][0]["OrganisationID"] == TENANT_OF[BAKERY]


def test_allow_without_an_organisation_shows_the_page_again(
        xero: XeroSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    page = browser.open(Flow(xero, browser, http).url)
    assert isinstance(page, ConsentForm)
    answer = browser.client.post(page.action, data={**page.hidden, "decision": "allow"})
    assert answer.status_code == 400
    assert "Choose at least one organisation" in answer.text


def test_choosing_an_organisation_not_offered_fails_in_the_browser(
        xero: XeroSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    with pytest.raises(ConsentPageError, match="not offered"):
        Flow(xero, browser, http).consent(["Someone Else Ltd"])


def test_deny_returns_access_denied(xero: XeroSandbox, browser: ConsentBrowser,
                                    http: httpx.Client) -> None:
    callback = Flow(xero, browser, http).consent(decision="deny")
    assert callback == {"error": "access_denied", "state": "st-1"}
    assert xero.connections == {}


def test_public_client_must_send_a_challenge(xero: XeroSandbox, http: httpx.Client) -> None:
    url = authorize_url(xero.base_url, "/identity/connect/authorize", XERO_PKCE.client_id,
                        XERO_SCOPE)
    answer = http.get(url)
    assert answer.status_code == 302
    assert query_of(answer.headers["location"])["error"] == "invalid_request"


def test_wrong_code_verifier_is_invalid_grant(
        xero: XeroSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    flow = Flow(xero, browser, http)
    other, _ = pkce_pair()
    answer = flow.exchange(flow.consent([DEMO_NZ])["code"], verifier=other)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_broad_scopes_are_refused_for_a_new_app(xero: XeroSandbox, http: httpx.Client) -> None:
    _, challenge = pkce_pair()
    url = authorize_url(xero.base_url, "/identity/connect/authorize", XERO_PKCE.client_id,
                        "offline_access accounting.transactions", challenge=challenge)
    answer = http.get(url)
    assert query_of(answer.headers["location"])["error"] == "invalid_scope"


def test_no_refresh_token_without_offline_access(
        xero: XeroSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    tokens = Flow(xero, browser, http, scope="openid accounting.settings").connect()
    assert "refresh_token" not in tokens
    assert "access_token" in tokens


def test_rotation_then_reuse_after_successor_was_used_is_invalid_grant(
        xero: XeroSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    first = Flow(xero, browser, http).connect()["refresh_token"]
    second = refresh(xero, http, first).json()["refresh_token"]
    assert second != first
    assert refresh(xero, http, second).status_code == 200
    reused = refresh(xero, http, first)
    assert reused.status_code == 400
    assert reused.json() == {"error": "invalid_grant",
                             "error_description": "Refresh token has already been used"}


def test_grace_period_lets_a_client_that_lost_the_response_retry(
        xero: XeroSandbox, clock: FakeClock, browser: ConsentBrowser, http: httpx.Client) -> None:
    first = Flow(xero, browser, http).connect()["refresh_token"]
    lost = refresh(xero, http, first).json()["refresh_token"]  # the client never saw this
    clock.advance(29 * 60)
    retried = refresh(xero, http, first)
    assert retried.status_code == 200
    successor = retried.json()["refresh_token"]
    assert refresh(xero, http, lost).json()["error"] == "invalid_grant"
    assert refresh(xero, http, successor).status_code == 200


def test_retries_do_not_extend_the_grace_period(
        xero: XeroSandbox, clock: FakeClock, browser: ConsentBrowser, http: httpx.Client) -> None:
    first = Flow(xero, browser, http).connect()["refresh_token"]
    refresh(xero, http, first)  # response lost
    clock.advance(20 * 60)
    assert refresh(xero, http, first).status_code == 200  # response lost again
    clock.advance(11 * 60)
    assert refresh(xero, http, first).json()["error"] == "invalid_grant"


def test_access_token_is_a_jwt_with_xeros_claims(
        xero: XeroSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    tokens = Flow(xero, browser, http).connect([DEMO_NZ])
    header, payload, signature = tokens["access_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["client_id"] == XERO_PKCE.client_id
    assert claims["exp"] - claims["nbf"] == 1800
    assert set(claims["scope"]) == set(XERO_SCOPE.split())
    [connection] = http.get(xero.base_url + "/connections", headers=bearer(tokens)).json()
    assert claims["authentication_event_id"] == connection["authEventId"]
    assert json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["typ"] == "JWT"
    assert len(signature) > 300


def test_grace_period_ends_after_30_minutes(
        xero: XeroSandbox, clock: FakeClock, browser: ConsentBrowser, http: httpx.Client) -> None:
    first = Flow(xero, browser, http).connect()["refresh_token"]
    successor = refresh(xero, http, first).json()["refresh_token"]
    clock.advance(30 * 60)
    assert refresh(xero, http, first).json()["error"] == "invalid_grant"
    assert refresh(xero, http, successor).status_code == 200


def test_unused_refresh_token_expires_after_60_days(
        xero: XeroSandbox, clock: FakeClock, browser: ConsentBrowser, http: httpx.Client) -> None:
    tokens = Flow(xero, browser, http).connect()
    clock.advance(59 * 86_400)
    renewed = refresh(xero, http, tokens["refresh_token"]).json()["refresh_token"]
    clock.advance(60 * 86_400)
    assert refresh(xero, http, renewed).json()["error"] == "invalid_grant"


def test_access_token_lives_30_minutes_then_401_token_expired(
        xero: XeroSandbox, clock: FakeClock, browser: ConsentBrowser, http: httpx.Client) -> None:
    tokens = Flow(xero, browser, http).connect()
    clock.advance(1799)
    assert organisation(xero, http, tokens, TENANT_OF[DEMO_NZ]).status_code == 200
    clock.advance(1)
    answer = organisation(xero, http, tokens, TENANT_OF[DEMO_NZ])
    assert answer.status_code == 401
    assert answer.json()["Title"] == "Unauthorized"
    assert answer.json()["Detail"].startswith("TokenExpired")


def test_tenant_not_connected_is_403(xero: XeroSandbox, browser: ConsentBrowser,
                                     http: httpx.Client) -> None:
    tokens = Flow(xero, browser, http).connect([DEMO_NZ])
    answer = organisation(xero, http, tokens, TENANT_OF[BAKERY])
    assert answer.status_code == 403
    assert answer.json()["Detail"] == "AuthenticationUnsuccessful"
    no_header = http.get(xero.base_url + "/api.xro/2.0/Organisation", headers=bearer(tokens))
    assert no_header.status_code == 403


def test_missing_scope_is_401_authorization_unsuccessful(
        xero: XeroSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    tokens = Flow(xero, browser, http, scope="offline_access accounting.settings.read").connect()
    read = organisation(xero, http, tokens, TENANT_OF[DEMO_NZ])
    assert read.status_code == 200
    journals = http.get(xero.base_url + "/api.xro/2.0/ManualJournals",
                        headers={**bearer(tokens), "xero-tenant-id": TENANT_OF[DEMO_NZ]})
    assert journals.status_code == 401
    assert journals.json()["Detail"] == "AuthorizationUnsuccessful"


def test_delete_connection_disconnects_one_organisation(
        xero: XeroSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    tokens = Flow(xero, browser, http).connect([DEMO_NZ, BAKERY])
    connections = http.get(xero.base_url + "/connections", headers=bearer(tokens)).json()
    bakery = next(c for c in connections if c["tenantName"] == BAKERY)
    answer = http.delete(f"{xero.base_url}/connections/{bakery['id']}", headers=bearer(tokens))
    assert answer.status_code == 204
    assert organisation(xero, http, tokens, TENANT_OF[BAKERY]).status_code == 403
    assert organisation(xero, http, tokens, TENANT_OF[DEMO_NZ]).status_code == 200
    again = http.delete(f"{xero.base_url}/connections/{bakery['id']}", headers=bearer(tokens))
    assert again.status_code == 404


def test_reconsent_keeps_the_connection_and_updates_auth_event(
        xero: XeroSandbox, clock: FakeClock, browser: ConsentBrowser, http: httpx.Client) -> None:
    first = Flow(xero, browser, http).connect([DEMO_NZ])
    before = http.get(xero.base_url + "/connections", headers=bearer(first)).json()
    clock.advance(60)
    second = Flow(xero, browser, http).connect([DEMO_NZ, BAKERY])
    after = http.get(xero.base_url + "/connections", headers=bearer(second)).json()
    nz_before = before[0]
    nz_after = next(c for c in after if c["tenantName"] == DEMO_NZ)
    assert nz_after["id"] == nz_before["id"]
    assert nz_after["authEventId"] != nz_before["authEventId"]
    assert nz_after["updatedDateUtc"] > nz_before["updatedDateUtc"]
    latest = http.get(xero.base_url + "/connections",
                      params={"authEventId": nz_after["authEventId"]},
                      headers=bearer(second)).json()
    assert len(latest) == 2


def test_revocation_kills_tokens_and_removes_connections(
        xero: XeroSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    tokens = Flow(xero, browser, http).connect([DEMO_NZ, BAKERY])
    answer = http.post(xero.base_url + "/connect/revocation",
                       data={"token": tokens["refresh_token"], "client_id": XERO_PKCE.client_id})
    assert answer.status_code == 200
    assert refresh(xero, http, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert organisation(xero, http, tokens, TENANT_OF[DEMO_NZ]).status_code == 401
    assert xero.connections_of(XERO_PKCE.client_id) == []


def test_confidential_client_with_basic_auth_and_wrong_secret(
        xero: XeroSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    url = authorize_url(xero.base_url, "/identity/connect/authorize",
                        XERO_CONFIDENTIAL.client_id, "offline_access accounting.transactions")
    code = query_of(browser.consent(url, choose=[DEMO_NZ]))["code"]
    wrong = http.post(xero.base_url + "/connect/token", auth=(XERO_CONFIDENTIAL.client_id, "x"),
                      data={"grant_type": "authorization_code", "code": code,
                            "redirect_uri": REDIRECT})
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_client"
    code = query_of(browser.consent(url, choose=[DEMO_NZ]))["code"]
    right = http.post(xero.base_url + "/connect/token",
                      auth=(XERO_CONFIDENTIAL.client_id, XERO_CONFIDENTIAL.client_secret or ""),
                      data={"grant_type": "authorization_code", "code": code,
                            "redirect_uri": REDIRECT})
    assert right.status_code == 200
    in_form = http.post(xero.base_url + "/connect/token", data={
        "grant_type": "refresh_token", "refresh_token": right.json()["refresh_token"],
        "client_id": XERO_CONFIDENTIAL.client_id,
        "client_secret": XERO_CONFIDENTIAL.client_secret})
    assert in_form.status_code == 200


def test_confidential_client_cannot_skip_its_secret(
        xero: XeroSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    url = authorize_url(xero.base_url, "/identity/connect/authorize",
                        XERO_CONFIDENTIAL.client_id, "offline_access accounting.settings")
    code = query_of(browser.consent(url, choose=[DEMO_NZ]))["code"]
    answer = http.post(xero.base_url + "/connect/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "client_id": XERO_CONFIDENTIAL.client_id})
    assert answer.json()["error"] == "invalid_client"


def test_unregistered_redirect_uri_is_refused_without_redirect(
        xero: XeroSandbox, http: httpx.Client) -> None:
    _, challenge = pkce_pair()
    answer = http.get(authorize_url(xero.base_url, "/identity/connect/authorize",
                                    XERO_PKCE.client_id, XERO_SCOPE, challenge=challenge,
                                    redirect_uri="http://localhost:8766/callback"))
    assert answer.status_code == 400
    assert "location" not in answer.headers

"""Edge cases of the shared OAuth server: stale consent pages, PKCE method, grant types,
revocation input, userinfo scope, and the ClientRegistration redirect rules."""

from __future__ import annotations

import httpx
import pytest

from bookkeeper_desktop.sandbox.browser import ConsentBrowser, ConsentForm
from bookkeeper_desktop.sandbox.clock import FakeClock
from bookkeeper_desktop.sandbox.oauth import CONSENT_LIFETIME, ClientRegistration, s256_challenge
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.sandbox.xero_server import XeroSandbox
from tests.sandbox.conftest import (
    QBO_CLIENT,
    QBO_SCOPE,
    XERO_PKCE,
    XERO_SCOPE,
    authorize_url,
    pkce_pair,
    query_of,
)
from tests.sandbox.test_qbo_oauth import AUTH, connect


def qbo_page(qbo: QboSandbox, browser: ConsentBrowser) -> ConsentForm:
    page = browser.open(authorize_url(qbo.base_url, "/connect/oauth2", QBO_CLIENT.client_id,
                                      QBO_SCOPE))
    assert isinstance(page, ConsentForm)
    return page


def test_consent_page_left_open_too_long_expires(qbo: QboSandbox, clock: FakeClock,
                                                 browser: ConsentBrowser) -> None:
    page = qbo_page(qbo, browser)
    clock.advance(CONSENT_LIFETIME + 1)
    answer = browser.submit(page)
    assert answer.status_code == 400
    assert "expired" in answer.text


def test_qbo_allow_without_a_company_shows_the_page_again(
        qbo: QboSandbox, browser: ConsentBrowser) -> None:
    page = qbo_page(qbo, browser)
    answer = browser.client.post(page.action, data={**page.hidden, "decision": "allow",
                                                    "realm": "999"})
    assert answer.status_code == 400
    assert "Choose a company" in answer.text
    assert "consent_id" in answer.text


@pytest.mark.parametrize(("method", "error"), [("plain", "invalid_request"),
                                               (None, "invalid_request")])
def test_only_s256_challenges_are_accepted(qbo: QboSandbox, http: httpx.Client,
                                           method: str | None, error: str) -> None:
    _, challenge = pkce_pair()
    url = authorize_url(qbo.base_url, "/connect/oauth2", QBO_CLIENT.client_id, QBO_SCOPE)
    url += f"&code_challenge={challenge}"
    if method is not None:
        url += f"&code_challenge_method={method}"
    answer = http.get(url)
    assert query_of(answer.headers["location"]) == {"error": error, "state": "st-1"}


def test_malformed_challenge_is_refused(qbo: QboSandbox, http: httpx.Client) -> None:
    url = authorize_url(qbo.base_url, "/connect/oauth2", QBO_CLIENT.client_id, QBO_SCOPE,
                        challenge="short")
    assert query_of(http.get(url).headers["location"])["error"] == "invalid_request"


def test_wrong_response_type(qbo: QboSandbox, http: httpx.Client) -> None:
    url = authorize_url(qbo.base_url, "/connect/oauth2", QBO_CLIENT.client_id, QBO_SCOPE)
    answer = http.get(url.replace("response_type=code", "response_type=token"))
    assert query_of(answer.headers["location"])["error"] == "unsupported_response_type"


@pytest.mark.parametrize("grant_type", ["client_credentials", "password", ""])
def test_unsupported_grant_types(qbo: QboSandbox, http: httpx.Client, grant_type: str) -> None:
    answer = http.post(qbo.base_url + "/oauth2/v1/tokens/bearer", auth=AUTH,
                       data={"grant_type": grant_type})
    assert answer.status_code == 400
    assert answer.json()["error"] == "unsupported_grant_type"


def test_unknown_code_and_unknown_refresh_token(qbo: QboSandbox, http: httpx.Client) -> None:
    for data in ({"grant_type": "authorization_code", "code": "nope",
                  "redirect_uri": "http://localhost:8765/callback"},
                 {"grant_type": "refresh_token", "refresh_token": "nope"}):
        answer = http.post(qbo.base_url + "/oauth2/v1/tokens/bearer", auth=AUTH, data=data)
        assert answer.json()["error"] == "invalid_grant"


def test_code_issued_to_one_client_cannot_be_used_by_another(
        qbo: QboSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    other = ClientRegistration("other", "other-secret", ("http://localhost:8765/callback",))
    qbo.register_client(other)
    url = authorize_url(qbo.base_url, "/connect/oauth2", QBO_CLIENT.client_id, QBO_SCOPE)
    code = query_of(browser.consent(url))["code"]
    answer = http.post(qbo.base_url + "/oauth2/v1/tokens/bearer", auth=("other", "other-secret"),
                       data={"grant_type": "authorization_code", "code": code,
                             "redirect_uri": "http://localhost:8765/callback"})
    assert answer.json()["error"] == "invalid_grant"


def test_refresh_token_of_one_client_cannot_be_used_by_another(
        qbo: QboSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    tokens = connect(qbo, browser, http)
    qbo.register_client(ClientRegistration("other", "other-secret", ()))
    answer = http.post(qbo.base_url + "/oauth2/v1/tokens/bearer", auth=("other", "other-secret"),
                       data={"grant_type": "refresh_token",
                             "refresh_token": tokens["refresh_token"]})
    assert answer.json()["error"] == "invalid_grant"


def test_revoke_needs_a_token(qbo: QboSandbox, http: httpx.Client) -> None:
    answer = http.post(qbo.base_url + "/v2/oauth2/tokens/revoke", auth=AUTH, json={})
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"


def test_revoking_an_unknown_token_is_fine(qbo: QboSandbox, http: httpx.Client) -> None:
    answer = http.post(qbo.base_url + "/v2/oauth2/tokens/revoke", auth=AUTH,
                       json={"token": "never-issued"})
    assert answer.status_code == 200  # RFC 7009 §2.2


def test_revoke_by_access_token_kills_the_whole_grant(
        qbo: QboSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    tokens = connect(qbo, browser, http)
    http.post(qbo.base_url + "/v2/oauth2/tokens/revoke", auth=AUTH,
              json={"token": tokens["access_token"]})
    answer = http.post(qbo.base_url + "/oauth2/v1/tokens/bearer", auth=AUTH, data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert answer.json()["error"] == "invalid_grant"


def test_qbo_userinfo_without_openid_scope_is_401(
        qbo: QboSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    url = authorize_url(qbo.base_url, "/connect/oauth2", QBO_CLIENT.client_id,
                        "com.intuit.quickbooks.accounting")
    code = query_of(browser.consent(url))["code"]
    tokens = http.post(qbo.base_url + "/oauth2/v1/tokens/bearer", auth=AUTH, data={
        "grant_type": "authorization_code", "code": code,
        "redirect_uri": "http://localhost:8765/callback"}).json()
    answer = http.get(qbo.base_url + "/v1/openid_connect/userinfo",
                      headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert answer.status_code == 401


def test_xero_revocation_by_public_client_needs_its_own_token(
        xero: XeroSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    from tests.sandbox.test_xero_oauth import Flow, refresh

    tokens = Flow(xero, browser, http).connect()
    answer = http.post(xero.base_url + "/connect/revocation",
                       data={"token": tokens["refresh_token"], "client_id": "XEROWEBCLIENT",
                             "client_secret": "xero-web-secret"})
    assert answer.status_code == 200
    assert refresh(xero, http, tokens["refresh_token"]).status_code == 200  # not revoked
    no_client = http.post(xero.base_url + "/connect/revocation",
                          data={"token": tokens["refresh_token"]})
    assert no_client.json()["error"] == "invalid_client"


def test_xero_discovery_document(xero: XeroSandbox, http: httpx.Client) -> None:
    doc = http.get(xero.base_url + "/.well-known/openid-configuration").json()
    assert doc["token_endpoint"] == xero.base_url + "/connect/token"
    assert doc["revocation_endpoint"] == xero.base_url + "/connect/revocation"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert set(XERO_SCOPE.split()) <= set(doc["scopes_supported"])


def test_redirect_pattern_rules() -> None:
    client = ClientRegistration("c", None, ("http://localhost:{port}/callback",
                                            "https://example.com/return"))
    assert client.public
    assert client.redirect_allowed("https://example.com/return")
    assert not client.redirect_allowed("https://example.com/return?x=1")
    assert not client.redirect_allowed("http://localhost:0/callback")
    assert not client.redirect_allowed("http://localhost:/callback")
    assert client.redirect_allowed("http://localhost:65535/callback")


def test_s256_matches_rfc_7636_appendix_b() -> None:
    assert s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == \
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_public_client_cannot_skip_pkce_at_the_token_endpoint(
        xero: XeroSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    _, challenge = pkce_pair()
    url = authorize_url(xero.base_url, "/identity/connect/authorize", XERO_PKCE.client_id,
                        XERO_SCOPE, challenge=challenge)
    code = query_of(browser.consent(url, choose=["Demo Company (NZ)"]))["code"]
    answer = http.post(xero.base_url + "/connect/token", data={
        "grant_type": "authorization_code", "code": code,
        "redirect_uri": "http://localhost:8765/callback", "client_id": XERO_PKCE.client_id})
    assert answer.json()["error"] == "invalid_grant"

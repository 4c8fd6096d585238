"""The vendors' own SDKs against the sandboxes: proof the sandboxes speak what Intuit's and
Xero's published clients expect (intuitlib 1.2.6, python-quickbooks, xero-python, authlib), not
just what our client sends."""

from __future__ import annotations

import time
import warnings
from typing import Any

import authlib.deprecate
import httpx
import pytest

from bookkeeper_desktop.sandbox.browser import ConsentBrowser
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.sandbox.xero_server import XeroSandbox
from tests.sandbox.conftest import (
    QBO_CLIENT,
    REDIRECT,
    XERO_PKCE,
    XERO_SCOPE,
    query_of,
)
from tests.sandbox.test_xero_oauth import DEMO_NZ, TENANT_OF

with warnings.catch_warnings():
    # authlib 1.9 warns at import that it would rather use the `httpx2` package (a third-party
    # deprecation). `authlib.deprecate` is imported above first because importing it installs an
    # "always" filter for that warning, which would otherwise override this ignore.
    # deprecation, not ours to fix here).
    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client


def test_intuitlib_connects_refreshes_and_revokes(qbo: QboSandbox,
                                                  browser: ConsentBrowser) -> None:
    from intuitlib.client import AuthClient
    from intuitlib.enums import Scopes
    from intuitlib.exceptions import AuthClientError

    client = AuthClient(QBO_CLIENT.client_id, QBO_CLIENT.client_secret, REDIRECT,
                        environment=qbo.base_url + "/.well-known/openid_configuration")
    assert client.token_endpoint == qbo.base_url + "/oauth2/v1/tokens/bearer"
    url = client.get_authorization_url([Scopes.ACCOUNTING], state_token="abc")
    callback = query_of(browser.consent(url))
    assert callback["state"] == "abc"
    client.get_bearer_token(callback["code"], realm_id=callback["realmId"])
    assert client.expires_in == 3600
    assert client.x_refresh_token_expires_in > 0
    first = client.refresh_token
    client.refresh()
    assert client.refresh_token != first
    with pytest.raises(AuthClientError) as reuse:
        client.refresh(refresh_token=first)
    assert reuse.value.status_code == 400
    client.revoke(token=client.refresh_token)
    with pytest.raises(AuthClientError):
        client.refresh()


def test_python_quickbooks_reads_company_info(qbo: QboSandbox, browser: ConsentBrowser,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from intuitlib.client import AuthClient
    from intuitlib.enums import Scopes
    from quickbooks import QuickBooks
    from quickbooks.objects.company_info import CompanyInfo

    # WORKAROUND requests-oauthlib refuses http:// (API_NOTES.md); test-only, loopback only.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    auth = AuthClient(QBO_CLIENT.client_id, QBO_CLIENT.client_secret, REDIRECT,
                      environment=qbo.base_url + "/.well-known/openid_configuration")
    callback = query_of(browser.consent(auth.get_authorization_url([Scopes.ACCOUNTING],
                                                                   state_token="s")))
    auth.get_bearer_token(callback["code"], realm_id=callback["realmId"])
    client = QuickBooks(auth_client=auth, refresh_token=auth.refresh_token,
                        company_id=callback["realmId"], minorversion=75)
    client.api_url_v3 = qbo.base_url + "/v3"
    info = CompanyInfo.get(callback["realmId"], qb=client)
    assert info.CompanyName == "Maple Street Bakery"


def test_authlib_pkce_client_connects_to_xero_and_refreshes(
        xero: XeroSandbox, browser: ConsentBrowser) -> None:
    saved: list[dict[str, Any]] = []
    with OAuth2Client(XERO_PKCE.client_id, scope=XERO_SCOPE, redirect_uri=REDIRECT,
                      code_challenge_method="S256", token_endpoint_auth_method="none",
                      token_endpoint=xero.base_url + "/connect/token",
                      update_token=lambda token, refresh_token=None: saved.append(token)
                      ) as client:
        verifier = "v" * 64
        url, state = client.create_authorization_url(
            xero.base_url + "/identity/connect/authorize", code_verifier=verifier)
        location = browser.consent(url, choose=[DEMO_NZ])
        token = client.fetch_token(xero.base_url + "/connect/token",
                                   authorization_response=location, code_verifier=verifier)
        assert token["expires_in"] == 1800
        assert query_of(location)["state"] == state
        connections = client.get(xero.base_url + "/connections").json()
        assert connections[0]["tenantId"] == TENANT_OF[DEMO_NZ]
        # Force the access token to look expired: authlib refreshes before the next call.
        client.token["expires_at"] = int(time.time()) - 10
        answer = client.get(xero.base_url + "/api.xro/2.0/Organisation",
                            headers={"xero-tenant-id": TENANT_OF[DEMO_NZ]})
        assert answer.status_code == 200
        assert len(saved) == 1
        assert saved[0]["refresh_token"] != token["refresh_token"]


def test_authlib_reports_invalid_grant_on_reuse(xero: XeroSandbox, browser: ConsentBrowser,
                                                http: httpx.Client) -> None:
    from authlib.integrations.base_client import OAuthError

    with OAuth2Client(XERO_PKCE.client_id, scope=XERO_SCOPE, redirect_uri=REDIRECT,
                      code_challenge_method="S256", token_endpoint_auth_method="none") as client:
        verifier = "w" * 64
        url, _ = client.create_authorization_url(
            xero.base_url + "/identity/connect/authorize", code_verifier=verifier)
        token = client.fetch_token(xero.base_url + "/connect/token",
                                   authorization_response=browser.consent(url, choose=[DEMO_NZ]),
                                   code_verifier=verifier)
        client.refresh_token(xero.base_url + "/connect/token",
                             refresh_token=token["refresh_token"])
        successor = client.token["refresh_token"]
        client.refresh_token(xero.base_url + "/connect/token", refresh_token=successor)
        with pytest.raises(OAuthError) as reuse:
            client.refresh_token(xero.base_url + "/connect/token",
                                 refresh_token=token["refresh_token"])
        assert reuse.value.error == "invalid_grant"


def test_xero_python_lists_connections_and_reads_the_organisation(
        xero: XeroSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    from xero_python.accounting import AccountingApi
    from xero_python.api_client import ApiClient
    from xero_python.api_client.configuration import Configuration
    from xero_python.api_client.oauth2 import OAuth2Token
    from xero_python.identity import IdentityApi

    from tests.sandbox.test_xero_oauth import Flow

    tokens = Flow(xero, browser, http).connect([DEMO_NZ, "Kowhai Landscaping Ltd"])
    api_client = ApiClient(Configuration(oauth2_token=OAuth2Token(client_id=XERO_PKCE.client_id)),
                           pool_threads=1)
    api_client.oauth2_token_getter(lambda: {**tokens, "expires_at": time.time() + 1800})
    connections = IdentityApi(api_client, base_url=xero.base_url).get_connections()
    assert sorted(c.tenant_name for c in connections) == [DEMO_NZ, "Kowhai Landscaping Ltd"]
    accounting = AccountingApi(api_client, base_url=xero.base_url + "/api.xro/2.0")
    organisations = accounting.get_organisations(TENANT_OF[DEMO_NZ])
    assert organisations.organisations[0].name == DEMO_NZ

"""The real accounting APIs plugged into the servers: the default `api` is `qbo_api` /
`xero_api` when they import, they share the server's clock, and reset re-seeds them."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bookkeeper_desktop.sandbox.apis import FallbackQboApi, FallbackXeroApi
from bookkeeper_desktop.sandbox.browser import ConsentBrowser
from bookkeeper_desktop.sandbox.clock import FakeClock
from bookkeeper_desktop.sandbox.qbo_server import DEMO_COMPANIES, QboSandbox
from bookkeeper_desktop.sandbox.xero_server import XeroSandbox
from tests.sandbox.conftest import QBO_CLIENT, QBO_SCOPE, XERO_PKCE, authorize_url, query_of
from tests.sandbox.test_qbo_oauth import connect, exchange
from tests.sandbox.test_xero_oauth import DEMO_NZ, TENANT_OF, Flow, organisation

[(DEMO_REALM, DEMO_NAME)] = DEMO_COMPANIES.items()


def _real(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        pytest.skip(f"{module}.{name} is not available yet")


@pytest.fixture
def real_qbo(clock: FakeClock) -> Iterator[QboSandbox]:
    _real("bookkeeper_desktop.sandbox.qbo_api", "QboAccountingApi")
    with QboSandbox(clock=clock, clients=[QBO_CLIENT]) as server:
        yield server


def test_qbo_default_api_is_the_real_one_and_answers_queries(
        real_qbo: QboSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    assert type(real_qbo.api).__name__ == "QboAccountingApi"
    location = browser.consent(authorize_url(real_qbo.base_url, "/connect/oauth2",
                                             QBO_CLIENT.client_id, QBO_SCOPE))
    assert f"realmId={DEMO_REALM}" in location
    tokens = exchange(real_qbo, http, query_of(location)["code"]).json()
    answer = http.get(f"{real_qbo.base_url}/v3/company/{DEMO_REALM}/query",
                      params={"query": "select * from Account MAXRESULTS 5",
                              "minorversion": "75"},
                      headers={"Authorization": f"Bearer {tokens['access_token']}",
                               "Accept": "application/json"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert len(body["QueryResponse"]["Account"]) == 5
    # The API's "now" is the server's FakeClock (2026-09-21), not the wall clock.
    assert body["time"].startswith("2026-09-21")
    info = http.get(f"{real_qbo.base_url}/v3/company/{DEMO_REALM}/companyinfo/{DEMO_REALM}",
                    headers={"Authorization": f"Bearer {tokens['access_token']}",
                             "Accept": "application/json"}).json()
    assert info["CompanyInfo"]["CompanyName"] == DEMO_NAME


def test_reset_reseeds_the_real_api(real_qbo: QboSandbox, http: httpx.Client) -> None:
    api_before = real_qbo.api
    assert http.post(real_qbo.base_url + "/__sandbox__/reset").status_code == 204
    assert real_qbo.api is not api_before
    assert type(real_qbo.api) is type(api_before)
    assert real_qbo.to_state()["api"]["realms"].keys() == {DEMO_REALM}


def test_injected_api_survives_reset_as_its_own_type(
        clock: FakeClock, browser: ConsentBrowser, http: httpx.Client) -> None:
    with QboSandbox(clock=clock, clients=[QBO_CLIENT], api=FallbackQboApi(),
                    companies={"4620816365": "Maple Street Bakery"}) as qbo:
        tokens = connect(qbo, browser, http)
        qbo.reset()
        assert isinstance(qbo.api, FallbackQboApi)
        assert qbo.api.companies == {"4620816365": "Maple Street Bakery"}
        assert qbo.oauth.check_access(f"Bearer {tokens['access_token']}").grant is None


def test_xero_default_api_is_the_real_one(clock: FakeClock, browser: ConsentBrowser,
                                          http: httpx.Client) -> None:
    _real("bookkeeper_desktop.sandbox.xero_api", "XeroAccountingApi")
    with XeroSandbox(clock=clock, clients=[XERO_PKCE]) as xero:
        assert not isinstance(xero.api, FallbackXeroApi)
        tokens = Flow(xero, browser, http).connect([DEMO_NZ])
        answer = organisation(xero, http, tokens, TENANT_OF[DEMO_NZ])
        assert answer.status_code == 200, answer.text
        assert answer.json()["Organisations"][0]["Name"] == DEMO_NZ
        assert answer.headers["x-minlimit-remaining"] == "59"

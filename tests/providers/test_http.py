"""The API HTTP helper against the sandboxes: bearer and tenant headers, refresh once and replay on
401, typed errors for 429 (QBO's XML body, Xero's Retry-After), 5xx, dropped connections, Intuit
Faults and Xero validation errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest

from bookkeeper_desktop.core.errors import (
    DailyLimitReached,
    NetworkError,
    RateLimited,
    ReconnectNeeded,
    RemoteError,
)
from bookkeeper_desktop.providers.config import Provider, ProviderConfig
from bookkeeper_desktop.providers.connect import ConnectFlow, ConnectResult
from bookkeeper_desktop.providers.connections import MemoryConnectionStore
from bookkeeper_desktop.providers.http import ApiClient, api_error, retry_after_seconds
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.providers.oauth import NoResponse
from bookkeeper_desktop.providers.ratelimit import Limits, RateBudget
from bookkeeper_desktop.providers.tokens import TokenManager
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.sandbox.xero_server import XeroSandbox

from .conftest import COMPANY, ScriptedBrowser


def connect_manager(config: ProviderConfig, keychain: Keychain,
                    store: MemoryConnectionStore) -> tuple[TokenManager, ConnectResult]:
    flow = ConnectFlow(COMPANY, config, keychain=keychain, store=store,
                       open_browser=ScriptedBrowser(), choose_tenant=lambda ts: ts[0], timeout=10)
    result = flow.run()
    assert flow.manager is not None
    return flow.manager, result


@pytest.fixture
def qbo_api(qbo_config: ProviderConfig, keychain: Keychain,
            store: MemoryConnectionStore) -> Iterator[tuple[ApiClient, TokenManager]]:
    manager, result = connect_manager(qbo_config, keychain, store)
    with ApiClient.for_connection(manager, qbo_config, result.connection.tenant_id) as api:
        yield api, manager


@pytest.fixture
def xero_api(xero_config: ProviderConfig, keychain: Keychain,
             store: MemoryConnectionStore) -> Iterator[tuple[ApiClient, TokenManager]]:
    manager, result = connect_manager(xero_config, keychain, store)
    with ApiClient.for_connection(manager, xero_config, result.connection.tenant_id) as api:
        assert api.tenant_id == result.connection.tenant_id
        yield api, manager


def token_refreshes(sandbox: QboSandbox | XeroSandbox) -> int:
    return sandbox.token_grant_counts().get("refresh_token", 0)


def test_qbo_get_with_bearer(qbo_api: tuple[ApiClient, TokenManager]) -> None:
    api, _ = qbo_api
    data = api.get_json("query", params={"query": "select * from Account MAXRESULTS 2",
                                         "minorversion": "75"})
    assert len(data["QueryResponse"]["Account"]) == 2


def test_qbo_calls_carry_minorversion_75(qbo_api: tuple[ApiClient, TokenManager]) -> None:
    api, _ = qbo_api
    sent = api.request("GET", "companyinfo/9341453050071366").request
    assert sent.url.params["minorversion"] == "75"
    assert sent.url.path == "/v3/company/9341453050071366/companyinfo/9341453050071366"
    kept = api.request("GET", "companyinfo/9341453050071366",
                       params={"minorversion": "76"}).request
    assert kept.url.params.get_list("minorversion") == ["76"]


def test_xero_sends_the_tenant_header(xero_api: tuple[ApiClient, TokenManager]) -> None:
    api, _ = xero_api
    data = api.get_json("Organisation")
    assert data["Organisations"][0]["Name"] == "Demo Company (NZ)"


@pytest.mark.parametrize("vendor", ["qbo", "xero"])
def test_401_refreshes_once_and_replays(vendor: str, request: pytest.FixtureRequest,
                                        qbo_sandbox: QboSandbox,
                                        xero_sandbox: XeroSandbox) -> None:
    api, manager = request.getfixturevalue(f"{vendor}_api")
    sandbox = qbo_sandbox if vendor == "qbo" else xero_sandbox
    path = "companyinfo/9341453050071366" if vendor == "qbo" else "Organisation"
    api.get_json(path)
    sandbox.expire_access_tokens()  # the "token expired early" fault
    before = sandbox.request_counts()
    api.get_json(path)
    assert token_refreshes(sandbox) == 1
    after = sandbox.request_counts()
    api_path = httpx.URL(api.url(path)).path
    assert after[api_path] - before.get(api_path, 0) == 2  # the 401 and the replay
    assert manager.refresh_requests == 1


def test_a_second_401_after_refresh_means_reconnect(qbo_api: tuple[ApiClient, TokenManager],
                                                    qbo_sandbox: QboSandbox) -> None:
    api, _ = qbo_api

    class Expiring:
        provider = Provider.QBO

        def access_token(self) -> str:
            return "not-a-token"

        def refresh_after_rejection(self, rejected: str) -> str:
            return "still-not-a-token"

    bad = ApiClient(Expiring(), base_url=api.base_url, http=api.http)
    with pytest.raises(ReconnectNeeded, match="freshly renewed"):
        bad.get_json("companyinfo/9341453050071366")


def test_qbo_429_xml_body_is_rate_limited(qbo_api: tuple[ApiClient, TokenManager],
                                          qbo_sandbox: QboSandbox) -> None:
    api, _ = qbo_api
    qbo_sandbox.throttle_next(1)
    with pytest.raises(RateLimited) as caught:
        api.get_json("companyinfo/9341453050071366")
    assert caught.value.retry_after is None  # Intuit sends no Retry-After


def test_xero_429_with_retry_after_pauses_the_budget(xero_config: ProviderConfig,
                                                     keychain: Keychain,
                                                     store: MemoryConnectionStore,
                                                     xero_sandbox: XeroSandbox) -> None:
    manager, result = connect_manager(xero_config, keychain, store)
    clock = [0.0]
    budget = RateBudget(Limits(per_minute=60, concurrent=5), clock=lambda: clock[0],
                        sleep=lambda s: clock.__setitem__(0, clock[0] + s))
    with ApiClient(manager, base_url=xero_config.endpoints.api_base,
                   tenant_id=result.connection.tenant_id, budget=budget) as api:
        xero_sandbox.throttle_next(1, retry_after=7)
        with pytest.raises(RateLimited) as caught:
            api.get_json("Organisation")
        assert caught.value.retry_after == 7
        assert not isinstance(caught.value, DailyLimitReached)
        assert budget.in_flight == 0
        api.get_json("Organisation")  # waits out the pause on the budget's clock first
        assert clock[0] >= 7
        xero_sandbox.throttle_next(1, retry_after=3600, problem="day")
        with pytest.raises(DailyLimitReached):
            api.get_json("Organisation")


def test_5xx_and_dropped_connections(qbo_api: tuple[ApiClient, TokenManager],
                                     qbo_sandbox: QboSandbox) -> None:
    api, _ = qbo_api
    qbo_sandbox.fail_next(1, status=503)
    with pytest.raises(NetworkError, match="HTTP 503"):
        api.get_json("companyinfo/9341453050071366")
    qbo_sandbox.drop_next(1, after_commit=True)
    with pytest.raises(NoResponse):
        api.get_json("companyinfo/9341453050071366")
    api.get_json("companyinfo/9341453050071366")


def test_unreachable_host_is_a_network_error(qbo_api: tuple[ApiClient, TokenManager]) -> None:
    api, _ = qbo_api
    with pytest.raises(NetworkError, match="Cannot reach") as caught:
        api.get_json("http://127.0.0.1:9/nothing")
    assert not isinstance(caught.value, NoResponse)


def test_intuit_fault_is_a_remote_error_with_its_code(
        qbo_api: tuple[ApiClient, TokenManager]) -> None:
    api, _ = qbo_api
    with pytest.raises(RemoteError) as caught:
        api.get_json("query", params={"query": "selec bad"})
    assert caught.value.code == "4000"
    assert caught.value.status == 400
    assert "Error parsing query" in caught.value.message
    with pytest.raises(RemoteError) as caught:
        api.post_json("journalentry", {"Line": []}, params={"minorversion": "75"})
    assert caught.value.code == "2020"
    assert "Required parameter Line is missing" in caught.value.message


def test_xero_validation_exception_lists_the_validation_errors(
        xero_api: tuple[ApiClient, TokenManager]) -> None:
    api, _ = xero_api
    with pytest.raises(RemoteError) as caught:
        api.request("PUT", "ManualJournals", json={"ManualJournals": [
            {"Narration": "x", "JournalLines": [{"LineAmount": 10, "AccountCode": "200"}]}]})
    assert caught.value.code == "ValidationException"
    assert "must equal total credits" in caught.value.message


def test_xero_wrong_tenant_is_a_403_remote_error(xero_api: tuple[ApiClient, TokenManager]) -> None:
    api, manager = xero_api
    other = ApiClient(manager, base_url=api.base_url, tenant_id="not-connected", http=api.http)
    with pytest.raises(RemoteError) as caught:
        other.get_json("Organisation")
    assert caught.value.status == 403
    assert caught.value.hint
    assert "Reconnect" in caught.value.hint


def test_error_mapping_without_a_server() -> None:
    request = httpx.Request("GET", "http://x/")
    xml_fault = httpx.Response(400, request=request, text=(
        '<IntuitResponse><Fault type="ValidationFault"><Error code="5010"><Message>Stale Object '
        'Error</Message><Detail>You and root were working on this at the same time.</Detail>'
        "</Error></Fault></IntuitResponse>"))
    error = api_error(xml_fault, Provider.QBO)
    assert isinstance(error, RemoteError)
    assert error.code == "5010"
    assert "Stale Object Error: You and root" in error.message
    dated = httpx.Response(429, request=request, headers={
        "Retry-After": "Tue, 24 Nov 2026 08:00:30 GMT"})
    now = dt.datetime(2026, 11, 24, 8, 0, 0, tzinfo=dt.UTC)
    assert retry_after_seconds(dated.headers["Retry-After"], now=now) == 30
    assert retry_after_seconds("12") == 12
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None

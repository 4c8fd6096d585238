"""Rate limits as the vendors set them, with a fake clock and a small time scale: QBO 500/min,
10 concurrent, batch 120/min (429 in Intuit's XML); Xero 60/min, 5,000/day, 5 concurrent per
tenant (429 with Retry-After and X-Rate-Limit-Problem; remaining-calls headers always)."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from bookkeeper_desktop.sandbox.apis import FallbackQboApi, FallbackXeroApi
from bookkeeper_desktop.sandbox.browser import ConsentBrowser
from bookkeeper_desktop.sandbox.clock import FakeClock
from bookkeeper_desktop.sandbox.limits import QboLimiter, XeroLimiter
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.sandbox.xero_server import XeroSandbox
from tests.sandbox.conftest import QBO_CLIENT, XERO_PKCE
from tests.sandbox.test_qbo_oauth import company_info, connect
from tests.sandbox.test_xero_oauth import DEMO_NZ, TENANT_OF, Flow, organisation

SCALE = 0.01


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.002)


@pytest.fixture
def scaled_xero(clock: FakeClock) -> Any:
    with XeroSandbox(clock=clock, clients=[XERO_PKCE], api=FallbackXeroApi(),
                     time_scale=SCALE) as server:
        yield server


def test_xero_minute_limit_then_window_slides(
        scaled_xero: XeroSandbox, clock: FakeClock, browser: ConsentBrowser,
        http: httpx.Client) -> None:
    tokens = Flow(scaled_xero, browser, http).connect()
    tenant = TENANT_OF[DEMO_NZ]
    first = organisation(scaled_xero, http, tokens, tenant)
    assert first.headers["x-minlimit-remaining"] == "59"
    assert first.headers["x-daylimit-remaining"] == "4999"
    assert first.headers["x-appminlimit-remaining"] == "9999"
    for _ in range(59):
        assert organisation(scaled_xero, http, tokens, tenant).status_code == 200
    clock.advance(30 * SCALE)
    refused = organisation(scaled_xero, http, tokens, tenant)
    assert refused.status_code == 429
    assert refused.headers["x-rate-limit-problem"] == "minute"
    assert refused.headers["retry-after"] == "30"  # vendor seconds; scaled by the client
    assert refused.headers["x-minlimit-remaining"] == "0"
    clock.advance(30 * SCALE)
    assert organisation(scaled_xero, http, tokens, tenant).status_code == 200


def test_xero_limits_are_per_tenant(
        scaled_xero: XeroSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    tokens = Flow(scaled_xero, browser, http).connect([DEMO_NZ, "Harbourside Bakery Ltd"])
    for _ in range(60):
        organisation(scaled_xero, http, tokens, TENANT_OF[DEMO_NZ])
    assert organisation(scaled_xero, http, tokens, TENANT_OF[DEMO_NZ]).status_code == 429
    other = organisation(scaled_xero, http, tokens, TENANT_OF["Harbourside Bakery Ltd"])
    assert other.status_code == 200
    assert other.headers["x-minlimit-remaining"] == "59"
    assert other.headers["x-appminlimit-remaining"] == str(10_000 - 61)


def test_xero_concurrent_limit(scaled_xero: XeroSandbox, browser: ConsentBrowser,
                               http: httpx.Client) -> None:
    tokens = Flow(scaled_xero, browser, http).connect()
    scaled_xero.inject_latency(0.4, path="Organisation", count=5)
    with ThreadPoolExecutor(6) as pool, httpx.Client(timeout=10) as client:
        slow = [pool.submit(organisation, scaled_xero, client, tokens, TENANT_OF[DEMO_NZ])
                for _ in range(5)]
        wait_until(lambda: scaled_xero.limiter.snapshot()["in_flight"].get(
            TENANT_OF[DEMO_NZ], 0) == 5)
        extra = organisation(scaled_xero, http, tokens, TENANT_OF[DEMO_NZ])
        statuses = [f.result().status_code for f in slow]
    assert statuses == [200] * 5
    assert extra.status_code == 429
    assert extra.headers["x-rate-limit-problem"] == "concurrent"
    assert "retry-after" in extra.headers


def test_limits_can_be_switched_off_and_headers_stay(
        scaled_xero: XeroSandbox, browser: ConsentBrowser, http: httpx.Client) -> None:
    tokens = Flow(scaled_xero, browser, http).connect()
    answer = http.post(scaled_xero.base_url + "/__sandbox__/limits", json={"enabled": False})
    assert answer.json()["enabled"] is False
    for _ in range(65):
        last = organisation(scaled_xero, http, tokens, TENANT_OF[DEMO_NZ])
        assert last.status_code == 200
    assert last.headers["x-minlimit-remaining"] == "0"


def test_xero_day_limit(clock: FakeClock) -> None:
    limiter = XeroLimiter(clock, enabled=True, time_scale=1.0)
    for index in range(5_000):
        limiter.admit("app", "tenant").release()
        if index % 60 == 59:
            clock.advance(61)
    refused = limiter.admit("app", "tenant")
    assert refused.problem == "day"
    assert 0 < refused.retry_after <= 86_400
    assert refused.remaining["day"] == 0
    clock.advance(86_400)
    assert limiter.admit("app", "tenant").admitted


def test_xero_app_minute_limit(clock: FakeClock) -> None:
    limiter = XeroLimiter(clock, enabled=True, time_scale=1.0)
    for index in range(10_000):
        limiter.admit("app", f"tenant-{index // 50}").release()
    assert limiter.admit("app", "fresh-tenant").problem == "appminute"
    assert limiter.admit("other-app", "fresh-tenant").admitted


def test_qbo_minute_and_batch_limits(clock: FakeClock) -> None:
    limiter = QboLimiter(clock, enabled=True, time_scale=SCALE)
    for _ in range(120):
        limiter.admit("app", "realm", batch=True).release()
    refused = limiter.admit("app", "realm", batch=True)
    assert refused.problem == "batch"
    for _ in range(380):
        limiter.admit("app", "realm", batch=False).release()
    assert limiter.admit("app", "realm", batch=False).problem == "minute"
    assert limiter.admit("app", "other-realm", batch=False).admitted
    clock.advance(60 * SCALE)
    assert limiter.admit("app", "realm", batch=True).admitted


def test_qbo_reports_limit(clock: FakeClock) -> None:
    limiter = QboLimiter(clock, enabled=True, time_scale=SCALE)
    for _ in range(200):
        limiter.admit("app", "realm", reports=True).release()
    assert limiter.admit("app", "realm", reports=True).problem == "reports"
    assert limiter.admit("app", "realm").admitted


def test_qbo_concurrency_limit_answers_intuits_xml(
        clock: FakeClock, browser: ConsentBrowser, http: httpx.Client) -> None:
    with QboSandbox(clock=clock, clients=[QBO_CLIENT], api=FallbackQboApi(),
                    companies={"4620816365": "Maple Street Bakery"}, time_scale=SCALE) as qbo:
        tokens = connect(qbo, browser, http)
        qbo.inject_latency(0.4, path="companyinfo", count=10)
        key = f"{QBO_CLIENT.client_id}/4620816365"
        with ThreadPoolExecutor(10) as pool, httpx.Client(timeout=10) as client:
            slow = [pool.submit(company_info, qbo, client, tokens["access_token"])
                    for _ in range(10)]
            wait_until(lambda: qbo.limiter.snapshot()["in_flight"].get(key, 0) == 10)
            extra = company_info(qbo, http, tokens["access_token"])
            statuses = [f.result().status_code for f in slow]
    assert statuses == [200] * 10
    assert extra.status_code == 429
    assert extra.headers["content-type"].startswith("application/xml")
    assert "<Error code=\"3001\"" in extra.text
    assert "message=ThrottleExceeded; errorCode=003001; statusCode=429" in extra.text
    assert "retry-after" not in extra.headers


def test_qbo_minute_limit_over_http(clock: FakeClock, browser: ConsentBrowser,
                                    http: httpx.Client) -> None:
    with QboSandbox(clock=clock, clients=[QBO_CLIENT], api=FallbackQboApi(),
                    companies={"4620816365": "Maple Street Bakery"}, time_scale=SCALE) as qbo:
        tokens = connect(qbo, browser, http)
        for _ in range(500):
            qbo.limiter.admit(QBO_CLIENT.client_id, "4620816365", batch=False).release()
        assert company_info(qbo, http, tokens["access_token"]).status_code == 429
        clock.advance(60 * SCALE)
        assert company_info(qbo, http, tokens["access_token"]).status_code == 200


def test_time_scale_must_be_positive(clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="positive"):
        QboLimiter(clock, enabled=True, time_scale=0)

"""Sandboxes on real loopback sockets with a fake clock, and a scripted browser."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from bookkeeper_desktop.sandbox.apis import FallbackQboApi, FallbackXeroApi
from bookkeeper_desktop.sandbox.browser import ConsentBrowser
from bookkeeper_desktop.sandbox.clock import FakeClock
from bookkeeper_desktop.sandbox.oauth import ClientRegistration
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.sandbox.xero_server import NEW_APP_SCOPES, XeroSandbox

REDIRECT = "http://localhost:8765/callback"
QBO_CLIENT = ClientRegistration("qbo-test-client", "qbo-test-secret", (REDIRECT,), "Test app")
XERO_PKCE = ClientRegistration("XEROPKCECLIENT", None, (REDIRECT,), "Test app",
                               allowed_scopes=NEW_APP_SCOPES)
XERO_CONFIDENTIAL = ClientRegistration("XEROWEBCLIENT", "xero-web-secret", (REDIRECT,), "Web app")
QBO_SCOPE = "com.intuit.quickbooks.accounting openid"
XERO_SCOPE = "offline_access openid accounting.settings accounting.manualjournals"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_url(base: str, path: str, client_id: str, scope: str, *, state: str = "st-1",
                  challenge: str | None = None, redirect_uri: str = REDIRECT) -> str:
    params = {"client_id": client_id, "response_type": "code", "scope": scope,
              "redirect_uri": redirect_uri, "state": state}
    if challenge is not None:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return f"{base}{path}?{urlencode(params)}"


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def qbo(clock: FakeClock) -> Iterator[QboSandbox]:
    with QboSandbox(clock=clock, clients=[QBO_CLIENT], api=FallbackQboApi(),
                    companies={"4620816365": "Maple Street Bakery"}
                    ) as server:
        yield server


@pytest.fixture
def xero(clock: FakeClock) -> Iterator[XeroSandbox]:
    with XeroSandbox(clock=clock, clients=[XERO_PKCE, XERO_CONFIDENTIAL],
                     api=FallbackXeroApi()) as server:
        yield server


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    """One client for the session: building an httpx client loads CA certificates (~50 ms)."""
    with httpx.Client(timeout=10) as client:
        yield client


@pytest.fixture
def browser(http: httpx.Client) -> Iterator[ConsentBrowser]:
    with ConsentBrowser(http) as driver:
        yield driver

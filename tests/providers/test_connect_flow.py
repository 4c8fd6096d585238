"""End to end: the real connect flow against the QBO and Xero sandboxes, driven by a scripted
browser (it opens the consent URL, submits the consent form and follows the redirect to our
loopback listener)."""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from bookkeeper_desktop.core.errors import (
    AuthorizationDenied,
    Cancelled,
    ConfigurationError,
    KeychainUnavailable,
)
from bookkeeper_desktop.providers.config import Provider, ProviderConfig
from bookkeeper_desktop.providers.connect import (
    ConnectFlow,
    Tenant,
    TenantChoiceNeeded,
    tenant_by_name,
)
from bookkeeper_desktop.providers.connections import ConnectionState, MemoryConnectionStore
from bookkeeper_desktop.providers.keychain import ENTRY_LIMIT, Keychain
from bookkeeper_desktop.providers.loopback import AuthorizationTimedOut
from bookkeeper_desktop.sandbox.oauth import fingerprint
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.sandbox.xero_server import DEMO_ORGANISATIONS, XeroSandbox

from .conftest import COMPANY, MemoryKeyring, ScriptedBrowser, connect, with_param


def test_qbo_connect_stores_refresh_token_and_company(
        qbo_sandbox: QboSandbox, qbo_config: ProviderConfig, keychain: Keychain,
        memory_keyring: MemoryKeyring, store: MemoryConnectionStore) -> None:
    browser = ScriptedBrowser()
    result = connect(qbo_config, keychain, store, browser)

    assert result.connection.company_name == "Craig's Design and Landscaping Services"
    assert result.connection.tenant_id == "9341453050071366"
    assert result.connection.status is ConnectionState.CONNECTED
    assert result.browser_opened
    assert "Demo sandbox" in result.message
    # The browser saw the closing page from our listener.
    assert browser.last_page[1] == 200
    assert "You can close this window and return to Bookkeeper Desktop" in browser.last_page[2]
    # The authorize URL carried state and PKCE S256.
    query = parse_qs(urlsplit(browser.opened[0]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["state"][0]) >= 32
    assert query["scope"] == ["com.intuit.quickbooks.accounting"]
    # The keychain holds the sign-in the sandbox issued (refresh and access token), in entries
    # of this company and provider that each fit Windows Credential Manager's limit.
    stored = keychain.load_token(COMPANY, Provider.QBO)
    assert stored is not None
    assert fingerprint(stored.refresh_token) in qbo_sandbox.oauth.refresh_tokens
    assert stored.access_token is not None
    assert fingerprint(stored.access_token) in qbo_sandbox.oauth.access_tokens
    assert all(service == "bookkeeper-desktop" and user.startswith(f"company-{COMPANY}/qbo")
               for service, user in memory_keyring.entries)
    assert all(len(v) <= ENTRY_LIMIT for v in memory_keyring.entries.values())
    saved = store.get(COMPANY, Provider.QBO)
    assert saved == result.connection
    assert qbo_sandbox.token_grant_counts() == {"authorization_code": 1}


def test_xero_pkce_connect_with_one_organisation(keychain: Keychain,
                                                 store: MemoryConnectionStore) -> None:
    from bookkeeper_desktop.providers.config import load_config

    from .conftest import sandbox_env

    with XeroSandbox(limits=False, organisations={"t-1": "Harbourside Bakery Ltd"}) as xero:
        config = load_config("xero", env=sandbox_env(xero=xero))
        assert config.client_secret is None  # a PKCE app: no secret anywhere
        result = connect(config, keychain, store, ScriptedBrowser())
        assert result.connection.tenant_id == "t-1"
        assert result.connection.company_name == "Harbourside Bakery Ltd"
        stored = keychain.load_token(COMPANY, Provider.XERO)
        assert stored is not None
        connection_id = xero.connections_of(config.client_id)[0].id
        assert stored.metadata["connection_id"] == connection_id
        assert "offline_access" in result.connection.scopes


def test_xero_several_organisations_the_user_picks_one(
        xero_sandbox: XeroSandbox, xero_config: ProviderConfig, keychain: Keychain,
        store: MemoryConnectionStore) -> None:
    offered: list[Tenant] = []

    def choose(tenants: list[Tenant]) -> Tenant:
        offered.extend(tenants)
        return next(t for t in tenants if t.name == "Kowhai Landscaping Ltd")

    browser = ScriptedBrowser(choose=list(DEMO_ORGANISATIONS))  # tick all three
    result = connect(xero_config, keychain, store, browser, choose_tenant=choose)
    assert sorted(t.name for t in offered) == sorted(DEMO_ORGANISATIONS.values())
    assert result.connection.company_name == "Kowhai Landscaping Ltd"
    assert result.connection.tenant_id == "c5d7e9f1-2a4b-4c6d-8e0f-1a3b5c7d9e2f"


def test_xero_several_organisations_by_name_and_without_a_choice(
        xero_sandbox: XeroSandbox, xero_config: ProviderConfig, keychain: Keychain,
        store: MemoryConnectionStore) -> None:
    everything = list(DEMO_ORGANISATIONS)
    result = connect(xero_config, keychain, store, ScriptedBrowser(choose=everything),
                     choose_tenant=tenant_by_name("harbourside bakery ltd"))
    assert result.connection.company_name == "Harbourside Bakery Ltd"

    with pytest.raises(TenantChoiceNeeded) as caught:
        connect(xero_config, keychain, store, ScriptedBrowser(choose=everything))
    assert len(caught.value.tenants) == 3
    assert "Kowhai Landscaping Ltd" in str(caught.value)

    with pytest.raises(ConfigurationError, match="Nowhere Ltd"):
        connect(xero_config, keychain, store, ScriptedBrowser(choose=everything),
                choose_tenant=tenant_by_name("Nowhere Ltd"))


def test_deny_raises_authorization_denied_and_stores_nothing(
        qbo_sandbox: QboSandbox, qbo_config: ProviderConfig, keychain: Keychain,
        memory_keyring: MemoryKeyring, store: MemoryConnectionStore) -> None:
    browser = ScriptedBrowser(decision="deny")
    with pytest.raises(AuthorizationDenied):
        connect(qbo_config, keychain, store, browser)
    assert "return to Bookkeeper Desktop" in browser.last_page[2]
    assert memory_keyring.entries == {}
    assert store.get(COMPANY, Provider.QBO) is None
    assert qbo_sandbox.token_grant_counts() == {}


def test_wrong_state_is_refused_and_the_real_redirect_still_completes(
        xero_sandbox: XeroSandbox, xero_config: ProviderConfig, keychain: Keychain,
        store: MemoryConnectionStore) -> None:
    import httpx

    forged: list[tuple[int, str]] = []

    def forge(location: str) -> None:
        answer = httpx.get(with_param(location, state="forged-state"))
        forged.append((answer.status_code, answer.text))

    result = connect(xero_config, keychain, store, ScriptedBrowser(before_redirect=forge))
    assert forged[0][0] == 400
    assert "does not match" in forged[0][1]
    assert result.connection.company_name


def test_only_a_wrong_state_arrives_so_the_flow_times_out(
        qbo_sandbox: QboSandbox, qbo_config: ProviderConfig, keychain: Keychain,
        store: MemoryConnectionStore) -> None:
    browser = ScriptedBrowser(tamper=lambda url: with_param(url, state="someone-else"))
    started = time.monotonic()
    with pytest.raises(AuthorizationTimedOut, match=r"within 0\.5 seconds"):
        connect(qbo_config, keychain, store, browser, timeout=0.5)
    assert time.monotonic() - started < 5
    assert browser.last_page[1] == 400
    assert qbo_sandbox.token_grant_counts() == {}  # the code was never exchanged
    assert store.get(COMPANY, Provider.QBO) is None


def test_nobody_answers_timeout(qbo_config: ProviderConfig, keychain: Keychain,
                                store: MemoryConnectionStore) -> None:
    browser = ScriptedBrowser(act=False)
    with pytest.raises(AuthorizationTimedOut) as caught:
        connect(qbo_config, keychain, store, browser, timeout=0.3)
    assert caught.value.hint
    assert "copy the address" in caught.value.hint
    assert browser.opened  # the URL was handed to the browser


def test_cancel_while_waiting_for_the_browser(qbo_config: ProviderConfig, keychain: Keychain,
                                              store: MemoryConnectionStore) -> None:
    flow = ConnectFlow(COMPANY, qbo_config, keychain=keychain, store=store,
                       open_browser=ScriptedBrowser(act=False), timeout=30)
    request = flow.start()
    assert request.url.startswith(qbo_config.endpoints.authorize)
    assert flow.listener is not None
    port = flow.listener.port
    timer = threading.Timer(0.2, flow.cancel)
    timer.start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        flow.wait()
    assert time.monotonic() - started < 5
    # The port is free again.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


def test_port_in_use_is_reported_before_the_browser_opens(
        qbo_sandbox: QboSandbox, keychain: Keychain, store: MemoryConnectionStore) -> None:
    from bookkeeper_desktop.providers.config import load_config

    from .conftest import sandbox_env

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = load_config("qbo", env=sandbox_env(qbo=qbo_sandbox, port=port))
        browser = ScriptedBrowser()
        with pytest.raises(ConfigurationError) as caught:
            connect(config, keychain, store, browser)
    assert f"Port {port}" in caught.value.message
    assert caught.value.hint
    assert "Redirect port" in caught.value.hint
    assert browser.opened == []


def test_a_browser_that_cannot_open_still_leaves_the_url_to_copy(
        qbo_config: ProviderConfig, keychain: Keychain, store: MemoryConnectionStore) -> None:
    def broken_browser(url: str) -> bool:
        raise OSError("no browser")

    flow = ConnectFlow(COMPANY, qbo_config, keychain=keychain, store=store,
                       open_browser=broken_browser, timeout=10)
    request = flow.start()
    assert not flow.browser_opened
    # The user copies the URL into a browser by hand.
    ScriptedBrowser()(request.url)
    result = flow.wait()
    assert not result.browser_opened
    assert result.connection.company_name


def test_no_keychain_means_no_consent_and_no_connection(
        qbo_sandbox: QboSandbox, qbo_config: ProviderConfig,
        store: MemoryConnectionStore) -> None:
    from keyring.backends import fail

    browser = ScriptedBrowser()
    with pytest.raises(KeychainUnavailable) as caught:
        connect(qbo_config, Keychain(fail.Keyring()), store, browser)
    assert "keychain" in caught.value.message
    assert caught.value.hint
    assert "Nothing was saved to a file" in caught.value.hint
    assert browser.opened == []
    assert store.get(COMPANY, Provider.QBO) is None


def test_keychain_failing_after_consent_revokes_the_fresh_grant(
        qbo_sandbox: QboSandbox, qbo_config: ProviderConfig, memory_keyring: MemoryKeyring,
        store: MemoryConnectionStore) -> None:
    keychain = Keychain(memory_keyring)

    class LockingBrowser(ScriptedBrowser):
        def __call__(self, url: str) -> bool:
            result = super().__call__(url)
            memory_keyring.fail_writes = True  # the keychain locks while the user consents
            return result

    with pytest.raises(KeychainUnavailable):
        connect(qbo_config, keychain, store, LockingBrowser())
    assert store.get(COMPANY, Provider.QBO) is None
    grants = list(qbo_sandbox.oauth.grants.values())
    assert len(grants) == 1
    assert grants[0].revoked_at is not None


def test_the_redirect_uri_with_a_fixed_port_is_sent_exactly(
        qbo_sandbox: QboSandbox, keychain: Keychain, store: MemoryConnectionStore) -> None:
    from bookkeeper_desktop.providers.config import load_config

    from .conftest import sandbox_env

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = load_config("qbo", env=sandbox_env(qbo=qbo_sandbox, port=port))
    browser = ScriptedBrowser()
    connect(config, keychain, store, browser)
    query = parse_qs(urlsplit(browser.opened[0]).query)
    assert query["redirect_uri"] == [f"http://localhost:{port}/callback"]


def test_xero_choice_after_the_consent_finishes_without_a_second_consent(
        xero_sandbox: XeroSandbox, xero_config: ProviderConfig, keychain: Keychain,
        store: MemoryConnectionStore) -> None:
    """The GUI's "choose organisation" step: wait() reports the choice, choose() finishes."""
    flow = ConnectFlow(COMPANY, xero_config, keychain=keychain, store=store,
                       open_browser=ScriptedBrowser(choose=list(DEMO_ORGANISATIONS)), timeout=10)
    flow.start()
    with pytest.raises(TenantChoiceNeeded) as caught:
        flow.wait()
    assert store.get(COMPANY, Provider.XERO) is None  # nothing saved until the user picks
    with pytest.raises(ConfigurationError):
        flow.choose(Tenant("other", "Other Ltd", "c"))
    bakery = next(t for t in caught.value.tenants if t.name == "Harbourside Bakery Ltd")
    result = flow.choose(bakery)
    assert result.connection.company_name == "Harbourside Bakery Ltd"
    assert xero_sandbox.token_grant_counts() == {"authorization_code": 1}
    stored = keychain.load_token(COMPANY, Provider.XERO)
    assert stored is not None
    assert stored.metadata["connection_id"] == bakery.connection_id


def test_xero_abandoned_choice_revokes_the_consent(
        xero_sandbox: XeroSandbox, xero_config: ProviderConfig, keychain: Keychain,
        store: MemoryConnectionStore) -> None:
    flow = ConnectFlow(COMPANY, xero_config, keychain=keychain, store=store,
                       open_browser=ScriptedBrowser(choose=list(DEMO_ORGANISATIONS)), timeout=10)
    flow.start()
    with pytest.raises(TenantChoiceNeeded):
        flow.wait()
    assert len(xero_sandbox.connections_of(xero_config.client_id)) == 3
    flow.abandon()
    assert xero_sandbox.connections_of(xero_config.client_id) == []
    assert all(g.revoked_at is not None for g in xero_sandbox.oauth.grants.values())
    with pytest.raises(RuntimeError):
        flow.choose(Tenant("t", "T", "c"))


def test_production_qbo_through_an_https_forwarding_page(keychain: Keychain,
                                                         store: MemoryConnectionStore) -> None:
    """Intuit redirects production keys only to https pages; the page forwards the browser to
    our listener (port from Settings), and the token request names the https page."""
    from bookkeeper_desktop.providers.config import load_config
    from bookkeeper_desktop.sandbox.oauth import ClientRegistration
    from bookkeeper_desktop.settings import Settings

    forward_page = "https://books.example.com/bookkeeper/callback.html"
    client = ClientRegistration(client_id="prod-app", client_secret="prod-secret",
                                redirect_uris=(forward_page,))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with QboSandbox(limits=False, clients=[client]) as qbo:
        settings = Settings().with_values({"qbo/redirect_port": port})
        config = load_config("qbo", settings, env={
            "QBO_CLIENT_ID": "prod-app", "QBO_CLIENT_SECRET": "prod-secret",
            "QBO_REDIRECT_URI": forward_page, "BOOKKEEPER_SANDBOX_QBO_URL": qbo.base_url})
        assert config.forwards_redirect
        assert config.listen_port == port

        def forwarding_page(location: str) -> str:
            # What the page's `location.replace("http://localhost:PORT/callback" + search)` does.
            assert location.startswith(forward_page + "?")
            return f"http://localhost:{port}/callback?" + location.split("?", 1)[1]

        browser = ScriptedBrowser(tamper=forwarding_page)
        result = connect(config, keychain, store, browser)
    assert result.connection.company_name == "Craig's Design and Landscaping Services"
    assert parse_qs(urlsplit(browser.opened[0]).query)["redirect_uri"] == [forward_page]
    assert "You can close this window" in browser.last_page[2]


def test_a_failure_after_the_code_exchange_revokes_the_fresh_grant(
        qbo_sandbox: QboSandbox, qbo_config: ProviderConfig, keychain: Keychain,
        memory_keyring: MemoryKeyring, store: MemoryConnectionStore) -> None:
    from bookkeeper_desktop.core.errors import NetworkError

    qbo_sandbox.fail_next(1, status=503, path="/v3/company/9341453050071366/companyinfo/"
                                              "9341453050071366")
    with pytest.raises(NetworkError):
        connect(qbo_config, keychain, store, ScriptedBrowser())
    assert memory_keyring.entries == {}
    assert store.get(COMPANY, Provider.QBO) is None
    grants = list(qbo_sandbox.oauth.grants.values())
    assert len(grants) == 1
    assert grants[0].revoked_at is not None


def test_cancel_after_the_redirect_revokes_the_fresh_grant(
        xero_sandbox: XeroSandbox, xero_config: ProviderConfig, keychain: Keychain,
        memory_keyring: MemoryKeyring, store: MemoryConnectionStore) -> None:
    xero_sandbox.inject_latency(1.0, path="/connections", count=1)
    flow = ConnectFlow(COMPANY, xero_config, keychain=keychain, store=store,
                       open_browser=ScriptedBrowser(), timeout=10)
    flow.start()  # the scripted browser has already been through the consent page
    threading.Timer(0.3, flow.cancel).start()  # while the organisations are being read
    with pytest.raises(Cancelled):
        flow.wait()
    assert memory_keyring.entries == {}
    assert store.get(COMPANY, Provider.XERO) is None
    assert all(g.revoked_at is not None for g in xero_sandbox.oauth.grants.values())
    assert xero_sandbox.connections_of(xero_config.client_id) == []

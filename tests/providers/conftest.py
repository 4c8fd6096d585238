"""Shared pieces of the providers tests: an in-memory keyring backend that enforces Windows'
1,280-character entry limit, the two sandbox servers on loopback, provider configurations pointed
at them, and a scripted browser that does what a user does on the consent page."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import keyring.errors
import pytest
from keyring.backend import KeyringBackend

from bookkeeper_desktop.providers.config import ProviderConfig, load_config
from bookkeeper_desktop.providers.connect import ConnectFlow, ConnectResult, TenantChooser
from bookkeeper_desktop.providers.connections import MemoryConnectionStore
from bookkeeper_desktop.providers.keychain import ENTRY_LIMIT, Keychain
from bookkeeper_desktop.providers.oauth import tls_context
from bookkeeper_desktop.sandbox.browser import ConsentBrowser
from bookkeeper_desktop.sandbox.qbo_server import DEMO_QBO_CLIENT, QboSandbox
from bookkeeper_desktop.sandbox.xero_server import DEMO_XERO_CLIENT, XeroSandbox

COMPANY = 7


class MemoryKeyring(KeyringBackend):
    """A real `KeyringBackend` holding entries in a dict. Like Windows Credential Manager, it
    refuses a value longer than 1,280 characters (keyring #540: error 1783)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, limit: int = ENTRY_LIMIT) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.limit = limit
        self.writes: list[str] = []
        self.fail_writes = False
        #: When set, this many more writes succeed, then every write fails (a keychain locked
        #: in the middle of a refresh).
        self.writes_left: int | None = None
        self.lock = threading.Lock()

    def get_password(self, service: str, username: str) -> str | None:
        with self.lock:
            return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.writes_left is not None:
            if self.writes_left == 0:
                self.fail_writes = True
            else:
                self.writes_left -= 1
        if self.fail_writes:
            raise keyring.errors.KeyringLocked("Collection is locked")
        if len(password) > self.limit:
            raise keyring.errors.PasswordSetError(
                "(1783, 'CredWrite', 'The stub received bad data.')")
        with self.lock:
            self.entries[(service, username)] = password
            self.writes.append(username)

    def delete_password(self, service: str, username: str) -> None:
        with self.lock:
            if (service, username) not in self.entries:
                raise keyring.errors.PasswordDeleteError("not found")
            del self.entries[(service, username)]


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def keychain(memory_keyring: MemoryKeyring) -> Keychain:
    return Keychain(memory_keyring)


@pytest.fixture
def store() -> MemoryConnectionStore:
    return MemoryConnectionStore()


@pytest.fixture
def qbo_sandbox() -> Iterator[QboSandbox]:
    with QboSandbox(limits=False) as sandbox:
        yield sandbox


@pytest.fixture
def xero_sandbox() -> Iterator[XeroSandbox]:
    with XeroSandbox(limits=False) as sandbox:
        yield sandbox


def sandbox_env(qbo: QboSandbox | None = None, xero: XeroSandbox | None = None,
                port: int = 0) -> dict[str, str]:
    """The seed's environment variables for the demo apps, pointed at the sandboxes."""
    env: dict[str, str] = {}
    if qbo is not None:
        env |= {"QBO_CLIENT_ID": DEMO_QBO_CLIENT.client_id,
                "QBO_CLIENT_SECRET": DEMO_QBO_CLIENT.client_secret or "",
                "QBO_REDIRECT_URI": f"http://localhost:{port}/callback",
                "BOOKKEEPER_SANDBOX_QBO_URL": qbo.base_url}
    if xero is not None:
        env |= {"XERO_CLIENT_ID": DEMO_XERO_CLIENT.client_id,
                "XERO_REDIRECT_URI": f"http://localhost:{port}/callback",
                "BOOKKEEPER_SANDBOX_XERO_URL": xero.base_url}
    return env


@pytest.fixture
def qbo_config(qbo_sandbox: QboSandbox) -> ProviderConfig:
    return load_config("qbo", env=sandbox_env(qbo=qbo_sandbox))


@pytest.fixture
def xero_config(xero_sandbox: XeroSandbox) -> ProviderConfig:
    return load_config("xero", env=sandbox_env(xero=xero_sandbox))


# -- the scripted browser ---------------------------------------------------------------------


@dataclass
class ScriptedBrowser:
    """Plays the user: opens the consent URL, submits the consent form with `decision`, ticks
    `choose` (values or labels; default what the page pre-selects, else the first), through the
    sandbox's `ConsentBrowser`, then follows the redirect to our listener.

    `before_redirect(url)` may send extra requests to the listener first (forged ones);
    `tamper(url) -> url` changes the redirect target (wrong state). `pages` records every
    (url, status, text) the browser saw; `opened` every URL it was asked to open."""

    decision: str = "allow"
    choose: Sequence[str] | None = None
    before_redirect: Callable[[str], None] | None = None
    tamper: Callable[[str], str] | None = None
    act: bool = True
    opened: list[str] = field(default_factory=list)
    pages: list[tuple[str, int, str]] = field(default_factory=list)
    error: BaseException | None = None

    def __call__(self, url: str) -> bool:
        self.opened.append(url)
        if not self.act:
            return True
        try:
            self._run(url)
        except BaseException as exc:  # surfaced by the test through `error`
            self.error = exc
            raise
        return True

    def _run(self, url: str) -> None:
        with httpx.Client(follow_redirects=False, timeout=10, verify=tls_context()) as client:
            browser = ConsentBrowser(client)
            location = browser.consent(url, self.decision, self.choose)
            self.pages.append((url, 302, location))
            self._follow(client, location)

    def _follow(self, client: httpx.Client, location: str) -> None:
        if self.before_redirect is not None:
            self.before_redirect(location)
        if self.tamper is not None:
            location = self.tamper(location)
        # Follow on: a forwarding page (the publisher's relay) redirects again to the listener.
        final = client.get(location, follow_redirects=True)
        self.pages.append((location, final.status_code, final.text))

    @property
    def last_page(self) -> tuple[str, int, str]:
        return self.pages[-1]


def with_param(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True)) | changes
    return urlunsplit(parts._replace(query=urlencode(query)))


def connect(config: ProviderConfig, keychain: Keychain, store: MemoryConnectionStore,
            browser: ScriptedBrowser, *, choose_tenant: TenantChooser | None = None,
            timeout: float = 10.0, **kwargs: Any) -> ConnectResult:
    flow = ConnectFlow(COMPANY, config, keychain=keychain, store=store, open_browser=browser,
                       choose_tenant=choose_tenant, timeout=timeout, **kwargs)
    return flow.run()

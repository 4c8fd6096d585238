"""End to end: the desktop app connects, refreshes and revokes QuickBooks Online through the
publisher's relay in front of the QBO sandbox, configured only by a publisher file — no client
secret anywhere in the app. The relay runs as the publisher runs it, its own process started with
`python -m bookkeeper_relay`; afterwards its log (and the app's) is searched for every secret that
went by."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bookkeeper_desktop.core.errors import ReconnectNeeded
from bookkeeper_desktop.providers.config import Provider, load_config
from bookkeeper_desktop.providers.connect import ConnectFlow
from bookkeeper_desktop.providers.connections import ConnectionState, MemoryConnectionStore
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.providers.oauth import OAuthClient
from bookkeeper_desktop.providers.publisher import PUBLISHER_FILE_ENV
from bookkeeper_desktop.sandbox.oauth import ClientRegistration
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.settings import Settings
from tests.providers.conftest import COMPANY, MemoryKeyring, ScriptedBrowser

PUBLISHER_APP = ClientRegistration(
    client_id="ABpublisherExampleBooksProductionClientId0001",
    client_secret="publisher-secret-kept-on-the-relay-only",
    redirect_uris=(),  # the relay's callback, registered once the relay's port is known
    name="Example Books",
)


@dataclass
class RelayProcess:
    url: str
    log_file: Path

    @property
    def log(self) -> str:
        return self.log_file.read_text(encoding="utf-8")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def relay(qbo_sandbox: QboSandbox, tmp_path: Path) -> Iterator[RelayProcess]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # As the publisher does at developer.intuit.com: the relay's page is the redirect URI.
    qbo_sandbox.register_client(ClientRegistration(
        PUBLISHER_APP.client_id, PUBLISHER_APP.client_secret, (url + "/qbo/callback",),
        PUBLISHER_APP.name))
    secret_file = tmp_path / "qbo_client_secret"
    secret_file.write_text(PUBLISHER_APP.client_secret or "", encoding="utf-8")
    env = {**os.environ, "RELAY_QBO_CLIENT_ID": PUBLISHER_APP.client_id,
           "RELAY_QBO_CLIENT_SECRET_FILE": str(secret_file),
           "RELAY_QBO_TOKEN_URL": qbo_sandbox.base_url + "/oauth2/v1/tokens/bearer",
           "RELAY_QBO_REVOKE_URL": qbo_sandbox.base_url + "/v2/oauth2/tokens/revoke",
           "RELAY_HOST": "127.0.0.1", "RELAY_PORT": str(port)}
    log_file = tmp_path / "relay.log"
    with log_file.open("w", encoding="utf-8") as log:
        process = subprocess.Popen([sys.executable, "-m", "bookkeeper_relay"], env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log_file.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "the relay did not start"
            time.sleep(0.1)
        yield RelayProcess(url, log_file)
    finally:
        process.terminate()
        process.wait(timeout=10)


def write_publisher_file(folder: Path, relay_url: str) -> Path:
    path = folder / "publisher.toml"
    path.write_text(
        'name = "Example Books"\n[qbo]\n'
        f'client_id = "{PUBLISHER_APP.client_id}"\nrelay_url = "{relay_url}"\n'
        'environment = "production"\n', encoding="utf-8")
    return path


def test_connect_refresh_and_revoke_through_the_relay_with_nothing_secret_in_the_logs(
        qbo_sandbox: QboSandbox, relay: RelayProcess, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    relay_url = relay.url
    env = {PUBLISHER_FILE_ENV: str(write_publisher_file(tmp_path, relay_url)),
           "BOOKKEEPER_SANDBOX_QBO_URL": qbo_sandbox.base_url}
    config = load_config("qbo", Settings(), env=env)
    assert config.client_id == PUBLISHER_APP.client_id
    assert config.client_secret is None
    assert config.publisher_name == "Example Books"
    assert config.endpoints.token == relay_url + "/qbo/token"
    assert config.endpoints.revoke == relay_url + "/qbo/revoke"
    assert config.redirect_uri == relay_url + "/qbo/callback"

    memory = MemoryKeyring()
    keychain, store = Keychain(memory), MemoryConnectionStore()
    browser = ScriptedBrowser()
    flow = ConnectFlow(COMPANY, config, keychain=keychain, store=store, open_browser=browser,
                       timeout=10.0)
    result = flow.run()

    # Connected, to the company chosen on Intuit's (the sandbox's) page.
    assert result.connection.company_name == "Craig's Design and Landscaping Services"
    assert result.connection.status is ConnectionState.CONNECTED
    # The consent went to Intuit with the relay's page as redirect and PKCE; state carried the
    # listener's port, and the relay forwarded the browser to that port on 127.0.0.1.
    authorize = parse_qs(urlsplit(browser.opened[0]).query)
    assert authorize["redirect_uri"] == [relay_url + "/qbo/callback"]
    assert authorize["code_challenge_method"] == ["S256"]
    state = authorize["state"][0]
    port = int(state.split(".", 1)[0])
    forwarded, status, page = browser.last_page
    assert forwarded.startswith(relay_url + "/qbo/callback?")
    assert status == 200
    assert "You can close this window" in page
    code = parse_qs(urlsplit(forwarded).query)["code"][0]
    assert port > 1024
    first = keychain.load_token(COMPANY, Provider.QBO)
    assert first is not None

    # Refresh through the relay: Intuit rotates the refresh token; the new one is saved.
    manager = flow.manager
    assert manager is not None
    access = manager.force_refresh()
    second = keychain.load_token(COMPANY, Provider.QBO)
    assert second is not None
    assert second.refresh_token != first.refresh_token
    assert qbo_sandbox.token_grant_counts() == {"authorization_code": 1, "refresh_token": 1}

    # Disconnect revokes through the relay: the grant is dead at Intuit.
    outcome = manager.disconnect()
    assert outcome.revoked, outcome.message
    assert keychain.load_token(COMPANY, Provider.QBO) is None
    with pytest.raises(ReconnectNeeded):
        OAuthClient(config).refresh(second.refresh_token)

    # The relay's log (its own lines, uvicorn's, httpx's) and the app's hold none of what went
    # by. (The scripted browser's httpx log is left out: in real life that is the user's browser.)
    app_log = "\n".join(record.getMessage() for record in caplog.records
                        if record.name.startswith("bookkeeper"))
    logs = relay.log + app_log
    assert "POST /qbo/token 200" in logs
    assert "POST /qbo/revoke 200" in logs
    assert "GET /qbo/callback 303" in logs
    for secret in (PUBLISHER_APP.client_secret, code, state, state.split(".", 1)[1],
                   first.refresh_token, second.refresh_token, access):
        assert secret
        assert secret not in logs



def test_the_command_line_connects_and_disconnects_through_the_relay_too(
        qbo_sandbox: QboSandbox, relay: RelayProcess, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`bookkeeper connect qbo` reads the same publisher file (PRODUCT.md §6: one configuration
    for both faces)."""
    import io

    import keyring

    from bookkeeper_desktop.cli.main import main
    from bookkeeper_desktop.services import companies
    from bookkeeper_desktop.storage.engine import open_database
    from tests.cli.test_connect_cli import Running

    for name in ("QBO_CLIENT_ID", "QBO_CLIENT_SECRET", "QBO_REDIRECT_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(PUBLISHER_FILE_ENV, str(write_publisher_file(tmp_path, relay.url)))
    monkeypatch.setenv("BOOKKEEPER_SANDBOX_QBO_URL", qbo_sandbox.base_url)
    db_url = f"sqlite:///{tmp_path / 'books.sqlite'}"
    db = open_database(db_url)
    companies.create_company(db, "Acme Books")
    db.close()
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        run = Running(["--db", db_url, "connect", "qbo", "--no-browser", "--timeout", "20"])
        url = run.url_line()
        assert parse_qs(urlsplit(url).query)["client_id"] == [PUBLISHER_APP.client_id]
        ScriptedBrowser()(url)
        assert run.finish() == 0, run.err.getvalue()
        assert "Connected to Craig's Design and Landscaping Services" in run.out.getvalue()
        out, err = io.StringIO(), io.StringIO()
        assert main(["--db", db_url, "disconnect", "qbo"], out=out, err=err) == 0
        assert "access was revoked" in out.getvalue(), err.getvalue()
    finally:
        keyring.set_keyring(previous)
    assert "POST /qbo/revoke 200" in relay.log

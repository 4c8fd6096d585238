"""`demo_environment` points the whole connect stack at the `--demo` sandboxes (with their state
file), so Connect works with no Intuit or Xero account, and a connection survives a restart of the
sandboxes."""

from __future__ import annotations

from pathlib import Path

from bookkeeper_desktop.providers.config import Provider, demo_environment, load_config
from bookkeeper_desktop.providers.connections import MemoryConnectionStore
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.providers.tokens import TokenManager
from bookkeeper_desktop.sandbox.demo import DemoSandboxes

from .conftest import COMPANY, ScriptedBrowser, connect


def test_demo_sandboxes_connect_both_and_survive_a_restart(
        tmp_path: Path, keychain: Keychain, store: MemoryConnectionStore) -> None:
    state = tmp_path / "demo.json"
    with DemoSandboxes(state, port_qbo=0, port_xero=0, limits=False) as demo:
        endpoints = demo.start()
        env = demo_environment(qbo_url=endpoints.qbo_url, xero_url=endpoints.xero_url,
                               qbo_client_id=endpoints.qbo_client_id,
                               qbo_client_secret=endpoints.qbo_client_secret,
                               xero_client_id=endpoints.xero_client_id)
        qbo = load_config("qbo", env=env)
        xero = load_config("xero", env=env)
        assert qbo.is_sandbox
        assert xero.is_sandbox
        assert xero.client_secret is None
        connected_qbo = connect(qbo, keychain, store, ScriptedBrowser())
        connected_xero = connect(xero, keychain, store, ScriptedBrowser(),
                                 choose_tenant=lambda tenants: tenants[0])
        assert "Demo sandbox" in connected_qbo.message
        assert connected_xero.connection.company_name
    # A second start (a restart of the app) keeps the grant: the saved refresh token still works.
    with DemoSandboxes(state, port_qbo=0, port_xero=0, limits=False) as demo:
        endpoints = demo.start()
        env = demo_environment(qbo_url=endpoints.qbo_url, xero_url=endpoints.xero_url,
                               qbo_client_id=endpoints.qbo_client_id,
                               qbo_client_secret=endpoints.qbo_client_secret,
                               xero_client_id=endpoints.xero_client_id)
        for provider in (Provider.QBO, Provider.XERO):
            manager = TokenManager(COMPANY, load_config(provider, env=env), keychain=keychain,
                                   store=store)
            assert manager.access_token()


def test_demo_connects_xero_through_a_demo_publisher_file_never_the_installers(
        tmp_path: Path, keychain: Keychain, store: MemoryConnectionStore) -> None:
    from bookkeeper_desktop.providers.config import DEMO_PUBLISHER_NAME
    from bookkeeper_desktop.providers.publisher import PUBLISHER_FILE_ENV

    with DemoSandboxes(None, port_qbo=0, port_xero=0, limits=False) as demo:
        endpoints = demo.start()
        env = demo_environment(qbo_url=endpoints.qbo_url, xero_url=endpoints.xero_url,
                               qbo_client_id=endpoints.qbo_client_id,
                               qbo_client_secret=endpoints.qbo_client_secret,
                               xero_client_id=endpoints.xero_client_id,
                               publisher_file=tmp_path / "demo" / "publisher.toml")
        assert "XERO_CLIENT_ID" not in env
        assert env[PUBLISHER_FILE_ENV] == str(tmp_path / "demo" / "publisher.toml")
        xero = load_config("xero", env=env)
        assert xero.publisher_name == DEMO_PUBLISHER_NAME
        assert xero.client_id == endpoints.xero_client_id
        connected = connect(xero, keychain, store, ScriptedBrowser(),
                            choose_tenant=lambda tenants: tenants[0])
        assert "Demo sandbox" in connected.message
        # QBO's demo app is development keys from the environment, not a publisher relay.
        qbo = load_config("qbo", env=env)
        assert qbo.relay_url is None
        assert qbo.endpoints.token.startswith(endpoints.qbo_url)
    # Without a demo publisher file, the installer's own is switched off all the same.
    plain = demo_environment(qbo_url="http://127.0.0.1:1", xero_url="http://127.0.0.1:2",
                             qbo_client_id="q", qbo_client_secret="s", xero_client_id="x")
    assert plain[PUBLISHER_FILE_ENV] == ""

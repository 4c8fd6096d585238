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

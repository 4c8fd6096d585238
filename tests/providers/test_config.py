"""Provider configuration from Settings, the seed's environment variables and the keychain."""

from __future__ import annotations

import pytest

from bookkeeper_desktop.core.errors import ConfigurationError
from bookkeeper_desktop.providers.config import (
    QBO_AUTHORIZE,
    QBO_DISCOVERY_PRODUCTION,
    QBO_DISCOVERY_SANDBOX,
    QBO_REVOKE,
    QBO_TOKEN,
    XERO_BROAD_SCOPES,
    XERO_GRANULAR_SCOPES,
    Provider,
    load_config,
    parse_provider,
)
from bookkeeper_desktop.settings import Settings


def test_missing_client_id_says_where_to_set_it() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_config("qbo", Settings(), env={})
    assert "No client ID" in caught.value.message
    assert caught.value.hint
    assert "Settings → QuickBooks Online → Client ID" in caught.value.hint
    assert "QBO_CLIENT_ID" in caught.value.hint
    with pytest.raises(ConfigurationError, match="XERO_CLIENT_ID"):
        load_config("xero", env={})


def test_qbo_needs_a_secret_from_the_environment_or_the_keychain() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_config("qbo", env={"QBO_CLIENT_ID": "id"})
    assert caught.value.hint
    assert "keychain" in caught.value.hint
    config = load_config("qbo", env={"QBO_CLIENT_ID": "id"},
                         secret_lookup=lambda p: "from-keychain" if p is Provider.QBO else None)
    assert config.client_secret == "from-keychain"
    config = load_config("qbo", env={"QBO_CLIENT_ID": "id", "QBO_CLIENT_SECRET": "env"},
                         secret_lookup=lambda p: "from-keychain")
    assert config.client_secret == "env"


def test_qbo_defaults_from_settings() -> None:
    settings = Settings().with_values({"qbo/client_id": "from-settings", "qbo/redirect_port": 9001})
    config = load_config("qbo", settings, env={}, secret_lookup=lambda p: "s")
    assert config.client_id == "from-settings"
    assert config.redirect_uri == "http://localhost:9001/callback"
    assert (config.listen_port, config.callback_path) == (9001, "/callback")
    assert config.scopes == ("com.intuit.quickbooks.accounting",)
    e = config.endpoints
    assert (e.authorize, e.token, e.revoke) == (QBO_AUTHORIZE, QBO_TOKEN, QBO_REVOKE)
    assert e.api_base == "https://sandbox-quickbooks.api.intuit.com/v3"
    assert e.discovery == QBO_DISCOVERY_SANDBOX
    assert not config.is_sandbox
    assert not config.forwards_redirect
    production_settings = settings.with_values({"qbo/environment": "production"})
    with pytest.raises(ConfigurationError, match="only for development keys"):
        load_config("qbo", production_settings, env={}, secret_lookup=lambda p: "s")
    production = load_config(
        "qbo", production_settings, secret_lookup=lambda p: "s",
        env={"QBO_REDIRECT_URI": "https://example.com/bookkeeper/callback.html"})
    assert production.endpoints.api_base == "https://quickbooks.api.intuit.com/v3"
    assert production.endpoints.discovery == QBO_DISCOVERY_PRODUCTION


def test_environment_wins_over_settings() -> None:
    settings = Settings().with_values({"xero/client_id": "settings-id"})
    config = load_config("xero", settings, env={
        "XERO_CLIENT_ID": "env-id", "XERO_REDIRECT_URI": "http://localhost:7777/oauth/done"})
    assert config.client_id == "env-id"
    assert config.client_secret is None
    assert (config.listen_port, config.callback_path) == (7777, "/oauth/done")


def test_xero_scopes_granular_by_default_broad_on_request() -> None:
    env = {"XERO_CLIENT_ID": "x"}
    granular = load_config("xero", env=env)
    assert granular.scopes == XERO_GRANULAR_SCOPES
    assert "accounting.transactions" not in granular.scopes
    assert {"accounting.manualjournals", "offline_access"} <= set(granular.scopes)
    broad = load_config("xero", env=env, broad_scopes=True)
    assert broad.scopes == XERO_BROAD_SCOPES
    assert "accounting.transactions" in broad.scopes
    explicit = load_config("xero", env={**env, "XERO_SCOPES": "offline_access accounting.settings"
                                               " accounting.settings"})
    assert explicit.scopes == ("offline_access", "accounting.settings")
    e = granular.endpoints
    assert e.connections == "https://api.xero.com/connections"
    assert e.api_base == "https://api.xero.com/api.xro/2.0"
    assert e.token == "https://identity.xero.com/connect/token"


def test_production_qbo_with_an_https_forwarding_page() -> None:
    settings = Settings().with_values({"qbo/redirect_port": 8799})
    config = load_config("qbo", settings, env={
        "QBO_CLIENT_ID": "id", "QBO_CLIENT_SECRET": "s",
        "QBO_REDIRECT_URI": "https://example.com/bookkeeper/callback.html"})
    assert config.forwards_redirect
    assert config.redirect_uri == "https://example.com/bookkeeper/callback.html"
    assert (config.listen_port, config.callback_path) == (8799, "/callback")
    assert config.redirect_uri_for_port(8799) == config.redirect_uri


@pytest.mark.parametrize("uri", ["http://example.com:80/callback", "http://localhost/callback",
                                 "ftp://localhost:1/x", "not a uri"])
def test_unusable_redirect_uris(uri: str) -> None:
    with pytest.raises(ConfigurationError):
        load_config("xero", env={"XERO_CLIENT_ID": "x", "XERO_REDIRECT_URI": uri})


def test_for_sandbox_points_every_endpoint_at_the_local_server() -> None:
    qbo = load_config("qbo", env={"QBO_CLIENT_ID": "i", "QBO_CLIENT_SECRET": "s"})
    local = qbo.for_sandbox("http://127.0.0.1:5000/")
    e = local.endpoints
    assert e.discovery == "http://127.0.0.1:5000/.well-known/openid_configuration"
    assert e.authorize == "http://127.0.0.1:5000/connect/oauth2"
    assert e.token == "http://127.0.0.1:5000/oauth2/v1/tokens/bearer"
    assert e.revoke == "http://127.0.0.1:5000/v2/oauth2/tokens/revoke"
    assert e.api_base == "http://127.0.0.1:5000/v3"
    assert local.is_sandbox
    assert "Demo sandbox — no real data" in local.label
    xero = load_config("xero", env={"XERO_CLIENT_ID": "x",
                                    "BOOKKEEPER_SANDBOX_XERO_URL": "http://127.0.0.1:6000"})
    e = xero.endpoints
    assert e.authorize == "http://127.0.0.1:6000/identity/connect/authorize"
    assert e.token == "http://127.0.0.1:6000/connect/token"
    assert e.revoke == "http://127.0.0.1:6000/connect/revocation"
    assert e.connections == "http://127.0.0.1:6000/connections"
    assert e.api_base == "http://127.0.0.1:6000/api.xro/2.0"
    assert xero.is_sandbox


def test_port_zero_is_filled_in_once_bound() -> None:
    config = load_config("xero", env={"XERO_CLIENT_ID": "x",
                                      "XERO_REDIRECT_URI": "http://localhost:0/callback"})
    assert config.listen_port == 0
    assert config.redirect_uri_for_port(43210) == "http://localhost:43210/callback"


def test_repr_hides_the_secret() -> None:
    config = load_config("qbo", env={"QBO_CLIENT_ID": "i", "QBO_CLIENT_SECRET": "hunter2"})
    assert "hunter2" not in repr(config)


def test_parse_provider() -> None:
    assert parse_provider(" QBO ") is Provider.QBO
    with pytest.raises(ConfigurationError, match="sage"):
        parse_provider("sage")


def test_a_provider_code_is_named_as_users_know_it_and_an_unknown_one_is_left_as_it_is() -> None:
    assert Provider.name_of("qbo") == "QuickBooks Online"
    assert Provider.name_of("xero") == "Xero"
    # A code from a newer version's database: shown, never a crash.
    assert Provider.name_of("sage") == "sage"


def test_a_provider_code_gives_its_provider_and_an_unknown_one_none() -> None:
    assert Provider.of("qbo") is Provider.QBO
    assert Provider.of("xero") is Provider.XERO
    assert Provider.of("sage") is None

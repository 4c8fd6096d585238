"""The publisher file: parsing, where it is found, and which app `load_config` connects as."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookkeeper_desktop.core.errors import ConfigurationError
from bookkeeper_desktop.providers.config import QBO_TOKEN, load_config
from bookkeeper_desktop.providers.publisher import (
    PUBLISHER_FILE_ENV,
    load_publisher,
    parse_publisher,
    publisher_file,
)
from bookkeeper_desktop.settings import Settings

FULL = '''
name = "Example Books Ltd"
[xero]
client_id = "XEROPUBLISHED0001"
[qbo]
client_id = "ABpublished0001"
relay_url = "https://relay.example.com/"
'''
EXAMPLE = Path(__file__).resolve().parents[2] / "publisher.example.toml"


def test_the_example_file_in_the_repository_parses() -> None:
    publisher = parse_publisher(EXAMPLE.read_text(encoding="utf-8"), source=str(EXAMPLE))
    assert publisher.xero is not None
    assert publisher.qbo is not None
    assert publisher.qbo.environment == "production"


def test_defaults_the_redirect_to_the_relays_forwarder() -> None:
    publisher = parse_publisher(FULL)
    assert publisher.name == "Example Books Ltd"
    assert publisher.qbo is not None
    assert publisher.qbo.relay_url == "https://relay.example.com"
    assert publisher.qbo.redirect_uri == "https://relay.example.com/qbo/callback"


@pytest.mark.parametrize(("text", "problem"), [
    ('name = "X"\n[qbo]\nrelay_url = "https://r.example"\n', "[qbo] client_id is missing"),
    ('name = "X"\n[qbo]\nclient_id = "A"\n', "[qbo] relay_url is missing"),
    ('name = "X"\n[qbo]\nclient_id = "A"\nrelay_url = "ftp://r"\n', "not an http(s) address"),
    ('name = "X"\n[qbo]\nclient_id = "A"\nrelay_url = "https://r.example"\n'
     'client_secret = "oops"\n', "carries no secret"),
    ('name = "X"\n[xero]\nclient_id = "A"\nclient_secret = "oops"\n', "carries no secret"),
    ('[xero]\nclient_id = "A"\n', "name is missing"),
    ('name = "X"\nxero = "A"\n', "must be a [xero] table"),
    ('name = "X"\n[qbo]\nclient_id = 5\nrelay_url = "https://r.example"\n', "must be text"),
    ('name = "X"\n[qbo]\nclient_id = "A"\nrelay_url = "https://r.example"\n'
     'environment = "staging"\n', "not production or sandbox"),
])
def test_problems_are_named(text: str, problem: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_publisher(text, source="publisher.toml")
    assert problem in caught.value.message
    assert "publisher.toml" in caught.value.message


def test_broken_toml_names_the_line() -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_publisher('name = "X"\n[qbo\n', source="publisher.toml")
    assert "line 2" in caught.value.message


def test_found_through_the_environment_or_switched_off(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(FULL, encoding="utf-8")
    assert publisher_file({PUBLISHER_FILE_ENV: str(path)}) == path
    assert load_publisher({PUBLISHER_FILE_ENV: ""}) is None
    with pytest.raises(ConfigurationError, match="cannot be read"):
        load_publisher({PUBLISHER_FILE_ENV: str(tmp_path / "missing.toml")})


def test_found_inside_a_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "publisher.toml").write_text(FULL, encoding="utf-8")
    monkeypatch.setattr("sys._MEIPASS", str(tmp_path), raising=False)
    publisher = load_publisher({})
    assert publisher is not None
    assert publisher.source == str(tmp_path / "publisher.toml")


# -- which app load_config connects as ----------------------------------------------------------

@pytest.fixture
def published_env(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "publisher.toml"
    path.write_text(FULL, encoding="utf-8")
    return {PUBLISHER_FILE_ENV: str(path)}


def test_published_qbo_app_goes_through_the_relay_with_no_secret(
        published_env: dict[str, str]) -> None:
    config = load_config("qbo", Settings(), env=published_env, secret_lookup=lambda p: "kept")
    assert config.client_id == "ABpublished0001"
    assert config.client_secret is None  # not even the keychain's: the relay has the secret
    assert config.endpoints.token == "https://relay.example.com/qbo/token"
    assert config.endpoints.revoke == "https://relay.example.com/qbo/revoke"
    assert config.redirect_uri == "https://relay.example.com/qbo/callback"
    assert config.relay_forwards_redirect
    assert config.listen_port == 0  # any free port: the forwarder reads it from state
    assert config.endpoints.api_base == "https://quickbooks.api.intuit.com/v3"  # production
    assert config.publisher_name == "Example Books Ltd"


def test_published_xero_app_is_a_pkce_app(published_env: dict[str, str]) -> None:
    config = load_config("xero", Settings(), env=published_env, secret_lookup=lambda p: "kept")
    assert config.client_id == "XEROPUBLISHED0001"
    assert config.client_secret is None
    assert config.redirect_uri == "http://localhost:8766/callback"


def test_environment_variables_win_over_the_publisher(published_env: dict[str, str]) -> None:
    env = published_env | {"QBO_CLIENT_ID": "mine", "QBO_CLIENT_SECRET": "my-secret"}
    config = load_config("qbo", Settings(), env=env)
    assert (config.client_id, config.client_secret) == ("mine", "my-secret")
    assert config.relay_url is None
    assert config.endpoints.token == QBO_TOKEN


def test_settings_win_only_with_use_my_own_developer_app(
        published_env: dict[str, str]) -> None:
    mine = Settings().with_values({"xero/client_id": "MYXEROAPP"})
    assert load_config("xero", mine, env=published_env).client_id == "XEROPUBLISHED0001"
    own = mine.with_values({"xero/use_own_app": True})
    assert load_config("xero", own, env=published_env).client_id == "MYXEROAPP"


def test_own_app_switched_on_but_empty_says_what_is_missing(
        published_env: dict[str, str]) -> None:
    own = Settings().with_values({"qbo/use_own_app": True})
    with pytest.raises(ConfigurationError, match="No client ID"):
        load_config("qbo", own, env=published_env)


def test_a_publisher_without_xero_leaves_xero_to_settings(tmp_path: Path) -> None:
    path = tmp_path / "publisher.toml"
    path.write_text('name = "Q only"\n[qbo]\nclient_id = "A"\nrelay_url = "https://r.example"\n',
                    encoding="utf-8")
    env = {PUBLISHER_FILE_ENV: str(path)}
    with pytest.raises(ConfigurationError, match="No client ID is set for Xero"):
        load_config("xero", Settings(), env=env)
    mine = Settings().with_values({"xero/client_id": "MYXEROAPP"})
    assert load_config("xero", mine, env=env).client_id == "MYXEROAPP"


def test_without_a_publisher_file_nothing_changes() -> None:
    settings = Settings().with_values({"qbo/client_id": "mine"})
    config = load_config("qbo", settings, env={PUBLISHER_FILE_ENV: ""},
                         secret_lookup=lambda p: "from-keychain")
    assert (config.client_id, config.client_secret) == ("mine", "from-keychain")
    assert config.endpoints.token == QBO_TOKEN

"""Settings' QBO redirect URI (the HTTPS forwarding page production keys need) reaches the
provider configuration; the environment still wins over it."""

from bookkeeper_desktop.providers.config import Provider, load_config
from bookkeeper_desktop.settings import Settings

ENV = {"QBO_CLIENT_ID": "id", "QBO_CLIENT_SECRET": "secret"}


def production_settings(uri: str) -> Settings:
    return Settings().with_values({"qbo/environment": "production", "qbo/redirect_uri": uri,
                                   "qbo/redirect_port": 8799})


def test_settings_forwarding_page_is_the_redirect_uri() -> None:
    config = load_config(Provider.QBO, production_settings("https://example.com/bk/callback.html"),
                         env=ENV)
    assert config.redirect_uri == "https://example.com/bk/callback.html"
    assert config.forwards_redirect
    assert config.listen_port == 8799


def test_environment_wins_over_settings() -> None:
    config = load_config(Provider.QBO, production_settings("https://example.com/a.html"),
                         env={**ENV, "QBO_REDIRECT_URI": "https://example.org/b.html"})
    assert config.redirect_uri == "https://example.org/b.html"


def test_without_it_the_loopback_address_is_used() -> None:
    config = load_config(Provider.QBO, Settings(), env=ENV)
    assert config.redirect_uri == "http://localhost:8765/callback"

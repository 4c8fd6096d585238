"""The relay's configuration from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookkeeper_relay.settings import INTUIT_TOKEN_URL, RelayConfigError, RelaySettings


def test_defaults_point_at_intuit() -> None:
    settings = RelaySettings.from_env({"RELAY_QBO_CLIENT_ID": "AB1",
                                       "RELAY_QBO_CLIENT_SECRET": "s3cret-value"})
    assert settings.token_url == INTUIT_TOKEN_URL
    assert settings.rate_per_minute == 30
    assert settings.port == 8080
    assert "s3cret-value" not in repr(settings)


def test_the_secret_may_come_from_a_mounted_file(tmp_path: Path) -> None:
    secret = tmp_path / "qbo_secret"
    secret.write_text("from-a-file\n", encoding="utf-8")
    settings = RelaySettings.from_env({"RELAY_QBO_CLIENT_ID": "AB1",
                                       "RELAY_QBO_CLIENT_SECRET_FILE": str(secret)})
    assert settings.client_secret == "from-a-file"


@pytest.mark.parametrize(("env", "named"), [
    ({"RELAY_QBO_CLIENT_SECRET": "s"}, "RELAY_QBO_CLIENT_ID"),
    ({"RELAY_QBO_CLIENT_ID": "AB1"}, "RELAY_QBO_CLIENT_SECRET"),
    ({"RELAY_QBO_CLIENT_ID": "AB1", "RELAY_QBO_CLIENT_SECRET_FILE": "/nonexistent/secret"},
     "RELAY_QBO_CLIENT_SECRET_FILE"),
    ({"RELAY_QBO_CLIENT_ID": "AB1", "RELAY_QBO_CLIENT_SECRET": "s",
      "RELAY_RATE_PER_MINUTE": "lots"}, "RELAY_RATE_PER_MINUTE"),
    ({"RELAY_QBO_CLIENT_ID": "AB1", "RELAY_QBO_CLIENT_SECRET": "s", "RELAY_PORT": "0"},
     "RELAY_PORT"),
])
def test_missing_or_bad_settings_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(RelayConfigError, match=named):
        RelaySettings.from_env(env)

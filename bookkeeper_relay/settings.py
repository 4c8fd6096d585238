"""The relay's configuration, from environment variables (12-factor: the container gets them from
its orchestrator; the secret may come from a file, as Docker and Kubernetes secrets are mounted).

| variable | meaning | default |
|---|---|---|
| `RELAY_QBO_CLIENT_ID` | the publisher's Intuit app (the one in the publisher file) | required |
| `RELAY_QBO_CLIENT_SECRET` or `RELAY_QBO_CLIENT_SECRET_FILE` | its secret | required |
| `RELAY_QBO_TOKEN_URL` | Intuit's token endpoint | Intuit's (API_NOTES.md) |
| `RELAY_QBO_REVOKE_URL` | Intuit's revoke endpoint | Intuit's (API_NOTES.md) |
| `RELAY_RATE_PER_MINUTE` | requests per client address and minute (burst the same) | 30 |
| `RELAY_HOST` / `RELAY_PORT` | where uvicorn listens | 0.0.0.0 / 8080 |
| `RELAY_TRUSTED_PROXIES` | addresses whose X-Forwarded-For is believed | 127.0.0.1 |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

INTUIT_TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"  # noqa: S105
INTUIT_REVOKE_URL = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"


class RelayConfigError(Exception):
    """A missing or invalid setting; the message names the variable."""


@dataclass(frozen=True)
class RelaySettings:
    """Everything the relay needs. `repr` never shows the secret."""

    client_id: str
    client_secret: str
    token_url: str = INTUIT_TOKEN_URL
    revoke_url: str = INTUIT_REVOKE_URL
    rate_per_minute: int = 30
    host: str = "0.0.0.0"  # noqa: S104 (a container listens on all its interfaces)
    port: int = 8080
    trusted_proxies: str = "127.0.0.1"

    def __repr__(self) -> str:
        return (f"RelaySettings(client_id={self.client_id!r}, secret=<set>, "
                f"token_url={self.token_url!r}, revoke_url={self.revoke_url!r})")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RelaySettings:
        env = os.environ if env is None else env
        client_id = env.get("RELAY_QBO_CLIENT_ID", "").strip()
        secret = env.get("RELAY_QBO_CLIENT_SECRET", "").strip()
        secret_file = env.get("RELAY_QBO_CLIENT_SECRET_FILE", "").strip()
        if not secret and secret_file:
            try:
                secret = Path(secret_file).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise RelayConfigError(
                    f"RELAY_QBO_CLIENT_SECRET_FILE: cannot read {secret_file}: "
                    f"{exc.strerror or exc}") from exc
        if not client_id:
            raise RelayConfigError("RELAY_QBO_CLIENT_ID is not set (your Intuit app's client id)")
        if not secret:
            raise RelayConfigError("RELAY_QBO_CLIENT_SECRET (or RELAY_QBO_CLIENT_SECRET_FILE) is "
                                   "not set (your Intuit app's client secret)")
        return cls(
            client_id=client_id, client_secret=secret,
            token_url=env.get("RELAY_QBO_TOKEN_URL", "").strip() or INTUIT_TOKEN_URL,
            revoke_url=env.get("RELAY_QBO_REVOKE_URL", "").strip() or INTUIT_REVOKE_URL,
            rate_per_minute=_positive(env, "RELAY_RATE_PER_MINUTE", 30),
            host=env.get("RELAY_HOST", "").strip() or "0.0.0.0",  # noqa: S104
            port=_positive(env, "RELAY_PORT", 8080),
            trusted_proxies=env.get("RELAY_TRUSTED_PROXIES", "").strip() or "127.0.0.1",
        )


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise RelayConfigError(f"{name}: {raw!r} is not a whole number") from None
    if value <= 0:
        raise RelayConfigError(f"{name}: must be above 0")
    return value

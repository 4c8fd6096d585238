"""`bookkeeper-relay` (or `python -m bookkeeper_relay`): run the token relay with uvicorn.

Configuration comes from the environment (`bookkeeper_relay.settings`). uvicorn's own access log is
off: it prints the request line with its query string, which on `/qbo/callback` carries the
authorization code and `state`. The relay logs its own line per request instead (no query).
"""

from __future__ import annotations

import logging
import sys

import uvicorn

from bookkeeper_relay.app import app_info, create_app
from bookkeeper_relay.settings import RelayConfigError, RelaySettings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, stream=sys.stderr)
    # httpx logs each request's URL at INFO; ours carry no secret, but keep the log to our lines.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    try:
        settings = RelaySettings.from_env()
    except RelayConfigError as exc:
        logging.getLogger("bookkeeper_relay").error("Cannot start: %s", exc)
        return 2
    logging.getLogger("bookkeeper_relay").info("Starting: %s", app_info(settings))
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port,
        access_log=False, log_config=None, server_header=False,
        # Behind a TLS-terminating proxy: believe its X-Forwarded-For / -Proto, and only its.
        proxy_headers=True, forwarded_allow_ips=settings.trusted_proxies,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

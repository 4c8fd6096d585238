"""`--demo`: run the app or the command line against the local QBO and Xero sandboxes.

Both faces call `enter_demo_mode()` before they open anything. It keeps a demo apart from the
user's real books so that a demo connection can never pull sandbox data into them:

- the data folder becomes `<data folder>/demo` (its own `books.sqlite`, current company and the
  sandboxes' state file), unless `--db` / `BOOKKEEPER_DB_URL` names a database explicitly;
- tokens go to the keychain service `bookkeeper-desktop-demo`, never over a real connection's
  entry;
- the sandboxes start in-process (or a running demo is reused) and the providers' environment
  variables point at them (`providers.config.demo_environment`), with a demo publisher file
  naming the Xero sandbox's app in place of the installer's own (whose relay must never see a
  sandbox's code).

Everything it changes in `os.environ` is put back when the `ExitStack` closes.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from typing import TYPE_CHECKING

from bookkeeper_desktop import paths
from bookkeeper_desktop.core.errors import ConfigurationError
from bookkeeper_desktop.providers.config import demo_environment
from bookkeeper_desktop.providers.keychain import SERVICE, SERVICE_ENV

if TYPE_CHECKING:
    from bookkeeper_desktop.sandbox.demo import DemoEndpoints, DemoSandboxes

DEMO_FOLDER = "demo"
#: The demo's own publisher file, in the demo data folder (`providers.config.demo_environment`).
DEMO_PUBLISHER_FILE_NAME = "publisher.toml"
DEMO_KEYCHAIN_SERVICE = f"{SERVICE}-demo"


def _set_env(stack: ExitStack, values: dict[str, str]) -> None:
    """Set `values` in os.environ until `stack` closes."""
    previous = {name: os.environ.get(name) for name in values}

    def restore() -> None:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    stack.callback(restore)
    os.environ.update(values)


def enter_demo_mode(stack: ExitStack) -> tuple[DemoEndpoints, DemoSandboxes]:
    """Switch this process to demo mode and start (or attach to) the sandboxes.

    Raises `ConfigurationError` when the sandboxes cannot listen (their ports are taken by
    something that is not a demo)."""
    # Imported here: only a demo pays for loading the sandboxes.
    from bookkeeper_desktop.sandbox.demo import DemoSandboxes, default_state_file  # noqa: PLC0415

    _set_env(stack, {
        paths.DATA_DIR_ENV: str(paths.data_dir() / DEMO_FOLDER),
        SERVICE_ENV: DEMO_KEYCHAIN_SERVICE,
    })
    sandboxes = DemoSandboxes(default_state_file())
    try:
        endpoints = sandboxes.start()
    except OSError as error:
        raise ConfigurationError(
            f"The demo sandboxes could not start: {error}.",
            hint="Close the program using their ports, or start without --demo.",
        ) from error
    stack.callback(sandboxes.stop)
    _set_env(stack, demo_environment(
        qbo_url=endpoints.qbo_url, xero_url=endpoints.xero_url,
        qbo_client_id=endpoints.qbo_client_id, qbo_client_secret=endpoints.qbo_client_secret,
        xero_client_id=endpoints.xero_client_id,
        publisher_file=paths.data_dir() / DEMO_PUBLISHER_FILE_NAME))
    return endpoints, sandboxes


def public_endpoints(endpoints: DemoEndpoints) -> dict[str, object]:
    """What `status` shows of the demo: URLs, label and client ids (no client secrets)."""
    shown = endpoints.to_json()
    for secret in ("qbo_client_secret", "xero_web_client_secret"):
        shown.pop(secret, None)
    return shown

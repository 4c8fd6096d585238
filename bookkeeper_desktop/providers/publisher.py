"""The publisher file: the public settings of the apps whoever publishes the installer registered
at Intuit and Xero, so that end users only press Connect (issue #13 §1, PRODUCT.md §3).

It is a small TOML file, `publisher.toml`, with no secret in it (`publisher.example.toml` at the
top of the repository shows every field):

    name = "Example Books Ltd"              # the publisher, as the consent pages show it
    [xero]
    client_id = "…"                         # an "Auth code with PKCE" app: it has no secret
    [qbo]
    client_id = "…"
    relay_url = "https://relay.example.com" # the token relay (bookkeeper_relay/): it holds
                                            # the QBO client secret and adds it to token calls
    redirect_uri = "https://relay.example.com/qbo/callback"   # optional: this is the default
    environment = "production"              # or "sandbox" (development keys)

Where it is looked for, first found wins (`publisher_file`):
1. `BOOKKEEPER_PUBLISHER_FILE` (a path; empty = no publisher file at all, for tests and for people
   who want the app to behave as an unpublished build);
2. next to the bundled program (`bookkeeper.spec` copies `publisher.toml` into the bundle);
3. the top of the source tree, for development.
No file: the app behaves as before the publisher file existed (client ids from Settings or the
environment). A file that cannot be read is a `ConfigurationError` naming the file and line.

Which app is used for a provider is decided in `providers.config.load_config`: the environment
variables first, then Settings when "Advanced: use my own developer app" is on (or no publisher
app exists for the provider), then this file.
"""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bookkeeper_desktop.core.errors import ConfigurationError

PUBLISHER_FILE_ENV = "BOOKKEEPER_PUBLISHER_FILE"
PUBLISHER_FILE_NAME = "publisher.toml"
#: The relay's path that forwards Intuit's redirect to the loopback listener (bookkeeper_relay).
RELAY_CALLBACK_PATH = "/qbo/callback"
RELAY_TOKEN_PATH = "/qbo/token"  # noqa: S105 (a path)
RELAY_REVOKE_PATH = "/qbo/revoke"
QBO_ENVIRONMENTS = ("production", "sandbox")


@dataclass(frozen=True)
class PublishedXeroApp:
    client_id: str


@dataclass(frozen=True)
class PublishedQboApp:
    """The publisher's Intuit app. Its secret is only on the relay at `relay_url`."""

    client_id: str
    relay_url: str
    redirect_uri: str
    environment: str


@dataclass(frozen=True)
class Publisher:
    """What a publisher file says. `source` is the file it was read from (for messages)."""

    name: str
    xero: PublishedXeroApp | None
    qbo: PublishedQboApp | None
    source: str = ""


def _bundle_dir() -> Path | None:
    """The folder of a PyInstaller bundle's data files (None when running from source)."""
    bundled = getattr(sys, "_MEIPASS", None)
    return Path(bundled) if bundled else None


def publisher_file(env: Mapping[str, str] | None = None) -> Path | None:
    """The publisher file to read, or None when there is none (see the module docstring)."""
    env = os.environ if env is None else env
    if PUBLISHER_FILE_ENV in env:
        named = env[PUBLISHER_FILE_ENV].strip()
        return Path(named) if named else None
    bundle = _bundle_dir()
    source_tree = Path(__file__).resolve().parents[2]
    for folder in (bundle, source_tree):
        if folder is not None and (folder / PUBLISHER_FILE_NAME).is_file():
            return folder / PUBLISHER_FILE_NAME
    return None


def load_publisher(env: Mapping[str, str] | None = None) -> Publisher | None:
    """The publisher file's settings, or None when there is no publisher file."""
    path = publisher_file(env)
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(
            f"The publisher file {path} cannot be read: {exc.strerror or exc}.",
            hint=f"Fix or remove it (or set {PUBLISHER_FILE_ENV} to another file).") from exc
    return parse_publisher(text, source=str(path))


def parse_publisher(text: str, *, source: str = PUBLISHER_FILE_NAME) -> Publisher:
    """Parse publisher TOML. Raises `ConfigurationError` naming the file, and the line when the
    TOML itself is broken (tomllib says "at line N, column M")."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"The publisher file {source} is not valid TOML: {exc}.",
                                 hint="Compare it with publisher.example.toml.") from exc
    problems: list[str] = []
    name = _text(data, "name", problems, required=True, where="")
    xero = qbo = None
    xero_table = _table(data, "xero", problems)
    if xero_table is not None:
        client_id = _text(xero_table, "client_id", problems, required=True, where="[xero] ")
        if "client_secret" in xero_table:
            problems.append("[xero] client_secret: a publisher file carries no secret (use a "
                            "Xero \"Auth code with PKCE\" app, which has none)")
        xero = PublishedXeroApp(client_id)
    qbo_table = _table(data, "qbo", problems)
    if qbo_table is not None:
        where = "[qbo] "
        client_id = _text(qbo_table, "client_id", problems, required=True, where=where)
        relay = _text(qbo_table, "relay_url", problems, required=True, where=where).rstrip("/")
        if "client_secret" in qbo_table:
            problems.append("[qbo] client_secret: a publisher file carries no secret; it stays "
                            "on the token relay")
        if relay and not _is_web_address(relay):
            problems.append(f"[qbo] relay_url: {relay!r} is not an http(s) address")
        redirect = (_text(qbo_table, "redirect_uri", problems, required=False, where=where)
                    or (relay + RELAY_CALLBACK_PATH if relay else ""))
        if redirect and not _is_web_address(redirect):
            problems.append(f"[qbo] redirect_uri: {redirect!r} is not an http(s) address")
        environment = (_text(qbo_table, "environment", problems, required=False, where=where)
                       or "production")
        if environment not in QBO_ENVIRONMENTS:
            problems.append(f"[qbo] environment: {environment!r} is not production or sandbox")
        qbo = PublishedQboApp(client_id, relay, redirect, environment)
    if problems:
        raise ConfigurationError(
            f"The publisher file {source} has problems: " + "; ".join(problems) + ".",
            hint="Compare it with publisher.example.toml.")
    return Publisher(name=name, xero=xero, qbo=qbo, source=source)


def _table(data: Mapping[str, Any], key: str, problems: list[str]) -> Mapping[str, Any] | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.append(f"{key}: must be a [{key}] table")
        return None
    return value


def _text(data: Mapping[str, Any], key: str, problems: list[str], *, required: bool,
          where: str) -> str:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(f"{where}{key} is missing")
        return ""
    if not isinstance(value, str):
        problems.append(f"{where}{key}: must be text in quotes")
        return ""
    return value.strip()


def _is_web_address(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)

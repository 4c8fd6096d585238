"""Where each provider's OAuth and API endpoints are, and which app (client) we connect as.

A `ProviderConfig` is everything the connect flow, the token manager and the API clients need to
talk to QuickBooks Online or Xero: client id and secret, redirect URI, scopes and endpoints. It is
built from Settings (`bookkeeper_desktop.settings`) and the environment variables named in the seed
(`QBO_CLIENT_ID`, `QBO_CLIENT_SECRET`, `QBO_REDIRECT_URI`, `XERO_CLIENT_ID`, `XERO_CLIENT_SECRET`,
`XERO_REDIRECT_URI`; the environment wins), with the client secret otherwise read from the OS
keychain (`keychain.ClientSecrets`): secrets are never settings. An installer's publisher file
(`providers.publisher`) supplies the publisher's apps when neither the environment nor Settings'
"Advanced: use my own developer app" names one; its QBO app has no secret here and makes its token
calls through the publisher's relay (`ProviderConfig.relay_url`, `bookkeeper_relay`).

Endpoints (API_NOTES.md):
- QBO: authorize `https://appcenter.intuit.com/connect/oauth2`, token
  `https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer` (HTTP Basic client auth), revoke
  `https://developer.api.intuit.com/v2/oauth2/tokens/revoke`, discovery
  `https://developer.intuit.com/.well-known/openid_configuration` (production) /
  `…/openid_sandbox_configuration` (Intuit's sandbox); the OAuth endpoints are the same for both,
  only the API base differs (`quickbooks.api.intuit.com` / `sandbox-quickbooks.api.intuit.com`).
  Scope `com.intuit.quickbooks.accounting`.
- Xero: authorize `https://login.xero.com/identity/connect/authorize`, token
  `https://identity.xero.com/connect/token`, revoke `https://identity.xero.com/connect/revocation`,
  connections `https://api.xero.com/connections`, API `https://api.xero.com/api.xro/2.0`. Apps
  created on or after 2 March 2026 must use granular scopes (the default here); older apps can ask
  for the broad `accounting.transactions` scopes with `broad_scopes=True` (CLI `--broad-scopes`),
  or list exactly their scopes in `XERO_SCOPES` / `QBO_SCOPES` (space-separated).

We never construct intuitlib's `AuthClient`: it fetches the discovery document at construction with
no timeout (API_NOTES.md, "discovery"). The endpoints above are fixed and documented, so we do our
own OAuth with authlib's PKCE helpers and httpx, with timeouts everywhere (`providers.oauth`).

`ProviderConfig.for_sandbox(base_url)` points every endpoint at our local sandbox server
(`bookkeeper_desktop.sandbox`), which serves the vendors' paths on one loopback address. The
environment variables `BOOKKEEPER_SANDBOX_QBO_URL` / `BOOKKEEPER_SANDBOX_XERO_URL` do the same from
outside (what `--demo` and the end-to-end tests use); a sandbox configuration is labelled as such
(`is_sandbox`) so every face can say "Demo sandbox — no real data".
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from bookkeeper_desktop.core.errors import ConfigurationError, SettingsNeeded
from bookkeeper_desktop.providers.publisher import (
    PUBLISHER_FILE_ENV,
    RELAY_CALLBACK_PATH,
    RELAY_REVOKE_PATH,
    RELAY_TOKEN_PATH,
    Publisher,
    load_publisher,
)
from bookkeeper_desktop.settings import Settings

#: The path our loopback listener answers on; both vendors match the redirect URI exactly.
CALLBACK_PATH = "/callback"

QBO_ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
QBO_SCOPES: tuple[str, ...] = (QBO_ACCOUNTING_SCOPE,)

#: Xero granular scopes (mandatory for apps created on or after 2 March 2026, API_NOTES.md).
XERO_GRANULAR_SCOPES: tuple[str, ...] = (
    "offline_access", "openid", "profile", "email",
    "accounting.settings", "accounting.contacts",
    "accounting.manualjournals", "accounting.banktransactions",
    "accounting.invoices", "accounting.payments",
)
#: The broad scopes older Xero apps still use until they migrate (by September 2027).
XERO_BROAD_SCOPES: tuple[str, ...] = (
    "offline_access", "openid", "profile", "email",
    "accounting.settings", "accounting.contacts", "accounting.transactions",
)

QBO_DISCOVERY_PRODUCTION = "https://developer.intuit.com/.well-known/openid_configuration"
QBO_DISCOVERY_SANDBOX = "https://developer.intuit.com/.well-known/openid_sandbox_configuration"
QBO_AUTHORIZE = "https://appcenter.intuit.com/connect/oauth2"
QBO_TOKEN = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"  # noqa: S105 (a URL)
QBO_REVOKE = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"
QBO_API_PRODUCTION = "https://quickbooks.api.intuit.com"
QBO_API_SANDBOX = "https://sandbox-quickbooks.api.intuit.com"

XERO_AUTHORIZE = "https://login.xero.com/identity/connect/authorize"
XERO_TOKEN = "https://identity.xero.com/connect/token"  # noqa: S105 (a URL)
XERO_REVOKE = "https://identity.xero.com/connect/revocation"
XERO_API = "https://api.xero.com"

SANDBOX_URL_ENV = {"qbo": "BOOKKEEPER_SANDBOX_QBO_URL", "xero": "BOOKKEEPER_SANDBOX_XERO_URL"}


class Provider(StrEnum):
    QBO = "qbo"
    XERO = "xero"

    @property
    def display_name(self) -> str:
        return "QuickBooks Online" if self is Provider.QBO else "Xero"

    @classmethod
    def of(cls, code: str) -> Provider | None:
        """The provider of a code as the database keeps it ("qbo"); None for a code we do not
        know."""
        try:
            return cls(code)
        except ValueError:
            return None

    @classmethod
    def name_of(cls, code: str) -> str:
        """The display name of a provider code as the database keeps it ("qbo" → "QuickBooks
        Online"); a code we do not know, as it is."""
        provider = cls.of(code)
        return provider.display_name if provider is not None else code

    @property
    def env_prefix(self) -> str:
        return "QBO" if self is Provider.QBO else "XERO"

    @property
    def remote_company_word(self) -> str:
        return "company" if self is Provider.QBO else "organisation"


def parse_provider(name: str) -> Provider:
    try:
        return Provider(name.strip().lower())
    except ValueError:
        raise ConfigurationError(
            f"Unknown provider '{name}'.", hint="Use qbo (QuickBooks Online) or xero."
        ) from None


@dataclass(frozen=True)
class Endpoints:
    """Every address we call for one provider. `api_base` has no trailing slash: QBO
    `…/v3` (then `/company/{realmId}/…`), Xero `…/api.xro/2.0`."""

    authorize: str
    token: str
    revoke: str
    api_base: str
    discovery: str | None = None
    connections: str | None = None  # Xero only


@dataclass(frozen=True)
class ProviderConfig:
    """How we connect to one provider. Immutable; `repr` never shows the secret.

    Attributes:
        redirect_uri: exactly as registered with the provider (sent in the authorize and token
            requests). `http://localhost:PORT/callback`, or for production QBO an HTTPS page that
            forwards the browser to our loopback listener (see `providers.loopback`).
        listen_port: where the loopback listener binds on 127.0.0.1; the redirect URI's port when
            it is a localhost URI, else the Redirect port setting. 0 = any free port (only where
            the provider accepts any loopback port, i.e. our sandboxes).
        callback_path: the path the listener accepts.
    """

    provider: Provider
    client_id: str
    client_secret: str | None
    redirect_uri: str
    listen_port: int
    callback_path: str
    scopes: tuple[str, ...]
    endpoints: Endpoints
    is_sandbox: bool = False
    #: The publisher's token relay (QBO): token and revoke calls go there, and it adds the
    #: client secret the app does not have (`bookkeeper_relay`).
    relay_url: str | None = None
    #: The publisher whose app this is (shown on the consent pages), None for the user's own.
    publisher_name: str | None = None

    def __repr__(self) -> str:
        secret = "set" if self.client_secret else "none"
        return (f"ProviderConfig({self.provider.value}, client_id={self.client_id!r}, "
                f"secret={secret}, redirect_uri={self.redirect_uri!r}, "
                f"sandbox={self.is_sandbox})")

    @property
    def forwards_redirect(self) -> bool:
        """True when the redirect URI is a forwarding page (an HTTPS page, or the relay's
        forwarder), not our listener itself."""
        return (urlsplit(self.redirect_uri).scheme == "https"
                or self.relay_forwards_redirect)

    @property
    def relay_forwards_redirect(self) -> bool:
        """True when Intuit redirects to the relay's forwarder, which reads the listener's port
        from `state` (`providers.oauth.state_with_port`)."""
        return (self.relay_url is not None
                and self.redirect_uri == self.relay_url + RELAY_CALLBACK_PATH)

    @property
    def label(self) -> str:
        return (f"{self.provider.display_name} (Demo sandbox — no real data)" if self.is_sandbox
                else self.provider.display_name)

    def redirect_uri_for_port(self, port: int) -> str:
        """The redirect URI once the listener is bound: a localhost URI with port 0 gets the
        port actually bound; any other URI is returned as configured."""
        parts = urlsplit(self.redirect_uri)
        if parts.scheme == "http" and parts.port == 0:
            return parts._replace(netloc=f"{parts.hostname}:{port}").geturl()
        return self.redirect_uri

    def for_sandbox(self, base_url: str) -> ProviderConfig:
        """The same app pointed at our local sandbox server at `base_url` (its paths follow the
        vendors': see `bookkeeper_desktop.sandbox`)."""
        base = base_url.rstrip("/")
        if self.provider is Provider.QBO:
            # Through the publisher's relay, token calls still go to the relay (which forwards
            # them to the sandbox it was started for).
            relay = self.relay_url
            endpoints = Endpoints(
                authorize=f"{base}/connect/oauth2",
                token=f"{base}/oauth2/v1/tokens/bearer" if relay is None
                else relay + RELAY_TOKEN_PATH,
                revoke=f"{base}/v2/oauth2/tokens/revoke" if relay is None
                else relay + RELAY_REVOKE_PATH,
                api_base=f"{base}/v3",
                discovery=f"{base}/.well-known/openid_configuration",
            )
        else:
            endpoints = Endpoints(
                authorize=f"{base}/identity/connect/authorize",
                token=f"{base}/connect/token",
                revoke=f"{base}/connect/revocation",
                api_base=f"{base}/api.xro/2.0",
                connections=f"{base}/connections",
            )
        return replace(self, endpoints=endpoints, is_sandbox=True)

    def with_redirect(self, redirect_uri: str, listen_port: int | None = None) -> ProviderConfig:
        port, path = _listener_of(redirect_uri, listen_port if listen_port is not None
                                  else self.listen_port)
        return replace(self, redirect_uri=redirect_uri, listen_port=port, callback_path=path)


def _listener_of(redirect_uri: str, fallback_port: int) -> tuple[int, str]:
    """(port, path) the loopback listener uses for `redirect_uri`."""
    parts = urlsplit(redirect_uri)
    if parts.scheme == "http":
        if parts.hostname not in ("localhost", "127.0.0.1"):
            raise ConfigurationError(
                f"The redirect URI {redirect_uri} is not on this computer.",
                hint="Use http://localhost:PORT/callback, or an https page that forwards to it.",
            )
        try:
            port = parts.port
        except ValueError:
            port = None
        if port is None:
            raise ConfigurationError(
                f"The redirect URI {redirect_uri} has no port.",
                hint="Use http://localhost:PORT/callback with the port registered for your app.",
            )
        return port, parts.path or "/"
    if parts.scheme == "https" and parts.hostname:
        return fallback_port, CALLBACK_PATH
    raise ConfigurationError(
        f"'{redirect_uri}' is not a redirect URI we can use.",
        hint="Use http://localhost:PORT/callback, or an https page that forwards to it.",
    )


SecretLookup = Callable[[Provider], str | None]


@dataclass(frozen=True)
class _App:
    """Which app a provider is connected as, before endpoints are chosen."""

    client_id: str
    secret: str | None
    redirect_uri: str
    listen_port: int
    callback_path: str
    relay_url: str | None = None
    #: QBO environment of the app's keys (production / sandbox).
    qbo_environment: str = "sandbox"
    publisher_name: str | None = None


def _own_app(provider: Provider, settings: Settings, env: Mapping[str, str],
             secret_lookup: SecretLookup | None, client_id: str) -> _App:
    """The user's own developer app (environment variables over Settings), as before publisher
    files existed."""
    prefix = provider.env_prefix
    is_qbo = provider is Provider.QBO
    secret = env.get(f"{prefix}_CLIENT_SECRET") or (
        secret_lookup(provider) if secret_lookup is not None else None) or None
    port = settings.qbo_redirect_port if is_qbo else settings.xero_redirect_port
    # The environment wins; then Settings' registered URI (QBO's HTTPS forwarding page for
    # production keys); else the loopback listener's own address.
    registered = settings.qbo_redirect_uri.strip() if is_qbo else ""
    redirect_uri = (env.get(f"{prefix}_REDIRECT_URI") or registered or
                    f"http://localhost:{port}{CALLBACK_PATH}").strip()
    listen_port, path = _listener_of(redirect_uri, port)
    return _App(client_id, secret, redirect_uri, listen_port, path,
                qbo_environment=settings.qbo_environment)


def _published_app(provider: Provider, publisher: Publisher, settings: Settings,
                   env: Mapping[str, str]) -> _App | None:
    """The publisher's app for `provider`, or None when the publisher file has none. Its QBO
    secret is on the relay: the app itself holds none."""
    if provider is Provider.XERO:
        if publisher.xero is None:
            return None
        port = settings.xero_redirect_port
        redirect_uri = (env.get("XERO_REDIRECT_URI") or
                        f"http://localhost:{port}{CALLBACK_PATH}").strip()
        listen_port, path = _listener_of(redirect_uri, port)
        return _App(publisher.xero.client_id, None, redirect_uri, listen_port, path,
                    publisher_name=publisher.name)
    qbo = publisher.qbo
    if qbo is None:
        return None
    redirect_uri = env.get("QBO_REDIRECT_URI", "").strip() or qbo.redirect_uri
    if redirect_uri == qbo.relay_url + RELAY_CALLBACK_PATH:
        # The relay's forwarder finds the listener's port in `state`: any free port will do.
        listen_port, path = 0, CALLBACK_PATH
    else:
        listen_port, path = _listener_of(redirect_uri, settings.qbo_redirect_port)
    return _App(qbo.client_id, None, redirect_uri, listen_port, path, relay_url=qbo.relay_url,
                qbo_environment=qbo.environment, publisher_name=publisher.name)


def _missing_client_id(provider: Provider) -> SettingsNeeded:
    site = "developer.intuit.com" if provider is Provider.QBO else "developer.xero.com"
    return SettingsNeeded(
        f"No client ID is set for {provider.display_name}, so Bookkeeper Desktop cannot "
        "connect to it.",
        hint=f"This copy came without a publisher's app settings: enter the Client ID of your "
             f"own app at {site} in Settings → {provider.display_name} → Client ID (under "
             f"Advanced), or set {provider.env_prefix}_CLIENT_ID.",
    )


def load_config(
    provider: Provider | str,
    settings: Settings | None = None,
    *,
    env: Mapping[str, str] | None = None,
    secret_lookup: SecretLookup | None = None,
    broad_scopes: bool = False,
    publisher: Publisher | Literal["auto"] | None = "auto",
) -> ProviderConfig:
    """The configuration to connect `provider` with.

    Which app (first that applies): `{QBO,XERO}_CLIENT_ID` in the environment; Settings' own
    developer app when "Advanced: use my own developer app" is on; the publisher file's app
    (`providers.publisher`, read from `env` when `publisher="auto"`); Settings' client id (an
    unpublished build, as before). For the user's own app the client secret comes from
    `{QBO,XERO}_CLIENT_SECRET`, else from `secret_lookup` (the keychain), else there is none
    (right for a Xero PKCE app; QBO needs one). The publisher's QBO app has no secret here: its
    token calls go through the publisher's relay, which adds it. Raises `ConfigurationError`
    naming where to set what is missing."""
    provider = parse_provider(provider) if isinstance(provider, str) else provider
    settings = settings or Settings()
    env = os.environ if env is None else env
    prefix = provider.env_prefix
    is_qbo = provider is Provider.QBO
    if publisher == "auto":
        publisher = load_publisher(env)
    env_id = env.get(f"{prefix}_CLIENT_ID", "").strip()
    settings_id = (settings.qbo_client_id if is_qbo else settings.xero_client_id).strip()
    published = (_published_app(provider, publisher, settings, env)
                 if publisher is not None else None)
    if env_id:
        app = _own_app(provider, settings, env, secret_lookup, env_id)
    elif published is not None and not settings.use_own_app(provider.value):
        app = published
    elif settings_id:
        app = _own_app(provider, settings, env, secret_lookup, settings_id)
    else:
        raise _missing_client_id(provider)
    if is_qbo:
        production = app.qbo_environment == "production"
        base = settings.get("qbo/production_base_url" if production else "qbo/sandbox_base_url")
        endpoints = Endpoints(
            authorize=QBO_AUTHORIZE,
            token=QBO_TOKEN if app.relay_url is None else app.relay_url + RELAY_TOKEN_PATH,
            revoke=QBO_REVOKE if app.relay_url is None else app.relay_url + RELAY_REVOKE_PATH,
            api_base=str(base).rstrip("/") + "/v3",
            discovery=QBO_DISCOVERY_PRODUCTION if production else QBO_DISCOVERY_SANDBOX,
        )
        scopes = QBO_SCOPES
    else:
        base = settings.xero_base_url.rstrip("/")
        endpoints = Endpoints(
            authorize=XERO_AUTHORIZE, token=XERO_TOKEN, revoke=XERO_REVOKE,
            api_base=f"{base}/api.xro/2.0", connections=f"{base}/connections",
        )
        scopes = XERO_BROAD_SCOPES if broad_scopes else XERO_GRANULAR_SCOPES
    explicit = env.get(f"{prefix}_SCOPES", "").split()
    if explicit:  # exactly what the app is registered for (e.g. an older Xero app's set)
        scopes = tuple(dict.fromkeys(explicit))
    config = ProviderConfig(
        provider=provider, client_id=app.client_id, client_secret=app.secret,
        redirect_uri=app.redirect_uri, listen_port=app.listen_port,
        callback_path=app.callback_path, scopes=scopes, endpoints=endpoints,
        relay_url=app.relay_url, publisher_name=app.publisher_name,
    )
    sandbox_url = env.get(SANDBOX_URL_ENV[provider.value])
    if sandbox_url:
        config = config.for_sandbox(sandbox_url)
    elif is_qbo and app.qbo_environment == "production" and not config.forwards_redirect:
        raise SettingsNeeded(
            "Intuit accepts http://localhost redirect URIs only for development keys, not for "
            "production.",
            hint="Register an https page that forwards to http://localhost:PORT/callback and set "
                 "QBO_REDIRECT_URI to it (see the README), or use the Sandbox environment.",
        )
    if is_qbo and not config.client_secret and config.relay_url is None:
        raise SettingsNeeded(
            "No client secret is set for QuickBooks Online.",
            hint="Enter it in Settings → QuickBooks Online (it is kept in the system keychain), "
                 "or set QBO_CLIENT_SECRET. Intuit issues one with every app's keys.",
        )
    return config


DEMO_PUBLISHER_NAME = "Bookkeeper Desktop demo"


def demo_environment(*, qbo_url: str, xero_url: str, qbo_client_id: str,
                     qbo_client_secret: str, xero_client_id: str,
                     publisher_file: Path | None = None) -> dict[str, str]:
    """The environment variables that point `load_config` at running demo sandboxes
    (`sandbox.demo.DemoEndpoints`): their base URLs, the demo apps' credentials, and redirect
    URIs with port 0 (the demo apps accept any loopback port, RFC 8252 §7.3).

    A demo never uses the installer's own publisher file: a sandbox's code must never reach the
    publisher's real relay. With `publisher_file`, a demo publisher file is written there naming
    the Xero sandbox's PKCE app, and Xero connects through it as a published install does (one
    click, no client id anywhere). QBO's demo app stays a development-keys app with its secret
    in the environment: the token relay is a separate web service, not part of the desktop app,
    so a demo has none to call."""
    env = {
        "BOOKKEEPER_SANDBOX_QBO_URL": qbo_url, "BOOKKEEPER_SANDBOX_XERO_URL": xero_url,
        "QBO_CLIENT_ID": qbo_client_id, "QBO_CLIENT_SECRET": qbo_client_secret,
        "QBO_REDIRECT_URI": f"http://localhost:0{CALLBACK_PATH}",
        "XERO_REDIRECT_URI": f"http://localhost:0{CALLBACK_PATH}",
        PUBLISHER_FILE_ENV: "",
    }
    if publisher_file is None:
        env["XERO_CLIENT_ID"] = xero_client_id
        return env
    publisher_file.parent.mkdir(parents=True, exist_ok=True)
    publisher_file.write_text(
        "# Written by --demo: the demo sandboxes' public app settings.\n"
        f'name = "{DEMO_PUBLISHER_NAME}"\n[xero]\nclient_id = "{xero_client_id}"\n',
        encoding="utf-8")
    env[PUBLISHER_FILE_ENV] = str(publisher_file)
    return env

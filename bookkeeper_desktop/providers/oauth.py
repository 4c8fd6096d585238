"""The OAuth 2.0 calls: the authorization URL (state + PKCE S256), the code exchange, refresh and
revocation, over httpx with timeouts, with every failure turned into a typed error.

Why our own and not an SDK's (API_NOTES.md): intuitlib's `AuthClient` fetches a discovery document
at construction with no timeout; xero-python cannot refresh a secret-less PKCE token; authlib's
sync `OAuth2Client` has no lock around refresh (authlib #266), and its errors do not tell "no
response came back" (where Xero's 30-minute grace period allows one retry with the old refresh
token) from "the server said no". So we use authlib's PKCE helpers (`generate_token`,
`create_s256_code_challenge`) and plain httpx, and the token manager (`providers.tokens`) owns
single-flight refresh.

Client authentication at the token endpoint: with a client secret, HTTP Basic (`client_id:secret`),
as Intuit requires and Xero accepts; without one (Xero "Auth code with PKCE" apps), `client_id` in
the form body (RFC 6749 §2.3, public client). PKCE S256 is sent to both: Xero requires it for
public clients; for QBO it costs nothing and binds the code to this app instance (RFC 9700 §2.1.1).

Revocation: QBO POSTs JSON `{"token": …}` with Basic auth; Xero POSTs the form `token=…` (RFC 7009),
which also removes all of the user's connections (API_NOTES.md).

Through the publisher's token relay (`ProviderConfig.relay_url`, QBO only; `bookkeeper_relay`):
Intuit has no public-client flow, so the app sends its token and revoke calls to the relay as a
public client (`client_id` in the body, no secret) and the relay adds HTTP Basic with the
publisher's secret before forwarding them to Intuit. Everything else stays RFC 8252: the app makes
`state` and the PKCE verifier, the verifier never leaves the app except in the code exchange
itself (which the relay forwards unchanged), and the redirect ends at the loopback listener on
127.0.0.1. The relay's forwarder page cannot know which port the listener took, so the app puts it
at the front of `state` (`state_with_port`): `state` comes back unchanged in Intuit's redirect
(RFC 6749 §4.1.2), the forwarder reads the port from it, and the listener still compares the
whole `state`, so a forged or stale redirect is refused as before.
"""

from __future__ import annotations

import functools
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from bookkeeper_desktop.core.errors import (
    AuthError,
    ConfigurationError,
    NetworkError,
    ReconnectNeeded,
)
from bookkeeper_desktop.providers.config import Provider, ProviderConfig

#: Connect 10 s, read/write 30 s: a token endpoint answers in well under a second.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
#: RFC 7636 allows 43-128 characters; 64 random characters of the unreserved set.
VERIFIER_LENGTH = 64
STATE_LENGTH = 32

Clock = Callable[[], float]


def state_with_port(port: int) -> str:
    """A fresh `state` that carries the loopback listener's port for the relay's forwarder:
    `"<port>.<32 random characters>"` (the relay parses exactly this, `bookkeeper_relay.forward`).
    The port is no secret (anything on this computer can see the listening socket); the random
    part is what the listener checks."""
    return f"{port}.{generate_token(STATE_LENGTH)}"


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context (certifi's CA bundle, as httpx's default) for every short-lived client:
    loading the bundle costs tens of milliseconds each time."""
    return httpx.create_ssl_context()


class NoResponse(NetworkError):
    """The request went out (or may have) and no answer came back: the server may or may not
    have acted on it. Xero's grace period exists for exactly this case."""


class Unreachable(NetworkError):
    """The connection could not be made (offline, DNS, refused): nothing reached the server. Not
    worth a run's retries for minutes: the offline monitor and the next sync take it from there."""


class InvalidGrant(ReconnectNeeded):
    """The token endpoint answered `invalid_grant`: the code or refresh token is used, expired or
    revoked. Never retried; the user connects again."""

    def __init__(self, message: str, *, description: str = "", hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.description = description


@dataclass(frozen=True)
class AuthorizationRequest:
    """One consent attempt: the URL to open, and what must come back or go with the code."""

    url: str
    state: str
    code_verifier: str
    redirect_uri: str

    def __repr__(self) -> str:
        return f"AuthorizationRequest(url={self.url!r})"


@dataclass(frozen=True)
class TokenSet:
    """A token endpoint answer. Times are POSIX seconds. `repr` shows no token."""

    access_token: str
    refresh_token: str | None
    expires_at: float
    refresh_expires_at: float | None
    scopes: tuple[str, ...]
    token_type: str = "Bearer"  # noqa: S105 (a type name)

    def __repr__(self) -> str:
        return (f"TokenSet(access=<{len(self.access_token)} chars>, refresh="
                f"{'<set>' if self.refresh_token else None}, expires_at={self.expires_at:.0f})")

    @classmethod
    def from_response(cls, data: Mapping[str, Any], now: float,
                      requested_scopes: tuple[str, ...] = ()) -> TokenSet:
        """Parse RFC 6749 §5.1 JSON (`x_refresh_token_expires_in`: QBO's refresh lifetime)."""
        try:
            access = str(data["access_token"])
            expires_in = float(data.get("expires_in") or 3600)
        except (KeyError, TypeError, ValueError):
            raise AuthError("The provider's token answer has no access token.",
                            hint="Try again; if it keeps happening, report it.") from None
        refresh = data.get("refresh_token")
        refresh_in = data.get("x_refresh_token_expires_in")
        scope = data.get("scope")
        scopes = tuple(str(scope).split()) if scope else requested_scopes
        return cls(
            access_token=access,
            refresh_token=str(refresh) if refresh else None,
            expires_at=now + expires_in,
            refresh_expires_at=now + float(refresh_in) if refresh_in else None,
            scopes=scopes,
            token_type=str(data.get("token_type") or "Bearer"),
        )


class OAuthClient:
    """Token-endpoint calls for one provider configuration. Thread-safe (httpx.Client is).

    `http` may be passed (a client the caller closes); otherwise each call opens and closes its
    own client with our timeouts: token calls come once an hour, so a pooled connection would
    only be a socket left open for the life of the app."""

    def __init__(self, config: ProviderConfig, *, http: httpx.Client | None = None,
                 clock: Clock = time.time) -> None:
        self.config = config
        self.http = http
        self.clock = clock

    def close(self) -> None:
        """Nothing to release; the shared client (if any) belongs to the caller."""

    def __enter__(self) -> OAuthClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- authorize --------------------------------------------------------------------------------
    def authorization_request(self, redirect_uri: str | None = None, *,
                              listen_port: int | None = None) -> AuthorizationRequest:
        """A fresh state and PKCE verifier and the consent URL carrying them. With the relay's
        forwarder as redirect, `state` carries `listen_port` (`state_with_port`)."""
        redirect = redirect_uri or self.config.redirect_uri
        if self.config.relay_forwards_redirect and listen_port is not None:
            state = state_with_port(listen_port)
        else:
            state = generate_token(STATE_LENGTH)
        verifier = generate_token(VERIFIER_LENGTH)
        params = [
            ("client_id", self.config.client_id),
            ("response_type", "code"),
            ("scope", " ".join(self.config.scopes)),
            ("redirect_uri", redirect),
            ("state", state),
            ("code_challenge", create_s256_code_challenge(verifier)),
            ("code_challenge_method", "S256"),
        ]
        url = str(add_params_to_uri(self.config.endpoints.authorize, params))
        return AuthorizationRequest(url=url, state=state, code_verifier=verifier,
                                    redirect_uri=redirect)

    # -- token endpoint ---------------------------------------------------------------------------
    def exchange_code(self, request: AuthorizationRequest, code: str) -> TokenSet:
        return self._token_request({
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": request.redirect_uri,
            "code_verifier": request.code_verifier,
        })

    def refresh(self, refresh_token: str) -> TokenSet:
        """One refresh. Raises `InvalidGrant` (never retry), `NoResponse` (the server may have
        rotated: Xero's grace period allows one retry), `NetworkError`, `AuthError`,
        `ConfigurationError` (client id/secret refused)."""
        return self._token_request({"grant_type": "refresh_token",
                                    "refresh_token": refresh_token})

    def _client_auth(self, form: dict[str, str]) -> httpx.BasicAuth | None:
        if self.config.client_secret:
            return httpx.BasicAuth(self.config.client_id, self.config.client_secret)
        form["client_id"] = self.config.client_id
        return None

    def _token_request(self, form: dict[str, str]) -> TokenSet:
        form = dict(form)
        auth = self._client_auth(form)
        now = self.clock()
        response = self.send("POST", self.config.endpoints.token, data=form, auth=auth,
                              headers={"Accept": "application/json"})
        if response.status_code == 200:
            try:
                data = response.json()
            except ValueError:
                raise NetworkError(
                    f"{self.config.provider.display_name} answered the sign-in with something "
                    "that is not JSON.", hint="Try again in a minute.") from None
            return TokenSet.from_response(data, now, self.config.scopes)
        raise self._token_error(response)

    def _token_error(self, response: httpx.Response) -> Exception:
        title = self.config.provider.display_name
        if response.status_code >= 500:
            return NetworkError(f"{title} could not complete the sign-in "
                                f"(HTTP {response.status_code}).", hint="Try again in a minute.")
        if response.status_code == 429:  # the publisher's relay limits requests per address
            return NetworkError(f"{title}'s sign-in service is busy (too many requests).",
                                hint="Try again in a minute.")
        try:
            body = response.json()
        except ValueError:
            body = {}
        error = str(body.get("error", "")) if isinstance(body, dict) else ""
        description = str(body.get("error_description", "")) if isinstance(body, dict) else ""
        if error == "invalid_grant":
            return InvalidGrant(
                f"{title} no longer accepts this sign-in"
                + (f" ({description})" if description else "") + ".",
                description=description or error,
                hint=f"Reconnect to {title} to give access again.",
            )
        if error in ("invalid_client", "unauthorized_client") or response.status_code == 401:
            return ConfigurationError(
                f"{title} refused the app's client ID or secret ({error or response.status_code}).",
                hint=f"Check the Client ID and secret in Settings → {title} "
                     f"(or {self.config.provider.env_prefix}_CLIENT_ID / _CLIENT_SECRET).",
            )
        return AuthError(
            f"{title} refused the sign-in: {error or f'HTTP {response.status_code}'}"
            + (f" ({description})" if description else "") + ".",
            hint="Try connecting again.",
        )

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request with our timeouts; transport failures as typed errors."""
        try:
            if self.http is not None:
                return self.http.request(method, url, **kwargs)
            with httpx.Client(timeout=DEFAULT_TIMEOUT, verify=tls_context()) as client:
                return client.request(method, url, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            # Nothing reached the server: safe to retry, but also nothing to be graceful about.
            raise Unreachable(f"Cannot reach {self.config.provider.display_name} ({exc}).",
                              hint="Check the internet connection and try again.") from exc
        except httpx.TransportError as exc:
            raise NoResponse(
                f"The connection to {self.config.provider.display_name} dropped before it "
                f"answered ({type(exc).__name__}).",
                hint="Check the internet connection and try again.") from exc

    # -- revocation -------------------------------------------------------------------------------
    def revoke(self, token: str) -> None:
        """Revoke `token` (the refresh token revokes the whole grant). Raises `NetworkError` or
        `AuthError` when the provider did not confirm."""
        if self.config.relay_url is not None:
            # The relay adds the client secret (module docstring); it checks the client id.
            response = self.send(
                "POST", self.config.endpoints.revoke,
                json={"token": token, "client_id": self.config.client_id},
                headers={"Accept": "application/json"},
            )
        elif self.config.provider is Provider.QBO:
            if not self.config.client_secret:
                raise ConfigurationError("QuickBooks Online needs the client secret to revoke.")
            response = self.send(
                "POST", self.config.endpoints.revoke, json={"token": token},
                auth=httpx.BasicAuth(self.config.client_id, self.config.client_secret),
                headers={"Accept": "application/json"},
            )
        else:
            form = {"token": token}
            auth = self._client_auth(form)
            response = self.send("POST", self.config.endpoints.revoke, data=form, auth=auth)
        if 200 <= response.status_code < 300:
            return
        if response.status_code >= 500:
            raise NetworkError(f"{self.config.provider.display_name} could not revoke access "
                               f"(HTTP {response.status_code}).")
        raise self._token_error(response)

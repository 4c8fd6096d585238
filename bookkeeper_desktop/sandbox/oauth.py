"""The OAuth 2.0 authorization server both sandboxes share: clients, consent, codes, tokens.

Vendor differences are data (`TokenPolicy`), facts from API_NOTES.md:

- QBO: access token 3,600 s; refresh token 100 days, renewed by each use, capped at 5 years from the
  consent; each refresh returns a **new** refresh token and the old one fails **at once**
  (`invalid_grant`, the 2025 behaviour reported in python-quickbooks #397); clients authenticate
  with HTTP Basic.
- Xero: access token 1,800 s; refresh tokens rotate, but if the successor was never used the old one
  still works for a **30-minute grace period** (for a client that got no response); an unused
  refresh token expires after **60 days**; "Auth code with PKCE" apps have no secret and must use
  PKCE S256; a refresh token is issued only with the `offline_access` scope.

Common rules (RFC 6749, RFC 7636): the authorization code is single-use and lives 5 minutes
(`CODE_LIFETIME`); presenting a used code again revokes the grant it produced (RFC 6749 §10.5);
`redirect_uri` must match a registered one exactly (a registered `http://localhost:{port}/callback`
pattern accepts any port, the RFC 8252 §7.3 loopback rule, used by the demo clients only); when a
`code_challenge` was sent, the token request must carry the matching `code_verifier`.

Tokens are stored by their SHA-256 fingerprint only (`fingerprint()`), so the state endpoint and the
demo state file hold no live secrets. Thread-safe: one lock around everything.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlencode

from bookkeeper_desktop.sandbox.clock import Clock
from bookkeeper_desktop.sandbox.http import Request, Response

CODE_LIFETIME = 300
CONSENT_LIFETIME = 1_800
DAY = 86_400
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_PORT_PATTERN = "{port}"


def fingerprint(token: str) -> str:
    """The SHA-256 hex digest a token is stored and reported under."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def s256_challenge(verifier: str) -> str:
    """RFC 7636 §4.2: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class TokenPolicy:
    access_lifetime: int
    #: Lifetime of a refresh token from when it is issued (QBO: 100 days; Xero: 60 days unused).
    refresh_lifetime: int
    #: How long a rotated refresh token still works if its successor was never used.
    refresh_grace: int
    #: Absolute cap from the consent (QBO's 5-year maximum), None for none.
    grant_max_age: int | None
    type_name: str
    access_token_chars: int
    refresh_prefix: str
    #: Whether the token response carries `x_refresh_token_expires_in` (QBO).
    reports_refresh_expiry: bool
    #: Scope needed before a refresh token is issued (Xero: offline_access); None: always.
    refresh_scope: str | None
    #: Xero's access tokens are JWTs whose claims clients read (`authentication_event_id`);
    #: QBO's are opaque (encrypted).
    jwt_access_tokens: bool = False



QBO_POLICY = TokenPolicy(
    access_lifetime=3_600, refresh_lifetime=100 * DAY, refresh_grace=0,
    grant_max_age=5 * 365 * DAY, type_name="bearer", access_token_chars=960,
    refresh_prefix="AB11", reports_refresh_expiry=True, refresh_scope=None,
)
XERO_POLICY = TokenPolicy(
    access_lifetime=1_800, refresh_lifetime=60 * DAY, refresh_grace=1_800,
    grant_max_age=None, type_name="Bearer", access_token_chars=1_200,
    refresh_prefix="", reports_refresh_expiry=False, refresh_scope="offline_access",
    jwt_access_tokens=True,
)


@dataclass(frozen=True)
class ClientRegistration:
    """An app registered with the sandbox. `client_secret=None` is a public (PKCE) client."""

    client_id: str
    client_secret: str | None
    redirect_uris: tuple[str, ...]
    name: str = "Bookkeeper Desktop"
    #: Scopes this app may ask for; None: every scope the vendor knows.
    allowed_scopes: frozenset[str] | None = None

    @property
    def public(self) -> bool:
        return self.client_secret is None

    def redirect_allowed(self, uri: str) -> bool:
        for registered in self.redirect_uris:
            if registered == uri:
                return True
            if _PORT_PATTERN in registered:
                head, tail = registered.split(_PORT_PATTERN, 1)
                pattern = re.escape(head) + r"([0-9]{1,5})" + re.escape(tail)
                match = re.fullmatch(pattern, uri)
                if match and 0 < int(match.group(1)) < 65_536:
                    return True
        return False

    def to_json(self) -> dict[str, Any]:
        return {"client_id": self.client_id, "public": self.public, "name": self.name,
                "redirect_uris": list(self.redirect_uris)}


class OAuthError(Exception):
    """An OAuth error response (RFC 6749 §5.2): `error` code, HTTP status, description."""

    def __init__(self, error: str, description: str = "", status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


@dataclass
class PendingConsent:
    """An authorization request waiting for the user's decision on the consent page."""

    consent_id: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    code_challenge: str | None
    created_at: float


@dataclass
class AuthCode:
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    code_challenge: str | None
    subject: dict[str, Any]
    issued_at: float
    grant_id: str | None = None


@dataclass
class Grant:
    """One consent: an app allowed to act for `subject` (QBO: realm; Xero: auth event)."""

    grant_id: str
    client_id: str
    scopes: list[str]
    subject: dict[str, Any]
    created_at: float
    revoked_at: float | None = None


@dataclass
class RefreshRecord:
    grant_id: str
    issued_at: float
    expires_at: float
    rotated_at: float | None = None
    successor: str | None = None
    revoked: bool = False


@dataclass
class AccessRecord:
    grant_id: str
    issued_at: float
    expires_at: float
    revoked: bool = False


@dataclass(frozen=True)
class TokenSet:
    """What the token endpoint answers (the JSON fields of RFC 6749 §5.1)."""

    access_token: str
    expires_in: int
    token_type: str
    scope: str
    grant: Grant
    refresh_token: str | None = None
    refresh_expires_in: int | None = None

    def to_json(self, policy: TokenPolicy, *, include_scope: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"access_token": self.access_token, "expires_in": self.expires_in,
                                "token_type": self.token_type}
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
            if policy.reports_refresh_expiry and self.refresh_expires_in is not None:
                body["x_refresh_token_expires_in"] = self.refresh_expires_in
        if include_scope:
            body["scope"] = self.scope
        return body


@dataclass(frozen=True)
class AccessCheck:
    """The result of looking up a Bearer token: the grant, or why it is refused."""

    grant: Grant | None
    problem: str | None = None
    expired_at: float | None = None


@dataclass
class OAuthStore:
    """Clients, pending consents, codes, grants and tokens of one sandbox."""

    policy: TokenPolicy
    clock: Clock
    known_scopes: frozenset[str]
    clients: dict[str, ClientRegistration] = field(default_factory=dict)
    consents: dict[str, PendingConsent] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    used_codes: dict[str, str | None] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshRecord] = field(default_factory=dict)
    access_tokens: dict[str, AccessRecord] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    # -- clients -------------------------------------------------------------------------------

    def register(self, client: ClientRegistration) -> None:
        with self.lock:
            self.clients[client.client_id] = client

    def client(self, client_id: str | None) -> ClientRegistration | None:
        with self.lock:
            return self.clients.get(client_id or "")

    def authenticate_client(
        self, basic: tuple[str, str] | None, form: Mapping[str, str], *, allow_post: bool,
        allow_public: bool,
    ) -> ClientRegistration:
        """Client authentication at the token or revocation endpoint (RFC 6749 §2.3).

        Basic auth always works for confidential clients; `allow_post` also accepts
        `client_id`/`client_secret` in the form (Xero; xero-python posts them so); `allow_public`
        lets a public client identify itself by `client_id` alone (Xero PKCE apps).
        """
        if basic is not None:
            client = self.client(basic[0])
            if client is None or client.public or not secrets.compare_digest(
                    client.client_secret or "", basic[1]):
                raise OAuthError("invalid_client", "Client authentication failed", 401)
            return client
        client = self.client(form.get("client_id"))
        if client is None:
            raise OAuthError("invalid_client", "Client authentication failed", 401)
        if client.public:
            if not allow_public:
                raise OAuthError("invalid_client", "Client authentication failed", 401)
            return client
        secret = form.get("client_secret")
        if not allow_post or secret is None or not secrets.compare_digest(
                client.client_secret or "", secret):
            raise OAuthError("invalid_client", "Client authentication failed", 401)
        return client

    # -- authorize -----------------------------------------------------------------------------

    def begin_consent(self, client: ClientRegistration, redirect_uri: str, scopes: Sequence[str],
                      state: str | None, code_challenge: str | None) -> PendingConsent:
        with self.lock:
            now = self.clock.now()
            for key in [k for k, c in self.consents.items()
                        if now - c.created_at > CONSENT_LIFETIME]:
                del self.consents[key]
            consent = PendingConsent(secrets.token_urlsafe(18), client.client_id, redirect_uri,
                                     tuple(scopes), state, code_challenge, now)
            self.consents[consent.consent_id] = consent
            return consent

    def take_consent(self, consent_id: str) -> PendingConsent | None:
        """The pending consent (removed: a consent page can be answered once)."""
        with self.lock:
            consent = self.consents.pop(consent_id, None)
            if consent is None or self.clock.now() - consent.created_at > CONSENT_LIFETIME:
                return None
            return consent

    def renew_consent(self, consent: PendingConsent) -> tuple[ClientRegistration, PendingConsent]:
        """A fresh consent for the same request, for showing the page again (nothing chosen)."""
        client = self.client(consent.client_id)
        assert client is not None, "a consent's client stays registered"
        return client, self.begin_consent(client, consent.redirect_uri, consent.scopes,
                                          consent.state, consent.code_challenge)

    def token_for(self, client: ClientRegistration, form: Mapping[str, str]) -> TokenSet:
        """The token endpoint's two grants (RFC 6749 §4.1.3 and §6); `OAuthError` otherwise."""
        grant_type = form.get("grant_type", "")
        if grant_type == "authorization_code":
            return self.exchange_code(client, form.get("code", ""), form.get("redirect_uri"),
                                      form.get("code_verifier"))
        if grant_type == "refresh_token":
            return self.refresh(client, form.get("refresh_token", ""))
        raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r}")

    def issue_code(self, consent: PendingConsent, subject: dict[str, Any]) -> str:
        code = secrets.token_urlsafe(32)
        with self.lock:
            self.codes[fingerprint(code)] = AuthCode(
                consent.client_id, consent.redirect_uri, consent.scopes, consent.code_challenge,
                subject, self.clock.now())
        return code

    # -- token endpoint ------------------------------------------------------------------------

    def exchange_code(self, client: ClientRegistration, code: str, redirect_uri: str | None,
                      code_verifier: str | None) -> TokenSet:
        key = fingerprint(code)
        with self.lock:
            now = self.clock.now()
            if key in self.used_codes:
                grant_id = self.used_codes[key]
                if grant_id is not None:
                    self.revoke_grant(grant_id)
                raise OAuthError("invalid_grant", "Authorization code has already been used")
            record = self.codes.pop(key, None)
            if record is None:
                raise OAuthError("invalid_grant", "Invalid authorization code")
            self.used_codes[key] = None
            if now - record.issued_at > CODE_LIFETIME:
                raise OAuthError("invalid_grant", "Authorization code has expired")
            if record.client_id != client.client_id:
                raise OAuthError("invalid_grant", "Authorization code was issued to another client")
            if redirect_uri != record.redirect_uri:
                raise OAuthError("invalid_grant",
                                 "redirect_uri does not match the authorize request")
            if record.code_challenge is not None:
                if code_verifier is None or not _VERIFIER.match(code_verifier):
                    raise OAuthError("invalid_grant", "code_verifier is missing or malformed")
                if not secrets.compare_digest(s256_challenge(code_verifier),
                                              record.code_challenge):
                    raise OAuthError("invalid_grant", "code_verifier does not match code_challenge")
            elif client.public:
                raise OAuthError("invalid_grant", "A public client must use PKCE")
            grant = Grant(uuid.uuid4().hex, client.client_id, list(record.scopes),
                          dict(record.subject), now)
            self.grants[grant.grant_id] = grant
            self.used_codes[key] = grant.grant_id
            return self._issue(grant, now)

    def refresh(self, client: ClientRegistration, refresh_token: str) -> TokenSet:
        """Rotate a refresh token under the policy's rules (see the module docstring)."""
        key = fingerprint(refresh_token)
        with self.lock:
            now = self.clock.now()
            record = self.refresh_tokens.get(key)
            grant = self.grants.get(record.grant_id) if record else None
            if record is None or grant is None or record.revoked or grant.revoked_at is not None:
                raise OAuthError("invalid_grant", "Incorrect or invalid refresh token")
            if grant.client_id != client.client_id:
                raise OAuthError("invalid_grant", "Refresh token was issued to another client")
            if now >= record.expires_at:
                raise OAuthError("invalid_grant", "Refresh token has expired")
            if record.successor is not None:
                successor = self.refresh_tokens.get(record.successor)
                in_grace = (record.rotated_at is not None
                            and now - record.rotated_at < self.policy.refresh_grace)
                if not in_grace or successor is None or successor.rotated_at is not None:
                    raise OAuthError("invalid_grant", "Refresh token has already been used")
                successor.revoked = True
            tokens = self._issue(grant, now)
            assert tokens.refresh_token is not None
            if record.rotated_at is None:
                # The grace period runs from the first use; retries do not extend it.
                record.rotated_at = now
            record.successor = fingerprint(tokens.refresh_token)
            return tokens

    def _issue(self, grant: Grant, now: float) -> TokenSet:
        if self.policy.jwt_access_tokens:
            access = _jwt_access_token(grant, now, self.policy.access_lifetime)
        else:
            access = _random_token(self.policy.access_token_chars)
        if len(self.access_tokens) > _PRUNE_AT:
            self.access_tokens = {k: a for k, a in self.access_tokens.items()
                                  if a.expires_at > now - DAY}
        self.access_tokens[fingerprint(access)] = AccessRecord(
            grant.grant_id, now, now + self.policy.access_lifetime)
        refresh: str | None = None
        refresh_expires_in: int | None = None
        if self.policy.refresh_scope is None or self.policy.refresh_scope in grant.scopes:
            refresh = self.policy.refresh_prefix + secrets.token_hex(24)
            expires_at = now + self.policy.refresh_lifetime
            if self.policy.grant_max_age is not None:
                expires_at = min(expires_at, grant.created_at + self.policy.grant_max_age)
            self.refresh_tokens[fingerprint(refresh)] = RefreshRecord(grant.grant_id, now,
                                                                      expires_at)
            refresh_expires_in = int(expires_at - now)
        return TokenSet(access, self.policy.access_lifetime, self.policy.type_name,
                        " ".join(grant.scopes), grant, refresh, refresh_expires_in)

    # -- resource side -------------------------------------------------------------------------

    def check_access(self, authorization: str | None) -> AccessCheck:
        """Look up `Authorization: Bearer …`; problem is `missing`, `unknown`, `expired`,
        `revoked`."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return AccessCheck(None, "missing")
        token = authorization[7:].strip()
        with self.lock:
            record = self.access_tokens.get(fingerprint(token))
            if record is None:
                return AccessCheck(None, "unknown")
            grant = self.grants.get(record.grant_id)
            if grant is None or record.revoked or grant.revoked_at is not None:
                return AccessCheck(None, "revoked")
            if self.clock.now() >= record.expires_at:
                return AccessCheck(None, "expired", record.expires_at)
            return AccessCheck(grant)

    def grant_for_token(self, token: str) -> Grant | None:
        """The grant a refresh or access token belongs to (revoked or not)."""
        key = fingerprint(token)
        with self.lock:
            holder: RefreshRecord | AccessRecord | None = (
                self.refresh_tokens.get(key) or self.access_tokens.get(key))
            return self.grants.get(holder.grant_id) if holder else None

    def revoke_grant(self, grant_id: str) -> Grant | None:
        with self.lock:
            grant = self.grants.get(grant_id)
            if grant is None:
                return None
            if grant.revoked_at is None:
                grant.revoked_at = self.clock.now()
            for records in (self.refresh_tokens.values(), self.access_tokens.values()):
                for record in records:
                    if record.grant_id == grant_id:
                        record.revoked = True
            return grant

    def revoke_all(self) -> int:
        """Revoke every grant (the user disconnected the app at the vendor). Returns how many."""
        with self.lock:
            live = [g.grant_id for g in self.grants.values() if g.revoked_at is None]
            for grant_id in live:
                self.revoke_grant(grant_id)
            return len(live)

    def expire_access_tokens(self) -> int:
        """Make every current access token expire now (fault injection). Returns how many."""
        with self.lock:
            now = self.clock.now()
            count = 0
            for record in self.access_tokens.values():
                if record.expires_at > now:
                    record.expires_at = now
                    count += 1
            return count

    # -- state ---------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        with self.lock:
            now = self.clock.now()
            return {
                "grants": {k: asdict(g) for k, g in self.grants.items()},
                "refresh_tokens": {k: asdict(r) for k, r in self.refresh_tokens.items()},
                "access_tokens": {k: asdict(a) for k, a in self.access_tokens.items()
                                  if a.expires_at > now and not a.revoked},
            }

    def from_state(self, state: Mapping[str, Any]) -> None:
        with self.lock:
            self.grants = {k: Grant(**v) for k, v in state.get("grants", {}).items()}
            self.refresh_tokens = {k: RefreshRecord(**v)
                                   for k, v in state.get("refresh_tokens", {}).items()}
            self.access_tokens = {k: AccessRecord(**v)
                                  for k, v in state.get("access_tokens", {}).items()}
            self.codes.clear()
            self.consents.clear()

    def parse_scopes(self, client: ClientRegistration, raw: str | None) -> tuple[str, ...]:
        """Space-separated scopes, each known and allowed for the client; OAuthError if not."""
        scopes = tuple(dict.fromkeys((raw or "").split()))
        if not scopes:
            raise OAuthError("invalid_scope", "scope is required")
        allowed = client.allowed_scopes if client.allowed_scopes is not None else self.known_scopes
        bad = [s for s in scopes if s not in self.known_scopes or s not in allowed]
        if bad:
            raise OAuthError("invalid_scope", f"Invalid scope for client: {' '.join(bad)}")
        return scopes


#: Access-token records are pruned of long-expired ones when there are more than this many.
_PRUNE_AT = 20_000
#: The one user of the sandbox (Xero puts a user id in its tokens).
SANDBOX_USER_ID = "7f1c2d3e-4b5a-4c6d-9e8f-0a1b2c3d4e5f"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _jwt_access_token(grant: Grant, now: float, lifetime: int) -> str:
    """A Xero-style access token: a JWT with Xero's claims (signature bytes are random — nothing
    here signs; clients read the claims without verifying, as Xero's docs suggest for
    `authentication_event_id`)."""
    header = {"alg": "RS256", "kid": "1CAF8A24ECF3A2D1AE14C6A7A3FEFB8A2C2E3F6A", "typ": "JWT",
              "x5t": "HK-KJOzzotGuFMano_77iiwuP2o"}
    claims = {
        "nbf": int(now), "exp": int(now) + lifetime, "iss": "https://identity.xero.com",
        "aud": "https://identity.xero.com/resources", "client_id": grant.client_id,
        "sub": SANDBOX_USER_ID.replace("-", ""), "auth_time": int(grant.created_at),
        "xero_userid": SANDBOX_USER_ID, "global_session_id": grant.grant_id,
        "sid": grant.grant_id, "jti": uuid.uuid4().hex,
        "authentication_event_id": grant.subject.get("auth_event_id", ""),
        "scope": list(grant.scopes), "amr": ["pwd"],
    }
    return ".".join([_b64url(json.dumps(header, separators=(",", ":")).encode()),
                     _b64url(json.dumps(claims, separators=(",", ":")).encode()),
                     _b64url(secrets.token_bytes(256))])


def _random_token(chars: int) -> str:
    """An opaque access token about as long as the vendor's (QBO ~1 kB JWE, Xero ~1.2 kB JWT)."""
    header = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4Q0JDLUhTMjU2In0."
    body = secrets.token_urlsafe(chars)[: max(16, chars - len(header))]
    return header + body


def consent_page(*, vendor: str, app_name: str, action: str, consent_id: str,
                 scopes: Iterable[str], choice_name: str, choices: Sequence[tuple[str, str]],
                 multiple: bool, error: str | None = None) -> str:
    """The HTML consent page: one form, hidden `consent_id`, the company/organisation choice
    (radio for QBO, checkboxes for Xero), and two submit buttons `decision=allow|deny`."""
    esc = html.escape
    kind = "checkbox" if multiple else "radio"
    rows = []
    for index, (value, label) in enumerate(choices):
        checked = " checked" if (not multiple and index == 0) or len(choices) == 1 else ""
        rows.append(f'<li><label><input type="{kind}" name="{esc(choice_name)}" '
                    f'value="{esc(value)}"{checked}> {esc(label)}</label></li>')
    scope_items = "".join(f"<li>{esc(s)}</li>" for s in scopes)
    problem = f'<p class="error" role="alert">{esc(error)}</p>' if error else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Connect {esc(app_name)} to {esc(vendor)} — Demo sandbox</title></head><body>"
        "<p class=\"banner\"><strong>Demo sandbox — no real data</strong></p>"
        f"<h1>{esc(app_name)} wants to connect to {esc(vendor)}</h1>{problem}"
        f"<p>It asks for:</p><ul>{scope_items}</ul>"
        f"<form method=\"post\" action=\"{esc(action)}\">"
        f"<input type=\"hidden\" name=\"consent_id\" value=\"{esc(consent_id)}\">"
        f"<fieldset><legend>Choose the {'organisations' if multiple else 'company'}</legend>"
        f"<ul>{''.join(rows)}</ul></fieldset>"
        "<button type=\"submit\" name=\"decision\" value=\"allow\">Allow access</button> "
        "<button type=\"submit\" name=\"decision\" value=\"deny\">Cancel</button>"
        "</form></body></html>\n"
    )


def error_page(title: str, message: str) -> str:
    """Shown instead of redirecting when the client or redirect URI cannot be trusted
    (RFC 6749 §4.1.2.1)."""
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
            f"{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
            f"<p>{html.escape(message)}</p></body></html>\n")


HTML = "text/html;charset=UTF-8"


def html_error(title: str, message: str) -> Response:
    """A 400 error page (`error_page`)."""
    return Response.text(error_page(title, message), 400, HTML)


def expired_consent() -> Response:
    return html_error("This request has expired", "Start connecting again from the app.")


def trusted_redirect(store: OAuthStore, request: Request, *, mismatch_title: str
                     ) -> tuple[ClientRegistration, str] | Response:
    """The client and redirect URI of an authorize request, or the error page shown instead of
    redirecting when either cannot be trusted (RFC 6749 §4.1.2.1)."""
    client = store.client(request.arg("client_id"))
    if client is None:
        return html_error("Unknown app", "The client_id is not registered.")
    redirect_uri = request.arg("redirect_uri") or ""
    if not client.redirect_allowed(redirect_uri):
        return html_error(mismatch_title,
                          "The redirect_uri does not match any registered for this app.")
    return client, redirect_uri


def read_challenge(request: Request) -> str | None:
    """The S256 `code_challenge` of an authorize request (None without one); `OAuthError` for
    another method or a malformed value."""
    challenge = request.arg("code_challenge")
    method = request.arg("code_challenge_method")
    if challenge is None:
        if method is not None:
            raise OAuthError("invalid_request", "code_challenge_method without code_challenge")
        return None
    if (method or "plain") != "S256":
        raise OAuthError("invalid_request", "only code_challenge_method=S256 is supported")
    if not re.fullmatch(r"[A-Za-z0-9\-_]{43}", challenge):
        raise OAuthError("invalid_request", "code_challenge is malformed")
    return challenge


def redirect(uri: str, params: Mapping[str, str | None]) -> Response:
    """302 to `uri` with `params` added to its query (None values left out)."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    separator = "&" if "?" in uri else "?"
    return Response(302, b"", {"Location": f"{uri}{separator}{query}",
                               "Cache-Control": "no-store"})


def oauth_error(exc: OAuthError) -> Response:
    body = {"error": exc.error}
    if exc.description:
        body["error_description"] = exc.description
    headers = {"Cache-Control": "no-store"}
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="oauth"'
    return Response.json(body, exc.status, headers)

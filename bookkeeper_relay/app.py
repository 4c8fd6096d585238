"""The relay's routes (see the package docstring for what each does and why).

`create_app(settings)` builds the ASGI application; `upstream` (an `httpx.AsyncClient`) may be
passed by tests, otherwise one is opened at start-up with timeouts and closed at shutdown.
"""

from __future__ import annotations

import html
import json
import logging
import math
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bookkeeper_relay.ratelimit import AddressLimiter
from bookkeeper_relay.settings import RelaySettings

log = logging.getLogger("bookkeeper_relay")

#: A token request is a few hundred bytes; anything much larger is not one.
MAX_BODY = 16_384
#: What the app may send in a token request (RFC 6749 §4.1.3, §6; RFC 7636 §4.5). Nothing else
#: is forwarded, and the client's own authentication is replaced by the publisher's.
TOKEN_FIELDS = {
    "authorization_code": ("grant_type", "code", "redirect_uri", "code_verifier"),
    "refresh_token": ("grant_type", "refresh_token"),
}
#: `state` as the desktop app makes it, "<listener port>.<random>" (oauth.state_with_port).
STATE_WITH_PORT = re.compile(r"^(\d{4,5})\.[A-Za-z0-9]{16,128}$")
UPSTREAM_TIMEOUT = httpx.Timeout(20.0, connect=10.0)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _oauth_error(error: str, description: str, status: int) -> JSONResponse:
    """An RFC 6749 §5.2 error body, which the desktop app already understands."""
    return JSONResponse({"error": error, "error_description": description}, status_code=status,
                        headers=NO_STORE)


def _page(title: str, message: str, status: int) -> HTMLResponse:
    body = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            "</title></head><body style='font-family:system-ui,sans-serif;max-width:34em;"
            f"margin:4em auto'><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>"
            "</body></html>")
    return HTMLResponse(body, status_code=status,
                        headers={**NO_STORE, "Referrer-Policy": "no-referrer"})


class Relay:
    """The route handlers, sharing the settings and the upstream HTTP client."""

    def __init__(self, settings: RelaySettings, upstream: httpx.AsyncClient | None) -> None:
        self.settings = settings
        self.upstream = upstream
        self.auth = httpx.BasicAuth(settings.client_id, settings.client_secret)

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"}, headers=NO_STORE)

    async def callback(self, request: Request) -> Response:
        """Forward Intuit's redirect (code, state, realmId, or error) to the app's listener on
        the user's own computer. 127.0.0.1, not localhost: this hop is not registered with
        Intuit, and RFC 8252 §8.3 prefers the loopback IP to a name that might resolve to ::1."""
        match = STATE_WITH_PORT.match(request.query_params.get("state", ""))
        port = int(match.group(1)) if match else 0
        if not 1024 <= port <= 65535:
            log.info("callback refused: no listener port in state")
            return _page("This sign-in link cannot be forwarded",
                         "It did not come from Bookkeeper Desktop's Connect button. Start "
                         "again from the app.", 400)
        target = f"http://127.0.0.1:{port}/callback?{request.url.query}"
        return RedirectResponse(target, status_code=303,
                                headers={**NO_STORE, "Referrer-Policy": "no-referrer"})

    async def token(self, request: Request) -> Response:
        body = await _limited_body(request)
        if body is None:
            return _oauth_error("invalid_request", "The request is too large.", 413)
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        refused = self._check_client(form.get("client_id"))
        if refused is not None:
            return refused
        grant = form.get("grant_type", "")
        fields = TOKEN_FIELDS.get(grant)
        if fields is None:
            return _oauth_error("unsupported_grant_type",
                                "Only authorization_code and refresh_token are relayed.", 400)
        forwarded = {name: form[name] for name in fields if name in form}
        return await self._forward(f"token {grant}", self.settings.token_url,
                                   content=urlencode(forwarded).encode(),
                                   content_type="application/x-www-form-urlencoded")

    async def revoke(self, request: Request) -> Response:
        body = await _limited_body(request)
        if body is None:
            return _oauth_error("invalid_request", "The request is too large.", 413)
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("token"), str):
            return _oauth_error("invalid_request", 'Send JSON {"token": …, "client_id": …}.', 400)
        refused = self._check_client(data.get("client_id"))
        if refused is not None:
            return refused
        return await self._forward("revoke", self.settings.revoke_url,
                                   content=json.dumps({"token": data["token"]}).encode(),
                                   content_type="application/json")

    def _check_client(self, client_id: object) -> Response | None:
        """Only the publisher's own app is relayed: the relay must not lend its secret to
        anyone else's client id (which Intuit would refuse anyway)."""
        if client_id != self.settings.client_id:
            log.info("refused: unknown client id")
            return _oauth_error("invalid_client", "This relay serves one app only.", 401)
        return None

    async def _forward(self, what: str, url: str, *, content: bytes,
                       content_type: str) -> Response:
        if self.upstream is None:
            raise RuntimeError("The relay's upstream client is not open")
        try:
            answer = await self.upstream.post(
                url, content=content, auth=self.auth,
                headers={"Content-Type": content_type, "Accept": "application/json"})
        except httpx.HTTPError as exc:
            # The type of failure only: an httpx message can quote the request.
            log.warning("%s: no answer from Intuit (%s)", what, type(exc).__name__)
            return _oauth_error("temporarily_unavailable",
                                "QuickBooks Online's sign-in service did not answer.", 502)
        log.info("%s: Intuit answered %d%s", what, answer.status_code, _error_code(answer))
        headers = {**NO_STORE, "Content-Type": answer.headers.get("Content-Type",
                                                                  "application/json")}
        return Response(answer.content, status_code=answer.status_code, headers=headers)


def _error_code(answer: httpx.Response) -> str:
    """` (invalid_grant)` for an OAuth error answer: the error code is no secret and tells the
    publisher what is going on; the description and any body are never logged."""
    if answer.status_code < 400:
        return ""
    try:
        data = answer.json()
    except ValueError:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    return f" ({error})" if isinstance(error, str) and error.isascii() and len(error) < 40 else ""


async def _limited_body(request: Request) -> bytes | None:
    """The request body, or None when it is over `MAX_BODY`."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class GuardAndLog:
    """ASGI middleware: the per-address rate limit (not on health checks) and one log line per
    request with method, path, status, milliseconds and client address — never the query string,
    which carries the authorization code and `state` on the callback."""

    def __init__(self, app: ASGIApp, limiter: AddressLimiter,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.app = app
        self.limiter = limiter
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = self.clock()
        client = scope.get("client")
        address = str(client[0]) if client else "unknown"
        path = str(scope.get("path", ""))
        status: dict[str, int] = {"code": 500}

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
            await send(message)

        wait = 0.0 if path == "/healthz" else self.limiter.admit(address)
        try:
            if wait > 0:
                response = _oauth_error("slow_down", "Too many requests; try again later.", 429)
                response.headers["Retry-After"] = str(math.ceil(wait))
                await response(scope, receive, tracking_send)
            else:
                await self.app(scope, receive, tracking_send)
        finally:
            log.info("%s %s %d %.0fms client=%s", scope.get("method", ""), path, status["code"],
                     (self.clock() - started) * 1000, address)


def create_app(settings: RelaySettings, *, upstream: httpx.AsyncClient | None = None,
               limiter: AddressLimiter | None = None) -> ASGIApp:
    """The relay as an ASGI application."""
    relay = Relay(settings, upstream)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if upstream is not None:
            yield
            return
        async with httpx.AsyncClient(timeout=UPSTREAM_TIMEOUT) as client:
            relay.upstream = client
            yield
        relay.upstream = None

    routes = [
        Route("/healthz", relay.health, methods=["GET"]),
        Route("/qbo/callback", relay.callback, methods=["GET"]),
        Route("/qbo/token", relay.token, methods=["POST"]),
        Route("/qbo/revoke", relay.revoke, methods=["POST"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    return GuardAndLog(app, limiter or AddressLimiter(settings.rate_per_minute))


def app_info(settings: RelaySettings) -> dict[str, Any]:
    """What the relay says about itself at start-up (no secret)."""
    return {"client_id": settings.client_id, "token_url": settings.token_url,
            "revoke_url": settings.revoke_url, "rate_per_minute": settings.rate_per_minute}

"""The loopback redirect listener of the connect flow (RFC 8252 §7.3, OAuth 2.0 for Native Apps).

The consent page opens in the user's browser; when they allow (or deny) access, the provider
redirects the browser to our redirect URI with `code` and `state` (QBO also `realmId`, the company
id: it comes only here, API_NOTES.md "callback"). `CallbackListener` is the small HTTP server that
receives that one request:

- it binds **127.0.0.1 only** (never 0.0.0.0: nothing on the network can reach it) on the port of
  the redirect URI, which must be the one registered with the provider (both vendors match redirect
  URIs exactly, API_NOTES.md);
- it completes on exactly **one** GET of the callback path whose `state` equals the one we sent;
  any other path, method or `state` gets an error page and the flow keeps waiting (a stray or
  forged request can neither finish nor break it);
- the browser then sees "You can close this window and return to Bookkeeper Desktop" and the
  listener closes;
- `error=access_denied` → `AuthorizationDenied`; any other `error` → `AuthError`; no answer within
  the timeout (5 minutes by default) → `AuthorizationTimedOut`; `cancel()` → `Cancelled`; the port
  already taken → `ConfigurationError` naming the port and what to do.

Setting up the redirect URI
---------------------------
**Development keys (QBO) and every Xero app.** Register `http://localhost:PORT/callback` with the
app (developer.intuit.com → Keys & credentials → Redirect URIs; developer.xero.com → your app →
Redirect URIs) and set the same port in Settings → Redirect port (QBO default 8765, Xero 8766), or
set `QBO_REDIRECT_URI` / `XERO_REDIRECT_URI` to the exact URI. Use `localhost`, not `127.0.0.1`:
Intuit refuses IP addresses and Xero documents only `localhost`; the browser resolves `localhost`
to our 127.0.0.1 listener.

**Production QBO keys.** Intuit accepts only `https` redirect URIs for production keys, and no IP
addresses, so `http://localhost` cannot be registered. Host a static page over HTTPS, e.g.
`https://example.com/bookkeeper/callback.html`, register that URL as the redirect URI, set
`QBO_REDIRECT_URI` to it, and keep Settings → QuickBooks Online → Redirect port as the port the app
listens on (8765 by default). The page only forwards the query string to the listener on the user's
own computer; nothing is stored on the server:

    <!doctype html><meta charset="utf-8"><title>Bookkeeper Desktop</title>
    <script>
      location.replace("http://localhost:8765/callback" + location.search);
    </script>
    <noscript>Copy this address into the browser, changing the beginning to
      http://localhost:8765/callback</noscript>

The token request still names the HTTPS page as `redirect_uri`, as OAuth requires.
"""

from __future__ import annotations

import errno
import html
import os
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from bookkeeper_desktop.core.errors import (
    AuthError,
    AuthorizationDenied,
    Cancelled,
    ConfigurationError,
)

LOOPBACK_HOST = "127.0.0.1"
DEFAULT_TIMEOUT = 300.0
APP_NAME = "Bookkeeper Desktop"


class AuthorizationTimedOut(AuthError):
    """Nobody finished the consent page in the browser in time."""


@dataclass(frozen=True)
class CallbackResult:
    """What the provider's redirect carried. `realm_id` is QBO's company id."""

    code: str
    state: str
    realm_id: str | None = None
    params: Mapping[str, str] = field(default_factory=dict, repr=False)


def _page(title: str, message: str) -> bytes:
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)} — {APP_NAME}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:4em auto;max-width:34em;"
        "color:#222}h1{font-size:1.4em}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p></body></html>"
    ).encode()


DONE_PAGE = _page("Connected", f"You can close this window and return to {APP_NAME}.")
DENIED_PAGE = _page("Access not granted",
                    f"You can close this window and return to {APP_NAME}.")


class _Server(ThreadingHTTPServer):
    # Linux/macOS: SO_REUSEADDR only lets us rebind past TIME_WAIT of an earlier flow; a live
    # listener still gets EADDRINUSE. Windows: SO_REUSEADDR would let two programs share the
    # port, so there we ask for exclusive use instead.
    allow_reuse_address = os.name != "nt"
    # A thread per connection: browsers open speculative connections that never send a request
    # (Chrome's preconnect); one of those must not keep the real redirect waiting.
    daemon_threads = True
    listener: CallbackListener

    def server_bind(self) -> None:
        exclusive = getattr(socket, "SO_EXCLUSIVEADDRUSE", None)
        if os.name == "nt" and exclusive is not None:
            self.socket.setsockopt(socket.SOL_SOCKET, exclusive, 1)
        super().server_bind()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"
    #: Seconds an idle connection may wait before sending its request line.
    timeout = 10
    error_content_type = "text/html;charset=utf-8"

    def do_GET(self) -> None:
        status, body = self.server.listener._handle(self.path)
        self._send(status, body)

    def do_POST(self) -> None:
        self._send(405, _page("Not here", "This address only receives the sign-in redirect."))

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html;charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        # RFC 9700 §4.2.4: no Referer carrying the code to anything the page might load.
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the request line carries the authorization code (RFC 9700: not in logs)."""


class CallbackListener:
    """Waits for the one redirect that finishes a consent. Thread-safe; use as a context manager
    or call `close()`.

    `start()` binds at once (so a taken port is reported before the browser opens); `wait()`
    blocks until the redirect, the timeout or `cancel()`. Port 0 binds any free port; `port`
    then tells which. `state` may be set after `start()` (it is built from the bound port);
    until it is, every request is refused.
    """

    def __init__(self, *, port: int, path: str, state: str | None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.path = path
        self.state = state
        self.timeout = timeout
        self._requested_port = port
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._result: CallbackResult | None = None
        self._error: BaseException | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.rejected: list[str] = []  # what was refused and why (for tests and diagnostics)

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> CallbackListener:
        try:
            server = _Server((LOOPBACK_HOST, self._requested_port), _Handler)
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                raise ConfigurationError(
                    f"Port {self._requested_port} on this computer is already in use by another "
                    "program, so Bookkeeper Desktop cannot receive the sign-in redirect.",
                    hint="Close the other program (or a second Connect in progress) and try "
                         "again, or choose another Redirect port in Settings and register "
                         f"http://localhost:PORT{self.path} with the provider.",
                ) from exc
            raise ConfigurationError(
                f"Cannot listen on port {self._requested_port} for the sign-in redirect: "
                f"{exc.strerror or exc}.",
                hint="Choose another Redirect port in Settings.",
            ) from exc
        server.listener = self
        server.timeout = 0.05  # how often the serving loop looks at the done flag
        self._server = server
        self._thread = threading.Thread(target=self._serve, name="oauth-callback", daemon=True)
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("The listener is not started")
        return int(self._server.server_address[1])

    def _serve(self) -> None:
        server = self._server
        assert server is not None
        while not self._done.is_set():
            server.handle_request()
        # Free the port as soon as the wait is over, even when nobody calls close(): a Connect
        # cancelled before its wait job started (the job is then skipped) never does.
        server.server_close()

    def close(self) -> None:
        """Stop listening and free the port. Safe to call more than once."""
        self._finish(error=Cancelled("The connection was cancelled."), quiet=True)
        server, self._server = self._server, None
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        if server is not None:
            server.server_close()

    def __enter__(self) -> CallbackListener:
        return self.start() if self._server is None else self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def cancel(self) -> None:
        """End the wait with `Cancelled` (the user pressed Cancel)."""
        self._finish(error=Cancelled("The connection was cancelled.",
                                     hint="Nothing was changed; press Connect to start again."))

    def _finish(self, *, result: CallbackResult | None = None,
                error: BaseException | None = None, quiet: bool = False) -> bool:
        with self._lock:
            if self._done.is_set():
                return False
            self._result, self._error = result, None if quiet else error
            self._done.set()
            return True

    # -- waiting ---------------------------------------------------------------------------------
    def wait(self, timeout: float | None = None) -> CallbackResult:
        """The redirect's values; raises `AuthorizationDenied`, `AuthError`,
        `AuthorizationTimedOut` or `Cancelled`. Closes the listener either way."""
        limit = self.timeout if timeout is None else timeout
        try:
            if not self._done.wait(limit):
                self._finish(error=AuthorizationTimedOut(
                    f"No answer came from the browser within {_duration(limit)}.",
                    hint="Press Connect to try again, and finish the sign-in page in the "
                         "browser; if no browser opened, copy the address shown into one.",
                ))
            with self._lock:
                result, error = self._result, self._error
        finally:
            self.close()
        if error is not None:
            raise error
        if result is None:
            raise Cancelled("The connection was cancelled.")
        return result

    # -- the one request -------------------------------------------------------------------------
    def _handle(self, target: str) -> tuple[int, bytes]:
        parts = urlsplit(target)
        if parts.path != self.path:
            self.rejected.append(f"path {parts.path}")
            return 404, _page("Not found", "This address only receives the sign-in redirect.")
        params = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        if self.state is None or params.get("state") != self.state:
            self.rejected.append("state mismatch")
            return 400, _page(
                "This sign-in link does not match",
                f"The answer does not belong to the connection {APP_NAME} is waiting for. Start "
                "again from the app; if this keeps happening, close other sign-in tabs first.",
            )
        if self._done.is_set():
            return 409, _page("Already done",
                              f"This sign-in has already finished. Return to {APP_NAME}.")
        error = params.get("error")
        if error:
            description = params.get("error_description", "")
            if error == "access_denied":
                failure: AuthError = AuthorizationDenied(
                    "Access was not granted on the consent page.",
                    hint="Press Connect again and choose Allow (or Connect) to link the company.",
                )
                page = DENIED_PAGE
            else:
                failure = AuthError(
                    f"The provider refused the sign-in: {error}"
                    + (f" ({description})" if description else "") + ".",
                    hint="Check the client ID and the redirect URI registered for your app.",
                )
                page = _page("Sign-in failed", f"{error}: {description}. Return to {APP_NAME}.")
            self._finish(error=failure)
            return 200, page
        code = params.get("code")
        if not code:
            self.rejected.append("no code")
            return 400, _page("No authorization code",
                              f"The answer carried no code. Start again from {APP_NAME}.")
        if self._finish(result=CallbackResult(code=code, state=params["state"],
                                              realm_id=params.get("realmId") or None,
                                              params=params)):
            return 200, DONE_PAGE
        return 409, _page("Already done",
                          f"This sign-in has already finished. Return to {APP_NAME}.")


def _duration(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} seconds"

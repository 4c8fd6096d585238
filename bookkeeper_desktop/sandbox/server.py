"""Sockets, routing, fault injection and the test-only endpoints every sandbox shares.

`LoopbackServer` turns HTTP/1.1 on 127.0.0.1 (never another interface) into
`sandbox.http.Request` values and writes `Response` values back, one thread per connection
(`ThreadingHTTPServer`), keep-alive included. A handler that raises `DropConnection` makes it close
the socket without writing a byte — how a lost response looks to a client.

`SandboxServer` is the base of `QboSandbox` and `XeroSandbox`: it owns the clock, the OAuth store,
the fault plan, request counters and the test-only endpoints:

- `GET /__sandbox__/state` — JSON of everything stored (OAuth grants and token metadata by
  fingerprint, the accounting API's `to_state()`, the vendor's own records) plus `requests`
  (count per path, token requests per grant type), active `faults` and `limits`.
- `POST /__sandbox__/faults` — add fault rules: a JSON object or list of objects as in
  `faults.Fault.from_json`, or an action `{"action": "expire_tokens"}` /
  `{"action": "revoke_grants"}`; `GET` lists them, `DELETE` clears them.
- `POST /__sandbox__/limits` — `{"enabled": bool, "time_scale": float}`.
- `GET /__sandbox__/latency` — the modelled latency (`latency.LatencyModel.snapshot`: setting,
  the count, sum and list of the delays drawn, most answers held at once); `POST` sets it
  (`LatencyModel.configure_json`: `{"profile": "realistic"|"off", "enabled", "base", "read",
  "write", "spread", "seed", …}`).
- vendor settings a real company changes in the service's own screens: Xero's lock dates
  (`POST /__sandbox__/lock_dates`, see `xero_server`), QBO's closing date and duplicate-number
  warning (`POST /__sandbox__/preferences`, see `qbo_server`);
- `GET /__sandbox__/info` — vendor, base URL and `info` (the demo runner's state file);
  `POST /__sandbox__/reset` — back to the seeded data; `DELETE /__sandbox__/counts` — zero the
  request counters.

These endpoints exist only because the sandbox is a test double on loopback; no real QBO or Xero
has anything like them, and clients must never call them outside tests and the demo.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import http.server
import logging
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, Self
from urllib.parse import unquote

from bookkeeper_desktop.sandbox.clock import Clock, SystemClock
from bookkeeper_desktop.sandbox.faults import Fault, FaultPlan
from bookkeeper_desktop.sandbox.http import Request, Response
from bookkeeper_desktop.sandbox.latency import LatencyModel, parse_latency
from bookkeeper_desktop.sandbox.oauth import OAuthStore

_log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
TEST_PREFIX = "/__sandbox__/"
#: Seconds an idle keep-alive connection may wait for its next request.
IDLE_TIMEOUT = 30.0
#: Largest request body accepted (QBO and Xero refuse writes above a few MB).
MAX_BODY = 16 * 1024 * 1024


class _TooLarge(Exception):
    """A request body over `MAX_BODY`."""


class DropConnection(Exception):
    """Raised by a handler to close the connection without any response."""


App = Callable[[Request], Response]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(IDLE_TIMEOUT)
        # Headers and body go out in two writes; without this, Nagle plus delayed ACK adds
        # ~40 ms to every keep-alive response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read state through the state endpoint, not logs."""

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except _TooLarge:
            self.close_connection = True
            self._write(Response.text("request body too large", 413))
            return
        except ValueError as exc:
            self.close_connection = True
            self._write(Response.text(f"malformed request body: {exc}", 400))
            return
        request = Request.from_target(self.command, self.path, dict(self.headers.items()), body)
        try:
            response = self.server.app(request)
        except DropConnection:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        except Exception as exc:
            # A bug in a handler (or a full disk while saving the demo state) must reach the
            # client as a clear 500, not as a dropped connection that looks like a fault.
            _log.exception("sandbox: %s %s failed", request.method, request.path)
            response = Response.json({"error": "sandbox_error",
                                      "error_description": f"{type(exc).__name__}: {exc}"}, 500)
        self._write(response)

    def _read_body(self) -> bytes:
        """The request body (Content-Length or chunked). Too large: read to the end and thrown
        away (so the client is not reset mid-upload and can read the 413), then `_TooLarge`."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    if total > MAX_BODY:
                        raise _TooLarge
                    return b"".join(chunks)
                total += size
                data = self.rfile.read(size)
                if total <= MAX_BODY:
                    chunks.append(data)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        if length > MAX_BODY:
            remaining = length
            while remaining > 0:
                data = self.rfile.read(min(remaining, 65_536))
                if not data:
                    break
                remaining -= len(data)
            raise _TooLarge
        return self.rfile.read(length) if length else b""

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        headers = {k.lower(): (k, v) for k, v in response.headers.items()}
        for name, value in headers.values():
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        body = b"" if self.command == "HEAD" or response.status in (204, 304) else response.body
        if response.status not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body:
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve  # noqa: N815


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    #: Listen backlog; the stdlib default of 5 resets bursts of parallel clients.
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, port: int, app: App) -> None:
        self.app = app
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__((LOOPBACK, port), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that died or gave up before its answer (the crash tests kill it there) is
        # normal traffic, not a sandbox failure worth a traceback.
        if isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            return
        super().handle_error(request, client_address)

    def drop_all_connections(self) -> None:
        with self.sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 serving `app`. Port 0 picks a free one.

    Attributes:
        port: the port `start()` binds (0: any free one); change it before starting.
    """

    def __init__(self, app: App, *, port: int = 0) -> None:
        self._app = app
        self.port = port
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the server is not running")
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    def start(self) -> str:
        """Listen and serve in a background thread; returns the base URL. `OSError` if the
        port is taken."""
        if self._server is not None:
            return self.base_url
        self._server = _HTTPServer(self.port, self._app)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"sandbox-{self._server.server_address[1]}",
                                        daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop listening and close every open connection."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.drop_all_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def _json_error(message: str, status: int = 400) -> Response:
    return Response.json({"error": message}, status)


def json_object(request: Request) -> dict[str, Any]:
    """The body of a test-only endpoint call, which must be a JSON object (`ValueError` if not)."""
    body = request.json()
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    return body


class SandboxServer:
    """What both vendor sandboxes share. Subclasses implement `route`, `vendor_state`,
    `load_vendor_state`, and the vendor-shaped `error_response` / `throttled_response`.

    Attributes:
        clock: where "now" comes from (inject `FakeClock` in tests).
        oauth: the OAuth store (clients, grants, tokens).
        faults: the active fault rules.
        latency: the modelled network and service latency (`sandbox.latency`; off unless
            configured).
        on_change: called after every request that may have changed state (anything but GET and
            HEAD), before its response is written, with `urgent`: True for OAuth, connections and
            test endpoints (a rotated refresh token must be saved before the client sees it),
            False for accounting API writes. The demo runner saves the state file there.
    """

    vendor = "sandbox"

    def __init__(self, oauth: OAuthStore, *, port: int = 0, clock: Clock | None = None,
                 on_change: Callable[[bool], None] | None = None,
                 latency: str | dict[str, Any] | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        self.oauth = oauth
        self.faults = FaultPlan()
        self.latency = LatencyModel(self.vendor)
        if latency is not None:
            self.configure_latency(latency)
        self.on_change = on_change
        #: Free-form facts `GET /__sandbox__/info` reports (the demo runner puts its state file).
        self.info: dict[str, Any] = {}
        self._http = LoopbackServer(self._serve, port=port)
        self._counts_lock = threading.Lock()
        self._path_counts: Counter[str] = Counter()
        self._grant_counts: Counter[str] = Counter()

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> str:
        """Start serving on 127.0.0.1; returns the base URL (`http://127.0.0.1:PORT`)."""
        return self._http.start()

    def stop(self) -> None:
        self._http.stop()

    @property
    def base_url(self) -> str:
        return self._http.base_url

    @property
    def port(self) -> int:
        """The port to bind on `start()` (0: a free one)."""
        return self._http.port

    @port.setter
    def port(self, value: int) -> None:
        self._http.port = value

    @property
    def running(self) -> bool:
        return self._http.running

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- fault injection (Python API) ----------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        self.faults.add(fault)

    def inject_latency(self, seconds: float, *, path: str | None = None,
                       count: int | None = None) -> None:
        self.faults.add(Fault("latency", count=count, path=path, seconds=seconds))

    def hold_answers(self, seconds: float, *, path: str | None = None,
                     count: int | None = None) -> None:
        """Handle, then wait `seconds` before answering (`latency_after`)."""
        self.faults.add(Fault("latency_after", count=count, path=path, seconds=seconds))

    def fail_next(self, count: int = 1, *, status: int = 503, path: str | None = None,
                  method: str | None = None) -> None:
        self.faults.add(Fault("error", count=count, status=status, path=path, method=method))

    def throttle_next(self, count: int = 1, *, retry_after: float | None = None,
                      problem: str = "minute", path: str | None = None) -> None:
        """429 for the next `count` requests; `retry_after` None: the vendor's habit (Xero: 60,
        Intuit: no Retry-After header)."""
        self.faults.add(Fault("rate_limit", count=count, seconds=retry_after or 0.0,
                              problem=problem, path=path))

    def drop_next(self, count: int = 1, *, after_commit: bool = False, path: str | None = None,
                  method: str | None = None) -> None:
        self.faults.add(Fault("drop_after" if after_commit else "drop_before", count=count,
                              path=path, method=method))

    def clear_faults(self) -> None:
        self.faults.clear()

    def configure_latency(self, setting: str | dict[str, Any]) -> dict[str, Any]:
        """Set the modelled latency: "realistic", "off", a command-line string
        (`latency.parse_latency`) or the JSON of `POST /__sandbox__/latency`; answers the new
        `latency.snapshot()`. `ValueError` when the setting is wrong."""
        body = parse_latency(setting) if isinstance(setting, str) else setting
        self.latency.configure_json(body)
        return self.latency.snapshot()

    def expire_access_tokens(self) -> int:
        """Make every current access token invalid now (the "token expired early" fault)."""
        return self.oauth.expire_access_tokens()

    def revoke_all_grants(self) -> int:
        """As if the user disconnected the app at the vendor: every refresh token fails."""
        count = self.oauth.revoke_all()
        self.after_revoke_all()
        return count

    def after_revoke_all(self) -> None:
        """Vendor hook: Xero removes the connections too."""

    # -- counters ------------------------------------------------------------------------------

    def request_counts(self) -> dict[str, int]:
        """How many requests reached each path (test endpoints excluded)."""
        with self._counts_lock:
            return dict(self._path_counts)

    def token_grant_counts(self) -> dict[str, int]:
        """How many token-endpoint requests came per `grant_type` (e.g. `refresh_token`)."""
        with self._counts_lock:
            return dict(self._grant_counts)

    def count_grant(self, grant_type: str) -> None:
        with self._counts_lock:
            self._grant_counts[grant_type] += 1

    def reset_counts(self) -> None:
        with self._counts_lock:
            self._path_counts.clear()
            self._grant_counts.clear()

    # -- state ---------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """Everything to persist: OAuth grants and tokens (by fingerprint) and vendor data."""
        return {"vendor": self.vendor, "oauth": self.oauth.to_state(), **self.vendor_state()}

    def load_state(self, state: dict[str, Any]) -> None:
        if state.get("vendor") != self.vendor:
            raise ValueError(f"state is for {state.get('vendor')!r}, not {self.vendor!r}")
        self.oauth.from_state(state.get("oauth", {}))
        self.load_vendor_state(state)

    def state_snapshot(self) -> dict[str, Any]:
        """What `GET /__sandbox__/state` answers."""
        return {
            **self.to_state(),
            "clients": [c.to_json() for c in self.oauth.clients.values()],
            "requests": {"by_path": self.request_counts(),
                         "token_grants": self.token_grant_counts()},
            "faults": [f.to_json() for f in self.faults.rules()],
            "limits": self.limits_snapshot(),
            "latency": self.latency.snapshot(),
            "now": self.clock.now(),
        }

    # -- subclass hooks ------------------------------------------------------------------------

    def vendor_state(self) -> dict[str, Any]:
        return {}

    def reset(self) -> None:
        """Forget every grant, token, connection and change: back to the freshly seeded data."""
        self.oauth.from_state({})
        self.reset_vendor()
        self.clear_faults()
        self.reset_counts()

    def reset_vendor(self) -> None:
        """Vendor hook of `reset`: a fresh accounting API seeded as at construction."""

    def load_vendor_state(self, state: dict[str, Any]) -> None:
        """Restore what `vendor_state` returned."""

    def limits_snapshot(self) -> dict[str, Any]:
        return {}

    def configure_limits(self, *, enabled: bool | None = None,
                         time_scale: float | None = None) -> None:
        """Turn rate limits on or off and set the time-scale factor."""

    def route(self, request: Request) -> Response:
        """Answer one vendor request; wrap the part that is "the service" (after authentication
        and rate limits) in `self.serve(request, handler)` so faults apply there."""
        raise NotImplementedError

    def error_response(self, status: int) -> Response:
        """An injected 5xx in the vendor's shape."""
        return Response.text("Service Unavailable", status)

    def throttled_response(self, retry_after: float | None, problem: str) -> Response:
        """A 429 in the vendor's shape; `retry_after` None: the vendor's default."""
        return Response.text("Too Many Requests", 429,
                             headers={"Retry-After": str(round(retry_after or 60))})

    def decorate(self, response: Response) -> Response:
        """Add vendor headers to every response (e.g. QBO's `intuit_tid`)."""
        return response

    # -- the request path ----------------------------------------------------------------------

    def serve(self, request: Request, handler: Callable[[], Response]) -> Response:
        """Run `handler` under the fault rules matching `request`: latency, then drop / injected
        answer / the handler itself, then (drop_after) close without the handler's response;
        then hold the answer for `latency_after` rules plus what is left of the modelled latency
        once the handler's own time is taken off (`sandbox.latency`), both slept here, outside
        every lock, so answers overlap.

        Rules are consumed here, so a request refused before (bad token, over a rate limit) does
        not use up a rule meant for the service behind those gates; such refusals are answered
        at once."""
        decision = self.faults.take(request)
        if decision.latency:
            time.sleep(decision.latency)
        action = decision.action
        hold = 0.0
        started = time.perf_counter()
        if action is not None and action.kind == "drop_before":
            raise DropConnection
        if action is not None and action.kind == "error":
            response = self.error_response(action.status)
        elif action is not None and action.kind == "rate_limit":
            response = self.throttled_response(action.seconds or None, action.problem)
        else:
            response = handler()
            if action is not None and action.kind == "drop_after":
                self._changed(request, always=True)
                raise DropConnection
            hold = decision.latency_after
        if self.latency.enabled:
            # The modelled delay is the answer's whole time at the service: what the sandbox
            # spent handling it (its own CPU, or waiting for the API lock) counts towards it.
            modelled = self.latency.delay(self.objects_in(request, response),
                                          write=request.method not in ("GET", "HEAD"),
                                          path=request.path)
            hold += max(0.0, modelled - (time.perf_counter() - started))
        self.latency.hold(hold)
        return response

    def objects_in(self, request: Request, response: Response) -> int:
        """Vendor hook: how many objects `response` carries (a page, a batch's items), for the
        modelled latency's per-object cost. Here: 1."""
        return 1

    def is_api_path(self, path: str) -> bool:
        """Vendor hook: whether `path` is the accounting API (its changes may be saved a moment
        later) rather than OAuth or connections (saved before the response)."""
        return False

    def _changed(self, request: Request | None, *, always: bool = False) -> None:
        if self.on_change is None:
            return
        if request is None:
            self.on_change(True)
        elif always or request.method not in ("GET", "HEAD"):
            self.on_change(not self.is_api_path(request.path))

    def _serve(self, request: Request) -> Response:
        if request.path.startswith(TEST_PREFIX):
            return self._test_endpoint(request)
        with self._counts_lock:
            self._path_counts[request.path] += 1
        response = self.route(request)
        self._changed(request)
        return self.decorate(response)

    def _test_endpoint(self, request: Request) -> Response:
        name = request.path[len(TEST_PREFIX):].strip("/")
        if name == "state" and request.method == "GET":
            return Response.json(self.state_snapshot())
        if name == "info" and request.method == "GET":
            return Response.json({"vendor": self.vendor, "base_url": self.base_url,
                                  "info": self.info})
        if name == "reset" and request.method == "POST":
            self.reset()
            self._changed(None)
            return Response(204)
        if name == "faults":
            return self._faults_endpoint(request)
        if name == "limits" and request.method == "POST":
            try:
                body = json_object(request)
                enabled = body.get("enabled")
                scale = body.get("time_scale")
                self.configure_limits(
                    enabled=None if enabled is None else bool(enabled),
                    time_scale=None if scale is None else float(scale))
            except (ValueError, TypeError) as exc:
                return _json_error(str(exc))
            return Response.json(self.limits_snapshot())
        if name == "latency":
            return self._latency_endpoint(request)
        if name == "counts" and request.method == "DELETE":
            self.reset_counts()
            return Response(204)
        vendor = self.vendor_test_endpoint(name, request)
        if vendor is not None:
            if request.method not in ("GET", "HEAD") and vendor.status < 400:
                self._changed(None)
            return vendor
        return _json_error(f"no test endpoint {request.method} {request.path}", 404)

    def vendor_test_endpoint(self, name: str, request: Request) -> Response | None:
        """Vendor hook: a test-only endpoint of one vendor's sandbox (`/__sandbox__/{name}`),
        or None when it has none of that name."""
        return None

    def _latency_endpoint(self, request: Request) -> Response:
        if request.method == "GET":
            return Response.json(self.latency.snapshot(delays=True))
        if request.method != "POST":
            return _json_error("use GET or POST", 405)
        try:
            return Response.json(self.configure_latency(json_object(request)))
        except (ValueError, TypeError) as exc:
            return _json_error(str(exc))

    def _faults_endpoint(self, request: Request) -> Response:
        if request.method == "GET":
            return Response.json([f.to_json() for f in self.faults.rules()])
        if request.method == "DELETE":
            self.clear_faults()
            return Response(204)
        if request.method != "POST":
            return _json_error("use GET, POST or DELETE", 405)
        try:
            body = request.json()
        except ValueError:
            return _json_error("the body must be JSON")
        items = body if isinstance(body, list) else [body]
        results: list[dict[str, Any]] = []
        try:
            faults: list[Fault] = []
            for item in items:
                if isinstance(item, dict) and "action" in item:
                    continue
                faults.append(Fault.from_json(item))
        except ValueError as exc:
            return _json_error(str(exc))
        for item in items:
            if isinstance(item, dict) and "action" in item:
                action = item["action"]
                if action == "expire_tokens":
                    results.append({"action": action, "count": self.expire_access_tokens()})
                elif action == "revoke_grants":
                    results.append({"action": action, "count": self.revoke_all_grants()})
                else:
                    return _json_error(f"unknown action {action!r}")
        for fault in faults:
            self.add_fault(fault)
            results.append(fault.to_json())
        self._changed(None)
        return Response.json(results, 201)


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """`Authorization: Basic base64(id:secret)` → (id, secret); None when absent or malformed."""
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if ":" not in decoded:
        return None
    client_id, secret = decoded.split(":", 1)
    # RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
    return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))

"""Both sandboxes in-process for `--demo`, with their state kept in a file.

`DemoSandboxes(state_file).start()` starts the QBO and Xero sandboxes on 127.0.0.1 and returns
their base URLs and the demo client credentials (`DemoEndpoints`). Everything the sandboxes store —
OAuth grants and tokens (by fingerprint), Xero connections, the accounting data — is written to
`state_file` (JSON, atomically: temporary file + rename):

- after every OAuth, connection or test-endpoint change, **before** its response goes out (a
  rotated refresh token must never be newer in the client's keychain than in the sandbox);
- within `save_delay` seconds after accounting API writes (one save for a burst of pushes: the
  whole state is rewritten each time, ~40 ms for a company with a thousand extra entries);
- on `stop()`.

So a demo connection and its data survive a restart and a second `bookkeeper --demo …` command.
`reset()` deletes the file and starts afresh.

Ports: the ones recorded in the state file, else `DEMO_QBO_PORT` / `DEMO_XERO_PORT`, else free ones.
If a demo sandbox for the **same state file** already answers on the recorded ports (the GUI is
running and the command line starts too), the second process uses it instead of starting its own
copy, so the two never write the file over each other (`owned` is then False).

A state file that cannot be read is moved aside to `<name>.unreadable` and the demo starts fresh;
`notice` says so.
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Self

import httpx

from bookkeeper_desktop import paths
from bookkeeper_desktop.sandbox.qbo_server import DEMO_COMPANIES, DEMO_QBO_CLIENT, QboSandbox
from bookkeeper_desktop.sandbox.xero_server import (
    DEMO_ORGANISATIONS,
    DEMO_XERO_CLIENT,
    DEMO_XERO_WEB_CLIENT,
    XeroSandbox,
)

STATE_FORMAT = 1
DEMO_STATE_FILE_NAME = "demo_sandboxes.json"
DEMO_QBO_PORT = 47_811
DEMO_XERO_PORT = 47_812
DEMO_LABEL = "Demo sandbox — no real data"
REDIRECT_URI_PATTERN = "http://localhost:{port}/callback"
#: The demo's QBO company and Xero organisation with the sample company's chart and contacts.
DEMO_SAMPLE_REALM = "9341453050090001"
DEMO_SAMPLE_TENANT = "0b5e6a1c-3d2f-4e8a-9c7b-5a4d3e2f1c0b"
DEMO_SAMPLE_NAME = "Sample Company (demo books)"


def default_state_file() -> Path:
    """`demo_sandboxes.json` in the app's data folder."""
    return paths.data_dir() / DEMO_STATE_FILE_NAME


@dataclass(frozen=True)
class DemoEndpoints:
    """Where the demo sandboxes listen and the credentials of the demo apps."""

    qbo_url: str
    xero_url: str
    qbo_client_id: str
    qbo_client_secret: str
    xero_client_id: str
    redirect_uri_pattern: str
    state_file: str | None
    label: str = DEMO_LABEL
    #: The confidential Xero demo app (broad scopes allowed), for the older-app setting.
    xero_web_client_id: str = DEMO_XERO_WEB_CLIENT.client_id
    xero_web_client_secret: str = DEMO_XERO_WEB_CLIENT.client_secret or ""

    @property
    def qbo_discovery_url(self) -> str:
        return self.qbo_url + "/.well-known/openid_configuration"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class DemoSandboxes:
    """The two demo sandboxes and their state file. Thread-safe; a context manager.

    Args:
        state_file: where to keep the state (None: in memory only).
        port_qbo / port_xero: ports to use (None: recorded or default demo ports, else free).
        limits / time_scale: passed to both sandboxes.
        latency: the modelled latency of both (`SandboxServer.configure_latency`; None: off).
        save_delay: seconds an accounting API write may wait before it is saved (0: at once).
    """

    def __init__(self, state_file: Path | None = None, *, port_qbo: int | None = None,
                 port_xero: int | None = None, limits: bool = True,
                 time_scale: float = 1.0, save_delay: float = 0.5,
                 latency: str | dict[str, Any] | None = None) -> None:
        self.state_file = state_file
        self._latency = latency
        self.save_delay = save_delay
        self._timer: threading.Timer | None = None
        self._ports = (port_qbo, port_xero)
        self._limits = limits
        self._time_scale = time_scale
        self._lock = threading.RLock()
        self.qbo: QboSandbox | None = None
        self.xero: XeroSandbox | None = None
        self.endpoints: DemoEndpoints | None = None
        self.owned = True
        self.notice: str | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> DemoEndpoints:
        """Start (or attach to) the sandboxes; returns their URLs and the demo credentials."""
        with self._lock:
            if self.endpoints is not None:
                return self.endpoints
            saved = self._read_state()
            recorded = saved.get("ports", {}) if saved else {}
            port_qbo = self._ports[0] if self._ports[0] is not None else recorded.get(
                "qbo", DEMO_QBO_PORT)
            port_xero = self._ports[1] if self._ports[1] is not None else recorded.get(
                "xero", DEMO_XERO_PORT)
            attached = self._attach(int(port_qbo), int(port_xero))
            if attached is not None:
                self.owned = False
                self.endpoints = attached
                return attached
            self.qbo, self.xero = self._fresh_servers()
            if saved:
                try:
                    self.qbo.load_state(saved["qbo"])
                    self.xero.load_state(saved["xero"])
                except (ValueError, KeyError, TypeError, AttributeError) as exc:
                    self._set_aside(exc)
                    self.qbo, self.xero = self._fresh_servers()
            qbo_url = _start_on(self.qbo, int(port_qbo))
            xero_url = _start_on(self.xero, int(port_xero))
            for server in (self.qbo, self.xero):
                server.info = {"label": DEMO_LABEL, "state_file": self._state_key()}
            self.owned = True
            self.endpoints = self._endpoints(qbo_url, xero_url)
            self.save()
            return self.endpoints

    def stop(self) -> None:
        """Save and stop (a no-op for sandboxes this object only attached to)."""
        with self._lock:
            self._cancel_timer()
            if self.owned and self.qbo is not None:
                self.save()
            for server in (self.qbo, self.xero):
                if server is not None:
                    server.stop()
            self.qbo = self.xero = None
            self.endpoints = None

    def reset(self) -> DemoEndpoints:
        """Forget everything: stop, delete the state file, start fresh on the same ports."""
        with self._lock:
            endpoints = self.endpoints
            if endpoints is not None and not self.owned:
                for url in (endpoints.qbo_url, endpoints.xero_url):
                    httpx.post(url + "/__sandbox__/reset", timeout=10).raise_for_status()
                return endpoints
            ports = self._ports
            self._cancel_timer()
            if self.qbo is not None and self.xero is not None:
                ports = (_port(self.qbo.base_url), _port(self.xero.base_url))
                self.qbo.stop()
                self.xero.stop()
            self.qbo = self.xero = None
            self.endpoints = None
            if self.state_file is not None:
                self.state_file.unlink(missing_ok=True)
            self._ports = ports
            return self.start()

    # -- state file ----------------------------------------------------------------------------

    def changed(self, urgent: bool) -> None:
        """The sandboxes' `on_change`: save now when `urgent`, else within `save_delay`."""
        if urgent or self.save_delay <= 0:
            self.save()
            return
        with self._lock:
            if self._timer is None:
                self._timer = threading.Timer(self.save_delay, self._deferred_save)
                self._timer.daemon = True
                self._timer.start()

    def _deferred_save(self) -> None:
        with self._lock:
            self._timer = None
            self.save()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def save(self) -> None:
        """Write both sandboxes' state to the file now (atomic)."""
        with self._lock:
            self._cancel_timer()
            if self.state_file is None or self.qbo is None or self.xero is None:
                return
            state: dict[str, Any] = {"format": STATE_FORMAT, "label": DEMO_LABEL,
                                     "qbo": self.qbo.to_state(), "xero": self.xero.to_state()}
            if self.qbo.running and self.xero.running:
                state["ports"] = {"qbo": _port(self.qbo.base_url),
                                  "xero": _port(self.xero.base_url)}
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.state_file.with_name(self.state_file.name + ".tmp")
            temporary.write_text(json.dumps(state, separators=(",", ":"), default=str),
                                 encoding="utf-8")
            temporary.replace(self.state_file)

    def _fresh_servers(self) -> tuple[QboSandbox, XeroSandbox]:
        """The QBO company and the Xero organisation offered first hold the sample company's
        own chart and contacts (`sample_seed`), so the sample company connects to them with
        every account paired and syncs with nothing refused; the usual demo companies, with
        their months of history, come after them."""
        return (QboSandbox(port=0, limits=self._limits, time_scale=self._time_scale,
                           on_change=self.changed, latency=self._latency,
                           companies={DEMO_SAMPLE_REALM: DEMO_SAMPLE_NAME, **DEMO_COMPANIES},
                           sample_companies={DEMO_SAMPLE_REALM}),
                XeroSandbox(port=0, limits=self._limits, time_scale=self._time_scale,
                            on_change=self.changed, latency=self._latency,
                            organisations={DEMO_SAMPLE_TENANT: DEMO_SAMPLE_NAME,
                                           **DEMO_ORGANISATIONS},
                            sample_organisations={DEMO_SAMPLE_TENANT}))

    def _read_state(self) -> dict[str, Any] | None:
        """The saved state as parsed JSON (checked by loading it in `start`), or None."""
        if self.state_file is None or not self.state_file.exists():
            return None
        try:
            state = json.loads(self.state_file.read_text(encoding="utf-8"))
            if (not isinstance(state, dict) or state.get("format") != STATE_FORMAT
                    or not isinstance(state.get("qbo"), dict)
                    or not isinstance(state.get("xero"), dict)):
                raise ValueError("not a demo sandbox state file")
        except (ValueError, OSError) as exc:
            self._set_aside(exc)
            return None
        return state

    def _set_aside(self, problem: Exception) -> None:
        assert self.state_file is not None
        aside = self.state_file.with_name(self.state_file.name + ".unreadable")
        with contextlib.suppress(OSError):
            self.state_file.replace(aside)
        self.notice = (f"The demo sandbox state in {self.state_file} could not be read "
                       f"({problem}); it was moved to {aside.name} and the demo starts afresh.")

    def _state_key(self) -> str | None:
        return str(self.state_file.resolve()) if self.state_file is not None else None

    def _attach(self, port_qbo: int, port_xero: int) -> DemoEndpoints | None:
        """The endpoints of a demo already serving this state file on those ports, if any."""
        if self.state_file is None or not port_qbo or not port_xero:
            return None
        urls = (f"http://127.0.0.1:{port_qbo}", f"http://127.0.0.1:{port_xero}")
        try:
            with httpx.Client(timeout=2.0) as client:
                infos = [client.get(url + "/__sandbox__/info").json() for url in urls]
        except (httpx.HTTPError, ValueError):
            return None
        if [i.get("vendor") for i in infos] != ["qbo", "xero"] or any(
                i.get("info", {}).get("state_file") != self._state_key() for i in infos):
            return None
        return self._endpoints(*urls)

    def _endpoints(self, qbo_url: str, xero_url: str) -> DemoEndpoints:
        return DemoEndpoints(
            qbo_url=qbo_url, xero_url=xero_url, qbo_client_id=DEMO_QBO_CLIENT.client_id,
            qbo_client_secret=DEMO_QBO_CLIENT.client_secret or "",
            xero_client_id=DEMO_XERO_CLIENT.client_id,
            redirect_uri_pattern=REDIRECT_URI_PATTERN, state_file=self._state_key())


def _port(base_url: str) -> int:
    return int(base_url.rsplit(":", 1)[1])


def _start_on(server: QboSandbox | XeroSandbox, port: int) -> str:
    """Start on `port`, or on a free port when it is taken."""
    server.port = port
    try:
        return server.start()
    except OSError:
        server.port = 0
        return server.start()

"""`python -m bookkeeper_desktop.sandbox`: run both sandboxes until Ctrl+C.

Prints their base URLs and the demo apps' credentials. `--state FILE` keeps (and reloads) their
state in FILE; without it, nothing is written and every run starts from the seeded companies.
`--latency realistic` makes them answer after a modelled delay, as the real services do
(`sandbox.latency`; off by default).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from bookkeeper_desktop.sandbox.demo import (
    DEMO_LABEL,
    DEMO_QBO_PORT,
    DEMO_XERO_PORT,
    DemoEndpoints,
    DemoSandboxes,
)
from bookkeeper_desktop.sandbox.latency import parse_latency


def describe(endpoints: DemoEndpoints) -> str:
    """The lines printed at start-up (also what `--demo` front ends may show)."""
    return "\n".join([
        DEMO_LABEL,
        f"QBO sandbox:   {endpoints.qbo_url}",
        f"  discovery:     {endpoints.qbo_discovery_url}",
        f"  client id:     {endpoints.qbo_client_id}",
        f"  client secret: {endpoints.qbo_client_secret}",
        f"Xero sandbox:  {endpoints.xero_url}",
        f"  authorize:     {endpoints.xero_url}/identity/connect/authorize",
        f"  client id:     {endpoints.xero_client_id} (PKCE app, no secret)",
        f"  web app:       {endpoints.xero_web_client_id} / {endpoints.xero_web_client_secret}"
        " (confidential, broad scopes allowed)",
        f"Redirect URI:  {endpoints.redirect_uri_pattern} (any port)",
        f"State file:    {endpoints.state_file or '(none: in memory only)'}",
        "Test-only endpoints: /__sandbox__/state, /__sandbox__/faults, /__sandbox__/latency"
        " on both servers.",
    ])


def main(argv: Sequence[str] | None = None, *, stop: threading.Event | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bookkeeper_desktop.sandbox",
                                     description="Run the QBO and Xero demo sandboxes.")
    parser.add_argument("--port-qbo", type=int, default=DEMO_QBO_PORT,
                        help=f"port of the QBO sandbox (default {DEMO_QBO_PORT}; 0: any free)")
    parser.add_argument("--port-xero", type=int, default=DEMO_XERO_PORT,
                        help=f"port of the Xero sandbox (default {DEMO_XERO_PORT}; 0: any free)")
    parser.add_argument("--state", type=Path, default=None,
                        help="JSON file to keep the sandboxes' state in across runs")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="shrink rate-limit windows (0.01 makes a minute 0.6 s)")
    parser.add_argument("--no-limits", action="store_true", help="do not enforce rate limits")
    parser.add_argument("--latency", default="off", metavar="realistic|off|FIGURES",
                        help="answer after a modelled network and service delay: 'realistic' "
                             "(each vendor's estimated figures), 'off' (default), or figures "
                             "such as base=0.2,read=0.0004,write=0.02,spread=0.35,seed=7 "
                             "(seconds; see bookkeeper_desktop/sandbox/latency.py)")
    args = parser.parse_args(argv)
    if args.time_scale <= 0:
        parser.error("--time-scale must be positive")
    try:
        latency = parse_latency(args.latency)
    except ValueError as exc:
        parser.error(f"--latency: {exc}")
    demo = DemoSandboxes(args.state, port_qbo=args.port_qbo, port_xero=args.port_xero,
                         limits=not args.no_limits, time_scale=args.time_scale,
                         latency=latency)
    try:
        endpoints = demo.start()
    except OSError as exc:
        print(f"Cannot start the sandboxes: {exc}", file=sys.stderr)
        return 1
    if demo.notice:
        print(demo.notice, file=sys.stderr)
    print(describe(endpoints), flush=True)
    if not demo.owned:
        print("Already running in another process; using it.", flush=True)
        return 0
    waiter = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        _stop_on_signals(waiter)
    try:
        while not waiter.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        demo.stop()
    return 0


def _stop_on_signals(waiter: threading.Event) -> None:
    """Ctrl+C (SIGINT) and SIGTERM (a service manager, `kill`) stop the sandboxes after saving.
    Set explicitly: a process started in the background by a non-interactive shell inherits
    SIGINT *ignored*, and Python then installs no KeyboardInterrupt handler of its own."""
    def handle(_signum: int, _frame: object) -> None:
        waiter.set()

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, handle)


if __name__ == "__main__":
    sys.exit(main())

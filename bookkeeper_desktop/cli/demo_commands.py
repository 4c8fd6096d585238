"""`bookkeeper --demo sandbox-reset`: start the demo sandboxes afresh (their seeded companies,
no connections). The demo books are left alone; delete companies with `companies` if wanted."""

from __future__ import annotations

import argparse

from bookkeeper_desktop.cli.common import Context, SubParsers, add_command
from bookkeeper_desktop.core.errors import ConfigurationError
from bookkeeper_desktop.demo_mode import public_endpoints


def register(subparsers: SubParsers) -> None:
    parser = add_command(subparsers, "sandbox-reset",
                         help="with --demo: start the QBO and Xero demo sandboxes afresh")
    parser.set_defaults(handler=sandbox_reset)


def sandbox_reset(ctx: Context, _args: argparse.Namespace) -> int:
    if ctx.demo_sandboxes is None:
        raise ConfigurationError("sandbox-reset works on the demo sandboxes only.",
                                 hint="Run it as: bookkeeper --demo sandbox-reset")
    endpoints = ctx.demo_sandboxes.reset()
    if ctx.json:
        ctx.emit_json({"reset": True, **public_endpoints(endpoints)})
    else:
        ctx.print(f"The demo sandboxes were reset: QuickBooks Online {endpoints.qbo_url}, "
                  f"Xero {endpoints.xero_url}")
    return 0

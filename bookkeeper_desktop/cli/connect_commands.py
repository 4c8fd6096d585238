"""`bookkeeper connect qbo|xero` and `bookkeeper disconnect qbo|xero`.

connect: checks the keychain, starts the loopback listener, prints the authorization URL **on its
own line** (to stdout; to stderr with `--json`, so stdout stays JSON), opens it in the system
browser unless `--no-browser` (or there is no desktop session: see
`graphical_browser_available`), waits for the redirect (Ctrl+C cancels), and reports the company it
connected to. Xero consents covering several organisations need `--tenant NAME` (or an answer to
the prompt when run in a terminal).

One company, one set of books: a company kept in step with one provider connects the other one
only with `--push-only` (our entries are sent there, nothing is pulled from it; the way to move
books from QuickBooks Online to Xero or back). Without it the command refuses and says so.

disconnect: revokes at the provider (Xero: also deletes the organisation connection), deletes the
keychain entry and marks the connection disconnected. A revoke the provider does not confirm still
clears the local secrets; the command says so on stderr and exits 0.

Configuration comes from the environment variables of the seed (`QBO_CLIENT_ID`, …; see
`providers.config`) over the default Settings, the client secret from the keychain otherwise.
`BOOKKEEPER_SANDBOX_QBO_URL` / `BOOKKEEPER_SANDBOX_XERO_URL` point it at sandboxes
(`providers.config.demo_environment` builds the whole set for `--demo`).
"""

from __future__ import annotations

import argparse
import os
import sys
import webbrowser
from collections.abc import Mapping, Sequence

from bookkeeper_desktop.cli.common import Context, SubParsers, add_command
from bookkeeper_desktop.core.errors import ConfigurationError, NotFound, ValidationError
from bookkeeper_desktop.providers.config import (
    Provider,
    ProviderConfig,
    load_config,
    parse_provider,
)
from bookkeeper_desktop.providers.connect import (
    ConnectFlow,
    ConnectResult,
    Tenant,
    TenantChoiceNeeded,
    TenantChooser,
    tenant_by_name,
)
from bookkeeper_desktop.providers.connections import ConnectionState
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.providers.loopback import DEFAULT_TIMEOUT
from bookkeeper_desktop.providers.tokens import TokenManager, forget_locally
from bookkeeper_desktop.services.connection_store import DatabaseConnectionStore
from bookkeeper_desktop.services.connections import (
    kept_in_step_with,
    second_provider_question,
    set_push_only,
)
from bookkeeper_desktop.settings import Settings


def register(subparsers: SubParsers) -> None:
    connect = add_command(subparsers, "connect",
                          help="connect the company to QuickBooks Online or Xero (OAuth in the "
                               "system browser)")
    connect.add_argument("provider", choices=["qbo", "xero"])
    connect.add_argument("--no-browser", action="store_true",
                         help="only print the address to open, do not start a browser")
    connect.add_argument("--tenant", metavar="NAME",
                         help="Xero: the organisation to connect when the consent covers several")
    connect.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                         help=f"how long to wait for the browser (default {DEFAULT_TIMEOUT:g})")
    connect.add_argument("--push-only", action="store_true",
                         help="send this company's entries there but pull nothing from it (for "
                              "a second provider: moving books from one to the other)")
    connect.add_argument("--broad-scopes", action="store_true",
                         help="Xero apps created before March 2026: ask for the broad "
                              "accounting.transactions scopes instead of granular ones")
    connect.set_defaults(handler=connect_command)

    disconnect = add_command(subparsers, "disconnect",
                             help="revoke access and delete the saved sign-in")
    disconnect.add_argument("provider", choices=["qbo", "xero"])
    disconnect.set_defaults(handler=disconnect_command)


def provider_config(provider: Provider, keychain: Keychain, *, broad_scopes: bool = False,
                    env: Mapping[str, str] | None = None,
                    settings: Settings | None = None) -> ProviderConfig:
    """The configuration the command line connects with (environment over default Settings,
    client secret from the keychain when no environment variable gives one)."""
    return load_config(provider, settings, env=os.environ if env is None else env,
                       secret_lookup=keychain.client_secret, broad_scopes=broad_scopes)


def graphical_browser_available(env: Mapping[str, str] | None = None,
                                platform: str = sys.platform) -> bool:
    """Whether `webbrowser.open` would start a window rather than a text browser in this
    terminal. On Linux without a desktop session (SSH, a server) Python's webbrowser falls back
    to w3m/lynx, which would take over the terminal while we wait; then we only print the URL.
    `BROWSER` set by the user is always honoured."""
    env = os.environ if env is None else env
    if env.get("BROWSER"):
        return True
    if platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))
    return True


def _prompt_chooser(ctx: Context) -> TenantChooser | None:
    """Ask in the terminal; None when there is no terminal to ask in."""
    if not sys.stdin.isatty():
        return None

    def choose(tenants: Sequence[Tenant]) -> Tenant | None:
        print("The consent covers several organisations:", file=ctx.err)
        for number, tenant in enumerate(tenants, start=1):
            print(f"  {number}. {tenant.name}", file=ctx.err)
        answer = input("Connect which one (number)? ").strip()
        if answer.isdigit() and 1 <= int(answer) <= len(tenants):
            return tenants[int(answer) - 1]
        return None

    return choose


def connect_command(ctx: Context, args: argparse.Namespace) -> int:
    provider = parse_provider(args.provider)
    company = ctx.company()
    primary = kept_in_step_with(ctx.db, company.id, other_than=provider.value)
    if primary is not None and not args.push_only:
        raise ValidationError(
            second_provider_question(provider.display_name,
                                     parse_provider(primary).display_name),
            hint=f"Connect it push only: bookkeeper connect {provider.value} --push-only")
    keychain = Keychain()
    config = provider_config(provider, keychain, broad_scopes=args.broad_scopes)
    # Before the flow, so that no sync can pull from it in between; a provider connected in
    # step (the only one) drops a push-only flag left from earlier.
    set_push_only(ctx.db, company.id, provider.value, args.push_only)
    chooser = tenant_by_name(args.tenant) if args.tenant else _prompt_chooser(ctx)
    use_browser = not args.no_browser and graphical_browser_available()
    flow = ConnectFlow(
        company.id, config, keychain=keychain, store=DatabaseConnectionStore(ctx.db),
        open_browser=webbrowser.open if use_browser else (lambda _url: False),
        choose_tenant=chooser, timeout=args.timeout,
    )
    request = flow.start()
    notes = ctx.err if ctx.json else ctx.out
    print(f"Connecting {company.name} to {config.label}.", file=notes)
    print("Open this address in a browser on this computer and allow access"
          + (" (it should open by itself)" if use_browser else "") + ":", file=notes)
    print(request.url, file=notes, flush=True)
    minutes = args.timeout / 60
    print(f"Waiting for the browser (up to {minutes:g} minute{'s' if minutes != 1 else ''}; "
          "Ctrl+C cancels)…", file=notes, flush=True)
    try:
        result = flow.wait()
    except TenantChoiceNeeded:
        flow.abandon()  # nobody here to choose: leave no live grant behind
        raise
    except BaseException:
        flow.cancel()
        raise
    _report_connected(ctx, result)
    if args.push_only and not ctx.json:
        ctx.print(f"Push only: the entries of {company.name} are sent to {provider.display_name}; "
                  "nothing is pulled from it.")
    return 0


def _report_connected(ctx: Context, result: ConnectResult) -> None:
    connection = result.connection
    if ctx.json:
        ctx.emit_json({
            "provider": connection.provider.value, "company_name": connection.company_name,
            "tenant_id": connection.tenant_id, "status": connection.status.value,
            "scopes": list(connection.scopes), "sandbox": connection.is_sandbox,
            "access_expires_at": connection.access_expires_at,
        })
        return
    ctx.print(result.message)


def disconnect_command(ctx: Context, args: argparse.Namespace) -> int:
    provider = parse_provider(args.provider)
    company = ctx.company()
    keychain = Keychain()
    store = DatabaseConnectionStore(ctx.db)
    existing = store.get(company.id, provider)
    stored = keychain.load_token(company.id, provider)
    if stored is None and (existing is None or existing.status is ConnectionState.DISCONNECTED):
        raise NotFound(f"{company.name} is not connected to {provider.display_name}.")
    try:
        config = provider_config(provider, keychain)
    except ConfigurationError as exc:
        result = forget_locally(company.id, provider, keychain=keychain, store=store,
                                why=exc.message)
    else:
        manager = TokenManager(company.id, config, keychain=keychain, store=store)
        result = manager.disconnect()
    if ctx.json:
        ctx.emit_json({"provider": provider.value, "revoked": result.revoked,
                       "connection_deleted": result.connection_deleted,
                       "local_cleared": result.local_cleared, "problems": list(result.problems),
                       "message": result.message})
    else:
        ctx.print(result.message)
    if not result.revoked:
        ctx.warn(f"warning: {provider.display_name} did not confirm the revocation; "
                 "the saved sign-in was deleted from this computer anyway.")
    return 0


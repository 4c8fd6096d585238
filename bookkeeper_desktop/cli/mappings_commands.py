"""`bookkeeper mappings list|remote|set|confirm|reject|create-remote|auto-confirm qbo|xero …`:
the account mapping from the command line, so that a server running `bookkeeper sync --watch`
can be made to push without the app.

- `list PROVIDER [--unmapped | --proposed]`: our accounts and what each is mapped to, with why
  and what differs.
- `remote PROVIDER [WORDS…]`: the provider's accounts as the last sync saw them (to pick from).
- `set PROVIDER ACCOUNT REMOTE`: map our account (number or full name) to a remote account (its
  id, number/code or full name), confirmed.
- `confirm PROVIDER [ACCOUNT…] [--all] [--accept-warnings]`: confirm proposals; one that differs
  from our account (type, names) is confirmed only with `--accept-warnings`.
- `reject PROVIDER ACCOUNT…`: drop a proposal or clear a mapping.
- `create-remote PROVIDER [ACCOUNT…] [--dry-run]`: create these accounts (default: every one
  with no mapping) in QuickBooks Online / Xero and map them; `--dry-run` only shows the preview.
- `auto-confirm PROVIDER [on|off]`: whether a sync confirms exact matches (same number or name,
  same type) on its own; on by default.

Exit statuses: 0 done; 3 done, but some proposals wait for `--accept-warnings` or some accounts
could not be created (see stderr); 1 an error (not connected, unknown account); 2 usage.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from bookkeeper_desktop.cli.common import Context, SubParsers, add_command, add_subcommands
from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.errors import NotFound
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.services import accounts as account_service
from bookkeeper_desktop.services import mappings
from bookkeeper_desktop.services.connections import integration_settings, set_integration_setting
from bookkeeper_desktop.services.remote_accounts import (
    create_remote_accounts,
    plan_remote_accounts,
)
from bookkeeper_desktop.sync.store import AUTO_CONFIRM_EXACT

PROBLEMS_EXIT = 3


def register(subparsers: SubParsers) -> None:
    group = add_command(subparsers, "mappings",
                        help="see and change how our accounts map to QuickBooks Online / Xero")
    commands = add_subcommands(group, "mapping commands")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        parser = add_command(commands, name, help=help)
        parser.add_argument("provider", choices=["qbo", "xero"])
        return parser

    listing = command("list", "our accounts and their mappings")
    only = listing.add_mutually_exclusive_group()
    only.add_argument("--unmapped", action="store_true", help="only accounts with no mapping")
    only.add_argument("--proposed", action="store_true", help="only proposals to confirm")
    listing.set_defaults(handler=list_command)
    remote = command("remote", "the provider's accounts (as of the last sync) to map to")
    remote.add_argument("words", nargs="*", help="only accounts whose number, name or type "
                                                  "contains these words")
    remote.set_defaults(handler=remote_command)
    set_ = command("set", "map one of our accounts to a remote account (confirmed)")
    set_.add_argument("account", help="our account: number or full name")
    set_.add_argument("remote", help="the remote account: id, number/code or full name")
    set_.set_defaults(handler=set_command)
    confirm = command("confirm", "confirm proposed mappings")
    confirm.add_argument("accounts", nargs="*", help="our accounts: numbers or full names")
    confirm.add_argument("--all", action="store_true", help="every proposal")
    confirm.add_argument("--accept-warnings", action="store_true",
                         help="also confirm proposals whose type or names differ from ours")
    confirm.set_defaults(handler=confirm_command)
    reject = command("reject", "drop proposals or clear mappings")
    reject.add_argument("accounts", nargs="+", help="our accounts: numbers or full names")
    reject.set_defaults(handler=reject_command)
    create = command("create-remote", "create accounts in QuickBooks Online / Xero and map them")
    create.add_argument("accounts", nargs="*",
                        help="our accounts: numbers or full names (default: every account with "
                             "no mapping)")
    create.add_argument("--dry-run", action="store_true",
                        help="only show what would be created")
    create.set_defaults(handler=create_command)
    auto = command("auto-confirm", "whether a sync confirms exact matches on its own "
                                   "(same number or name, same type); default on")
    auto.add_argument("switch", nargs="?", choices=["on", "off"],
                      help="turn it on or off (without: show it)")
    auto.set_defaults(handler=auto_confirm_command)


def _account(ctx: Context, company_id: int, text: str) -> Account:
    found = account_service.find_account(ctx.db, company_id, text)
    if found is None or found.id is None:
        raise NotFound(f"There is no account '{text}' in this company.",
                       hint="Name it by its number or its full name (Parent:Child).")
    return found


def _ids(ctx: Context, company_id: int, texts: Sequence[str]) -> list[int]:
    return [_account(ctx, company_id, text).id or 0 for text in texts]


def list_command(ctx: Context, args: argparse.Namespace) -> int:
    company = ctx.company()
    by_account = mappings.mapping_by_account(ctx.db, company.id, args.provider)
    rows = []
    for account in account_service.list_accounts(ctx.db, company.id):
        mapping = by_account.get(account.id or 0)
        if args.unmapped and mapping is not None:
            continue
        if args.proposed and (mapping is None or mapping.state is not
                              mappings.MappingState.PROPOSED):
            continue
        rows.append({
            "account_id": account.id, "number": account.code, "account": account.full_name,
            "type": account.type.label,
            "state": mapping.state.value if mapping else "not mapped",
            "remote_id": mapping.remote_id if mapping else None,
            "remote_code": mapping.remote_code if mapping else None,
            "remote_name": mapping.remote_name if mapping else None,
            "reason": mapping.proposal_reason if mapping else "",
            "warning": mapping.warning if mapping else "",
        })
    if ctx.json:
        ctx.emit_json(rows)
        return 0
    ctx.table(["Number", "Account", "Type", "State", "Remote account", "Why", "Check"],
              [[r["number"], r["account"], r["type"], r["state"],
                " ".join(str(v) for v in (r["remote_code"], r["remote_name"]) if v),
                r["reason"], r["warning"]] for r in rows])
    return 0


def remote_command(ctx: Context, args: argparse.Namespace) -> int:
    company = ctx.company()
    text = " ".join(args.words)
    remotes = [r for r in mappings.list_remote_accounts(ctx.db, company.id, args.provider)
               if r.matches(text)]
    if ctx.json:
        ctx.emit_json([{"id": r.key, "code": r.code, "name": r.name, "type": r.type_label,
                        "active": r.active, "mapped_to": r.mapped_to} for r in remotes])
        return 0
    if not remotes:
        ctx.warn("no remote accounts (sync first to fetch the provider's chart)")
    ctx.table(["Id", "Number", "Name", "Type", "Active"],
              [[r.key, r.code, r.name, r.type_label, r.active] for r in remotes])
    return 0


def set_command(ctx: Context, args: argparse.Namespace) -> int:
    company = ctx.company()
    account = _account(ctx, company.id, args.account)
    remote = mappings.find_remote_account(
        mappings.list_remote_accounts(ctx.db, company.id, args.provider), args.remote)
    saved = mappings.map_by_hand(ctx.db, company.id, args.provider, account.id or 0, remote)
    if ctx.json:
        ctx.emit_json(saved)
    else:
        ctx.print(f"{account.full_name} → {remote.name} ({Provider.name_of(args.provider)}), "
                  "confirmed.")
    if saved.warning:
        ctx.warn(f"{account.full_name}: {saved.warning}")
    return 0


def confirm_command(ctx: Context, args: argparse.Namespace) -> int:
    company = ctx.company()
    if not args.accounts and not args.all:
        raise NotFound("Name the accounts to confirm, or use --all.")
    proposals = {m.account_id: m for m in mappings.list_mappings(ctx.db, company.id,
                                                                 args.provider)
                 if m.state is mappings.MappingState.PROPOSED}
    wanted = list(proposals) if args.all else _ids(ctx, company.id, args.accounts)
    waiting = [proposals[i] for i in wanted if i in proposals and proposals[i].warning
               and not args.accept_warnings]
    ready = [i for i in wanted if i in proposals and proposals[i] not in waiting]
    count = mappings.confirm_mappings(ctx.db, company.id, args.provider, ready,
                                      accept_warnings=args.accept_warnings)
    names = {a.id: a.full_name for a in account_service.list_accounts(ctx.db, company.id)}
    if ctx.json:
        ctx.emit_json({"confirmed": count,
                       "waiting": [{"account": names.get(m.account_id), "remote": m.remote_name,
                                    "warning": m.warning} for m in waiting]})
    else:
        ctx.print(f"{count} mapping(s) confirmed.")
    for mapping in waiting:
        ctx.warn(f"not confirmed: {names.get(mapping.account_id)} → {mapping.remote_name}: "
                 f"{mapping.warning} (check it, then use --accept-warnings)")
    return PROBLEMS_EXIT if waiting else 0


def reject_command(ctx: Context, args: argparse.Namespace) -> int:
    company = ctx.company()
    removed = sum(mappings.remove_mapping(ctx.db, company.id, args.provider, account_id)
                  for account_id in _ids(ctx, company.id, args.accounts))
    if ctx.json:
        ctx.emit_json({"removed": removed})
    else:
        ctx.print(f"{removed} mapping(s) removed.")
    return 0


def create_command(ctx: Context, args: argparse.Namespace) -> int:
    company = ctx.company()
    ids = _ids(ctx, company.id, args.accounts) if args.accounts else None
    plan = plan_remote_accounts(ctx.db, company.id, args.provider, ids)
    name = Provider.name_of(args.provider)
    if args.dry_run or not plan:
        if ctx.json:
            ctx.emit_json([{**vars(p), "ok": p.ok} for p in plan])
        else:
            ctx.print(f"{sum(p.ok for p in plan)} account(s) would be created in {name}:"
                      if plan else f"Every account is mapped to {name}: nothing to create.")
            for planned in plan:
                ctx.print(f"  {planned.describe(args.provider)}")
        return 0
    outcome = create_remote_accounts(ctx.db, company.id, args.provider, ids)
    if ctx.json:
        ctx.emit_json(outcome)
    else:
        ctx.print(outcome.summary)
    for failed in outcome.failed:
        ctx.warn(f"not created: {failed}")
    return PROBLEMS_EXIT if outcome.failed else 0


def auto_confirm_command(ctx: Context, args: argparse.Namespace) -> int:
    company = ctx.company()
    if args.switch is not None:
        set_integration_setting(ctx.db, company.id, args.provider, AUTO_CONFIRM_EXACT,
                                "1" if args.switch == "on" else "0")
    raw = integration_settings(ctx.db, company.id, args.provider).get(AUTO_CONFIRM_EXACT, "1")
    on = str(raw).strip().lower() not in ("0", "false", "no", "off")
    if ctx.json:
        ctx.emit_json({"provider": args.provider, "auto_confirm_exact": on})
    else:
        ctx.print(f"Exact matches are {'confirmed on their own' if on else 'left for you'} "
                  f"at each {Provider.name_of(args.provider)} sync.")
    return 0

"""`bookkeeper entries list|approve|post|void`."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from bookkeeper_desktop.cli.common import (
    Context,
    SubParsers,
    add_command,
    add_subcommands,
    non_negative_int,
    parse_date,
    to_jsonable,
)
from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.errors import ValidationError
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry
from bookkeeper_desktop.services import accounts, entries
from bookkeeper_desktop.storage.records import BulkResult, EntryFilter, EntrySort, SortColumn

STATUS_NAMES = [s.value for s in EntryStatus]


def _statuses(text: str) -> frozenset[EntryStatus]:
    """argparse type: `posted` or `approved,posted`."""
    try:
        return frozenset(EntryStatus(part.strip().lower()) for part in text.split(",") if part)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a status (use {', '.join(STATUS_NAMES)})") from exc


def _entry_id(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"'{text}' is not an entry id (a whole number)")
    return int(text)


def register(subparsers: SubParsers) -> None:
    parser = add_command(subparsers, "entries", help="list journal entries; approve, post, void")
    commands = add_subcommands(parser, "entries commands")

    listing = add_command(commands, "list", help="list journal entries (oldest first)")
    listing.add_argument("--status", type=_statuses, action="append", metavar="STATUS",
                         help=f"only these statuses ({', '.join(STATUS_NAMES)}; repeat or "
                              "separate with commas)")
    listing.add_argument("--from", dest="date_from", type=parse_date, metavar="YYYY-MM-DD",
                         help="dated on or after")
    listing.add_argument("--to", dest="date_to", type=parse_date, metavar="YYYY-MM-DD",
                         help="dated on or before")
    listing.add_argument("--text", default="", help="number or memo contains this")
    listing.add_argument("--lines", action="store_true",
                         help="include each entry's lines (always in --json)")
    listing.add_argument("--limit", type=non_negative_int, default=None, metavar="N",
                         help="at most N entries")
    listing.add_argument("--desc", action="store_true", help="newest first")
    listing.set_defaults(handler=list_entries)

    for name, verb, handler in (
        ("approve", "approve draft entries", approve),
        ("post", "post approved entries", post),
        ("void", "void posted entries", void),
    ):
        command = add_command(commands, name, help=verb)
        command.add_argument("ids", nargs="+", type=_entry_id, metavar="ID")
        if name == "void":
            command.add_argument("--reason", default="", help="why (kept in the audit log)")
        command.set_defaults(handler=handler)


def list_entries(ctx: Context, args: argparse.Namespace) -> int:
    if args.date_from and args.date_to and args.date_from > args.date_to:
        raise ValidationError("The date range is empty.",
                              [f"--from {args.date_from} is after --to {args.date_to}."])
    statuses = frozenset().union(*args.status) if args.status else None
    company = ctx.company()
    flt = EntryFilter(statuses=statuses, date_from=args.date_from, date_to=args.date_to,
                      text=args.text)
    sort = EntrySort(SortColumn.DATE, descending=args.desc)
    if ctx.json:
        ids = entries.entry_ids(ctx.db, company.id, flt, sort)
        if args.limit is not None:
            ids = ids[:args.limit]
        chart = accounts.accounts_by_id(ctx.db, company.id)
        ctx.emit_json([_entry_json(e, chart)
                       for e in entries.get_entries(ctx.db, company.id, ids)])
        return 0
    limit = args.limit if args.limit is not None else entries.count_entries(ctx.db, company.id, flt)
    summaries = entries.page_entries(ctx.db, company.id, flt, sort, offset=0, limit=limit)
    if args.lines:
        full = entries.get_entries(ctx.db, company.id, [s.id for s in summaries])
        chart = accounts.accounts_by_id(ctx.db, company.id)
        for entry in full:
            ctx.print(f"#{entry.id} {entry.date} {entry.number} {entry.status.value} "
                      f"{entry.memo}".rstrip())
            for line in entry.lines:
                account = chart.get(line.account_id)
                name = f"{account.code or ''} {account.full_name}".strip() if account else ""
                ctx.print(f"    {name[:40]:<40} {line.debit:>14,.2f} {line.credit:>14,.2f}  "
                          f"{line.description}".rstrip())
        return 0
    ctx.table(
        ["ID", "DATE", "NUMBER", "STATUS", "AMOUNT", "LINES", "MEMO"],
        [[s.id, s.date, s.number, s.status, s.total, s.line_count, s.memo] for s in summaries],
        right=(0, 4, 5),
    )
    return 0


def _entry_json(entry: JournalEntry, chart: Mapping[int, Account]) -> object:
    """An entry for scripts: amounts as exact strings, each line with its account's code and
    full name beside the id."""
    data = to_jsonable(entry)
    assert isinstance(data, dict)
    data.pop("created_at", None)
    for line in data["lines"]:
        account = chart.get(line["account_id"])
        line["account_code"] = account.code if account else None
        line["account_name"] = account.full_name if account else None
    return data


def _report(ctx: Context, result: BulkResult, verb: str) -> int:
    """Each refusal on its own line on stderr; exit 1 when any entry was refused."""
    if ctx.json:
        ctx.emit_json({"done": list(result.done),
                       "refused": [{"id": r.entry_id, "reason": r.reason}
                                   for r in result.refused]})
    elif result.done:
        ctx.print(f"{verb.capitalize()} {len(result.done)} "
                  f"{'entry' if len(result.done) == 1 else 'entries'}: "
                  + ", ".join(f"#{i}" for i in result.done))
    for refusal in result.refused:
        ctx.warn(f"error: entry #{refusal.entry_id} not {verb}: {refusal.reason}")
    return 0 if result.ok else 1


def approve(ctx: Context, args: argparse.Namespace) -> int:
    company = ctx.company()
    return _report(ctx, entries.approve_entries(ctx.db, company.id, args.ids), "approved")


def post(ctx: Context, args: argparse.Namespace) -> int:
    company = ctx.company()
    return _report(ctx, entries.post_entries(ctx.db, company.id, args.ids), "posted")


def void(ctx: Context, args: argparse.Namespace) -> int:
    company = ctx.company()
    result = entries.void_entries(ctx.db, company.id, args.ids, reason=args.reason)
    return _report(ctx, result, "voided")

"""`bookkeeper companies list|create|rename|switch`."""

from __future__ import annotations

import argparse

from bookkeeper_desktop.cli.common import (
    Context,
    SubParsers,
    add_command,
    add_subcommands,
    non_negative_int,
)
from bookkeeper_desktop.sample_data import SAMPLE_ENTRY_COUNT, create_sample_company
from bookkeeper_desktop.services import companies


def register(subparsers: SubParsers) -> None:
    parser = add_command(subparsers, "companies", help="list, create, rename and switch companies")
    commands = add_subcommands(parser, "companies commands")

    listing = add_command(commands, "list", help="list the companies")
    listing.set_defaults(handler=list_companies)

    create = add_command(commands, "create", help="create a company and switch to it")
    create.add_argument("name")
    create.add_argument("--sample", action="store_true",
                        help="fill it with a realistic sample chart and a year of entries")
    create.add_argument("--entries", type=non_negative_int, default=SAMPLE_ENTRY_COUNT, metavar="N",
                        help=f"sample entries to make (default {SAMPLE_ENTRY_COUNT})")
    create.add_argument("--currency", default="USD", help="home currency (default USD)")
    create.set_defaults(handler=create_company)

    rename = add_command(commands, "rename", help="rename a company")
    rename.add_argument("target", metavar="COMPANY", help="its current name or id")
    rename.add_argument("new_name", metavar="NEW_NAME")
    rename.set_defaults(handler=rename_company)

    switch = add_command(commands, "switch", help="make a company the current one")
    switch.add_argument("target", metavar="COMPANY", help="name or id")
    switch.set_defaults(handler=switch_company)


def list_companies(ctx: Context, _args: argparse.Namespace) -> int:
    rows = companies.list_companies(ctx.db)
    current = companies.current_company(ctx.db)
    current_id = current.id if current else None
    if ctx.json:
        ctx.emit_json([{"id": c.id, "name": c.name, "currency": c.currency,
                        "current": c.id == current_id} for c in rows])
        return 0
    if not rows:
        ctx.print("No companies yet. Create one with: bookkeeper companies create NAME [--sample]")
        return 0
    ctx.table(["", "ID", "NAME", "CURRENCY"],
              [["*" if c.id == current_id else "", c.id, c.name, c.currency] for c in rows])
    return 0


def create_company(ctx: Context, args: argparse.Namespace) -> int:
    if args.sample:
        company = create_sample_company(
            ctx.db, args.name, entries=args.entries, currency=args.currency,
        )
    else:
        company = companies.create_company(ctx.db, args.name, currency=args.currency)
    companies.switch_company(ctx.db, company.id)
    if ctx.json:
        ctx.emit_json(company)
    else:
        extra = " with sample data" if args.sample else ""
        ctx.print(f"Created company '{company.name}' (#{company.id}){extra}; it is now current.")
    return 0


def rename_company(ctx: Context, args: argparse.Namespace) -> int:
    company = companies.find_company(ctx.db, args.target)
    renamed = companies.rename_company(ctx.db, company.id, args.new_name)
    if ctx.json:
        ctx.emit_json(renamed)
    else:
        ctx.print(f"Renamed '{company.name}' to '{renamed.name}'.")
    return 0


def switch_company(ctx: Context, args: argparse.Namespace) -> int:
    company = companies.switch_company(ctx.db, companies.find_company(ctx.db, args.target).id)
    if ctx.json:
        ctx.emit_json(company)
    else:
        ctx.print(f"Now working on '{company.name}' (#{company.id}).")
    return 0

"""`bookkeeper contacts list|add`: the company's customers and suppliers."""

from __future__ import annotations

import argparse

from bookkeeper_desktop.cli.common import Context, SubParsers, add_command, add_subcommands
from bookkeeper_desktop.core.contacts import Contact
from bookkeeper_desktop.services import contacts as contact_services


def register(subparsers: SubParsers) -> None:
    parser = add_command(subparsers, "contacts", help="list and add customers and suppliers")
    commands = add_subcommands(parser, "contacts commands")

    listing = add_command(commands, "list", help="list the company's contacts")
    listing.add_argument("--active", action="store_true", help="leave out inactive contacts")
    listing.set_defaults(handler=list_contacts)

    add = add_command(commands, "add", help="add a contact")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--customer", action="store_true", help="a customer (receivable lines)")
    add.add_argument("--supplier", action="store_true", help="a supplier (payable lines)")
    add.add_argument("--email", default="", help="e-mail address")
    add.set_defaults(handler=add_contact)


def _linked(contact: Contact) -> dict[str, bool]:
    return {"qbo": bool(contact.qbo_customer_id or contact.qbo_vendor_id),
            "xero": bool(contact.xero_id)}


def _json(contact: Contact) -> dict[str, object]:
    return {"id": contact.id, "name": contact.name, "customer": contact.is_customer,
            "supplier": contact.is_supplier, "email": contact.email, "active": contact.active,
            "source": contact.source, "linked": _linked(contact)}


def list_contacts(ctx: Context, args: argparse.Namespace) -> int:
    company = ctx.company()
    rows = contact_services.list_contacts(ctx.db, company.id,
                                          include_inactive=not args.active)
    if ctx.json:
        ctx.emit_json([_json(c) for c in rows])
        return 0
    if not rows:
        ctx.print(f"'{company.name}' has no contacts yet. Add one with: bookkeeper contacts add "
                  "NAME [--customer] [--supplier]")
        return 0
    yes = {True: "yes", False: "no"}
    ctx.table(["ID", "NAME", "ROLE", "EMAIL", "ACTIVE", "QBO", "XERO"],
              [[c.id, c.name, c.roles, c.email, yes[c.active], yes[_linked(c)["qbo"]],
                yes[_linked(c)["xero"]]] for c in rows])
    return 0


def add_contact(ctx: Context, args: argparse.Namespace) -> int:
    company = ctx.company()
    added = contact_services.add_contact(ctx.db, company.id, Contact(
        args.name, is_customer=args.customer, is_supplier=args.supplier,
        email=args.email.strip()))
    if ctx.json:
        ctx.emit_json(_json(added))
    else:
        role = f" ({added.roles.lower()})" if added.roles else ""
        ctx.print(f"Added contact '{added.name}'{role} to '{company.name}'.")
    return 0

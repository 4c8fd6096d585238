"""Pull the providers' contacts into the company's list: QBO `Customer` and `Vendor`, Xero
`Contacts` (with `IsCustomer` / `IsSupplier`).

Each remote contact is kept as a remote object (what the proposals are made from), then:
- already linked to one of ours (by its id): nothing of ours changes (a name changed at the
  provider does not rename our contact);
- the same name as one of ours (case and spacing aside) not yet linked there: linked, since that
  is how both services themselves find a contact by name (Xero matches a `Contact.Name`; QBO's
  DisplayName is unique);
- a *similar* name (`core.contacts.contact_key`) to one of ours: nothing is merged; it is offered
  as a proposal (`services.contacts.contact_proposals`) for the user to confirm;
- otherwise: added to our list, linked, with its role.

Incremental like the transactions: QBO by `MetaData.LastUpdatedTime >= cursor` (contacts are
few, a query is one request), Xero with `If-Modified-Since`; cursors `contacts:<entity>`, moved
to the oldest answer time of the entity's pages once they are all stored. The pages are read
together with the pull's other first reads (`sync.pull_reads`) and stored here, in order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from bookkeeper_desktop.core.contacts import clean_name, contact_key, name_problem
from bookkeeper_desktop.services.contacts import REMOTE_COLUMNS, contact_rows
from bookkeeper_desktop.storage.schema import ContactRow
from bookkeeper_desktop.sync import store
from bookkeeper_desktop.sync.clients import QboClient, XeroClient
from bookkeeper_desktop.sync.context import SyncContext
from bookkeeper_desktop.sync.remote_entries import updated_at_of, version_of

#: The remote objects that are contacts (left out of the transaction lists).
CONTACT_TYPES = ("Customer", "Vendor", "Contacts")


def contact_entities(client: QboClient | XeroClient) -> tuple[str, ...]:
    """The remote entities the contacts come from, in the order they are stored."""
    return ("Customer", "Vendor") if isinstance(client, QboClient) else ("Contacts",)


def contact_cursor(ctx: SyncContext, entity: str) -> dt.datetime | None:
    """Where the entity's contacts are read from (None: all of them)."""
    with ctx.db.read_session() as session:
        return store.cursor_time(store.get_cursor(session, ctx.company_id, ctx.provider,
                                                  f"contacts:{entity}"))


def qbo_changed_since(cursor: dt.datetime | None) -> str:
    """The `where` of a QBO contacts query from its cursor ("" for every contact)."""
    if cursor is None:
        return ""
    return f"MetaData.LastUpdatedTime >= '{cursor.isoformat(timespec='seconds')}'"


def set_contact_cursor(ctx: SyncContext, entity: str, moment: dt.datetime | None) -> None:
    """Once every page of the entity is stored: the next pull reads from `moment` (the oldest
    answer time of its pages; None: now)."""
    with ctx.db.session() as session:
        store.set_cursor(session, ctx.company_id, ctx.provider, f"contacts:{entity}",
                         (moment or dt.datetime.now(dt.UTC)).isoformat())
    ctx.safe_point()


def remote_contact(entity: str, obj: Mapping[str, Any]) -> tuple[str, str, set[str], bool]:
    """(remote id, name, roles, active) of a pulled contact."""
    if entity == "Contacts":
        roles = {role for role, flag in (("customer", obj.get("IsCustomer")),
                                         ("supplier", obj.get("IsSupplier"))) if flag}
        return (str(obj["ContactID"]), clean_name(str(obj.get("Name") or "")), roles,
                str(obj.get("ContactStatus") or "ACTIVE").upper() == "ACTIVE")
    role = "customer" if entity == "Customer" else "supplier"
    return (str(obj["Id"]), clean_name(str(obj.get("DisplayName") or "")), {role},
            bool(obj.get("Active", True)))


def _column(provider: str, entity: str, roles: set[str]) -> str:
    if provider == "xero":
        return "xero_id"
    return REMOTE_COLUMNS[("qbo", "customer" if entity == "Customer" else "supplier")]


def store_contact_page(ctx: SyncContext, entity: str, objects: Sequence[Mapping[str, Any]]
                       ) -> None:
    """One page of the entity's contacts, committed, then a safe point."""
    with ctx.db.session() as session:
        ours = contact_rows(session, ctx.company_id)
        keys: dict[str, list[ContactRow]] = {}
        for row in ours.values():
            keys.setdefault(contact_key(row.name), []).append(row)
        for obj in objects:
            remote_id, name, roles, active = remote_contact(entity, obj)
            store.save_remote(session, ctx.company_id, ctx.provider, entity, obj,
                              remote_id=remote_id, version=version_of(ctx.provider, obj),
                              updated_at=updated_at_of(ctx.provider, obj), entry_id=None,
                              local=None)
            if not name or name_problem(name):
                continue
            column = _column(ctx.provider, entity, roles)
            if any(getattr(row, column) == remote_id for row in ours.values()):
                continue
            same = ours.get(name.lower())
            if same is not None:
                if getattr(same, column) is None:
                    setattr(same, column, remote_id)
                    _widen(same, roles)
                    ctx.counts.contacts_linked += 1
                continue
            if any(getattr(row, column) is None for row in keys.get(contact_key(name), [])):
                continue  # a similar name of ours: a proposal, never a merge
            row = ContactRow(company_id=ctx.company_id, name=name,
                             is_customer="customer" in roles, is_supplier="supplier" in roles,
                             active=active, source=ctx.provider)
            setattr(row, column, remote_id)
            session.add(row)
            ours[name.lower()] = row
            keys.setdefault(contact_key(name), []).append(row)
            ctx.counts.contacts_added += 1
    ctx.safe_point()


def _widen(row: ContactRow, roles: set[str]) -> None:
    if "customer" in roles:
        row.is_customer = True
    if "supplier" in roles:
        row.is_supplier = True

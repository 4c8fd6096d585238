"""The company's contacts (customers and suppliers): list, add, edit, and the links to the
providers' contacts (QBO Customer/Vendor ids, Xero ContactID).

A name first used on a line becomes a contact of its own when the entry is saved
(`ensure_named`), as customer or supplier by the account it is used on (receivable → customer,
payable → supplier), so that the list the entry editor completes from is always whole. Links to
the providers are set by the sync (a pulled contact with the same name; one created there by a
push) or by the user confirming a proposal (`services.contacts.link`); similar names are only
proposed (`core.contacts.propose_contact_matches`), never merged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.core.contacts import (
    Contact,
    ContactMatch,
    clean_name,
    name_problem,
    propose_contact_matches,
)
from bookkeeper_desktop.core.errors import DuplicateError, NotFound, ValidationError
from bookkeeper_desktop.core.journal import JournalEntry
from bookkeeper_desktop.services.common import default_actor
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.repositories import add_audit
from bookkeeper_desktop.storage.schema import ContactRow

#: The remote-id column of a contact per provider and role.
REMOTE_COLUMNS = {("qbo", "customer"): "qbo_customer_id", ("qbo", "supplier"): "qbo_vendor_id",
                  ("xero", "customer"): "xero_id", ("xero", "supplier"): "xero_id"}


def contact_of(row: ContactRow) -> Contact:
    return Contact(name=row.name, is_customer=row.is_customer, is_supplier=row.is_supplier,
                   email=row.email, active=row.active, source=row.source,
                   qbo_customer_id=row.qbo_customer_id, qbo_vendor_id=row.qbo_vendor_id,
                   xero_id=row.xero_id, id=row.id, company_id=row.company_id)


def contact_rows(session: Session, company_id: int) -> dict[str, ContactRow]:
    """Lower-cased name → row, for the sync and the services."""
    rows = session.execute(select(ContactRow).where(ContactRow.company_id == company_id))
    return {row.name.lower(): row for row in rows.scalars()}


def list_contacts(db: Database, company_id: int, *, include_inactive: bool = True
                  ) -> list[Contact]:
    with db.read_session() as session:
        rows = session.execute(select(ContactRow).where(
            ContactRow.company_id == company_id).order_by(ContactRow.name)).scalars()
        return [contact_of(r) for r in rows if include_inactive or r.active]


def find_contact(db: Database, company_id: int, name: str) -> Contact | None:
    with db.read_session() as session:
        row = contact_rows(session, company_id).get(clean_name(name).lower())
        return contact_of(row) if row is not None else None


def add_contact(db: Database, company_id: int, contact: Contact, *, actor: str | None = None
                ) -> Contact:
    problem = name_problem(contact.name)
    if problem:
        raise ValidationError("The contact cannot be saved.", [problem])
    name = clean_name(contact.name)
    with db.session() as session:
        if name.lower() in contact_rows(session, company_id):
            raise DuplicateError(f"There is already a contact named '{name}'.")
        row = _insert(session, company_id, contact.with_changes(name=name))
        add_audit(session, company_id, actor or default_actor(), "add_contact",
                  obj=("contact", row.id), details={"name": name})
        return contact_of(row)


def update_contact(db: Database, company_id: int, contact_id: int, *, name: str | None = None,
                   is_customer: bool | None = None, is_supplier: bool | None = None,
                   email: str | None = None, active: bool | None = None,
                   actor: str | None = None) -> Contact:
    """Change a contact. A new name is not written into existing lines: they keep the name
    they were entered with (as QuickBooks keeps a transaction's name text in IIF)."""
    with db.session() as session:
        row = session.get(ContactRow, contact_id)
        if row is None or row.company_id != company_id:
            raise NotFound(f"There is no contact #{contact_id} in this company.")
        if name is not None:
            problem = name_problem(name)
            if problem:
                raise ValidationError("The contact cannot be saved.", [problem])
            cleaned = clean_name(name)
            other = contact_rows(session, company_id).get(cleaned.lower())
            if other is not None and other.id != row.id:
                raise DuplicateError(f"There is already a contact named '{cleaned}'.")
            row.name = cleaned
        for attribute, value in (("is_customer", is_customer), ("is_supplier", is_supplier),
                                 ("email", email), ("active", active)):
            if value is not None:
                setattr(row, attribute, value)
        add_audit(session, company_id, actor or default_actor(), "update_contact",
                  obj=("contact", row.id), details={"name": row.name})
        return contact_of(row)


def link(db: Database, company_id: int, contact_id: int, *, provider: str, role: str,
         remote_id: str | None, actor: str | None = None) -> Contact:
    """The user confirms (or clears, with None) that our contact is the provider's contact
    `remote_id` in `role` ("customer" or "supplier")."""
    column = REMOTE_COLUMNS.get((provider, role))
    if column is None:
        raise ValidationError(f"Unknown provider or role: {provider} {role}.")
    with db.session() as session:
        row = session.get(ContactRow, contact_id)
        if row is None or row.company_id != company_id:
            raise NotFound(f"There is no contact #{contact_id} in this company.")
        setattr(row, column, remote_id)
        add_audit(session, company_id, actor or default_actor(), "link_contact",
                  obj=("contact", row.id),
                  details={"provider": provider, "role": role, "remote_id": remote_id})
        return contact_of(row)


def _insert(session: Session, company_id: int, contact: Contact) -> ContactRow:
    row = ContactRow(company_id=company_id, name=contact.name, is_customer=contact.is_customer,
                     is_supplier=contact.is_supplier, email=contact.email,
                     active=contact.active, source=contact.source,
                     qbo_customer_id=contact.qbo_customer_id,
                     qbo_vendor_id=contact.qbo_vendor_id, xero_id=contact.xero_id)
    session.add(row)
    session.flush()
    return row


def collect_names(entry: JournalEntry, accounts: Mapping[int, Account],
                  into: dict[str, tuple[str, set[str]]]) -> None:
    """Add the contacts named on `entry`'s lines to `into` (lower-cased name → (name as written,
    roles)): "customer" when named on a receivable line, "supplier" on a payable line."""
    for line in entry.lines:
        name = clean_name(line.contact)
        if not name or name_problem(name):
            continue
        _, roles = into.setdefault(name.lower(), (name, set()))
        account = accounts.get(line.account_id)
        if account is not None and account.type is AccountType.ACCOUNTS_RECEIVABLE:
            roles.add("customer")
        elif account is not None and account.type is AccountType.ACCOUNTS_PAYABLE:
            roles.add("supplier")


def ensure_names(session: Session, company_id: int, names: Mapping[str, tuple[str, set[str]]],
                 *, source: str = "entry") -> int:
    """Every name of `names` (from `collect_names`) is in the company's list: added when new,
    its role widened by how the entries use it. Returns how many were added."""
    existing = contact_rows(session, company_id)
    added = 0
    for key, (name, roles) in names.items():
        row = existing.get(key)
        if row is None:
            # Another program saving an entry with the same new name at the same moment
            # (a shared PostgreSQL database) may insert it first: then it is simply there.
            try:
                with session.begin_nested():
                    row = _insert(session, company_id, Contact(
                        name=name, is_customer="customer" in roles,
                        is_supplier="supplier" in roles, source=source))
                added += 1
                continue
            except IntegrityError:
                row = contact_rows(session, company_id).get(key)
                if row is None:
                    raise
        if "customer" in roles and not row.is_customer:
            row.is_customer = True
        if "supplier" in roles and not row.is_supplier:
            row.is_supplier = True
    return added


def ensure_named(session: Session, company_id: int, entries: Iterable[JournalEntry],
                 accounts: Mapping[int, Account], *, source: str = "entry") -> int:
    """`ensure_names` for the contacts named on `entries`."""
    names: dict[str, tuple[str, set[str]]] = {}
    for entry in entries:
        collect_names(entry, accounts, names)
    return ensure_names(session, company_id, names, source=source)


#: The remote object types of each provider's contacts, with the role they give.
_REMOTE_TYPES = {"qbo": (("Customer", "customer"), ("Vendor", "supplier")),
                 "xero": (("Contacts", "customer"),)}


def contact_proposals(db: Database, company_id: int, provider: str) -> list[ContactMatch]:
    """Our contacts not linked at `provider`, proposed against its pulled contacts that are
    linked to none of ours (similar names only: the same name is linked by the pull). Confirm
    one with `link`."""
    from bookkeeper_desktop.sync.store import remote_payloads  # noqa: PLC0415 - sync uses us

    found: list[ContactMatch] = []
    with db.read_session() as session:
        ours = [contact_of(row) for row in contact_rows(session, company_id).values()]
        for object_type, role in _REMOTE_TYPES.get(provider, ()):
            column = REMOTE_COLUMNS[(provider, role)]
            linked = {getattr(c, column) for c in ours if getattr(c, column)}
            remote = {rid: str(obj.get("DisplayName") or obj.get("Name") or "")
                      for rid, obj in remote_payloads(session, company_id, provider,
                                                      object_type).items()
                      if rid not in linked}
            free = [c for c in ours if not getattr(c, column)]
            found.extend(propose_contact_matches(free, remote))
    return found

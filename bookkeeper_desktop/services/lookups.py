"""What the entry editor's completers offer: the company's active contacts and the tax codes its
accounts and lines use. Read in one short session, off the GUI thread (the Ledger pane's job)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.schema import AccountRow, ContactRow, JournalEntryRow
from bookkeeper_desktop.storage.schema import JournalLineRow as L


@dataclass(frozen=True)
class EntryLookups:
    contacts: tuple[str, ...]
    tax_codes: tuple[str, ...]


def entry_lookups(db: Database, company_id: int) -> EntryLookups:
    """Active contacts by name; the distinct tax codes of the accounts and of the lines."""
    with db.read_session() as session:
        contacts = session.execute(
            select(ContactRow.name).where(ContactRow.company_id == company_id,
                                          ContactRow.active.is_(True))
            .order_by(ContactRow.name)).scalars().all()
        account_codes = session.execute(
            select(AccountRow.tax_code).where(AccountRow.company_id == company_id,
                                              AccountRow.tax_code.is_not(None))
            .distinct()).scalars().all()
        line_codes = session.execute(
            select(L.tax_code).join(JournalEntryRow, JournalEntryRow.id == L.entry_id)
            .where(JournalEntryRow.company_id == company_id, L.tax_code != "")
            .distinct()).scalars().all()
    codes = {code.strip() for code in (*account_codes, *line_codes) if code and code.strip()}
    return EntryLookups(tuple(contacts), tuple(sorted(codes, key=str.casefold)))

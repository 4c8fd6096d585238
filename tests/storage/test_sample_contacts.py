"""The sample company names its customers and suppliers (issue #11 item 6): every receivable
and payable line has a contact, a customer payment settles a posted invoice of that customer in
full, every bank line's entry names who was paid or who paid, and the names are in the company's
contact list with their roles."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from bookkeeper_desktop.core.accounts import AccountType
from bookkeeper_desktop.core.journal import EntryStatus
from bookkeeper_desktop.sample_data import CONTACT_NAMES, CUSTOMERS, create_sample_company
from bookkeeper_desktop.services import accounts, entries
from bookkeeper_desktop.services.contacts import list_contacts
from bookkeeper_desktop.storage.engine import Database


def test_sample_entries_name_their_customers_and_suppliers(db: Database) -> None:
    company = create_sample_company(db, "Contacts Co", end=dt.date(2026, 6, 30))
    types = {a.id: a.type for a in accounts.list_accounts(db, company.id)}
    invoiced: dict[str, list[Decimal]] = defaultdict(list)
    payments = 0
    for entry in sorted(entries.iter_entries(db, company.id), key=lambda e: (e.date, e.number)):
        named = {line.contact for line in entry.lines if line.contact}
        kinds = {types[line.account_id] for line in entry.lines}
        for line in entry.lines:
            if types[line.account_id] in (AccountType.ACCOUNTS_RECEIVABLE,
                                          AccountType.ACCOUNTS_PAYABLE):
                assert line.contact, entry.label
        if AccountType.BANK in kinds or AccountType.CREDIT_CARD in kinds:
            assert len(named) == 1, entry.label
        receivable = [line for line in entry.lines
                      if types[line.account_id] is AccountType.ACCOUNTS_RECEIVABLE]
        if receivable and receivable[0].debit and entry.status is EntryStatus.POSTED:
            invoiced[receivable[0].contact].append(receivable[0].debit)
        if receivable and receivable[0].credit:
            assert receivable[0].contact in CUSTOMERS
            # It settles the oldest posted invoice, in full, when there is one.
            if any(invoiced.values()):
                payments += 1
    assert payments > 5
    contacts = {c.name: c for c in list_contacts(db, company.id)}
    assert set(CUSTOMERS) <= set(contacts) <= set(CONTACT_NAMES)
    assert all(contacts[name].is_customer for name in CUSTOMERS if name in contacts)
    assert any(c.is_supplier for c in contacts.values())


def test_a_sample_payment_is_the_amount_of_an_earlier_posted_invoice(db: Database) -> None:
    company = create_sample_company(db, "Paid Co", end=dt.date(2026, 6, 30))
    types = {a.id: a.type for a in accounts.list_accounts(db, company.id)}
    open_amounts: list[tuple[str, Decimal]] = []
    matched = 0
    for entry in sorted(entries.iter_entries(db, company.id), key=lambda e: e.number):
        [*receivable] = [line for line in entry.lines
                         if types[line.account_id] is AccountType.ACCOUNTS_RECEIVABLE]
        if not receivable:
            continue
        line = receivable[0]
        if line.debit and entry.status is EntryStatus.POSTED:
            open_amounts.append((line.contact, line.debit))
        elif line.credit and open_amounts:
            assert (line.contact, line.credit) == open_amounts.pop(0)
            matched += 1
    assert matched > 5

"""What an entry becomes at QBO and Xero (`core.kinds`): every row of the table in its docstring,
and the entries that cannot go as any kind, with the reason in words."""

from __future__ import annotations

import datetime as dt

import pytest

from bookkeeper_desktop.core.contacts import Contact, contact_key, propose_contact_matches
from bookkeeper_desktop.core.journal import JournalEntry, JournalLine
from bookkeeper_desktop.core.kinds import Kind, Role, shape_for, xero_role

BANK, CARD, AR, AP, SALES, RENT, ACCRUED, SUSPENSE, GST = 1, 2, 3, 4, 5, 6, 7, 8, 9
ROLES = {BANK: Role.BANK, CARD: Role.BANK, AR: Role.RECEIVABLE, AP: Role.PAYABLE,
         SALES: Role.OTHER, RENT: Role.OTHER, ACCRUED: Role.OTHER, SUSPENSE: Role.LOCKED,
         GST: Role.TAX}
NAMES = {BANK: "Checking", CARD: "Visa", AR: "Accounts Receivable", AP: "Accounts Payable",
         SALES: "Sales", RENT: "Rent", ACCRUED: "Accrued Liabilities",
         SUSPENSE: "Unpaid Expense Claims", GST: "GST"}


def entry(*lines: tuple[int, str, str]) -> JournalEntry:
    return JournalEntry(date=dt.date(2026, 11, 2), lines=tuple(
        JournalLine.of(account, amount, contact=contact) for account, amount, contact in lines))


@pytest.mark.parametrize(("lines", "kind", "subtype"), [
    ([(BANK, "100", ""), (SALES, "-100", "Walk-in")], Kind.BANK_TRANSACTION, "RECEIVE"),
    ([(RENT, "50", "Landlord"), (BANK, "-50", "")], Kind.BANK_TRANSACTION, "SPEND"),
    ([(RENT, "80", "Office Depot"), (CARD, "-80", "")], Kind.BANK_TRANSACTION, "SPEND"),
    ([(BANK, "500", ""), (CARD, "-500", "")], Kind.BANK_TRANSFER, ""),
    ([(AR, "200", "Acme"), (SALES, "-200", "")], Kind.INVOICE, "ACCREC"),
    ([(RENT, "300", ""), (AP, "-300", "Landlord")], Kind.INVOICE, "ACCPAY"),
    ([(BANK, "200", ""), (AR, "-200", "Acme")], Kind.PAYMENT, ""),
    ([(AP, "300", "Landlord"), (BANK, "-300", "")], Kind.PAYMENT, ""),
    ([(RENT, "75", ""), (ACCRUED, "-75", "")], Kind.MANUAL_JOURNAL, ""),
    ([(GST, "15", ""), (ACCRUED, "-15", "")], Kind.MANUAL_JOURNAL, ""),
    ([(BANK, "115", ""), (SALES, "-100", "Walk-in"), (GST, "-15", "")],
     Kind.BANK_TRANSACTION, "RECEIVE"),
])
def test_each_everyday_shape_has_its_xero_kind(lines: list[tuple[int, str, str]], kind: Kind,
                                               subtype: str) -> None:
    shape = shape_for("xero", entry(*lines), ROLES, NAMES)
    assert shape.problem == ""
    assert (shape.kind, shape.subtype) == (kind, subtype)


def test_a_transfer_names_the_account_money_leaves_and_the_one_it_enters() -> None:
    shape = shape_for("xero", entry((CARD, "500", ""), (BANK, "-500", "")), ROLES, NAMES)
    assert (shape.bank_line, shape.other_bank_line) == (1, 0)


def test_qbo_takes_every_shape_as_a_journal_entry() -> None:
    for lines in ([(BANK, "100", ""), (SALES, "-100", "")], [(BANK, "5", ""), (CARD, "-5", "")],
                  [(AR, "200", "Acme"), (SALES, "-200", "")]):
        assert shape_for("qbo", entry(*lines), ROLES, NAMES).kind is Kind.JOURNAL_ENTRY


@pytest.mark.parametrize("provider", ["qbo", "xero"])
def test_receivable_and_payable_lines_need_a_contact_at_both(provider: str) -> None:
    shape = shape_for(provider, entry((AR, "200", ""), (SALES, "-200", "")), ROLES, NAMES)
    assert shape.kind is None
    assert shape.problem == ("Line 1 on 'Accounts Receivable' needs a customer: name one in its "
                             "Contact column.")
    shape = shape_for(provider, entry((RENT, "9", ""), (AP, "-9", "")), ROLES, NAMES)
    assert "Line 2 on 'Accounts Payable' needs a supplier" in shape.problem


@pytest.mark.parametrize(("lines", "words"), [
    ([(RENT, "50", ""), (BANK, "-50", "")], "Xero needs a contact on a bank transaction"),
    ([(RENT, "50", "A"), (SALES, "10", "B"), (BANK, "-60", "")], "name different contacts (A, B)"),
    ([(RENT, "50", ""), (SUSPENSE, "-50", "")], "'Unpaid Expense Claims', an account Xero keeps"),
    ([(SALES, "50", ""), (AR, "-50", "Acme")], "(a credit note), which is not sent to Xero"),
    ([(BANK, "50", ""), (AR, "-40", "Acme"), (SALES, "-10", "Acme")],
     "1 bank line, 1 receivable line, 1 other line"),
])
def test_an_entry_xero_takes_as_no_kind_says_why(lines: list[tuple[int, str, str]],
                                                 words: str) -> None:
    shape = shape_for("xero", entry(*lines), ROLES, NAMES)
    assert shape.kind is None
    assert words in shape.problem


def test_xero_roles_come_from_the_account_as_xero_sends_it() -> None:
    assert xero_role({"Type": "BANK", "BankAccountType": "CREDITCARD"}) is Role.BANK
    assert xero_role({"Type": "CURRENT", "SystemAccount": "DEBTORS"}) is Role.RECEIVABLE
    assert xero_role({"Type": "CURRLIAB", "SystemAccount": "CREDITORS"}) is Role.PAYABLE
    assert xero_role({"Type": "CURRLIAB", "SystemAccount": "UNPAIDEXPCLM"}) is Role.LOCKED
    assert xero_role({"Type": "CURRLIAB", "SystemAccount": "GST"}) is Role.TAX
    assert xero_role({"Type": "EQUITY", "SystemAccount": "RETAINEDEARNINGS"}) is Role.OTHER


def test_contact_names_match_by_key_and_only_as_proposals() -> None:
    assert contact_key("The Acme Co., Ltd.") == contact_key("ACME") == "acme"
    assert contact_key("Café Crème") == "cafe creme"
    ours = [Contact("Acme"), Contact("Bob's Bakery"), Contact("Nobody")]
    remote = {"c1": "ACME LIMITED", "c2": "Bob's Bakery", "c3": "Bobs Bakery Ltd"}
    found = {(m.ours.name, m.remote_id, m.reason) for m in propose_contact_matches(ours, remote)}
    assert found == {("Acme", "c1", "similar name"), ("Bob's Bakery", "c2", "same name")}


def test_two_remote_contacts_alike_propose_nothing() -> None:
    assert propose_contact_matches([Contact("Acme")], {"a": "Acme Ltd", "b": "ACME Inc"}) == []

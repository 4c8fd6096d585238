"""What an entry becomes at QBO or Xero (its *kind*), decided by its shape and by each service's
business rules (API_NOTES.md "Business rules the real services enforce"; PRODUCT.md §1
"Transaction kind").

Kinds are named as the providers name the objects (and as `remote_objects.object_type` stores
them): Xero `ManualJournals`, `BankTransactions`, `BankTransfers`, `Invoices`, `Payments`; QBO
`JournalEntry`.

**Xero** (a manual journal may not touch a bank account, credit-card bank accounts included, nor
the locked system accounts: help.xero.com, "You can't post a manual journal to a bank account",
and its table of locked system accounts):

| entry's lines | Xero kind |
|---|---|
| one bank line + income/expense/other lines | BankTransaction SPEND (bank credited) or |
|   | RECEIVE (bank debited), with the contact |
| two bank lines, one in and one out | BankTransfer |
| one receivable line (debit) + income/other lines | Invoice ACCREC (AUTHORISED), with the contact |
| one payable line (credit) + expense/other lines | Invoice ACCPAY (AUTHORISED), with the contact |
| one bank line + one receivable / payable line | Payment against that contact's open invoice |
| no bank, receivable, payable or locked line | ManualJournal |

Anything else (a locked system account, a receivable and a payable together, a bank line with a
receivable and other lines, a credit note) cannot go as one Xero transaction: it is stopped
before sending with the reason in words, never sent to be refused.

**QBO**: every entry goes as a JournalEntry. QBO accepts journal lines on every account type,
bank and card accounts included; its only refusal of that shape is a receivable line without a
Customer or a payable line without a Vendor (Fault 6000), so those lines carry the contact as
`Entity`. A QBO Invoice or Bill needs Products/Services items (`SalesItemLineDetail.ItemRef`)
that our books do not have, and a JournalEntry is how a QBO accountant records a receivable or a
payable without items; a bookkeeper sees the customer or vendor on the line and in QBO's A/R and
A/P reports. (A QBO Transfer for two bank lines would read better in QBO's register; it is not
sent yet.)

Both: a receivable or payable line must name a contact (`contact_problems`), checked here before
anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from bookkeeper_desktop.core.accounts import AccountType
from bookkeeper_desktop.core.contacts import clean_name
from bookkeeper_desktop.core.journal import JournalEntry


class Kind(StrEnum):
    MANUAL_JOURNAL = "ManualJournals"
    BANK_TRANSACTION = "BankTransactions"
    BANK_TRANSFER = "BankTransfers"
    INVOICE = "Invoices"
    PAYMENT = "Payments"
    JOURNAL_ENTRY = "JournalEntry"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Kind.MANUAL_JOURNAL: "manual journal", Kind.BANK_TRANSACTION: "bank transaction",
    Kind.BANK_TRANSFER: "bank transfer", Kind.INVOICE: "invoice", Kind.PAYMENT: "payment",
    Kind.JOURNAL_ENTRY: "journal entry",
}
#: The kind each provider used before kinds existed (a NULL `qbo_kind` / `xero_kind`).
JOURNAL_KIND = {"qbo": Kind.JOURNAL_ENTRY, "xero": Kind.MANUAL_JOURNAL}
KINDS = {"qbo": (Kind.JOURNAL_ENTRY,),
         "xero": (Kind.MANUAL_JOURNAL, Kind.BANK_TRANSACTION, Kind.BANK_TRANSFER, Kind.INVOICE,
                  Kind.PAYMENT)}


class Role(StrEnum):
    """What an account is to the provider's rules."""

    BANK = "bank"
    RECEIVABLE = "receivable"
    PAYABLE = "payable"
    #: A Xero system account no transaction may post to directly.
    LOCKED = "locked"
    #: Xero's tax (GST/VAT/sales tax) system account: a journal may post to it; on a bank
    #: transaction or an invoice Xero posts the tax itself, from each line's tax type.
    TAX = "tax"
    OTHER = "other"


#: Xero `SystemAccount` values of the locked accounts a manual journal may not use
#: (help.xero.com's table: Accounts Receivable, Accounts Payable, Unpaid Expense Claims,
#: Tracking Transfers, Bank Revaluations; Current Earnings has no account in the API).
XERO_LOCKED = frozenset({"UNPAIDEXPCLM", "TRACKINGTRANSFERS", "BANKCURRENCYGAIN"})


def xero_role(remote: Mapping[str, object]) -> Role:
    """The role of a Xero account, from the account as Xero sends it (`GET Accounts`)."""
    system = str(remote.get("SystemAccount") or "").upper()
    if str(remote.get("Type") or "").upper() == "BANK":
        return Role.BANK
    if system == "DEBTORS":
        return Role.RECEIVABLE
    if system == "CREDITORS":
        return Role.PAYABLE
    if system == "GST":
        return Role.TAX
    return Role.LOCKED if system in XERO_LOCKED else Role.OTHER


def qbo_role(remote: Mapping[str, object]) -> Role:
    """The role of a QBO account, from `AccountType` as QBO sends it."""
    kind = str(remote.get("AccountType") or "")
    if kind == "Accounts Receivable":
        return Role.RECEIVABLE
    if kind == "Accounts Payable":
        return Role.PAYABLE
    return Role.BANK if kind in ("Bank", "Credit Card") else Role.OTHER


def own_role(account_type: AccountType) -> Role:
    """The role from our own type, where the provider's copy of the account is not known."""
    return {AccountType.BANK: Role.BANK, AccountType.ACCOUNTS_RECEIVABLE: Role.RECEIVABLE,
            AccountType.ACCOUNTS_PAYABLE: Role.PAYABLE}.get(account_type, Role.OTHER)


@dataclass(frozen=True)
class Shape:
    """What `entry` becomes: `kind` and its `subtype` (SPEND/RECEIVE, ACCREC/ACCPAY), the index
    of its bank line and of the line that names the contact; or `problem`, why it cannot be sent
    (then `kind` is None)."""

    kind: Kind | None
    subtype: str = ""
    bank_line: int | None = None
    other_bank_line: int | None = None
    party_line: int | None = None
    contact: str = ""
    problem: str = ""


def contact_problems(entry: JournalEntry, roles: Mapping[int, Role], names: Mapping[int, str]
                     ) -> list[str]:
    """Receivable lines need a customer and payable lines a supplier (QBO Fault 6000; Xero's
    invoices and payments carry a Contact)."""
    problems = []
    for number, line in enumerate(entry.lines, start=1):
        role = roles.get(line.account_id)
        if role in (Role.RECEIVABLE, Role.PAYABLE) and not clean_name(line.contact):
            who = "customer" if role is Role.RECEIVABLE else "supplier"
            account = names.get(line.account_id, f"#{line.account_id}")
            problems.append(f"Line {number} on '{account}' needs a {who}: name one in its "
                            "Contact column.")
    return problems


def shape_for(provider: str, entry: JournalEntry, roles: Mapping[int, Role],
              names: Mapping[int, str]) -> Shape:
    """The kind `entry` goes to `provider` as (see the module docstring), or the problem."""
    problems = contact_problems(entry, roles, names)
    if problems:
        return Shape(None, problem=" ".join(problems))
    if provider == "qbo":
        return Shape(Kind.JOURNAL_ENTRY)
    return _xero_shape(entry, roles, names)


def _xero_shape(entry: JournalEntry, roles: Mapping[int, Role], names: Mapping[int, str]
                ) -> Shape:
    by_role: dict[Role, list[int]] = {}
    for index, line in enumerate(entry.lines):
        by_role.setdefault(roles.get(line.account_id, Role.OTHER), []).append(index)
    # A tax line is an ordinary line to the shape (a journal may post to the tax account; a
    # document's tax comes from its lines' tax types, `sync.xero_documents`).
    banks = by_role.get(Role.BANK, [])
    others = sorted(by_role.get(Role.OTHER, []) + by_role.get(Role.TAX, []))
    receivable, payable = by_role.get(Role.RECEIVABLE, []), by_role.get(Role.PAYABLE, [])
    locked = by_role.get(Role.LOCKED, [])
    if locked:
        account = names.get(entry.lines[locked[0]].account_id, "?")
        return Shape(None, problem=f"It uses '{account}', an account Xero keeps itself (a locked "
                     "system account): no Xero transaction can post to it directly. Use another "
                     "account.")
    if not banks and not receivable and not payable:
        return Shape(Kind.MANUAL_JOURNAL)
    parties = receivable + payable
    if len(banks) == 2 and not parties and not others:
        first, second = (entry.lines[i] for i in banks)
        if first.signed_amount == -second.signed_amount:
            into = banks[0] if first.debit else banks[1]
            out = banks[1] if into == banks[0] else banks[0]
            return Shape(Kind.BANK_TRANSFER, bank_line=out, other_bank_line=into)
    if len(banks) == 1 and not parties and others:
        bank = banks[0]
        subtype = "RECEIVE" if entry.lines[bank].debit else "SPEND"
        return _with_contact(entry, Shape(Kind.BANK_TRANSACTION, subtype, bank_line=bank),
                             " (who was paid, or who paid)")
    if len(parties) == 1 and not banks and others:
        party = parties[0]
        line = entry.lines[party]
        if receivable and line.debit:
            return _with_contact(entry, Shape(Kind.INVOICE, "ACCREC", party_line=party), "")
        if payable and line.credit:
            return _with_contact(entry, Shape(Kind.INVOICE, "ACCPAY", party_line=party), "")
        what = "customer" if receivable else "supplier"
        return Shape(None, problem=f"It reduces what a {what} owes without money moving (a credit "
                     "note), which is not sent to Xero yet. Enter it in Xero as a credit note.")
    if len(banks) == 1 and len(parties) == 1 and not others:
        return _with_contact(entry, Shape(Kind.PAYMENT, bank_line=banks[0],
                                          party_line=parties[0]), "")
    return Shape(None, problem="Xero has no single transaction for this mix of lines (" +
                 _describe(len(banks), len(receivable), len(payable), len(others)) +
                 "). Split it into entries of one kind each: bank money in or out, a transfer, "
                 "an invoice or bill, a payment, or a journal without bank, receivable or "
                 "payable lines.")


def _with_contact(entry: JournalEntry, shape: Shape, who: str) -> Shape:
    """`shape` with the one contact its lines name, or the problem when they name none or
    several (a Xero bank transaction, invoice or payment has one Contact)."""
    label = shape.kind.label if shape.kind else ""
    named = sorted({clean_name(line.contact) for line in entry.lines if clean_name(line.contact)})
    if len(named) > 1:
        return Shape(None, problem=f"Its lines name different contacts ({', '.join(named)}); "
                     f"a Xero {label} has one contact.")
    if not named:
        return Shape(None, problem=f"Xero needs a contact on a {label}{who}: name one in the "
                     "Contact column of a line.")
    return replace(shape, contact=named[0])


def _describe(banks: int, receivable: int, payable: int, others: int) -> str:
    parts = [(banks, "bank"), (receivable, "receivable"), (payable, "payable"), (others, "other")]
    return ", ".join(f"{n} {what} line{'s' if n != 1 else ''}" for n, what in parts if n)

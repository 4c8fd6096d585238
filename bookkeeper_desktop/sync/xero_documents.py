"""Our entries as the Xero documents `core.kinds` chooses: BankTransactions, BankTransfers,
Invoices and Payments (ManualJournals stay in `payloads.entry_to_xero`).

Shapes (Xero's API reference, as xero-python 15's models name the fields; API_NOTES.md "Xero"):
- BankTransaction: `Type` SPEND|RECEIVE, `Contact`, `BankAccount` {Code}, `Date`, `Reference`,
  `LineAmountTypes`, `Status` AUTHORISED, `LineItems` [{Description, Quantity, UnitAmount,
  AccountCode, TaxType}], amounts positive for money out of (SPEND) or into (RECEIVE) the bank.
- BankTransfer: `FromBankAccount` {Code}, `ToBankAccount` {Code}, `Amount`, `Date`, `Reference`.
- Invoice: `Type` ACCREC|ACCPAY, `Contact`, `Date`, `DueDate`, `Status` AUTHORISED (DRAFT for an
  approved entry, which can still change), `LineAmountTypes`, `LineItems`; our key goes into
  `Reference` for a sales invoice and `InvoiceNumber` (the supplier's reference) for a bill,
  which has no Reference.
- Payment: `Invoice` {InvoiceID}, `Account` {Code}, `Date`, `Amount`, `Reference`.

Every body carries our idempotency key as `[bk:KEY]` in the field `KEY_FIELDS` names, so that
reconciliation after a crash and the next pull find what was already sent.

Tax: each line's `TaxType` is the line's tax code, else the account's default, else NONE. With
every line NONE the document is `LineAmountTypes` NoTax. Otherwise it is Exclusive: Xero adds
each line's tax at its rate (`cents(amount × rate / 100)`, its TaxRates' EffectiveRate) and posts
it to its tax system account itself, so our entry's line on that account is not sent as a line;
it must equal the tax Xero will compute (`tax_check`), or the entry is stopped with both figures
(sending it would put a different amount in Xero's books than in ours).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from bookkeeper_desktop.core.errors import ValidationError
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.core.kinds import Kind, Shape
from bookkeeper_desktop.core.money import ZERO, round_money
from bookkeeper_desktop.sync.payloads import RemoteAccountRef, parse_xero_date, tag_with_key

#: Where each kind carries our key (and its text): what reconciliation and the pull read.
KEY_FIELDS: Mapping[str, tuple[str, ...]] = {
    Kind.MANUAL_JOURNAL: ("Narration",), Kind.BANK_TRANSACTION: ("Reference",),
    Kind.BANK_TRANSFER: ("Reference",), Kind.INVOICE: ("Reference", "InvoiceNumber"),
    Kind.PAYMENT: ("Reference",), Kind.JOURNAL_ENTRY: ("PrivateNote",),
}
#: The id field of each Xero kind.
ID_FIELDS: Mapping[str, str] = {
    Kind.MANUAL_JOURNAL: "ManualJournalID", Kind.BANK_TRANSACTION: "BankTransactionID",
    Kind.BANK_TRANSFER: "BankTransferID", Kind.INVOICE: "InvoiceID", Kind.PAYMENT: "PaymentID",
}
REFERENCE_MAX = 255


def key_text(kind: str, obj: Mapping[str, Any]) -> str:
    """The text of `obj` that carries our key, whatever its kind."""
    return " ".join(str(obj.get(name) or "") for name in KEY_FIELDS.get(kind, ()))


def _reference(entry: JournalEntry, key: str) -> str:
    text = " ".join(part for part in (entry.number, entry.memo) if part)
    room = REFERENCE_MAX - len(key) - 6
    return tag_with_key(text[:room].strip(), key)


def _amount(value: Decimal) -> Decimal:
    return round_money(value)


def tax_type(line: JournalLine, account_tax: Mapping[int, str | None]) -> str:
    return line.tax_code or account_tax.get(line.account_id) or "NONE"


def taxed_lines(entry: JournalEntry, account_tax: Mapping[int, str | None],
                skip: Sequence[int]) -> list[int]:
    """Line numbers (from 1) whose tax type makes Xero add tax (see the docstring)."""
    return [n for n, line in enumerate(entry.lines, start=1)
            if n - 1 not in skip and tax_type(line, account_tax).upper() != "NONE"]


def tax_check(entry: JournalEntry, *, sign: int, skip: Sequence[int], tax_lines: Sequence[int],
              account_tax: Mapping[int, str | None], rates: Mapping[str, Decimal]) -> str:
    """Why the entry's tax lines differ from the tax Xero computes at its rates, or "" when
    they agree. `sign` turns the entry's signed amounts into the document's (money out of the
    bank or billed to us: +1; money in or billed by us: -1)."""
    expected = ZERO
    parts = []
    for index, line in enumerate(entry.lines):
        if index in skip or index in tax_lines:
            continue
        code = tax_type(line, account_tax)
        if code.upper() == "NONE":
            continue
        if code not in rates:
            return f"line {index + 1}'s tax code {code} is not one of Xero's tax rates here"
        amount = _amount(sign * line.signed_amount)
        tax = (amount * rates[code] / 100).quantize(Decimal("0.01"))
        expected += tax
        parts.append(f"{tax} ({rates[code].normalize()}% {code} on {amount})")
    ours = sum((_amount(sign * entry.lines[i].signed_amount) for i in tax_lines), ZERO)
    if ours == expected:
        return ""
    lines = "its tax line comes" if len(tax_lines) == 1 else "its tax lines come"
    return (f"{lines} to {ours}, but Xero computes {expected} at its rates"
            + (f": {', '.join(parts)}" if parts else "") + ". Correct the tax line or the lines' "
            "tax codes")


def _line_items(entry: JournalEntry, refs: Mapping[int, RemoteAccountRef], sign: int,
                skip: Sequence[int], tax_types: Mapping[int, str]) -> list[dict[str, Any]]:
    items = []
    for index, line in enumerate(entry.lines):
        if index in skip:
            continue
        amount = _amount(sign * line.signed_amount)
        items.append({"Description": line.description or entry.memo or "Entry " + entry.number,
                      "Quantity": Decimal("1"), "UnitAmount": amount, "LineAmount": amount,
                      "AccountCode": refs[line.account_id].remote_id,
                      "TaxType": tax_types.get(index, "NONE")})
    return items


def document(entry: JournalEntry, shape: Shape, refs: Mapping[int, RemoteAccountRef], *,
             key: str, contact: Mapping[str, str], invoice_id: str | None = None,
             remote_id: str | None = None, tax_types: Mapping[int, str] | None = None,
             tax_lines: Sequence[int] = ()) -> dict[str, Any]:
    """The body that creates (or, with `remote_id`, updates) `entry` as `shape.kind`.
    `tax_types`: line index → TaxType of the taxed lines (then the document is Exclusive and
    the `tax_lines`, on Xero's tax account, are left for Xero to post)."""
    taxes = dict(tax_types or {})
    amount_types = "Exclusive" if taxes else "NoTax"
    if entry.date is None:
        raise ValidationError(f"The {entry.label} has no date.")
    date = entry.date.isoformat()
    kind = shape.kind
    body: dict[str, Any]
    if kind is Kind.BANK_TRANSACTION:
        assert shape.bank_line is not None
        sign = 1 if shape.subtype == "SPEND" else -1
        bank = entry.lines[shape.bank_line]
        body = {"Type": shape.subtype, "Contact": dict(contact),
                "BankAccount": {"Code": refs[bank.account_id].remote_id}, "Date": date,
                "Reference": _reference(entry, key), "LineAmountTypes": amount_types,
                "Status": "AUTHORISED", "CurrencyCode": entry.currency,
                "LineItems": _line_items(entry, refs, sign, [shape.bank_line, *tax_lines],
                                         taxes)}
    elif kind is Kind.BANK_TRANSFER:
        assert shape.bank_line is not None
        assert shape.other_bank_line is not None
        out, into = entry.lines[shape.bank_line], entry.lines[shape.other_bank_line]
        body = {"FromBankAccount": {"Code": refs[out.account_id].remote_id},
                "ToBankAccount": {"Code": refs[into.account_id].remote_id},
                "Amount": _amount(into.debit), "Date": date,
                "Reference": _reference(entry, key)}
    elif kind is Kind.INVOICE:
        assert shape.party_line is not None
        sales = shape.subtype == "ACCREC"
        body = {"Type": shape.subtype, "Contact": dict(contact), "Date": date, "DueDate": date,
                "Status": "AUTHORISED" if entry.status is EntryStatus.POSTED else "DRAFT",
                "LineAmountTypes": amount_types, "CurrencyCode": entry.currency,
                "LineItems": _line_items(entry, refs, -1 if sales else 1,
                                         [shape.party_line, *tax_lines], taxes)}
        body["Reference" if sales else "InvoiceNumber"] = _reference(entry, key)
    elif kind is Kind.PAYMENT:
        assert shape.bank_line is not None
        bank = entry.lines[shape.bank_line]
        body = {"Invoice": {"InvoiceID": invoice_id}, "Date": date,
                "Account": {"Code": refs[bank.account_id].remote_id},
                "Amount": _amount(abs(bank.signed_amount)), "Reference": _reference(entry, key)}
    else:
        raise ValueError(f"not a Xero document kind: {kind}")
    if remote_id:
        body[ID_FIELDS[kind]] = remote_id
    return body


def void_body(kind: str, remote_id: str, remote_status: str) -> dict[str, Any] | None:
    """How Xero takes a document back, as its API allows: an invoice is VOIDED (a draft one
    DELETED); a bank transaction, a payment or a bank transfer DELETED (xero-python's
    `delete_bank_transfer`: a transfer cannot be changed, only deleted). None for another
    kind."""
    if kind == Kind.INVOICE:
        status = "DELETED" if remote_status.upper() in ("DRAFT", "SUBMITTED") else "VOIDED"
        return {"InvoiceID": remote_id, "Status": status}
    if kind in (Kind.BANK_TRANSACTION, Kind.PAYMENT, Kind.BANK_TRANSFER):
        return {ID_FIELDS[kind]: remote_id, "Status": "DELETED"}
    return None


#: A ManualJournal's fields that go back with a new status: Xero's schema requires Narration and
#: lines on every ManualJournal it is sent, even one only changing status.
JOURNAL_FIELDS = ("ManualJournalID", "Narration", "Date", "LineAmountTypes", "JournalLines")


def journal_void_body(journal: Mapping[str, Any], remote_status: str) -> dict[str, Any]:
    """How Xero takes back a ManualJournal: the whole `journal` (as we send it, or as Xero
    holds it) with Status VOIDED when it was posted, DELETED when a draft (a draft cannot be
    voided, a posted journal cannot be deleted: API_NOTES "statuses")."""
    body = {k: journal[k] for k in JOURNAL_FIELDS if k in journal}
    body["Status"] = "DELETED" if remote_status.upper() == "DRAFT" else "VOIDED"
    return body


def open_invoice(invoices: Sequence[dict[str, Any]], *, contact_id: str | None,
                 contact_name: str, invoice_type: str, amount: Decimal, paid_on: dt.date
                 ) -> dict[str, Any] | None:
    """The contact's AUTHORISED invoice of `invoice_type`, dated on or before the payment
    (`paid_on`), that a payment of `amount` settles: the one due exactly that amount first,
    else the oldest with at least that much due."""
    name = contact_name.lower()
    fitting = []
    for invoice in invoices:
        if str(invoice.get("Type")) != invoice_type or \
                str(invoice.get("Status") or "").upper() != "AUTHORISED":
            continue
        dated = _date_of(invoice.get("Date"))
        if dated is not None and dated > paid_on:
            continue
        who = invoice.get("Contact") or {}
        if not ((contact_id and str(who.get("ContactID") or "") == contact_id)
                or str(who.get("Name") or "").lower() == name):
            continue
        due = Decimal(str(invoice.get("AmountDue", invoice.get("Total", ZERO)) or ZERO))
        if due >= amount:
            fitting.append((due != amount, dated or dt.date.min, invoice))
    fitting.sort(key=lambda item: (item[0], item[1]))
    return fitting[0][2] if fitting else None


def _date_of(value: Any) -> dt.date | None:
    """A document's date as Xero writes it (`/Date(ms+0000)/`) or as ISO text."""
    text = str(value or "")
    if not text:
        return None
    if text.startswith("/Date("):
        return parse_xero_date(text).date()
    return dt.date.fromisoformat(text[:10])

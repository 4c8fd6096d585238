"""The bodies that send an earlier version of a document back to QBO or Xero (`sync.undo`), what
the provider does not let us change, and each kind's name as the provider shows it.

A revert is a full update built from the object as the provider returned it before the run
(`outbox.before_image`): the fields the provider accepts on an update, without the ones it
computes (totals, tax amounts, timestamps, ids of lines). Sources in `sync.undo`'s docstring.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from bookkeeper_desktop.core.kinds import Kind
from bookkeeper_desktop.sync.store import META
from bookkeeper_desktop.sync.xero_documents import ID_FIELDS

#: QBO fields that QBO computes or that belong to the object's history, not to its content.
_QBO_COMPUTED = {"Id", "SyncToken", "MetaData", "TotalAmt", "domain", "sparse", "status",
                 META}
#: The Xero fields a revert sends, per kind (what the create sends: `xero_documents.document`).
_XERO_FIELDS: Mapping[str, tuple[str, ...]] = {
    Kind.MANUAL_JOURNAL: ("Narration", "Date", "Status", "LineAmountTypes"),
    Kind.BANK_TRANSACTION: ("Type", "Date", "Reference", "LineAmountTypes", "Status"),
    Kind.INVOICE: ("Type", "Date", "DueDate", "Reference", "InvoiceNumber", "LineAmountTypes",
                   "Status"),
}
_LINE_FIELDS = ("Description", "Quantity", "UnitAmount", "LineAmount", "AccountCode", "TaxType",
                "Tracking")


def revert_body(provider: str, kind: str, remote_id: str, before: Mapping[str, Any], *,
                sync_token: str = "") -> dict[str, Any]:
    """The full update that makes `remote_id` what `before` (the provider's own earlier copy)
    says: QBO with the current `sync_token`; Xero by its id field."""
    if provider == "qbo":
        body = {k: v for k, v in before.items() if k not in _QBO_COMPUTED}
        body.update({"Id": remote_id, "SyncToken": sync_token, "sparse": False})
        return body
    body = {name: before[name] for name in _XERO_FIELDS[kind] if before.get(name) is not None}
    body[ID_FIELDS[kind]] = remote_id
    if kind == Kind.MANUAL_JOURNAL:
        body["JournalLines"] = [_line(line, ("Description", "LineAmount", "AccountCode",
                                             "TaxType", "Tracking"))
                                for line in before.get("JournalLines") or []]
        return body
    contact = before.get("Contact") or {}
    body["Contact"] = {"ContactID": contact["ContactID"]} if contact.get("ContactID") \
        else {"Name": str(contact.get("Name") or "")}
    if kind == Kind.BANK_TRANSACTION:
        bank = before.get("BankAccount") or {}
        body["BankAccount"] = {"AccountID": bank["AccountID"]} if bank.get("AccountID") \
            else {"Code": str(bank.get("Code") or "")}
    body["LineItems"] = [_line(line, _LINE_FIELDS) for line in before.get("LineItems") or []]
    return body


def _line(line: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: _amount(line[name]) if name in ("LineAmount", "UnitAmount", "Quantity")
            else line[name] for name in names if line.get(name) not in (None, "", [])}


def _amount(value: Any) -> Any:
    """Amounts come back from our JSON columns as exact text: send them as numbers."""
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return value


def revert_blocker(provider: str, kind: str, current: Mapping[str, Any]) -> str:
    """Why the provider will not take an earlier version of `current` back, or "" when it will
    (sources in `sync.undo`'s docstring)."""
    if provider == "qbo":
        return "" if kind == Kind.JOURNAL_ENTRY else f"QuickBooks Online {kind} is not reverted"
    status = str(current.get("Status") or "").upper()
    if status in ("VOIDED", "DELETED"):
        return f"it is {status.lower()} in Xero, and Xero does not change it any more"
    if kind == Kind.MANUAL_JOURNAL:
        return ""
    if kind == Kind.BANK_TRANSACTION:
        return "it is reconciled in Xero, and Xero does not change a reconciled bank " \
               "transaction: unreconcile it in Xero first" if current.get("IsReconciled") else ""
    if kind == Kind.INVOICE:
        if status == "PAID" or _amount(current.get("AmountPaid") or 0) != 0:
            return "it has a payment applied in Xero, and Xero does not change a paid " \
                   "invoice: remove the payment in Xero first"
        return ""
    return f"Xero cannot change a {Kind(kind).label} once it exists, only delete it"


def provider_kind_name(kind: str, remote: Mapping[str, Any]) -> str:
    """The kind as the provider's screens call it: "Journal Entry", "Manual Journal", "Spend
    Money" / "Receive Money", "Invoice" / "Bill", "Payment", "Bank Transfer"."""
    kind_type = str(remote.get("Type") or "").upper()
    if kind == Kind.BANK_TRANSACTION:
        return "Receive Money" if kind_type.startswith("RECEIVE") else "Spend Money"
    if kind == Kind.INVOICE:
        return "Bill" if kind_type == "ACCPAY" else "Invoice"
    names: dict[str, str] = {Kind.JOURNAL_ENTRY: "Journal Entry",
                             Kind.MANUAL_JOURNAL: "Manual Journal", Kind.PAYMENT: "Payment",
                             Kind.BANK_TRANSFER: "Bank Transfer"}
    return names.get(kind, kind)

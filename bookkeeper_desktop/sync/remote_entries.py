"""Which pulled transactions become ledger entries, and how.

Every pulled object is kept once in `remote_objects`. It is also posted to our ledger when its
accounts are clear from the payload alone:

- QBO `JournalEntry`, Xero `ManualJournals`: line by line (`payloads.entry_from_qbo/_xero`);
- QBO `Purchase`: credit the payment account (`AccountRef`) with the total, debit each
  account-based line (`AccountBasedExpenseLineDetail.AccountRef`); `Credit: true` (a refund)
  the other way round;
- QBO `Deposit`: debit `DepositToAccountRef`, credit each line's `DepositLineDetail.AccountRef`;
- QBO `Transfer`: credit `FromAccountRef`, debit `ToAccountRef` with `Amount`;
- Xero `BankTransfers`: debit the `ToBankAccount`, credit the `FromBankAccount` with `Amount`;
- Xero `BankTransactions` of type SPEND / RECEIVE without tax (`LineAmountTypes` NoTax or a zero
  `TotalTax`): the bank account against each line's `AccountCode`.

Only journal entries carry the remote id on our entry (`qbo_id`, `xero_id`: QBO ids are unique
per entity, not across them); the others are linked through `remote_objects.entry_id`.

Kept as remote objects, listed but **not posted** (the reason is stored with them): QBO
Invoice, Payment, Bill, BillPayment and Xero Invoices and Payments, whose accounts come from
items, tax rates and the provider's own A/R and A/P settings that the payload does not carry;
purchases with item lines; deposits of linked payments; taxed bank transactions; anything using
an account that is not mapped. Posting them with guessed accounts would put wrong numbers in the
books; leaving them out loses nothing because the remote object is kept and can be posted later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from bookkeeper_desktop.core.journal import (
    DEFAULT_CURRENCY,
    EntrySource,
    EntryStatus,
    JournalEntry,
    JournalLine,
)
from bookkeeper_desktop.core.money import ZERO
from bookkeeper_desktop.sync.payloads import (
    amount_of,
    entry_from_qbo,
    entry_from_xero,
    parse_xero_date,
    strip_key,
)

QBO_ENTITIES = ("JournalEntry", "Purchase", "Deposit", "Transfer", "Invoice", "Payment", "Bill",
                "BillPayment")
XERO_COLLECTIONS = ("ManualJournals", "BankTransactions", "Invoices", "Payments",
                    "BankTransfers")
XERO_ID_FIELD = {"ManualJournals": "ManualJournalID", "BankTransactions": "BankTransactionID",
                 "Invoices": "InvoiceID", "Payments": "PaymentID",
                 "BankTransfers": "BankTransferID"}

Result = tuple[JournalEntry | None, str]


def _ref(obj: Mapping[str, Any] | None) -> str | None:
    if not obj:
        return None
    value = obj.get("value")
    return str(value) if value is not None else None


def _missing(what: list[str]) -> str:
    return "accounts not mapped: " + ", ".join(dict.fromkeys(what))


def qbo_entry(entity: str, obj: Mapping[str, Any], accounts: Mapping[str, int]) -> Result:
    """(entry, "") when `obj` can be posted, else (None, why not)."""
    if entity == "JournalEntry":
        entry, unmapped = entry_from_qbo(obj, accounts)
        return (None, _missing(unmapped)) if unmapped else (entry, "")
    pairs: list[tuple[str | None, Decimal]] = []  # (remote account, signed amount: +debit)
    if entity == "Purchase":
        sign = -1 if obj.get("Credit") else 1
        total = ZERO
        for line in obj.get("Line") or []:
            detail = line.get("AccountBasedExpenseLineDetail")
            if not detail:
                return None, "purchase with item lines (accounts come from the items)"
            amount = amount_of(line.get("Amount"))
            pairs.append((_ref(detail.get("AccountRef")), sign * amount))
            total += amount
        pairs.append((_ref(obj.get("AccountRef")), -sign * total))
    elif entity == "Deposit":
        total = ZERO
        for line in obj.get("Line") or []:
            detail = line.get("DepositLineDetail")
            if not detail or line.get("LinkedTxn") or not detail.get("AccountRef"):
                return None, "deposit of linked payments (accounts come from A/R)"
            amount = amount_of(line.get("Amount"))
            pairs.append((_ref(detail.get("AccountRef")), -amount))
            total += amount
        pairs.append((_ref(obj.get("DepositToAccountRef")), total))
    elif entity == "Transfer":
        amount = amount_of(obj.get("Amount"))
        pairs = [(_ref(obj.get("ToAccountRef")), amount),
                 (_ref(obj.get("FromAccountRef")), -amount)]
    else:
        return None, f"QBO {entity} kept as a remote record (accounts come from items and A/R/A/P)"
    return _entry(pairs, accounts, obj.get("TxnDate"), EntrySource.QBO,
                  number=str(obj.get("DocNumber") or ""),
                  memo=strip_key(str(obj.get("PrivateNote") or "")),
                  currency=str((obj.get("CurrencyRef") or {}).get("value") or DEFAULT_CURRENCY))


def xero_entry(collection: str, obj: Mapping[str, Any], accounts: Mapping[str, int], *,
               currency: str | None = None) -> Result:
    """Our entry for a Xero document, or None and why not. `currency`: the organisation's base
    currency, which manual journals and bank transfers are in (they carry no CurrencyCode)."""
    if collection == "ManualJournals":
        entry, unmapped = entry_from_xero(obj, accounts, currency=currency or DEFAULT_CURRENCY)
        return (None, _missing(unmapped)) if unmapped else (entry, "")
    if collection == "BankTransfers":
        amount = amount_of(obj.get("Amount"))
        into, out = obj.get("ToBankAccount") or {}, obj.get("FromBankAccount") or {}
        legs = [(str(into.get("AccountID") or into.get("Code") or "") or None, amount),
                (str(out.get("AccountID") or out.get("Code") or "") or None, -amount)]
        return _entry(legs, accounts, obj.get("Date"), EntrySource.XERO,
                      number=str(obj.get("Reference") or "")[:40], memo="Bank transfer",
                      currency=currency or DEFAULT_CURRENCY)
    if collection != "BankTransactions":
        return None, f"Xero {collection} kept as a remote record (accounts come from items, " \
                     "tax rates and A/R/A/P)"
    kind = str(obj.get("Type") or "")
    if kind not in ("SPEND", "RECEIVE"):
        return None, f"bank transaction of type {kind} kept as a remote record"
    if str(obj.get("LineAmountTypes") or "") != "NoTax" and amount_of(obj.get("TotalTax")) != ZERO:
        return None, "taxed bank transaction (tax accounts come from Xero's tax rates)"
    sign = 1 if kind == "SPEND" else -1
    pairs: list[tuple[str | None, Decimal]] = []
    total = ZERO
    for line in obj.get("LineItems") or []:
        amount = amount_of(line.get("LineAmount"))
        pairs.append((str(line.get("AccountCode") or line.get("AccountID") or "") or None,
                      sign * amount))
        total += amount
    bank = obj.get("BankAccount") or {}
    pairs.append((str(bank.get("AccountID") or bank.get("Code") or "") or None, -sign * total))
    raw_date = str(obj.get("Date") or obj.get("DateString") or "")
    # The contact goes on the lines other than the bank's, as ours name it (`core.kinds`).
    return _entry(pairs, accounts, raw_date, EntrySource.XERO,
                  number=str(obj.get("Reference") or "")[:40],
                  currency=str(obj.get("CurrencyCode") or currency or DEFAULT_CURRENCY),
                  contact=str((obj.get("Contact") or {}).get("Name") or ""),
                  contact_not_on=accounts.get(str(bank.get("AccountID") or bank.get("Code")
                                                  or "")))


def _date(raw: Any) -> dt.date | None:
    text = str(raw or "")
    if not text:
        return None
    if text.startswith("/Date("):
        return parse_xero_date(text).date()
    return dt.date.fromisoformat(text[:10])


def _entry(pairs: list[tuple[str | None, Decimal]], accounts: Mapping[str, int], raw_date: Any,
           source: EntrySource, *, number: str, currency: str, memo: str = "",
           contact: str = "", contact_not_on: int | None = None) -> Result:
    """A posted entry of one line per (remote account, signed amount) pair, or None and why
    not; `contact` on every line but the one of account `contact_not_on` (a bank's)."""
    missing = [ref or "(none)" for ref, _ in pairs if ref is None or ref not in accounts]
    if missing:
        return None, _missing(missing)
    lines = tuple(JournalLine.of(accounts[ref], amount,
                                 contact="" if accounts[ref] == contact_not_on else contact)
                  for ref, amount in pairs if ref is not None and amount != ZERO)
    if len(lines) < 2:
        return None, "nothing to post (no amounts)"
    return JournalEntry(date=_date(raw_date), lines=lines, number=number, memo=memo,
                        currency=currency, status=EntryStatus.POSTED, source=source), ""


def remote_id_of(provider: str, kind: str, obj: Mapping[str, Any]) -> str:
    return str(obj["Id"] if provider == "qbo" else obj[XERO_ID_FIELD.get(kind, "AccountID")])


def version_of(provider: str, obj: Mapping[str, Any]) -> str:
    """QBO SyncToken; Xero UpdatedDateUTC (API_NOTES.md "concurrency", "change capture")."""
    if provider == "qbo":
        return str(obj.get("SyncToken", ""))
    return str(obj.get("UpdatedDateUTC") or "")


def updated_at_of(provider: str, obj: Mapping[str, Any]) -> dt.datetime | None:
    try:
        if provider == "qbo":
            text = (obj.get("MetaData") or {}).get("LastUpdatedTime")
            return dt.datetime.fromisoformat(str(text)) if text else None
        text = obj.get("UpdatedDateUTC")
        return parse_xero_date(str(text)) if text else None
    except ValueError:
        return None


def gone(provider: str, kind: str, obj: Mapping[str, Any]) -> bool:
    """Deleted or voided at the provider: QBO CDC `status: "Deleted"` or a voided transaction
    ("Voided" memo, amounts zero); Xero `Status` DELETED or VOIDED."""
    if provider == "qbo":
        if str(obj.get("status") or "").lower() == "deleted":
            return True
        note = str(obj.get("PrivateNote") or "")
        return note.startswith("Voided") and amount_of(obj.get("TotalAmt")) == ZERO
    return str(obj.get("Status") or "").upper() in ("DELETED", "VOIDED")

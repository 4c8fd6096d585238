"""Our journal entries ⇄ the providers' JSON: QBO `JournalEntry` and Xero `ManualJournal`.

Shapes from API_NOTES.md:
- QBO JournalEntry: amounts positive, side in `JournalEntryLineDetail.PostingType`
  (Debit|Credit), `AccountRef.value` = QBO account Id, `TxnDate` YYYY-MM-DD, `DocNumber`
  (at most 21 characters in QBO), `PrivateNote`, `CurrencyRef`.
- Xero ManualJournal: `JournalLines[].LineAmount` debits positive, credits negative,
  `AccountCode`, `TaxType`, `Narration` (required), `Date` YYYY-MM-DD, `Status` DRAFT|POSTED,
  `LineAmountTypes` NoTax. Dates come back as `/Date(ms+offset)/`.

Our idempotency key is also written into the remote record (QBO `PrivateNote`, Xero `Narration`)
so that after a crash the outbox can find what it already sent (API_NOTES: QBO's `requestid`
"does not always de-duplicate").
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bookkeeper_desktop.core.errors import ValidationError
from bookkeeper_desktop.core.journal import (
    DEFAULT_CURRENCY,
    EntrySource,
    EntryStatus,
    JournalEntry,
    JournalLine,
)
from bookkeeper_desktop.core.money import CENT, ZERO, money, round_money

QBO_DOC_NUMBER_MAX = 21
KEY_MARKER = re.compile(r"\[bk:([A-Za-z0-9._-]{1,64})\]")


class UnmappedAccounts(ValidationError):
    """An entry uses accounts with no mapping to the provider; `account_ids` names them."""

    def __init__(self, message: str, account_ids: tuple[int, ...], problems: list[str]):
        super().__init__(message, problems,
                         hint="Map the accounts in Integrations → Account mapping.")
        self.account_ids = account_ids


@dataclass(frozen=True)
class RemoteAccountRef:
    """What the provider calls one of our accounts: QBO account Id (+ name), or Xero code."""

    remote_id: str
    name: str = ""


def tag_with_key(text: str, key: str) -> str:
    """`text` with our idempotency key appended as `[bk:KEY]` (once)."""
    if KEY_MARKER.search(text):
        return text
    return f"{text} [bk:{key}]".strip()


def key_in(text: str | None) -> str | None:
    """The idempotency key written by `tag_with_key`, if any."""
    found = KEY_MARKER.search(text or "")
    return found.group(1) if found else None


def strip_key(text: str) -> str:
    return KEY_MARKER.sub("", text).strip()


def check_refs(
    entry: JournalEntry, refs: Mapping[int, RemoteAccountRef], provider: str,
    names: Mapping[int, str],
) -> list[RemoteAccountRef]:
    """What `provider` calls each line's account; `UnmappedAccounts` naming those it has none
    for."""
    missing = tuple(dict.fromkeys(
        line.account_id for line in entry.lines if line.account_id not in refs
    ))
    if missing:
        listed = [f"'{names.get(a, f'#{a}')}' has no {provider} account mapped" for a in missing]
        raise UnmappedAccounts(
            f"The {entry.label} cannot be sent to {provider}: "
            + ", ".join(names.get(a, f"#{a}") for a in missing) + " not mapped.",
            missing, listed,
        )
    return [refs[line.account_id] for line in entry.lines]


def _number(amount: Decimal) -> Decimal:
    """A money amount for a payload: stays Decimal; `dumps` writes it as an exact JSON number."""
    return round_money(amount)


def dumps(payload: Any) -> bytes:
    """JSON bytes with every Decimal written as a JSON number, digit for digit (no float on the
    way: `json` would otherwise refuse Decimals or round them through float). Decimals are first
    written as strings tagged with a random marker, then the quotes around them are removed."""
    marker = f"dec-{secrets.token_hex(8)}:"

    def encode(value: object) -> str:
        if isinstance(value, Decimal) and value.is_finite():
            return f"{marker}{value}"
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")

    text = json.dumps(payload, default=encode, separators=(",", ":"))
    # Every piece after an opening `"<marker>` starts with the digits of one Decimal followed by
    # its closing quote: drop both quotes. (Split and join, no regex to compile per call.)
    head, *pieces = text.split('"' + marker)
    return "".join([head, *(piece.replace('"', "", 1) for piece in pieces)]).encode("utf-8")


def loads(data: bytes | str) -> Any:
    """JSON with numbers that have a fraction read as Decimal, so amounts never pass through
    float."""
    return json.loads(data, parse_float=Decimal)


# --- QuickBooks Online ---------------------------------------------------------------------------


def entry_to_qbo(
    entry: JournalEntry,
    refs: Mapping[int, RemoteAccountRef],
    *,
    key: str,
    account_names: Mapping[int, str] | None = None,
    entities: Mapping[int, Mapping[str, str]] | None = None,
    tax_codes: Mapping[int, str] | None = None,
) -> dict[str, Any]:
    """A QBO JournalEntry create/update body for `entry` (Id/SyncToken added when it has them).
    `entities`: line index → the Customer or Vendor of a receivable or payable line ({Type,
    value, name}), sent as the line's `Entity` (QBO refuses those lines without one: Fault
    6000, API_NOTES.md). `tax_codes`: line index → QBO TaxCode id, sent as the line's
    `TaxCodeRef` with `TaxApplicableOn` (Sales on a credit, Purchase on a debit): only for a
    company outside the US, where journal lines carry tax codes (python-quickbooks'
    `JournalEntryLineDetail`)."""
    if entry.date is None:
        raise ValidationError(f"The {entry.label} has no date.")
    line_refs = check_refs(entry, refs, "QuickBooks Online", account_names or {})
    lines: list[dict[str, Any]] = []
    for index, (line, ref) in enumerate(zip(entry.lines, line_refs, strict=True), start=1):
        detail: dict[str, Any] = {
            "PostingType": "Debit" if line.debit else "Credit",
            "AccountRef": {"value": ref.remote_id, **({"name": ref.name} if ref.name else {})},
        }
        entity = (entities or {}).get(index - 1)
        if entity is not None:
            detail["Entity"] = {"Type": entity["Type"],
                                "EntityRef": {"value": entity["value"], "name": entity["name"]}}
        tax_code = (tax_codes or {}).get(index - 1)
        if tax_code:
            detail["TaxCodeRef"] = {"value": tax_code}
            detail["TaxApplicableOn"] = "Purchase" if line.debit else "Sales"
        lines.append({
            "Id": str(index),
            "Description": line.description,
            "Amount": _number(line.debit or line.credit),
            "DetailType": "JournalEntryLineDetail",
            "JournalEntryLineDetail": detail,
        })
    body: dict[str, Any] = {
        "TxnDate": entry.date.isoformat(),
        "PrivateNote": tag_with_key(entry.memo, key),
        "CurrencyRef": {"value": entry.currency},
        "Line": lines,
    }
    if entry.number:
        body["DocNumber"] = entry.number[:QBO_DOC_NUMBER_MAX]
    if entry.qbo_id:
        body["Id"] = entry.qbo_id
        body["SyncToken"] = entry.qbo_sync_token or "0"
    return body


def voided_note(memo: str) -> str:
    """The memo QBO gives a voided transaction: "Voided", then the old memo ("Voided - …")."""
    return "Voided" if not memo else f"Voided - {memo}"


def entry_to_qbo_void(
    entry: JournalEntry,
    refs: Mapping[int, RemoteAccountRef],
    *,
    key: str,
    account_names: Mapping[int, str] | None = None,
    entities: Mapping[int, Mapping[str, str]] | None = None,
    tax_codes: Mapping[int, str] | None = None,
) -> dict[str, Any]:
    """A full update that voids a pushed JournalEntry the way QBO's own Void does.

    QBO's API has no void for JournalEntry: `?operation=void` exists for Invoice (and
    `operation=update&include=void` for Payment and BillPayment, python-quickbooks `VoidMixin`;
    reference/api-research.md "Update / sparse"), while JournalEntry only has create, update and
    delete (`?operation=delete`, api-research "Delete"). The reference material does not say so
    in as many words for JournalEntry; it lists no void for it, and the sandbox follows that
    (`sandbox.qbo_entities.VOIDABLE`). A delete would lose the number and the audit trail, so the
    entry is updated as QBO's UI voids one: same number, date and accounts, every amount zero,
    "Voided - <memo>" in `PrivateNote` (`sandbox.qbo_entities.voided`; pulled back, that is what
    `remote_entries.gone` recognises as voided). Our key stays in the note for reconciliation."""
    body = entry_to_qbo(entry, refs, key=key, account_names=account_names, entities=entities,
                        tax_codes=tax_codes)
    for line in body["Line"]:
        line["Amount"] = ZERO
    body["PrivateNote"] = tag_with_key(voided_note(entry.memo), key)
    return body


def amount_of(value: Any) -> Decimal:
    """A pulled amount (a Decimal as `clients.loads` reads it; None: zero) to the cent, as the
    provider shows it."""
    amount = value if isinstance(value, Decimal) else Decimal(str(value if value is not None
                                                                   else "0"))
    return money(amount.quantize(CENT))


def entry_from_qbo(
    payload: Mapping[str, Any], account_ids: Mapping[str, int],
) -> tuple[JournalEntry, list[str]]:
    """A pulled QBO JournalEntry as our entry (status posted, source QBO), plus the QBO account
    ids that have no mapping to ours (the entry is then incomplete and must not be stored as
    balanced)."""
    lines: list[JournalLine] = []
    unmapped: list[str] = []
    for raw in payload.get("Line", []):
        detail = raw.get("JournalEntryLineDetail")
        if not detail:
            continue  # DescriptionOnly lines carry no amount
        remote_account = str(detail["AccountRef"]["value"])
        account_id = account_ids.get(remote_account)
        if account_id is None:
            unmapped.append(remote_account)
            continue
        amount = amount_of(raw.get("Amount"))
        debit = detail.get("PostingType") == "Debit"
        lines.append(JournalLine(
            account_id,
            debit=amount if debit else ZERO,
            credit=ZERO if debit else amount,
            description=raw.get("Description", "") or "",
            contact=((detail.get("Entity") or {}).get("EntityRef") or {}).get("name", "") or "",
        ))
    note = payload.get("PrivateNote", "") or ""
    entry = JournalEntry(
        date=dt.date.fromisoformat(payload["TxnDate"]),
        lines=tuple(lines),
        number=payload.get("DocNumber", "") or "",
        memo=strip_key(note),
        currency=(payload.get("CurrencyRef") or {}).get("value", DEFAULT_CURRENCY),
        status=EntryStatus.POSTED,
        source=EntrySource.QBO,
        qbo_id=str(payload["Id"]),
        qbo_sync_token=str(payload.get("SyncToken", "0")),
    )
    return entry, unmapped


# --- Xero ----------------------------------------------------------------------------------------

_XERO_DATE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")


def parse_xero_date(value: str) -> dt.datetime:
    """`/Date(1700000000000+0000)/` (or an ISO string) → aware UTC datetime."""
    found = _XERO_DATE.fullmatch(value.strip())
    if found:
        millis = int(found.group(1))
        return dt.datetime.fromtimestamp(millis / 1000, tz=dt.UTC)
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def format_xero_date(moment: dt.datetime) -> str:
    return f"/Date({int(moment.timestamp() * 1000)}+0000)/"


def entry_to_xero(
    entry: JournalEntry,
    codes: Mapping[int, RemoteAccountRef],
    *,
    key: str,
    tax_type: str = "NONE",
    account_names: Mapping[int, str] | None = None,
) -> dict[str, Any]:
    """A Xero ManualJournal body for `entry`; posted entries are sent POSTED, approved ones DRAFT
    (Xero's own import makes drafts, and a draft can still be reviewed there)."""
    if entry.date is None:
        raise ValidationError(f"The {entry.label} has no date.")
    line_refs = check_refs(entry, codes, "Xero", account_names or {})
    narration = entry.memo or (f"Journal {entry.number}" if entry.number else "Journal entry")
    body: dict[str, Any] = {
        "Narration": tag_with_key(narration, key),
        "Date": entry.date.isoformat(),
        "Status": "POSTED" if entry.status is EntryStatus.POSTED else "DRAFT",
        "LineAmountTypes": "NoTax",
        "JournalLines": [
            {
                "LineAmount": _number(line.signed_amount),
                "AccountCode": ref.remote_id,
                "Description": line.description,
                "TaxType": tax_type,
            }
            for line, ref in zip(entry.lines, line_refs, strict=True)
        ],
    }
    if entry.xero_id:
        body["ManualJournalID"] = entry.xero_id
    return body


def entry_from_xero(
    payload: Mapping[str, Any], account_ids: Mapping[str, int], *,
    currency: str = DEFAULT_CURRENCY,
) -> tuple[JournalEntry, list[str]]:
    """A pulled Xero ManualJournal as our entry, plus account codes with no mapping. A manual
    journal carries no currency: it is in the organisation's (`currency`)."""
    lines: list[JournalLine] = []
    unmapped: list[str] = []
    for raw in payload.get("JournalLines", []):
        code = str(raw.get("AccountCode", ""))
        account_id = account_ids.get(code)
        if account_id is None:
            unmapped.append(code)
            continue
        lines.append(JournalLine.of(account_id, amount_of(raw.get("LineAmount")),
                                    description=raw.get("Description", "") or ""))
    status = {
        "POSTED": EntryStatus.POSTED, "DRAFT": EntryStatus.DRAFT, "VOIDED": EntryStatus.VOID,
        "DELETED": EntryStatus.VOID,
    }.get(str(payload.get("Status", "POSTED")).upper(), EntryStatus.POSTED)
    raw_date = str(payload["Date"])
    date = (parse_xero_date(raw_date).date() if raw_date.startswith("/Date(")
            else dt.date.fromisoformat(raw_date[:10]))
    entry = JournalEntry(
        date=date,
        lines=tuple(lines),
        memo=strip_key(payload.get("Narration", "") or ""),
        currency=currency,
        status=status,
        source=EntrySource.XERO,
        xero_id=str(payload["ManualJournalID"]),
    )
    return entry, unmapped

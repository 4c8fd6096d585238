"""One Xero organisation's books inside the sandbox: records, Xero's validation rules, the ledger.

Records are kept in Xero's own JSON shape (field names of xero-python 15's models, which are
generated from Xero's OpenAPI spec), with amounts as `Decimal` and dates already in `/Date(…)/`
form, so serving a record is a copy. Each write stamps `UpdatedDateUTC` with the clock's time.

Rules followed (API_NOTES.md "Xero", its table "Business rules the real services enforce", and
api-research.md §2.2):
- ManualJournal: `Narration` required; at least two `JournalLines`; `LineAmount` debits positive,
  credits negative, and the journal balances ("The total debits (100.00) must equal total credits
  (-10.00)", Xero's wording); `AccountCode`/`AccountID` of an active account; at most two tracking
  categories per line; `Status` DRAFT or POSTED on create, then DRAFT → POSTED/DELETED and
  POSTED → VOIDED (xero-python's enum: DRAFT, POSTED, DELETED, VOIDED, ARCHIVED); any other
  change answers "The status 'X' cannot be applied to the document" (API_NOTES, statuses row).
- ManualJournal lines may not use a bank account (Type BANK, credit-card bank accounts included):
  help.xero.com "You can't post a manual journal to a bank account in Xero" (API_NOTES, first
  business-rule row); nor the locked system accounts `MJ_LOCKED_SYSTEM_ACCOUNTS` (help.xero.com's
  locked system accounts table, API_NOTES second row; the `SystemAccount` codes are xero-python
  15's `Account.system_account` enum, generated from Xero's OpenAPI spec). Historical
  Adjustment, Realised Currency Gains, Retained Earnings and GST are allowed. Current Earnings
  is worked out by Xero for the balance sheet and has no account a journal could name.
- Lock dates (API_NOTES business rules, "lock dates"): no ManualJournal, Invoice,
  BankTransaction, Payment or BankTransfer dated on or before the organisation's
  `EndOfYearLockDate` or `PeriodLockDate` is created, changed, voided or deleted: "The document
  date cannot be before the period lock date, currently set at 30-Nov-2018" (the end-of-year
  variant's words are quoted in waynerobinson/xeroizer#92: "The document date cannot be before
  the end of year lock date, currently set at 31-Jul-2013").
- TaxType valid for the account (API_NOTES business rules): a line's TaxType must be one of the
  organisation's tax rates (its tax system) and that rate's `CanApplyTo…` flag (xero-python
  `TaxRate`: Assets, Equity, Expenses, Liabilities, Revenue) must allow the account's class:
  "The TaxType code 'X' cannot be used with account code 'Y'".
- Invoices (ACCREC/ACCPAY), BankTransactions (RECEIVE/SPEND) and Payments with their totals, tax at
  the organisation's rates, payments reducing `AmountDue` and marking an invoice PAID.
  Invoices and BankTransactions need a Contact, by `ContactID` or `Name` (missing: "A Contact
  must be specified for this type of transaction"); an unknown name makes a new contact, as
  Xero does when a PUT Invoice carries a new contact's Name (a decision of ours from public
  sample requests such as gist.github.com/ronanq/4650059; our notes do not quote Xero on it),
  stored only when the document is. A Payment names its invoice by `InvoiceID` or
  `InvoiceNumber` and may not exceed its `AmountDue`. Status changes (`STATUS_CHANGES`, from
  the status enums of xero-python 15 and Xero's API pages): invoices DRAFT/SUBMITTED → DELETED
  (or on to AUTHORISED), AUTHORISED → VOIDED only with no payment applied; bank transactions,
  payments and bank transfers AUTHORISED → DELETED (`Status: DELETED`); nothing leaves PAID,
  VOIDED or DELETED. A bank transaction not reconciled and an invoice with nothing paid may be
  edited (POST with the id and new fields: `EDITABLE`, with its sources).
- BankTransfers (xero-python 15 `create_bank_transfer` PUT, `delete_bank_transfer(s)` POST with
  `Status: DELETED`; no update exists in the API): `FromBankAccount` and `ToBankAccount` (Code or
  AccountID) two different BANK accounts, `Amount` above zero, `Date`, `Reference`.
- The general ledger (`Journals`): every posting, edit of something posted, void or delete adds a
  numbered journal (reversing the one it replaces), as Xero's Journals endpoint reports them.

Messages: the debits/credits, lock-date, TaxType-for-account and status ones are quoted in our
notes (API_NOTES.md business rules); those marked `# Xero's text`
are Xero's wording as developers commonly report it (not in our notes, so not verified here);
the rest are ours and marked `# wording ours`.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bookkeeper_desktop.sandbox import xero_format as fmt

ZERO = Decimal("0.00")

COLLECTIONS = (
    "Accounts", "Contacts", "ManualJournals", "Invoices", "BankTransactions", "Payments",
    "BankTransfers",
)
ID_FIELD = {
    "Accounts": "AccountID", "Contacts": "ContactID", "ManualJournals": "ManualJournalID",
    "Invoices": "InvoiceID", "BankTransactions": "BankTransactionID", "Payments": "PaymentID",
    "BankTransfers": "BankTransferID",
    "Journals": "JournalID", "TaxRates": "TaxType",
}
#: Fields holding the lines that Xero leaves out of list responses unless `page` is given
#: (xero-python `get_manual_journals`: "page=1 – Up to 100 manual journals will be returned … with
#: line items shown").
LINE_FIELDS = {"ManualJournals": "JournalLines", "Invoices": "LineItems",
               "BankTransactions": "LineItems"}

ACCOUNT_CLASS = {
    "BANK": "ASSET", "CURRENT": "ASSET", "FIXED": "ASSET", "INVENTORY": "ASSET",
    "NONCURRENT": "ASSET", "PREPAYMENT": "ASSET",
    "CURRLIAB": "LIABILITY", "LIABILITY": "LIABILITY", "TERMLIAB": "LIABILITY",
    "PAYG": "LIABILITY",
    "EQUITY": "EQUITY",
    "REVENUE": "REVENUE", "SALES": "REVENUE", "OTHERINCOME": "REVENUE",
    "DIRECTCOSTS": "EXPENSE", "EXPENSE": "EXPENSE", "OVERHEADS": "EXPENSE",
    "DEPRECIATN": "EXPENSE",
}
_REPORTING = {"ASSET": ("ASS", "Assets"), "LIABILITY": ("LIA", "Liabilities"),
              "EQUITY": ("EQU", "Equity"), "REVENUE": ("REV", "Revenue"),
              "EXPENSE": ("EXP", "Expenses")}

#: The default tax rates of an organisation, by its `Version` (TaxType code, name, rate in
#: percent, the account classes the rate may NOT be used with — its `CanApplyTo…` flags false).
#: Names, codes and classes from Xero's developer "Tax Types" page (its per-country tables; copied
#: in support.tradegecko.com "Xero Default Tax Rate"): NZ 15% GST on Income not for expenses,
#: on Expenses not for revenue, Zero Rated only revenue and liabilities; US "Tax on Sales",
#: "Tax on Purchases", "Tax Exempt", "Sales Tax on Imports" (liabilities only). A US
#: organisation sets its own sales-tax rates per jurisdiction (new rates get TAX001, …), so its
#: default rates are 0% here until a test adds one — a decision of ours, the page gives no rate.
#: GST on Imports (NZ) likewise only for the liability Xero posts import GST to.
_REVENUE_ONLY_NOT = frozenset({"ASSET", "EQUITY", "EXPENSE"})
TAX_RATES: dict[str, tuple[tuple[str, str, Decimal, frozenset[str]], ...]] = {
    "NZ": (
        ("OUTPUT2", "15% GST on Income", Decimal(15), frozenset({"EXPENSE"})),
        ("INPUT2", "15% GST on Expenses", Decimal(15), frozenset({"REVENUE"})),
        ("NONE", "No GST", Decimal(0), frozenset()),
        ("ZERORATED", "Zero Rated", Decimal(0), _REVENUE_ONLY_NOT),
        ("GSTONIMPORTS", "GST on Imports", Decimal(0),
         frozenset({"ASSET", "EQUITY", "EXPENSE", "REVENUE"})),
    ),
    "US": (
        ("OUTPUT", "Tax on Sales", Decimal(0), frozenset()),
        ("INPUT", "Tax on Purchases", Decimal(0), frozenset()),
        ("NONE", "Tax Exempt", Decimal(0), frozenset()),
        ("GSTONIMPORTS", "Sales Tax on Imports", Decimal(0),
         frozenset({"ASSET", "EQUITY", "EXPENSE", "REVENUE"})),
    ),
}
#: "ReportTaxType … Required for AU, NZ and UK organisations (US and Global do not support this
#: element)" (Xero's TaxRates reference).
_REPORT_TAX_TYPES = {"NZ": {"OUTPUT2": "OUTPUT", "INPUT2": "INPUT"}}
_CAN_APPLY_FIELD = {"ASSET": "CanApplyToAssets", "EQUITY": "CanApplyToEquity",
                    "EXPENSE": "CanApplyToExpenses", "LIABILITY": "CanApplyToLiabilities",
                    "REVENUE": "CanApplyToRevenue"}

#: `SystemAccount` → name of the system accounts a manual journal may not use (help.xero.com's
#: locked system accounts table, API_NOTES.md; codes from xero-python 15's enum).
MJ_LOCKED_SYSTEM_ACCOUNTS: dict[str, str] = {
    "DEBTORS": "Accounts Receivable", "CREDITORS": "Accounts Payable",
    "UNPAIDEXPCLM": "Unpaid Expense Claims", "TRACKINGTRANSFERS": "Tracking Transfers",
    "BANKCURRENCYGAIN": "Bank Revaluations",
}

MJ_CREATE_STATUSES = ("DRAFT", "POSTED")
MJ_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "DRAFT": ("DRAFT", "POSTED", "DELETED"),
    "POSTED": ("POSTED", "VOIDED"),
    "VOIDED": (),
    "DELETED": (),
}
LINE_AMOUNT_TYPES = {"notax": "NoTax", "exclusive": "Exclusive", "inclusive": "Inclusive"}
#: Status changes Xero makes on a document that exists (current → allowed new statuses).
STATUS_CHANGES: dict[str, dict[str, tuple[str, ...]]] = {
    "Invoices": {"DRAFT": ("DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"),
                 "SUBMITTED": ("SUBMITTED", "DRAFT", "AUTHORISED", "DELETED"),
                 "AUTHORISED": ("VOIDED",)},
    "BankTransactions": {"AUTHORISED": ("DELETED",)},
    "Payments": {"AUTHORISED": ("DELETED",)},
    "BankTransfers": {"AUTHORISED": ("DELETED",)},
}
#: Documents whose content an API client may change (POST with their id and new fields), and
#: the fields an edit may carry: Xero's OpenAPI document (XeroAPI/Xero-OpenAPI
#: `xero_accounting.yaml`) defines `updateBankTransaction` (POST /BankTransactions/{id}, "Updates
#: a single spent or received money transaction") and `updateInvoice` (POST /Invoices/{id},
#: "Updates a specific sales invoices or purchase bills"), and developers edit AUTHORISED,
#: unreconciled bank transactions that way (XeroAPI/xero-mcp-server issue #184). Xero's
#: screens do not let a reconciled bank transaction or an invoice with a payment applied be
#: edited until the reconciliation or payment is removed; the API follows them (`Books.
#: edited_document`; the words of those refusals are ours). Payments and bank transfers have
#: no update (xero-python 15: only their status, to DELETED).
EDITABLE: dict[str, tuple[str, ...]] = {
    "BankTransactions": ("Type", "Contact", "BankAccount", "Date", "Reference",
                         "LineAmountTypes", "LineItems", "Status"),
    "Invoices": ("Type", "Contact", "Date", "DueDate", "Reference", "InvoiceNumber",
                 "LineAmountTypes", "LineItems", "Status"),
}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def status_refused(status: str) -> str:
    """Xero's answer to a status change it does not make (API_NOTES.md, statuses row)."""
    return f"The status '{status}' cannot be applied to the document"


def xero_day(day: dt.date) -> str:
    """30-Nov-2018, as Xero writes a date in its lock-date message."""
    return f"{day.day:02d}-{_MONTHS[day.month - 1]}-{day.year}"


class ItemErrors(Exception):
    """Validation failures of one item of a PUT/POST array (Xero's per-item ValidationErrors)."""

    def __init__(self, messages: Sequence[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)


class NotFoundError(KeyError):
    """A record the request names does not exist (Xero answers 404)."""


def money_text(amount: Decimal) -> str:
    return f"{fmt.cents(amount):.2f}"


@dataclass
class Books:
    """The records of one organisation (tenant). Not thread-safe: the API object holds the lock."""

    tenant_id: str
    organisation: dict[str, Any]
    advanced: bool = False
    records: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {name: {} for name in COLLECTIONS})
    journals: list[dict[str, Any]] = field(default_factory=list)
    #: Source id → JournalNumber of the journal currently in effect for it (to reverse on change).
    posted: dict[str, int] = field(default_factory=dict)
    tracking: dict[str, list[str]] = field(default_factory=dict)
    idempotency: dict[str, dict[str, Any]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    rng: random.Random | None = None
    #: Contacts named by documents of the request being handled, stored only with the document.
    pending_contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Bumped by every write; list answers cache each collection's listing per version.
    version: int = 0
    listings: dict[str, tuple[int, list[int], list[dict[str, Any]]]] = field(
        default_factory=dict)

    since_cache: dict[str, tuple[int, int | None, list[dict[str, Any]]]] = field(
        default_factory=dict)

    def listing(self, collection: str, since_ms: int | None = None) -> list[dict[str, Any]]:
        """The records of `collection` changed at or after `since_ms`, in the order they were
        created (a record keeps its place when it changes). Cached until the next write, so a
        client paging through one `If-Modified-Since` pass costs one filter, not one a page."""
        hit = self.since_cache.get(collection)
        if hit is not None and hit[0] == self.version and hit[1] == since_ms:
            return hit[2]
        cached = self.listings.get(collection)
        if cached is None or cached[0] != self.version:
            records = list(self.records[collection].values())
            cached = (self.version, [fmt.ms_of(r["UpdatedDateUTC"]) for r in records], records)
            self.listings[collection] = cached
        _, stamps, everything = cached
        chosen = everything if since_ms is None else [
            r for ms, r in zip(stamps, everything, strict=True) if ms >= since_ms]
        self.since_cache[collection] = (self.version, since_ms, chosen)
        return chosen

    # --- state -----------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id, "organisation": fmt.to_plain(self.organisation),
            "advanced": self.advanced, "records": fmt.to_plain(self.records),
            "journals": fmt.to_plain(self.journals), "posted": dict(self.posted),
            "tracking": {k: list(v) for k, v in self.tracking.items()},
            "idempotency": dict(self.idempotency), "counters": dict(self.counters),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Books:
        records = fmt.from_plain(state.get("records", {}))
        for name in COLLECTIONS:
            records.setdefault(name, {})
        return cls(
            tenant_id=str(state["tenant_id"]),
            organisation=fmt.from_plain(state["organisation"]),
            advanced=bool(state.get("advanced", False)),
            records=records,
            journals=fmt.from_plain(state.get("journals", [])),
            posted={str(k): int(v) for k, v in state.get("posted", {}).items()},
            tracking={str(k): [str(o) for o in v] for k, v in state.get("tracking", {}).items()},
            idempotency=dict(state.get("idempotency", {})),
            counters={str(k): int(v) for k, v in state.get("counters", {}).items()},
        )

    # --- lookups ---------------------------------------------------------------------------

    def new_id(self) -> str:
        if self.rng is not None:
            return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        return str(uuid.uuid4())

    def next_number(self, counter: str) -> int:
        self.counters[counter] = self.counters.get(counter, 0) + 1
        return self.counters[counter]

    def get(self, collection: str, record_id: str) -> dict[str, Any]:
        found = self.records[collection].get(record_id.lower())
        if found is None:
            raise NotFoundError(record_id)
        return found

    def store(self, collection: str, record: dict[str, Any]) -> None:
        self.records[collection][str(record[ID_FIELD[collection]]).lower()] = record

    def accounts(self) -> Iterator[dict[str, Any]]:
        return iter(self.records["Accounts"].values())

    def account_by_code(self, code: str) -> dict[str, Any] | None:
        wanted = code.strip().lower()
        return next((a for a in self.accounts() if str(a.get("Code", "")).lower() == wanted), None)

    def system_account(self, kind: str) -> dict[str, Any]:
        found = next((a for a in self.accounts() if a.get("SystemAccount") == kind), None)
        if found is None:
            raise LookupError(f"the organisation has no {kind} system account")
        return found

    def _rates(self) -> tuple[tuple[str, str, Decimal, frozenset[str]], ...]:
        """The organisation's rates: its `Version`'s table (an organisation of a version we have
        no table for gets New Zealand's, the version of our default seed)."""
        return TAX_RATES.get(str(self.organisation.get("Version", "NZ")), TAX_RATES["NZ"])

    def tax_rates(self) -> list[dict[str, Any]]:
        version = str(self.organisation.get("Version", "NZ"))
        component = "Sales Tax" if version == "US" else "GST"
        rates = []
        for code, name, rate, excluded in self._rates():
            record: dict[str, Any] = {
                "Name": name, "TaxType": code,
                **{flag: account_class not in excluded
                   for account_class, flag in _CAN_APPLY_FIELD.items()},
                "DisplayTaxRate": rate, "EffectiveRate": rate, "Status": "ACTIVE",
                "TaxComponents": [{"Name": component, "Rate": rate, "IsCompound": False,
                                   "IsNonRecoverable": False}]}
            if version in _REPORT_TAX_TYPES:
                record["ReportTaxType"] = _REPORT_TAX_TYPES[version].get(code, "NONE")
            rates.append(record)
        return rates

    def tax_rate(self, tax_type: str) -> tuple[str, Decimal] | None:
        for code, name, rate, _ in self._rates():
            if code == tax_type:
                return name, rate
        return None

    def lock_dates(self) -> dict[str, dt.date | None]:
        """The organisation's `PeriodLockDate` and `EndOfYearLockDate` (None when not set)."""
        return {name: fmt.day_of(self.organisation[name]) if self.organisation.get(name) else None
                for name in ("PeriodLockDate", "EndOfYearLockDate")}

    def set_lock_dates(self, *, period: dt.date | None, end_of_year: dt.date | None) -> None:
        """Set (or, with None, clear) both lock dates, as an adviser does in Xero's settings."""
        for name, day in (("PeriodLockDate", period), ("EndOfYearLockDate", end_of_year)):
            if day is None:
                self.organisation.pop(name, None)
            else:
                self.organisation[name] = fmt.ms_date(day)

    def check_lock_dates(self, day: dt.date, problems: list[str]) -> None:
        """A document dated on or before a lock date is refused, in Xero's words (API_NOTES
        business rules; the end-of-year variant as quoted in waynerobinson/xeroizer#92). The
        end-of-year lock date binds advisers too, so it is checked first."""
        locks = self.lock_dates()
        for name, words in (("EndOfYearLockDate", "end of year lock date"),
                            ("PeriodLockDate", "period lock date")):
            lock = locks[name]
            if lock is not None and day <= lock:
                problems.append(f"The document date cannot be before the {words}, currently set "
                                f"at {xero_day(lock)}")
                return

    def check_tax_for_account(self, tax_type: str, account: Mapping[str, Any] | None,
                              problems: list[str]) -> None:
        """The rate's `CanApplyTo…` flag for the account's class must be true (API_NOTES
        business rules: "The TaxType code 'X' cannot be used with account code 'Y'")."""
        if account is None:
            return
        account_class = ACCOUNT_CLASS.get(str(account.get("Type")), "")
        excluded = next((classes for code, _, _, classes in self._rates() if code == tax_type),
                        frozenset())
        if account_class in excluded:
            problems.append(f"The TaxType code '{tax_type}' cannot be used with account code "
                            f"'{account.get('Code', '')}'")

    def resolve_account(self, ref: Mapping[str, Any], problems: list[str],
                        *, allow_archived: bool = False) -> dict[str, Any] | None:
        """The account named by `AccountCode`/`Code` or `AccountID`, or None with a problem."""
        code = ref.get("AccountCode", ref.get("Code"))
        account_id = ref.get("AccountID")
        account: dict[str, Any] | None = None
        if account_id:
            account = self.records["Accounts"].get(str(account_id).lower())
            if account is None:
                problems.append(f"Account ID '{account_id}' is not valid for this document.")
                return None
        elif code not in (None, ""):
            account = self.account_by_code(str(code))
            if account is None:
                # Xero's text for an unknown code on a document line.
                problems.append(f"Account code '{code}' is not a valid code for this document.")
                return None
        else:
            problems.append("Account code must be specified.")  # wording ours
            return None
        if account.get("Status") != "ACTIVE" and not allow_archived:
            problems.append(  # Xero's text
                f"Account code '{account.get('Code', '')}' has been archived, or deleted. "
                "Each line item must reference a valid account.")
            return None
        return account

    # --- contacts --------------------------------------------------------------------------

    def new_contact(self, data: Mapping[str, Any], now_ms: int, *, pending: bool = False
                    ) -> dict[str, Any]:
        name = str(data.get("Name", "")).strip()
        if not name:
            raise ItemErrors(["The contact name must be specified."])  # wording ours
        if name.lower() in self.pending_contacts or any(
                c["Name"].lower() == name.lower() for c in self.records["Contacts"].values()):
            raise ItemErrors([f"The contact name {name} is already assigned to another contact. "
                              "The contact name must be unique across all active contacts."])
        contact = {
            "ContactID": self.new_id(), "ContactStatus": "ACTIVE", "Name": name,
            "FirstName": str(data.get("FirstName", "")), "LastName": str(data.get("LastName", "")),
            "EmailAddress": str(data.get("EmailAddress", "")),
            "BankAccountDetails": "", "Addresses": [], "Phones": [],
            "UpdatedDateUTC": fmt.ms_datetime(now_ms), "ContactGroups": [],
            "IsSupplier": bool(data.get("IsSupplier", False)),
            "IsCustomer": bool(data.get("IsCustomer", False)),
            "HasAttachments": False, "HasValidationErrors": False,
        }
        if pending:
            self.pending_contacts[name.lower()] = contact
        else:
            self.store("Contacts", contact)
        return contact

    def commit_contact(self, ref: Mapping[str, Any]) -> None:
        """Store the contact a saved document created by naming it."""
        for key, contact in list(self.pending_contacts.items()):
            if contact["ContactID"] == ref.get("ContactID"):
                self.store("Contacts", self.pending_contacts.pop(key))

    def resolve_contact(self, ref: object, problems: list[str], now_ms: int,
                        *, role: str) -> dict[str, Any] | None:
        """An existing contact by `ContactID` or `Name`; a new one for an unknown name (as Xero
        does when a document names a contact it does not have)."""
        if not isinstance(ref, Mapping) or not (ref.get("ContactID") or ref.get("Name")):
            problems.append("A Contact must be specified for this type of transaction")  # Xero's
            return None
        if ref.get("ContactID"):
            found = self.records["Contacts"].get(str(ref["ContactID"]).lower())
            if found is None:
                problems.append(f"The contact with ContactID {ref['ContactID']} does not exist.")
            return found
        name = str(ref["Name"]).strip()
        found = next((c for c in self.records["Contacts"].values()
                      if c["Name"].lower() == name.lower()),
                     self.pending_contacts.get(name.lower()))
        if found is None:
            found = self.new_contact({"Name": name, role: True}, now_ms, pending=True)
        elif not found.get(role):
            found[role] = True
        return found

    @staticmethod
    def contact_ref(contact: Mapping[str, Any]) -> dict[str, Any]:
        return {"ContactID": contact["ContactID"], "Name": contact["Name"],
                "HasValidationErrors": False}

    # --- the general ledger (Journals) -----------------------------------------------------

    def _gl_line(self, account: Mapping[str, Any], net: Decimal, tax: Decimal, tax_type: str,
                 *, description: str = "", tracking: Sequence[Mapping[str, Any]] = ()
                 ) -> dict[str, Any]:
        tax_name = (self.tax_rate(tax_type) or ("", ZERO))[0]
        return {
            "JournalLineID": self.new_id(), "AccountID": account["AccountID"],
            "AccountCode": account.get("Code", ""), "AccountType": account["Type"],
            "AccountName": account["Name"], "Description": description,
            "NetAmount": fmt.cents(net), "GrossAmount": fmt.cents(net + tax),
            "TaxAmount": fmt.cents(tax), "TaxType": tax_type, "TaxName": tax_name,
            "TrackingCategories": [dict(t) for t in tracking],
        }

    def _add_journal(self, source_type: str, source_id: str, day: dt.date, reference: str,
                     *, lines: list[dict[str, Any]], now_ms: int) -> None:
        number = len(self.journals) + 1
        self.journals.append({
            "JournalID": self.new_id(), "JournalDate": fmt.ms_date(day),
            "JournalNumber": number, "CreatedDateUTC": fmt.ms_datetime(now_ms),
            "Reference": reference, "SourceID": source_id, "SourceType": source_type,
            "JournalLines": lines,
        })
        self.posted[source_id.lower()] = number

    def reverse_journal(self, source_id: str, now_ms: int) -> None:
        """Add a journal reversing the one in effect for `source_id` (after an edit, void or
        delete of something that was posted)."""
        number = self.posted.pop(source_id.lower(), None)
        if number is None:
            return
        original = self.journals[number - 1]
        lines = [
            {**line, "JournalLineID": self.new_id(), "NetAmount": -line["NetAmount"],
             "GrossAmount": -line["GrossAmount"], "TaxAmount": -line["TaxAmount"]}
            for line in original["JournalLines"]
        ]
        self._add_journal(original["SourceType"], original["SourceID"],
                          fmt.day_of(original["JournalDate"]), original["Reference"],
                          lines=lines, now_ms=now_ms)
        self.posted.pop(source_id.lower(), None)

    def _tax_lines(self, taxes: dict[str, Decimal], sign: int) -> list[dict[str, Any]]:
        gst = self.system_account("GST")
        return [self._gl_line(gst, sign * amount, ZERO, "NONE")
                for _tax_type, amount in sorted(taxes.items()) if amount]

    def post_manual_journal(self, journal: Mapping[str, Any], now_ms: int) -> None:
        lines: list[dict[str, Any]] = []
        taxes: dict[str, Decimal] = {}
        for line in journal["JournalLines"]:
            account = self.get("Accounts", line["AccountID"])
            net = line["LineAmount"] - (line["TaxAmount"]
                                        if journal["LineAmountTypes"] == "Inclusive" else ZERO)
            lines.append(self._gl_line(account, net, line["TaxAmount"], line["TaxType"],
                                       description=line.get("Description", ""),
                                       tracking=line.get("Tracking", [])))
            if line["TaxAmount"]:
                taxes[line["TaxType"]] = taxes.get(line["TaxType"], ZERO) + line["TaxAmount"]
        lines.extend(self._tax_lines(taxes, 1))
        self._add_journal("MANJOURNAL", journal["ManualJournalID"], fmt.day_of(journal["Date"]),
                          journal["Narration"], lines=lines, now_ms=now_ms)

    def _post_document(self, source_type: str, source_id: str, *, day: dt.date, reference: str,
                       control: Mapping[str, Any], total: Decimal,
                       items: Sequence[Mapping[str, Any]], line_sign: int, inclusive: bool,
                       now_ms: int) -> None:
        """A document with line items: the control account (DEBTORS, CREDITORS or the bank) gets
        the total on one side, the lines and the GST account the other."""
        lines = [self._gl_line(control, -line_sign * total, ZERO, "NONE")]
        taxes: dict[str, Decimal] = {}
        for item in items:
            account = self.get("Accounts", item["AccountID"])
            tax = item["TaxAmount"]
            net = item["LineAmount"] - (tax if inclusive else ZERO)
            lines.append(self._gl_line(account, line_sign * net, line_sign * tax,
                                       item["TaxType"], description=item.get("Description", ""),
                                       tracking=item.get("Tracking", [])))
            if tax:
                taxes[item["TaxType"]] = taxes.get(item["TaxType"], ZERO) + tax
        lines.extend(self._tax_lines(taxes, line_sign))
        self._add_journal(source_type, source_id, day, reference, lines=lines, now_ms=now_ms)

    def post_invoice(self, invoice: Mapping[str, Any], now_ms: int) -> None:
        receivable = invoice["Type"] == "ACCREC"
        control = self.system_account("DEBTORS" if receivable else "CREDITORS")
        self._post_document(
            invoice["Type"], invoice["InvoiceID"], day=fmt.day_of(invoice["Date"]),
            reference=invoice.get("InvoiceNumber") or invoice.get("Reference", ""),
            control=control, total=invoice["Total"], items=invoice["LineItems"],
            line_sign=-1 if receivable else 1,
            inclusive=invoice["LineAmountTypes"] == "Inclusive", now_ms=now_ms)

    def post_bank_transaction(self, txn: Mapping[str, Any], now_ms: int) -> None:
        receive = txn["Type"] == "RECEIVE"
        bank = self.get("Accounts", txn["BankAccount"]["AccountID"])
        self._post_document(
            "CASHREC" if receive else "CASHPAID", txn["BankTransactionID"],
            day=fmt.day_of(txn["Date"]), reference=txn.get("Reference", ""), control=bank,
            total=txn["Total"], items=txn["LineItems"], line_sign=-1 if receive else 1,
            inclusive=txn["LineAmountTypes"] == "Inclusive", now_ms=now_ms)

    def post_payment(self, payment: Mapping[str, Any], now_ms: int) -> None:
        receivable = payment["PaymentType"] == "ACCRECPAYMENT"
        bank = self.get("Accounts", payment["Account"]["AccountID"])
        control = self.system_account("DEBTORS" if receivable else "CREDITORS")
        sign = 1 if receivable else -1
        amount = payment["Amount"]
        lines = [self._gl_line(bank, sign * amount, ZERO, "NONE"),
                 self._gl_line(control, -sign * amount, ZERO, "NONE")]
        self._add_journal(payment["PaymentType"], payment["PaymentID"],
                          fmt.day_of(payment["Date"]), payment.get("Reference", ""),
                          lines=lines, now_ms=now_ms)

    def post_bank_transfer(self, transfer: Mapping[str, Any], now_ms: int) -> None:
        """Money leaves one bank account and reaches the other (Journals `SourceType`
        TRANSFER, one of xero-python 15's journal source types)."""
        amount = transfer["Amount"]
        lines = [self._gl_line(self.get("Accounts", transfer["FromBankAccount"]["AccountID"]),
                               -amount, ZERO, "NONE"),
                 self._gl_line(self.get("Accounts", transfer["ToBankAccount"]["AccountID"]),
                               amount, ZERO, "NONE")]
        self._add_journal("TRANSFER", transfer["BankTransferID"], fmt.day_of(transfer["Date"]),
                          transfer.get("Reference", ""), lines=lines, now_ms=now_ms)

    # --- manual journals -------------------------------------------------------------------

    def _tracking(self, raw: object, problems: list[str]) -> list[dict[str, Any]]:
        if raw in (None, ""):
            return []
        if not isinstance(raw, list):
            problems.append("Tracking must be a list of tracking categories.")  # wording ours
            return []
        if len(raw) > 2:
            # FORMATS.md C2 / ManualJournalLine: at most two tracking categories per line.
            problems.append("A journal line can have at most two tracking categories.")  # ours
            return []
        out = []
        for entry in raw:
            name = str((entry or {}).get("Name", "")) if isinstance(entry, Mapping) else ""
            option = str((entry or {}).get("Option", "")) if isinstance(entry, Mapping) else ""
            options = self.tracking.get(name)
            if options is None:
                problems.append(f"Tracking category '{name}' does not exist.")  # wording ours
                continue
            if option not in options:
                problems.append(f"Tracking option '{option}' does not exist in category "
                                f"'{name}'.")  # wording ours
                continue
            out.append({"Name": name, "Option": option,
                        "TrackingCategoryID": str(uuid.uuid5(uuid.NAMESPACE_URL,
                                                             f"{self.tenant_id}/{name}"))})
        return out

    def _tax_for(self, amount: Decimal, tax_type: str, amount_types: str) -> Decimal:
        rate = (self.tax_rate(tax_type) or ("", ZERO))[1]
        if amount_types == "NoTax" or not rate:
            return ZERO
        if amount_types == "Inclusive":
            return fmt.cents(amount * rate / (100 + rate))
        return fmt.cents(amount * rate / 100)

    def _line_tax_type(self, raw: Mapping[str, Any], account: Mapping[str, Any] | None,
                       problems: list[str]) -> str:
        tax_type = raw.get("TaxType")
        if tax_type in (None, ""):
            return str((account or {}).get("TaxType", "NONE"))
        if self.tax_rate(str(tax_type)) is None:
            # Xero's text
            problems.append(f"The TaxType code '{tax_type}' does not exist or cannot be used for "
                            "this type of transaction.")
        else:
            self.check_tax_for_account(str(tax_type), account, problems)
        return str(tax_type)

    @staticmethod
    def _check_journal_account(account: Mapping[str, Any], problems: list[str]) -> None:
        """Manual journals may not use bank accounts or the locked system accounts
        (API_NOTES.md business rules, from help.xero.com)."""
        code = account.get("Code", "")
        if account.get("Type") == "BANK":
            # help.xero.com's words ("You can't post a manual journal to a bank account in
            # Xero"); the account named and the way out are ours.
            problems.append(f"You can't post a manual journal to a bank account in Xero "
                            f"(account code '{code}'); use a bank transaction, a bank transfer "
                            "or a payment.")
            return
        locked = MJ_LOCKED_SYSTEM_ACCOUNTS.get(str(account.get("SystemAccount") or ""))
        if locked is not None:
            problems.append(f"Account code '{code}' is the locked system account {locked} and "
                            "cannot be used in a manual journal.")  # wording ours

    def manual_journal(self, data: Mapping[str, Any], existing: Mapping[str, Any] | None,
                       now_ms: int, today: dt.date) -> dict[str, Any]:
        """The ManualJournal `data` describes (merged over `existing` for an update), validated;
        raises `ItemErrors` listing every problem."""
        problems: list[str] = []
        merged: dict[str, Any] = dict(existing or {})
        merged.update({k: v for k, v in data.items() if v is not None})
        old_status = str(existing["Status"]) if existing else None
        status = str(merged.get("Status") or "DRAFT").upper()
        if old_status is None:
            if status not in MJ_CREATE_STATUSES:
                problems.append(f"A manual journal cannot be created with a status of {status}; "
                                "use DRAFT or POSTED.")  # wording ours
        elif status not in MJ_TRANSITIONS.get(old_status, ()):
            problems.append(status_refused(status))
        leaving = status in ("VOIDED", "DELETED")
        narration = str(merged.get("Narration") or "").strip()
        if not narration:
            problems.append("Narration cannot be empty.")  # wording ours
        try:
            day = fmt.parse_input_date(merged["Date"]) if merged.get("Date") else today
        except ValueError:
            problems.append(f"The date '{merged.get('Date')}' is not a valid date.")  # ours
            day = today
        self.check_lock_dates(day, problems)
        if existing is not None and fmt.day_of(existing["Date"]) != day:
            self.check_lock_dates(fmt.day_of(existing["Date"]), problems)
        amount_types = LINE_AMOUNT_TYPES.get(str(merged.get("LineAmountTypes") or "NoTax")
                                             .lower())
        if amount_types is None:
            problems.append(f"LineAmountTypes '{merged.get('LineAmountTypes')}' is not valid; use "
                            "NoTax, Exclusive or Inclusive.")  # wording ours
            amount_types = "NoTax"
        raw_lines = merged.get("JournalLines") or []
        if not isinstance(raw_lines, list):
            problems.append("JournalLines must be a list of journal lines.")  # wording ours
            raw_lines = []
        lines: list[dict[str, Any]] = []
        for raw in raw_lines:
            if not isinstance(raw, Mapping):
                problems.append("Each journal line must be an object.")  # wording ours
                continue
            account = self.resolve_account(raw, problems, allow_archived=leaving)
            if account is not None and not leaving:
                self._check_journal_account(account, problems)
            try:
                amount = fmt.cents(fmt.parse_amount(raw.get("LineAmount")))
            except ValueError:
                problems.append(f"The line amount '{raw.get('LineAmount')}' is not a valid "
                                "amount.")  # wording ours
                amount = ZERO
            tax_type = self._line_tax_type(raw, account, problems)
            line = {
                "LineAmount": amount,
                "AccountCode": (account or {}).get("Code", str(raw.get("AccountCode", ""))),
                "AccountID": (account or {}).get("AccountID", ""),
                "Description": str(raw.get("Description") or ""),
                "TaxType": tax_type,
                "TaxAmount": self._tax_for(amount, tax_type, amount_types),
                "Tracking": self._tracking(raw.get("Tracking"), problems),
                "IsBlank": False,
            }
            lines.append(line)
        if len(lines) < 2 and len(raw_lines) < 2:
            problems.append("Journals must contain at least two individual journal lines with "
                            "account codes.")  # wording ours
        gross = [ln["LineAmount"] + (ln["TaxAmount"] if amount_types == "Exclusive" else ZERO)
                 for ln in lines]
        debits = sum((g for g in gross if g > 0), ZERO)
        credits = sum((g for g in gross if g < 0), ZERO)
        if debits + credits != 0:
            # Xero's own wording (api-research.md §2.2 "Sign convention").
            problems.append(f"The total debits ({money_text(debits)}) must equal total credits "
                            f"({money_text(credits)})")
        if problems:
            raise ItemErrors(problems)
        return {
            "Date": fmt.ms_date(day),
            "Status": status,
            "LineAmountTypes": amount_types,
            "UpdatedDateUTC": fmt.ms_datetime(now_ms),
            "ManualJournalID": (existing or {}).get("ManualJournalID") or self.new_id(),
            "Narration": narration,
            "JournalLines": lines,
            "ShowOnCashBasisReports": bool(merged.get("ShowOnCashBasisReports", True)),
            "HasAttachments": False,
            **({"Url": str(merged["Url"])} if merged.get("Url") else {}),
        }

    def save_manual_journal(self, journal: dict[str, Any], previous: Mapping[str, Any] | None,
                            now_ms: int) -> None:
        """Store a validated journal and keep the ledger in step: what was posted is reversed
        when it changes, what is posted now is posted."""
        was_posted = previous is not None and previous["Status"] == "POSTED"
        if was_posted and (journal["Status"] != "POSTED" or _content(journal)
                           != _content(previous or {})):
            self.reverse_journal(journal["ManualJournalID"], now_ms)
        if journal["Status"] == "POSTED" and (not was_posted or journal["ManualJournalID"].lower()
                                              not in self.posted):
            self.post_manual_journal(journal, now_ms)
        self.store("ManualJournals", journal)

    # --- documents with line items ---------------------------------------------------------

    def _line_items(self, raw_items: object, amount_types: str, problems: list[str]
                    ) -> list[dict[str, Any]]:
        if not isinstance(raw_items, list) or not raw_items:
            problems.append("At least one line item must be specified.")  # wording ours
            return []
        items = []
        for raw in raw_items:
            if not isinstance(raw, Mapping):
                problems.append("Each line item must be an object.")  # wording ours
                continue
            account = self.resolve_account(raw, problems)
            try:
                quantity = fmt.parse_amount(raw.get("Quantity", 1))
                unit = fmt.parse_amount(raw.get("UnitAmount", raw.get("LineAmount", 0)))
            except ValueError:
                problems.append("Quantity and UnitAmount must be numbers.")  # wording ours
                continue
            quantity = quantity.quantize(Decimal("0.0001"))
            unit = fmt.cents(unit)  # two places: Xero's default `unitdp`
            line_amount = fmt.cents(quantity * unit)
            tax_type = self._line_tax_type(raw, account, problems)
            items.append({
                "LineItemID": self.new_id(),
                "Description": str(raw.get("Description") or ""),
                "Quantity": quantity, "UnitAmount": unit,
                "AccountCode": (account or {}).get("Code", ""),
                "AccountID": (account or {}).get("AccountID", ""),
                "TaxType": tax_type,
                "TaxAmount": self._tax_for(line_amount, tax_type, amount_types),
                "LineAmount": line_amount,
                "Tracking": self._tracking(raw.get("Tracking"), problems),
            })
        return items

    @staticmethod
    def _totals(items: Sequence[Mapping[str, Any]], amount_types: str
                ) -> tuple[Decimal, Decimal, Decimal]:
        tax = sum((i["TaxAmount"] for i in items), ZERO)
        lines = sum((i["LineAmount"] for i in items), ZERO)
        if amount_types == "Inclusive":
            return lines - tax, tax, lines
        return lines, tax, lines + tax

    def _date(self, raw: object, today: dt.date, problems: list[str], name: str = "Date"
              ) -> dt.date:
        if raw in (None, ""):
            return today
        try:
            return fmt.parse_input_date(raw)
        except ValueError:
            problems.append(f"The {name} '{raw}' is not a valid date.")  # wording ours
            return today

    def invoice(self, data: Mapping[str, Any], now_ms: int, today: dt.date) -> dict[str, Any]:
        problems: list[str] = []
        kind = str(data.get("Type") or "").upper()
        if kind not in ("ACCREC", "ACCPAY"):
            problems.append("Invoice Type must be ACCREC or ACCPAY.")  # wording ours
        status = str(data.get("Status") or "DRAFT").upper()
        if status not in ("DRAFT", "SUBMITTED", "AUTHORISED"):
            problems.append(f"Invoice not of valid status for creation: {status}")  # ours
        amount_types = LINE_AMOUNT_TYPES.get(str(data.get("LineAmountTypes") or "Exclusive")
                                             .lower(), "Exclusive")
        day = self._date(data.get("Date"), today, problems)
        self.check_lock_dates(day, problems)
        due = self._date(data.get("DueDate"), day + dt.timedelta(days=30), problems, "DueDate")
        items = self._line_items(data.get("LineItems"), amount_types, problems)
        contact = self.resolve_contact(data.get("Contact"), problems, now_ms,
                                       role="IsCustomer" if kind == "ACCREC" else "IsSupplier")
        if problems or contact is None:
            raise ItemErrors(problems)
        subtotal, tax, total = self._totals(items, amount_types)
        number = str(data.get("InvoiceNumber") or "")
        if kind == "ACCREC" and not number:
            number = f"INV-{self.next_number('invoice'):04d}"
        return {
            "Type": kind, "InvoiceID": self.new_id(), "InvoiceNumber": number,
            "Reference": str(data.get("Reference") or ""),
            "Contact": self.contact_ref(contact),
            "Date": fmt.ms_date(day), "DateString": fmt.date_string(day),
            "DueDate": fmt.ms_date(due), "DueDateString": fmt.date_string(due),
            "Status": status, "LineAmountTypes": amount_types, "LineItems": items,
            "SubTotal": subtotal, "TotalTax": tax, "Total": total,
            "AmountDue": total, "AmountPaid": ZERO, "AmountCredited": ZERO,
            "CurrencyCode": self.organisation["BaseCurrency"], "CurrencyRate": Decimal("1.0000"),
            "IsDiscounted": False, "HasAttachments": False, "HasErrors": False,
            "Payments": [], "CreditNotes": [], "Prepayments": [], "Overpayments": [],
            "UpdatedDateUTC": fmt.ms_datetime(now_ms),
        }

    def bank_transaction(self, data: Mapping[str, Any], now_ms: int, today: dt.date
                         ) -> dict[str, Any]:
        problems: list[str] = []
        kind = str(data.get("Type") or "").upper()
        if kind not in ("RECEIVE", "SPEND"):
            problems.append("Type must be RECEIVE or SPEND.")  # wording ours
        amount_types = LINE_AMOUNT_TYPES.get(str(data.get("LineAmountTypes") or "Exclusive")
                                             .lower(), "Exclusive")
        day = self._date(data.get("Date"), today, problems)
        self.check_lock_dates(day, problems)
        bank_ref = data.get("BankAccount")
        bank = self.resolve_account(bank_ref if isinstance(bank_ref, Mapping) else {}, problems)
        if bank is not None and bank["Type"] != "BANK":
            problems.append(f"Account code '{bank.get('Code', '')}' is not a bank account.")
            bank = None
        items = self._line_items(data.get("LineItems"), amount_types, problems)
        contact = self.resolve_contact(data.get("Contact"), problems, now_ms,
                                       role="IsCustomer" if kind == "RECEIVE" else "IsSupplier")
        if problems or contact is None or bank is None:
            raise ItemErrors(problems)
        subtotal, tax, total = self._totals(items, amount_types)
        return {
            "Type": kind, "BankTransactionID": self.new_id(),
            "Contact": self.contact_ref(contact),
            "BankAccount": {"AccountID": bank["AccountID"], "Code": bank.get("Code", ""),
                            "Name": bank["Name"]},
            "IsReconciled": bool(data.get("IsReconciled", False)),
            "Date": fmt.ms_date(day), "DateString": fmt.date_string(day),
            "Reference": str(data.get("Reference") or ""),
            "CurrencyCode": self.organisation["BaseCurrency"],
            "Status": "AUTHORISED", "LineAmountTypes": amount_types, "LineItems": items,
            "SubTotal": subtotal, "TotalTax": tax, "Total": total,
            "UpdatedDateUTC": fmt.ms_datetime(now_ms), "HasAttachments": False,
        }

    def payment(self, data: Mapping[str, Any], now_ms: int, today: dt.date) -> dict[str, Any]:
        problems: list[str] = []
        ref = data.get("Invoice")
        invoice: dict[str, Any] | None = None
        if isinstance(ref, Mapping) and ref.get("InvoiceID"):
            invoice = self.records["Invoices"].get(str(ref["InvoiceID"]).lower())
        elif isinstance(ref, Mapping) and ref.get("InvoiceNumber"):
            invoice = next((i for i in self.records["Invoices"].values()
                            if i["InvoiceNumber"] == ref["InvoiceNumber"]), None)
        if invoice is None:
            problems.append("Invoice could not be found")  # wording ours
        account_ref = data.get("Account")
        account = self.resolve_account(account_ref if isinstance(account_ref, Mapping) else {},
                                       problems)
        if account is not None and account["Type"] != "BANK" and not account.get(
                "EnablePaymentsToAccount"):
            problems.append(f"Payments cannot be made to account '{account.get('Code', '')}'; "
                            "it must be a bank account or allow payments.")  # wording ours
        amount = _positive_amount(data, "Payment amount", problems)
        day = self._date(data.get("Date"), today, problems)
        self.check_lock_dates(day, problems)
        if invoice is not None:
            if invoice["Status"] != "AUTHORISED":
                problems.append("Payments can only be made against approved (AUTHORISED) "
                                "invoices.")  # wording ours
            elif amount > invoice["AmountDue"]:
                problems.append("Payment amount exceeds the amount outstanding on this "
                                "document")  # wording ours
        if problems or invoice is None or account is None:
            raise ItemErrors(problems)
        return {
            "PaymentID": self.new_id(), "Date": fmt.ms_date(day), "BankAmount": amount,
            "Amount": amount, "Reference": str(data.get("Reference") or ""),
            "CurrencyRate": Decimal("1.0000"),
            "PaymentType": "ACCRECPAYMENT" if invoice["Type"] == "ACCREC" else "ACCPAYPAYMENT",
            "Status": "AUTHORISED", "UpdatedDateUTC": fmt.ms_datetime(now_ms),
            "HasAccount": True, "IsReconciled": bool(data.get("IsReconciled", False)),
            "Account": {"AccountID": account["AccountID"], "Code": account.get("Code", "")},
            "Invoice": {"Type": invoice["Type"], "InvoiceID": invoice["InvoiceID"],
                        "InvoiceNumber": invoice["InvoiceNumber"],
                        "Contact": dict(invoice["Contact"])},
            "HasValidationErrors": False,
        }

    def bank_transfer(self, data: Mapping[str, Any], now_ms: int, today: dt.date
                      ) -> dict[str, Any]:
        """A BankTransfer between two different BANK accounts (xero-python 15 `BankTransfer`:
        FromBankAccount, ToBankAccount, Amount, Date, Reference), validated."""
        problems: list[str] = []
        ends: list[dict[str, Any] | None] = []
        for side in ("FromBankAccount", "ToBankAccount"):
            ref = data.get(side)
            if not isinstance(ref, Mapping) or not (ref.get("Code") or ref.get("AccountCode")
                                                    or ref.get("AccountID")):
                problems.append(f"{side} must be specified.")  # wording ours
                ends.append(None)
                continue
            account = self.resolve_account(ref, problems)
            if account is not None and account["Type"] != "BANK":
                problems.append(f"Account code '{account.get('Code', '')}' is not a bank "
                                "account.")  # wording ours
                account = None
            ends.append(account)
        source, target = ends
        if source is not None and target is not None and source["AccountID"] == target[
                "AccountID"]:
            problems.append("The FromBankAccount and ToBankAccount must be different "
                            "accounts.")  # wording ours
        amount = _positive_amount(data, "The Amount", problems)
        day = self._date(data.get("Date"), today, problems)
        self.check_lock_dates(day, problems)
        if problems or source is None or target is None:
            raise ItemErrors(problems)
        return {
            "BankTransferID": self.new_id(),
            "FromBankAccount": {"AccountID": source["AccountID"], "Code": source.get("Code", ""),
                                "Name": source["Name"]},
            "ToBankAccount": {"AccountID": target["AccountID"], "Code": target.get("Code", ""),
                              "Name": target["Name"]},
            "Amount": amount, "Date": fmt.ms_date(day), "CurrencyRate": Decimal("1.0000"),
            "FromBankTransactionID": self.new_id(), "ToBankTransactionID": self.new_id(),
            "FromIsReconciled": bool(data.get("FromIsReconciled", False)),
            "ToIsReconciled": bool(data.get("ToIsReconciled", False)),
            "Reference": str(data.get("Reference") or ""), "HasAttachments": False,
            "CreatedDateUTC": fmt.ms_datetime(now_ms), "Status": "AUTHORISED",
        }

    def apply_payment(self, payment: dict[str, Any], now_ms: int, *, sign: int = 1) -> None:
        """Add (sign 1) or remove (sign -1) a payment's effect on its invoice."""
        invoice = self.get("Invoices", payment["Invoice"]["InvoiceID"])
        invoice["AmountPaid"] = invoice["AmountPaid"] + sign * payment["Amount"]
        invoice["AmountDue"] = invoice["Total"] - invoice["AmountPaid"] - invoice["AmountCredited"]
        if sign > 0:
            invoice["Payments"].append({
                "PaymentID": payment["PaymentID"], "Date": payment["Date"],
                "Amount": payment["Amount"], "Reference": payment["Reference"],
                "CurrencyRate": payment["CurrencyRate"], "HasAccount": True,
                "HasValidationErrors": False})
        else:
            invoice["Payments"] = [p for p in invoice["Payments"]
                                   if p["PaymentID"] != payment["PaymentID"]]
        if invoice["AmountDue"] == 0 and invoice["Total"] > 0:
            invoice["Status"] = "PAID"
            invoice["FullyPaidOnDate"] = payment["Date"]
        else:
            invoice["Status"] = "AUTHORISED"
            invoice.pop("FullyPaidOnDate", None)
        invoice["UpdatedDateUTC"] = fmt.ms_datetime(now_ms)


    # --- saving documents and their status changes ------------------------------------------

    def edited_document(self, collection: str, existing: Mapping[str, Any],
                        data: Mapping[str, Any], now_ms: int, today: dt.date
                        ) -> dict[str, Any]:
        """`existing` (a bank transaction or an invoice) with the fields of `data` in place of
        its own, validated as a new one is (`EDITABLE` says what Xero allows and where that is
        written); raises `ItemErrors`."""
        status = str(existing["Status"])
        if collection == "BankTransactions" and existing.get("IsReconciled"):
            raise ItemErrors(["This bank transaction cannot be edited as it has been reconciled;"
                              " unreconcile it first."])  # wording ours
        if collection == "Invoices" and (existing["AmountPaid"] > 0 or
                                         existing["AmountCredited"] > 0):
            # Xero's text as developers report it (the same as for a void: `check_status`).
            raise ItemErrors(["This document cannot be edited as it has a payment or credit "
                              "note allocated to it."])
        if status in ("VOIDED", "DELETED", "PAID"):
            raise ItemErrors([f"A {status.lower()} document cannot be edited."])  # wording ours
        wanted = str(data.get("Status") or status).upper()
        if wanted != status and wanted not in STATUS_CHANGES[collection].get(status, ()):
            raise ItemErrors([status_refused(wanted)])
        merged: dict[str, Any] = {name: existing[name] for name in EDITABLE[collection]
                                  if name in existing}
        merged.update({k: v for k, v in data.items() if k in EDITABLE[collection]})
        merged["Status"] = wanted
        problems: list[str] = []
        if fmt.day_of(existing["Date"]) != self._date(merged.get("Date"), today, problems):
            self.check_lock_dates(fmt.day_of(existing["Date"]), problems)
        if problems:
            raise ItemErrors(problems)
        record = (self.invoice(merged, now_ms, today) if collection == "Invoices"
                  else self.bank_transaction(merged, now_ms, today))
        record[ID_FIELD[collection]] = existing[ID_FIELD[collection]]
        return record

    def save_edited_document(self, collection: str, record: dict[str, Any], now_ms: int
                             ) -> None:
        """Store an edit: what was posted is reversed, the document as it is now posted."""
        self.reverse_journal(record[ID_FIELD[collection]], now_ms)
        if collection == "Invoices":
            self.save_invoice(record, now_ms)
        else:
            self.save_bank_transaction(record, now_ms)

    def save_invoice(self, invoice: dict[str, Any], now_ms: int) -> None:
        self.commit_contact(invoice["Contact"])
        self.store("Invoices", invoice)
        if invoice["Status"] == "AUTHORISED":
            self.post_invoice(invoice, now_ms)

    def save_bank_transaction(self, txn: dict[str, Any], now_ms: int) -> None:
        self.commit_contact(txn["Contact"])
        self.store("BankTransactions", txn)
        self.post_bank_transaction(txn, now_ms)

    def save_payment(self, payment: dict[str, Any], now_ms: int) -> None:
        self.store("Payments", payment)
        self.apply_payment(payment, now_ms)
        self.post_payment(payment, now_ms)

    def save_bank_transfer(self, transfer: dict[str, Any], now_ms: int) -> None:
        self.store("BankTransfers", transfer)
        self.post_bank_transfer(transfer, now_ms)

    def check_status(self, collection: str, record: Mapping[str, Any], status: str) -> None:
        """Raise `ItemErrors` unless Xero lets `record` move to `status` (`STATUS_CHANGES`): an
        invoice with a payment applied cannot be voided, and nothing dated in a locked period
        changes."""
        current = record["Status"]
        if collection == "Invoices" and status in ("VOIDED", "DELETED") and record[
                "AmountPaid"] > 0:
            # Xero's text as developers report it (not in our notes).
            raise ItemErrors(["This document cannot be edited as it has a payment or credit "
                              "note allocated to it."])
        if status not in STATUS_CHANGES.get(collection, {}).get(current, ()):
            raise ItemErrors([status_refused(status)])
        problems: list[str] = []
        self.check_lock_dates(fmt.day_of(record["Date"]), problems)
        if problems:
            raise ItemErrors(problems)

    def set_status(self, collection: str, record: dict[str, Any], status: str, now_ms: int
                   ) -> None:
        """Void or delete an invoice, or delete a bank transaction, payment or bank transfer, as
        Xero allows it."""
        self.check_status(collection, record, status)
        current = record["Status"]
        if collection == "Invoices":
            record["Status"] = status
            record["UpdatedDateUTC"] = fmt.ms_datetime(now_ms)
            if status == "AUTHORISED":
                self.post_invoice(record, now_ms)
            elif current == "AUTHORISED":
                self.reverse_journal(record["InvoiceID"], now_ms)
            return
        record["Status"] = status
        if collection != "BankTransfers":  # Xero's BankTransfer has no UpdatedDateUTC
            record["UpdatedDateUTC"] = fmt.ms_datetime(now_ms)
        record_id = record[ID_FIELD[collection]]
        self.reverse_journal(record_id, now_ms)
        if collection == "Payments":
            self.apply_payment(record, now_ms, sign=-1)


def _positive_amount(data: Mapping[str, Any], label: str, problems: list[str]) -> Decimal:
    """`data["Amount"]` in cents, with a problem when it is not a number above zero."""
    try:
        amount = fmt.cents(fmt.parse_amount(data.get("Amount")))
    except ValueError:
        problems.append(f"{label} must be a number.")  # wording ours
        return ZERO
    if amount <= 0:
        problems.append(f"{label} must be greater than zero.")  # wording ours
    return amount


def _content(journal: Mapping[str, Any]) -> tuple[Any, ...]:
    """What of a journal reaches the ledger (an edit of anything else needs no new journal)."""
    return (journal.get("Date"), journal.get("Narration"), journal.get("LineAmountTypes"),
            [(ln["AccountID"], ln["LineAmount"], ln["TaxType"], ln.get("Description", ""))
             for ln in journal.get("JournalLines", [])])


def account_record(books: Books, code: str, name: str, kind: str, tax_type: str, *, now_ms: int,
                   **extra: Any) -> dict[str, Any]:
    """An Account in Xero's shape (xero-python `Account` fields)."""
    account_class = ACCOUNT_CLASS[kind]
    reporting_code, reporting_name = _REPORTING[account_class]
    record: dict[str, Any] = {
        "AccountID": books.new_id(), "Code": code, "Name": name, "Status": "ACTIVE",
        "Type": kind, "TaxType": tax_type, "Class": account_class,
        "EnablePaymentsToAccount": False, "ShowInExpenseClaims": False,
        "ReportingCode": reporting_code, "ReportingCodeName": reporting_name,
        "HasAttachments": False, "UpdatedDateUTC": fmt.ms_datetime(now_ms),
        "AddToWatchlist": False,
    }
    if kind == "BANK":
        record.update({"BankAccountType": "BANK", "BankAccountNumber": "",
                       "CurrencyCode": books.organisation["BaseCurrency"]})
    record.update(extra)
    return record

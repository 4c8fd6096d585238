"""The QBO entities the sandbox stores, their JSON properties, and the checks Intuit makes on a
create or update.

Property names follow python-quickbooks 0.9.12's object classes (`quickbooks.objects.*`), which
mirror Intuit's JSON. Rules from API_NOTES.md (QuickBooks, "JournalEntry"): amounts are positive,
the side is `JournalEntryLineDetail.PostingType` (Debit|Credit), debits equal credits, every line
names an existing account; DocNumber is at most 21 characters. Money is read into `Decimal` through
`core.money.money()`, so totals are exact; `TotalAmt`, `Balance` and the like are computed here, as
Intuit computes them, whatever the request says.

Business rules (API_NOTES.md "Business rules the real services enforce", QBO rows): a
JournalEntry line on Accounts Receivable names a Customer, on Accounts Payable a Vendor
(`JournalEntryLineDetail.Entity`), else fault 6000 "Business Validation Error: When you use
Accounts Receivable, you must select a customer in the Name field." (… Payable … vendor); a
reference to an inactive account, customer or vendor is 610 "Something you're trying to use has
been made inactive"; a Customer or Vendor DisplayName already used by either is 6240 "Duplicate
Name Exists Error" (Intuit: unique across Customer, Vendor and Employee; no Employee here); a
Transfer moves a positive Amount between two different accounts and can be created, updated and
deleted, not voided. Closed books (6200/6210) and duplicate journal numbers (6140) depend on the
company's preferences, so `qbo_api` checks them.

Each `normalise_*` takes the request body (already free of Id/SyncToken/MetaData) and a `Lookup`
over the realm's stored objects, raises `QboFault` on the first problem, and returns the object to
store (without the bookkeeping properties the store adds).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Protocol

from bookkeeper_desktop.core.accounts import AccountClass, from_qbo, to_qbo_api
from bookkeeper_desktop.core.money import ZERO, money
from bookkeeper_desktop.sandbox import qbo_faults

DOC_NUMBER_MAX = 21
PRIVATE_NOTE_MAX = 4000
DESCRIPTION_MAX = 4000
ACCOUNT_NAME_MAX = 100
USD = {"value": "USD", "name": "United States Dollar"}

#: Properties every stored object has (the store sets them).
BOOKKEEPING = ("Id", "SyncToken", "MetaData", "domain", "sparse")

_TXN_COMMON = ("DocNumber", "TxnDate", "PrivateNote", "CurrencyRef", "ExchangeRate", "Line",
               "TotalAmt", "HomeTotalAmt", "TxnSource", "DepartmentRef", "TxnTaxDetail",
               "LinkedTxn", "GlobalTaxCalculation", "TxnStatus")

#: Entity → its top-level JSON properties (what a query may filter or order on).
PROPERTIES: dict[str, tuple[str, ...]] = {
    "CompanyInfo": ("CompanyName", "LegalName", "CompanyAddr", "CustomerCommunicationAddr",
                    "LegalAddr", "PrimaryPhone", "CompanyStartDate", "FiscalYearStartMonth",
                    "Country", "Email", "WebAddr", "SupportedLanguages", "NameValue"),
    "Account": ("Name", "SubAccount", "ParentRef", "FullyQualifiedName", "Active",
                "Classification", "AccountType", "AccountSubType", "AcctNum", "Description",
                "CurrentBalance", "CurrentBalanceWithSubAccounts", "CurrencyRef", "TaxCodeRef"),
    "Customer": ("DisplayName", "CompanyName", "GivenName", "FamilyName", "FullyQualifiedName",
                 "PrintOnCheckName", "Active", "Balance", "BalanceWithJobs", "PrimaryEmailAddr",
                 "PrimaryPhone", "BillAddr", "CurrencyRef", "Taxable", "Job", "ParentRef"),
    "Vendor": ("DisplayName", "CompanyName", "GivenName", "FamilyName", "PrintOnCheckName",
               "Active", "Balance", "AcctNum", "Vendor1099", "PrimaryEmailAddr", "PrimaryPhone",
               "BillAddr", "CurrencyRef", "TermRef", "APAccountRef"),
    "Item": ("Name", "Description", "Active", "FullyQualifiedName", "Taxable", "UnitPrice",
             "Type", "IncomeAccountRef", "ExpenseAccountRef", "PurchaseCost", "TrackQtyOnHand",
             "Sku"),
    "JournalEntry": (*_TXN_COMMON, "Adjustment"),
    "Purchase": (*_TXN_COMMON, "AccountRef", "PaymentType", "EntityRef", "Credit",
                 "PaymentMethodRef", "PrintStatus", "RemitToAddr"),
    "Deposit": (*_TXN_COMMON, "DepositToAccountRef", "CashBack"),
    "Transfer": ("TxnDate", "PrivateNote", "Amount", "FromAccountRef", "ToAccountRef",
                 "CurrencyRef", "TxnSource"),
    "Invoice": (*_TXN_COMMON, "CustomerRef", "DueDate", "Balance", "HomeBalance", "Deposit",
                "BillEmail", "BillAddr", "ShipAddr", "SalesTermRef", "CustomerMemo",
                "EmailStatus", "PrintStatus", "AllowIPNPayment", "AllowOnlineCreditCardPayment",
                "AllowOnlineACHPayment", "DepositToAccountRef", "ApplyTaxAfterDiscount"),
    "Payment": ("TxnDate", "PrivateNote", "CurrencyRef", "ExchangeRate", "Line", "TotalAmt",
                "UnappliedAmt", "CustomerRef", "DepositToAccountRef", "ARAccountRef",
                "PaymentMethodRef", "PaymentRefNum", "ProcessPayment", "TxnSource",
                "TxnStatus"),
    "Bill": (*_TXN_COMMON, "VendorRef", "APAccountRef", "DueDate", "Balance", "SalesTermRef",
             "VendorAddr"),
    "BillPayment": ("DocNumber", "TxnDate", "PrivateNote", "CurrencyRef", "ExchangeRate", "Line",
                    "TotalAmt", "VendorRef", "PayType", "CheckPayment", "CreditCardPayment",
                    "APAccountRef", "DepartmentRef", "TxnSource"),
}
ENTITIES: tuple[str, ...] = tuple(PROPERTIES)
#: What a `where` may test, per entity, besides Id and MetaData.CreateTime/LastUpdatedTime: the
#: properties Intuit's API reference marks "filterable", as far as we know them (not verified
#: property by property). Notably PrivateNote and Line are not filterable anywhere, so a client
#: looking for its own marker in PrivateNote must page and search itself.
FILTERABLE: dict[str, tuple[str, ...]] = {
    "CompanyInfo": PROPERTIES["CompanyInfo"],
    "Account": ("Name", "SubAccount", "ParentRef", "Description", "Active", "Classification",
                "AccountType", "AccountSubType", "AcctNum", "CurrentBalance",
                "CurrentBalanceWithSubAccounts", "FullyQualifiedName"),
    "Customer": ("DisplayName", "CompanyName", "GivenName", "FamilyName", "FullyQualifiedName",
                 "PrintOnCheckName", "Active", "Balance", "PrimaryEmailAddr", "Job"),
    "Vendor": ("DisplayName", "CompanyName", "GivenName", "FamilyName", "PrintOnCheckName",
               "Active", "Balance", "PrimaryEmailAddr"),
    "Item": ("Name", "Active", "Type", "Sku", "FullyQualifiedName"),
    "JournalEntry": ("DocNumber", "TxnDate"),
    "Purchase": ("DocNumber", "TxnDate", "PaymentType", "TotalAmt"),
    "Deposit": ("DocNumber", "TxnDate", "TotalAmt"),
    "Transfer": ("TxnDate", "Amount"),
    "Invoice": ("DocNumber", "TxnDate", "DueDate", "CustomerRef", "TotalAmt", "Balance"),
    "Payment": ("TxnDate", "CustomerRef", "TotalAmt", "PaymentRefNum"),
    "Bill": ("DocNumber", "TxnDate", "DueDate", "VendorRef", "TotalAmt", "Balance"),
    "BillPayment": ("DocNumber", "TxnDate", "VendorRef", "TotalAmt"),
}
TRANSACTIONS = ("JournalEntry", "Purchase", "Deposit", "Transfer", "Invoice", "Payment", "Bill",
                "BillPayment")
#: Entities with `?operation=delete` (lists are made inactive instead, as Intuit documents).
DELETABLE = frozenset(TRANSACTIONS)
#: Entities Intuit voids, and how: Invoice with `operation=void`; Payment and BillPayment with
#: `operation=update&include=void` (python-quickbooks `VoidMixin.get_void_params`).
VOIDABLE = {"Invoice": "void", "Payment": "include", "BillPayment": "include"}
#: What CDC covers (API_NOTES: TaxCode, TaxRate, TaxAgency, TimeActivity, JournalCode are not).
CDC_ENTITIES = frozenset(name for name in ENTITIES if name != "CompanyInfo")

_CLASSIFICATION = {
    AccountClass.ASSET: "Asset",
    AccountClass.LIABILITY: "Liability",
    AccountClass.EQUITY: "Equity",
    AccountClass.INCOME: "Revenue",
    AccountClass.EXPENSE: "Expense",
}
#: The detail type QBO gives an account created without one.
DEFAULT_SUBTYPE = {
    "Bank": "Checking",
    "Accounts Receivable": "AccountsReceivable",
    "Other Current Asset": "OtherCurrentAssets",
    "Fixed Asset": "MachineryAndEquipment",
    "Other Asset": "OtherLongTermAssets",
    "Accounts Payable": "AccountsPayable",
    "Credit Card": "CreditCard",
    "Other Current Liability": "OtherCurrentLiabilities",
    "Long Term Liability": "OtherLongTermLiabilities",
    "Equity": "OwnersEquity",
    "Income": "ServiceFeeIncome",
    "Cost of Goods Sold": "SuppliesMaterialsCogs",
    "Expense": "OfficeGeneralAdministrativeExpenses",
    "Other Income": "OtherMiscellaneousIncome",
    "Other Expense": "OtherMiscellaneousExpense",
}
_REF_KIND = {"Account": "Accounts", "Customer": "Customers", "Vendor": "Vendors", "Item": "Items"}


class Lookup(Protocol):
    """What the checks may ask of the realm's store."""

    def get(self, entity: str, object_id: str) -> Mapping[str, Any] | None: ...

    def all(self, entity: str) -> list[Mapping[str, Any]]: ...

    def today(self) -> dt.date: ...


# --- small parsers -------------------------------------------------------------------------------


def amount(value: object, element: str) -> Decimal:
    """A money value from JSON (number or numeric string) as an exact Decimal of cents."""
    if isinstance(value, bool) or value is None:
        raise qbo_faults.invalid(f"{element} must be a number", element)
    if isinstance(value, float):  # a caller that parsed JSON without parse_float=Decimal
        value = repr(value)
    if not isinstance(value, (int, Decimal, str)):
        raise qbo_faults.invalid(f"{element} must be a number", element)
    try:
        return money(value)
    except (TypeError, ValueError) as exc:
        raise qbo_faults.invalid(
            f"{element} {value!s} is not an amount in cents ({exc})", element,
        ) from exc


def _text(body: Mapping[str, Any], name: str, maximum: int, *, required: bool = False) -> str:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise qbo_faults.required(name)
        return ""
    if not isinstance(value, str):
        raise qbo_faults.invalid(f"{name} must be text", name)
    if len(value) > maximum:
        raise qbo_faults.string_length(name, len(value), maximum)
    return value


def _date(body: Mapping[str, Any], name: str, default: dt.date | None) -> str | None:
    value = body.get(name)
    if value in (None, ""):
        return default.isoformat() if default else None
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise qbo_faults.invalid(f"{name} {value!r} is not a date (YYYY-MM-DD)", name)
    try:
        dt.date.fromisoformat(value)
    except ValueError as exc:
        raise qbo_faults.invalid(f"{name} {value!r} is not a date", name) from exc
    return value


def reference(
    lookup: Lookup, value: object, entity: str, element: str, *, required: bool = True,
) -> dict[str, Any] | None:
    """A `{"value": Id, "name": ...}` reference checked against the store; name filled in."""
    if value is None:
        if required:
            raise qbo_faults.required(element)
        return None
    if not isinstance(value, Mapping) or not str(value.get("value", "")).strip():
        raise qbo_faults.required(f"{element}.value")
    ref_id = str(value["value"]).strip()
    target = lookup.get(entity, ref_id)
    if target is None:
        raise qbo_faults.invalid_reference(_REF_KIND.get(entity, entity), ref_id, element)
    if target.get("Active") is False:
        # Intuit's 610 wording is exactly this case: "Something you're trying to use has been
        # made inactive".
        fault = qbo_faults.not_found(entity, ref_id)
        fault.element = element
        raise fault
    name = target.get("FullyQualifiedName") or target.get("DisplayName") or target.get("Name")
    return {"value": ref_id, "name": name} if name else {"value": ref_id}


def _lines(body: Mapping[str, Any], *, required: bool = True) -> list[Mapping[str, Any]]:
    lines = body.get("Line")
    if lines is None or lines == []:
        if required:
            raise qbo_faults.required("Line")
        return []
    if not isinstance(lines, list) or not all(isinstance(x, Mapping) for x in lines):
        raise qbo_faults.invalid("Line must be a list of lines", "Line")
    return lines


def _txn_common(body: Mapping[str, Any], lookup: Lookup) -> dict[str, Any]:
    out = dict(body)
    doc = _text(body, "DocNumber", DOC_NUMBER_MAX)
    if doc:
        out["DocNumber"] = doc
    out["TxnDate"] = _date(body, "TxnDate", lookup.today())
    note = _text(body, "PrivateNote", PRIVATE_NOTE_MAX)
    if note:
        out["PrivateNote"] = note
    currency = body.get("CurrencyRef")
    if currency is None:
        out["CurrencyRef"] = dict(USD)
    elif not isinstance(currency, Mapping) or currency.get("value") != "USD":
        raise qbo_faults.business(
            "Multicurrency is not enabled for this company; CurrencyRef must be USD",
            "CurrencyRef",
        )
    else:
        out["CurrencyRef"] = dict(USD)
    return out


def _line_ids(lines: list[dict[str, Any]], first: int) -> None:
    """Intuit numbers lines itself (journal entries from "0", other transactions from "1"); a
    line sent with an Id keeps it, a new line gets the next Id not in use; Ids are unique."""
    used = {str(line["Id"]) for line in lines if line.get("Id") not in (None, "")}
    if len(used) != sum(1 for line in lines if line.get("Id") not in (None, "")):
        raise qbo_faults.invalid("Two lines have the same Id", "Line.Id")
    candidate = first
    for position, line in enumerate(lines, start=1):
        if line.get("Id") in (None, ""):
            while str(candidate) in used:
                candidate += 1
            line["Id"] = str(candidate)
            used.add(line["Id"])
        line["Id"] = str(line["Id"])
        line["LineNum"] = position


# --- lists ---------------------------------------------------------------------------------------


#: Entities whose DisplayName is unique across all of them: Intuit's Customer/Vendor reference
#: says DisplayName "must be unique across all Customer, Vendor, and Employee objects" (6240
#: "Duplicate Name Exists Error"); the sandbox has no Employee entity.
_NAME_SHARING = {"Customer": ("Customer", "Vendor"), "Vendor": ("Customer", "Vendor")}


def _unique_name(lookup: Lookup, entity: str, key: str, name: str, own_id: str | None) -> None:
    for kind in _NAME_SHARING.get(entity, (entity,)):
        for other in lookup.all(kind):
            if str(other.get(key, "")).lower() == name.lower() and not (
                    kind == entity and other.get("Id") == own_id):
                raise qbo_faults.duplicate_name(name, str(other["Id"]))


def normalise_account(body: Mapping[str, Any], lookup: Lookup, own_id: str | None
                      ) -> dict[str, Any]:
    """Name required, unique, without `:` or `"`; AccountType or AccountSubType required; the
    Classification follows the type; SubAccount/ParentRef/FullyQualifiedName are consistent.
    An account made inactive gets " (deleted)" after its name, as QBO does."""
    out = dict(body)
    name = _text(body, "Name", ACCOUNT_NAME_MAX, required=True).strip()
    if ":" in name or '"' in name:
        raise qbo_faults.invalid(
            "Account name can not contain a colon (:) or double quote (\")", "Name",
        )
    active = _active(body)
    out["Active"] = active
    name = _deleted_suffix(name, active)
    out["Name"] = name
    raw_type = body.get("AccountType")
    if not raw_type:
        raise qbo_faults.required("AccountType", "Account")
    our_type = from_qbo(str(raw_type))
    if our_type is None:
        raise qbo_faults.invalid(f"AccountType {raw_type!r} is not an account type", "AccountType")
    out["AccountType"] = to_qbo_api(our_type)
    if out["AccountType"] not in DEFAULT_SUBTYPE:
        # FORMATS.md B4: "QBO doesn't support the Non-Posting Account type".
        raise qbo_faults.business(
            f"QBO doesn't support the {out['AccountType']} Account type", "AccountType",
        )
    out["AccountSubType"] = str(body.get("AccountSubType") or DEFAULT_SUBTYPE[out["AccountType"]])
    out["Classification"] = _CLASSIFICATION.get(our_type.account_class)
    if out["Classification"] is None:
        out.pop("Classification")
    acct_num = _text(body, "AcctNum", 7)
    if acct_num:
        out["AcctNum"] = acct_num
        for other in lookup.all("Account"):
            if other.get("AcctNum") == acct_num and other.get("Id") != own_id:
                raise qbo_faults.business(
                    f"Another account is already using the number {acct_num}.", "AcctNum",
                )
    parent = reference(lookup, body.get("ParentRef"), "Account", "ParentRef", required=False)
    if parent is not None:
        if parent["value"] == own_id:
            raise qbo_faults.business("An account can not be its own parent.", "ParentRef")
        out["ParentRef"] = {"value": parent["value"]}
        out["SubAccount"] = True
        out["FullyQualifiedName"] = f"{parent.get('name', '')}:{name}"
    else:
        out.pop("ParentRef", None)
        out["SubAccount"] = False
        out["FullyQualifiedName"] = name
    _unique_name(lookup, "Account", "FullyQualifiedName", out["FullyQualifiedName"], own_id)
    # Read-only: the API derives the balances from the transactions when it shows the account.
    out.pop("CurrentBalance", None)
    out.pop("CurrentBalanceWithSubAccounts", None)
    out["CurrencyRef"] = dict(USD)
    return out


def _active(body: Mapping[str, Any]) -> bool:
    active = body.get("Active", True)
    if not isinstance(active, bool):
        raise qbo_faults.invalid("Active must be true or false", "Active")
    return active


def _deleted_suffix(name: str, active: bool) -> str:
    """QBO shows an inactive list object as "Name (deleted)", and drops that when it is made
    active again."""
    if not active and not name.endswith(" (deleted)"):
        return f"{name} (deleted)"
    if active and name.endswith(" (deleted)"):
        return name.removesuffix(" (deleted)")
    return name


def _normalise_named(entity: str) -> Callable[[Mapping[str, Any], Lookup, str | None],
                                              dict[str, Any]]:
    def normalise(body: Mapping[str, Any], lookup: Lookup, own_id: str | None
                  ) -> dict[str, Any]:
        out = dict(body)
        active = _active(body)
        name = _deleted_suffix(_text(body, "DisplayName", 500, required=True).strip(), active)
        _unique_name(lookup, entity, "DisplayName", name, own_id)
        out["DisplayName"] = name
        out.setdefault("PrintOnCheckName", name)
        out["Active"] = active
        if entity == "Customer":
            out["FullyQualifiedName"] = name
        stored = lookup.get(entity, own_id) if own_id else None
        out["Balance"] = (stored or {}).get("Balance", ZERO)  # read-only
        out["CurrencyRef"] = dict(USD)
        return out
    return normalise


def normalise_item(body: Mapping[str, Any], lookup: Lookup, own_id: str | None
                   ) -> dict[str, Any]:
    out = dict(body)
    active = _active(body)
    name = _deleted_suffix(_text(body, "Name", 100, required=True).strip(), active)
    _unique_name(lookup, "Item", "Name", name, own_id)
    out["Name"] = name
    out["FullyQualifiedName"] = name
    out["Type"] = str(body.get("Type") or "Service")
    out["Active"] = active
    income = reference(lookup, body.get("IncomeAccountRef"), "Account", "IncomeAccountRef")
    out["IncomeAccountRef"] = income
    out["UnitPrice"] = amount(body.get("UnitPrice") or 0, "UnitPrice")
    return out


# --- transactions --------------------------------------------------------------------------------


def normalise_journal_entry(body: Mapping[str, Any], lookup: Lookup, own_id: str | None
                            ) -> dict[str, Any]:
    """At least two lines; each line a `JournalEntryLineDetail` with PostingType Debit|Credit, an
    existing AccountRef and a positive Amount (DescriptionOnly lines carry no amount); debits equal
    credits ("Transaction must be balanced"); TotalAmt is the debit total."""
    del own_id
    out = _txn_common(body, lookup)
    raw_lines = _lines(body)
    lines: list[dict[str, Any]] = []
    debits = credits = ZERO
    posting = 0
    for number, raw in enumerate(raw_lines, start=1):
        line = dict(raw)
        if line.get("Description") is not None:
            _text(line, "Description", DESCRIPTION_MAX)
        detail_type = line.get("DetailType")
        if detail_type == "DescriptionOnly":
            lines.append(line)
            continue
        if detail_type != "JournalEntryLineDetail":
            raise qbo_faults.invalid(
                f"Line {number}: DetailType must be JournalEntryLineDetail or DescriptionOnly",
                "Line.DetailType",
            )
        detail = line.get("JournalEntryLineDetail")
        if not isinstance(detail, Mapping):
            raise qbo_faults.required("JournalEntryLineDetail", "JournalEntry")
        detail = dict(detail)
        side = detail.get("PostingType")
        if side not in ("Debit", "Credit"):
            raise qbo_faults.invalid(
                f"Line {number}: PostingType must be Debit or Credit, not {side!r}",
                "Line.JournalEntryLineDetail.PostingType",
            )
        if detail.get("AccountRef") is None:
            raise qbo_faults.business(
                "You must select an account for each split line with an amount.",
                "Line.JournalEntryLineDetail.AccountRef",
            )
        detail["AccountRef"] = reference(
            lookup, detail["AccountRef"], "Account", "Line.JournalEntryLineDetail.AccountRef",
        )
        _check_line_entity(lookup, detail)
        value = amount(line.get("Amount"), "Line.Amount")
        if value < ZERO:
            raise qbo_faults.business(
                f"Line {number}: amounts must not be negative; put the side in PostingType.",
                "Line.Amount",
            )
        line["Amount"] = value
        line["JournalEntryLineDetail"] = detail
        posting += 1
        if side == "Debit":
            debits += value
        else:
            credits += value
        lines.append(line)
    if posting < 2:
        raise qbo_faults.business(
            "A journal entry needs at least two lines with accounts: one debit and one credit.",
            "Line",
        )
    if debits != credits:
        raise qbo_faults.business(
            f"Transaction must be balanced. Debits {debits} and credits {credits} differ by "
            f"{abs(debits - credits)}.", "Line",
        )
    _line_ids(lines, 0)
    out["Line"] = lines
    out["TotalAmt"] = debits
    out["Adjustment"] = bool(body.get("Adjustment", False))
    return out


_NAME_REQUIRED = {
    "Accounts Receivable": ("Customer", "When you use Accounts Receivable, you must select a "
                            "customer in the Name field."),
    "Accounts Payable": ("Vendor", "When you use Accounts Payable, you must select a vendor in "
                         "the Name field."),
}


def _check_line_entity(lookup: Lookup, detail: dict[str, Any]) -> None:
    """A journal line's `Entity` (the Name column) must exist; QBO requires a customer on an
    A/R line and a vendor on an A/P line."""
    entity = detail.get("Entity")
    kind: str | None = None
    if entity is not None:
        if not isinstance(entity, Mapping) or entity.get("Type") not in ("Customer", "Vendor",
                                                                           "Employee"):
            raise qbo_faults.invalid(
                "Entity.Type must be Customer, Vendor or Employee",
                "Line.JournalEntryLineDetail.Entity",
            )
        kind = str(entity["Type"])
        ref = reference(lookup, entity.get("EntityRef"), kind,
                        "Line.JournalEntryLineDetail.Entity.EntityRef")
        detail["Entity"] = {"Type": kind, "EntityRef": ref}
    account = lookup.get("Account", str(detail["AccountRef"]["value"]))
    rule = _NAME_REQUIRED.get(str((account or {}).get("AccountType")))
    if rule is not None and kind != rule[0]:
        raise qbo_faults.business(rule[1], "Line.JournalEntryLineDetail.Entity")


def _expense_lines(lookup: Lookup, body: Mapping[str, Any], entity: str
                   ) -> tuple[list[dict[str, Any]], Decimal]:
    lines: list[dict[str, Any]] = []
    total = ZERO
    for number, raw in enumerate(_lines(body), start=1):
        line = dict(raw)
        if line.get("DetailType") != "AccountBasedExpenseLineDetail":
            raise qbo_faults.invalid(
                f"Line {number}: this sandbox takes AccountBasedExpenseLineDetail lines on "
                f"{entity}", "Line.DetailType",
            )
        detail = dict(line.get("AccountBasedExpenseLineDetail") or {})
        detail["AccountRef"] = reference(
            lookup, detail.get("AccountRef"), "Account",
            "Line.AccountBasedExpenseLineDetail.AccountRef",
        )
        detail.setdefault("BillableStatus", "NotBillable")
        value = amount(line.get("Amount"), "Line.Amount")
        line["Amount"] = value
        line["AccountBasedExpenseLineDetail"] = detail
        total += value
        lines.append(line)
    _line_ids(lines, 1)
    return lines, total


def normalise_purchase(body: Mapping[str, Any], lookup: Lookup, own_id: str | None
                       ) -> dict[str, Any]:
    """A cash, check or credit-card expense: AccountRef (the paying account) and PaymentType are
    required; TotalAmt is the sum of the lines."""
    del own_id
    out = _txn_common(body, lookup)
    out["AccountRef"] = reference(lookup, body.get("AccountRef"), "Account", "AccountRef")
    payment_type = body.get("PaymentType")
    if payment_type not in ("Cash", "Check", "CreditCard"):
        raise qbo_faults.required("PaymentType", "Purchase")
    out["Line"], out["TotalAmt"] = _expense_lines(lookup, body, "Purchase")
    out["Credit"] = bool(body.get("Credit", False))
    if body.get("EntityRef") is not None:
        entity_ref = body["EntityRef"]
        kind = entity_ref.get("type", "Vendor") if isinstance(entity_ref, Mapping) else "Vendor"
        if kind not in ("Vendor", "Customer"):
            raise qbo_faults.invalid(f"EntityRef.type {kind!r} is not Vendor or Customer",
                                     "EntityRef")
        ref = reference(lookup, entity_ref, str(kind), "EntityRef")
        out["EntityRef"] = {**(ref or {}), "type": kind}
    return out


def normalise_deposit(body: Mapping[str, Any], lookup: Lookup, own_id: str | None
                      ) -> dict[str, Any]:
    """Money into DepositToAccountRef; each line either a DepositLineDetail with the account it
    comes from, or a LinkedTxn to a payment held in Undeposited Funds."""
    del own_id
    out = _txn_common(body, lookup)
    out["DepositToAccountRef"] = reference(
        lookup, body.get("DepositToAccountRef"), "Account", "DepositToAccountRef",
    )
    lines: list[dict[str, Any]] = []
    total = ZERO
    for raw in _lines(body):
        line = dict(raw)
        value = amount(line.get("Amount"), "Line.Amount")
        line["Amount"] = value
        if line.get("LinkedTxn"):
            links = line["LinkedTxn"]
            if not isinstance(links, list) or not all(
                    isinstance(link, Mapping) and link.get("TxnType") == "Payment"
                    and lookup.get("Payment", str(link.get("TxnId"))) is not None
                    for link in links):
                raise qbo_faults.invalid(
                    "A deposit line's LinkedTxn must name existing payments (TxnType Payment)",
                    "Line.LinkedTxn",
                )
            line.pop("DetailType", None)
        else:
            line["DetailType"] = "DepositLineDetail"
            detail = dict(line.get("DepositLineDetail") or {})
            detail["AccountRef"] = reference(
                lookup, detail.get("AccountRef"), "Account", "Line.DepositLineDetail.AccountRef",
            )
            line["DepositLineDetail"] = detail
        total += value
        lines.append(line)
    _line_ids(lines, 1)
    out["Line"] = lines
    out["TotalAmt"] = total
    out["HomeTotalAmt"] = total
    return out


def normalise_transfer(body: Mapping[str, Any], lookup: Lookup, own_id: str | None
                       ) -> dict[str, Any]:
    del own_id
    out = dict(body)
    out["TxnDate"] = _date(body, "TxnDate", lookup.today())
    out["FromAccountRef"] = reference(lookup, body.get("FromAccountRef"), "Account",
                                      "FromAccountRef")
    out["ToAccountRef"] = reference(lookup, body.get("ToAccountRef"), "Account", "ToAccountRef")
    if out["FromAccountRef"] == out["ToAccountRef"]:
        raise qbo_faults.business("Transfer accounts must be different.", "ToAccountRef")
    value = amount(body.get("Amount"), "Amount")
    if value <= ZERO:
        raise qbo_faults.business("The transfer amount must be more than zero.", "Amount")
    out["Amount"] = value
    out["CurrencyRef"] = dict(USD)
    return out


def normalise_invoice(body: Mapping[str, Any], lookup: Lookup, own_id: str | None
                      ) -> dict[str, Any]:
    """CustomerRef and SalesItemLineDetail lines (ItemRef; ItemAccountRef filled from the item's
    income account, as recent minor versions return it); QBO adds a SubTotalLine at the end."""
    out = _txn_common(body, lookup)
    out["CustomerRef"] = reference(lookup, body.get("CustomerRef"), "Customer", "CustomerRef")
    lines: list[dict[str, Any]] = []
    total = ZERO
    for number, raw in enumerate(_lines(body), start=1):
        line = dict(raw)
        if line.get("DetailType") == "SubTotalLineDetail":
            continue
        if line.get("DetailType") != "SalesItemLineDetail":
            raise qbo_faults.invalid(
                f"Line {number}: this sandbox takes SalesItemLineDetail lines on Invoice",
                "Line.DetailType",
            )
        detail = dict(line.get("SalesItemLineDetail") or {})
        item_ref = reference(lookup, detail.get("ItemRef"), "Item",
                             "Line.SalesItemLineDetail.ItemRef")
        detail["ItemRef"] = item_ref
        item = lookup.get("Item", str((item_ref or {}).get("value")))
        if item is not None and item.get("IncomeAccountRef"):
            detail["ItemAccountRef"] = dict(item["IncomeAccountRef"])
        value = amount(line.get("Amount"), "Line.Amount")
        line["Amount"] = value
        line["SalesItemLineDetail"] = detail
        total += value
        lines.append(line)
    _line_ids(lines, 1)
    lines.append({"Amount": total, "DetailType": "SubTotalLineDetail",
                  "SubTotalLineDetail": {}})
    out["Line"] = lines
    out["TotalAmt"] = total
    out["HomeTotalAmt"] = total
    txn_date = dt.date.fromisoformat(out["TxnDate"])
    out["DueDate"] = _date(body, "DueDate", txn_date + dt.timedelta(days=30))
    paid = _paid_against(lookup, "Payment", "Invoice", own_id)
    out["Balance"] = max(ZERO, total - paid)
    out["HomeBalance"] = out["Balance"]
    out.setdefault("EmailStatus", "NotSet")
    out.setdefault("PrintStatus", "NotSet")
    return out


def normalise_bill(body: Mapping[str, Any], lookup: Lookup, own_id: str | None
                   ) -> dict[str, Any]:
    out = _txn_common(body, lookup)
    out["VendorRef"] = reference(lookup, body.get("VendorRef"), "Vendor", "VendorRef")
    ap = body.get("APAccountRef")
    if ap is None:
        ap = _first_account(lookup, "Accounts Payable")
    out["APAccountRef"] = reference(lookup, ap, "Account", "APAccountRef")
    out["Line"], total = _expense_lines(lookup, body, "Bill")
    out["TotalAmt"] = total
    txn_date = dt.date.fromisoformat(out["TxnDate"])
    out["DueDate"] = _date(body, "DueDate", txn_date + dt.timedelta(days=30))
    out["Balance"] = max(ZERO, total - _paid_against(lookup, "BillPayment", "Bill", own_id))
    return out


def _first_account(lookup: Lookup, account_type: str, subtype: str | None = None
                   ) -> dict[str, Any] | None:
    for account in lookup.all("Account"):
        if account.get("AccountType") == account_type and account.get("Active", True) and (
                subtype is None or account.get("AccountSubType") == subtype):
            return {"value": account["Id"]}
    return None


def _paid_against(lookup: Lookup, payer: str, target: str, target_id: str | None) -> Decimal:
    """What payments of type `payer` apply to the `target` transaction `target_id`."""
    if target_id is None:
        return ZERO
    total = ZERO
    for payment in lookup.all(payer):
        for line in payment.get("Line", []):
            for link in line.get("LinkedTxn", []):
                if link.get("TxnType") == target and str(link.get("TxnId")) == target_id:
                    total += Decimal(line.get("Amount", 0))
    return total


def linked_ids(obj: Mapping[str, Any], target: str) -> list[str]:
    """The Ids of `target` transactions the lines of `obj` link to (a payment's invoices)."""
    found: list[str] = []
    for line in obj.get("Line", []):
        for link in line.get("LinkedTxn", []) if isinstance(line, Mapping) else []:
            if isinstance(link, Mapping) and link.get("TxnType") == target:
                found.append(str(link.get("TxnId")))
    return found


def _applied_lines(lookup: Lookup, body: Mapping[str, Any], target: str
                   ) -> tuple[list[dict[str, Any]], Decimal]:
    lines: list[dict[str, Any]] = []
    applied = ZERO
    for raw in _lines(body, required=False):
        line = dict(raw)
        value = amount(line.get("Amount"), "Line.Amount")
        line["Amount"] = value
        links = line.get("LinkedTxn") or []
        if not isinstance(links, list):
            raise qbo_faults.invalid("Line.LinkedTxn must be a list", "Line.LinkedTxn")
        for link in links:
            if not isinstance(link, Mapping) or link.get("TxnType") != target:
                raise qbo_faults.invalid(f"LinkedTxn must name a {target}", "Line.LinkedTxn")
            if lookup.get(target, str(link.get("TxnId"))) is None:
                raise qbo_faults.invalid_reference(
                    target, str(link.get("TxnId")), "Line.LinkedTxn.TxnId",
                )
        applied += value
        lines.append(line)
    return lines, applied


def normalise_payment(body: Mapping[str, Any], lookup: Lookup, own_id: str | None
                      ) -> dict[str, Any]:
    """A customer payment: CustomerRef and TotalAmt required; lines apply it to invoices;
    DepositToAccountRef defaults to Undeposited Funds; UnappliedAmt is what no line applies."""
    del own_id
    out = dict(body)
    out["TxnDate"] = _date(body, "TxnDate", lookup.today())
    out["CurrencyRef"] = dict(USD)
    out["CustomerRef"] = reference(lookup, body.get("CustomerRef"), "Customer", "CustomerRef")
    if body.get("TotalAmt") is None:
        raise qbo_faults.required("TotalAmt", "Payment")
    total = amount(body.get("TotalAmt"), "TotalAmt")
    deposit = body.get("DepositToAccountRef") or _first_account(
        lookup, "Other Current Asset", "UndepositedFunds")
    out["DepositToAccountRef"] = reference(lookup, deposit, "Account", "DepositToAccountRef")
    out["Line"], applied = _applied_lines(lookup, body, "Invoice")
    if applied > total:
        raise qbo_faults.business(
            f"The payment applies {applied} but its total is {total}.", "TotalAmt",
        )
    out["TotalAmt"] = total
    out["UnappliedAmt"] = total - applied
    return out


def normalise_bill_payment(body: Mapping[str, Any], lookup: Lookup, own_id: str | None
                           ) -> dict[str, Any]:
    """A payment of bills by check (CheckPayment.BankAccountRef) or credit card
    (CreditCardPayment.CCAccountRef)."""
    del own_id
    out = dict(body)
    doc = _text(body, "DocNumber", DOC_NUMBER_MAX)
    if doc:
        out["DocNumber"] = doc
    out["TxnDate"] = _date(body, "TxnDate", lookup.today())
    out["CurrencyRef"] = dict(USD)
    out["VendorRef"] = reference(lookup, body.get("VendorRef"), "Vendor", "VendorRef")
    pay_type = body.get("PayType")
    if pay_type == "Check":
        check = dict(body.get("CheckPayment") or {})
        check["BankAccountRef"] = reference(lookup, check.get("BankAccountRef"), "Account",
                                            "CheckPayment.BankAccountRef")
        check.setdefault("PrintStatus", "NotSet")
        out["CheckPayment"] = check
    elif pay_type == "CreditCard":
        card = dict(body.get("CreditCardPayment") or {})
        card["CCAccountRef"] = reference(lookup, card.get("CCAccountRef"), "Account",
                                         "CreditCardPayment.CCAccountRef")
        out["CreditCardPayment"] = card
    else:
        raise qbo_faults.required("PayType", "BillPayment")
    ap = body.get("APAccountRef") or _first_account(lookup, "Accounts Payable")
    out["APAccountRef"] = reference(lookup, ap, "Account", "APAccountRef")
    if body.get("TotalAmt") is None:
        raise qbo_faults.required("TotalAmt", "BillPayment")
    total = amount(body.get("TotalAmt"), "TotalAmt")
    out["Line"], applied = _applied_lines(lookup, body, "Bill")
    if applied > total:
        raise qbo_faults.business(
            f"The bill payment applies {applied} but its total is {total}.", "TotalAmt",
        )
    out["TotalAmt"] = total
    return out


Normaliser = Callable[[Mapping[str, Any], Lookup, "str | None"], dict[str, Any]]

NORMALISERS: dict[str, Normaliser] = {
    "Account": normalise_account,
    "Customer": _normalise_named("Customer"),
    "Vendor": _normalise_named("Vendor"),
    "Item": normalise_item,
    "JournalEntry": normalise_journal_entry,
    "Purchase": normalise_purchase,
    "Deposit": normalise_deposit,
    "Transfer": normalise_transfer,
    "Invoice": normalise_invoice,
    "Payment": normalise_payment,
    "Bill": normalise_bill,
    "BillPayment": normalise_bill_payment,
}


def voided(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A transaction as QBO shows it after a void: every amount zero, "Voided" in the memo."""
    out = dict(obj)
    lines = []
    for line in obj.get("Line", []):
        new_line = dict(line)
        if "Amount" in new_line:
            new_line["Amount"] = ZERO
        lines.append(new_line)
    out["Line"] = lines
    for key in ("TotalAmt", "HomeTotalAmt", "Balance", "HomeBalance", "UnappliedAmt", "Amount"):
        if key in out:
            out[key] = ZERO
    note = str(obj.get("PrivateNote") or "")
    out["PrivateNote"] = "Voided" if not note else f"Voided - {note}"[:PRIVATE_NOTE_MAX]
    out["TxnStatus"] = "Voided"
    return out


# --- the ledger behind the transactions ----------------------------------------------------------

#: Account types whose `CurrentBalance` QBO reports (balance-sheet accounts); income and expense
#: accounts report 0 there (their activity is a report, not a balance).
BALANCE_SHEET_TYPES = frozenset({
    "Bank", "Accounts Receivable", "Other Current Asset", "Fixed Asset", "Other Asset",
    "Accounts Payable", "Credit Card", "Other Current Liability", "Long Term Liability", "Equity",
})
_DEBIT_NORMAL = frozenset({"Bank", "Accounts Receivable", "Other Current Asset", "Fixed Asset",
                           "Other Asset"})


def _ref_id(value: object) -> str | None:
    return str(value["value"]) if isinstance(value, Mapping) and "value" in value else None


def _first_account_id(lookup: Lookup, account_type: str, subtype: str | None = None
                      ) -> str | None:
    ref = _first_account(lookup, account_type, subtype)
    return str(ref["value"]) if ref else None


def postings(entity: str, obj: Mapping[str, Any], lookup: Lookup) -> list[tuple[str, Decimal]]:
    """The double-entry postings of one stored transaction, debits positive: what QBO's ledger
    (and so each account's CurrentBalance) gets from it. Every transaction's postings sum to 0."""
    out: list[tuple[str, Decimal]] = []

    def post(account: str | None, value: object) -> None:
        if account is not None and value:
            out.append((account, Decimal(str(value))))

    total = obj.get("TotalAmt") or 0
    lines = [line for line in obj.get("Line", []) if isinstance(line, Mapping)]
    if entity == "JournalEntry":
        for line in lines:
            detail = line.get("JournalEntryLineDetail")
            if isinstance(detail, Mapping):
                sign = 1 if detail.get("PostingType") == "Debit" else -1
                post(_ref_id(detail.get("AccountRef")), sign * Decimal(str(line["Amount"])))
    elif entity in ("Purchase", "Bill"):
        sign = -1 if obj.get("Credit") else 1  # a credit-card credit reverses the expense
        for line in lines:
            detail = line.get("AccountBasedExpenseLineDetail") or {}
            post(_ref_id(detail.get("AccountRef")), sign * Decimal(str(line["Amount"])))
        paying = obj.get("AccountRef") if entity == "Purchase" else obj.get("APAccountRef")
        post(_ref_id(paying), -sign * Decimal(str(total)))
    elif entity == "Deposit":
        post(_ref_id(obj.get("DepositToAccountRef")), total)
        held = _first_account_id(lookup, "Other Current Asset", "UndepositedFunds")
        for line in lines:
            detail = line.get("DepositLineDetail") or {}
            source = _ref_id(detail.get("AccountRef")) if detail else held
            post(source, -Decimal(str(line["Amount"])))
    elif entity == "Transfer":
        amount_moved = Decimal(str(obj.get("Amount") or 0))
        post(_ref_id(obj.get("ToAccountRef")), amount_moved)
        post(_ref_id(obj.get("FromAccountRef")), -amount_moved)
    elif entity == "Invoice":
        post(_first_account_id(lookup, "Accounts Receivable"), total)
        for line in lines:
            detail = line.get("SalesItemLineDetail")
            if isinstance(detail, Mapping):
                post(_ref_id(detail.get("ItemAccountRef")), -Decimal(str(line["Amount"])))
    elif entity == "Payment":
        post(_ref_id(obj.get("DepositToAccountRef")), total)
        post(_ref_id(obj.get("ARAccountRef")) or _first_account_id(lookup, "Accounts Receivable"),
             -Decimal(str(total)))
    elif entity == "BillPayment":
        post(_ref_id(obj.get("APAccountRef")), total)
        paying = (obj.get("CheckPayment") or {}).get("BankAccountRef") or (
            obj.get("CreditCardPayment") or {}).get("CCAccountRef")
        post(_ref_id(paying), -Decimal(str(total)))
    return out


def current_balance(account_type: str, debit_net: Decimal) -> Decimal:
    """What QBO shows as CurrentBalance for an account with this net of debits over credits:
    assets as they are, liabilities and equity as credits (positive when owed), P&L accounts 0."""
    if account_type not in BALANCE_SHEET_TYPES:
        return ZERO
    return money(debit_net if account_type in _DEBIT_NORMAL else -debit_net)

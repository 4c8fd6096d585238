"""Accounts: the normalised type, `Parent:Child` paths, and the two-way translation tables to the
type names of QuickBooks Desktop (IIF `ACCNTTYPE`), QuickBooks Online (API `AccountType`, UI labels,
`AccountSubType`) and Xero (API `AccountType` codes and CSV display names).

Every table is taken from `FORMATS.md` (Intuit's IIF kit, QBO's Finance.xsd, Xero's exports).
Reading is forgiving (case, spacing and punctuation do not matter); writing always gives the one
canonical name the target system expects.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from bookkeeper_desktop.core.errors import ValidationError

PATH_SEPARATOR = ":"


class AccountClass(StrEnum):
    """The five classes of double-entry bookkeeping."""

    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"
    NON_POSTING = "non_posting"

    @property
    def is_debit_normal(self) -> bool:
        return self in (AccountClass.ASSET, AccountClass.EXPENSE)


class AccountType(StrEnum):
    """Our normalised account type (the sixteen QuickBooks kinds, which every system maps onto)."""

    BANK = "bank"
    ACCOUNTS_RECEIVABLE = "accounts_receivable"
    OTHER_CURRENT_ASSET = "other_current_asset"
    FIXED_ASSET = "fixed_asset"
    OTHER_ASSET = "other_asset"
    ACCOUNTS_PAYABLE = "accounts_payable"
    CREDIT_CARD = "credit_card"
    OTHER_CURRENT_LIABILITY = "other_current_liability"
    LONG_TERM_LIABILITY = "long_term_liability"
    EQUITY = "equity"
    INCOME = "income"
    COST_OF_GOODS_SOLD = "cost_of_goods_sold"
    EXPENSE = "expense"
    OTHER_INCOME = "other_income"
    OTHER_EXPENSE = "other_expense"
    NON_POSTING = "non_posting"

    @property
    def account_class(self) -> AccountClass:
        return _CLASS_OF[self]

    @property
    def label(self) -> str:
        """How the app shows the type: "Other current asset"."""
        return self.value.replace("_", " ").capitalize()


_CLASS_OF: dict[AccountType, AccountClass] = {
    AccountType.BANK: AccountClass.ASSET,
    AccountType.ACCOUNTS_RECEIVABLE: AccountClass.ASSET,
    AccountType.OTHER_CURRENT_ASSET: AccountClass.ASSET,
    AccountType.FIXED_ASSET: AccountClass.ASSET,
    AccountType.OTHER_ASSET: AccountClass.ASSET,
    AccountType.ACCOUNTS_PAYABLE: AccountClass.LIABILITY,
    AccountType.CREDIT_CARD: AccountClass.LIABILITY,
    AccountType.OTHER_CURRENT_LIABILITY: AccountClass.LIABILITY,
    AccountType.LONG_TERM_LIABILITY: AccountClass.LIABILITY,
    AccountType.EQUITY: AccountClass.EQUITY,
    AccountType.INCOME: AccountClass.INCOME,
    AccountType.OTHER_INCOME: AccountClass.INCOME,
    AccountType.COST_OF_GOODS_SOLD: AccountClass.EXPENSE,
    AccountType.EXPENSE: AccountClass.EXPENSE,
    AccountType.OTHER_EXPENSE: AccountClass.EXPENSE,
    AccountType.NON_POSTING: AccountClass.NON_POSTING,
}


class AccountSource(StrEnum):
    """Where an account came from."""

    MANUAL = "manual"
    SAMPLE = "sample"
    IIF = "iif"
    QBO_CSV = "qbo_csv"
    XERO_CSV = "xero_csv"
    XLSX = "xlsx"
    QBO = "qbo"
    XERO = "xero"


def type_key(label: str) -> str:
    """A label reduced to lower-case letters and digits: `Accounts receivable (A/R)` →
    `accountsreceivablear`. Used to match names whatever their case, spacing or punctuation."""
    return re.sub(r"[^a-z0-9]", "", label.lower())


# --- QuickBooks Desktop IIF ACCNTTYPE (FORMATS.md A3: exactly 16 codes) ------------------------

IIF_CODE_OF: dict[AccountType, str] = {
    AccountType.BANK: "BANK",
    AccountType.ACCOUNTS_RECEIVABLE: "AR",
    AccountType.OTHER_CURRENT_ASSET: "OCASSET",
    AccountType.FIXED_ASSET: "FIXASSET",
    AccountType.OTHER_ASSET: "OASSET",
    AccountType.ACCOUNTS_PAYABLE: "AP",
    AccountType.CREDIT_CARD: "CCARD",
    AccountType.OTHER_CURRENT_LIABILITY: "OCLIAB",
    AccountType.LONG_TERM_LIABILITY: "LTLIAB",
    AccountType.EQUITY: "EQUITY",
    AccountType.INCOME: "INC",
    AccountType.COST_OF_GOODS_SOLD: "COGS",
    AccountType.EXPENSE: "EXP",
    AccountType.OTHER_INCOME: "EXINC",
    AccountType.OTHER_EXPENSE: "EXEXP",
    AccountType.NON_POSTING: "NONPOSTING",
}
_FROM_IIF: dict[str, AccountType] = {code: t for t, code in IIF_CODE_OF.items()}


def from_iif(code: str) -> AccountType | None:
    """IIF `ACCNTTYPE` → our type; None for a code QuickBooks does not define."""
    return _FROM_IIF.get(code.strip().upper())


def to_iif(account_type: AccountType) -> str:
    return IIF_CODE_OF[account_type]


# --- QuickBooks Online AccountType: API names and UI/export labels (FORMATS.md B4) --------------

QBO_API_NAME_OF: dict[AccountType, str] = {
    AccountType.BANK: "Bank",
    AccountType.ACCOUNTS_RECEIVABLE: "Accounts Receivable",
    AccountType.OTHER_CURRENT_ASSET: "Other Current Asset",
    AccountType.FIXED_ASSET: "Fixed Asset",
    AccountType.OTHER_ASSET: "Other Asset",
    AccountType.ACCOUNTS_PAYABLE: "Accounts Payable",
    AccountType.CREDIT_CARD: "Credit Card",
    AccountType.OTHER_CURRENT_LIABILITY: "Other Current Liability",
    AccountType.LONG_TERM_LIABILITY: "Long Term Liability",
    AccountType.EQUITY: "Equity",
    AccountType.INCOME: "Income",
    AccountType.COST_OF_GOODS_SOLD: "Cost of Goods Sold",
    AccountType.EXPENSE: "Expense",
    AccountType.OTHER_INCOME: "Other Income",
    AccountType.OTHER_EXPENSE: "Other Expense",
    AccountType.NON_POSTING: "Non-Posting",
}
#: The labels QBO shows and its CoA import accepts ("Expenses", not "Expense").
QBO_LABEL_OF: dict[AccountType, str] = {
    AccountType.BANK: "Bank",
    AccountType.ACCOUNTS_RECEIVABLE: "Accounts receivable (A/R)",
    AccountType.OTHER_CURRENT_ASSET: "Other Current Assets",
    AccountType.FIXED_ASSET: "Fixed Assets",
    AccountType.OTHER_ASSET: "Other Assets",
    AccountType.ACCOUNTS_PAYABLE: "Accounts payable (A/P)",
    AccountType.CREDIT_CARD: "Credit Card",
    AccountType.OTHER_CURRENT_LIABILITY: "Other Current Liabilities",
    AccountType.LONG_TERM_LIABILITY: "Long Term Liabilities",
    AccountType.EQUITY: "Equity",
    AccountType.INCOME: "Income",
    AccountType.COST_OF_GOODS_SOLD: "Cost of Goods Sold",
    AccountType.EXPENSE: "Expenses",
    AccountType.OTHER_INCOME: "Other Income",
    AccountType.OTHER_EXPENSE: "Other Expense",
    # QBO has no Non-Posting type in its UI; the API name stands in.
    AccountType.NON_POSTING: "Non-Posting",
}
_FROM_QBO: dict[str, AccountType] = {
    **{type_key(name): t for t, name in QBO_API_NAME_OF.items()},
    **{type_key(label): t for t, label in QBO_LABEL_OF.items()},
    # Spellings seen in older exports and third-party templates.
    type_key("Accounts Receivable (A/R)"): AccountType.ACCOUNTS_RECEIVABLE,
    type_key("Accounts Payable (A/P)"): AccountType.ACCOUNTS_PAYABLE,
    type_key("Other Current Liabilities"): AccountType.OTHER_CURRENT_LIABILITY,
    type_key("Long-term Liabilities"): AccountType.LONG_TERM_LIABILITY,
    type_key("Other Expenses"): AccountType.OTHER_EXPENSE,
    type_key("Cost of Sales"): AccountType.COST_OF_GOODS_SOLD,
}


def from_qbo(name_or_label: str) -> AccountType | None:
    """QBO API `AccountType` or UI label (any case) → our type; None if QBO has no such type."""
    return _FROM_QBO.get(type_key(name_or_label))


def to_qbo_api(account_type: AccountType) -> str:
    return QBO_API_NAME_OF[account_type]


def to_qbo_label(account_type: AccountType) -> str:
    return QBO_LABEL_OF[account_type]


# QBO AccountSubType (detail type): 298 API names, in reference/qbo_account_subtypes.txt. The UI
# labels are spaced forms of the same words, so they match through `type_key`; the ones whose label
# is not just the words split are listed here for writing.
QBO_SUBTYPE_LABELS: dict[str, str] = {
    "CashOnHand": "Cash on hand",
    "UndepositedFunds": "Undeposited Funds",
    "MoneyMarket": "Money Market",
    "SalesOfProductIncome": "Sales of Product Income",
    "ServiceFeeIncome": "Service/Fee Income",
    "DiscountsRefundsGiven": "Discounts/Refunds Given",
    "SuppliesMaterialsCogs": "Supplies & Materials - COGS",
    "CostOfLaborCos": "Cost of labor - COS",
    "AdvertisingPromotional": "Advertising/Promotional",
    "OfficeGeneralAdministrativeExpenses": "Office/General Administrative Expenses",
    "RentOrLeaseOfBuildings": "Rent or Lease of Buildings",
    "LegalProfessionalFees": "Legal & Professional Fees",
    "RepairMaintenance": "Repair & Maintenance",
    "TravelMeals": "Travel Meals",
    "PayrollTaxPayable": "Payroll Tax Payable",
    "SalesTaxPayable": "Sales Tax Payable",
    "OpeningBalanceEquity": "Opening Balance Equity",
    "OwnersEquity": "Owner's Equity",
    "RetainedEarnings": "Retained Earnings",
    "PartnerContributions": "Partner Contributions",
    "FurnitureAndFixtures": "Furniture & Fixtures",
    "MachineryAndEquipment": "Machinery & Equipment",
    "OtherMiscellaneousIncome": "Other Miscellaneous Income",
    "OtherMiscellaneousExpense": "Other Miscellaneous Expense",
    "OtherCurrentAssets": "Other Current Assets",
    "AllowanceForBadDebts": "Allowance for Bad Debts",
    "PrepaidExpenses": "Prepaid Expenses",
    "AccumulatedDepreciation": "Accumulated Depreciation",
    "AccountsPayable": "Accounts Payable (A/P)",
    "AccountsReceivable": "Accounts Receivable (A/R)",
}


def qbo_subtype_label(api_name: str) -> str:
    """API `AccountSubType` → the label QBO shows ("CostOfLaborCos" → "Cost of labor - COS")."""
    if api_name in QBO_SUBTYPE_LABELS:
        return QBO_SUBTYPE_LABELS[api_name]
    words = re.sub(r"(?<=[a-z])(?=[A-Z])|_", " ", api_name).split()
    return " ".join(words)


def qbo_subtype_api_name(label: str, known: Mapping[str, str]) -> str | None:
    """A detail-type label or API name → its API name, given `known` (type_key → API name).

    Labels differ from API names in small ways: an abbreviation in brackets ("Accounts Payable
    (A/P)"), and "&" that is sometimes dropped ("Supplies & Materials" → SuppliesMaterials) and
    sometimes spelled out ("Furniture & Fixtures" → FurnitureAndFixtures)."""
    without_brackets = re.sub(r"\([^)]*\)", "", label)
    for candidate in (label, without_brackets, without_brackets.replace("&", " and ")):
        found = known.get(type_key(candidate))
        if found is not None:
            return found
    return None


# --- Xero AccountType codes and CSV display names (FORMATS.md C1) ------------------------------

#: Xero API `AccountType` code → our type.
XERO_CODE_TYPES: dict[str, AccountType] = {
    "BANK": AccountType.BANK,
    "CURRENT": AccountType.OTHER_CURRENT_ASSET,
    "FIXED": AccountType.FIXED_ASSET,
    "INVENTORY": AccountType.OTHER_CURRENT_ASSET,
    "NONCURRENT": AccountType.OTHER_ASSET,
    "PREPAYMENT": AccountType.OTHER_CURRENT_ASSET,
    "CURRLIAB": AccountType.OTHER_CURRENT_LIABILITY,
    "LIABILITY": AccountType.OTHER_CURRENT_LIABILITY,
    "TERMLIAB": AccountType.LONG_TERM_LIABILITY,
    "PAYG": AccountType.OTHER_CURRENT_LIABILITY,
    "PAYGLIABILITY": AccountType.OTHER_CURRENT_LIABILITY,
    "SUPERANNUATIONLIABILITY": AccountType.OTHER_CURRENT_LIABILITY,
    "EQUITY": AccountType.EQUITY,
    "REVENUE": AccountType.INCOME,
    "SALES": AccountType.INCOME,
    "OTHERINCOME": AccountType.OTHER_INCOME,
    "DIRECTCOSTS": AccountType.COST_OF_GOODS_SOLD,
    "EXPENSE": AccountType.EXPENSE,
    "OVERHEADS": AccountType.EXPENSE,
    "DEPRECIATN": AccountType.EXPENSE,
    "WAGESEXPENSE": AccountType.EXPENSE,
    "SUPERANNUATIONEXPENSE": AccountType.EXPENSE,
}
#: Xero CSV display name → API code (the real exports use these names).
XERO_DISPLAY_NAMES: dict[str, str] = {
    "Bank": "BANK",
    "Current Asset": "CURRENT",
    "Fixed Asset": "FIXED",
    "Inventory": "INVENTORY",
    "Non-current Asset": "NONCURRENT",
    "Prepayment": "PREPAYMENT",
    "Current Liability": "CURRLIAB",
    "Liability": "LIABILITY",
    "Non-current Liability": "TERMLIAB",
    "Equity": "EQUITY",
    "Revenue": "REVENUE",
    "Sales": "SALES",
    "Other Income": "OTHERINCOME",
    "Direct Costs": "DIRECTCOSTS",
    "Expense": "EXPENSE",
    "Overhead": "OVERHEADS",
    "Depreciation": "DEPRECIATN",
}
_XERO_DISPLAY_OF_CODE: dict[str, str] = {code: name for name, code in XERO_DISPLAY_NAMES.items()}


@dataclass(frozen=True)
class XeroSystemType:
    """A system-account pseudo-type of Xero's CSV (`Accounts Receivable`, `GST`, ...): Xero keeps
    these accounts itself; `api_code` is what the API reports as the account's Type."""

    display_name: str
    api_code: str
    account_type: AccountType
    system_account: str  # the API's SystemAccount value


XERO_SYSTEM_TYPES: tuple[XeroSystemType, ...] = (
    XeroSystemType("Accounts Receivable", "CURRENT", AccountType.ACCOUNTS_RECEIVABLE, "DEBTORS"),
    XeroSystemType("Accounts Payable", "CURRLIAB", AccountType.ACCOUNTS_PAYABLE, "CREDITORS"),
    XeroSystemType("GST", "CURRLIAB", AccountType.OTHER_CURRENT_LIABILITY, "GST"),
    XeroSystemType("VAT", "CURRLIAB", AccountType.OTHER_CURRENT_LIABILITY, "GST"),
    XeroSystemType("Historical", "CURRLIAB", AccountType.OTHER_CURRENT_LIABILITY, "HISTORICAL"),
    XeroSystemType("Rounding", "CURRLIAB", AccountType.OTHER_CURRENT_LIABILITY, "ROUNDING"),
    XeroSystemType("Tracking", "EQUITY", AccountType.EQUITY, "TRACKINGTRANSFERS"),
    XeroSystemType("Retained Earnings", "EQUITY", AccountType.EQUITY, "RETAINEDEARNINGS"),
    XeroSystemType(
        "Unpaid Expense Claims", "CURRLIAB", AccountType.OTHER_CURRENT_LIABILITY,
        "UNPAIDEXPCLM",
    ),
    XeroSystemType("Bank Revaluations", "EXPENSE", AccountType.EXPENSE, "BANKCURRENCYGAIN"),
    XeroSystemType(
        "Unrealised Currency Gains", "EXPENSE", AccountType.EXPENSE, "UNREALISEDCURRENCYGAIN",
    ),
    XeroSystemType(
        "Realised Currency Gains", "EXPENSE", AccountType.EXPENSE, "REALISEDCURRENCYGAIN",
    ),
)
_XERO_SYSTEM_BY_KEY: dict[str, XeroSystemType] = {
    type_key(s.display_name): s for s in XERO_SYSTEM_TYPES
}
_XERO_CODE_BY_KEY: dict[str, str] = {
    **{type_key(code): code for code in XERO_CODE_TYPES},
    **{type_key(name): code for name, code in XERO_DISPLAY_NAMES.items()},
    type_key("Overheads"): "OVERHEADS",
    type_key("Non-current Liabilities"): "TERMLIAB",
}

#: Our type → the Xero API code we write (Xero has no A/R, A/P or credit-card *types*: those are
#: system accounts or bank accounts in Xero).
XERO_CODE_OF: dict[AccountType, str | None] = {
    AccountType.BANK: "BANK",
    AccountType.ACCOUNTS_RECEIVABLE: "CURRENT",
    AccountType.OTHER_CURRENT_ASSET: "CURRENT",
    AccountType.FIXED_ASSET: "FIXED",
    AccountType.OTHER_ASSET: "NONCURRENT",
    AccountType.ACCOUNTS_PAYABLE: "CURRLIAB",
    # Xero models a card as a BANK account of BankAccountType CREDITCARD, which a chart import
    # cannot create; as a current liability it keeps its class and imports cleanly.
    AccountType.CREDIT_CARD: "CURRLIAB",
    AccountType.OTHER_CURRENT_LIABILITY: "CURRLIAB",
    AccountType.LONG_TERM_LIABILITY: "TERMLIAB",
    AccountType.EQUITY: "EQUITY",
    AccountType.INCOME: "REVENUE",
    AccountType.COST_OF_GOODS_SOLD: "DIRECTCOSTS",
    AccountType.EXPENSE: "EXPENSE",
    AccountType.OTHER_INCOME: "OTHERINCOME",
    AccountType.OTHER_EXPENSE: "EXPENSE",
    AccountType.NON_POSTING: None,
}


def from_xero(code_or_display_name: str) -> AccountType | None:
    """Xero API code, CSV display name or system pseudo-type (any case) → our type."""
    key = type_key(code_or_display_name)
    if key in _XERO_SYSTEM_BY_KEY:
        return _XERO_SYSTEM_BY_KEY[key].account_type
    code = _XERO_CODE_BY_KEY.get(key)
    return XERO_CODE_TYPES[code] if code else None


def xero_account_type(remote: Mapping[str, object]) -> AccountType | None:
    """Our type for an account as Xero's API sends it: its `SystemAccount` first (DEBTORS is
    accounts receivable and CREDITORS accounts payable, though their `Type` says CURRENT and
    CURRLIAB), a BANK account of `BankAccountType` CREDITCARD is a credit card, else its
    `Type`."""
    system = str(remote.get("SystemAccount") or "").upper()
    if system == "DEBTORS":
        return AccountType.ACCOUNTS_RECEIVABLE
    if system == "CREDITORS":
        return AccountType.ACCOUNTS_PAYABLE
    kind = str(remote.get("Type") or "")
    if kind.upper() == "BANK" and str(remote.get("BankAccountType") or "").upper() == "CREDITCARD":
        return AccountType.CREDIT_CARD
    return from_xero(kind)


def xero_api_code(code_or_display_name: str) -> str | None:
    """The Xero API code for a CSV display name, system pseudo-type or code (any case)."""
    key = type_key(code_or_display_name)
    if key in _XERO_SYSTEM_BY_KEY:
        return _XERO_SYSTEM_BY_KEY[key].api_code
    return _XERO_CODE_BY_KEY.get(key)


def xero_system_type(display_name: str) -> XeroSystemType | None:
    return _XERO_SYSTEM_BY_KEY.get(type_key(display_name))


def to_xero_code(account_type: AccountType) -> str | None:
    """Our type → Xero API code; None when Xero has nothing like it (non-posting)."""
    return XERO_CODE_OF[account_type]


def to_xero_display_name(account_type: AccountType) -> str | None:
    code = XERO_CODE_OF[account_type]
    return _XERO_DISPLAY_OF_CODE.get(code) if code else None


# --- Parent:Child paths -------------------------------------------------------------------------


def split_path(full_name: str) -> tuple[str, ...]:
    """`Expenses:Travel:Meals` → ("Expenses", "Travel", "Meals"); surrounding spaces trimmed."""
    return tuple(part.strip() for part in full_name.split(PATH_SEPARATOR))


def join_path(parts: tuple[str, ...] | list[str]) -> str:
    return PATH_SEPARATOR.join(parts)


def parent_path(full_name: str) -> str | None:
    """The parent's full name, or None for a top-level account."""
    parts = split_path(full_name)
    return join_path(parts[:-1]) if len(parts) > 1 else None


def leaf_name(full_name: str) -> str:
    return split_path(full_name)[-1]


def normalise_path(full_name: str) -> str:
    """Trim each segment: `Expenses : Travel` → `Expenses:Travel`."""
    return join_path(split_path(full_name))


def validate_path(full_name: str) -> list[str]:
    """Problems with a full name: empty segments (`Expenses::Meals`, a trailing colon)."""
    if not full_name.strip():
        return ["the account name is empty"]
    if any(not part for part in split_path(full_name)):
        return [f"'{full_name}' has an empty part between colons"]
    return []


# --- The account itself -------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """One account of a company's chart. `full_name` carries the `Parent:Child` path; `name` is the
    last segment. `original_type` keeps the label of the system it came from (an IIF code, a QBO
    label, a Xero display name) beside our normalised `type`."""

    full_name: str
    type: AccountType
    code: str | None = None
    description: str = ""
    tax_code: str | None = None
    detail_type: str | None = None
    original_type: str | None = None
    source: AccountSource = AccountSource.MANUAL
    active: bool = True
    id: int | None = None
    company_id: int | None = None
    extra: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def name(self) -> str:
        return leaf_name(self.full_name)

    @property
    def parent_full_name(self) -> str | None:
        return parent_path(self.full_name)

    @property
    def depth(self) -> int:
        return len(split_path(self.full_name)) - 1

    @property
    def account_class(self) -> AccountClass:
        return self.type.account_class

    def with_changes(self, **changes: object) -> Account:
        return replace(self, **changes)  # type: ignore[arg-type]

    def validate(self) -> list[str]:
        problems = validate_path(self.full_name)
        if self.code is not None and self.code != self.code.strip():
            problems.append(f"account code '{self.code}' has spaces around it")
        return problems

    def ensure_valid(self) -> None:
        problems = self.validate()
        if problems:
            raise ValidationError(f"Account '{self.full_name}' is not valid.", problems)

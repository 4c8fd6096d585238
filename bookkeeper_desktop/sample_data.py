"""A realistic small-business company for demos and manual testing, and a generator of any
number of balanced entries for benchmarks. Deterministic: the same seed and end date give the same
books.

`create_sample_company(db, name)` makes about 60 accounts across every normalised type (with codes
and `Parent:Child` subaccounts) and a few hundred balanced entries over the year before `end`, in
every status (draft, approved, posted, void).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from decimal import Decimal

from bookkeeper_desktop.core.accounts import Account, AccountSource, AccountType
from bookkeeper_desktop.core.journal import (
    EntrySource,
    EntryStatus,
    JournalEntry,
    JournalLine,
    ensure_valid,
)
from bookkeeper_desktop.core.money import ZERO, money
from bookkeeper_desktop.core.progress import Progress, no_progress
from bookkeeper_desktop.storage import repositories
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.records import Company

T = AccountType

#: (code, full name, type, QBO detail type)
SAMPLE_CHART: tuple[tuple[str, str, AccountType, str | None], ...] = (
    ("1000", "Checking", T.BANK, "Checking"),
    ("1010", "Savings", T.BANK, "Savings"),
    ("1020", "Petty Cash", T.BANK, "CashOnHand"),
    ("1100", "Accounts Receivable", T.ACCOUNTS_RECEIVABLE, "AccountsReceivable"),
    ("1200", "Inventory Asset", T.OTHER_CURRENT_ASSET, "Inventory"),
    ("1210", "Prepaid Expenses", T.OTHER_CURRENT_ASSET, "PrepaidExpenses"),
    ("1220", "Undeposited Funds", T.OTHER_CURRENT_ASSET, "UndepositedFunds"),
    ("1500", "Equipment", T.FIXED_ASSET, "MachineryAndEquipment"),
    ("1510", "Equipment:Computers", T.FIXED_ASSET, "MachineryAndEquipment"),
    ("1520", "Equipment:Furniture", T.FIXED_ASSET, "FurnitureAndFixtures"),
    ("1530", "Equipment:Accumulated Depreciation", T.FIXED_ASSET, "AccumulatedDepreciation"),
    ("1540", "Vehicles", T.FIXED_ASSET, "Vehicles"),
    ("1800", "Security Deposits", T.OTHER_ASSET, "SecurityDeposits"),
    ("2000", "Accounts Payable", T.ACCOUNTS_PAYABLE, "AccountsPayable"),
    ("2100", "Business Visa", T.CREDIT_CARD, "CreditCard"),
    ("2110", "Fuel Card", T.CREDIT_CARD, "CreditCard"),
    ("2200", "Sales Tax Payable", T.OTHER_CURRENT_LIABILITY, "SalesTaxPayable"),
    ("2300", "Payroll Liabilities", T.OTHER_CURRENT_LIABILITY, "PayrollTaxPayable"),
    (
        "2310",
        "Payroll Liabilities:Federal Withholding",
        T.OTHER_CURRENT_LIABILITY,
        "PayrollTaxPayable",
    ),
    (
        "2320",
        "Payroll Liabilities:State Withholding",
        T.OTHER_CURRENT_LIABILITY,
        "PayrollTaxPayable",
    ),
    ("2400", "Customer Deposits", T.OTHER_CURRENT_LIABILITY, "OtherCurrentLiabilities"),
    ("2700", "Equipment Loan", T.LONG_TERM_LIABILITY, "NotesPayable"),
    ("2710", "Shareholder Loan", T.LONG_TERM_LIABILITY, "ShareholderNotesPayable"),
    ("3000", "Owner's Equity", T.EQUITY, "OwnersEquity"),
    ("3010", "Owner's Equity:Owner Contributions", T.EQUITY, "PartnerContributions"),
    ("3020", "Owner's Equity:Owner Draws", T.EQUITY, "OwnersEquity"),
    ("3100", "Opening Balance Equity", T.EQUITY, "OpeningBalanceEquity"),
    ("3200", "Retained Earnings", T.EQUITY, "RetainedEarnings"),
    ("4000", "Sales", T.INCOME, "SalesOfProductIncome"),
    ("4010", "Sales:Product Sales", T.INCOME, "SalesOfProductIncome"),
    ("4020", "Sales:Service Income", T.INCOME, "ServiceFeeIncome"),
    ("4030", "Sales:Consulting", T.INCOME, "ServiceFeeIncome"),
    ("4900", "Discounts Given", T.INCOME, "DiscountsRefundsGiven"),
    ("5000", "Cost of Goods Sold", T.COST_OF_GOODS_SOLD, "SuppliesMaterialsCogs"),
    ("5010", "Cost of Goods Sold:Materials", T.COST_OF_GOODS_SOLD, "SuppliesMaterialsCogs"),
    ("5020", "Cost of Goods Sold:Subcontractors", T.COST_OF_GOODS_SOLD, "CostOfLaborCos"),
    ("5030", "Cost of Goods Sold:Shipping", T.COST_OF_GOODS_SOLD, "ShippingFreightDeliveryCos"),
    ("6000", "Advertising", T.EXPENSE, "AdvertisingPromotional"),
    ("6010", "Bank Fees", T.EXPENSE, "BankCharges"),
    ("6020", "Insurance", T.EXPENSE, "Insurance"),
    ("6030", "Legal & Professional Fees", T.EXPENSE, "LegalProfessionalFees"),
    ("6040", "Office Expenses", T.EXPENSE, "OfficeGeneralAdministrativeExpenses"),
    ("6041", "Office Expenses:Software", T.EXPENSE, "OfficeGeneralAdministrativeExpenses"),
    ("6042", "Office Expenses:Supplies", T.EXPENSE, "SuppliesMaterials"),
    ("6050", "Rent", T.EXPENSE, "RentOrLeaseOfBuildings"),
    ("6060", "Repairs & Maintenance", T.EXPENSE, "RepairMaintenance"),
    ("6070", "Travel", T.EXPENSE, "Travel"),
    ("6071", "Travel:Meals", T.EXPENSE, "TravelMeals"),
    ("6072", "Travel:Lodging", T.EXPENSE, "Travel"),
    ("6080", "Utilities", T.EXPENSE, "Utilities"),
    ("6081", "Utilities:Phone & Internet", T.EXPENSE, "Utilities"),
    ("6090", "Wages", T.EXPENSE, "PayrollExpenses"),
    ("6091", "Wages:Payroll Taxes", T.EXPENSE, "PayrollExpenses"),
    ("6100", "Vehicle Expenses", T.EXPENSE, "Auto"),
    ("6110", "Depreciation", T.EXPENSE, "OtherMiscellaneousServiceCost"),
    ("7000", "Interest Income", T.OTHER_INCOME, "InterestEarned"),
    ("7010", "Other Income", T.OTHER_INCOME, "OtherMiscellaneousIncome"),
    ("8000", "Interest Expense", T.OTHER_EXPENSE, "OtherMiscellaneousExpense"),
    ("8010", "Penalties", T.OTHER_EXPENSE, "PenaltiesSettlements"),
    ("9000", "Purchase Orders", T.NON_POSTING, None),
    ("9010", "Estimates", T.NON_POSTING, None),
)

DEFAULT_STATUS_WEIGHTS: dict[EntryStatus, int] = {
    EntryStatus.POSTED: 70,
    EntryStatus.APPROVED: 12,
    EntryStatus.DRAFT: 12,
    EntryStatus.VOID: 6,
}
SAMPLE_ENTRY_COUNT = 360
SAMPLE_SEED = 20240101


def sample_accounts() -> list[Account]:
    """The sample chart (no ids), parents before children."""
    return [
        Account(
            full_name,
            account_type,
            code=code,
            detail_type=detail,
            original_type=account_type.label,
            source=AccountSource.SAMPLE,
        )
        for code, full_name, account_type, detail in SAMPLE_CHART
    ]


def _name(names: Sequence[str], amount: Decimal) -> str:
    """A name of `names` chosen by an amount already drawn (no new random number)."""
    return names[int(amount * 100) % len(names)]


def _amount(rng: random.Random, low: int, high: int) -> Decimal:
    """A random amount between `low` and `high` whole units, with cents."""
    return money(Decimal(rng.randint(low * 100, high * 100)) / 100)


class _Pools:
    def __init__(self, accounts: Sequence[Account]) -> None:
        usable = [
            a for a in accounts if a.active and a.id is not None and a.type is not T.NON_POSTING
        ]
        self.by_type: dict[AccountType, list[int]] = {}
        self.by_code: dict[str, int] = {}
        for account in usable:
            assert account.id is not None
            self.by_type.setdefault(account.type, []).append(account.id)
            if account.code:
                self.by_code[account.code] = account.id
        self.all = [a.id for a in usable if a.id is not None]
        if len(self.all) < 2:
            raise ValueError("generate_entries needs at least two active posting accounts")

    def prefer(self, rng: random.Random, codes: Sequence[str], *types: AccountType) -> int:
        """One of the sample chart's accounts that make sense for the line (by code), or, in a
        chart without them (benchmarks on other charts), any account of `types`."""
        ids = [self.by_code[code] for code in codes if code in self.by_code]
        return rng.choice(ids) if ids else self.pick(rng, *types)

    def pick(self, rng: random.Random, *types: AccountType) -> int:
        for account_type in types:
            ids = self.by_type.get(account_type)
            if ids:
                return rng.choice(ids)
        return rng.choice(self.all)


#: The sample company's customers and suppliers. The demo's QBO sandbox company holds the same
#: names (its seed's customers and vendors), so they match there by name; Xero creates a contact
#: by name for the first document that names one.
CUSTOMERS = ("Amy's Bird Sanctuary", "Bill's Windsurf Shop", "Cool Cars", "Diego Rodriguez",
             "Freeman Sporting Goods", "Jeff's Jalopies")
#: Who is paid for what: bills of stock, card purchases and overheads.
STOCK_SUPPLIERS = ("Norton Lumber and Building Materials", "Hicks Hardware")
CARD_SUPPLIERS = ("Computers by Jenni", "Hicks Hardware", "Lee Advertising")
OVERHEAD_SUPPLIERS = ("Cal Telephone", "PG&E", "Brosnahan Insurance Agency", "Lee Advertising")
#: The contact of a cash sale and of the net pay out of the bank (a Xero bank transaction needs
#: one; QBO journal lines on a bank account do not).
CASH_CUSTOMER = "Cash Customers"
PAYROLL_CONTACT = "Staff Payroll"
CONTACT_NAMES = (*CUSTOMERS, *dict.fromkeys(STOCK_SUPPLIERS + CARD_SUPPLIERS + OVERHEAD_SUPPLIERS),
                 CASH_CUSTOMER, PAYROLL_CONTACT)


class _OpenInvoices:
    """Posted invoices not yet paid, oldest first: a customer payment settles one of them in
    full, as a payment does at QBO and Xero."""

    def __init__(self) -> None:
        self.open: list[tuple[str, Decimal]] = []

    def settle(self) -> tuple[str, Decimal] | None:
        return self.open.pop(0) if self.open else None


#: Expense accounts a card purchase plausibly lands on (not wages, depreciation or taxes).
EVERYDAY_EXPENSES = ("6000", "6010", "6041", "6042", "6060", "6071", "6072", "6081", "6100")
#: Overheads paid from the bank account.
OVERHEADS = ("6050", "6020", "6080", "6030")


def _lines(rng: random.Random, pools: _Pools, kind: int, invoices: _OpenInvoices
           ) -> tuple[list[JournalLine], str]:
    """One of five everyday transactions (2 to 4 lines, 3 on average), each naming its customer
    or supplier. (Names are chosen from the amounts already drawn, so the random sequence, and
    with it every amount, stays what it was before contacts.)"""
    line = JournalLine
    if kind == 0:  # cash sale with sales tax
        net = _amount(rng, 40, 4000)
        tax = money((net * Decimal("0.0725")).quantize(Decimal("0.01")))
        return [
            line(pools.prefer(rng, ("1000",), T.BANK), debit=net + tax,
                 description="Deposit"),
            line(pools.prefer(rng, ("4010", "4020"), T.INCOME), credit=net, description="Sale",
                 contact=CASH_CUSTOMER),
            line(pools.prefer(rng, ("2200",), T.OTHER_CURRENT_LIABILITY), credit=tax,
                 description="Sales tax"),
        ], "Cash sale"
    if kind == 1 and rng.random() < 0.3:  # an overhead paid from the bank
        amount = _amount(rng, 300, 4500)
        return [
            line(pools.prefer(rng, OVERHEADS, T.EXPENSE), debit=amount,
                 contact=_name(OVERHEAD_SUPPLIERS, amount)),
            line(pools.prefer(rng, ("1000",), T.BANK), credit=amount),
        ], "Bank payment"
    if kind == 1:  # card expense
        amount = _amount(rng, 5, 900)
        return [
            line(pools.prefer(rng, EVERYDAY_EXPENSES, T.EXPENSE), debit=amount,
                 contact=_name(CARD_SUPPLIERS, amount)),
            line(pools.prefer(rng, ("2100", "2110"), T.CREDIT_CARD, T.BANK), credit=amount),
        ], "Card purchase"
    if kind == 2:  # payroll
        gross = _amount(rng, 1500, 5000)
        federal = money((gross * Decimal("0.12")).quantize(Decimal("0.01")))
        state = money((gross * Decimal("0.04")).quantize(Decimal("0.01")))
        return [
            line(pools.prefer(rng, ("6090",), T.EXPENSE), debit=gross, description="Gross wages",
                 contact=PAYROLL_CONTACT),
            line(pools.prefer(rng, ("1000",), T.BANK), credit=gross - federal - state,
                 description="Net pay"),
            line(
                pools.prefer(rng, ("2310",), T.OTHER_CURRENT_LIABILITY),
                credit=federal,
                description="Federal withholding",
            ),
            line(
                pools.prefer(rng, ("2320",), T.OTHER_CURRENT_LIABILITY),
                credit=state,
                description="State withholding",
            ),
        ], "Payroll"
    if kind == 3:  # stock bought on credit
        goods = _amount(rng, 100, 6000)
        freight = _amount(rng, 10, 150)
        return [
            line(pools.prefer(rng, ("1200",), T.OTHER_CURRENT_ASSET), debit=goods,
                 description="Stock"),
            line(pools.prefer(rng, ("5030",), T.COST_OF_GOODS_SOLD), debit=freight,
                 description="Freight"),
            line(pools.prefer(rng, ("2000",), T.ACCOUNTS_PAYABLE), credit=goods + freight,
                 contact=_name(STOCK_SUPPLIERS, goods)),
        ], "Bill"
    if rng.random() < 0.4:  # a customer pays an invoice into the bank
        amount = _amount(rng, 800, 5000)
        settled = invoices.settle()
        if settled is None:  # nothing invoiced yet: the customer pays a deposit up front
            return [
                line(pools.prefer(rng, ("1000",), T.BANK), debit=amount, description="Deposit"),
                line(pools.prefer(rng, ("2400",), T.OTHER_CURRENT_LIABILITY), credit=amount,
                     description="Customer deposit", contact=_name(CUSTOMERS, amount)),
            ], "Customer deposit"
        customer, amount = settled
        return [
            line(pools.prefer(rng, ("1000",), T.BANK), debit=amount, description="Deposit"),
            line(pools.prefer(rng, ("1100",), T.ACCOUNTS_RECEIVABLE), credit=amount,
                 contact=customer),
        ], "Customer payment"
    # invoice for services, part of it consulting
    service = _amount(rng, 200, 8000)
    other = _amount(rng, 0, 500)
    lines = [
        line(pools.prefer(rng, ("1100",), T.ACCOUNTS_RECEIVABLE), debit=service + other,
             contact=_name(CUSTOMERS, service)),
        line(pools.prefer(rng, ("4020", "4030"), T.INCOME), credit=service,
             description="Services"),
    ]
    if other > ZERO:
        lines.append(
            line(
                pools.prefer(rng, ("7010",), T.OTHER_INCOME, T.INCOME),
                credit=other,
                description="Reimbursed costs",
            )
        )
    return lines, "Invoice"


def generate_entries(
    n: int,
    accounts: Sequence[Account],
    *,
    seed: int = SAMPLE_SEED,
    start: dt.date | None = None,
    end: dt.date | None = None,
    status_weights: dict[EntryStatus, int] | None = None,
    source: EntrySource = EntrySource.SAMPLE,
    number_prefix: str = "JE-",
    currency: str = "USD",
) -> Iterator[JournalEntry]:
    """`n` balanced entries over `start`..`end` (default: the year before `end`, which defaults
    to today) on the given stored accounts, in date order, numbered JE-000001...

    Older entries are mostly posted; drafts and approved ones lean to the recent end, as in real
    books. Same arguments, same entries.
    """
    rng = random.Random(seed)
    last = end or dt.date.today()  # noqa: DTZ011 - a local calendar date is what is meant
    first = start or last - dt.timedelta(days=365)
    span = max(0, (last - first).days)
    weights = status_weights or DEFAULT_STATUS_WEIGHTS
    statuses, status_weights_list = list(weights), list(weights.values())
    pools = _Pools(accounts)
    invoices = _OpenInvoices()
    days = sorted(rng.randint(0, span) for _ in range(n))
    for index, offset in enumerate(days, start=1):
        lines, memo = _lines(rng, pools, rng.randrange(5), invoices)
        status = rng.choices(statuses, status_weights_list)[0]
        if offset < span * 0.7 and status in (EntryStatus.DRAFT, EntryStatus.APPROVED):
            status = EntryStatus.POSTED
        if memo == "Invoice" and status is EntryStatus.POSTED:
            invoices.open.append((lines[0].contact, lines[0].debit))
        yield JournalEntry(
            date=first + dt.timedelta(days=offset),
            lines=tuple(lines),
            number=f"{number_prefix}{index:06d}",
            memo=f"{memo} {index}",
            currency=currency,
            status=status,
            source=source,
        )


def create_sample_company(
    db: Database,
    name: str,
    *,
    entries: int = SAMPLE_ENTRY_COUNT,
    seed: int = SAMPLE_SEED,
    start: dt.date | None = None,
    end: dt.date | None = None,
    status_weights: dict[EntryStatus, int] | None = None,
    currency: str = "USD",
    actor: str | None = None,
    progress: Progress | None = None,
) -> Company:
    """A new company with the sample chart and `entries` entries, in one transaction: if
    anything fails, or `progress` is cancelled, nothing of it is left behind. `start`, `end`
    and `status_weights` as `generate_entries` takes them (a benchmark's three years of books,
    all posted)."""
    from bookkeeper_desktop.services import accounts, companies, contacts  # noqa: PLC0415
    from bookkeeper_desktop.services.common import default_actor  # noqa: PLC0415
    from bookkeeper_desktop.services.entries import BULK_CHECKPOINT_AFTER  # noqa: PLC0415

    progress = progress or no_progress()
    who = actor or default_actor()
    with db.session() as session:
        company = companies.insert_company(session, name, currency=currency, actor=who)
        stored = accounts.insert_accounts(session, company.id, sample_accounts(), actor=who)
        chart = {a.id: a for a in stored if a.id is not None}
        progress.phase("Making sample entries", entries)
        names: dict[str, tuple[str, set[str]]] = {}

        def checked() -> Iterator[JournalEntry]:
            made = generate_entries(entries, stored, seed=seed, start=start, end=end,
                                    status_weights=status_weights,
                                    currency=company.currency)
            for done, entry in enumerate(made, start=1):
                ensure_valid(entry, chart)
                contacts.collect_names(entry, chart, names)
                if done % 100 == 0 or done == entries:
                    progress.report(done, entries)
                    progress.check_cancelled()
                yield entry

        ids = repositories.bulk_insert_entries(session, company.id, checked())
        contacts.ensure_names(session, company.id, names, source="sample")
        repositories.add_audit(session, company.id, who, "bulk_create", obj=("entry", None),
                               details={"count": len(ids), "note": "sample data"})
    if entries >= BULK_CHECKPOINT_AFTER:
        db.checkpoint()
    return company

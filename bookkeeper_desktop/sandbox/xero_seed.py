"""A realistic small New Zealand business for the Xero-compatible sandbox.

The chart follows Xero's default NZ chart (codes 090–970, system accounts DEBTORS, CREDITORS, GST,
HISTORICAL, ROUNDING, TRACKINGTRANSFERS, RETAINEDEARNINGS, UNPAIDEXPCLM, and the currency accounts
BANKCURRENCYGAIN, UNREALISEDCURRENCYGAIN, REALISEDCURRENCYGAIN; FORMATS.md C1), with two bank
accounts, a credit card and one archived account. Four months of invoices, bills, payments, bank
transactions, bank transfers and manual journals are created through the same code paths as the
API, so they obey the same business rules (no manual journal touches a bank or locked system
account) and their totals, tax and ledger journals are what the API itself would produce.
Everything is derived from the tenant id and the clock, so a given seed is reproducible.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from decimal import Decimal
from typing import Any

from bookkeeper_desktop.sandbox import xero_format as fmt
from bookkeeper_desktop.sandbox.xero_books import Books, account_record

#: (code, name, type, tax type, extra fields)
CHART: tuple[tuple[str, str, str, str, dict[str, Any]], ...] = (
    ("090", "Business Bank Account", "BANK", "NONE",
     {"BankAccountNumber": "12-3456-7890123-00"}),
    ("091", "Business Savings Account", "BANK", "NONE",
     {"BankAccountNumber": "12-3456-7890123-01"}),
    ("092", "Company Credit Card", "BANK", "NONE",
     {"BankAccountNumber": "4321", "BankAccountType": "CREDITCARD"}),
    ("200", "Sales", "REVENUE", "OUTPUT2", {}),
    ("260", "Other Revenue", "REVENUE", "OUTPUT2", {}),
    ("270", "Interest Income", "REVENUE", "NONE", {}),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", "INPUT2", {}),
    ("400", "Advertising", "OVERHEADS", "INPUT2", {}),
    ("404", "Bank Fees", "OVERHEADS", "NONE", {}),
    ("408", "Cleaning", "OVERHEADS", "INPUT2", {}),
    ("412", "Consulting & Accounting", "EXPENSE", "INPUT2", {}),
    ("416", "Depreciation", "DEPRECIATN", "NONE", {}),
    ("420", "Entertainment", "OVERHEADS", "INPUT2", {}),
    ("425", "Freight & Courier", "EXPENSE", "INPUT2", {}),
    ("429", "General Expenses", "EXPENSE", "INPUT2", {"ShowInExpenseClaims": True}),
    ("433", "Insurance", "EXPENSE", "INPUT2", {}),
    ("437", "Interest Expense", "EXPENSE", "NONE", {}),
    ("441", "Legal expenses", "EXPENSE", "INPUT2", {}),
    ("445", "Light, Power, Heating", "EXPENSE", "INPUT2", {}),
    ("449", "Motor Vehicle Expenses", "EXPENSE", "INPUT2", {"ShowInExpenseClaims": True}),
    ("453", "Office Expenses", "EXPENSE", "INPUT2", {"ShowInExpenseClaims": True}),
    ("455", "Postage", "EXPENSE", "INPUT2", {"Status": "ARCHIVED"}),
    ("461", "Printing & Stationery", "EXPENSE", "INPUT2", {}),
    ("469", "Rent", "EXPENSE", "INPUT2", {}),
    ("473", "Repairs and Maintenance", "EXPENSE", "INPUT2", {}),
    ("477", "Wages and Salaries", "EXPENSE", "NONE", {}),
    ("485", "Subscriptions", "EXPENSE", "INPUT2", {}),
    ("489", "Telephone & Internet", "EXPENSE", "INPUT2", {}),
    ("493", "Travel - National", "EXPENSE", "INPUT2", {"ShowInExpenseClaims": True}),
    ("505", "Income Tax Expense", "EXPENSE", "NONE", {}),
    # The currency accounts a Xero organisation has (Bank Revaluations is locked for manual
    # journals, Realised Currency Gains is not: help.xero.com locked system accounts).
    ("497", "Bank Revaluations", "OVERHEADS", "NONE", {"SystemAccount": "BANKCURRENCYGAIN"}),
    ("498", "Unrealised Currency Gains", "OVERHEADS", "NONE",
     {"SystemAccount": "UNREALISEDCURRENCYGAIN"}),
    ("499", "Realised Currency Gains", "OVERHEADS", "NONE",
     {"SystemAccount": "REALISEDCURRENCYGAIN"}),
    ("610", "Accounts Receivable", "CURRENT", "NONE", {"SystemAccount": "DEBTORS"}),
    ("620", "Prepayments", "CURRENT", "NONE", {}),
    ("630", "Inventory", "INVENTORY", "NONE", {}),
    ("710", "Office Equipment", "FIXED", "INPUT2", {}),
    ("711", "Less Accumulated Depreciation on Office Equipment", "FIXED", "NONE", {}),
    ("720", "Computer Equipment", "FIXED", "INPUT2", {}),
    ("721", "Less Accumulated Depreciation on Computer Equipment", "FIXED", "NONE", {}),
    ("800", "Accounts Payable", "CURRLIAB", "NONE", {"SystemAccount": "CREDITORS"}),
    ("801", "Unpaid Expense Claims", "CURRLIAB", "NONE", {"SystemAccount": "UNPAIDEXPCLM"}),
    ("814", "Wages Payable", "CURRLIAB", "NONE", {}),
    ("820", "GST", "CURRLIAB", "NONE", {"SystemAccount": "GST"}),
    ("830", "Income Tax", "CURRLIAB", "NONE", {}),
    ("840", "Historical Adjustment", "CURRLIAB", "NONE", {"SystemAccount": "HISTORICAL"}),
    ("850", "Suspense", "CURRLIAB", "NONE", {}),
    ("860", "Rounding", "CURRLIAB", "NONE", {"SystemAccount": "ROUNDING"}),
    ("877", "Tracking Transfers", "EQUITY", "NONE", {"SystemAccount": "TRACKINGTRANSFERS"}),
    ("880", "Owner A Drawings", "EQUITY", "NONE", {}),
    ("881", "Owner A Funds Introduced", "EQUITY", "NONE", {}),
    ("900", "Loan", "TERMLIAB", "NONE", {}),
    ("960", "Retained Earnings", "EQUITY", "NONE", {"SystemAccount": "RETAINEDEARNINGS"}),
    ("970", "Owner A Share Capital", "EQUITY", "NONE", {}),
)

CUSTOMERS = ("Ridgeway University", "Hamilton Smith Ltd", "Bayside Club", "Marine Systems")
SUPPLIERS = ("PowerDirect", "Swanston Security", "Capital Cab Co", "Central Copiers")
TRACKING = {"Region": ["North", "South", "Eastside"], "Department": ["Sales", "Operations"]}
SEED_DAYS = 120


def organisation_record(tenant_id: str, name: str, created_ms: int) -> dict[str, Any]:
    """An Organisation as Xero returns it (xero-python `Organisation` fields); the
    OrganisationID is the tenant id, as `GET /connections` reports it."""
    return {
        "OrganisationID": tenant_id, "APIKey": "", "Name": name, "LegalName": f"{name} Limited",
        "PaysTax": True, "Version": "NZ", "OrganisationType": "COMPANY", "BaseCurrency": "NZD",
        "CountryCode": "NZ", "IsDemoCompany": False, "OrganisationStatus": "ACTIVE",
        "RegistrationNumber": "", "TaxNumber": "101-234-567", "FinancialYearEndDay": 31,
        "FinancialYearEndMonth": 3, "SalesTaxBasis": "PAYMENTS", "SalesTaxPeriod": "TWOMONTHS",
        "DefaultSalesTax": "Tax Exclusive", "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": fmt.ms_envelope(created_ms), "OrganisationEntityType": "COMPANY",
        "Timezone": "NEWZEALANDSTANDARDTIME", "ShortCode": "!" + tenant_id.replace("-", "")[:5],
        "Edition": "BUSINESS", "Class": "STANDARD", "LineOfBusiness": "Professional services",
        "Addresses": [{"AddressType": "STREET", "AddressLine1": "23 Main Street",
                       "City": "Wellington", "PostalCode": "6011", "Country": "New Zealand"}],
        "Phones": [{"PhoneType": "OFFICE", "PhoneNumber": "4 555 0101"}],
        "ExternalLinks": [], "PaymentTerms": {"Bills": {"Day": 20, "Type": "OFFOLLOWINGMONTH"},
                                              "Sales": {"Day": 20, "Type": "OFFOLLOWINGMONTH"}},
    }


class _Seeder:
    def __init__(self, books: Books, now: dt.datetime, rng: random.Random) -> None:
        self.books = books
        self.now = now
        self.rng = rng
        self.start = now.date() - dt.timedelta(days=SEED_DAYS)

    def at(self, day: dt.date) -> int:
        """A working-hours moment on `day`, never later than now."""
        moment = dt.datetime(day.year, day.month, day.day, 9, tzinfo=dt.UTC) + dt.timedelta(
            minutes=self.rng.randrange(0, 8 * 60), seconds=self.rng.randrange(60))
        return fmt.millis(min(moment, self.now - dt.timedelta(minutes=5)))

    def day(self, offset: int) -> dt.date:
        return min(self.start + dt.timedelta(days=offset), self.now.date())

    def amount(self, low: int, high: int) -> Decimal:
        return Decimal(self.rng.randrange(low * 100, high * 100)) / 100

    def invoice(self, kind: str, contact: str, offset: int, lines: list[tuple[str, str, Decimal]],
                *, status: str = "AUTHORISED", reference: str = "") -> dict[str, Any]:
        day = self.day(offset)
        at = self.at(day)
        record = self.books.invoice({
            "Type": kind, "Contact": {"Name": contact}, "Date": day.isoformat(),
            "DueDate": (day + dt.timedelta(days=20)).isoformat(), "Status": status,
            "LineAmountTypes": "Exclusive", "Reference": reference,
            "LineItems": [{"Description": d, "Quantity": 1, "UnitAmount": a, "AccountCode": c}
                          for d, c, a in lines]}, at, day)
        self.books.save_invoice(record, at)
        return record

    def pay(self, invoice: dict[str, Any], days_later: int, bank: str = "090") -> None:
        day = min(fmt.day_of(invoice["Date"]) + dt.timedelta(days=days_later), self.now.date())
        at = self.at(day)
        payment = self.books.payment({
            "Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Account": {"Code": bank},
            "Date": day.isoformat(), "Amount": invoice["AmountDue"],
            "Reference": invoice["InvoiceNumber"] or invoice["Reference"]}, at, day)
        self.books.save_payment(payment, at)

    def bank(self, kind: str, contact: str, offset: int, *, code: str, description: str,
             amount: Decimal, bank: str = "090", amount_types: str = "Inclusive",
             reference: str = "") -> dict[str, Any]:
        day = self.day(offset)
        at = self.at(day)
        record = self.books.bank_transaction({
            "Type": kind, "Contact": {"Name": contact}, "BankAccount": {"Code": bank},
            "Date": day.isoformat(), "LineAmountTypes": amount_types, "Reference": reference,
            "LineItems": [{"Description": description, "Quantity": 1, "UnitAmount": amount,
                           "AccountCode": code}]}, at, day)
        self.books.save_bank_transaction(record, at)
        return record

    def transfer(self, offset: int, amount: Decimal, *, source: str = "090",
                 target: str = "091", reference: str = "") -> dict[str, Any]:
        """A BankTransfer made through the same validation as `PUT BankTransfers`."""
        day = self.day(offset)
        at = self.at(day)
        record = self.books.bank_transfer({
            "FromBankAccount": {"Code": source}, "ToBankAccount": {"Code": target},
            "Amount": amount, "Date": day.isoformat(), "Reference": reference}, at, day)
        self.books.save_bank_transfer(record, at)
        return record

    def journal(self, offset: int, narration: str, lines: list[tuple[str, Decimal, str]],
                status: str = "POSTED", tracking: list[dict[str, str]] | None = None
                ) -> dict[str, Any]:
        day = self.day(offset)
        at = self.at(day)
        record = self.books.manual_journal({
            "Narration": narration, "Date": day.isoformat(), "Status": status,
            "LineAmountTypes": "NoTax",
            "JournalLines": [{"AccountCode": c, "LineAmount": a, "Description": d,
                              "TaxType": "NONE", **({"Tracking": tracking} if tracking else {})}
                             for c, a, d in lines]}, None, at, day)
        self.books.save_manual_journal(record, None, at)
        return record


def seed_books(tenant_id: str, name: str, now: dt.datetime, *, advanced: bool = False) -> Books:
    """A freshly seeded organisation as of `now` (aware UTC)."""
    digest = hashlib.sha256(tenant_id.encode("utf-8")).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    created = now - dt.timedelta(days=SEED_DAYS + 30)
    created_ms = fmt.millis(created)
    books = Books(tenant_id=tenant_id, organisation=organisation_record(tenant_id, name,
                                                                        created_ms),
                  advanced=advanced, rng=rng)
    books.tracking = {k: list(v) for k, v in TRACKING.items()}
    for code, account_name, kind, tax_type, extra in CHART:
        books.store("Accounts", account_record(books, code, account_name, kind, tax_type,
                                               now_ms=created_ms, **extra))
    for contact in CUSTOMERS:
        books.new_contact({"Name": contact, "IsCustomer": True}, created_ms)
    for contact in SUPPLIERS:
        books.new_contact({"Name": contact, "IsSupplier": True}, created_ms)

    seed = _Seeder(books, now, rng)
    # Sales invoices every ten days; most are paid within three weeks.
    for index in range(12):
        customer = CUSTOMERS[index % len(CUSTOMERS)]
        lines = [("Consulting services", "200", seed.amount(400, 4000))]
        if index % 3 == 0:
            lines.append(("Travel recharge", "260", seed.amount(50, 300)))
        status = "DRAFT" if index == 11 else "AUTHORISED"
        invoice = seed.invoice("ACCREC", customer, 2 + index * 10, lines, status=status)
        if index < 8:
            seed.pay(invoice, 5 + rng.randrange(15))
    void_me = seed.invoice("ACCREC", CUSTOMERS[0], 45, [("Entered twice", "200",
                                                         Decimal("750.00"))])
    books.set_status("Invoices", void_me, "VOIDED", seed.at(seed.day(46)))
    # Bills: rent, power and phone, monthly.
    for month in range(4):
        offset = 5 + month * 30
        bills = [
            seed.invoice("ACCPAY", SUPPLIERS[0], offset, [("Power", "445",
                                                           seed.amount(180, 420))],
                         reference=f"PD-{7100 + month}"),
            seed.invoice("ACCPAY", SUPPLIERS[1], offset + 1, [("Monitoring", "473",
                                                               Decimal("95.00"))],
                         reference=f"SS-{300 + month}"),
        ]
        if month < 3:
            for bill in bills:
                seed.pay(bill, 18)
    # Day-to-day bank transactions.
    for week in range(16):
        offset = 3 + week * 7
        if week % 2 == 0:
            seed.bank("SPEND", "ANZ Bank", offset, code="404", description="Monthly account fee",
                      amount=Decimal("12.50"), amount_types="NoTax")
        else:
            seed.bank("SPEND", SUPPLIERS[2], offset, code="493", description="Taxi to client",
                      amount=seed.amount(20, 80), bank="092")
        if week % 4 == 3:
            seed.bank("RECEIVE", "ANZ Bank", offset + 1, code="270", description="Interest",
                      amount=seed.amount(5, 30), bank="091", amount_types="NoTax")
    deleted = seed.bank("SPEND", SUPPLIERS[3], 60, code="461", description="Toner (duplicate)",
                        amount=Decimal("89.00"))
    books.set_status("BankTransactions", deleted, "DELETED", seed.at(seed.day(61)))
    # Money moved between the bank accounts: savings each month, the card paid off once.
    for month in range(3):
        seed.transfer(20 + month * 30, Decimal("500.00"), reference="Monthly savings")
    seed.transfer(75, Decimal("240.00"), target="092", reference="Credit card payment")
    # Month-end manual journals.
    for month in range(4):
        offset = 28 + month * 30
        seed.journal(offset, "Depreciation - office equipment",
                     [("416", Decimal("125.00"), "Monthly depreciation"),
                      ("711", Decimal("-125.00"), "Monthly depreciation")])
        wages = seed.amount(2800, 3400)
        seed.journal(offset, "Accrued wages",
                     [("477", wages, "Wages accrued at month end"),
                      ("814", -wages, "Wages accrued at month end")],
                     tracking=[{"Name": "Department", "Option": "Operations"}])
    seed.journal(40, "Prepaid insurance released",
                 [("433", Decimal("210.00"), ""), ("620", Decimal("-210.00"), "")])
    seed.journal(70, "Shareholder loan converted to funds introduced",
                 [("900", Decimal("5000.00"), ""), ("881", Decimal("-5000.00"), "")])
    seed.journal(SEED_DAYS - 2, "Accrual for audit fees (to review)",
                 [("412", Decimal("1500.00"), ""), ("850", Decimal("-1500.00"), "")],
                 status="DRAFT")
    wrong = seed.journal(90, "Reclassify stationery",
                         [("461", Decimal("64.00"), ""), ("453", Decimal("-64.00"), "")])
    void_at = seed.at(seed.day(91))
    voided = books.manual_journal({"Status": "VOIDED"}, wrong, void_at, seed.day(91))
    books.save_manual_journal(voided, wrong, void_at)
    books.rng = None
    return books

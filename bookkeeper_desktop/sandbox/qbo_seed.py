"""The company every new sandbox realm starts with: a small US consulting business.

A chart of 40 accounts covering each of the fifteen account types QBO supports (FORMATS.md B4: QBO
has no Non-Posting accounts), with detail types from Intuit's `AccountSubTypeEnum`
(`reference/qbo_account_subtypes.txt`) and account numbers; customers, vendors and service items;
and about fifty transactions of every kind the sync pulls (JournalEntry, Purchase, Deposit,
Transfer, Invoice, Payment, Bill, BillPayment) dated over the last four months, created through the
same checks as the API. Amounts come from a seeded `random.Random`, so a realm id and seed always
give the same company.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from bookkeeper_desktop.core.money import money

Create = Callable[[str, Mapping[str, Any], dt.datetime], dict[str, Any]]

#: (AcctNum, Name, AccountType, AccountSubType, parent AcctNum or None)
ACCOUNTS: tuple[tuple[str, str, str, str, str | None], ...] = (
    ("1000", "Business Checking", "Bank", "Checking", None),
    ("1010", "Business Savings", "Bank", "Savings", None),
    ("1020", "Petty Cash", "Bank", "CashOnHand", None),
    ("1200", "Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable", None),
    ("1300", "Undeposited Funds", "Other Current Asset", "UndepositedFunds", None),
    ("1310", "Prepaid Expenses", "Other Current Asset", "PrepaidExpenses", None),
    ("1320", "Inventory Asset", "Other Current Asset", "Inventory", None),
    ("1500", "Computer Equipment", "Fixed Asset", "FixedAssetComputers", None),
    ("1510", "Furniture & Fixtures", "Fixed Asset", "FurnitureAndFixtures", None),
    ("1520", "Vehicles", "Fixed Asset", "Vehicles", None),
    ("1590", "Accumulated Depreciation", "Fixed Asset", "AccumulatedDepreciation", None),
    ("1800", "Security Deposits", "Other Asset", "SecurityDeposits", None),
    ("1810", "Long-term Investments", "Other Asset", "OtherLongTermAssets", None),
    ("2000", "Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable", None),
    ("2100", "Business Visa", "Credit Card", "CreditCard", None),
    ("2200", "Sales Tax Payable", "Other Current Liability", "SalesTaxPayable", None),
    ("2210", "Payroll Liabilities", "Other Current Liability", "PayrollTaxPayable", None),
    ("2220", "Accrued Liabilities", "Other Current Liability", "AccruedLiabilities", None),
    ("2700", "Equipment Loan", "Long Term Liability", "NotesPayable", None),
    ("2710", "SBA Loan", "Long Term Liability", "OtherLongTermLiabilities", None),
    ("3000", "Opening Balance Equity", "Equity", "OpeningBalanceEquity", None),
    ("3100", "Owner's Investment", "Equity", "OwnersEquity", None),
    ("3200", "Owner's Draw", "Equity", "PartnerDistributions", None),
    ("3300", "Retained Earnings", "Equity", "RetainedEarnings", None),
    ("4000", "Consulting Income", "Income", "ServiceFeeIncome", None),
    ("4010", "Training Income", "Income", "ServiceFeeIncome", None),
    ("4020", "Product Sales", "Income", "SalesOfProductIncome", None),
    ("4090", "Discounts Given", "Income", "DiscountsRefundsGiven", None),
    ("5000", "Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs", None),
    ("5010", "Subcontractors", "Cost of Goods Sold", "CostOfLaborCos", None),
    ("6000", "Advertising & Marketing", "Expense", "AdvertisingPromotional", None),
    ("6010", "Bank Charges & Fees", "Expense", "BankCharges", None),
    ("6020", "Insurance", "Expense", "Insurance", None),
    ("6030", "Legal & Professional Fees", "Expense", "LegalProfessionalFees", None),
    ("6040", "Office Supplies & Software", "Expense", "OfficeGeneralAdministrativeExpenses",
     None),
    ("6050", "Rent & Lease", "Expense", "RentOrLeaseOfBuildings", None),
    ("6060", "Utilities", "Expense", "Utilities", None),
    ("6070", "Travel", "Expense", "Travel", None),
    ("6080", "Meals", "Expense", "EntertainmentMeals", "6070"),
    ("6100", "Payroll Expenses", "Expense", "PayrollExpenses", None),
    ("6110", "Wages", "Expense", "PayrollExpenses", "6100"),
    ("7000", "Interest Earned", "Other Income", "InterestEarned", None),
    ("7010", "Other Income", "Other Income", "OtherMiscellaneousIncome", None),
    ("8000", "Depreciation", "Other Expense", "Depreciation", None),
    ("8010", "Penalties & Settlements", "Other Expense", "PenaltiesSettlements", None),
)
CUSTOMERS = ("Amy's Bird Sanctuary", "Bill's Windsurf Shop", "Cool Cars", "Diego Rodriguez",
             "Freeman Sporting Goods", "Jeff's Jalopies")
VENDORS = ("Brosnahan Insurance Agency", "Cal Telephone", "Computers by Jenni", "Hicks Hardware",
           "Lee Advertising", "Norton Lumber and Building Materials", "PG&E")
#: (Name, income account number, unit price)
ITEMS = (("Consulting Hours", "4000", "150.00"), ("Training Day", "4010", "1200.00"),
         ("Hardware Kit", "4020", "340.00"), ("Support Plan", "4000", "95.00"))


def company_info(name: str, start: dt.date) -> dict[str, Any]:
    """The `CompanyInfo` object (python-quickbooks `CompanyInfo` properties)."""
    address = {"Id": "1", "Line1": "123 Sierra Way", "City": "San Pablo",
               "CountrySubDivisionCode": "CA", "PostalCode": "87999"}
    return {
        "CompanyName": name,
        "LegalName": f"{name} LLC",
        "CompanyAddr": address,
        "CustomerCommunicationAddr": dict(address),
        "LegalAddr": dict(address),
        "PrimaryPhone": {"FreeFormNumber": "(650) 944-4444"},
        "CompanyStartDate": start.isoformat(),
        "FiscalYearStartMonth": "January",
        "Country": "US",
        "Email": {"Address": "owner@example.com"},
        "WebAddr": {},
        "SupportedLanguages": "en",
        "NameValue": [
            {"Name": "NeoEnabled", "Value": "true"},
            {"Name": "IndustryType", "Value": "Professional, Scientific, and Technical Services"},
            {"Name": "CompanyType", "Value": "Other"},
            {"Name": "SubscriptionStatus", "Value": "SUBSCRIBED"},
            {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"},
            {"Name": "AssignedTime", "Value": f"{start.isoformat()}T09:00:00-08:00"},
        ],
    }


class _Builder:
    def __init__(self, create: Create, now: dt.datetime, seed: int) -> None:
        self.create = create
        self.now = now
        self.rng = random.Random(seed)
        self.accounts: dict[str, str] = {}  # AcctNum → Id
        self.customers: list[str] = []
        self.vendors: list[str] = []
        self.items: list[tuple[str, Decimal]] = []
        self.invoices: list[dict[str, Any]] = []
        self.bills: list[dict[str, Any]] = []

    def amount(self, low: int, high: int) -> Decimal:
        return money(Decimal(self.rng.randint(low * 100, high * 100)) / 100)

    def ref(self, acct_num: str) -> dict[str, str]:
        return {"value": self.accounts[acct_num]}

    def moment(self, day: dt.date) -> dt.datetime:
        """When the seeded transaction was entered: a working hour on its date, never later
        than a minute before now."""
        at = dt.datetime.combine(day, dt.time(9 + self.rng.randint(0, 8), self.rng.randint(0, 59)),
                                 tzinfo=dt.UTC) + dt.timedelta(hours=8)
        return min(at, self.now - dt.timedelta(minutes=1))

    def lists(self) -> None:
        setup = self.now - dt.timedelta(days=365)
        for acct_num, name, account_type, subtype, parent in ACCOUNTS:
            body: dict[str, Any] = {"Name": name, "AccountType": account_type,
                                    "AccountSubType": subtype, "AcctNum": acct_num}
            if parent:
                body["ParentRef"] = self.ref(parent)
            self.accounts[acct_num] = self.create("Account", body, setup)["Id"]
        for name in CUSTOMERS:
            body = {"DisplayName": name, "CompanyName": name,
                    "PrimaryEmailAddr": {"Address": f"billing@{_slug(name)}.example.com"}}
            self.customers.append(self.create("Customer", body, setup)["Id"])
        for name in VENDORS:
            body = {"DisplayName": name, "CompanyName": name}
            self.vendors.append(self.create("Vendor", body, setup)["Id"])
        for name, income, price in ITEMS:
            body = {"Name": name, "Type": "Service", "IncomeAccountRef": self.ref(income),
                    "UnitPrice": money(price)}
            self.items.append((self.create("Item", body, setup)["Id"], money(price)))

    def journal(self, day: dt.date, doc: str, memo: str,
                lines: list[tuple[str, str, Decimal, str]]) -> None:
        body = {
            "DocNumber": doc, "TxnDate": day.isoformat(), "PrivateNote": memo,
            "Line": [{
                "Description": description, "Amount": value,
                "DetailType": "JournalEntryLineDetail",
                "JournalEntryLineDetail": {"PostingType": side, "AccountRef": self.ref(acct)},
            } for side, acct, value, description in lines],
        }
        self.create("JournalEntry", body, self.moment(day))

    def month(self, index: int, first: dt.date) -> None:
        rng = self.rng

        def day(offset: int) -> dt.date:
            return min(first + dt.timedelta(days=offset),
                       self.now.date() - dt.timedelta(days=1))

        depreciation = self.amount(180, 260)
        self.journal(day(27), f"JE-{index}01", "Monthly depreciation", [
            ("Debit", "8000", depreciation, "Depreciation of equipment"),
            ("Credit", "1590", depreciation, "Accumulated depreciation"),
        ])
        wages = self.amount(6000, 9000)
        taxes = money(wages * Decimal("0.0765") // Decimal("0.01") * Decimal("0.01"))
        self.journal(day(14), f"JE-{index}02", "Payroll for the first half of the month", [
            ("Debit", "6110", wages, "Gross wages"),
            ("Credit", "2210", taxes, "Payroll taxes withheld"),
            ("Credit", "1000", wages - taxes, "Net pay"),
        ])
        prepaid = self.amount(200, 400)
        self.journal(day(1), f"JE-{index}03", "Insurance prepaid this month", [
            ("Debit", "6020", prepaid, ""),
            ("Credit", "1310", prepaid, ""),
        ])
        for offset, acct, pay_type, vendor, low, high in (
            (3, "1000", "Check", 5, 2400, 2400),
            (6, "2100", "CreditCard", 2, 80, 900),
            (11, "2100", "CreditCard", 4, 150, 1200),
            (19, "1020", "Cash", 3, 10, 90),
        ):
            expense = {"1000": "6050", "2100": rng.choice(["6040", "6000", "6070", "6080"]),
                       "1020": "6040"}[acct]
            value = self.amount(low, high)
            body: dict[str, Any] = {
                "TxnDate": day(offset).isoformat(), "PaymentType": pay_type,
                "AccountRef": self.ref(acct),
                "EntityRef": {"value": self.vendors[vendor], "type": "Vendor"},
                "Line": [{"Amount": value, "DetailType": "AccountBasedExpenseLineDetail",
                          "Description": "Office rent" if expense == "6050" else "Supplies",
                          "AccountBasedExpenseLineDetail": {"AccountRef": self.ref(expense)}}],
            }
            if pay_type == "Check":
                body["DocNumber"] = str(1040 + index)
            self.create("Purchase", body, self.moment(day(offset)))
        for number in range(3):
            item_id, price = self.items[rng.randrange(len(self.items))]
            qty = rng.randint(1, 12)
            on = day(2 + number * 9)
            invoice = self.create("Invoice", {
                "DocNumber": f"{1000 + index * 10 + number}", "TxnDate": on.isoformat(),
                "CustomerRef": {"value": rng.choice(self.customers)},
                "Line": [{"Amount": price * qty, "DetailType": "SalesItemLineDetail",
                          "Description": "Services rendered",
                          "SalesItemLineDetail": {"ItemRef": {"value": item_id},
                                                  "Qty": qty, "UnitPrice": price}}],
            }, self.moment(on))
            self.invoices.append(invoice)
        for invoice in self.invoices[-3:-1]:
            on = min(dt.date.fromisoformat(invoice["TxnDate"]) + dt.timedelta(days=12),
                     self.now.date())
            self.create("Payment", {
                "TxnDate": on.isoformat(), "CustomerRef": invoice["CustomerRef"],
                "TotalAmt": invoice["TotalAmt"], "DepositToAccountRef": self.ref("1000"),
                "PaymentRefNum": str(5000 + len(self.invoices)),
                "Line": [{"Amount": invoice["TotalAmt"],
                          "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
            }, self.moment(on))
        interest = self.amount(3, 40)
        self.create("Deposit", {
            "TxnDate": day(28).isoformat(), "DepositToAccountRef": self.ref("1010"),
            "PrivateNote": "Interest and a refund",
            "Line": [
                {"Amount": interest, "DetailType": "DepositLineDetail",
                 "DepositLineDetail": {"AccountRef": self.ref("7000")}},
                {"Amount": self.amount(20, 150), "DetailType": "DepositLineDetail",
                 "DepositLineDetail": {"AccountRef": self.ref("7010")}},
            ],
        }, self.moment(day(28)))
        self.create("Transfer", {
            "TxnDate": day(15).isoformat(), "Amount": self.amount(500, 3000),
            "FromAccountRef": self.ref("1000"), "ToAccountRef": self.ref("1010"),
            "PrivateNote": "Move to savings",
        }, self.moment(day(15)))
        for number, (vendor, expense) in enumerate(((0, "6020"), (1, "6060"))):
            on = day(4 + number * 10)
            bill = self.create("Bill", {
                "DocNumber": f"B-{index}{number}", "TxnDate": on.isoformat(),
                "VendorRef": {"value": self.vendors[vendor]},
                "Line": [{"Amount": self.amount(90, 700),
                          "DetailType": "AccountBasedExpenseLineDetail",
                          "AccountBasedExpenseLineDetail": {"AccountRef": self.ref(expense)}}],
            }, self.moment(on))
            self.bills.append(bill)
        bill = self.bills[-2]
        on = min(dt.date.fromisoformat(bill["TxnDate"]) + dt.timedelta(days=9), self.now.date())
        self.create("BillPayment", {
            "TxnDate": on.isoformat(), "VendorRef": bill["VendorRef"], "PayType": "Check",
            "DocNumber": str(2040 + index),
            "CheckPayment": {"BankAccountRef": self.ref("1000")},
            "TotalAmt": bill["TotalAmt"],
            "Line": [{"Amount": bill["TotalAmt"],
                      "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
        }, self.moment(on))


def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def populate(create: Create, now: dt.datetime, seed: int) -> None:
    """Create the lists and four months of transactions through `create(entity, body, at)`."""
    builder = _Builder(create, now, seed)
    builder.lists()
    builder.journal((now - dt.timedelta(days=125)).date(), "JE-OPEN", "Opening balances", [
        ("Debit", "1000", money("25000.00"), "Opening bank balance"),
        ("Debit", "1500", money("8400.00"), "Computers"),
        ("Credit", "2700", money("8400.00"), "Equipment loan"),
        ("Credit", "3000", money("25000.00"), "Opening balance equity"),
    ])
    # Four 30-day periods ending yesterday, so the last one sits inside CDC's 30-day window.
    for index, days_back in enumerate((120, 90, 60, 30), start=1):
        builder.month(index, now.date() - dt.timedelta(days=days_back))

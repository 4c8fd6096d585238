"""Sandbox companies that hold the sample company's own chart and contacts, for `--demo`: a QBO
company and a Xero organisation whose accounts have the sample chart's numbers, names and types
(`sample_data.SAMPLE_CHART`), and whose customers and suppliers are the sample's
(`sample_data.CONTACT_NAMES`), with no transactions. Connected to the sample company, every
account pairs exactly (same number, same type), so mapping needs no step, and Sync Now sends the
sample's entries with nothing refused (issue #12 "A demo that tells a coherent story"; issue #11
item 6).

QBO: sub-accounts keep their parent (`ParentRef`), so QBO's FullyQualifiedName is our full name.
Xero has no sub-accounts: the account takes the last part of the name; receivable and payable
are Xero's system accounts (DEBTORS, CREDITORS) under the sample's numbers, cards are bank
accounts of type CREDITCARD, and the organisation is a US one in USD (the sample company's
currency, so its entries keep it), with Xero's own Sales Tax system account beside the
sample's. Non-posting accounts (estimates, purchase orders) exist in neither service's chart API
and are left out.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Mapping
from typing import Any

from bookkeeper_desktop.core.accounts import AccountType, leaf_name, to_qbo_api, to_xero_code
from bookkeeper_desktop.sample_data import CONTACT_NAMES, CUSTOMERS, SAMPLE_CHART
from bookkeeper_desktop.sandbox import xero_format as fmt
from bookkeeper_desktop.sandbox.xero_books import Books, account_record
from bookkeeper_desktop.sandbox.xero_seed import organisation_record

Create = Callable[[str, Mapping[str, Any], dt.datetime], dict[str, Any]]
#: Xero SystemAccount of the sample accounts Xero keeps itself.
_XERO_SYSTEM = {AccountType.ACCOUNTS_RECEIVABLE: "DEBTORS",
                AccountType.ACCOUNTS_PAYABLE: "CREDITORS"}


def _posting_chart() -> list[tuple[str, str, AccountType, str | None]]:
    return [row for row in SAMPLE_CHART if row[2] is not AccountType.NON_POSTING]


def populate_qbo(create: Create, now: dt.datetime) -> None:
    """The sample chart, customers and vendors through `create(entity, body, at)`."""
    setup = now - dt.timedelta(days=365)
    ids: dict[str, str] = {}
    for code, full_name, account_type, detail in _posting_chart():
        body: dict[str, Any] = {"Name": leaf_name(full_name), "AcctNum": code,
                                "AccountType": to_qbo_api(account_type)}
        if detail:
            body["AccountSubType"] = detail
        parent = full_name.rpartition(":")[0]
        if parent:
            body["ParentRef"] = {"value": ids[parent]}
        ids[full_name] = str(create("Account", body, setup)["Id"])
    for name in CONTACT_NAMES:
        entity = "Customer" if name in CUSTOMERS else "Vendor"
        create(entity, {"DisplayName": name, "CompanyName": name}, setup)


def sample_books(tenant_id: str, name: str, now: dt.datetime) -> Books:
    """A Xero organisation with the sample chart and contacts (see the module docstring)."""
    created_ms = fmt.millis(now - dt.timedelta(days=365))
    organisation = organisation_record(tenant_id, name, created_ms)
    organisation.update({
        "Version": "US", "BaseCurrency": "USD", "CountryCode": "US", "PaysTax": False,
        "LegalName": f"{name} LLC", "Timezone": "EASTERNSTANDARDTIME", "TaxNumber": "",
        "FinancialYearEndMonth": 12, "SalesTaxBasis": "NONE", "SalesTaxPeriod": "NONE",
        "DefaultSalesTax": "Tax Exclusive", "DefaultPurchasesTax": "Tax Exclusive",
        "Addresses": [{"AddressType": "STREET", "AddressLine1": "100 Main Street",
                       "City": "Springfield", "PostalCode": "62701",
                       "Country": "United States"}],
    })
    books = Books(tenant_id=tenant_id, organisation=organisation, advanced=False,
                  rng=random.Random(tenant_id))
    for number, (code, full_name, account_type, _) in enumerate(_posting_chart()):
        extra: dict[str, Any] = {}
        kind = to_xero_code(account_type) or "EXPENSE"
        if account_type in _XERO_SYSTEM:
            extra["SystemAccount"] = _XERO_SYSTEM[account_type]
        elif full_name == "Retained Earnings":
            extra["SystemAccount"] = "RETAINEDEARNINGS"
        elif account_type in (AccountType.BANK, AccountType.CREDIT_CARD):
            kind = "BANK"
            extra["BankAccountNumber"] = f"{9100 + number}"
            if account_type is AccountType.CREDIT_CARD:
                extra["BankAccountType"] = "CREDITCARD"
        books.store("Accounts", account_record(books, code, leaf_name(full_name), kind, "NONE",
                                               now_ms=created_ms, **extra))
    # Every Xero organisation has its tax system account (a US one calls it Sales Tax); the
    # sample's own "Sales Tax Payable" stays an ordinary liability its entries post to.
    books.store("Accounts", account_record(books, "2205", "Sales Tax", "CURRLIAB", "NONE",
                                           now_ms=created_ms, SystemAccount="GST"))
    for contact in CONTACT_NAMES:
        role = "IsCustomer" if contact in CUSTOMERS else "IsSupplier"
        books.new_contact({"Name": contact, role: True}, created_ms)
    return books

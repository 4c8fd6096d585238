"""The one read of a provider's whole chart of accounts (`QboClient.accounts`,
`XeroClient.accounts`), used by a push-only connection's pull (`sync.pull.pull_accounts`) and by
"Create in QuickBooks Online / Xero" (`services.remote_accounts`), against the real sandboxes."""

from __future__ import annotations

from bookkeeper_desktop.sync.clients import QBO_PAGE
from tests.sync.conftest import Books


def test_the_qbo_chart_is_read_whole_across_its_pages(qbo: Books) -> None:
    api = qbo.sandbox.api
    seeded = len(api.objects(qbo.tenant, "Account"))
    for number in range(QBO_PAGE + 1 - seeded):
        api.remote_create(qbo.tenant, "Account", {
            "Name": f"Expense {number:04d}", "AccountType": "Expense",
            "AccountSubType": "OfficeGeneralAdministrativeExpenses"})
    there = [str(account["Id"]) for account in api.objects(qbo.tenant, "Account")]
    assert len(there) == QBO_PAGE + 1  # one more than a page: the read must ask for a second
    with qbo.client() as client:
        read = client.accounts(progress=None)
    assert [str(account["Id"]) for account in read] == there


def test_the_xero_chart_is_read_whole(xero: Books) -> None:
    there = {str(a["AccountID"]) for a in xero.sandbox.api.objects(xero.tenant, "Accounts")}
    assert there
    with xero.client() as client:
        read = client.accounts(progress=None)
    assert {str(account["AccountID"]) for account in read} == there

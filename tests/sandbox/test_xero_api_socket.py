"""xero-python's AccountingApi against the Xero sandbox server on a real loopback socket, with this
accounting API behind it: the calls our sync makes (accounts, manual journals with
summarizeErrors, Idempotency-Key, If-Modified-Since and paging), Xero's 400 error, and bank
transfers under the bank-transactions scope."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from xero_python.accounting import AccountingApi, models
from xero_python.api_client import ApiClient
from xero_python.api_client.configuration import Configuration
from xero_python.api_client.oauth2 import OAuth2Token
from xero_python.exceptions import AccountingBadRequestException, HTTPStatusException

from bookkeeper_desktop.sandbox.browser import ConsentBrowser
from bookkeeper_desktop.sandbox.clock import FakeClock, utc_datetime
from bookkeeper_desktop.sandbox.xero_api import XeroAccountingApi
from bookkeeper_desktop.sandbox.xero_server import XeroSandbox
from tests.sandbox.conftest import XERO_PKCE
from tests.sandbox.test_xero_oauth import DEMO_NZ, TENANT_OF, Flow


@pytest.fixture
def server(clock: FakeClock) -> Iterator[tuple[XeroSandbox, XeroAccountingApi]]:
    api = XeroAccountingApi(clock=lambda: utc_datetime(clock.now()))
    with XeroSandbox(clock=clock, clients=[XERO_PKCE], api=api) as sandbox:
        yield sandbox, api


@pytest.fixture
def accounting(server: tuple[XeroSandbox, XeroAccountingApi], browser: ConsentBrowser,
               http: httpx.Client) -> AccountingApi:
    sandbox, _ = server
    tokens = Flow(sandbox, browser, http).connect([DEMO_NZ])
    client = ApiClient(Configuration(oauth2_token=OAuth2Token(client_id=XERO_PKCE.client_id)),
                       pool_threads=1)
    client.oauth2_token_getter(lambda: {**tokens, "expires_at": time.time() + 1800})
    return AccountingApi(client, base_url=sandbox.base_url + "/api.xro/2.0")


def manual_journal(narration: str, amount: str, credit: str = "-1") -> Any:
    debit_amount = Decimal(amount)
    return models.ManualJournal(
        narration=narration, date=dt.date(2026, 9, 18), status="POSTED",
        line_amount_types=models.LineAmountTypes.NOTAX,
        journal_lines=[
            models.ManualJournalLine(line_amount=debit_amount, account_code="469"),
            models.ManualJournalLine(line_amount=debit_amount * Decimal(credit),
                                     account_code="814"),
        ])


def test_xero_python_pushes_and_pulls_manual_journals(
        server: tuple[XeroSandbox, XeroAccountingApi], accounting: AccountingApi,
        clock: FakeClock) -> None:
    _, api = server
    tenant = TENANT_OF[DEMO_NZ]
    accounts = accounting.get_accounts(tenant).accounts
    assert any(a.system_account == "GST" for a in accounts)
    clock.advance(60)
    since = utc_datetime(clock.now())
    before = len(api.objects(tenant, "ManualJournals"))
    batch = models.ManualJournals(manual_journals=[manual_journal("push 1", "120.00"),
                                                   manual_journal("push 2", "80.00", "-0.5")])
    first = accounting.create_manual_journals(tenant, batch, summarize_errors=False,
                                              idempotency_key="sync-run-1-batch-1")
    assert [m.status_attribute_string for m in first.manual_journals] == ["OK", "ERROR"]
    assert first.manual_journals[1].validation_errors[0].message == (
        "The total debits (80.00) must equal total credits (-40.00)")
    replay = accounting.create_manual_journals(tenant, batch, summarize_errors=False,
                                               idempotency_key="sync-run-1-batch-1")
    assert replay.manual_journals[0].manual_journal_id == \
        first.manual_journals[0].manual_journal_id
    assert len(api.objects(tenant, "ManualJournals")) == before + 1
    pulled = accounting.get_manual_journals(tenant, if_modified_since=since, page=1)
    assert [m.narration for m in pulled.manual_journals] == ["push 1"]
    assert pulled.manual_journals[0].journal_lines[0].line_amount == Decimal("120.00")
    assert pulled.pagination.item_count == 1


def test_xero_python_sees_xeros_validation_exception(accounting: AccountingApi) -> None:
    tenant = TENANT_OF[DEMO_NZ]
    batch = models.ManualJournals(manual_journals=[manual_journal("bad", "10.00", "-2")])
    with pytest.raises(AccountingBadRequestException) as raised:
        accounting.create_manual_journals(tenant, batch)
    assert raised.value.reason == "The total debits (10.00) must equal total credits (-20.00)"


def test_xero_python_creates_reads_and_deletes_a_bank_transfer_with_the_bank_scope(
        server: tuple[XeroSandbox, XeroAccountingApi], browser: ConsentBrowser,
        http: httpx.Client, clock: FakeClock) -> None:
    """xero-python 15's `create_bank_transfer`, `get_bank_transfers` and `delete_bank_transfer`
    over a socket; the granular `accounting.banktransactions` scope reaches BankTransfers, the
    manual-journals scope alone does not (an assumption of ours: see `xero_server`)."""
    sandbox, _ = server
    scope = "offline_access openid accounting.settings accounting.banktransactions"
    tokens = Flow(sandbox, browser, http, scope=scope).connect([DEMO_NZ])
    client = ApiClient(Configuration(oauth2_token=OAuth2Token(client_id=XERO_PKCE.client_id)),
                       pool_threads=1)
    client.oauth2_token_getter(lambda: {**tokens, "expires_at": time.time() + 1800})
    banking = AccountingApi(client, base_url=sandbox.base_url + "/api.xro/2.0")
    tenant = TENANT_OF[DEMO_NZ]
    clock.advance(60)
    since = utc_datetime(clock.now())
    transfer = models.BankTransfer(
        from_bank_account=models.Account(code="090"), to_bank_account=models.Account(code="091"),
        amount=Decimal("75.00"), date=dt.date(2026, 9, 18), reference="Float to savings")
    [made] = banking.create_bank_transfer(
        tenant, models.BankTransfers(bank_transfers=[transfer]),
        idempotency_key="transfer-1").bank_transfers
    assert made.amount == Decimal("75.00")
    [listed] = banking.get_bank_transfers(tenant, if_modified_since=since).bank_transfers
    assert listed.bank_transfer_id == made.bank_transfer_id
    [deleted] = banking.delete_bank_transfer(
        tenant, made.bank_transfer_id,
        models.BankTransferDeleteByUrlParam(status="DELETED")).bank_transfers
    assert deleted.status == "DELETED"
    assert made.bank_transfer_id not in {
        t.bank_transfer_id for t in banking.get_bank_transfers(tenant).bank_transfers}


def test_the_manual_journals_scope_does_not_reach_bank_transfers(
        accounting: AccountingApi) -> None:
    """API_NOTES.md "scopes": granular scopes split `accounting.transactions`; bank transfers are
    not manual journals."""
    with pytest.raises(HTTPStatusException) as raised:
        accounting.get_bank_transfers(TENANT_OF[DEMO_NZ])
    assert raised.value.status == 401

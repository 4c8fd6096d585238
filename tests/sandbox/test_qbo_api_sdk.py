"""Intuit's own Python SDK (python-quickbooks 0.9.12 with intuit-oauth) against the QBO sandbox API
over a real loopback socket: if the SDK's objects, queries, batch, CDC, delete and void work, the
sandbox speaks Intuit's JSON, not just our client's.

The little HTTP server here only carries bytes to `QboAccountingApi.handle` (the real sandbox
server, with OAuth and limits, is tested elsewhere); it also serves the OpenID discovery document
intuit-oauth fetches when it is constructed (API_NOTES: "its `environment` argument also accepts a
URL"). requests-oauthlib refuses plain http unless `OAUTHLIB_INSECURE_TRANSPORT` is set
(API_NOTES), so the tests set it.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bookkeeper_desktop.sandbox.http import Request
from bookkeeper_desktop.sandbox.qbo_api import QboAccountingApi, stamp
from tests.sandbox.test_qbo_api_helpers import REALM, account_id, make_api

quickbooks = pytest.importorskip("quickbooks")
intuitlib_client = pytest.importorskip("intuitlib.client")

from quickbooks import QuickBooks  # noqa: E402
from quickbooks.batch import batch_create  # noqa: E402
from quickbooks.cdc import change_data_capture  # noqa: E402
from quickbooks.exceptions import QuickbooksException  # noqa: E402
from quickbooks.objects.account import Account  # noqa: E402
from quickbooks.objects.base import Ref  # noqa: E402
from quickbooks.objects.company_info import CompanyInfo  # noqa: E402
from quickbooks.objects.invoice import Invoice  # noqa: E402
from quickbooks.objects.item import Item  # noqa: E402
from quickbooks.objects.journalentry import (  # noqa: E402
    JournalEntry,
    JournalEntryLine,
    JournalEntryLineDetail,
)
from quickbooks.objects.payment import Payment  # noqa: E402


class _Handler(BaseHTTPRequestHandler):
    api: QboAccountingApi
    base: str

    def log_message(self, format: str, *args: Any) -> None:
        del format, args  # quiet

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/discovery"):
            payload = json.dumps({
                "issuer": self.base, "authorization_endpoint": f"{self.base}/authorize",
                "token_endpoint": f"{self.base}/token", "revocation_endpoint": f"{self.base}/rev",
                "jwks_uri": f"{self.base}/jwks", "userinfo_endpoint": f"{self.base}/userinfo",
            }).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        request = Request.from_target(self.command, self.path, dict(self.headers.items()), body)
        response = self.api.handle(request, REALM)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = _serve  # noqa: N815
    do_POST = _serve  # noqa: N815


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[QboAccountingApi, QuickBooks]]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    api, _ = make_api()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    handler = type("Handler", (_Handler,), {"api": api, "base": base})
    server.RequestHandlerClass = handler
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        auth = intuitlib_client.AuthClient(
            client_id="id", client_secret="secret", redirect_uri="http://localhost:8765/callback",
            environment=f"{base}/discovery", access_token="access", refresh_token="refresh",
        )
        client = QuickBooks(auth_client=auth, refresh_token="refresh", company_id=REALM,
                            minorversion=75, use_decimal=True)
        client.api_url_v3 = f"{base}/v3"
        yield api, client
        auth.close()
        client.session.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _sdk_entry(debit: str, credit: str, amount: str) -> JournalEntry:
    entry = JournalEntry()
    entry.DocNumber = "SDK-1"
    entry.PrivateNote = "made by python-quickbooks"
    for side, account in (("Debit", debit), ("Credit", credit)):
        line = JournalEntryLine()
        line.Amount = Decimal(amount)
        line.Description = f"{side} line"
        line.JournalEntryLineDetail = JournalEntryLineDetail()
        line.JournalEntryLineDetail.PostingType = side
        ref = Ref()
        ref.value = account
        line.JournalEntryLineDetail.AccountRef = ref
        entry.Line.append(line)
    return entry


def test_sdk_reads_company_info(served: tuple[QboAccountingApi, QuickBooks]) -> None:
    _, client = served
    info = CompanyInfo.get(REALM, qb=client)
    assert info.CompanyName == "Sierra Consulting"
    assert info.MetaData.CreateTime


def test_sdk_creates_reads_updates_and_deletes_a_journal_entry(
        served: tuple[QboAccountingApi, QuickBooks]) -> None:
    api, client = served
    bank, income = account_id(api, "1000"), account_id(api, "4000")
    saved = _sdk_entry(bank, income, "123.45").save(qb=client, request_id="sdk-req-1")
    assert saved.Id
    assert saved.TotalAmt == Decimal("123.45")
    again = _sdk_entry(bank, income, "123.45").save(qb=client, request_id="sdk-req-1")
    assert again.Id == saved.Id  # requestid replay
    fetched = JournalEntry.get(saved.Id, qb=client)
    assert [line.JournalEntryLineDetail.PostingType for line in fetched.Line] == [
        "Debit", "Credit"]
    assert fetched.Line[0].JournalEntryLineDetail.AccountRef.value == bank
    fetched.PrivateNote = "edited through the SDK"
    updated = fetched.save(qb=client)
    assert str(updated.SyncToken) == "1"
    fetched.PrivateNote = "stale edit"
    with pytest.raises(QuickbooksException) as raised:
        fetched.save(qb=client)  # still SyncToken 0
    assert raised.value.error_code == 5010
    updated.delete(qb=client)
    assert saved.Id not in {e["Id"] for e in api.objects(REALM, "JournalEntry")}


def test_sdk_sees_unbalanced_entry_as_a_fault(served: tuple[QboAccountingApi, QuickBooks]
                                              ) -> None:
    api, client = served
    entry = _sdk_entry(account_id(api, "1000"), account_id(api, "4000"), "10.00")
    entry.Line[1].Amount = Decimal("9.99")
    with pytest.raises(QuickbooksException) as raised:
        entry.save(qb=client)
    assert raised.value.error_code == 6000
    assert "balanced" in raised.value.detail


def test_sdk_queries_accounts(served: tuple[QboAccountingApi, QuickBooks]) -> None:
    api, client = served
    every = Account.all(qb=client, max_results=1000)
    assert len(every) == len(api.objects(REALM, "Account"))
    banks = Account.filter(AccountType="Bank", qb=client)
    assert sorted(a.AcctNum for a in banks) == ["1000", "1010", "1020"]
    owners = Account.where("Name = 'Owner\\'s Draw'", qb=client)
    assert [a.AcctNum for a in owners] == ["3200"]
    assert Account.count("AccountType = 'Bank'", qb=client) == 3
    page = Account.all(qb=client, order_by="AcctNum DESC", start_position=2, max_results=3)
    assert [a.AcctNum for a in page] == ["8000", "7010", "7000"]
    items = Item.all(qb=client)  # SELECT *, Sku FROM Item
    assert len(items) == len(api.objects(REALM, "Item"))


def test_sdk_batch_uses_36_character_bids_which_intuit_refuses(
        served: tuple[QboAccountingApi, QuickBooks]) -> None:
    """API_NOTES: python-quickbooks' batch uses uuid4 bIds (36 characters), over Intuit's 10."""
    api, client = served
    bank, income = account_id(api, "1000"), account_id(api, "4000")
    before = len(api.objects(REALM, "JournalEntry"))
    with pytest.raises(QuickbooksException) as raised:
        batch_create([_sdk_entry(bank, income, "1.00")], qb=client)
    assert raised.value.error_code == 2010
    assert len(api.objects(REALM, "JournalEntry")) == before


def test_sdk_batch_operation_with_short_bids(served: tuple[QboAccountingApi, QuickBooks]
                                             ) -> None:
    api, client = served
    bank, income = account_id(api, "1000"), account_id(api, "4000")
    request = {"BatchItemRequest": [
        {"bId": "1", "operation": "create",
         "JournalEntry": json.loads(_sdk_entry(bank, income, "2.00").to_json())},
        {"bId": "2", "Query": "select * from Account where AcctNum = '1000'"},
    ]}
    result = client.batch_operation(json.dumps(request, default=str))
    by_id = {item["bId"]: item for item in result["BatchItemResponse"]}
    assert JournalEntry.from_json(by_id["1"]["JournalEntry"]).TotalAmt == Decimal("2.00")
    assert by_id["2"]["QueryResponse"]["Account"][0]["Name"] == "Business Checking"


def test_sdk_change_data_capture(served: tuple[QboAccountingApi, QuickBooks]) -> None:
    api, client = served
    since = api.now() - dt.timedelta(seconds=1)
    created = _sdk_entry(account_id(api, "1000"), account_id(api, "4000"), "5.00").save(
        qb=client)
    response = change_data_capture([JournalEntry, Account], stamp(since), qb=client)
    entries = list(response.JournalEntry)
    assert [e.Id for e in entries] == [created.Id]
    assert not hasattr(response, "Account")


def test_sdk_voids_payment_and_invoice(served: tuple[QboAccountingApi, QuickBooks]) -> None:
    api, client = served
    payment = Payment.get(api.objects(REALM, "Payment")[0]["Id"], qb=client)
    payment.void(qb=client)
    assert api.objects(REALM, "Payment")[0]["TotalAmt"] == 0
    invoice = Invoice.get(api.objects(REALM, "Invoice")[-1]["Id"], qb=client)
    invoice.void(qb=client)
    voided = next(i for i in api.objects(REALM, "Invoice") if i["Id"] == invoice.Id)
    assert voided["TotalAmt"] == voided["Balance"] == 0


def test_sdk_objects_parse_every_seeded_transaction(served: tuple[QboAccountingApi, QuickBooks]
                                                    ) -> None:
    """Every seeded entity read through the SDK keeps its total (shapes the SDK understands)."""
    api, client = served
    from quickbooks.objects.bill import Bill
    from quickbooks.objects.billpayment import BillPayment
    from quickbooks.objects.deposit import Deposit
    from quickbooks.objects.purchase import Purchase
    from quickbooks.objects.transfer import Transfer
    for cls in (JournalEntry, Purchase, Deposit, Invoice, Payment, Bill, BillPayment):
        rows = cls.all(qb=client, max_results=1000)
        assert len(rows) == len(api.objects(REALM, cls.qbo_object_name))
        assert all(Decimal(str(row.TotalAmt)) >= 0 for row in rows)
    transfers = Transfer.all(qb=client)
    assert all(t.FromAccountRef.value and t.ToAccountRef.value for t in transfers)
    purchase = Purchase.all(qb=client, max_results=1)[0]
    detail = purchase.Line[0].AccountBasedExpenseLineDetail
    assert detail.AccountRef.value

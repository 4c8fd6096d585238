"""A push planned a part at a time (`sync.push`, "Planned as it goes"): the first journals leave
while the rest of the push is still being planned. Seen at the QBO sandbox through the order in
which requests arrive: planning a part whose entries name a customer QBO does not have yet looks
the customer up (`GET query … from Customer`) on the sync's own thread, in the middle of the
plan; a push planned whole before its first request would ask for every customer first."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

from bookkeeper_desktop.core.accounts import AccountType
from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.sandbox.http import Request, Response
from bookkeeper_desktop.services import entries as entry_service
from bookkeeper_desktop.services.accounts import accounts_by_id
from bookkeeper_desktop.services.mappings import mapping_by_account
from bookkeeper_desktop.services.sync_runs import RunStatus
from bookkeeper_desktop.sync.clients import QBO_BATCH_ITEMS
from tests.sync.conftest import Books
from tests.sync.helpers import make_entries, mapped_accounts, pushed_copies, state, sync

NEW_CUSTOMER = "Planned Later Ltd"
#: Journals before the one naming the new customer: several parts of the plan.
BEFORE = QBO_BATCH_ITEMS * 10


class Arrivals:
    """The QBO sandbox's requests in the order they arrive. When the new customer is looked up,
    it waits (up to `patience` seconds) for a batch to arrive first, then notes whether one did:
    a push that plans as it goes has one on its way by then; one that plans everything first
    sends none until every customer is found. `cancel_on_customer`: cancelled when the lookup
    arrives."""

    def __init__(self, books: Books, *, patience: float = 5.0) -> None:
        self.lock = threading.Lock()
        self.order: list[str] = []
        self.batch_arrived = threading.Event()
        self.batch_before_customer: bool | None = None
        self.cancel_on_customer: Progress | None = None
        route = books.sandbox.route

        def watched(request: Request) -> Response:
            what = _what(request)
            if what == "batch":
                self.batch_arrived.set()
            if what == "customer lookup" and self.batch_before_customer is None:
                self.batch_before_customer = self.batch_arrived.wait(patience)
                if self.cancel_on_customer is not None:
                    self.cancel_on_customer.cancel()
            with self.lock:
                self.order.append(what)
            return route(request)

        books.sandbox.route = watched  # type: ignore[method-assign]


def _what(request: Request) -> str:
    if request.path.endswith("/batch"):
        return "batch"
    query = (request.arg("query") or "").lower()
    if "from customer" in query:
        return "customer lookup"
    if request.method == "POST" and request.path.endswith("/customer"):
        return "customer create"
    return f"{request.method} {request.path.rsplit('/', 1)[-1]}"


def _customer_entry(books: Books) -> int:
    """A sale on account to a customer QBO does not have: planning it creates the customer."""
    mappings = mapping_by_account(books.db, books.company_id, "qbo", confirmed_only=True)
    accounts = accounts_by_id(books.db, books.company_id)
    receivable = next(a for a, m in mappings.items()
                      if m.remote_name == "Accounts Receivable (A/R)")
    income = next(a for a in mappings if accounts[a].type is AccountType.INCOME
                  and accounts[a].active)
    return entry_service.bulk_insert_entries(books.db, books.company_id, [JournalEntry(
        date=dt.date(2026, 11, 3), number="INV-LATE", status=EntryStatus.POSTED, currency="USD",
        lines=(JournalLine.of(receivable, Decimal("250.00"), contact=NEW_CUSTOMER),
               JournalLine.of(income, Decimal("-250.00"))))])[0]


def _customers(books: Books) -> list[dict[str, object]]:
    objects = state(books)["api"]["realms"][books.tenant]["objects"]
    return [c for c in objects.get("Customer", {}).values() if c["DisplayName"] == NEW_CUSTOMER]


def test_the_first_batch_leaves_before_the_plan_is_whole(qbo: Books) -> None:
    assert sync(qbo, push=False).ok
    journals = make_entries(qbo, BEFORE)
    late = _customer_entry(qbo)
    arrivals = Arrivals(qbo)
    result = sync(qbo, pull=False)
    assert result.ok, result.message
    assert result.counts["pushed"] == BEFORE + 1
    assert arrivals.batch_before_customer is True
    # Batches went while the plan was still being made; the entry naming the customer went
    # after the customer was made, in the last batch.
    first_lookup = arrivals.order.index("customer lookup")
    assert "batch" in arrivals.order[:first_lookup]
    assert arrivals.order.index("customer create") < len(arrivals.order) - 1 - \
        arrivals.order[::-1].index("batch")
    assert pushed_copies(qbo) == dict.fromkeys([*journals, late], 1)
    assert len(_customers(qbo)) == 1
    assert sync(qbo).counts["pushed"] == 0


def test_a_refusal_comes_back_while_the_rest_is_planned(qbo: Books) -> None:
    """The first batch carries an entry QBO refuses (a closed period): the refusal is taken
    while later parts are still being planned, and the rest goes on once each."""
    assert sync(qbo, push=False).ok
    debit, credit = mapped_accounts(qbo)
    qbo.sandbox.api.set_closing_date(qbo.tenant, dt.date(2026, 9, 30))  # type: ignore[attr-defined]
    (closed,) = entry_service.bulk_insert_entries(qbo.db, qbo.company_id, [JournalEntry(
        date=dt.date(2026, 9, 15), number="CLOSED-1", status=EntryStatus.POSTED, currency="USD",
        lines=(JournalLine.of(debit, Decimal("5.00")), JournalLine.of(credit, -Decimal("5.00"))))])
    journals = make_entries(qbo, BEFORE)
    late = _customer_entry(qbo)
    arrivals = Arrivals(qbo)
    result = sync(qbo, pull=False)
    assert result.ok, result.message
    assert arrivals.batch_before_customer is True
    assert result.counts["pushed"] == BEFORE + 1
    assert result.counts["refused"] == 1
    assert "CLOSED-1" in result.errors[0]
    assert pushed_copies(qbo) == dict.fromkeys([*journals, late], 1)
    assert closed not in pushed_copies(qbo)
    again = sync(qbo)
    assert (again.counts["pushed"], again.counts["refused"]) == (0, 1)  # it waits for a fix
    qbo.sandbox.api.set_closing_date(qbo.tenant, None)  # type: ignore[attr-defined]


def test_cancel_while_the_plan_is_being_made(qbo: Books) -> None:
    """Cancel during planning (when a later part looks its customer up): the run stops there;
    what was sent before stays sent, nothing after it was recorded or sent, and the next sync
    sends the rest, each entry once."""
    assert sync(qbo, push=False).ok
    journals = make_entries(qbo, BEFORE)
    late = _customer_entry(qbo)
    arrivals = Arrivals(qbo)
    progress = Progress()
    arrivals.cancel_on_customer = progress
    stopped = sync(qbo, pull=False, progress=progress)
    assert stopped.status is RunStatus.CANCELLED
    assert arrivals.batch_before_customer is True
    sent = pushed_copies(qbo)
    assert sent, "the batches planned before the cancel went"
    assert all(n == 1 for n in sent.values())
    assert late not in sent
    finished = sync(qbo, pull=False)
    assert finished.ok, finished.message
    assert pushed_copies(qbo) == dict.fromkeys([*journals, late], 1)
    assert len(_customers(qbo)) == 1

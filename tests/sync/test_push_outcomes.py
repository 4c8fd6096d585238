"""Which per-item answers are refusals (the entry waits for a fix) and which are transient (sent
again at the next sync), the words a refusal is reported in, and the request id of a send. The
shapes are the vendors' (API_NOTES.md "errors", "batch", "ManualJournals"); the end-to-end cases
are in test_refused.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bookkeeper_desktop.core.journal import JournalEntry, JournalLine
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.sync.context import SyncContext
from bookkeeper_desktop.sync.push import (
    Item,
    _apply_results,
    _batch_key,
    _outcome,
    _Planner,
    _record,
    refusal_message,
)
from bookkeeper_desktop.sync.store import OutboxState, outbox_by_key
from tests.sync.conftest import Books
from tests.sync.helpers import make_entries, sync


def _whole_plan(ctx: SyncContext) -> list[Item]:
    """Every push of the run, planned in one part."""
    planner = _Planner(ctx, check_remote=False)
    return planner.next_part(planner.left)


def _qbo_fault(code: str, fault_type: str = "ValidationFault") -> dict[str, Any]:
    return {"bId": "i0", "Fault": {"type": fault_type, "Error": [
        {"Message": "m", "Detail": f"detail {code}", "code": code}]}}


@pytest.mark.parametrize(("answer", "refused"), [
    (_qbo_fault("6210"), True),                      # account period closed
    (_qbo_fault("610"), True),                       # object not found / inactive
    (_qbo_fault("6000"), True),                      # business validation
    (_qbo_fault("2500", "Validation"), True),        # invalid reference
    (_qbo_fault("10000", "SystemFault"), False),     # Intuit's own failure
    (_qbo_fault("3001", "SERVICE"), False),          # throttled
    (_qbo_fault("3200", "AuthenticationFault"), False),
    ({"bId": "i0"}, False),                          # no answer for the item
    ({}, False),
])
def test_qbo_item_answers(answer: dict[str, Any], refused: bool) -> None:
    obj, message, _code, is_refused = _outcome("qbo", "JournalEntry", answer)
    assert obj is None
    assert message
    assert is_refused is refused


def test_qbo_stale_object_is_a_conflict_not_a_refusal() -> None:
    _obj, _message, code, refused = _outcome("qbo", "JournalEntry", _qbo_fault("5010"))
    assert code == "5010"
    assert refused is False


def test_qbo_success_is_no_refusal() -> None:
    obj, message, code, refused = _outcome("qbo", "JournalEntry",
                                           {"bId": "i0", "JournalEntry": {"Id": "9"}})
    assert obj == {"Id": "9"}
    assert (message, code, refused) == ("", None, False)


@pytest.mark.parametrize(("answer", "refused"), [
    ({"StatusAttributeString": "ERROR", "ValidationErrors": [
        {"Message": "Account code '200' has been archived, or deleted."}]}, True),
    ({"StatusAttributeString": "ERROR"}, False),     # an error without a reason: try again
    ({}, False),                                     # no answer for the journal
])
def test_xero_item_answers(answer: dict[str, Any], refused: bool) -> None:
    obj, _message, _code, is_refused = _outcome("xero", "ManualJournals", answer)
    assert obj is None
    assert is_refused is refused


def test_xero_success_is_no_refusal() -> None:
    obj, _m, _c, refused = _outcome("xero", "ManualJournals",
                                    {"ManualJournalID": "x", "StatusAttributeString": "OK"})
    assert obj is not None
    assert refused is False


ENTRY = JournalEntry(date=dt.date(2026, 3, 1), number="JE-7",
                     lines=(JournalLine.of(1, "5.00"), JournalLine.of(2, "-5.00")))


def test_refusal_names_the_entry_the_reason_and_what_to_do() -> None:
    closed = refusal_message("qbo", ENTRY, "The account period has closed.", "6210")
    assert closed.startswith("The entry JE-7 of 2026-03-01 was refused by QuickBooks Online: "
                             "The account period has closed. ")
    assert "change the entry's date, or reopen the period in QuickBooks Online" in closed
    archived = refusal_message("xero", ENTRY, "Account code '200' has been archived, or "
                               "deleted. Each line item must reference a valid account.", None)
    assert "was refused by Xero" in archived
    assert "make it active there, or map the account to another one" in archived
    other = refusal_message("qbo", ENTRY, "Business Validation Error: something", "6000")
    assert "Correct the entry" in other
    locked = refusal_message("xero", ENTRY, "The document date cannot be before the period "
                             "lock date", None)
    assert "period closed in Xero" in locked
    year_end = refusal_message("xero", ENTRY, "The document date cannot be before the end of "
                               "year lock date", None)
    assert "period closed in Xero" in year_end


def test_request_id_changes_with_what_makes_a_send_new() -> None:
    create = Item(ENTRY, "create", "qbo1-7-aaa", {"TxnDate": "2026-03-01"})
    update = Item(ENTRY, "update", "qbo1-7-bbb", {"Id": "9", "SyncToken": "2"})
    same = _batch_key([create, update])
    assert same == _batch_key([create, update], {})  # stable for retries of the same send
    assert _batch_key([create, update], {"qbo1-7-aaa": 1}) != same
    assert _batch_key([create, update], {"qbo1-7-aaa": 1}) != \
        _batch_key([create, update], {"qbo1-7-aaa": 2})
    newer = Item(ENTRY, "update", "qbo1-7-bbb", {"Id": "9", "SyncToken": "3"})
    assert _batch_key([create, newer]) != same
    assert len(same) <= 36  # QBO's limit for a batch requestid (API_NOTES)


def test_a_transient_item_failure_is_failed_not_refused_and_gets_a_new_request_id(
        qbo: Books) -> None:
    """QBO answered the batch (so its requestid remembers that answer) with a SystemFault for
    the item: the row is "failed" (sent again next time), not "refused", and its next send
    counts the failure into the request id."""
    assert sync(qbo, push=False).ok
    (entry_id,) = make_entries(qbo, 1)
    with qbo.client() as client:
        ctx = SyncContext(db=qbo.db, company_id=qbo.company_id, provider="qbo",
                          client=client, progress=Progress())
        (item,) = _whole_plan(ctx)
        assert _record(ctx, [item]) == {item.key: 0}
        _apply_results(ctx, [item], [_qbo_fault("10000", "SystemFault")])
        with qbo.db.read_session() as session:
            row = outbox_by_key(session, item.key)
            assert row is not None
            assert (row.entry_id, row.state, row.refusals) == (entry_id, OutboxState.FAILED, 1)
        assert ctx.counts.refused == 0
        assert "sent again at the next sync" in ctx.counts.errors[0]
        (again,) = _whole_plan(ctx)  # a failed push is planned again at once
        assert again.key == item.key
        assert _record(ctx, [again]) == {item.key: 1}

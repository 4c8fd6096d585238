"""Which per-item answers are refusals (the entry waits for a fix) and which are transient (sent
again at the next sync), and the words a refusal is reported in. The shapes are the vendors'
(API_NOTES.md "errors", "batch", "ManualJournals"); the end-to-end cases are in test_refused.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bookkeeper_desktop.core.journal import JournalEntry, JournalLine
from bookkeeper_desktop.sync.push import _outcome, refusal_message


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

import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import given

from bookkeeper_desktop.core.errors import ValidationError
from bookkeeper_desktop.core.journal import EntrySource, EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.sync.payloads import (
    RemoteAccountRef,
    UnmappedAccounts,
    dumps,
    entry_from_qbo,
    entry_from_xero,
    entry_to_qbo,
    entry_to_xero,
    format_xero_date,
    key_in,
    loads,
    parse_xero_date,
    tag_with_key,
)
from tests.core.strategies import balanced_entries

QBO_REFS = {1: RemoteAccountRef("35", "Checking"), 2: RemoteAccountRef("7", "Rent"),
            3: RemoteAccountRef("91", "Fees")}
XERO_CODES = {1: RemoteAccountRef("090"), 2: RemoteAccountRef("469"), 3: RemoteAccountRef("404")}
ENTRY = JournalEntry(
    date=dt.date(2026, 3, 31),
    lines=(JournalLine.of(2, "1200.00", description="March rent"),
           JournalLine.of(3, "15.50"),
           JournalLine.of(1, "-1215.50", description="Paid")),
    number="JE-0042", memo="Rent for March", status=EntryStatus.POSTED,
)


def test_qbo_body_has_positive_amounts_and_posting_types() -> None:
    body = entry_to_qbo(ENTRY, QBO_REFS, key="k-42")
    assert body["TxnDate"] == "2026-03-31"
    assert body["DocNumber"] == "JE-0042"
    assert body["PrivateNote"] == "Rent for March [bk:k-42]"
    sides = [(ln["JournalEntryLineDetail"]["PostingType"], ln["Amount"],
              ln["JournalEntryLineDetail"]["AccountRef"]["value"]) for ln in body["Line"]]
    assert sides == [("Debit", Decimal("1200.00"), "7"), ("Debit", Decimal("15.50"), "91"),
                     ("Credit", Decimal("1215.50"), "35")]
    assert all(ln["DetailType"] == "JournalEntryLineDetail" for ln in body["Line"])
    assert "Id" not in body
    update = entry_to_qbo(ENTRY.with_changes(qbo_id="145", qbo_sync_token="3"), QBO_REFS, key="k")
    assert (update["Id"], update["SyncToken"]) == ("145", "3")


def test_qbo_doc_number_is_cut_to_its_limit() -> None:
    body = entry_to_qbo(ENTRY.with_changes(number="X" * 30), QBO_REFS, key="k")
    assert body["DocNumber"] == "X" * 21


def test_unmapped_accounts_are_named() -> None:
    with pytest.raises(UnmappedAccounts) as info:
        entry_to_qbo(ENTRY, {1: QBO_REFS[1]}, key="k", account_names={2: "Rent", 3: "Bank fees"})
    assert info.value.account_ids == (2, 3)
    assert "Rent, Bank fees not mapped" in info.value.message
    assert info.value.problems == ("'Rent' has no QuickBooks Online account mapped",
                                   "'Bank fees' has no QuickBooks Online account mapped")


def test_an_entry_without_a_date_is_refused() -> None:
    with pytest.raises(ValidationError, match="no date"):
        entry_to_xero(ENTRY.with_changes(date=None), XERO_CODES, key="k")


def test_xero_body_has_signed_amounts_summing_to_zero() -> None:
    body = entry_to_xero(ENTRY, XERO_CODES, key="k-42")
    assert body["Status"] == "POSTED"
    assert body["Narration"] == "Rent for March [bk:k-42]"
    amounts = [ln["LineAmount"] for ln in body["JournalLines"]]
    assert amounts == [Decimal("1200.00"), Decimal("15.50"), Decimal("-1215.50")]
    assert sum(amounts) == 0
    assert [ln["AccountCode"] for ln in body["JournalLines"]] == ["469", "404", "090"]
    approved = entry_to_xero(ENTRY.with_changes(status=EntryStatus.APPROVED, memo=""),
                             XERO_CODES, key="k")
    assert approved["Status"] == "DRAFT"
    assert approved["Narration"] == "Journal JE-0042 [bk:k]"


def test_key_marker_round_trip() -> None:
    assert key_in(tag_with_key("memo", "abc-1")) == "abc-1"
    assert tag_with_key(tag_with_key("memo", "abc"), "other") == "memo [bk:abc]"
    assert key_in("no key here") is None
    assert key_in(None) is None


def test_json_keeps_decimals_exact() -> None:
    body = entry_to_xero(ENTRY, XERO_CODES, key="k")
    data = dumps(body)
    assert b'"LineAmount":1200.00' in data
    assert loads(data) == body
    assert json.loads(data)["JournalLines"][2]["LineAmount"] == -1215.5
    with pytest.raises(TypeError):
        dumps({"bad": object()})


def test_xero_dates() -> None:
    moment = parse_xero_date("/Date(1700000000000+0000)/")
    assert moment == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)
    assert parse_xero_date(format_xero_date(moment)) == moment
    assert parse_xero_date("2026-03-31T00:00:00").tzinfo is dt.UTC


def test_pulled_qbo_entry() -> None:
    payload = loads(dumps({**entry_to_qbo(ENTRY, QBO_REFS, key="k"), "Id": "9", "SyncToken": "2"}))
    entry, unmapped = entry_from_qbo(payload, {"35": 1, "7": 2, "91": 3})
    assert unmapped == []
    assert entry.lines == ENTRY.lines
    assert (entry.qbo_id, entry.qbo_sync_token, entry.memo) == ("9", "2", "Rent for March")
    assert (entry.status, entry.source) == (EntryStatus.POSTED, EntrySource.QBO)
    partial, missing = entry_from_qbo(payload, {"35": 1})
    assert missing == ["7", "91"]
    assert len(partial.lines) == 1


def test_pulled_xero_entry_with_xero_dates_and_status() -> None:
    payload = {**entry_to_xero(ENTRY, XERO_CODES, key="k"), "ManualJournalID": "mj-1",
               "Date": "/Date(1774915200000+0000)/", "Status": "VOIDED"}
    entry, unmapped = entry_from_xero(loads(dumps(payload)), {"090": 1, "469": 2, "404": 3})
    assert unmapped == []
    assert entry.date == dt.date(2026, 3, 31)
    assert entry.status is EntryStatus.VOID
    assert entry.lines == ENTRY.lines


@given(balanced_entries([1, 2, 3]))
def test_any_balanced_entry_survives_both_providers(entry: JournalEntry) -> None:
    qbo, _ = entry_from_qbo(loads(dumps({**entry_to_qbo(entry, QBO_REFS, key="k"), "Id": "1"})),
                            {"35": 1, "7": 2, "91": 3})
    xero, _ = entry_from_xero(
        loads(dumps({**entry_to_xero(entry, XERO_CODES, key="k"), "ManualJournalID": "x"})),
        {"090": 1, "469": 2, "404": 3})
    for pulled in (qbo, xero):
        assert [(ln.account_id, ln.debit, ln.credit) for ln in pulled.lines] == [
            (ln.account_id, ln.debit, ln.credit) for ln in entry.lines]
        assert pulled.date == entry.date


def test_qbo_void_body_zeroes_every_line_and_marks_the_memo_as_qbo_does() -> None:
    from bookkeeper_desktop.sync.payloads import entry_to_qbo_void, strip_key

    pushed = ENTRY.with_changes(qbo_id="77", qbo_sync_token="3", status=EntryStatus.VOID)
    body = entry_to_qbo_void(pushed, QBO_REFS, key="k-43")
    full = entry_to_qbo(pushed, QBO_REFS, key="k-43")
    assert body["Id"] == "77"
    assert body["SyncToken"] == "3"
    assert body["DocNumber"] == "JE-0042"
    assert body["TxnDate"] == "2026-03-31"
    assert [line["Amount"] for line in body["Line"]] == [Decimal("0.00")] * 3
    assert [line["JournalEntryLineDetail"] for line in body["Line"]] == \
        [line["JournalEntryLineDetail"] for line in full["Line"]]
    assert body["PrivateNote"] == "Voided - Rent for March [bk:k-43]"
    assert key_in(body["PrivateNote"]) == "k-43"
    assert strip_key(entry_to_qbo_void(pushed.with_changes(memo=""), QBO_REFS,
                                       key="k")["PrivateNote"]) == "Voided"
    assert b'"Amount":0.00' in dumps(body)


def test_qbo_lines_carry_their_tax_code_where_one_is_given() -> None:
    """Outside the US a QBO journal line names its TaxCode, applicable on sales for a credit
    and on purchases for a debit (python-quickbooks `JournalEntryLineDetail.TaxCodeRef`,
    `TaxApplicableOn`); a line without one carries neither."""
    body = entry_to_qbo(ENTRY, QBO_REFS, key="k", tax_codes={0: "5", 2: "7"})
    details = [line["JournalEntryLineDetail"] for line in body["Line"]]
    assert (details[0]["TaxCodeRef"], details[0]["TaxApplicableOn"]) == ({"value": "5"},
                                                                          "Purchase")
    assert (details[2]["TaxCodeRef"], details[2]["TaxApplicableOn"]) == ({"value": "7"}, "Sales")
    assert "TaxCodeRef" not in details[1]
    assert "TaxCodeRef" not in entry_to_qbo(ENTRY, QBO_REFS, key="k")["Line"][0][
        "JournalEntryLineDetail"]

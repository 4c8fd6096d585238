"""The QBO query language of the sandbox: each clause, paging, counting, the errors Intuit gives
(QueryParserError 4000 for OR/JOIN/bad syntax, QueryValidationError 4001 for unknown names and
MAXRESULTS over 1000), and the response shape (`QueryResponse` with the entity list,
`startPosition`, `maxResults`; `{}` when nothing matches; `totalCount` for count(*))."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from bookkeeper_desktop.sandbox.http import Response
from bookkeeper_desktop.sandbox.qbo_faults import QboFault
from bookkeeper_desktop.sandbox.qbo_query import parse_query
from tests.sandbox.test_qbo_api_helpers import (
    account_id,
    call,
    fault_of,
    je_body,
    make_api,
    parsed,
    query,
)


def _rows(response: Response, entity: str) -> list[dict[str, Any]]:
    payload = parsed(response)
    rows: list[dict[str, Any]] = payload["QueryResponse"].get(entity, [])
    return rows


# --- the parser ----------------------------------------------------------------------------------


def test_parser_reads_every_clause_case_insensitively() -> None:
    parsed_query = parse_query(
        "SeLeCt * FROM account WHERE AccountType = 'Bank' aNd Metadata.LastUpdatedTime >= "
        "'2026-01-01T00:00:00-08:00' ORDERBY Name DESC, Id STARTPOSITION 3 MAXRESULTS 7",
    )
    assert parsed_query.entity == "account"
    assert not parsed_query.count
    assert parsed_query.fields is None
    assert [(c.path, c.op) for c in parsed_query.conditions] == [
        (("AccountType",), "="), (("Metadata", "LastUpdatedTime"), ">=")]
    assert parsed_query.order == ((("Name",), True), (("Id",), False))
    assert (parsed_query.start_position, parsed_query.max_results) == (3, 7)


def test_parser_defaults_and_order_by_in_two_words() -> None:
    parsed_query = parse_query("select * from Invoice order by TxnDate")
    assert (parsed_query.start_position, parsed_query.max_results) == (1, 100)
    assert parsed_query.order == ((("TxnDate",), False),)


def test_parser_values_in_like_numbers_booleans_and_escaped_quotes() -> None:
    parsed_query = parse_query(
        "select * from Customer where DisplayName in ('Amy\\'s Bird Sanctuary', 'Cool Cars') "
        "and DisplayName like '%a%' and Balance > 10.5 and Active = true",
    )
    ops = [(c.op, c.values) for c in parsed_query.conditions]
    assert ops == [
        ("in", ("Amy's Bird Sanctuary", "Cool Cars")),
        ("like", ("%a%",)),
        (">", (Decimal("10.5"),)),
        ("=", (True,)),
    ]


@pytest.mark.parametrize("text", [
    "select * from Account where Name = 'a' or Name = 'b'",
    "select * from Account a join JournalEntry j",
    "select * from Account where Name != 'a'",
    "select * from Account where Name = ",
    "select * from Account where",
    "select * Account",
    "select * from Account startposition x",
    "select * from Account maxresults 10 maxresults 20",
    "select * from Account where Name = \"double\"",
    "delete from Account",
    "",
])
def test_parser_errors_are_query_parser_errors(text: str) -> None:
    with pytest.raises(QboFault) as raised:
        parse_query(text)
    assert raised.value.code == "4000"
    assert raised.value.detail.startswith("QueryParserError")


def test_maxresults_over_1000_is_a_validation_error() -> None:
    with pytest.raises(QboFault) as raised:
        parse_query("select * from Account maxresults 1001")
    assert raised.value.code == "4001"
    assert parse_query("select * from Account maxresults 1000").max_results == 1000


# --- running queries through the API -------------------------------------------------------------


def test_select_star_shape_and_default_id_order() -> None:
    api, _ = make_api()
    response = query(api, "select * from Account")
    assert response.status == 200
    payload = parsed(response)
    assert set(payload) == {"QueryResponse", "time"}
    body = payload["QueryResponse"]
    assert set(body) == {"Account", "startPosition", "maxResults"}
    assert body["startPosition"] == 1
    assert body["maxResults"] == len(body["Account"]) == len(api.objects("9130357992221046",
                                                                        "Account"))
    ids = [int(a["Id"]) for a in body["Account"]]
    assert ids == sorted(ids)


def test_query_by_post_with_application_text_body() -> None:
    api, _ = make_api()
    response = call(api, "POST", "query?minorversion=75",
                    text="select * from Account where AcctNum = '1000'")
    assert [a["Name"] for a in _rows(response, "Account")] == ["Business Checking"]


def test_where_operators() -> None:
    api, _ = make_api()
    def names(where: str) -> list[object]:
        return [a["AcctNum"] for a in _rows(query(api, f"select * from Account where {where} "
                                                       "orderby AcctNum"), "Account")]
    assert names("AccountType = 'Bank'") == ["1000", "1010", "1020"]
    assert names("accounttype = 'bank'") == ["1000", "1010", "1020"]  # values too
    assert names("AcctNum < '1020'") == ["1000", "1010"]
    assert names("AcctNum <= '1020'") == ["1000", "1010", "1020"]
    assert names("AcctNum > '8000'") == ["8010"]
    assert names("AcctNum >= '8000'") == ["8000", "8010"]
    assert names("AcctNum in ('1000', '2100', '9999')") == ["1000", "2100"]
    assert names("Name like 'Business%'") == ["1000", "1010", "2100"]
    assert names("Name like '%fees%'") == ["6010", "6030"]
    assert names("AccountType = 'Bank' and Name like '%Sav%'") == ["1010"]
    assert names("SubAccount = true") == ["6080", "6110"]
    assert names("Id = '1'") == ["1000"]


def test_reference_properties_compare_by_value() -> None:
    api, _ = make_api()
    customer = api.objects("9130357992221046", "Customer")[0]["Id"]
    rows = _rows(query(api, f"select * from Invoice where CustomerRef = '{customer}'"),
                 "Invoice")
    assert rows
    assert all(row["CustomerRef"]["value"] == customer for row in rows)


def test_numbers_compare_as_numbers() -> None:
    api, _ = make_api()
    rows = _rows(query(api, "select * from Purchase where TotalAmt > 1000 maxresults 1000"),
                 "Purchase")
    every = _rows(query(api, "select * from Purchase maxresults 1000"), "Purchase")
    assert {r["Id"] for r in rows} == {r["Id"] for r in every
                                       if Decimal(str(r["TotalAmt"])) > 1000}
    assert rows


def test_last_updated_time_compares_as_instants_across_offsets() -> None:
    api, clock = make_api()
    clock.advance(hours=1)
    entry = parsed(call(api, "POST", "journalentry",
                        je_body(account_id(api, "1000"), account_id(api, "4000"))))
    stamp = entry["JournalEntry"]["MetaData"]["LastUpdatedTime"]
    utc_text = clock.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    moment = dt.datetime.fromisoformat(stamp)
    as_utc_offset = moment.astimezone(dt.UTC).isoformat()
    for literal in (stamp, utc_text, as_utc_offset):
        rows = _rows(query(api, "select * from JournalEntry where Metadata.LastUpdatedTime >= "
                                f"'{literal}'"), "JournalEntry")
        assert [r["Id"] for r in rows] == [entry["JournalEntry"]["Id"]]
    earlier = _rows(query(api, "select * from JournalEntry where MetaData.LastUpdatedTime < "
                               f"'{utc_text}' maxresults 1000"), "JournalEntry")
    assert entry["JournalEntry"]["Id"] not in {r["Id"] for r in earlier}
    assert earlier


def test_txn_date_range() -> None:
    api, _ = make_api()
    rows = _rows(query(api, "select * from JournalEntry where TxnDate >= '2026-10-01' and "
                            "TxnDate < '2026-11-01' orderby TxnDate"), "JournalEntry")
    dates = [r["TxnDate"] for r in rows]
    assert dates
    assert dates == sorted(dates)
    assert all("2026-10-01" <= str(d) < "2026-11-01" for d in dates)


def test_order_by_desc_and_secondary_key() -> None:
    api, _ = make_api()
    rows = _rows(query(api, "select * from Account orderby AccountType desc, AcctNum"),
                 "Account")
    pairs = [(str(r["AccountType"]), str(r["AcctNum"])) for r in rows]
    types = [p[0] for p in pairs]
    assert types == sorted(types, key=str.lower, reverse=True)
    banks = [p[1] for p in pairs if p[0] == "Bank"]
    assert banks == ["1000", "1010", "1020"]


@pytest.mark.parametrize(("order", "key"), [
    ("orderby Id", lambda r: int(r["Id"])),
    ("orderby Id desc", lambda r: -int(r["Id"])),
    ("orderby AccountType, Id desc", lambda r: (str(r["AccountType"]).lower(), -int(r["Id"]))),
    ("orderby Id desc, AccountType", lambda r: -int(r["Id"])),
])
def test_order_by_id_is_numeric_as_a_first_or_later_key(order: str, key: Any) -> None:
    """Ids order as numbers ("10" after "9"), also descending and behind another key."""
    api, _ = make_api()
    rows = _rows(query(api, f"select * from Account {order} maxresults 1000"), "Account")
    assert len(rows) > 10  # enough accounts for "10" and "9" both to be there
    assert rows == sorted(rows, key=key)


def test_paging_with_startposition_and_maxresults_visits_every_row_once() -> None:
    api, _ = make_api()
    every = _rows(query(api, "select * from Account maxresults 1000"), "Account")
    seen: list[object] = []
    start = 1
    while True:
        response = query(api, f"select * from Account startposition {start} maxresults 7")
        body = parsed(response)["QueryResponse"]
        if not body:
            break
        assert body["startPosition"] == start
        assert body["maxResults"] == len(body["Account"]) <= 7
        seen += [r["Id"] for r in body["Account"]]
        start += 7
    assert seen == [r["Id"] for r in every]


def test_default_maxresults_is_100() -> None:
    api, _ = make_api()
    bank, income = account_id(api, "1000"), account_id(api, "4000")
    for _ in range(110):
        api.remote_create("9130357992221046", "JournalEntry", je_body(bank, income))
    body = parsed(query(api, "select * from JournalEntry"))["QueryResponse"]
    assert body["maxResults"] == 100
    assert len(body["JournalEntry"]) == 100
    count = parsed(query(api, "select count(*) from JournalEntry"))["QueryResponse"]
    assert count["totalCount"] > 110


def test_count_star_with_where() -> None:
    api, _ = make_api()
    payload = parsed(query(api, "SELECT COUNT(*) FROM Account WHERE AccountType = 'Bank'"))
    assert payload["QueryResponse"] == {"totalCount": 3}


def test_no_match_gives_an_empty_query_response() -> None:
    api, _ = make_api()
    payload = parsed(query(api, "select * from Account where Name = 'Nothing Like This'"))
    assert payload["QueryResponse"] == {}


def test_select_fields_returns_a_sparse_projection() -> None:
    api, _ = make_api()
    rows = _rows(query(api, "select Name, AcctNum from Account where AcctNum = '1000'"),
                 "Account")
    assert len(rows) == 1
    assert set(rows[0]) == {"Name", "AcctNum", "Id", "SyncToken", "domain", "sparse"}
    assert rows[0]["sparse"] is True


def test_companyinfo_and_deleted_objects_in_queries() -> None:
    api, _ = make_api()
    info = _rows(query(api, "select * from CompanyInfo"), "CompanyInfo")
    assert [row["CompanyName"] for row in info] == ["Sierra Consulting"]
    api.remote_delete("9130357992221046", "JournalEntry", "1")
    rows = _rows(query(api, "select * from JournalEntry where Id = '1'"), "JournalEntry")
    assert rows == []


@pytest.mark.parametrize(("text", "code"), [
    ("select * from Account where Name = 'a' OR Name = 'b'", "4000"),
    ("select * from Account, JournalEntry", "4000"),
    ("select * from Spaceship", "4001"),
    ("select * from Account where Colour = 'red'", "4001"),
    ("select * from Account orderby Colour", "4001"),
    ("select Colour from Account", "4001"),
    ("select * from Account maxresults 5000", "4001"),
])
def test_query_faults_through_the_api(text: str, code: str) -> None:
    api, _ = make_api()
    response = query(api, text)
    assert response.status == 400
    error = fault_of(response)
    assert error["code"] == code
    assert error["type"] == "ValidationFault"


def test_query_parameter_missing() -> None:
    api, _ = make_api()
    assert fault_of(call(api, "GET", "query"))["code"] == "2020"


@pytest.mark.parametrize("where", [
    "PrivateNote like '%[bk:abc]%'",
    "Line = '1'",
    "TotalAmt > 5",
])
def test_only_filterable_properties_may_be_tested(where: str) -> None:
    api, _ = make_api()
    response = query(api, f"select * from JournalEntry where {where}")
    assert response.status == 400
    error = fault_of(response)
    assert error["code"] == "4001"
    assert "is not queryable" in error["Detail"]


def test_filterable_properties_of_journal_entries() -> None:
    api, _ = make_api()
    entry = api.objects("9130357992221046", "JournalEntry")[0]
    for where in (f"DocNumber = '{entry['DocNumber']}'", f"Id = '{entry['Id']}'",
                  f"TxnDate = '{entry['TxnDate']}'",
                  f"MetaData.CreateTime = '{entry['MetaData']['CreateTime']}'"):
        rows = _rows(query(api, f"select * from JournalEntry where {where}"), "JournalEntry")
        assert entry["Id"] in {row["Id"] for row in rows}, where
    ordered = _rows(query(api, "select * from JournalEntry orderby PrivateNote"), "JournalEntry")
    assert ordered  # ordering by a property is not filtering


def test_incremental_pull_query_by_last_updated_time_in_pages() -> None:
    """The first-sync query the pull runs: changed since a moment, oldest first, in pages."""
    api, clock = make_api()
    cursor = clock.advance(hours=1)
    bank, income = account_id(api, "1000"), account_id(api, "4000")
    made = []
    for _ in range(25):
        clock.advance(seconds=2)
        made.append(api.remote_create("9130357992221046", "JournalEntry",
                                      je_body(bank, income))["Id"])
    clock.advance(seconds=2)
    api.remote_edit("9130357992221046", "JournalEntry", made[0], {"PrivateNote": "late edit"})
    seen: list[object] = []
    start = 1
    while True:
        rows = _rows(query(api, "select * from JournalEntry where Metadata.LastUpdatedTime >= "
                                f"'{cursor.isoformat()}' orderby Metadata.LastUpdatedTime "
                                f"startposition {start} maxresults 10"), "JournalEntry")
        if not rows:
            break
        seen += [row["Id"] for row in rows]
        start += 10
    assert seen == [*made[1:], made[0]]

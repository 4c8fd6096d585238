"""Statement readers on real files from other projects' test suites (ofxparse, genkgo/camt; MIT,
see data/SOURCES.md) and on files we wrote in each bank layout we claim."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from bookkeeper_desktop.core.errors import FileFormatError
from bookkeeper_desktop.formats.statements import (
    StatementFormat,
    looks_like_statement,
    read_statement,
)
from bookkeeper_desktop.formats.statements.amounts import (
    detect_date_format,
    looks_decimal_comma,
    parse_bank_amount,
)
from bookkeeper_desktop.formats.statements.reader import read_statement_bytes

DATA = Path(__file__).resolve().parent / "data"


def one(name: str):  # type: ignore[no-untyped-def]
    statements = read_statement(DATA / name)
    assert len(statements) == 1
    return statements[0]


def test_ofx_1x_sgml_reads_account_lines_balance_and_refuses_a_bad_date_with_its_line() -> None:
    statement = one("ours-checking-ofx102.ofx")
    assert statement.format is StatementFormat.OFX
    assert statement.account_key == "ofx:021000021/000123456789"
    assert statement.currency == "USD"
    assert [line.amount for line in statement.lines] == [
        Decimal("-1850.00"), Decimal("-64.20"), Decimal("2400.00"), Decimal("-129.99"),
        Decimal("-500.00"), Decimal("-15.00")]
    assert statement.lines[0].bank_ref == "2026110200001"
    assert statement.lines[0].date == dt.date(2026, 11, 2)
    assert statement.lines[1].payee == "SHELL OIL 57442 AUSTIN TX"
    assert statement.closing is not None
    assert statement.closing.amount == Decimal("-159.19")
    assert [(p.line, "OFX date" in p.message) for p in statement.refused] == [(85, True)]


def test_ofx_2x_xml_credit_card_statement() -> None:
    statement = one("ours-visa-ofx211.qfx")
    assert statement.is_credit_card
    assert statement.account_key == "ofx:4111111111114417"
    assert statement.account_label == "card …4417"
    assert [line.amount for line in statement.lines] == [
        Decimal("-42.17"), Decimal("-19.99"), Decimal("-87.40"), Decimal("300.00")]
    assert statement.lines[1].text == "ADOBE *CREATIVE CLOUD ADOBE.LY/ENUS CA"


@pytest.mark.parametrize(("name", "count", "first_amount"), [
    ("ofxparse-bank_medium.ofx", 3, Decimal("-6.60")),
    ("ofxparse-checking.ofx", 3, Decimal("0.01")),
    ("ofxparse-anzcc.ofx", 1, Decimal("-5.50")),
    ("ofxparse-suncorp.ofx", 1, Decimal("-16.85")),
    ("ofxparse-ofx-v102-empty-tags.ofx", 1, Decimal("12.34")),
])
def test_real_ofx_files_from_ofxparse(name: str, count: int, first_amount: Decimal) -> None:
    statement = one(name)
    assert len(statement.lines) == count
    assert statement.lines[0].amount == first_amount
    assert all(line.bank_ref for line in statement.lines)
    assert not statement.refused


def test_real_ofx_with_two_accounts_gives_two_statements() -> None:
    statements = read_statement(DATA / "ofxparse-multiple_accounts2.ofx")
    assert [s.account_key for s in statements] == ["ofx:123/9100", "ofx:123/9200"]


def test_camt053_reads_iban_balances_booked_entries_only_and_line_numbers() -> None:
    statement = one("ours-savings-camt053.xml")
    assert statement.format is StatementFormat.CAMT
    assert statement.account_key == "iban:NL91ABNA0417164300"
    assert statement.currency == "EUR"
    assert statement.opening is not None
    assert statement.closing is not None
    assert (statement.opening.amount, statement.closing.amount) == (Decimal("0.00"),
                                                                   Decimal("462.25"))
    assert [(x.line, x.amount, x.bank_ref) for x in statement.lines] == [
        (22, Decimal("500.00"), "ABNA-20261116-000001"),
        (34, Decimal("-35.00"), "ABNA-20261120-000002"),
        (45, Decimal("-2.75"), "ABNA-20261130-000003"),
    ]  # the pending entry is not on the statement's balance
    assert statement.lines[1].payee == "KAMER VAN KOOPHANDEL"
    assert statement.opening.amount + sum(x.amount for x in statement.lines) == \
        statement.closing.amount


@pytest.mark.parametrize("name", ["genkgo-camt053.v2.minimal.xml", "genkgo-camt053.v3.xml",
                                  "genkgo-camt053.v8.xml"])
def test_real_camt053_files_from_genkgo(name: str) -> None:
    statement = one(name)
    assert statement.account_key == "iban:NL26VAYB8060476890"
    assert [line.amount for line in statement.lines] == [Decimal("8.85")]
    assert statement.opening is not None
    assert statement.opening.amount == Decimal("18.15")


def test_real_camt053_with_two_statements() -> None:
    statements = read_statement(DATA / "genkgo-camt053.v2.multi.statement.xml")
    assert [s.lines[0].amount for s in statements] == [Decimal("8.85"), Decimal("-7.00")]


def test_camt_with_a_doctype_is_refused_unread() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
            b"<BkToCstmrStmt>&lol;</BkToCstmrStmt></Document>")
    with pytest.raises(FileFormatError, match="DOCTYPE"):
        read_statement_bytes(bomb)


def test_chase_csv_newest_first_with_balance_and_a_refused_row() -> None:
    statement = one("ours-chase-checking.csv")
    assert statement.format is StatementFormat.CSV
    assert [x.date for x in statement.lines] == sorted(x.date for x in statement.lines)
    assert statement.lines[-1].amount == Decimal("-42.17")
    assert statement.closing is not None
    assert statement.closing.amount == Decimal("3157.83")
    assert statement.opening is not None
    assert statement.opening.amount == Decimal("1229.99")
    assert [(p.line, p.message) for p in statement.refused] == [
        (6, "'-not-a-number' is not an amount")]
    assert statement.csv_mapping is not None
    assert statement.csv_mapping.date_format == "%m/%d/%Y"


def test_sparkasse_csv_semicolons_decimal_comma_preamble_and_two_digit_years() -> None:
    statement = one("ours-sparkasse-de.csv")
    mapping = statement.csv_mapping
    assert mapping is not None
    assert (mapping.delimiter, mapping.decimal_comma, mapping.date_format, mapping.header_line) \
        == (";", True, "%d.%m.%y", 4)
    assert [x.amount for x in statement.lines] == [Decimal("-1250.00"), Decimal("-58.40"),
                                                  Decimal("3570.00")]
    assert statement.lines[0].payee == "Hausverwaltung Schmidt GmbH"
    assert [p.line for p in statement.refused] == [8]  # 31.11.26 does not exist


def test_nationwide_csv_money_out_and_in_columns_with_pound_signs() -> None:
    statement = one("ours-nationwide-uk.csv")
    assert [x.amount for x in statement.lines] == [Decimal("-84.00"), Decimal("-23.45"),
                                                  Decimal("1200.00"), Decimal("-1388.45")]
    assert statement.lines[0].date == dt.date(2026, 11, 1)
    assert statement.opening is not None
    assert statement.opening.amount == Decimal("2200.00")


def test_identical_rows_on_one_day_stay_two_lines_with_stable_ids() -> None:
    text = b"Date,Description,Amount\n2026-11-02,COFFEE,-3.50\n2026-11-02,COFFEE,-3.50\n"
    first = read_statement_bytes(text)[0]
    again = read_statement_bytes(text)[0]
    assert len({x.bank_ref for x in first.lines}) == 2
    assert [x.bank_ref for x in first.lines] == [x.bank_ref for x in again.lines]


def test_a_csv_without_date_or_amount_columns_is_refused_in_words() -> None:
    with pytest.raises(FileFormatError, match="no header row with a date and an amount"):
        read_statement_bytes(b"Name,Email\nAnn,ann@example.com\n")


@pytest.mark.parametrize(("text", "comma", "expected"), [
    ("1,234.56", False, "1234.56"), ("1.234,56", True, "1234.56"), ("-12,50", True, "-12.50"),
    ("(12.50)", False, "-12.50"), ("12.50-", False, "-12.50"), ("12.50 DR", False, "-12.50"),
    ("12.50 CR", False, "12.50"), ("£1,388.45", False, "1388.45"), ("EUR -5.00", False, "-5.00"),
    ("+7", False, "7.00"), ("3.50000", False, "3.50"),
])
def test_bank_amounts(text: str, comma: bool, expected: str) -> None:
    assert parse_bank_amount(text, decimal_comma=comma) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "12.345"])
def test_not_amounts(text: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        parse_bank_amount(text)


def test_decimal_comma_and_ambiguous_dates() -> None:
    assert looks_decimal_comma(["-1.250,00", "58,40"])
    assert not looks_decimal_comma(["1,250.00", "58.40"])
    # 01/02..12/02: both layouts read them; the shorter span wins (12 days, not 11 months)
    samples = [f"{d:02d}/02/2026" for d in range(1, 13)]
    assert detect_date_format(samples) == "%d/%m/%Y"
    assert detect_date_format(["11/28/2026", "11/02/2026"]) == "%m/%d/%Y"


def test_ing_csv_unsigned_amounts_with_an_af_bij_column_and_yyyymmdd_dates() -> None:
    statement = one("ours-ing-nl.csv")
    mapping = statement.csv_mapping
    assert mapping is not None
    assert (mapping.date_format, mapping.decimal_comma, mapping.direction) == ("%Y%m%d", True, 5)
    assert [x.amount for x in statement.lines] == [Decimal("-23.45"), Decimal("1250.00"),
                                                  Decimal("-45.00")]
    assert [(p.line, p.message) for p in statement.refused] == [
        (5, "'X' says neither money in nor money out")]


def test_french_csv_accented_headers_debit_credit_and_narrow_spaces() -> None:
    statement = one("ours-banque-fr.csv")
    assert [x.amount for x in statement.lines] == [Decimal("-18.90"), Decimal("2400.00"),
                                                  Decimal("-39.99")]
    assert statement.lines[0].date == dt.date(2026, 11, 3)
    assert statement.notes[0].startswith('Columns: date = "Date opération" (DD/MM/YYYY)')


@pytest.mark.parametrize("name", ["ours-checking-ofx102.ofx", "ours-visa-ofx211.qfx",
                                  "ours-savings-camt053.xml", "ours-chase-checking.csv",
                                  "ours-sparkasse-de.csv", "ours-ing-nl.csv"])
def test_statements_are_recognised_for_the_drop(name: str) -> None:
    assert looks_like_statement(DATA / name)


@pytest.mark.parametrize("name", ["iif_kit_minimal.iif", "qbo_coa_import.csv",
                                  "qbo_account_list.csv", "xero_chart.csv", "binary.dat",
                                  "empty.csv", "iif_list_export.iif"])
def test_charts_and_other_files_go_to_the_chart_import(name: str) -> None:
    assert not looks_like_statement(DATA.parents[1] / "data" / name)

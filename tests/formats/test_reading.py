"""Chart readers on small synthetic files with expected outputs (golden rows), and content
sniffing: the four layouts recognised whatever the extension, everything else refused with what
it looks like."""

from __future__ import annotations

import codecs
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from bookkeeper_desktop.core.accounts import AccountSource, AccountType
from bookkeeper_desktop.core.errors import FileFormatError
from bookkeeper_desktop.formats import ChartLayout, Container, read_chart, sniff
from bookkeeper_desktop.formats.common import decode, parse_amount, split_lines


def _summary(path: Path) -> list[tuple[object, ...]]:
    chart = read_chart(path)
    return [(r.line, r.full_name, r.code, r.type, r.original_type, r.opening_balance, r.active)
            for r in chart.rows]


# --- IIF ---------------------------------------------------------------------------------------


def test_iif_kit_minimal_crlf_trailing_tabs_and_quoted_commas(data: Path) -> None:
    assert _summary(data / "iif_kit_minimal.iif") == [
        (2, "Checking", "1000", AccountType.BANK, "BANK", None, True),
        (3, "Undeposited Funds", "1400", AccountType.OTHER_CURRENT_ASSET, "ocasset", None, True),
        (4, "Expenses", "6000", AccountType.EXPENSE, "EXP", None, True),
        (5, "Expenses:Travel", "6100", AccountType.EXPENSE, "Exp", None, True),
        (6, "Expenses:Travel:Meals", "6110", AccountType.EXPENSE, "EXP", None, True),
        (7, "Sales", "4000", AccountType.INCOME, "INC", None, True),
    ]
    chart = read_chart(data / "iif_kit_minimal.iif")
    assert chart.problems == ()
    assert chart.source is AccountSource.IIF
    meals = chart.rows[4]
    assert meals.description == "Meals, on the road"  # the quoted field lost its quotes only
    assert dict(chart.rows[1].extra) == {"iif_extra": "UNDEPOSIT"}


def test_iif_list_export_skips_other_blocks_and_reports_bad_rows(data: Path) -> None:
    """cp1252 name, HIDDEN=Y, quoted thousands, a short row; !HDR, !CUSTITEMDICT with its odd
    !ENDCUSTITEMDICT, !QB ONLINE and !CUST skipped; unknown type, duplicate name (other case),
    duplicate number and an unreadable amount reported with their lines; no final newline."""
    chart = read_chart(data / "iif_list_export.iif")
    assert chart.detected.encoding == "cp1252"
    assert _summary(data / "iif_list_export.iif") == [
        (8, "Checking", "1000", AccountType.BANK, "BANK", Decimal("99250.02"), True),
        (9, "Café Supplies", "6050", AccountType.EXPENSE, "EXP", Decimal("-12.50"), False),
        (10, "Truck", "1500", AccountType.FIXED_ASSET, "FIXASSET", Decimal("0.00"), True),
        (11, "Truck:Depreciation", "1520", AccountType.FIXED_ASSET, "FIXASSET",
         Decimal("-1725.00"), True),
    ]
    assert chart.rows[1].description == 'Coffee "good" beans'  # unescaped inner quotes kept
    assert [(p.line, p.message.split(";")[0]) for p in chart.problems] == [
        (12, "account 'Contractor Income' has an unknown type 'MISC_LABOR_INCOME'"),
        (13, "account 'checking' appears twice (first on line 8)"),
        (14, "account code 1000 of 'Savings' is already used on line 8"),
        (15, "account 'Opening Bal Equity': opening balance 'abc' is not an amount"),
    ]


def test_iif_accnt_row_before_its_header_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "chart.txt"
    path.write_text("!HDR\tPROD\nACCNT\tChecking\tBANK\n!ACCNT\tNAME\tACCNTTYPE\n"
                    "ACCNT\tSavings\tBANK\n")
    chart = read_chart(path)
    assert [r.full_name for r in chart.rows] == ["Savings"]
    assert [p.line for p in chart.problems] == [2]


def test_iif_header_without_type_column_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "chart.iif"
    path.write_text("!ACCNT\tNAME\tDESC\nACCNT\tChecking\tx\n")
    chart = read_chart(path)
    assert chart.rows == ()
    assert chart.problems[0].line == 1
    assert "ACCNTTYPE" in chart.problems[0].message


def test_iif_comma_delimited_variant(tmp_path: Path) -> None:
    path = tmp_path / "reckon.iif"
    path.write_text('!ACCNT,NAME,ACCNTTYPE,DESC\nACCNT,"Tucson, AZ office",EXP,rent\n')
    assert [r.full_name for r in read_chart(path).rows] == ["Tucson, AZ office"]


def test_iif_with_transactions_reads_accounts_and_notes_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "gj.iif"
    path.write_text("!ACCNT\tNAME\tACCNTTYPE\nACCNT\tChecking\tBANK\nACCNT\tRent\tEXP\n"
                    "!TRNS\tTRNSTYPE\tDATE\tACCNT\tAMOUNT\n!SPL\tTRNSTYPE\tDATE\tACCNT\tAMOUNT\n"
                    "!ENDTRNS\nTRNS\tGENERAL JOURNAL\t7/1/1998\tChecking\t650\n"
                    "SPL\tGENERAL JOURNAL\t7/1/1998\tRent\t-650\nENDTRNS\n")
    chart = read_chart(path)
    assert [r.full_name for r in chart.rows] == ["Checking", "Rent"]
    assert "1 transaction" in chart.notes[0].message


# --- QBO -----------------------------------------------------------------------------------------


def test_qbo_import_layout_bom_crlf_case_and_subaccounts(data: Path) -> None:
    chart = read_chart(data / "qbo_coa_import.csv")
    assert chart.detected.layout is ChartLayout.QBO_IMPORT
    assert chart.detected.encoding == "utf-8-sig"
    assert [(r.line, r.full_name, r.code, r.type, r.detail_type) for r in chart.rows] == [
        (2, "Checking", "1000", AccountType.BANK, "Checking"),
        (3, "Accounts Receivable", "1200", AccountType.ACCOUNTS_RECEIVABLE,
         "Accounts Receivable (A/R)"),
        (4, "Prepaid", "1300", AccountType.OTHER_CURRENT_ASSET, "Prepaid Expenses"),
        (5, "Office", "6000", AccountType.EXPENSE, "Office/General Administrative Expenses"),
        (6, "Office:Paper, Ink and Toner", "6010", AccountType.EXPENSE,
         "Office/General Administrative Expenses"),
        (7, "Travel:Meals", "6020", AccountType.EXPENSE, "Travel Meals"),
        (9, "Owner's Equity", "3000", AccountType.EQUITY, "Owner's Equity"),
    ]
    assert [(p.line, p.message.split(";")[0]) for p in chart.problems] == [
        (8, "account 'Mystery' has an unknown type 'Expences'")]
    assert chart.rows[2].original_type == "OTHER CURRENT ASSETS"


def test_qbo_account_list_preamble_parentheses_and_footer(data: Path) -> None:
    detected = sniff(data / "qbo_account_list.csv")
    assert (detected.layout, detected.header_line) == (ChartLayout.QBO_ACCOUNT_LIST, 4)
    assert _summary(data / "qbo_account_list.csv") == [
        (5, "Checking", "1010", AccountType.BANK, "Bank", Decimal("1201.00"), True),
        (6, "Savings", "1020", AccountType.BANK, "Bank", Decimal("800.00"), True),
        (7, "Visa", "2000", AccountType.CREDIT_CARD, "Credit Card", Decimal("-300.00"), True),
        (8, "Landscaping Services", None, AccountType.INCOME, "Income", None, True),
        (9, "Landscaping Services:Job Materials:Fountains and Garden Lighting", None,
         AccountType.INCOME, "Income", Decimal("-1000.50"), True),
        (10, "Cost of Goods Sold", "5000", AccountType.COST_OF_GOODS_SOLD, "Cost of Goods Sold",
         Decimal("0.00"), True),
    ]
    assert read_chart(data / "qbo_account_list.csv").problems == ()


def test_qbo_account_list_older_header_cp1252_short_rows(data: Path) -> None:
    chart = read_chart(data / "qbo_account_list_old.csv")
    assert chart.detected.encoding == "cp1252"
    assert [(r.line, r.full_name, r.type, r.description, r.opening_balance)
            for r in chart.rows] == [
        (5, "Checking", AccountType.BANK, "Café account", Decimal("12345.67")),
        (6, "Accounts Payable (A/P)", AccountType.ACCOUNTS_PAYABLE, "", None),
        (7, "Advertising", AccountType.EXPENSE, "", Decimal("-12.00")),
        (8, "Depreciation", AccountType.OTHER_EXPENSE, "", None),
    ]


def test_qbo_row_without_type_and_empty_path_segment(tmp_path: Path) -> None:
    path = tmp_path / "coa.csv"
    path.write_text("Account Number,Account Name,Type,Detail Type\n1,Office,,x\n"
                    "2,Office::Paper,Expenses,x\n3,,Expenses,x\n")
    chart = read_chart(path)
    assert chart.rows == ()
    assert [p.line for p in chart.problems] == [2, 3, 4]
    assert "no type" in chart.problems[0].message
    assert "empty part" in chart.problems[1].message


def test_semicolon_separated_qbo_file_from_a_mac(tmp_path: Path) -> None:
    path = tmp_path / "coa.csv"
    path.write_text("Account Number;Account Name;Type;Detail Type\n1000;Checking;Bank;Checking\n")
    assert sniff(path).delimiter == ";"
    assert [r.full_name for r in read_chart(path).rows] == ["Checking"]


# --- Xero ----------------------------------------------------------------------------------------


def test_xero_chart_display_names_codes_system_accounts_and_bank_without_code(data: Path
                                                                              ) -> None:
    chart = read_chart(data / "xero_chart.csv")
    assert chart.detected.layout is ChartLayout.XERO
    rows = {r.line: r for r in chart.rows}
    assert (rows[2].code, rows[2].type, rows[2].tax_code) == (None, AccountType.BANK, "No VAT")
    assert (rows[3].type, rows[3].detail_type) == (AccountType.INCOME, "SALES")
    assert (rows[4].type, rows[4].detail_type) == (AccountType.INCOME, "REVENUE")
    assert rows[6].type is AccountType.EXPENSE
    assert rows[6].original_type == "overhead"
    assert rows[7].full_name == "Light, Power, Heating"
    assert rows[8].full_name == "Administration costs - Bank Charges"
    assert rows[9].type is AccountType.ACCOUNTS_RECEIVABLE
    assert dict(rows[9].extra) == {"xero_system_account": "DEBTORS"}
    assert rows[10].type is AccountType.ACCOUNTS_PAYABLE
    assert rows[11].type is AccountType.OTHER_CURRENT_LIABILITY  # VAT
    assert rows[15].type is AccountType.OTHER_ASSET  # "Non-Current Asset" (odd case)
    assert rows[16].type is AccountType.LONG_TERM_LIABILITY
    assert 12 not in rows  # Historical Adjustment: skipped with its reason
    assert [(s.line, s.full_name) for s in chart.skipped] == [(12, "Historical Adjustment")]
    assert [(p.line, p.message.split(";")[0]) for p in chart.problems] == [
        (17, "account 'Mystery' has an unknown *Type 'Suspense'"),
        (18, "account 'Petty Cash' has no *Code"),
        (19, "account code 200 of 'Sales again' is already used on line 3"),
    ]
    assert [n.line for n in chart.notes] == [8]


# --- Excel ---------------------------------------------------------------------------------------


def _workbook(path: Path, rows: list[list[object]], *, blank_sheet_first: bool = False) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    if blank_sheet_first:
        sheet.title = "Notes"
        sheet.append(["Exported for the accountant"])
        sheet = workbook.create_sheet("Chart")
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_xlsx_with_xero_layout_uses_sheet_row_numbers(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "chart.data", [
        ["*Code", "*Name", "*Type", "*Tax Code"],
        [200, "Sales", "Revenue", "GST on Income"],
        [],
        ["090", "Petty Cash", "Current Asset", "BAS Excluded"],
        [None, "Cheque Account", "Bank", None],
    ], blank_sheet_first=True)
    detected = sniff(path)
    assert (detected.container, detected.layout, detected.sheet) == (
        Container.XLSX, ChartLayout.XERO, "Chart")
    chart = read_chart(path)
    assert chart.source is AccountSource.XLSX
    assert [(r.line, r.code, r.full_name) for r in chart.rows] == [
        (2, "200", "Sales"), (4, "090", "Petty Cash"), (5, None, "Cheque Account")]


def test_xlsx_with_qbo_account_list_and_numbers_as_numbers(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "list.xlsx", [
        ["Acme Ltd"], ["Account List"], [],
        ["Account #", "Full name", "Type", "Detail type", "Description", "Total balance"],
        [1010, "Checking", "Bank", "Checking", None, 1201.5],
        [2000, "Visa", "Credit Card", "Credit Card", None, -300],
    ])
    chart = read_chart(path)
    assert chart.detected.layout is ChartLayout.QBO_ACCOUNT_LIST
    assert [(r.line, r.code, r.opening_balance) for r in chart.rows] == [
        (5, "1010", Decimal("1201.50")), (6, "2000", Decimal("-300.00"))]


def test_xlsx_holding_an_iif_layout(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "iif.xlsx", [
        ["!ACCNT", "NAME", "ACCNTTYPE"], ["ACCNT", "Checking", "BANK"],
        ["ACCNT", "Odd", "WHATEVER"]])
    chart = read_chart(path)
    assert chart.detected.layout is ChartLayout.IIF
    assert [r.full_name for r in chart.rows] == ["Checking"]
    assert [p.line for p in chart.problems] == [3]


def test_xlsx_without_a_chart_is_refused(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "other.xlsx", [["Name", "Email"], ["Jane", "j@example.com"]])
    with pytest.raises(FileFormatError, match="Excel workbook with no sheet laid out as a chart"):
        sniff(path)
    journal = _workbook(tmp_path / "mj.xlsx", [
        ["*Narration", "*Date", "Description", "*AccountCode", "*TaxRate", "*Amount"]])
    with pytest.raises(FileFormatError, match="Xero manual-journal"):
        sniff(journal)


# --- sniffing: content, not extension ------------------------------------------------------------


@pytest.mark.parametrize(("name", "layout"), [
    ("iif_kit_minimal.iif", ChartLayout.IIF),
    ("qbo_coa_import.csv", ChartLayout.QBO_IMPORT),
    ("qbo_account_list.csv", ChartLayout.QBO_ACCOUNT_LIST),
    ("xero_chart.csv", ChartLayout.XERO),
])
def test_layout_found_whatever_the_extension(data: Path, tmp_path: Path, name: str,
                                             layout: ChartLayout) -> None:
    renamed = tmp_path / "export.xlsx"  # a misleading extension
    shutil.copy(data / name, renamed)
    assert sniff(renamed).layout is layout


@pytest.mark.parametrize(("name", "what"), [
    ("iif_customer_list.iif", "is a QuickBooks customer list (IIF), not a chart of accounts"),
    ("xero_manual_journal.csv", "is a Xero manual-journal import file"),
    ("qbo_journal.csv", "is a QuickBooks Online journal-entry import file"),
    ("unknown.csv", "is a text file with columns we do not know ('Name,Email,Phone')"),
    ("empty.csv", "is empty"),
    ("blank_lines.csv", "is empty"),
    ("binary.dat", "is a binary file"),
    ("iif_spaces_not_tabs.iif", "tabs were turned into spaces"),
])
def test_other_files_are_refused_with_what_they_are(data: Path, name: str, what: str) -> None:
    with pytest.raises(FileFormatError) as caught:
        sniff(data / name)
    assert what in caught.value.message
    with pytest.raises(FileFormatError):
        read_chart(data / name)


def test_other_binaries_are_named(tmp_path: Path) -> None:
    cases = {b"%PDF-1.7\n...": "a PDF document",
             b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100): "Excel 97-2003",
             b"PK\x03\x04not really a zip": "a ZIP archive that is not an Excel workbook"}
    for content, what in cases.items():
        path = tmp_path / "file.csv"
        path.write_bytes(content)
        with pytest.raises(FileFormatError, match=what):
            sniff(path)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match="There is no file"):
        sniff(tmp_path / "nope.csv")
    with pytest.raises(FileFormatError, match="is a folder"):
        sniff(tmp_path)


def test_header_but_no_accounts(tmp_path: Path) -> None:
    path = tmp_path / "coa.csv"
    path.write_text("*Code,*Name,*Type,*Tax Code\n")
    assert [p.message for p in read_chart(path).problems] == [
        "the file has a chart header but no accounts"]


# --- decoding and amounts ------------------------------------------------------------------------


def test_decoding_variants() -> None:
    assert decode(codecs.BOM_UTF8 + "Café".encode()) == ("Café", "utf-8-sig")
    assert decode("Café".encode()) == ("Café", "utf-8")
    assert decode("Café".encode("cp1252")) == ("Café", "cp1252")
    assert decode("Café".encode("utf-16")) == ("Café", "utf-16")
    assert decode(b"a\x81b") == ("a\x81b", "cp1252")  # undefined in cp1252: kept as Latin-1
    assert split_lines("a\r\nb\nc\rd") == ["a", "b", "c", "d"]
    assert split_lines("a\r\n") == ["a"]


XERO_HEADER = "*Code,*Name,*Type,*Tax Code\n"


def test_a_file_mixing_encodings_is_refused_naming_the_odd_line(tmp_path: Path) -> None:
    """Issue #13 §5: one Windows-1252 line among UTF-8 ones must not turn the UTF-8 names into
    "CafÃ© rÃ©sumÃ© â‚¬"."""
    path = tmp_path / "mixed.csv"
    path.write_bytes(XERO_HEADER.encode() + "200,Café,Sales,GST\n".encode("cp1252")
                     + "201,Café résumé €,Sales,GST\n".encode())
    with pytest.raises(FileFormatError) as caught:
        read_chart(path)
    error = caught.value
    assert error.message.startswith("'mixed.csv': The file mixes two text encodings")
    assert "nothing was imported" in error.message
    assert [p.line for p in error.problems] == [2]
    assert "not UTF-8 like the rest of the file" in error.problems[0].message
    assert '"200,Café,Sales,GST"' in error.problems[0].message
    assert error.hint is not None
    assert "UTF-8" in error.hint
    assert "Ã" not in str(error)


def test_a_windows_1252_file_with_one_utf8_line_names_that_line(tmp_path: Path) -> None:
    path = tmp_path / "mostly-1252.csv"
    path.write_bytes(XERO_HEADER.encode() + "200,Café,Sales,GST\n201,Crème,Sales,GST\n"
                     .encode("cp1252") + "202,Résumé,Sales,GST\n".encode())
    with pytest.raises(FileFormatError) as caught:
        read_chart(path)
    assert [p.line for p in caught.value.problems] == [4]
    message = caught.value.problems[0].message
    assert "UTF-8 while the rest of the file is Windows-1252" in message
    assert '"202,Résumé,Sales,GST"' in message
    assert '"202,RÃ©sumÃ©,Sales,GST"' in message, "what it would have become"


def test_plain_windows_1252_and_plain_utf8_files_still_read(tmp_path: Path) -> None:
    path = tmp_path / "chart.csv"
    for encoding in ("cp1252", "utf-8"):
        path.write_bytes((XERO_HEADER + "200,Café,Sales,GST\n201,Crème,Sales,GST\n")
                         .encode(encoding))
        chart = read_chart(path)
        assert chart.detected.encoding == encoding
        assert [r.full_name for r in chart.rows] == ["Café", "Crème"]


def test_utf16_tab_separated_xero_export(tmp_path: Path) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes("*Code\t*Name\t*Type\t*Tax Code\n200\tVentes été\tSales\tGST\n"
                     .encode("utf-16"))
    assert [r.full_name for r in read_chart(path).rows] == ["Ventes été"]


@pytest.mark.parametrize(("text", "value"), [
    ("1,230.40", "1230.40"), ('"-151,970.07"', "-151970.07"), ("(300.00)", "-300.00"),
    ("85.0", "85.00"), ("-650", "-650.00"), ("$1,000", "1000.00"), ("300.00-", "-300.00"),
    (" ", None), ("", None),
])
def test_amounts_as_exports_write_them(text: str, value: str | None) -> None:
    assert parse_amount(text) == (Decimal(value) if value else None)


@pytest.mark.parametrize("text", ["abc", "1.2.3", "12a", "--5"])
def test_bad_amounts(text: str) -> None:
    with pytest.raises(ValueError, match="is not an amount"):
        parse_amount(text)

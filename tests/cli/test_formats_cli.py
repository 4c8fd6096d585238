"""`bookkeeper import-coa`, `export`, `accounts list` and `exports`: output, --json and exit
codes, run in-process against a temporary SQLite database."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.formats import strict

from .conftest import Cli

DATA = Path(__file__).resolve().parents[1] / "formats" / "data"


@pytest.fixture
def company(cli: Cli) -> Cli:
    assert cli("companies", "create", "Books").code == 0
    return cli


@pytest.fixture
def sample(cli: Cli) -> Cli:
    assert cli("companies", "create", "Sample", "--sample", "--entries", "80").code == 0
    return cli


def _clean_qbo(tmp_path: Path) -> Path:
    lines = (DATA / "qbo_coa_import.csv").read_bytes().split(b"\r\n")
    path = tmp_path / "chart.csv"
    path.write_bytes(b"\r\n".join(line for line in lines if b"Mystery" not in line))
    return path


def test_import_coa_dry_run_then_import_then_again(company: Cli, tmp_path: Path) -> None:
    path = _clean_qbo(tmp_path)
    dry = company("import-coa", str(path), "--dry-run")
    assert dry.code == 0
    assert "8 to add, 0 to update, 0 skipped, 0 error(s)" in dry.out
    assert "Dry run: nothing was changed." in dry.out
    assert company("accounts", "list", "--json").json() == []
    done = company("import-coa", str(path))
    assert done.code == 0
    assert "Imported into 'Books': 8 added, 0 updated." in done.out
    assert "new parent: Travel [Expense] (created as the parent of 'Travel:Meals' (line 7)" \
        in done.out
    assert "line 2: Checking" not in done.out  # counts only, unless --verbose
    verbose = company("import-coa", str(path), "--dry-run", "--verbose")
    assert "  skip    line 2: Checking: already in the chart with the same details" in verbose.out
    again = company("import-coa", str(path), "--json")
    assert again.code == 0
    report = again.json()
    assert (report["add"], report["update"], report["applied"]) == ([], [], True)
    assert len(report["skip"]) == 7
    listing = company("accounts", "list", "--json").json()
    paper = next(a for a in listing if a["full_name"] == "Office:Paper, Ink and Toner")
    assert {k: paper[k] for k in ("code", "type", "original_type", "source", "active")} == {
        "code": "6010", "type": "expense", "original_type": "Expenses", "source": "qbo_csv",
        "active": True}
    table = company("accounts", "list").out.splitlines()
    assert table[0].split() == ["CODE", "FULL", "NAME", "TYPE", "ORIGINAL", "TYPE", "SOURCE",
                                "ACTIVE"]
    assert any("Office:Paper, Ink and Toner" in row for row in table)


def test_import_coa_file_with_errors_exits_1_and_imports_nothing(company: Cli) -> None:
    result = company("import-coa", str(DATA / "iif_list_export.iif"))
    assert result.code == 1
    # The problems on stderr, the preview on stdout.
    assert "bookkeeper: error: line 12: account 'Contractor Income' has an unknown type" \
        in result.err
    assert "line 13: account 'checking' appears twice (first on line 8)" in result.err
    assert result.err.rstrip().endswith("bookkeeper: nothing was imported: fix the errors "
                                        "above and import the file again.")
    assert "line 12" not in result.out
    assert "imported" not in result.out
    assert company("accounts", "list", "--json").json() == []
    as_json = company("import-coa", str(DATA / "iif_list_export.iif"), "--json")
    assert as_json.code == 1
    assert [e["line"] for e in as_json.json()["errors"]] == [12, 13, 14, 15]


def test_import_coa_refuses_other_files_and_bad_usage(company: Cli, tmp_path: Path) -> None:
    customers = company("import-coa", str(DATA / "iif_customer_list.iif"))
    assert customers.code == 1
    assert "is a QuickBooks customer list (IIF), not a chart of accounts" in customers.err
    assert company("import-coa", str(tmp_path / "missing.csv")).code == 2
    assert company("import-coa").code == 2
    assert company("import-coa", str(DATA), "--dry-run").code == 2


def test_export_each_format_and_the_export_log(sample: Cli, tmp_path: Path) -> None:
    for fmt, name in (("iif", "b.iif"), ("qbo-csv", "q.csv"), ("xero-csv", "x.csv"),
                      ("xlsx", "b.xlsx")):
        result = sample("export", "--format", fmt, "--out", str(tmp_path / name))
        assert result.code == 0, result.err
        assert "Exported" in result.out
    journals, block = strict.read_iif(tmp_path / "b.iif")
    assert journals
    assert block == []
    assert sample("export", "--format", "iif", "--out", str(tmp_path / "a.iif"),
                  "--with-accounts").code == 0
    with_accounts, block = strict.read_iif(tmp_path / "a.iif")
    assert strict.totals(with_accounts) == strict.totals(journals)
    assert block
    as_json = sample("export", "--format", "qbo-csv", "--out", str(tmp_path / "d.csv"),
                     "--date-format", "DD/MM/YYYY", "--status", "approved", "--status",
                     "posted", "--from", "2000-01-01", "--to", "2100-12-31", "--json").json()
    written = as_json["files"][0]
    assert written["sha256"] == hashlib.sha256(Path(written["path"]).read_bytes()).hexdigest()
    assert strict.read_qbo(Path(written["path"]), "DD/MM/YYYY")
    history = sample("exports", "--json").json()
    assert history[0]["filters"]["statuses"] == ["approved", "posted"]
    assert {h["provider"] for h in history} == {"qbd", "qbo", "xero", "excel"}
    assert all(h["status"] == "succeeded" for h in history)
    table = sample("exports").out
    assert "PROVIDER" in table
    assert "succeeded" in table


def test_export_usage_and_refusals(sample: Cli, tmp_path: Path) -> None:
    assert sample("export", "--format", "pdf", "--out", "x").code == 2
    assert sample("export", "--format", "iif").code == 2
    assert sample("export", "--format", "iif", "--out", "x", "--status", "draft").code == 2
    empty = sample("export", "--format", "iif", "--out", str(tmp_path / "e.iif"),
                   "--from", "2026-02-01", "--to", "2026-01-01")
    assert empty.code == 1
    assert "date range is empty" in empty.err
    assert not (tmp_path / "e.iif").exists()


def test_exports_and_accounts_when_empty(company: Cli) -> None:
    assert "No exports yet." in company("exports").out
    assert "No accounts yet." in company("accounts", "list").out


def test_xero_export_names_what_it_leaves_out_and_writes_bank_statements(
        sample: Cli, tmp_path: Path) -> None:
    plain = sample("export", "--format", "xero-csv", "--out", str(tmp_path / "x.csv"))
    assert plain.code == 0, plain.err
    assert "Left out " in plain.out
    assert "'Checking' is a bank account, and Xero's manual journals cannot post" in plain.out
    assert "add --bank-statements" in plain.out
    as_json = sample("export", "--format", "xero-csv", "--out", str(tmp_path / "y.csv"),
                     "--bank-statements", "--json").json()
    assert as_json["left_out"]
    statements = {Path(s["path"]).name: s for s in as_json["bank_statements"]}
    assert "y-Checking.csv" in statements
    checking = tmp_path / "y-Checking.csv"
    assert checking.read_text(encoding="utf-8").splitlines()[0] == (
        "*Date,*Amount,Payee,Description,Reference")
    assert statements["y-Checking.csv"]["sha256"] == hashlib.sha256(
        checking.read_bytes()).hexdigest()
    history = sample("exports", "--json").json()
    assert "xero-bank-csv" in {h["format"] for h in history}

"""`bookkeeper import-coa --undo-last`: the preview, --dry-run, --yes, --json, the refusal to ask
when stdin is no terminal, kept accounts on stderr, and the exit statuses (0, 3, 1, 2)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from bookkeeper_desktop.core.journal import JournalEntry, JournalLine
from bookkeeper_desktop.core.money import money
from bookkeeper_desktop.services import accounts as account_services
from bookkeeper_desktop.services import entries as entry_services
from bookkeeper_desktop.services.companies import list_companies
from bookkeeper_desktop.storage.engine import open_database

from .conftest import Cli


@pytest.fixture
def company(cli: Cli) -> Cli:
    assert cli("companies", "create", "Books").code == 0
    return cli


def _chart(tmp_path: Path, name: str, rows: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("Account Number,Account Name,Type,Detail Type\r\n"
                    + "".join(row + "\r\n" for row in rows), encoding="utf-8")
    return path


FIRST = ["1000,Checking,Bank,Checking", "6000,Office,Expenses,Office/General Administrative "
         "Expenses", "6100,Travel:Meals,Expenses,Travel Meals"]


def test_undo_last_previews_asks_and_undoes_newest_first(company: Cli, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    assert company("import-coa", str(_chart(tmp_path, "first.csv", FIRST))).code == 0
    assert company("import-coa", str(_chart(tmp_path, "second.csv", [
        "6000,Office Costs,Expenses,Office/General Administrative Expenses",
        "6200,Postage,Expenses,Office/General Administrative Expenses"]))).code == 0

    dry = company("import-coa", "--undo-last", "--dry-run")
    assert dry.code == 0
    assert dry.out.startswith("Undo the import of second.csv from ")
    assert "remove 1 account, restore 1" in dry.out
    assert "  remove   6200 Postage" in dry.out
    assert "  restore  6000 Office Costs: name back to 'Office' (now 'Office Costs')" in dry.out
    assert "Dry run: nothing was changed." in dry.out

    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal: no question asked
    refused = company("import-coa", "--undo-last")
    assert refused.code == 2
    assert "add --yes" in refused.err
    names = {a["full_name"] for a in company("accounts", "list", "--json").json()}
    assert {"Postage", "Office Costs"} <= names

    done = company("import-coa", "--undo-last", "--yes")
    assert done.code == 0, done.err
    assert "Undid the import of second.csv: 1 account removed, 1 restored." in done.out
    names = {a["full_name"] for a in company("accounts", "list", "--json").json()}
    assert "Postage" not in names
    assert "Office" in names

    first = company("import-coa", "--undo-last", "--yes", "--json")
    assert first.code == 0
    report = first.json()
    assert report["import"]["file"] == "first.csv"
    assert report["applied"] is True
    assert sorted(r["full_name"] for r in report["remove"]) == [
        "Checking", "Office", "Travel", "Travel:Meals"]
    assert company("accounts", "list", "--json").json() == []

    nothing = company("import-coa", "--undo-last", "--yes")
    assert nothing.code == 1
    assert "nothing to undo" in nothing.err


def test_accounts_used_since_are_kept_listed_on_stderr_exit_3(company: Cli, db_path: Path,
                                                              tmp_path: Path) -> None:
    assert company("import-coa", str(_chart(tmp_path, "chart.csv", FIRST))).code == 0
    db = open_database(f"sqlite:///{db_path}")
    try:
        company_id = list_companies(db)[0].id
        chart = {a.full_name: a.id or 0 for a in account_services.list_accounts(db, company_id)}
        entry_services.save_draft(db, company_id, JournalEntry(dt.date(2026, 11, 2), (
            JournalLine(chart["Travel:Meals"], debit=money("30.00")),
            JournalLine(chart["Checking"], credit=money("30.00")))))
    finally:
        db.close()
    result = company("import-coa", "--undo-last", "--yes", "--json")
    assert result.code == 3
    kept = {k["full_name"]: k["reason"] for k in result.json()["keep"]}
    assert kept == {"Checking": "used by 1 entry", "Travel:Meals": "used by 1 entry",
                    "Travel": "has the subaccount 'Travel:Meals'"}
    assert "kept Travel:Meals: used by 1 entry" in result.err
    assert [r["full_name"] for r in result.json()["remove"]] == ["Office"]


def test_undo_last_usage_errors(company: Cli, tmp_path: Path) -> None:
    path = _chart(tmp_path, "chart.csv", FIRST)
    both = company("import-coa", str(path), "--undo-last")
    assert both.code == 2
    assert "takes no FILE" in both.err
    neither = company("import-coa")
    assert neither.code == 2
    assert "name the chart file" in neither.err

"""Real files written by other programs (../shared/fixtures/iif; skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookkeeper_desktop.core.accounts import AccountType
from bookkeeper_desktop.core.errors import FileFormatError
from bookkeeper_desktop.formats import ChartLayout, plan_import, read_chart, sniff

pytestmark = pytest.mark.shared_fixtures

QBD = "qbd-enterprise-v34_coa-export_sample-company__pewejekubam-qbd-to-gnucash.IIF"
TRANSACTION_FILES = [
    "stripe-iif-export_2014_missing-endtrns-ragged-cols__gtolle-stripe-iiftoqbo.iif",
    "stripe-iif-export_general-journal_2015__gtolle-stripe-iiftoqbo.iif",
    "paypal-iif-download_crlf-embedded-quotes__bsensale-qp-iif-utility.iif",
    "paypal-iif-download_thousands-sep-no-final-eol__bsensale-qp-iif-utility.iif",
]


def _accnt_lines(path: Path) -> list[int]:
    """Line numbers of the ACCNT data rows, counted here independently of the reader."""
    text = path.read_bytes().decode("cp1252")
    return [n for n, line in enumerate(text.splitlines(), start=1)
            if line.split("\t")[0] == "ACCNT"]


def test_qbd_v34_chart_export(real_iif: Path) -> None:
    path = real_iif / QBD
    assert sniff(path).layout is ChartLayout.IIF
    chart = read_chart(path)
    accnt_lines = _accnt_lines(path)
    assert len(accnt_lines) == 106
    assert len(chart.rows) == 105
    assert [(p.line, "MISC_LABOR_INCOME" in p.message) for p in chart.problems] == [(52, True)]
    assert 52 in accnt_lines
    assert 52 not in [r.line for r in chart.rows]
    assert sorted(r.line for r in chart.rows) == [n for n in accnt_lines if n != 52]
    rows = {r.full_name: r for r in chart.rows}
    assert "Contractor Income" not in rows
    # three-level subaccounts, quoted thousands, EXTRA flags, numbers on NONPOSTING accounts
    deck = rows["Landscaping Services:Job Materials:Decks & Patios"]
    assert (deck.type, deck.code, str(deck.opening_balance)) == (AccountType.INCOME, "4111",
                                                                 "-515.00")
    assert str(rows["Opening Bal Equity"].opening_balance) == "-151970.07"
    assert rows["Opening Bal Equity"].extra == {"iif_extra": "OPENBAL"}
    assert (rows["Sales Orders"].type, rows["Sales Orders"].code) == (AccountType.NON_POSTING, "5")
    assert rows["Checking"].description == "Great Statewide Bank"
    # the !QB ONLINE block (its own ACCNT column) adds nothing
    assert sum(1 for r in chart.rows if r.full_name == "Checking") == 1
    preview = plan_import(chart, [])
    assert not preview.can_apply
    assert len(preview.adds) == 105  # every parent is in the file: none created
    assert [e.line for e in preview.errors] == [52]


@pytest.mark.parametrize("name", TRANSACTION_FILES)
def test_transaction_files_are_recognised_as_transactions(real_iif: Path, name: str) -> None:
    with pytest.raises(FileFormatError) as caught:
        sniff(real_iif / name)
    assert "IIF file of transactions" in caught.value.message
    assert "not a chart of accounts" in caught.value.message

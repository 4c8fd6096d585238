"""Statement lines accepted in the review go out with the next Sync Now: an OFX imported into a
company connected to the QBO sandbox, its lines accepted (one with a correction), then one sync
sends exactly one copy of each accepted entry and nothing for the lines still waiting."""

from __future__ import annotations

from pathlib import Path

from bookkeeper_desktop.core.accounts import AccountType
from bookkeeper_desktop.services import statement_review as review
from bookkeeper_desktop.services import statements
from bookkeeper_desktop.services.accounts import accounts_by_id
from bookkeeper_desktop.services.mappings import mapping_by_account
from tests.sync.conftest import Books
from tests.sync.helpers import pushed_copies, state, sync

OFX = Path(__file__).resolve().parents[1] / "formats" / "statements" / "data" / \
    "ours-checking-ofx102.ofx"


def test_accepted_statement_lines_go_out_with_the_next_sync(qbo: Books) -> None:
    assert sync(qbo, push=False).ok  # the chart and its mappings
    mapped = mapping_by_account(qbo.db, qbo.company_id, "qbo", confirmed_only=True)
    accounts = accounts_by_id(qbo.db, qbo.company_id)
    bank = next(a for a in sorted(mapped) if accounts[a].type is AccountType.BANK)
    expense = next(a for a in sorted(mapped) if accounts[a].type is AccountType.EXPENSE)
    statements.import_statement(qbo.db, qbo.company_id, OFX, account_id=bank)
    waiting = review.review_lines(qbo.db, qbo.company_id)
    assert len(waiting) == 6
    accepted = review.accept_lines(qbo.db, qbo.company_id, [x.id for x in waiting[:3]],
                                   choices={x.id: review.Choice(expense) for x in waiting[:3]})
    assert len(accepted.done) == 3
    result = sync(qbo)
    assert result.ok, result.message
    copies = pushed_copies(qbo)
    assert {entry_id: copies[entry_id] for entry_id in accepted.entry_ids} == \
        dict.fromkeys(accepted.entry_ids, 1)
    assert not {x.entry_id for x in waiting[3:]} & set(copies)
    assert sync(qbo).counts["pushed"] == 0  # nothing twice


def test_accepted_statement_lines_go_to_xero_as_bank_transactions(xero: Books,
                                                                  tmp_path: Path) -> None:
    """The same at Xero, where a bank line cannot be in a manual journal: each accepted line
    goes as a bank transaction (spend or receive money) with its payee as the contact."""
    assert sync(xero, push=False).ok
    by_code = {m.remote_code: a for a, m in mapping_by_account(
        xero.db, xero.company_id, "xero", confirmed_only=True).items()}
    bank, expense = by_code["090"], by_code["429"]
    statement = tmp_path / "nzd.ofx"  # the organisation's currency
    statement.write_text(OFX.read_text(encoding="utf-8").replace("<CURDEF>USD", "<CURDEF>NZD"),
                         encoding="utf-8")
    statements.import_statement(xero.db, xero.company_id, statement, account_id=bank)
    waiting = review.review_lines(xero.db, xero.company_id)
    accepted = review.accept_lines(xero.db, xero.company_id, [x.id for x in waiting[:3]],
                                   choices={x.id: review.Choice(expense, f"Payee {n}")
                                            for n, x in enumerate(waiting[:3])})
    assert len(accepted.done) == 3
    result = sync(xero)
    assert result.ok, result.message
    assert result.counts["refused"] == 0, result.counts["waiting"]
    records = state(xero)["api"]["tenants"][xero.tenant]["records"]["BankTransactions"]
    ours = [r for r in records.values()
            if f"[bk:xero{xero.company_id}-" in str(r.get("Reference") or "")]
    assert sorted(r["Contact"]["Name"] for r in ours) == ["Payee 0", "Payee 1", "Payee 2"]
    assert sync(xero).counts["pushed"] == 0

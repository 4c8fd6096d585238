"""Statements in, end to end through the services on a real database: account matching and
remembering, nothing imported twice, matches with entries already in the books, transfers,
balance checks, proposals with reasons that learn from every acceptance, rules, skip and split."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.categorise import Rule
from bookkeeper_desktop.core.errors import Cancelled, ValidationError
from bookkeeper_desktop.core.journal import EntrySource, EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.core.progress import Progress, ProgressSnapshot
from bookkeeper_desktop.services import entries as entry_services
from bookkeeper_desktop.services import statement_review as review
from bookkeeper_desktop.services import statements
from bookkeeper_desktop.services.statement_model import load_model
from bookkeeper_desktop.storage.engine import Database, open_database
from bookkeeper_desktop.storage.records import Company

OFX = "ours-checking-ofx102.ofx"
QFX = "ours-visa-ofx211.qfx"
CAMT = "ours-savings-camt053.xml"


def _id(account: Account) -> int:
    assert account.id is not None
    return account.id


def _import(db: Database, company: Company, path: Path, account: Account | None = None
            ) -> statements.ImportOutcome:
    return statements.import_statement(db, company.id, path,
                                       account_id=_id(account) if account else None,
                                       actor="tester")


def _by_text(lines: list[review.ReviewLine], text: str) -> review.ReviewLine:
    return next(x for x in lines if text in x.text)


def test_unknown_account_is_asked_once_then_remembered_and_nothing_imports_twice(
        db: Database, company: Company, chart: dict[str, Account], statements_dir: Path) -> None:
    path = statements_dir / OFX
    preview = statements.preview_statement(db, company.id, path)[0]
    assert preview.account is None
    assert not preview.can_apply
    with pytest.raises(ValidationError, match=r"account …6789.*not linked") as raised:
        _import(db, company, path)
    assert raised.value.hint is not None
    assert "--account" in raised.value.hint

    first = _import(db, company, path, chart["1000"])
    assert len(first.created_line_ids) == 6
    assert len(first.entry_ids) == 6
    drafts = entry_services.get_entries(db, company.id, list(first.entry_ids))
    assert {e.status for e in drafts} == {EntryStatus.DRAFT}
    assert all(e.is_balanced for e in drafts)
    assert first.previews[0].refused[0].line == 85

    again = statements.preview_statement(db, company.id, path)[0]  # no --account: remembered
    assert again.account_how == "remembered"
    assert again.count(statements.Outcome.DUPLICATE) == 6
    assert _import(db, company, path).created_line_ids == ()


def test_an_entry_already_in_the_books_is_proposed_as_the_match(
        db: Database, company: Company, chart: dict[str, Account], statements_dir: Path) -> None:
    typed = entry_services.save_draft(db, company.id, JournalEntry(
        date=dt.date(2026, 11, 5), memo="Fuel", source=EntrySource.MANUAL,
        lines=(JournalLine.of(_id(chart["6100"]), "64.20"),
               JournalLine.of(_id(chart["1000"]), "-64.20"))))
    preview = statements.preview_statement(db, company.id, statements_dir / OFX,
                                           account_id=_id(chart["1000"]))[0]
    shell = next(x for x in preview.lines if "SHELL" in x.line.text)
    assert shell.outcome is statements.Outcome.MATCHED
    assert shell.entry_id == typed.id
    outcome = _import(db, company, statements_dir / OFX, chart["1000"])
    assert len(outcome.entry_ids) == 5  # no new entry for the matched line


def test_transfer_between_two_of_our_accounts_becomes_one_entry(
        db: Database, company: Company, chart: dict[str, Account], statements_dir: Path) -> None:
    _import(db, company, statements_dir / OFX, chart["1000"])
    camt = _import(db, company, statements_dir / CAMT, chart["1010"])
    preview = camt.previews[0]
    transfer = next(x for x in preview.lines if x.line.amount == Decimal("500.00"))
    assert transfer.outcome is statements.Outcome.TRANSFER
    entry = entry_services.get_entry(db, company.id, transfer.entry_id or 0)
    assert {(x.account_id, x.signed_amount) for x in entry.lines} == {
        (_id(chart["1000"]), Decimal("-500.00")), (_id(chart["1010"]), Decimal("500.00"))}
    waiting = review.review_lines(db, company.id)
    side = _by_text(waiting, "TRANSFER TO SAV")
    assert side.account_id == _id(chart["1010"])
    assert side.source == "transfer"
    result = review.accept_lines(db, company.id, [side.id], actor="tester")
    assert result.done == (side.id,)
    accepted = review.review_lines(db, company.id, states=("accepted",))
    assert len(accepted) == 2  # both sides
    assert entry_services.get_entry(db, company.id, entry.id or 0).status is EntryStatus.APPROVED


def test_balances_are_checked_and_a_difference_is_shown(
        db: Database, company: Company, chart: dict[str, Account], statements_dir: Path) -> None:
    preview = statements.preview_statement(db, company.id, statements_dir / CAMT,
                                           account_id=_id(chart["1010"]))[0]
    assert preview.balance_checks[0] == "Opening balance 0.00 agrees with our books."
    assert preview.balance_differences == (Decimal("0.00"), Decimal("0.00"))
    assert preview.notes == ("The statement is in EUR, the books in USD: its entries are made "
                             "in EUR.",)
    checking = statements.preview_statement(db, company.id, statements_dir / OFX,
                                            account_id=_id(chart["1000"]))[0]
    assert checking.balance_differences[-1] != Decimal("0.00")
    assert "difference" in checking.balance_checks[-1]


def test_an_acceptance_with_a_correction_teaches_the_next_proposal_at_once(
        db: Database, company: Company, chart: dict[str, Account], statements_dir: Path) -> None:
    _import(db, company, statements_dir / OFX, chart["1000"])
    shell = _by_text(review.review_lines(db, company.id), "SHELL")
    vehicle = _id(chart["6100"])
    result = review.accept_lines(db, company.id, [shell.id], actor="tester",
                                 choices={shell.id: review.Choice(vehicle, "Shell", "INPUT2")})
    assert result.done == (shell.id,)
    entry = entry_services.get_entry(db, company.id, shell.entry_id or 0)
    assert entry.status is EntryStatus.APPROVED
    [counter] = [x for x in entry.lines if x.account_id == vehicle]
    assert (counter.contact, counter.tax_code) == ("Shell", "INPUT2")

    _import(db, company, statements_dir / QFX, chart["2100"])
    card_shell = _by_text(review.review_lines(db, company.id), "SHELL")
    assert card_shell.account_id == vehicle
    assert card_shell.contact == "Shell"
    assert card_shell.reason == ("1 earlier payment to 'SHELL OIL' went to Vehicle Expenses; "
                                 "the last on 3 Nov 2026.")
    assert card_shell.confidence == 75


def test_the_model_survives_a_restart(db: Database, company: Company,
                                      chart: dict[str, Account], statements_dir: Path,
                                      tmp_path: Path) -> None:
    _import(db, company, statements_dir / OFX, chart["1000"])
    comcast = _by_text(review.review_lines(db, company.id), "COMCAST")
    review.accept_lines(db, company.id, [comcast.id],
                        choices={comcast.id: review.Choice(_id(chart["6081"]))})
    db.close()
    reopened = open_database(f"sqlite:///{tmp_path / 'books.sqlite'}")
    try:
        with reopened.read_session() as session:
            model = load_model(session, company.id)
        assert model.payees["COMCAST BUSINESS"][_id(chart["6081"])].count == 1
    finally:
        reopened.close()


def test_entries_pulled_from_qbo_or_xero_are_never_learned(
        db: Database, company: Company, chart: dict[str, Account], statements_dir: Path) -> None:
    entry_services.add_entries(db, company.id, [JournalEntry(
        date=dt.date(2026, 10, 1), memo="pulled", status=EntryStatus.POSTED,
        source=source, lines=(JournalLine.of(_id(chart["6100"]), "10.00",
                                             description="SHELL OIL 1234"),
                              JournalLine.of(_id(chart["1000"]), "-10.00",
                                             description="SHELL OIL 1234")))
        for source in (EntrySource.QBO, EntrySource.XERO)])
    preview = statements.preview_statement(db, company.id, statements_dir / OFX,
                                           account_id=_id(chart["1000"]))[0]
    shell = next(x for x in preview.lines if "SHELL" in x.line.text)
    assert shell.proposal is not None
    assert shell.proposal.source.value != "payee"
    assert "SHELL" not in shell.proposal.reason


def test_entries_typed_in_the_app_are_learned(
        db: Database, company: Company, chart: dict[str, Account], statements_dir: Path) -> None:
    entry_services.add_entries(db, company.id, [JournalEntry(
        date=dt.date(2026, 10, day), memo="fuel", status=EntryStatus.APPROVED,
        source=EntrySource.MANUAL, lines=(
            JournalLine.of(_id(chart["6100"]), "10.00", description="SHELL OIL 1234"),
            JournalLine.of(_id(chart["1000"]), "-10.00", description="SHELL OIL 1234")))
        for day in (1, 8, 15)])
    preview = statements.preview_statement(db, company.id, statements_dir / OFX,
                                           account_id=_id(chart["1000"]))[0]
    shell = next(x for x in preview.lines if "SHELL" in x.line.text)
    assert shell.proposal is not None
    assert shell.proposal.account_id == _id(chart["6100"])
    assert shell.proposal.reason.startswith("3 earlier payments to 'SHELL OIL'")


def test_rule_from_the_review_reproposes_waiting_lines_and_accept_above_takes_them(
        db: Database, company: Company, chart: dict[str, Account], statements_dir: Path) -> None:
    _import(db, company, statements_dir / OFX, chart["1000"])
    rent = _id(chart["6050"])
    rule, changed = review.add_rule(db, company.id, Rule("ACME PROPERTIES", rent, "Acme"))
    assert changed == 1
    line = _by_text(review.review_lines(db, company.id), "ACME PROPERTIES")
    assert (line.account_id, line.confidence, line.source) == (rent, 100, "rule")
    assert line.reason == "Your rule: description contains 'ACME PROPERTIES' → Rent."
    result = review.accept_above(db, company.id, 90, post=True)
    assert line.id in result.done
    entry = entry_services.get_entry(db, company.id, line.entry_id or 0)
    assert entry.status is EntryStatus.POSTED
    assert rule.id is not None


def test_choosing_another_account_keeps_the_proposed_payee_unless_told_otherwise(
        db: Database, company: Company, chart: dict[str, Account], statements_dir: Path) -> None:
    _import(db, company, statements_dir / OFX, chart["1000"])
    review.add_rule(db, company.id, Rule("ACME PROPERTIES", _id(chart["6050"]), "Acme"))
    line = _by_text(review.review_lines(db, company.id), "ACME PROPERTIES")
    assert line.contact == "Acme"
    office = _id(chart["6042"])
    changed = review.change_line(db, company.id, line.id, review.Choice(office))
    assert (changed.account_id, changed.contact) == (office, "Acme")
    entry = entry_services.get_entry(db, company.id, line.entry_id or 0)
    assert {x.contact for x in entry.lines} == {"Acme"}
    cleared = review.change_line(db, company.id, line.id, review.Choice(office, ""))
    assert cleared.contact == ""


def test_a_line_without_an_account_is_refused_on_accept_with_the_reason(
        db: Database, company: Company, chart: dict[str, Account], statements_dir: Path) -> None:
    _import(db, company, statements_dir / OFX, chart["1000"])
    fee = _by_text(review.review_lines(db, company.id), "MONTHLY SERVICE FEE")
    assert fee.account == "Uncategorized Expense"
    result = review.accept_lines(db, company.id, [fee.id])
    assert result.done == ()
    assert "Choose its account first" in result.refused[0][1]


def test_skipped_lines_stay_skipped_on_reimport(
        db: Database, company: Company, chart: dict[str, Account], statements_dir: Path) -> None:
    _import(db, company, statements_dir / OFX, chart["1000"])
    fee = _by_text(review.review_lines(db, company.id), "MONTHLY SERVICE FEE")
    assert review.ignore_lines(db, company.id, [fee.id]).done == (fee.id,)
    assert entry_services.get_entries(db, company.id, [fee.entry_id or 0]) == []
    preview = statements.preview_statement(db, company.id, statements_dir / OFX)[0]
    assert preview.count(statements.Outcome.IGNORED) == 1
    assert _import(db, company, statements_dir / OFX).created_line_ids == ()


def test_split_across_accounts_must_add_up(
        db: Database, company: Company, chart: dict[str, Account], statements_dir: Path) -> None:
    _import(db, company, statements_dir / OFX, chart["1000"])
    comcast = _by_text(review.review_lines(db, company.id), "COMCAST")
    phone, office = _id(chart["6081"]), _id(chart["6040"])
    with pytest.raises(ValidationError, match=r"add up to -129\.98 but the line is -129\.99"):
        review.split_line(db, company.id, comcast.id, [
            review.SplitPart(phone, Decimal("-100.00")), review.SplitPart(office,
                                                                          Decimal("-29.98"))])
    split = review.split_line(db, company.id, comcast.id, [
        review.SplitPart(phone, Decimal("-100.00")), review.SplitPart(office, Decimal("-29.99"))])
    assert split.account_id == phone
    entry = entry_services.get_entry(db, company.id, comcast.entry_id or 0)
    assert sorted(x.signed_amount for x in entry.lines) == [
        Decimal("-129.99"), Decimal("29.99"), Decimal("100.00")]
    assert review.accept_lines(db, company.id, [comcast.id]).done == (comcast.id,)


def test_two_bank_csvs_and_the_mapping_is_remembered(
        db: Database, company: Company, chart: dict[str, Account], statements_dir: Path) -> None:
    chase = _import(db, company, statements_dir / "ours-chase-checking.csv", chart["1000"])
    assert len(chase.created_line_ids) == 4
    assert chase.previews[0].refused[0].line == 6
    mapping = statements.remembered_mapping(db, company.id,
                                            statements_dir / "ours-chase-checking.csv")
    assert mapping is not None
    assert mapping.date_format == "%m/%d/%Y"
    uk = _import(db, company, statements_dir / "ours-nationwide-uk.csv", chart["1010"])
    assert len(uk.created_line_ids) == 4
    assert _import(db, company, statements_dir / "ours-nationwide-uk.csv").created_line_ids == ()


def test_done_means_four_statements_on_the_sample_company(
        db: Database, company: Company, chart: dict[str, Account], statements_dir: Path) -> None:
    """An OFX, a CAMT.053 and two bank CSVs: each read, matched to its account, deduplicated
    (a second drop adds nothing), proposed with reasons, and accepted into approved entries."""
    files = [(OFX, "1000"), (CAMT, "1010"), ("ours-chase-checking.csv", "1000"),
             ("ours-nationwide-uk.csv", "1020")]
    created = {name: _import(db, company, statements_dir / name, chart[code])
               for name, code in files}
    chase = created["ours-chase-checking.csv"].previews[0]
    comcast = next(x for x in chase.lines if "COMCAST" in x.line.text)
    # The OFX's COMCAST line 3 days earlier has its own entry: one entry is one bank line.
    assert comcast.outcome is statements.Outcome.NEW
    for name, _code in files:
        assert _import(db, company, statements_dir / name).created_line_ids == ()
    waiting = review.review_lines(db, company.id)
    assert all(x.reason for x in waiting)
    # A few corrections, then a rule, then everything at or above 90%.
    corrections = {_by_text(waiting, "SHELL").id: review.Choice(_id(chart["6100"])),
                   _by_text(waiting, "NORTHWIND").id: review.Choice(_id(chart["1100"])),
                   _by_text(waiting, "BRITISH GAS").id: review.Choice(_id(chart["6080"]))}
    assert len(review.accept_lines(db, company.id, list(corrections),
                                   choices=corrections).done) == 3
    review.add_rule(db, company.id, Rule("STAPLES", _id(chart["6042"])))
    above = review.accept_above(db, company.id, 90)
    assert len(above.done) >= 2  # the Staples line and the savings transfer
    approved = entry_services.get_entries(db, company.id, list(above.entry_ids))
    assert {e.status for e in approved} == {EntryStatus.APPROVED}
    assert all(e.is_balanced for e in approved)


def test_a_cancelled_import_of_a_long_statement_changes_nothing(
        db: Database, company: Company, chart: dict[str, Account], tmp_path: Path) -> None:
    rows = "".join(f"2026-11-{1 + n % 28:02d},SHOP {n},-{n % 90 + 1}.25\n" for n in range(900))
    path = tmp_path / "long.csv"
    path.write_text("Date,Description,Amount\n" + rows)
    seen: list[ProgressSnapshot] = []

    def cancel_midway(snapshot: ProgressSnapshot) -> None:
        seen.append(snapshot)
        if snapshot.phase == "Saving the lines and their drafts" and snapshot.done >= 400:
            progress.cancel()

    progress = Progress(on_report=cancel_midway)
    with pytest.raises(Cancelled):
        statements.import_statement(db, company.id, path, account_id=_id(chart["1000"]),
                                    progress=progress)
    assert any(s.phase == "Matching and proposing" and s.total == 900 for s in seen)
    assert review.review_lines(db, company.id) == []
    done = statements.import_statement(db, company.id, path, account_id=_id(chart["1000"]))
    assert len(done.created_line_ids) == 900


def test_a_transfer_inside_one_multi_account_file_becomes_one_entry(
        db: Database, company: Company, chart: dict[str, Account], statements_dir: Path) -> None:
    from bookkeeper_desktop.services import accounts as account_services

    for code, number in (("1000", "000123456789"), ("1010", "000987654321")):
        account_services.update_account(db, company.id, chart[code].with_changes(
            description=f"Account no. {number}"))
    outcome = _import(db, company, statements_dir / "ours-two-accounts-ofx102.ofx")
    assert [p.account_how for p in outcome.previews] == [
        "its number is in the account's description"] * 2
    savings_side = outcome.previews[1].lines[0]
    assert savings_side.outcome is statements.Outcome.TRANSFER
    entry = entry_services.get_entry(db, company.id, savings_side.entry_id or 0)
    assert {x.account_id for x in entry.lines} == {_id(chart["1000"]), _id(chart["1010"])}


def test_a_line_whose_draft_was_deleted_in_the_ledger_says_so_and_can_be_skipped(
        db: Database, company: Company, chart: dict[str, Account], statements_dir: Path) -> None:
    _import(db, company, statements_dir / OFX, chart["1000"])
    fee = _by_text(review.review_lines(db, company.id), "SERVICE FEE")
    assert entry_services.delete_drafts(db, company.id, [fee.entry_id or 0]).done
    refused = review.accept_lines(db, company.id, [fee.id])
    assert "was deleted" in refused.refused[0][1]
    assert review.ignore_lines(db, company.id, [fee.id]).done == (fee.id,)


def test_a_cancelled_accept_all_leaves_every_line_waiting(
        db: Database, company: Company, chart: dict[str, Account], tmp_path: Path) -> None:
    rows = "".join(f"2026-11-{1 + n % 28:02d},STAPLES {n},-{n % 90 + 1}.25\n" for n in range(250))
    path = tmp_path / "staples.csv"
    path.write_text("Date,Description,Amount\n" + rows)
    statements.import_statement(db, company.id, path, account_id=_id(chart["1000"]))
    review.add_rule(db, company.id, Rule("STAPLES", _id(chart["6042"])))
    progress = Progress(on_report=lambda s: progress.cancel() if s.done >= 200 else None)
    with pytest.raises(Cancelled):
        review.accept_above(db, company.id, 90, progress=progress)
    assert len(review.review_lines(db, company.id)) == 250
    assert len(review.accept_above(db, company.id, 90).done) == 250


def test_the_same_price_on_consecutive_statements_stays_two_lines(
        db: Database, company: Company, chart: dict[str, Account], tmp_path: Path) -> None:
    first, second = tmp_path / "nov.csv", tmp_path / "dec.csv"
    first.write_text("Date,Description,Amount\n2026-11-30,STARBUCKS 0042,-4.50\n")
    second.write_text("Date,Description,Amount\n2026-12-01,STARBUCKS 0042,-4.50\n")
    _import(db, company, first, chart["1000"])
    again = _import(db, company, second, chart["1000"])
    assert again.previews[0].lines[0].outcome is statements.Outcome.NEW

"""Account mappings (proposed, then confirmed; never overwritten by a proposal) and the sync log."""

from __future__ import annotations

import pytest

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.errors import NotFound, ValidationError
from bookkeeper_desktop.services import companies, mappings, sync_runs
from bookkeeper_desktop.services.audit import audit_log
from bookkeeper_desktop.services.mappings import AccountMapping, MappingState
from bookkeeper_desktop.services.sync_runs import RunStatus
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.records import Company


def _id(chart: dict[str, Account], code: str) -> int:
    account_id = chart[code].id
    assert account_id is not None
    return account_id


def test_proposals_never_replace_an_existing_mapping(
    db: Database, company: Company, chart: dict[str, Account],
) -> None:
    bank, sales = _id(chart, "1000"), _id(chart, "4000")
    mappings.save_mapping(db, company.id, AccountMapping(
        bank, "qbo", remote_id="35", remote_code=None, remote_name="Checking",
        state=MappingState.CONFIRMED, proposal_reason="user"), actor="una")
    stored = mappings.propose_mappings(db, company.id, [
        AccountMapping(bank, "qbo", "99", None, "Other bank", proposal_reason="exact name"),
        AccountMapping(sales, "qbo", "79", None, "Sales", proposal_reason="number"),
        AccountMapping(sales, "qbo", "80", None, "Sales 2", proposal_reason="normalised name"),
    ])
    assert [(m.account_id, m.remote_id) for m in stored] == [(sales, "79")]
    by_account = mappings.mapping_by_account(db, company.id, "qbo")
    assert (by_account[bank].remote_id, by_account[bank].state) == ("35", MappingState.CONFIRMED)
    assert (by_account[sales].state, by_account[sales].proposal_reason) == (
        MappingState.PROPOSED, "number")
    assert set(mappings.mapping_by_account(db, company.id, "qbo", confirmed_only=True)) == {bank}

    assert mappings.confirm_mappings(db, company.id, "qbo", [sales, bank]) == 1
    assert mappings.mapping_by_account(db, company.id, "qbo")[sales].state is (
        MappingState.CONFIRMED)
    assert mappings.list_mappings(db, company.id, "xero") == []
    assert mappings.remove_mapping(db, company.id, "qbo", sales) is True
    assert mappings.remove_mapping(db, company.id, "qbo", sales) is False
    actions = [r.action for r in reversed(audit_log(db, company.id, object_type="mapping"))]
    assert actions == ["map", "map", "confirm_mapping", "unmap"]


def test_mapping_refuses_nonsense(db: Database, company: Company,
                                  chart: dict[str, Account]) -> None:
    with pytest.raises(ValidationError, match="cannot be saved") as caught:
        mappings.save_mapping(db, company.id, AccountMapping(
            _id(chart, "1000"), "sage", None, None, None))
    assert len(caught.value.problems) == 2
    other = companies.create_company(db, "Other")
    with pytest.raises(NotFound):
        mappings.save_mapping(db, other.id, AccountMapping(
            _id(chart, "1000"), "xero", None, "090", "Bank"))


def test_sync_runs_record_the_log(db: Database, company: Company) -> None:
    first = sync_runs.start_run(db, company.id, "xero", "pull")
    assert first.status is RunStatus.RUNNING
    assert first.duration is None
    done = sync_runs.finish_run(db, first.id, RunStatus.SUCCEEDED, pulled=120, conflicts=1,
                                details={"entities": ["Accounts", "ManualJournals"]})
    assert done.duration is not None
    assert done.duration.total_seconds() >= 0
    second = sync_runs.start_run(db, company.id, "xero", "push")
    sync_runs.finish_run(db, second.id, RunStatus.FAILED, error_count=2, message="429")
    sync_runs.start_run(db, company.id, "qbo", "both")
    last = sync_runs.last_run(db, company.id, "xero")
    assert last is not None
    assert (last.id, last.status, last.message) == (second.id, RunStatus.FAILED, "429")
    assert [r.pulled for r in sync_runs.list_runs(db, company.id, provider="xero")] == [0, 120]
    assert sync_runs.list_runs(db, company.id, provider="xero")[1].details == {
        "entities": ["Accounts", "ManualJournals"]}
    assert len(sync_runs.list_runs(db, company.id)) == 3
    with pytest.raises(ValidationError):
        sync_runs.finish_run(db, second.id, RunStatus.RUNNING)
    with pytest.raises(NotFound):
        sync_runs.finish_run(db, 4242, RunStatus.SUCCEEDED)
    with pytest.raises(ValidationError):
        sync_runs.start_run(db, company.id, "xero", "sideways")

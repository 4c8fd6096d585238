"""Companies, the chart of accounts, the sample company and the integration tables, through the
services on a real database."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest
from sqlalchemy import inspect, select, text

from bookkeeper_desktop.core.accounts import Account, AccountType
from bookkeeper_desktop.core.errors import Cancelled, DuplicateError, NotFound, ValidationError
from bookkeeper_desktop.core.journal import EntryStatus
from bookkeeper_desktop.core.progress import Progress, ProgressSnapshot
from bookkeeper_desktop.sample_data import (
    create_sample_company,
    generate_entries,
    sample_accounts,
)
from bookkeeper_desktop.services import accounts, companies, connections, entries, exports
from bookkeeper_desktop.services.audit import audit_log
from bookkeeper_desktop.storage.engine import Database, open_database
from bookkeeper_desktop.storage.records import (
    Company,
    ConnectionInfo,
    ConnectionStatus,
    EntryFilter,
)
from bookkeeper_desktop.storage.schema import AccountRow, OutboxRow, RemoteObjectRow

# --- companies -------------------------------------------------------------------------------


def test_create_list_rename_with_audit(db: Database) -> None:
    beta = companies.create_company(db, "  Beta   Bakery ", actor="ann")
    alpha = companies.create_company(db, "alpha Advisors", currency="eur")
    assert beta.name == "Beta Bakery"
    assert alpha.currency == "EUR"
    assert [c.name for c in companies.list_companies(db)] == ["alpha Advisors", "Beta Bakery"]
    renamed = companies.rename_company(db, beta.id, "Beta Bakery & Cafe", actor="ben")
    assert companies.get_company(db, beta.id) == renamed
    trail = [(r.actor, r.action) for r in reversed(audit_log(db, beta.id))]
    assert trail == [("ann", "create"), ("ben", "rename")]
    assert audit_log(db, beta.id, limit=1)[0].details == {
        "from": "Beta Bakery", "to": "Beta Bakery & Cafe"}


def test_company_names_are_unique_whatever_their_case(db: Database) -> None:
    first = companies.create_company(db, "Acme")
    with pytest.raises(DuplicateError, match="already a company"):
        companies.create_company(db, "ACME")
    other = companies.create_company(db, "Other")
    with pytest.raises(DuplicateError):
        companies.rename_company(db, other.id, "acme")
    assert companies.rename_company(db, first.id, "ACME").name == "ACME"  # itself is fine


@pytest.mark.parametrize(("name", "currency", "problem"), [
    ("   ", "USD", "empty"),
    ("x" * 201, "USD", "longer than 200"),
    ("Fine", "US", "three-letter"),
    ("Fine", "12€", "three-letter"),
])
def test_bad_company_names_and_currencies_are_refused(
    db: Database, name: str, currency: str, problem: str,
) -> None:
    with pytest.raises(ValidationError) as caught:
        companies.create_company(db, name, currency=currency)
    assert any(problem in p for p in caught.value.problems)
    assert companies.list_companies(db) == []


def test_switch_is_remembered_per_database(db: Database, db_url: str, tmp_path: object) -> None:
    assert companies.current_company(db) is None
    only = companies.create_company(db, "Only")
    assert companies.current_company(db) == only  # the only one is current
    second = companies.create_company(db, "Second")
    assert companies.current_company(db) is None  # two, none chosen
    companies.switch_company(db, second.id)
    again = open_database(db_url)
    try:
        assert companies.current_company(again) == second
    finally:
        again.close()
    if db.sqlite_path is not None:  # the same file, written another way
        relative = os.path.relpath(db.sqlite_path)
        same = open_database(f"sqlite:///{relative}")
        try:
            assert companies.current_company(same) == second
        finally:
            same.close()
    assert companies.resolve_company(db, "only") == only
    assert companies.resolve_company(db, str(only.id)) == only
    assert companies.resolve_company(db, None) == second
    with pytest.raises(NotFound, match="no company 'Nobody'"):
        companies.resolve_company(db, "Nobody")
    with pytest.raises(NotFound):
        companies.switch_company(db, 987654)


def test_resolve_without_companies_says_how_to_make_one(db: Database) -> None:
    with pytest.raises(NotFound, match="no companies yet") as caught:
        companies.resolve_company(db, None)
    assert "companies create" in (caught.value.hint or "")


# --- accounts --------------------------------------------------------------------------------


def test_accounts_round_trip_with_parent_links(db: Database, company: Company) -> None:
    parent = Account("Expenses", AccountType.EXPENSE, code="6000", description="All costs",
                     tax_code="NON", detail_type="OfficeGeneralAdministrativeExpenses",
                     original_type="EXP", extra={"qbo_note": "x"})
    stored_children_first = accounts.add_accounts(db, company.id, [
        Account("Expenses : Travel : Meals", AccountType.EXPENSE, code=" 6011 "),
        Account("Expenses:Travel", AccountType.EXPENSE, code="6010"),
        parent,
    ])
    by_name = {a.full_name: a for a in stored_children_first}
    assert set(by_name) == {"Expenses", "Expenses:Travel", "Expenses:Travel:Meals"}
    assert by_name["Expenses:Travel:Meals"].code == "6011"
    expected = parent.with_changes(id=by_name["Expenses"].id, company_id=company.id)
    assert by_name["Expenses"] == expected
    assert by_name["Expenses"].extra == {"qbo_note": "x"}
    with db.read_session() as session:
        rows = {r.full_name: r for r in session.execute(select(AccountRow)).scalars()}
    assert rows["Expenses:Travel:Meals"].parent_id == rows["Expenses:Travel"].id
    assert rows["Expenses:Travel"].parent_id == rows["Expenses"].id
    assert rows["Expenses:Travel:Meals"].name == "Meals"
    assert accounts.find_account(db, company.id, "6010") == by_name["Expenses:Travel"]
    assert accounts.find_account(db, company.id, "expenses:travel") == by_name["Expenses:Travel"]
    assert accounts.find_account(db, company.id, "nope") is None


def test_add_accounts_is_all_or_nothing(db: Database, company: Company) -> None:
    with pytest.raises(ValidationError, match="cannot be added") as caught:
        accounts.add_accounts(db, company.id, [
            Account("Bank", AccountType.BANK, code="1000"),
            Account("Missing Parent:Child", AccountType.EXPENSE),
        ])
    assert "parent account 'Missing Parent' does not exist" in caught.value.problems[0]
    assert accounts.list_accounts(db, company.id) == []
    accounts.add_account(db, company.id, Account("Bank", AccountType.BANK, code="1000"))
    with pytest.raises(DuplicateError, match="code 1000 is already used"):
        accounts.add_account(db, company.id, Account("Bank 2", AccountType.BANK, code="1000"))
    with pytest.raises(DuplicateError, match="already an account called"):
        accounts.add_account(db, company.id, Account("BANK", AccountType.BANK))
    with pytest.raises(ValidationError, match="not valid"):
        accounts.add_account(db, company.id, Account("A::B", AccountType.BANK))


def test_renaming_a_parent_renames_its_subaccounts(db: Database, company: Company) -> None:
    made = accounts.add_accounts(db, company.id, [
        Account("Travel", AccountType.EXPENSE), Account("Travel:Meals", AccountType.EXPENSE),
        Account("Travel:Meals:Client", AccountType.EXPENSE),
        Account("Travelling Circus", AccountType.INCOME)])
    travel = next(a for a in made if a.full_name == "Travel")
    accounts.update_account(db, company.id, travel.with_changes(full_name="Trips",
                                                                code="6100"), actor="kim")
    names = [a.full_name for a in accounts.list_accounts(db, company.id)]
    assert names == ["Travelling Circus", "Trips", "Trips:Meals", "Trips:Meals:Client"]
    last = audit_log(db, company.id, object_type="account", limit=1)[0]
    assert last.details["full_name"] == ["Travel", "Trips"]
    assert last.actor == "kim"


def test_deactivated_accounts_stay_listed_but_not_as_active(db: Database, company: Company
                                                            ) -> None:
    bank = accounts.add_account(db, company.id, Account("Bank", AccountType.BANK))
    assert bank.id is not None
    accounts.deactivate_account(db, company.id, bank.id)
    assert accounts.list_accounts(db, company.id, include_inactive=False) == []
    assert accounts.get_account(db, company.id, bank.id).active is False
    other = companies.create_company(db, "Other")
    with pytest.raises(NotFound):
        accounts.get_account(db, other.id, bank.id)


# --- sample data ------------------------------------------------------------------------------


def test_the_sample_company_is_a_realistic_year_of_books(db: Database) -> None:
    end = dt.date(2026, 6, 30)
    company = create_sample_company(db, "Demo Co", end=end, actor="demo")
    chart = accounts.list_accounts(db, company.id)
    assert 55 <= len(chart) <= 65
    assert {a.type for a in chart} == set(AccountType)  # every normalised type
    assert sum(1 for a in chart if a.depth > 0) >= 10
    assert all(a.code for a in chart)
    count = entries.count_entries(db, company.id)
    assert 200 <= count <= 500
    for status in EntryStatus:
        assert entries.count_entries(db, company.id, EntryFilter.of_status(status)) > 0
    dated = entries.page_entries(db, company.id, offset=0, limit=count)
    assert min(e.date for e in dated) >= end - dt.timedelta(days=365)
    assert max(e.date for e in dated) <= end
    assert all(e.is_balanced for e in entries.iter_entries(db, company.id))
    assert entries.trial_balance(db, company.id).is_balanced


def test_a_sample_company_over_several_years_all_posted(db: Database) -> None:
    """What the latency benchmark builds for "three years of a busy small business"."""
    start, end = dt.date(2023, 7, 1), dt.date(2026, 6, 30)
    company = create_sample_company(db, "Three Years", entries=300, start=start, end=end,
                                    status_weights={EntryStatus.POSTED: 1})
    dated = entries.page_entries(db, company.id, offset=0, limit=300)
    assert len(dated) == 300
    assert min(e.date for e in dated) < dt.date(2024, 1, 1)
    assert max(e.date for e in dated) > dt.date(2026, 1, 1)
    assert all(start <= e.date <= end for e in dated)
    assert entries.count_entries(db, company.id, EntryFilter.of_status(EntryStatus.POSTED)) == 300


def test_a_cancelled_sample_company_leaves_nothing_behind(db: Database) -> None:
    seen: list[int] = []

    def cancel_halfway(snapshot: ProgressSnapshot) -> None:
        seen.append(snapshot.done)
        if snapshot.done >= 200:
            progress.cancel()

    progress = Progress(cancel_halfway)
    with pytest.raises(Cancelled):
        create_sample_company(db, "Half Made", entries=400, progress=progress)
    assert 200 in seen
    assert companies.list_companies(db) == []
    with db.read_session() as session:
        assert session.execute(select(AccountRow)).first() is None
    made = create_sample_company(db, "Half Made", entries=20, progress=Progress())
    assert entries.count_entries(db, made.id) == 20


def test_sample_data_is_deterministic(db: Database) -> None:
    end = dt.date(2026, 1, 31)
    first = create_sample_company(db, "One", end=end, entries=50)
    second = create_sample_company(db, "Two", end=end, entries=50)

    def shape(company_id: int) -> list[tuple[object, ...]]:
        names = {a.id: a.full_name for a in accounts.list_accounts(db, company_id)}
        return [(e.date, e.number, e.status, tuple((names[x.account_id], x.debit, x.credit)
                                                   for x in e.lines))
                for e in entries.iter_entries(db, company_id)]

    assert shape(first.id) == shape(second.id)


def test_generate_entries_makes_balanced_entries_with_three_lines_on_average(
    db: Database, company: Company,
) -> None:
    stored = accounts.add_accounts(db, company.id, sample_accounts())
    made = list(generate_entries(600, stored, seed=7, end=dt.date(2026, 1, 1)))
    assert len(made) == 600
    assert all(e.is_balanced for e in made)
    average = sum(len(e.lines) for e in made) / len(made)
    assert 2.7 <= average <= 3.3
    non_posting = {a.id for a in stored if a.type is AccountType.NON_POSTING}
    assert not any(line.account_id in non_posting for e in made for line in e.lines)
    ids = entries.bulk_insert_entries(db, company.id, made)
    assert len(ids) == 600
    assert entries.get_entries(db, company.id, ids[:1])[0].lines == made[0].lines


def test_bulk_insert_validates_and_writes_nothing_on_a_bad_entry(
    db: Database, company: Company,
) -> None:
    stored = accounts.add_accounts(db, company.id, sample_accounts())
    made = list(generate_entries(10, stored, seed=3))
    broken = made[5].with_changes(lines=made[5].lines[:1])
    with pytest.raises(ValidationError):
        entries.bulk_insert_entries(db, company.id, [*made[:5], broken, *made[6:]])
    assert entries.count_entries(db, company.id) == 0


# --- exports, connections, settings and the sync tables ---------------------------------------


def test_export_log_with_the_seeds_per_provider_views(db: Database, company: Company) -> None:
    exports.log_export(db, company.id, provider="qbo", format="qbo-csv",
                       filters={"status": ["posted"], "from": "2026-01-01"}, record_count=12,
                       file_name="/tmp/je.csv", checksum="a" * 64, status="succeeded")
    exports.log_export(db, company.id, provider="xero", format="xero-csv", filters={},
                       record_count=3, file_name="x.csv", checksum=None, status="failed",
                       message="disk full")
    exports.log_export(db, company.id, provider="qbd", format="iif", filters={},
                       record_count=5, file_name="q.iif", checksum="b" * 64, status="succeeded")
    history = exports.export_history(db, company.id)
    assert [r.provider for r in history] == ["qbd", "xero", "qbo"]
    assert history[2].filters == {"status": ["posted"], "from": "2026-01-01"}
    assert [r.format for r in exports.export_history(db, company.id, provider="xero")] == [
        "xero-csv"]
    with db.read_session() as session:
        qbo = session.execute(text("SELECT file_name, record_count FROM qbo_export_log")).all()
        xero = session.execute(text("SELECT status, message FROM xero_export_log")).all()
    assert [tuple(r) for r in qbo] == [("/tmp/je.csv", 12)]
    assert [tuple(r) for r in xero] == [("failed", "disk full")]
    with pytest.raises(ValidationError):
        exports.log_export(db, company.id, provider="sage", format="csv", filters={},
                           record_count=0, file_name="", checksum=None, status="done")


def test_connections_keep_metadata_and_no_token_column_exists(
    db: Database, company: Company,
) -> None:
    with db.engine.connect() as connection:
        columns = [c["name"] for c in inspect(connection).get_columns("connections")]
    assert not [c for c in columns if "token" in c or "secret" in c]
    expiry = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
    saved = connections.save_connection(db, company.id, ConnectionInfo(
        provider="qbo", tenant_id="9130354", remote_company_name="Sandbox Company_US_1",
        access_expires_at=expiry, scopes=("com.intuit.quickbooks.accounting",),
    ))
    assert connections.get_connection(db, company.id, "qbo") == saved
    assert saved.access_expires_at == expiry
    updated = connections.set_connection_status(
        db, company.id, "qbo", ConnectionStatus.NEEDS_ATTENTION, "consent revoked")
    assert updated is not None
    assert (updated.status, updated.status_reason) == (
        ConnectionStatus.NEEDS_ATTENTION, "consent revoked")
    assert connections.set_connection_status(db, company.id, "xero",
                                             ConnectionStatus.CONNECTED) is None
    assert connections.remove_connection(db, company.id, "qbo") is True
    assert connections.list_connections(db, company.id) == []
    with pytest.raises(ValidationError):
        connections.save_connection(db, company.id, ConnectionInfo("sage", None))


def test_integration_settings_set_read_and_remove(db: Database, company: Company) -> None:
    connections.set_integration_setting(db, company.id, "xero", "scopes", "granular")
    connections.set_integration_setting(db, company.id, "xero", "scopes", "broad")
    connections.set_integration_setting(db, company.id, "xero", "poll_minutes", "15")
    assert connections.integration_settings(db, company.id, "xero") == {
        "scopes": "broad", "poll_minutes": "15"}
    connections.set_integration_setting(db, company.id, "xero", "scopes", None)
    assert connections.integration_settings(db, company.id, "xero") == {"poll_minutes": "15"}
    assert connections.integration_settings(db, company.id, "qbo") == {}


def test_remote_objects_and_outbox_refuse_duplicates(db: Database, company: Company) -> None:
    def remote() -> RemoteObjectRow:
        return RemoteObjectRow(company_id=company.id, provider="qbo", object_type="JournalEntry",
                               remote_id="145", version="0", payload={"Id": "145"})

    with db.session() as session:
        session.add(remote())
    with pytest.raises(DuplicateError), db.session() as session:
        session.add(remote())
    with db.session() as session:
        session.add(OutboxRow(company_id=company.id, provider="xero", operation="create",
                              idempotency_key="bk-1-42-create"))
    with pytest.raises(DuplicateError), db.session() as session:
        session.add(OutboxRow(company_id=company.id, provider="xero", operation="create",
                              idempotency_key="bk-1-42-create"))
    with db.read_session() as session:
        stored = session.execute(select(RemoteObjectRow)).scalar_one()
    assert stored.payload == {"Id": "145"}
    assert stored.fetched_at.tzinfo is dt.UTC


def test_money_columns_give_decimals(db: Database, company: Company) -> None:
    stored = accounts.add_accounts(db, company.id, sample_accounts())
    ids = entries.bulk_insert_entries(db, company.id, generate_entries(3, stored, seed=1))
    summary = entries.summaries_by_id(db, company.id, ids)[ids[0]]
    assert isinstance(summary.total, Decimal)
    assert summary.total.as_tuple().exponent == -2

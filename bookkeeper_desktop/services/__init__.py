"""The application's operations: what the command line and the GUI (through `jobs/`) call. No Qt.

Every function takes an open `Database` (`storage.open_database(url)`) first, opens its own short
transaction, and returns immutable values (core `Account` / `JournalEntry`, or the records of
`storage.records`). Changes are written to the audit log with `actor` (default: the login name or
`BOOKKEEPER_ACTOR`). Errors are the typed `core.errors` tree.

companies  (`services.companies`)
    list_companies(db) -> list[Company]
    get_company(db, company_id) -> Company;  find_company(db, id_or_name) -> Company
    create_company(db, name, *, currency="USD", actor=None) -> Company
    rename_company(db, company_id, new_name, *, actor=None) -> Company
    switch_company(db, company_id) -> Company      (remembered per database, per user)
    current_company(db) -> Company | None;  resolve_company(db, selector | None) -> Company
    insert_company(session, name, ...) -> Company   (inside a transaction the caller holds)
accounts  (`services.accounts`)
    list_accounts(db, company_id, *, include_inactive=True) -> list[Account]
    accounts_by_id(db, company_id) -> dict[int, Account]
    get_account(db, company_id, account_id) -> Account
    find_account(db, company_id, code_or_full_name) -> Account | None
    add_account(db, company_id, account, *, actor=None) -> Account
    add_accounts(db, company_id, accounts, *, actor=None) -> list[Account]   (all or nothing)
    insert_accounts(session, company_id, accounts, *, actor=None)  (caller's transaction)
    update_account(db, company_id, account, *, actor=None) -> Account
    deactivate_account(db, company_id, account_id, *, actor=None) -> Account
    account_balances(db, company_id, *, statuses=(POSTED,), as_of=None) -> dict[int, Decimal]
entries  (`services.entries`; EntryFilter, EntrySort, SortColumn from `storage.records`)
    count_entries(db, company_id, flt) -> int
    page_entries(db, company_id, flt, sort, offset, limit) -> list[EntrySummary]
    entry_ids(db, company_id, flt, sort) -> list[int]
    summaries_by_id(db, company_id, ids) -> dict[int, EntrySummary]
    get_entry(db, company_id, entry_id) -> JournalEntry
    get_entries(db, company_id, ids) -> list[JournalEntry]
    iter_entries(db, company_id, flt, sort, *, batch_size=1000) -> Iterator[JournalEntry]
    save_draft(db, company_id, entry, *, actor=None) -> JournalEntry
    add_entries(db, company_id, entries, *, actor=None) -> list[JournalEntry]  (all or nothing)
    update_entry(db, company_id, entry, *, actor=None) -> JournalEntry      (draft/approved only)
    approve_entries / unapprove_entries / post_entries(db, company_id, ids, *, actor=None)
        -> BulkResult;  void_entries(..., reason="") -> BulkResult;  delete_drafts(...)
    bulk_insert_entries(db, company_id, entries, *, actor=None, validate=True) -> list[int]
    trial_balance(db, company_id, *, as_of=None, statuses=(POSTED,)) -> TrialBalance
audit  (`services.audit`)
    audit_log(db, company_id, *, object_type=None, object_id=None, limit=200, offset=0)
exports  (`services.exports`)
    log_export(db, company_id, *, provider, format, filters, record_count, file_name, checksum,
               status, message="", actor=None) -> ExportRecord
    export_history(db, company_id, *, provider=None, limit=100) -> list[ExportRecord]
    file_checksum(path) -> str
connections  (`services.connections`)
    list_connections / get_connection / save_connection / set_connection_status /
    remove_connection; integration_settings / set_integration_setting
mappings  (`services.mappings`; AccountMapping, MappingState)
    list_mappings(db, company_id, provider) -> list[AccountMapping]
    mapping_by_account(db, company_id, provider, *, confirmed_only=False) -> dict[int, ...]
    save_mapping(db, company_id, mapping, *, actor=None) -> AccountMapping   (the user's choice)
    propose_mappings(db, company_id, proposals, *, actor=None) -> stored proposals (never
        replacing an existing mapping);  confirm_mappings(...) -> int;  remove_mapping(...)
sync log  (`services.sync_runs`; SyncRun, RunStatus)
    start_run(db, company_id, provider, direction) -> SyncRun
    finish_run(db, run_id, status, *, pulled, pushed, conflicts, error_count, message, details)
    list_runs(db, company_id, *, provider=None, limit=50);  last_run(db, company_id, provider)
sync_cursors, outbox, remote_objects: ORM rows in `storage.schema` (SyncCursorRow, OutboxRow,
    RemoteObjectRow) used by `sync/` through `db.session()`.
sample data  (`bookkeeper_desktop.sample_data`)
    create_sample_company(db, name, *, entries=360, seed=..., end=None, progress=None) -> Company
        (one transaction; cancelling `progress` leaves nothing behind)
    sample_accounts() -> list[Account];  generate_entries(n, stored_accounts, *, seed, start, end)
"""

from bookkeeper_desktop.storage.engine import Database, open_database
from bookkeeper_desktop.storage.records import (
    AuditRecord,
    BulkResult,
    Company,
    ConnectionInfo,
    ConnectionStatus,
    EntryFilter,
    EntrySort,
    EntrySummary,
    ExportRecord,
    Refusal,
    SortColumn,
    TrialBalance,
    TrialBalanceRow,
)

__all__ = [
    "AuditRecord",
    "BulkResult",
    "Company",
    "ConnectionInfo",
    "ConnectionStatus",
    "Database",
    "EntryFilter",
    "EntrySort",
    "EntrySummary",
    "ExportRecord",
    "Refusal",
    "SortColumn",
    "TrialBalance",
    "TrialBalanceRow",
    "open_database",
]

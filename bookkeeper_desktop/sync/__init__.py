"""Pull and push with QBO and Xero: payload conversion, cursors, outbox, conflicts. No Qt.

Entry points for the faces are in `services.sync` (`run_sync`, `list_conflicts`,
`resolve_conflict`, `list_refused`, `retry_refused`, `list_remote_records`, `open_client`).
Inside:

- `payloads`: our entries ⇄ QBO JournalEntry / Xero ManualJournal JSON, `[bk:KEY]` markers;
- `clients`: `QboClient` / `XeroClient` over `providers.http.ApiClient`, with the per-realm /
  per-tenant `RateBudget`s and the `Retrier` (429, 5xx, dropped connections);
- `context`: `SyncContext` (db, company, client, progress, counts) and the safe points
  (Cancel, and `BOOKKEEPER_SYNC_KILL_AT` for the crash tests);
- `store`: cursors, remote objects, outbox rows, fingerprints of our entries;
- `remote_entries`: which pulled transactions become ledger entries, and how;
- `pull`: chart of accounts (mapping proposals), then transactions (QBO CDC / query, Xero
  If-Modified-Since with paging), page by page with the cursor in the same transaction;
- `push`: outbox, reconciliation by key, batches, per-item results, conflicts, refused pushes
  waiting for a fix, voids (QBO: a zeroed "Voided" update; Xero: VOIDED / DELETED);
- `engine`: one run recorded in the sync log (`run_sync_with`, `SyncResult`), the advice each
  error becomes, and `watch` (polling with idle / throttle back-off).
"""

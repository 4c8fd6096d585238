"""Xero's accounting API (`/api.xro/2.0/…`) for the Xero-compatible sandbox, without a socket.

Contract (see `sandbox/http.py`): the server checks the access token and the `xero-tenant-id`
header, then calls `XeroAccountingApi.handle(request, tenant_id)`; `request.path` is the full path.
Tests call `handle` directly. The object is thread-safe (one lock around every call) and its state
is JSON (`to_state()` / `from_state()`), so the demo can keep it in a file.

Endpoints (shapes of xero-python 15's models, generated from Xero's OpenAPI spec; facts from
`shared/API_NOTES.md` "Xero" and `reference/api-research.md` §2.2):

- `GET Organisation` → `{"Id","Status":"OK","ProviderName","DateTimeUTC":"/Date(ms)/",
  "Organisations":[…]}` — every answer uses this envelope.
- `GET Accounts` (no paging; `If-Modified-Since`, `where`, `order`), `GET Accounts/{id}`,
  `PUT Accounts` (create one), `POST Accounts/{id}` (update, archive).
- `GET ManualJournals` with `If-Modified-Since` (compared with `UpdatedDateUTC`, inclusive),
  `page` (100 per page; `pagination` in the answer) and `pageSize` (at most 1,000); journal lines
  only when paging or reading one journal, as Xero does. `GET ManualJournals/{id}`.
  `PUT ManualJournals` (create) and `POST ManualJournals[/{id}]` (create or update) of
  `{"ManualJournals":[…]}`: with `summarizeErrors=true` (the default) any invalid item fails the
  request with 400 `ValidationException` and nothing is saved; with `summarizeErrors=false` the
  answer is 200 with each item's `StatusAttributeString` "OK"/"ERROR" and `ValidationErrors`.
- `Invoices`, `BankTransactions`, `Payments`, `Contacts`: GET (list with `If-Modified-Since`,
  paging, `where`, `order`; one by id) and PUT (create); POST with an id and a `Status` makes
  Xero's status changes (void or delete an invoice, delete a bank transaction or a payment).
  `TaxRates`, `TrackingCategories`: GET. Writes over 3.5 MB: 413.
- `BankTransfers` as xero-python 15 has them (`get_bank_transfers(if_modified_since, where,
  order)`, no paging; `get_bank_transfer`; `create_bank_transfer` PUT; `delete_bank_transfer`
  POST `/BankTransfers/{id}` and `delete_bank_transfers` POST `/BankTransfers`, each with
  `{"Status":"DELETED"}`). There is no update in Xero's API, so a POST that changes anything
  else is refused. Xero's BankTransfer has `CreatedDateUTC` and no `UpdatedDateUTC`, so
  `If-Modified-Since` is compared with `CreatedDateUTC`; deleted transfers are listed only
  with `includeDeleted=true` (a GET parameter of Xero's newer OpenAPI spec).
- Lock dates (`set_lock_dates()`, or `POST /__sandbox__/lock_dates` on the server): shown by
  `GET Organisation` as `PeriodLockDate` / `EndOfYearLockDate`; every document dated on or
  before them is refused (`xero_books` has the rules and their sources).
- A refused item is echoed with its `Date`/`DueDate` in Xero's `/Date(…)/` form, as Xero
  echoes what it parsed (issue #13), whatever form the request used.
- `GET Journals?offset=N` (100 journals numbered above N): since 2 Mar 2026 only on Xero's Advanced
  tier, so 401 `AuthorizationUnsuccessful` unless the organisation was seeded `advanced=True`.
- `Idempotency-Key` (≤ 128 characters) on PUT/POST: a replay returns the first answer and acts
  only once (stored in the state, so it survives a restart).
- JSON when `Accept` asks for it, XML (Xero's default) otherwise. Unknown records and endpoints:
  404 "The resource you're looking for cannot be found" (xero-python's NotFoundException text).

Ordering and change capture: without `order`, lists come in the order the records were created
(a record keeps its place when it changes; our notes do not say what Xero's default order is), and
`If-Modified-Since` keeps records with `UpdatedDateUTC` at or after it. A record that changes
while a client pages can therefore be on a page already read, or enter the filtered set and push
the rest one place back (a record seen twice, never one skipped): a client must take its next
cursor from the first answer's `DateTimeUTC` (the server's time when the pass began), not from
the newest `UpdatedDateUTC` it saw. `order=UpdatedDateUTC` is there for clients that want it.
Decisions where our notes are silent (and the wording of most validation messages) are ours and
marked so in `xero_books`; Xero's own texts are used where the notes quote them.

Test helpers simulate someone working in Xero itself: `objects()`, `remote_create()`,
`remote_edit()`, `remote_void()`, `remote_delete()`; each change bumps `UpdatedDateUTC`.
`seed_organisation(…, advanced=True)` / `set_advanced()` put an organisation on the Advanced
tier; `tenant_ids()` lists the organisations.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import threading
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from bookkeeper_desktop.sandbox import xero_format as fmt
from bookkeeper_desktop.sandbox.http import Request, Response
from bookkeeper_desktop.sandbox.sample_seed import sample_books
from bookkeeper_desktop.sandbox.xero_books import (
    ACCOUNT_CLASS,
    COLLECTIONS,
    EDITABLE,
    ID_FIELD,
    LINE_FIELDS,
    Books,
    ItemErrors,
    NotFoundError,
    account_record,
)
from bookkeeper_desktop.sandbox.xero_seed import seed_books

API_PREFIX = "/api.xro/2.0/"
PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
JOURNALS_PER_CALL = 100
IDEMPOTENCY_KEY_MAX = 128
IDEMPOTENCY_KEYS_KEPT = 10_000
#: Xero refuses writes over 3.5 MB per request (API_NOTES.md "limits").
MAX_BODY_BYTES = 3_500_000
NOT_FOUND_TEXT = "The resource you're looking for cannot be found"
STATE_VERSION = 1

_ENDPOINTS = {name.lower(): name for name in (
    *COLLECTIONS, "Organisation", "Journals", "TaxRates", "TrackingCategories")}
_PAGED = ("ManualJournals", "Invoices", "BankTransactions", "Payments", "Contacts")
_CREATABLE = ("ManualJournals", "Invoices", "BankTransactions", "Payments", "Contacts",
              "BankTransfers")
#: The fields of a POST to an existing bank transfer: Xero's API only deletes them.
_BANK_TRANSFER_DELETE_FIELDS = frozenset({"BankTransferID", "Status"})
#: Marks a staged record that edits an existing document (popped before it is stored).
_EDIT = "__edit__"

Staged = tuple[dict[str, Any], Mapping[str, Any] | None]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class _Reply(Exception):
    """Ends handling early with a finished response."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


class XeroAccountingApi:
    """The accounting data of every sandbox organisation and the HTTP API over it."""

    def __init__(self, clock: Callable[[], dt.datetime] | None = None, *,
                 provider_name: str = "Bookkeeper Desktop") -> None:
        self._clock = clock or _utc_now
        self._lock = threading.RLock()
        self._books: dict[str, Books] = {}
        self.provider_name = provider_name

    # --- organisations -----------------------------------------------------------------------

    def seed_organisation(self, tenant_id: str, name: str, *, advanced: bool = False,
                          sample: bool = False) -> None:
        """A small New Zealand business with a chart of accounts (system and bank accounts
        included), contacts and a few months of invoices, bills, payments, bank transactions and
        manual journals. `advanced` puts it on Xero's Advanced tier (the Journals endpoint).
        `sample`: a US organisation with the sample company's own chart and contacts and no
        transactions instead (`sample_seed`, for `--demo`)."""
        with self._lock:
            self._books[tenant_id] = (
                sample_books(tenant_id, name, self._now()) if sample
                else seed_books(tenant_id, name, self._now(), advanced=advanced))

    def organisation_name(self, tenant_id: str) -> str:
        with self._lock:
            return str(self._tenant(tenant_id).organisation["Name"])

    def set_advanced(self, tenant_id: str, advanced: bool) -> None:
        """Move an organisation on or off Xero's Advanced pricing tier."""
        with self._lock:
            self._tenant(tenant_id).advanced = advanced

    def tenant_ids(self) -> list[str]:
        with self._lock:
            return list(self._books)

    def lock_dates(self, tenant_id: str) -> dict[str, str | None]:
        """The organisation's `PeriodLockDate` and `EndOfYearLockDate` as ISO dates (or None)."""
        with self._lock:
            return {name: day.isoformat() if day else None
                    for name, day in self._tenant(tenant_id).lock_dates().items()}

    def set_lock_dates(self, tenant_id: str, *, period: dt.date | None = None,
                       end_of_year: dt.date | None = None) -> dict[str, str | None]:
        """Set the organisation's `PeriodLockDate` and `EndOfYearLockDate` (None clears one), as
        an adviser does in Xero's financial settings; returns both as ISO dates (or None)."""
        with self._lock:
            books = self._tenant(tenant_id)
            books.set_lock_dates(period=period, end_of_year=end_of_year)
            books.version += 1
        return self.lock_dates(tenant_id)

    # --- state -------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        with self._lock:
            return {"version": STATE_VERSION,
                    "tenants": {tid: books.to_state() for tid, books in self._books.items()}}

    def from_state(self, state: dict[str, Any]) -> None:
        """Restore `to_state()`. An empty state (a server that saved nothing yet) changes
        nothing; a state of another format is refused with `ValueError`."""
        if not state:
            return
        if state.get("version") != STATE_VERSION or not isinstance(state.get("tenants"), dict):
            raise ValueError("not a Xero sandbox API state of this version")
        with self._lock:
            self._books = {str(tid): Books.from_state(s) for tid, s in state["tenants"].items()}

    # --- test helpers: what someone working in Xero itself would do ----------------------------

    def objects(self, tenant_id: str, collection: str) -> list[dict[str, Any]]:
        """Copies of every stored record of `collection` (amounts as Decimal), deleted and
        voided ones included; `Journals` gives the general ledger."""
        with self._lock:
            books = self._tenant(tenant_id)
            name = self._collection(collection)
            if name == "Journals":
                return copy.deepcopy(books.journals)
            return copy.deepcopy(list(books.records[name].values()))

    def remote_create(self, tenant_id: str, collection: str, data: Mapping[str, Any]
                      ) -> dict[str, Any]:
        """Create a record as a Xero user would (validated like a PUT); `ValueError` lists the
        problems."""
        with self._lock:
            books = self._tenant(tenant_id)
            books.version += 1  # cached list orders are stale after this
            name = self._collection(collection)
            if name == "Accounts":
                problems = _account_problems(books, data, None)
                if problems:
                    raise ValueError("; ".join(problems))
                return copy.deepcopy(_new_account(books, data, fmt.millis(self._now())))
            if name == "Journals":
                raise KeyError("the general ledger is written by Xero itself")
            try:
                record, previous = self._stage(books, name, _decimals(data), None, put=True)
            except ItemErrors as exc:
                books.pending_contacts.clear()
                raise ValueError("; ".join(exc.messages)) from exc
            self._save(books, name, record, previous)
            return copy.deepcopy(record)

    def remote_edit(self, tenant_id: str, collection: str, record_id: str,
                    changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change a record as a Xero user would and bump its `UpdatedDateUTC`. Manual journals go
        through Xero's validation and status rules (`ValueError` when they refuse); other records
        take `changes` as given."""
        with self._lock:
            books = self._tenant(tenant_id)
            books.version += 1  # cached list orders are stale after this
            name = self._collection(collection)
            record = books.get(name, record_id)
            now_ms = fmt.millis(self._now())
            if name == "ManualJournals":
                try:
                    journal = books.manual_journal(_decimals(changes), record, now_ms,
                                                   self._now().date())
                except ItemErrors as exc:
                    raise ValueError("; ".join(exc.messages)) from exc
                books.save_manual_journal(journal, record, now_ms)
                return copy.deepcopy(journal)
            record.update(_decimals(changes))
            record["UpdatedDateUTC"] = fmt.ms_datetime(now_ms)
            return copy.deepcopy(record)

    def remote_void(self, tenant_id: str, collection: str, record_id: str) -> dict[str, Any]:
        """Void a posted manual journal or an approved invoice; delete a bank transaction, a
        payment or a bank transfer (Xero deletes those rather than voiding them)."""
        return self._remote_status(tenant_id, collection, record_id, "VOIDED")

    def remote_delete(self, tenant_id: str, collection: str, record_id: str) -> dict[str, Any]:
        """Delete a draft manual journal or invoice, a bank transaction or a payment; archive an
        account or a contact."""
        return self._remote_status(tenant_id, collection, record_id, "DELETED")

    def _remote_status(self, tenant_id: str, collection: str, record_id: str, status: str
                       ) -> dict[str, Any]:
        with self._lock:
            books = self._tenant(tenant_id)
            books.version += 1  # cached list orders are stale after this
            name = self._collection(collection)
            record = books.get(name, record_id)
            now_ms = fmt.millis(self._now())
            try:
                if name == "ManualJournals":
                    journal = books.manual_journal({"Status": status}, record, now_ms,
                                                   self._now().date())
                    books.save_manual_journal(journal, record, now_ms)
                    return copy.deepcopy(journal)
                if name in ("Accounts", "Contacts"):
                    record["ContactStatus" if name == "Contacts" else "Status"] = "ARCHIVED"
                    record["UpdatedDateUTC"] = fmt.ms_datetime(now_ms)
                    return copy.deepcopy(record)
                if name in ("Payments", "BankTransactions", "BankTransfers"):
                    status = "DELETED"
                books.set_status(name, record, status, now_ms)
            except ItemErrors as exc:
                raise ValueError("; ".join(exc.messages)) from exc
            return copy.deepcopy(record)

    # --- HTTP ----------------------------------------------------------------------------------

    def handle(self, request: Request, tenant_id: str) -> Response:
        """Answer one request for organisation `tenant_id` (already authorised by the server)."""
        with self._lock:
            books = self._books.get(tenant_id)
            if books is None:
                return _problem(403, "Forbidden", "AuthenticationUnsuccessful")
            if not request.path.lower().startswith(API_PREFIX.lower()):
                return _not_found()
            parts = [p for p in request.path[len(API_PREFIX):].split("/") if p]
            endpoint = _ENDPOINTS.get(parts[0].lower()) if parts else None
            if endpoint is None or len(parts) > 2:
                return _not_found()
            record_id = parts[1] if len(parts) == 2 else None
            as_json = "json" in (request.header("accept") or "").lower()
            if request.method in ("PUT", "POST"):
                if len(request.body) > MAX_BODY_BYTES:
                    return Response.text("Request Entity Too Large", 413)
                return self._idempotent(books, request, endpoint, record_id, as_json)
            if request.method != "GET":
                return _method_not_allowed(request.method)
            try:
                return self._get(books, request, endpoint, record_id, as_json)
            except _Reply as reply:
                return reply.response

    def _idempotent(self, books: Books, request: Request, endpoint: str, record_id: str | None,
                    as_json: bool) -> Response:
        """PUT/POST with Xero's `Idempotency-Key`: the first answer is kept and replayed."""
        key = request.header("idempotency-key")
        if key is not None and len(key) > IDEMPOTENCY_KEY_MAX:
            return _problem(400, "Bad Request",
                            f"Idempotency-Key must be at most {IDEMPOTENCY_KEY_MAX} characters")
        if key:
            stored = books.idempotency.get(key)
            if stored is not None:
                return Response(int(stored["status"]), str(stored["body"]).encode("utf-8"),
                                dict(stored["headers"]))
        try:
            response = self._write(books, request, endpoint, record_id, as_json)
        except _Reply as reply:
            response = reply.response
        finally:
            books.pending_contacts.clear()
            books.version += 1
        if key and response.status < 500:
            books.idempotency[key] = {"status": response.status,
                                      "body": response.body.decode("utf-8"),
                                      "headers": dict(response.headers)}
            while len(books.idempotency) > IDEMPOTENCY_KEYS_KEPT:
                books.idempotency.pop(next(iter(books.idempotency)))
        return response

    # --- reading -------------------------------------------------------------------------------

    def _get(self, books: Books, request: Request, endpoint: str, record_id: str | None,
             as_json: bool) -> Response:
        if endpoint == "Organisation":
            return self._ok({"Organisations": [books.organisation]}, as_json)
        if endpoint == "TaxRates":
            return self._ok({"TaxRates": books.tax_rates()}, as_json)
        if endpoint == "TrackingCategories":
            return self._ok({"TrackingCategories": _tracking_categories(books)}, as_json)
        if endpoint == "Journals":
            return self._journals(books, request, record_id, as_json)
        if endpoint == "BankTransfers" and record_id is None:
            return self._bank_transfers(books, request, as_json)
        if record_id is not None:
            return self._ok({endpoint: [self._find(books, endpoint, record_id)]}, as_json)
        since_ms = _if_modified_since(request, as_json)
        if endpoint != "Accounts" and not request.arg("where") and not request.arg("order"):
            records = books.listing(endpoint, since_ms)
        else:
            records = list(books.records[endpoint].values())
            if since_ms is not None:
                records = [r for r in records if fmt.ms_of(r["UpdatedDateUTC"]) >= since_ms]
            records = self._query(records, request, endpoint, as_json)
        payload: dict[str, Any] = {}
        page_arg = request.arg("page")
        if endpoint in _PAGED and page_arg is not None:
            page = _positive_int(page_arg, "page", as_json)
            size = min(_positive_int(request.arg("pageSize") or str(PAGE_SIZE), "pageSize",
                                     as_json), MAX_PAGE_SIZE)
            total = len(records)
            records = records[(page - 1) * size: page * size]
            payload["pagination"] = {"page": page, "pageSize": size,
                                     "pageCount": math.ceil(total / size), "itemCount": total}
        elif endpoint in LINE_FIELDS:
            lines = LINE_FIELDS[endpoint]
            records = [{k: v for k, v in r.items() if k != lines} for r in records]
        payload[endpoint] = records
        return self._ok(payload, as_json)

    def _bank_transfers(self, books: Books, request: Request, as_json: bool) -> Response:
        """`GET BankTransfers`: no paging; `If-Modified-Since` against `CreatedDateUTC` (the
        model has no UpdatedDateUTC); DELETED ones only with `includeDeleted=true`."""
        records = list(books.records["BankTransfers"].values())
        if (request.arg("includeDeleted") or "").lower() != "true":
            records = [r for r in records if r["Status"] != "DELETED"]
        since_ms = _if_modified_since(request, as_json)
        if since_ms is not None:
            records = [r for r in records if fmt.ms_of(r["CreatedDateUTC"]) >= since_ms]
        return self._ok({"BankTransfers": self._query(records, request, "BankTransfers",
                                                      as_json)}, as_json)

    def _query(self, records: list[dict[str, Any]], request: Request, endpoint: str,
               as_json: bool) -> list[dict[str, Any]]:
        """`where` and `order`; without an order, Accounts by Code and the rest in the order
        they were created."""
        try:
            where = request.arg("where")
            if where:
                test = fmt.where_filter(where)
                records = [r for r in records if test(r)]
            order = request.arg("order") or ("Code" if endpoint == "Accounts" else "")
            if order:
                return [dict(r) for r in fmt.order_records(records, order)]
        except fmt.QueryError as exc:
            raise _Reply(_error_payload(400, 16, "QueryParseException", str(exc),
                                        as_json=as_json)) from None
        return records

    def _find(self, books: Books, endpoint: str, record_id: str) -> dict[str, Any]:
        try:
            return books.get(endpoint, record_id)
        except NotFoundError:
            if endpoint == "Invoices":  # Xero also finds an invoice by its number
                found = next((i for i in books.records["Invoices"].values()
                              if i["InvoiceNumber"] and i["InvoiceNumber"] == record_id), None)
                if found is not None:
                    return found
            raise _Reply(_not_found()) from None

    def _journals(self, books: Books, request: Request, record_id: str | None, as_json: bool
                  ) -> Response:
        """The general ledger; only on Xero's Advanced tier since 2 Mar 2026 (API_NOTES.md)."""
        if not books.advanced:
            return _problem(401, "Unauthorized", "AuthorizationUnsuccessful")
        if record_id is not None:
            found = next((j for j in books.journals
                          if j["JournalID"].lower() == record_id.lower()), None)
            if found is None:
                return _not_found()
            return self._ok({"Journals": [found]}, as_json)
        offset_text = request.arg("offset") or "0"
        if not offset_text.isdigit():
            return _validation([], "The offset parameter must be a whole number", as_json)
        offset = int(offset_text)
        journals = [j for j in books.journals if j["JournalNumber"] > offset]
        since_ms = _if_modified_since(request, as_json)
        if since_ms is not None:
            journals = [j for j in journals if fmt.ms_of(j["CreatedDateUTC"]) >= since_ms]
        return self._ok({"Journals": journals[:JOURNALS_PER_CALL]}, as_json)

    # --- writing -------------------------------------------------------------------------------

    def _write(self, books: Books, request: Request, endpoint: str, record_id: str | None,
               as_json: bool) -> Response:
        if endpoint == "Accounts":
            return self._write_account(books, request, record_id, as_json)
        if endpoint not in _CREATABLE:
            return _method_not_allowed(request.method)
        if request.method == "POST" and endpoint == "Contacts":
            return _method_not_allowed(request.method)
        if record_id is not None and request.method == "PUT":
            return _method_not_allowed(request.method)
        if record_id is not None:
            self._find(books, endpoint, record_id)  # 404 before anything else
        items = _items(request, endpoint, as_json)
        summarize = (request.arg("summarizeErrors") or "true").lower() != "false"
        put = request.method == "PUT"
        outcomes: list[tuple[Mapping[str, Any], dict[str, Any] | None, list[str]]] = []
        if summarize:
            staged: list[Staged] = []
            for item in items:
                try:
                    staged.append(self._stage(books, endpoint, item, record_id, put=put))
                    outcomes.append((item, staged[-1][0], []))
                except ItemErrors as exc:
                    outcomes.append((_echo(item), None, exc.messages))
            failed = [(item, msgs) for item, _, msgs in outcomes if msgs]
            if failed:
                return _validation(failed, "A validation exception occurred", as_json)
            saved = [self._save(books, endpoint, record, previous) for record, previous in staged]
            return self._ok({endpoint: saved}, as_json)
        results: list[dict[str, Any]] = []
        for item in items:
            try:
                record, previous = self._stage(books, endpoint, item, record_id, put=put)
            except ItemErrors as exc:
                results.append({**_echo(item), "StatusAttributeString": "ERROR",
                                "ValidationErrors": [{"Message": m} for m in exc.messages]})
                continue
            results.append({**self._save(books, endpoint, record, previous),
                            "StatusAttributeString": "OK"})
        return self._ok({endpoint: results}, as_json)

    def _stage(self, books: Books, endpoint: str, item: Mapping[str, Any],
               record_id: str | None, *, put: bool) -> Staged:
        """Validate one item into the record it would become (nothing stored yet)."""
        now = self._now()
        now_ms, today = fmt.millis(now), now.date()
        if endpoint == "ManualJournals":
            wanted = record_id or item.get("ManualJournalID")
            existing: dict[str, Any] | None = None
            if wanted:
                existing = books.records["ManualJournals"].get(str(wanted).lower())
                if existing is None:
                    raise ItemErrors([f"The ManualJournal with ID '{wanted}' could not be "
                                      "found."])  # wording ours
                if put:
                    raise ItemErrors(["A manual journal that already exists cannot be created "
                                      "again; update it with POST."])  # wording ours
            return books.manual_journal(item, existing, now_ms, today), existing
        wanted = record_id or item.get(ID_FIELD[endpoint])
        if endpoint == "BankTransfers" and not put and (
                not wanted or set(item) - _BANK_TRANSFER_DELETE_FIELDS):
            raise ItemErrors(["A bank transfer cannot be changed through the API; only its "
                              "Status can be set to DELETED."])  # wording ours
        if wanted and endpoint != "Contacts":
            # POST to an existing document: Xero's status changes (void or delete an invoice,
            # delete a bank transaction or a payment), and edits of a bank transaction or an
            # invoice as Xero allows them (`Books.edited_document`).
            existing = books.records[endpoint].get(str(wanted).lower())
            if existing is None:
                raise ItemErrors([f"The {endpoint[:-1]} with ID '{wanted}' could not be "
                                  "found."])  # wording ours
            if put:
                raise ItemErrors([f"This {endpoint[:-1]} already exists; change it with "
                                  "POST."])  # wording ours
            if endpoint in EDITABLE and set(item) - {ID_FIELD[endpoint], "Status"}:
                return {**books.edited_document(endpoint, existing, item, now_ms, today),
                        _EDIT: True}, existing
            status = str(item.get("Status") or "").upper()
            if not status:
                raise ItemErrors(["Only the Status of an existing document can be changed in "
                                  "the sandbox."])  # wording ours
            books.check_status(endpoint, existing, status)
            return {**existing, "Status": status}, existing
        if endpoint == "Invoices":
            return books.invoice(item, now_ms, today), None
        if endpoint == "BankTransactions":
            return books.bank_transaction(item, now_ms, today), None
        if endpoint == "Payments":
            return books.payment(item, now_ms, today), None
        if endpoint == "BankTransfers":
            return books.bank_transfer(item, now_ms, today), None
        return books.new_contact(item, now_ms, pending=True), None

    def _save(self, books: Books, endpoint: str, record: dict[str, Any],
              previous: Mapping[str, Any] | None) -> dict[str, Any]:
        """Store what `_stage` validated; the stored record."""
        now_ms = fmt.millis(self._now())
        if endpoint == "ManualJournals":
            books.save_manual_journal(record, previous, now_ms)
        elif record.pop(_EDIT, False):  # an edit of an invoice or a bank transaction
            books.save_edited_document(endpoint, record, now_ms)
        elif previous is not None:  # a status change of an invoice, transaction or payment
            stored = books.get(endpoint, record[ID_FIELD[endpoint]])
            books.set_status(endpoint, stored, record["Status"], now_ms)
            return stored
        elif endpoint == "Invoices":
            books.save_invoice(record, now_ms)
        elif endpoint == "BankTransactions":
            books.save_bank_transaction(record, now_ms)
        elif endpoint == "Payments":
            books.save_payment(record, now_ms)
        elif endpoint == "BankTransfers":
            books.save_bank_transfer(record, now_ms)
        else:
            books.commit_contact(record)
        return record

    def _write_account(self, books: Books, request: Request, record_id: str | None,
                       as_json: bool) -> Response:
        """`PUT Accounts` creates one account; `POST Accounts/{id}` updates one."""
        if (request.method == "PUT") != (record_id is None):
            return _method_not_allowed(request.method)
        body = _body(request, as_json)
        item = body.get("Accounts", [body]) if isinstance(body, Mapping) else body
        if isinstance(item, list):
            item = item[0] if len(item) == 1 else None
        if not isinstance(item, Mapping):
            return _error_payload(400, 14, "PostDataInvalidException",
                                  "Exactly one account is expected", as_json=as_json)
        existing = self._find(books, "Accounts", record_id) if record_id else None
        problems = _account_problems(books, item, existing)
        if problems:
            return _validation([(item, problems)], "A validation exception occurred", as_json)
        now_ms = fmt.millis(self._now())
        if existing is None:
            record = _new_account(books, item, now_ms)
        else:
            record = existing
            for name in ("Code", "Name", "Description", "TaxType", "Status", "Type",
                         "EnablePaymentsToAccount", "ShowInExpenseClaims", "BankAccountNumber"):
                if name in item and item[name] is not None:
                    record[name] = str(item[name]).upper() if name in ("Status", "Type") \
                        else item[name]
            record["Class"] = _class_of(record["Type"])
            record["UpdatedDateUTC"] = fmt.ms_datetime(now_ms)
        return self._ok({"Accounts": [record]}, as_json)

    # --- answers -------------------------------------------------------------------------------

    def _now(self) -> dt.datetime:
        return self._clock()

    def _ok(self, payload: Mapping[str, Any], as_json: bool) -> Response:
        envelope = {"Id": str(uuid.uuid4()), "Status": "OK", "ProviderName": self.provider_name,
                    "DateTimeUTC": fmt.ms_envelope(fmt.millis(self._now())), **payload}
        return _encode(200, envelope, as_json)

    def _tenant(self, tenant_id: str) -> Books:
        books = self._books.get(tenant_id)
        if books is None:
            raise KeyError(f"no sandbox organisation {tenant_id!r}")
        return books

    @staticmethod
    def _collection(collection: str) -> str:
        name = _ENDPOINTS.get(collection.lower())
        if name is None or name not in (*COLLECTIONS, "Journals"):
            raise KeyError(f"no collection {collection!r}")
        return name


# --- helpers ---------------------------------------------------------------------------------


def _encode(status: int, payload: Mapping[str, Any], as_json: bool, root: str = "Response"
            ) -> Response:
    if as_json:
        return Response(status, fmt.dumps(payload),
                        {"Content-Type": "application/json; charset=utf-8"})
    return Response(status, fmt.to_xml(payload, root), {"Content-Type": "text/xml; charset=utf-8"})


def _not_found() -> Response:
    return Response.text(NOT_FOUND_TEXT, 404, "text/html; charset=utf-8")


def _method_not_allowed(method: str) -> Response:
    return Response.text(f"The requested resource does not support http method '{method}'.",
                         405, headers={"Allow": "GET, PUT, POST"})


def _problem(status: int, title: str, detail: str) -> Response:
    """Xero's problem-details answer for 401/403 (`{"Type":null,"Title","Status","Detail",…}`)."""
    return Response.json({"Type": None, "Title": title, "Status": status, "Detail": detail,
                          "Instance": str(uuid.uuid4()), "Extensions": {}}, status)


def _error_payload(status: int, number: int, kind: str, message: str, *, as_json: bool,
                   elements: list[dict[str, Any]] | None = None) -> Response:
    payload: dict[str, Any] = {"ErrorNumber": number, "Type": kind, "Message": message}
    if elements is not None:
        payload["Elements"] = elements
    return _encode(status, payload, as_json, root="ApiException")


def _validation(failed: list[tuple[Mapping[str, Any], list[str]]], message: str, as_json: bool
                ) -> Response:
    """400 `ValidationException` (API_NOTES.md "errors"): each failed item echoed with its
    `ValidationErrors`."""
    elements = [{**item, "ValidationErrors": [{"Message": m} for m in msgs]}
                for item, msgs in failed]
    if not failed:
        elements = [{"ValidationErrors": [{"Message": message}]}]
        message = "A validation exception occurred"
    return _error_payload(400, 10, "ValidationException", message, as_json=as_json,
                          elements=elements)


def _body(request: Request, as_json: bool) -> Any:
    try:
        return fmt.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise _Reply(_error_payload(400, 14, "PostDataInvalidException",
                                    "The request body is not valid JSON",
                                    as_json=as_json)) from None


def _items(request: Request, endpoint: str, as_json: bool) -> list[dict[str, Any]]:
    """`{"<Endpoint>":[…]}`, or one object on its own (Xero accepts both)."""
    body = _body(request, as_json)
    items = body.get(endpoint, [body]) if isinstance(body, Mapping) else body
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise _Reply(_error_payload(400, 14, "PostDataInvalidException",
                                    f"Expected {{\"{endpoint}\": [ … ]}}", as_json=as_json))
    return [dict(i) for i in items]


def _if_modified_since(request: Request, as_json: bool) -> int | None:
    """The `If-Modified-Since` header in epoch ms, None without one; a 400 for a bad one."""
    since = request.header("if-modified-since")
    if not since:
        return None
    try:
        return fmt.parse_if_modified_since(since)
    except ValueError:
        raise _Reply(_validation([], f"The If-Modified-Since header '{since}' is not a valid "
                                     "date", as_json)) from None


def _echo(item: Mapping[str, Any]) -> dict[str, Any]:
    """A refused item as Xero echoes it: the dates it could read in its `/Date(…)/` form (a
    date it could not read stays as sent)."""
    echoed = dict(item)
    for name in ("Date", "DueDate"):
        value = echoed.get(name)
        if value in (None, ""):
            continue
        try:
            echoed[name] = fmt.ms_date(fmt.parse_input_date(value))
        except ValueError:
            continue
    return echoed


def _positive_int(text: str, name: str, as_json: bool) -> int:
    if not text.isdigit() or int(text) < 1:
        raise _Reply(_validation([], f"The {name} parameter must be a positive whole number",
                                 as_json))
    return int(text)


def _decimals(data: Mapping[str, Any]) -> dict[str, Any]:
    """Floats a test passed become Decimals (amounts are never floats inside the sandbox)."""
    def convert(value: Any) -> Any:
        if isinstance(value, float):
            return Decimal(str(value))
        if isinstance(value, Mapping):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value
    return {k: convert(v) for k, v in data.items()}


def _new_account(books: Books, item: Mapping[str, Any], now_ms: int) -> dict[str, Any]:
    """Store a new account from a validated PUT body."""
    record = account_record(books, str(item.get("Code", "")), str(item["Name"]).strip(),
                            str(item["Type"]).upper(), str(item.get("TaxType") or "NONE"),
                            now_ms=now_ms)
    for name in ("Description", "BankAccountNumber", "EnablePaymentsToAccount",
                 "ShowInExpenseClaims"):
        if name in item:
            record[name] = item[name]
    books.store("Accounts", record)
    return record


def _class_of(kind: str) -> str:
    return ACCOUNT_CLASS.get(kind, "ASSET")


def _account_problems(books: Books, item: Mapping[str, Any], existing: Mapping[str, Any] | None
                      ) -> list[str]:
    """Xero's rules for an account: unique code and name, a known type and tax type, and system
    accounts keep their type and cannot be archived (FORMATS.md C1)."""
    problems: list[str] = []
    merged = {**(existing or {}), **{k: v for k, v in item.items() if v is not None}}
    code = str(merged.get("Code", "")).strip()
    name = str(merged.get("Name", "")).strip()
    kind = str(merged.get("Type", "")).upper()
    own_id = (existing or {}).get("AccountID")
    if not name:
        problems.append("Please enter a Name.")  # wording ours
    if len(name) > 150:
        problems.append("The Name must be 150 characters or fewer.")  # wording ours
    if kind not in ACCOUNT_CLASS:
        problems.append(f"'{merged.get('Type')}' is not a valid account Type.")  # wording ours
    if not code and kind != "BANK":
        problems.append("Please enter a Code.")  # wording ours
    if kind == "BANK" and existing is None and not str(merged.get("BankAccountNumber") or ""):
        problems.append("A bank account needs a BankAccountNumber.")  # wording ours
    if len(code) > 10:
        problems.append("The Code must be 10 characters or fewer.")  # wording ours
    for other in books.accounts():
        if other["AccountID"] == own_id:
            continue
        if code and str(other.get("Code", "")).lower() == code.lower():
            problems.append("Please enter a unique Code.")  # Xero's text
        if name and other["Name"].lower() == name.lower():
            problems.append("Please enter a unique Name.")  # Xero's text
    tax_type = merged.get("TaxType")
    if tax_type and books.tax_rate(str(tax_type)) is None:
        # Xero's text
        problems.append(f"The TaxType code '{tax_type}' does not exist or cannot be used for "
                        "this type of transaction.")
    status = str(merged.get("Status", "ACTIVE")).upper()
    if status not in ("ACTIVE", "ARCHIVED"):
        problems.append(f"'{status}' is not a valid account Status.")  # wording ours
    if existing is not None and existing.get("SystemAccount"):
        if kind != existing["Type"]:
            problems.append("The type of a system account cannot be changed.")  # wording ours
        if status == "ARCHIVED":
            problems.append("A system account cannot be archived.")  # wording ours
    return problems


def _tracking_categories(books: Books) -> list[dict[str, Any]]:
    return [
        {"TrackingCategoryID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{books.tenant_id}/{name}")),
         "Name": name, "Status": "ACTIVE",
         "Options": [{"TrackingOptionID": str(uuid.uuid5(uuid.NAMESPACE_URL,
                                                         f"{books.tenant_id}/{name}/{o}")),
                      "Name": o, "Status": "ACTIVE"} for o in options]}
        for name, options in books.tracking.items()
    ]

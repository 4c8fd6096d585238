"""The QuickBooks Online v3 accounting API of the QBO-compatible sandbox, as a plain object.

Contract (the server in `sandbox/server.py` calls it; tests call it without a socket):

    api = QboAccountingApi(clock=None, seed=1)
    api.seed_company(realm_id, name)                      # a realistic small-business company
    response = api.handle(Request.from_target("GET", "/v3/company/123/query?query=...",
                                              headers, body), "123")
    api.company_name(realm_id) -> str
    state = api.to_state(); api.from_state(state)         # JSON-serialisable, exact round trip
    # test-only: what "someone in QBO" does
    api.objects(realm_id, entity) -> list[dict]
    api.remote_create(realm_id, entity, body) -> dict
    api.remote_edit(realm_id, entity, object_id, changes) -> dict
    api.remote_delete(realm_id, entity, object_id) -> None
    api.remote_void(realm_id, entity, object_id) -> dict
    api.tombstones(realm_id, entity) -> list[dict]
    api.bulk_create_journal_entries(realm_id, count, days=20) -> list[str]   # pull benchmarks
    api.forget_request_ids(realm_id) -> int        # Intuit's requestid "does not always" dedupe
    api.set_closing_date(realm_id, date | None, password=False)   # closed books: 6200 (6210)
    api.set_preferences(realm_id, {"BookCloseDate", "BookClosePassword",
                                   "WarnDuplicateJournalNumber"}) -> preferences  # see below

`handle` serves, under `/v3/company/{realmId}/` (API_NOTES.md, QuickBooks):
- `companyinfo/{realmId}` GET; `preferences` GET (Intuit's Preferences entity, read only here:
  `AccountingInfoPrefs.BookCloseDate` and `OtherPrefs.NameValue` WarnDuplicateCheckNumber,
  WarnDuplicateBillNumber, WarnDuplicateJournalNumber, the names Intuit's Preferences answers
  carry);
- `query` GET `?query=` or POST with an `application/text` body (`qbo_query` has the grammar);
- `{entity}` POST: create (no Id), update (Id + current SyncToken, full or `"sparse": true`),
  `?operation=delete` (Id + SyncToken, transactions only), void (`?operation=void` on Invoice,
  `?operation=update&include=void` on Payment and BillPayment); `{entity}/{id}` GET. Entities:
  Account, Customer, Vendor, Item, JournalEntry, Purchase, Deposit, Transfer, Invoice, Payment,
  Bill, BillPayment (`qbo_entities` has their checks);
- `batch` POST: `BatchItemRequest` of at most 30 items with unique `bId`s of at most 10
  characters, each a create/update/delete or a `Query`; each item succeeds or faults on its own;
- `cdc?entities=A,B&changedSince=...`: objects changed at or after `changedSince` (so nothing
  changed in the cursor's own second is missed), at most 30 days back, at most 1,000 objects in
  all, oldest change first; deleted objects as `{"Id","status":"Deleted","MetaData"}`.

Responses are JSON when the `Accept` header names `application/json`, else Intuit's XML
(`qbo_xml`), as QBO does. Every response has `time`; every object `Id`, `SyncToken` (a string,
+1 per change), `MetaData` (`CreateTime`, `LastUpdatedTime`, ISO-8601 with the company's offset —
the sandbox company sits in America/Los_Angeles, like Intuit's US sandbox companies),
`domain: "QBO"`, `sparse: false`. Faults are Intuit's shape with HTTP 400, "Object Not Found"
(610) included, as Intuit answers it (`qbo_faults` lists the codes); a path realm other than the
authorised one is a 403 AuthorizationFault. `minorversion` is accepted (below 75 is treated as
75, API_NOTES); it changes nothing here.

Behaviour QBO users meet, kept here: a select answers `{"QueryResponse":{Entity:[...],
"startPosition","maxResults"}}` (`maxResults` = rows returned; `{}` when none; `totalCount` only
for `count(*)`); lists (accounts, customers, vendors, items) are never deleted, only made inactive,
which adds " (deleted)" to the name and hides them from queries that do not ask about `Active`;
a reference to an inactive one is fault 610; a payment changes its invoice's Balance and
LinkedTxn (and so the invoice's SyncToken); an account's CurrentBalance is derived from every
transaction's postings and never moves its SyncToken.

Business rules (API_NOTES.md "Business rules the real services enforce", QBO rows):
- closed books: a transaction dated on or before the company's closing date
  (`Preferences.AccountingInfoPrefs.BookCloseDate`; `set_closing_date`, `set_preferences` or
  `POST /__sandbox__/preferences`) is not added, changed, voided or deleted: fault 6200 "Account
  Period Closed", or 6210 "Account Period Closed, Cannot Update Through Services API" when the
  closing date has a password (the Details are ours);
- duplicate DocNumber: with `OtherPrefs` WarnDuplicateJournalNumber true, a JournalEntry whose
  DocNumber another journal entry has is refused with 6140 "Duplicate Doc Num", unless the
  request says `include=allowduplicatedocnum` (Intuit's API reference, Purchase.DocNumber: "If a
  duplicate DocNumber needs to be supplied, add the query parameter name/value pair,
  `include=allowduplicatedocnum` to the URI"); the Detail is the wording developers report;
- the A/R customer and A/P vendor rule, 610 for an inactive account or name, and 6240 for a
  DisplayName another Customer or Vendor has: see `qbo_entities`.

Idempotency (API_NOTES, "idempotency"): a `requestid` on a create/update/delete/void or batch
(at most 50 characters; 36 on batch) is remembered per realm with its successful response (the
latest 2,000); the same requestid again returns that response byte for byte and does not act
twice. A request that faulted did not act, so it is not remembered and may be retried with the
same id.

Money is `Decimal` inside (JSON read with `parse_float=Decimal`, amounts through
`core.money.money()`), written as exact JSON numbers (`qbo_json`). `to_state()` writes amounts as
JSON numbers too (Python floats: every amount has two decimals and is far below 2**53 cents, so
the shortest float repr gives the same digits back); `from_state()` reads them back into Decimal.

Thread-safe: one lock around every public method (the server is threaded).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bookkeeper_desktop.sandbox import qbo_entities, qbo_faults, qbo_query, qbo_seed, sample_seed
from bookkeeper_desktop.sandbox.http import Request, Response
from bookkeeper_desktop.sandbox.qbo_faults import QboFault
from bookkeeper_desktop.sandbox.qbo_json import dumps, loads
from bookkeeper_desktop.sandbox.qbo_xml import to_xml


def company_zone() -> dt.tzinfo:
    """Where the sandbox companies are: America/Los_Angeles, or Pacific standard time all year
    when a build lacks the time-zone database (tzdata on Windows) — still an offset, never UTC."""
    try:
        return ZoneInfo("America/Los_Angeles")
    except ZoneInfoNotFoundError:
        return dt.timezone(dt.timedelta(hours=-8), "PST")


COMPANY_TZ = company_zone()
MINIMUM_MINOR_VERSION = 75
REQUEST_ID_MAX = 50
BATCH_REQUEST_ID_MAX = 36
BATCH_MAX_ITEMS = 30
BATCH_ID_MAX = 10
CDC_MAX_DAYS = 30
CDC_MAX_OBJECTS = 1000
#: How many requestids each realm remembers (the oldest are forgotten first). Intuit does not
#: say how long it keeps them; retries come within minutes, and the bound keeps the demo's state
#: file (saved on every change) small.
REPLIES_KEPT = 2_000
STATE_VERSION = 1

_BY_LOWER = {name.lower(): name for name in qbo_entities.ENTITIES}
_LIST_ENTITIES = ("Account", "Customer", "Vendor", "Item")


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def stamp(moment: dt.datetime) -> str:
    """`MetaData` time: seconds, the company's offset (`2026-11-23T16:05:01-08:00`)."""
    return moment.astimezone(COMPANY_TZ).isoformat(timespec="seconds")


def parse_stamp(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=COMPANY_TZ)


@dataclass
class _Realm:
    name: str
    company: dict[str, Any]
    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    deleted: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    next_id: dict[str, int] = field(default_factory=dict)
    replies: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The books are closed through this date (ISO), or None (QBO's "closing date").
    closing_date: str | None = None
    #: Whether the closing date has a password (6210 instead of 6200).
    closing_password: bool = False
    #: `OtherPrefs` WarnDuplicateJournalNumber: duplicate journal DocNumbers are refused (6140).
    warn_duplicate_journal_number: bool = False
    #: Bumped on every change; the derived account balances are cached per revision.
    revision: int = 0
    balance_cache: tuple[int, dict[str, Decimal]] | None = None

    def table(self, entity: str) -> dict[str, dict[str, Any]]:
        return self.objects.setdefault(entity, {})

    def graveyard(self, entity: str) -> dict[str, dict[str, Any]]:
        return self.deleted.setdefault(entity, {})

    def new_id(self, entity: str) -> str:
        value = self.next_id.get(entity, 1)
        self.next_id[entity] = value + 1
        return str(value)


class _Lookup:
    """`qbo_entities.Lookup` over one realm."""

    def __init__(self, realm: _Realm, today: dt.date) -> None:
        self._realm = realm
        self._today = today

    def get(self, entity: str, object_id: str) -> Mapping[str, Any] | None:
        return self._realm.table(entity).get(object_id)

    def all(self, entity: str) -> list[Mapping[str, Any]]:
        return list(self._realm.table(entity).values())

    def today(self) -> dt.date:
        return self._today


def _canonical_entity(name: str) -> str | None:
    return _BY_LOWER.get(name.lower())


def _to_state_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, dict):
        return {k: _to_state_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_state_value(v) for v in value]
    return value


def _from_state_value(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _from_state_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_state_value(v) for v in value]
    return value


class QboAccountingApi:
    """One in-memory QBO with any number of companies (realms). See the module docstring."""

    def __init__(self, clock: Callable[[], dt.datetime] | None = None, seed: int = 1) -> None:
        """`clock` returns the current time as an aware datetime (the server passes its own, so a
        fake clock moves MetaData times too); `seed` makes the seeded companies and the
        `intuit_tid` values reproducible. Ids are sequential per realm and entity, as QBO's are,
        and never reused."""
        self._clock = clock or _utc_now
        self._seed = seed
        self._lock = threading.RLock()
        self._realms: dict[str, _Realm] = {}
        self._tid = 0
        self._xml_reply = False

    # --- companies ------------------------------------------------------------------------------

    def now(self) -> dt.datetime:
        moment = self._clock()
        if moment.tzinfo is None:
            raise ValueError("the sandbox clock must return aware datetimes")
        return moment

    def seed_company(self, realm_id: str, name: str, *, sample: bool = False) -> None:
        """A new company `name` under `realm_id` (replacing any old one): CompanyInfo, a chart of
        about 40 accounts of every type, customers, vendors, items and a few dozen transactions
        of every pulled kind over the last four months (`qbo_seed`), a few of them edited since
        and one journal entry deleted. `sample`: the sample company's own chart and contacts
        and no transactions instead (`sample_seed`, for `--demo`)."""
        with self._lock:
            now = self.now()
            created = now - dt.timedelta(days=400)
            company = qbo_seed.company_info(name, created.date())
            company.update({
                "domain": "QBO", "sparse": False, "Id": "1", "SyncToken": "0",
                "MetaData": {"CreateTime": stamp(created), "LastUpdatedTime": stamp(created)},
            })
            realm = _Realm(name=name, company=company)
            self._realms[realm_id] = realm
            digest = hashlib.sha256(f"{self._seed}:{realm_id}".encode()).digest()

            def create(entity: str, body: Mapping[str, Any], at: dt.datetime) -> dict[str, Any]:
                return self._create(realm, entity, body, at)

            if sample:
                sample_seed.populate_qbo(create, now)
                return
            qbo_seed.populate(create, now, int.from_bytes(digest[:8], "big"))
            # Some history, as a real company has: a few recent edits (SyncToken 1) and one
            # journal entry deleted two days ago.
            edited_at = now - dt.timedelta(days=3)
            for entity, note in (("Purchase", "Receipt attached"), ("Invoice", "Sent twice"),
                                 ("JournalEntry", "Checked by the accountant")):
                target = next(
                    obj for obj in reversed(list(realm.table(entity).values()))
                    if parse_stamp(obj["MetaData"]["LastUpdatedTime"]) < edited_at)
                self._update(realm, entity, {"Id": target["Id"],
                                             "SyncToken": target["SyncToken"],
                                             "sparse": True, "PrivateNote": note}, edited_at)
            doomed = list(realm.table("JournalEntry").values())[-1]
            self._delete(realm, "JournalEntry", {"Id": doomed["Id"],
                                                 "SyncToken": doomed["SyncToken"]},
                         now - dt.timedelta(days=2))

    def company_name(self, realm_id: str) -> str:
        with self._lock:
            return self._realm(realm_id).name

    def realms(self) -> list[str]:
        with self._lock:
            return list(self._realms)

    def _realm(self, realm_id: str) -> _Realm:
        realm = self._realms.get(realm_id)
        if realm is None:
            raise KeyError(f"no sandbox company with realm id {realm_id}")
        return realm

    # --- state ------------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        with self._lock:
            realms = {
                realm_id: {
                    "name": realm.name,
                    "company": realm.company,
                    "objects": realm.objects,
                    "deleted": realm.deleted,
                    "next_id": realm.next_id,
                    "replies": realm.replies,
                    "closing_date": realm.closing_date,
                    "closing_password": realm.closing_password,
                    "warn_duplicate_journal_number": realm.warn_duplicate_journal_number,
                }
                for realm_id, realm in self._realms.items()
            }
            # `_to_state_value` builds new containers all the way down: nothing is shared.
            state: dict[str, Any] = _to_state_value(
                {"version": STATE_VERSION, "tid": self._tid, "realms": realms},
            )
            return state

    def from_state(self, state: Mapping[str, Any]) -> None:
        """Restore `to_state()`. An empty state changes nothing (a server with no saved data);
        a state written by the server's stand-in API before this one existed
        (`{"companies": {realm: name}}`) seeds those companies afresh."""
        if not state:
            return
        if "version" not in state and isinstance(state.get("companies"), Mapping):
            with self._lock:
                self._realms = {}
                for realm_id, name in state["companies"].items():
                    self.seed_company(str(realm_id), str(name))
            return
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unknown QBO sandbox state version {state.get('version')!r}")
        loaded = _from_state_value(dict(state))
        with self._lock:
            self._tid = int(loaded.get("tid", 0))
            self._realms = {
                realm_id: _Realm(
                    name=data["name"], company=data["company"], objects=data["objects"],
                    deleted=data["deleted"], next_id=data["next_id"], replies=data["replies"],
                    closing_date=data.get("closing_date"),
                    closing_password=bool(data.get("closing_password", False)),
                    warn_duplicate_journal_number=bool(
                        data.get("warn_duplicate_journal_number", False)),
                )
                for realm_id, data in loaded["realms"].items()
            }

    # --- test helpers: someone working in QBO ----------------------------------------------------

    def objects(self, realm_id: str, entity: str) -> list[dict[str, Any]]:
        """The live objects of `entity`, as the API would send them (amounts Decimal), Id order."""
        with self._lock:
            realm = self._realm(realm_id)
            name = self._entity(entity)
            rows = sorted((self._present(realm, name, row) for row in realm.table(name).values()),
                          key=lambda o: int(o["Id"]))
            result: list[dict[str, Any]] = loads(dumps(rows))
            return result

    def tombstones(self, realm_id: str, entity: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._realm(realm_id).graveyard(self._entity(entity)).values()
            result: list[dict[str, Any]] = loads(dumps(list(rows)))
            return result

    def remote_create(self, realm_id: str, entity: str, body: Mapping[str, Any]
                      ) -> dict[str, Any]:
        """Create as a QBO user would (same checks as the API; raises `QboFault`)."""
        with self._lock:
            realm = self._realm(realm_id)
            obj = self._create(realm, self._entity(entity), loads(dumps(body)), self.now())
            result: dict[str, Any] = loads(dumps(obj))
            return result

    def remote_edit(self, realm_id: str, entity: str, object_id: str,
                    changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change an object as a QBO user would: `changes` merged like a sparse update (no
        SyncToken needed), SyncToken and LastUpdatedTime move on."""
        with self._lock:
            realm = self._realm(realm_id)
            name = self._entity(entity)
            existing = realm.table(name).get(object_id)
            if existing is None:
                raise qbo_faults.not_found(name, object_id)
            body = {**loads(dumps(changes)), "Id": object_id,
                    "SyncToken": existing["SyncToken"], "sparse": True}
            obj = self._update(realm, name, body, self.now())
            result: dict[str, Any] = loads(dumps(obj))
            return result

    def remote_delete(self, realm_id: str, entity: str, object_id: str) -> None:
        with self._lock:
            realm = self._realm(realm_id)
            name = self._entity(entity)
            existing = realm.table(name).get(object_id)
            if existing is None:
                raise qbo_faults.not_found(name, object_id)
            self._delete(realm, name, {"Id": object_id, "SyncToken": existing["SyncToken"]},
                         self.now())

    def remote_void(self, realm_id: str, entity: str, object_id: str) -> dict[str, Any]:
        with self._lock:
            realm = self._realm(realm_id)
            name = self._entity(entity)
            existing = realm.table(name).get(object_id)
            if existing is None:
                raise qbo_faults.not_found(name, object_id)
            obj = self._void(realm, name, {"Id": object_id, "SyncToken": existing["SyncToken"]},
                             self.now())
            result: dict[str, Any] = loads(dumps(obj))
            return result

    def set_closing_date(self, realm_id: str, closing: dt.date | None, *,
                         password: bool = False) -> None:
        """Close the books through `closing` (None reopens them), as an accountant does in QBO's
        settings, with or without a closing-date password: from then on the API refuses to
        touch transactions dated on or before it (6200, or 6210 with a password)."""
        with self._lock:
            realm = self._realm(realm_id)
            realm.closing_date = closing.isoformat() if closing else None
            realm.closing_password = password and closing is not None

    def set_preferences(self, realm_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change the company preferences the sandbox honours, by Intuit's names:
        `BookCloseDate` (ISO date or None), `BookClosePassword` (bool: the closing date has a
        password), `WarnDuplicateJournalNumber` (bool); keys left out keep their value.
        `ValueError` for anything else. Returns the Preferences object."""
        known = {"BookCloseDate", "BookClosePassword", "WarnDuplicateJournalNumber"}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown preferences {sorted(unknown)}; use {sorted(known)}")
        for flag in ("BookClosePassword", "WarnDuplicateJournalNumber"):
            if flag in changes and not isinstance(changes[flag], bool):
                raise ValueError(f"{flag} must be true or false")
        with self._lock:
            realm = self._realm(realm_id)
            closing = realm.closing_date
            if "BookCloseDate" in changes:
                raw = changes["BookCloseDate"]
                closing = None if raw is None else dt.date.fromisoformat(str(raw)).isoformat()
            password = bool(changes.get("BookClosePassword", realm.closing_password))
            realm.closing_date = closing
            realm.closing_password = password and closing is not None
            realm.warn_duplicate_journal_number = bool(changes.get(
                "WarnDuplicateJournalNumber", realm.warn_duplicate_journal_number))
            realm.revision += 1
            return self._preferences(realm)

    def preferences(self, realm_id: str) -> dict[str, Any]:
        with self._lock:
            return self._preferences(self._realm(realm_id))

    @staticmethod
    def _preferences(realm: _Realm) -> dict[str, Any]:
        """The part of Intuit's Preferences entity the sandbox honours, in Intuit's shape."""
        flags = {"WarnDuplicateCheckNumber": False, "WarnDuplicateBillNumber": False,
                 "WarnDuplicateJournalNumber": realm.warn_duplicate_journal_number}
        accounting: dict[str, Any] = {"TrackDepartments": False, "ClassTrackingPerTxn": False,
                                      "ClassTrackingPerTxnLine": False,
                                      "CustomerTerminology": "Customers"}
        if realm.closing_date:
            accounting["BookCloseDate"] = realm.closing_date
        return {
            "AccountingInfoPrefs": accounting,
            "CurrencyPrefs": {"MultiCurrencyEnabled": False, "HomeCurrency": {"value": "USD"}},
            "OtherPrefs": {"NameValue": [{"Name": name, "Value": "true" if on else "false"}
                                         for name, on in flags.items()]},
            "domain": "QBO", "sparse": False, "Id": "1", "SyncToken": str(realm.revision),
            "MetaData": dict(realm.company["MetaData"]),
        }

    def forget_request_ids(self, realm_id: str) -> int:
        """Forget every requestid of the realm, so a retry acts again: API_NOTES reports that
        Intuit's requestid "does not always de-duplicate"; tests use this to check that the
        client's own look-up (DocNumber, PrivateNote) still prevents duplicates. Returns how
        many were forgotten."""
        with self._lock:
            realm = self._realm(realm_id)
            count = len(realm.replies)
            realm.replies.clear()
            return count

    def bulk_create_journal_entries(self, realm_id: str, count: int, *, days: int = 20,
                                    prefix: str = "BULK") -> list[str]:
        """`count` balanced two-line journal entries made in QBO over the last `days` days
        (CreateTime = LastUpdatedTime spread evenly, oldest first), for pull tests and
        benchmarks; DocNumbers `{prefix}-000001`, .... Returns their Ids."""
        with self._lock:
            realm = self._realm(realm_id)
            now = self.now()
            accounts = [a["Id"] for a in realm.table("Account").values()
                        if a.get("Active", True) and a["AccountType"] in ("Bank", "Expense")]
            if len(accounts) < 2:
                raise ValueError("the company needs two active bank or expense accounts")
            step = dt.timedelta(days=days) / max(count, 1)
            ids: list[str] = []
            for number in range(count):
                at = now - dt.timedelta(days=days) + step * number
                amount = Decimal(10 + number % 990) + Decimal(number % 100) / 100
                debit = accounts[number % len(accounts)]
                credit = accounts[(number + 1) % len(accounts)]
                body = {
                    "DocNumber": f"{prefix}-{number + 1:06d}",
                    "TxnDate": at.astimezone(COMPANY_TZ).date().isoformat(),
                    "PrivateNote": "Entered in QuickBooks",
                    "Line": [
                        {"Amount": amount, "DetailType": "JournalEntryLineDetail",
                         "JournalEntryLineDetail": {"PostingType": side,
                                                    "AccountRef": {"value": account}}}
                        for side, account in (("Debit", debit), ("Credit", credit))
                    ],
                }
                ids.append(self._create(realm, "JournalEntry", body, at)["Id"])
            return ids

    @staticmethod
    def _entity(name: str) -> str:
        entity = _canonical_entity(name)
        if entity is None or entity == "CompanyInfo":
            raise KeyError(f"the QBO sandbox has no entity {name!r}")
        return entity

    # --- HTTP -------------------------------------------------------------------------------------

    def handle(self, request: Request, realm_id: str) -> Response:
        """Answer one request under `/v3/company/{realm_id}/`; `realm_id` is the realm the
        caller's token authorises."""
        with self._lock:
            now = self.now()
            # Intuit answers in XML unless Accept names JSON (`qbo_xml`). Set for this request
            # only; the lock is held until the response is built.
            self._xml_reply = "json" not in (request.header("accept") or "").lower()
            try:
                return self._dispatch(request, realm_id, now)
            except QboFault as fault:
                return self._reply({"Fault": fault.fault()}, now, fault.status)
            finally:
                self._xml_reply = False

    def _reply(self, payload: dict[str, Any], now: dt.datetime, status: int = 200) -> Response:
        self._tid += 1
        body = {**payload, "time": now.astimezone(COMPANY_TZ).isoformat(timespec="milliseconds")}
        tid = hashlib.sha1(f"{self._seed}:{self._tid}".encode(), usedforsecurity=False)
        headers = {"intuit_tid": f"1-{tid.hexdigest()[:24]}"}
        if self._xml_reply:
            return Response(status, to_xml(body),
                            {"Content-Type": "application/xml;charset=UTF-8", **headers})
        return Response(status, dumps(body),
                        {"Content-Type": "application/json;charset=UTF-8", **headers})

    def _dispatch(self, request: Request, realm_id: str, now: dt.datetime) -> Response:
        parts = request.path.rstrip("/").split("/")
        if len(parts) < 5 or parts[1] != "v3" or parts[2] != "company":
            raise QboFault("404", "Resource not found", f"No resource at {request.path}",
                           fault_type="SystemFault", status=404)
        path_realm, resource, rest = parts[3], parts[4].lower(), parts[5:]
        if path_realm != realm_id or realm_id not in self._realms:
            raise qbo_faults.wrong_realm(path_realm)
        realm = self._realms[realm_id]
        if resource == "companyinfo":
            return self._company_info(request, realm, realm_id, rest, now)
        if resource == "preferences" and not rest and request.method == "GET":
            return self._reply({"Preferences": self._preferences(realm)}, now)
        if resource == "query" and not rest:
            return self._reply(self._query(realm, self._query_text(request), now), now)
        if resource == "cdc" and not rest and request.method == "GET":
            return self._reply(self._cdc(realm, request, now), now)
        if resource == "batch" and not rest and request.method == "POST":
            return self._idempotent(realm, request, now, BATCH_REQUEST_ID_MAX,
                                    lambda: self._batch(realm, request, now))
        entity = _canonical_entity(resource)
        if entity is None or entity == "CompanyInfo":
            raise QboFault("404", "Resource not found", f"No resource at {request.path}",
                           fault_type="SystemFault", status=404)
        if request.method == "GET" and len(rest) == 1:
            return self._reply({entity: self._read(realm, entity, rest[0])}, now)
        if request.method == "POST" and not rest:
            body = self._json_body(request)
            operation = (request.arg("operation") or "").lower()
            include = (request.arg("include") or "").lower()
            return self._idempotent(
                realm, request, now, REQUEST_ID_MAX,
                lambda: {entity: self._present(realm, entity, self._write(
                    realm, entity, body, operation=operation, include=include, now=now))},
            )
        raise qbo_faults.unsupported(f"Operation {request.method} {request.path} is not "
                                     "supported.")

    def _idempotent(self, realm: _Realm, request: Request, now: dt.datetime, limit: int,
                    act: Callable[[], dict[str, Any]]) -> Response:
        request_id = request.arg("requestid")
        if request_id is not None:
            if not request_id or len(request_id) > limit:
                raise qbo_faults.invalid(
                    f"requestid must be 1 to {limit} characters long; it has {len(request_id)}",
                    "requestid",
                )
            stored = realm.replies.get(request_id)
            if stored is not None:
                return Response(int(stored["status"]), str(stored["body"]).encode("utf-8"),
                                dict(stored["headers"]))
        response = self._reply(act(), now)
        if request_id is not None:
            realm.replies[request_id] = {
                "status": response.status, "body": response.body.decode("utf-8"),
                "headers": dict(response.headers),
            }
            while len(realm.replies) > REPLIES_KEPT:
                del realm.replies[next(iter(realm.replies))]
        return response

    @staticmethod
    def _json_body(request: Request) -> dict[str, Any]:
        try:
            body = loads(request.body or b"null")
        except ValueError as exc:
            raise qbo_faults.invalid(f"The request body is not JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise qbo_faults.invalid("The request body must be a JSON object")
        return body

    @staticmethod
    def _query_text(request: Request) -> str:
        text = request.arg("query")
        if text is None and request.method == "POST":
            try:
                text = request.body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise qbo_faults.invalid(f"The query is not UTF-8 text: {exc}") from exc
        if text is None:
            raise qbo_faults.required("query")
        return text

    def _company_info(self, request: Request, realm: _Realm, realm_id: str, rest: list[str],
                      now: dt.datetime) -> Response:
        if request.method != "GET" or len(rest) != 1:
            raise qbo_faults.unsupported("Only GET companyinfo/{realmId} is supported.")
        if rest[0] != realm_id:
            raise qbo_faults.not_found("CompanyInfo", rest[0])
        return self._reply({"CompanyInfo": realm.company}, now)

    # --- reading ----------------------------------------------------------------------------------

    def _balances(self, realm: _Realm) -> dict[str, Decimal]:
        """Each account's net of debits over credits from every live transaction (cached until
        the next change)."""
        if realm.balance_cache is not None and realm.balance_cache[0] == realm.revision:
            return realm.balance_cache[1]
        lookup = _Lookup(realm, self.now().date())
        nets: dict[str, Decimal] = {}
        for entity in qbo_entities.TRANSACTIONS:
            for obj in realm.table(entity).values():
                for account_id, value in qbo_entities.postings(entity, obj, lookup):
                    nets[account_id] = nets.get(account_id, Decimal(0)) + value
        realm.balance_cache = (realm.revision, nets)
        return nets

    def _present(self, realm: _Realm, entity: str, obj: dict[str, Any]) -> dict[str, Any]:
        """An object as the API shows it: an Account with its CurrentBalance and
        CurrentBalanceWithSubAccounts derived from the transactions, as in QBO (read-only,
        never a reason for a new SyncToken)."""
        if entity != "Account" or obj.get("status") == "Deleted":
            return obj
        nets = self._balances(realm)
        accounts = realm.table("Account")
        children: dict[str, list[str]] = {}
        for account in accounts.values():
            parent = (account.get("ParentRef") or {}).get("value")
            if parent:
                children.setdefault(str(parent), []).append(account["Id"])

        def subtree_net(account_id: str) -> Decimal:
            return nets.get(account_id, Decimal(0)) + sum(
                (subtree_net(child) for child in children.get(account_id, [])), Decimal(0))

        account_type = str(obj.get("AccountType"))
        return {
            **obj,
            "CurrentBalance": qbo_entities.current_balance(
                account_type, nets.get(obj["Id"], Decimal(0))),
            "CurrentBalanceWithSubAccounts": qbo_entities.current_balance(
                account_type, subtree_net(obj["Id"])),
        }

    def _read(self, realm: _Realm, entity: str, object_id: str) -> dict[str, Any]:
        obj = realm.table(entity).get(object_id)
        if obj is None:
            raise qbo_faults.not_found(entity, object_id)
        return self._present(realm, entity, obj)

    def _query(self, realm: _Realm, text: str, now: dt.datetime) -> dict[str, Any]:
        del now
        query = qbo_query.parse_query(text)
        entity = _canonical_entity(query.entity)
        if entity is None:
            raise qbo_faults.query_validation(f"Invalid entity name {query.entity}")
        rows = [realm.company] if entity == "CompanyInfo" else [
            self._present(realm, entity, row) for row in realm.table(entity).values()]
        properties = (*qbo_entities.PROPERTIES[entity], *qbo_entities.BOOKKEEPING)
        paths = [c.path for c in query.conditions] + [p for p, _ in query.order]
        paths += [tuple(f.split(".")) for f in query.fields or ()]
        for path in paths:
            if not qbo_query.known_path(path, properties):
                raise qbo_faults.query_validation(
                    f"Property {'.'.join(path)} not found for Entity {entity}",
                )
        filterable = (*qbo_entities.FILTERABLE[entity], "Id", "MetaData")
        for condition in query.conditions:
            if not qbo_query.known_path(condition.path, filterable):
                raise qbo_faults.query_validation(
                    f"property '{'.'.join(condition.path)}' is not queryable",
                )
        conditions = query.conditions
        if entity in _LIST_ENTITIES and not any(c.path[0].lower() == "active"
                                                for c in conditions):
            # QBO lists only active list objects unless the query asks about Active.
            rows = [row for row in rows if row.get("Active", True)]
        page, total = qbo_query.run_query(query, rows, COMPANY_TZ)
        if query.count:
            return {"QueryResponse": {"totalCount": total}}
        if not page:
            return {"QueryResponse": {}}
        if query.fields is not None:
            page = [qbo_query.project(row, query.fields) for row in page]
        return {"QueryResponse": {entity: page, "startPosition": query.start_position,
                                  "maxResults": len(page)}}

    def _cdc(self, realm: _Realm, request: Request, now: dt.datetime) -> dict[str, Any]:
        names = request.arg("entities")
        if not names:
            raise qbo_faults.required("entities")
        entities: list[str] = []
        for raw in names.split(","):
            entity = _canonical_entity(raw.strip())
            if entity is None or entity not in qbo_entities.CDC_ENTITIES:
                raise qbo_faults.invalid(
                    f"Change Data Capture does not cover the entity {raw.strip()!r}",
                    "entities",
                )
            if entity not in entities:
                entities.append(entity)
        since_text = request.arg("changedSince")
        if not since_text:
            raise qbo_faults.required("changedSince")
        try:
            # Strict: an offset's "+" sent unencoded arrives as a space and is refused, so a
            # client that forgets to encode it finds out here and not in production.
            since = parse_stamp(since_text.strip())
        except ValueError as exc:
            raise qbo_faults.invalid(
                f"changedSince {since_text!r} is not an ISO-8601 date-time", "changedSince",
            ) from exc
        if now - since > dt.timedelta(days=CDC_MAX_DAYS):
            raise qbo_faults.invalid(
                f"changedSince {since_text} is more than {CDC_MAX_DAYS} days ago; Change Data "
                "Capture looks back at most 30 days. Use a query for older changes.",
                "changedSince",
            )
        changes: list[tuple[dt.datetime, int, str, dict[str, Any]]] = []
        for entity in entities:
            for source in (realm.table(entity), realm.graveyard(entity)):
                for obj in source.values():
                    moment = parse_stamp(obj["MetaData"]["LastUpdatedTime"])
                    if moment >= since:
                        changes.append((moment, int(obj["Id"]), entity, obj))
        changes.sort(key=lambda change: (change[0], change[1]))
        kept = changes[:CDC_MAX_OBJECTS]
        responses: list[dict[str, Any]] = []
        for entity in entities:
            rows = [self._present(realm, name, obj) for _, _, name, obj in kept
                    if name == entity]
            responses.append(
                {entity: rows, "startPosition": 1, "maxResults": len(rows),
                 "totalCount": len(rows)} if rows else {},
            )
        return {"CDCResponse": [{"QueryResponse": responses}]}

    # --- writing ----------------------------------------------------------------------------------

    def _write(self, realm: _Realm, entity: str, body: Mapping[str, Any], *, operation: str,
               include: str, now: dt.datetime) -> dict[str, Any]:
        if operation == "delete":
            return self._delete(realm, entity, body, now)
        if operation == "void" or include == "void":
            style = qbo_entities.VOIDABLE.get(entity)
            if style is None or (style == "void") != (operation == "void"):
                raise qbo_faults.unsupported(
                    f"Operation void is not supported for {entity} this way.",
                )
            return self._void(realm, entity, body, now)
        if operation not in ("", "create", "update"):
            raise qbo_faults.unsupported(f"Operation {operation} is not supported.")
        if entity == "JournalEntry" and include != "allowduplicatedocnum":
            self._check_doc_number(realm, body)
        if operation == "update" or (operation != "create" and body.get("Id") not in (None, "")):
            return self._update(realm, entity, body, now)
        return self._create(realm, entity, body, now)

    def _lookup(self, realm: _Realm, now: dt.datetime) -> _Lookup:
        return _Lookup(realm, now.astimezone(COMPANY_TZ).date())

    @staticmethod
    def _clean(body: Mapping[str, Any]) -> dict[str, Any]:
        return {k: copy.deepcopy(v) for k, v in body.items()
                if k not in qbo_entities.BOOKKEEPING}

    def _create(self, realm: _Realm, entity: str, body: Mapping[str, Any], now: dt.datetime
                ) -> dict[str, Any]:
        normalise = qbo_entities.NORMALISERS[entity]
        obj = normalise(self._clean(body), self._lookup(realm, now), None)
        self._check_period(realm, entity, obj)
        object_id = realm.new_id(entity)
        obj.update({"domain": "QBO", "sparse": False, "Id": object_id, "SyncToken": "0",
                    "MetaData": {"CreateTime": stamp(now), "LastUpdatedTime": stamp(now)}})
        realm.table(entity)[object_id] = obj
        realm.revision += 1
        self._after_change(realm, entity, None, obj, now)
        return obj

    @staticmethod
    def _check_doc_number(realm: _Realm, body: Mapping[str, Any]) -> None:
        """6140 for a journal DocNumber another journal entry has, when the company warns on
        duplicate journal numbers (API_NOTES business rules; the preference name is the one
        Intuit's Preferences answers carry)."""
        doc = str(body.get("DocNumber") or "").strip()
        if not realm.warn_duplicate_journal_number or not doc:
            return
        own_id = str(body.get("Id") or "")
        for other in realm.table("JournalEntry").values():
            if other.get("DocNumber") == doc and other["Id"] != own_id:
                raise qbo_faults.duplicate_doc_number(doc, "Journal Entry", str(other["Id"]))

    @staticmethod
    def _check_period(realm: _Realm, entity: str, *objects: Mapping[str, Any]) -> None:
        """No transaction dated on or before the closing date may be added, changed, voided or
        deleted: Intuit's fault 6200, or 6210 when the closing date has a password."""
        if realm.closing_date is None or entity not in qbo_entities.TRANSACTIONS:
            return
        for obj in objects:
            txn_date = str(obj.get("TxnDate") or "")
            if txn_date and txn_date <= realm.closing_date:
                raise qbo_faults.period_closed(entity, txn_date, realm.closing_date,
                                               password=realm.closing_password)

    def _current(self, realm: _Realm, entity: str, body: Mapping[str, Any]
                 ) -> tuple[str, dict[str, Any]]:
        """The stored object `body` names, after the Id and SyncToken checks."""
        raw_id = body.get("Id")
        if raw_id in (None, ""):
            raise qbo_faults.required("Id", entity)
        object_id = str(raw_id)
        existing = realm.table(entity).get(object_id)
        if existing is None:
            raise qbo_faults.not_found(entity, object_id)
        token = body.get("SyncToken")
        if token in (None, ""):
            raise qbo_faults.required("SyncToken", entity)
        if str(token) != existing["SyncToken"]:
            raise qbo_faults.stale(entity, object_id, existing["SyncToken"], str(token))
        return object_id, existing

    @staticmethod
    def _bump(existing: Mapping[str, Any], obj: dict[str, Any], now: dt.datetime) -> None:
        obj.update({
            "domain": "QBO", "sparse": False, "Id": existing["Id"],
            "SyncToken": str(int(existing["SyncToken"]) + 1),
            "MetaData": {"CreateTime": existing["MetaData"]["CreateTime"],
                         "LastUpdatedTime": stamp(now)},
        })

    def _update(self, realm: _Realm, entity: str, body: Mapping[str, Any], now: dt.datetime
                ) -> dict[str, Any]:
        object_id, existing = self._current(realm, entity, body)
        changes = self._clean(body)
        merged = {**self._clean(existing), **changes} if body.get("sparse") is True else changes
        normalise = qbo_entities.NORMALISERS[entity]
        obj = normalise(merged, self._lookup(realm, now), object_id)
        self._check_period(realm, entity, existing, obj)
        self._bump(existing, obj, now)
        realm.table(entity)[object_id] = obj
        realm.revision += 1
        self._after_change(realm, entity, existing, obj, now)
        if entity == "Account" and obj["FullyQualifiedName"] != existing["FullyQualifiedName"]:
            self._rename_subaccounts(realm, object_id, obj["FullyQualifiedName"], now)
        return obj

    def _rename_subaccounts(self, realm: _Realm, parent_id: str, parent_name: str,
                            now: dt.datetime) -> None:
        """A renamed account renames the paths of its sub-accounts (`Parent:Child`), which
        therefore change too."""
        for child_id, child in list(realm.table("Account").items()):
            if (child.get("ParentRef") or {}).get("value") != parent_id:
                continue
            renamed = {**child, "FullyQualifiedName": f"{parent_name}:{child['Name']}"}
            self._bump(child, renamed, now)
            realm.table("Account")[child_id] = renamed
            self._rename_subaccounts(realm, child_id, renamed["FullyQualifiedName"], now)

    def _delete(self, realm: _Realm, entity: str, body: Mapping[str, Any], now: dt.datetime
                ) -> dict[str, Any]:
        if entity not in qbo_entities.DELETABLE:
            raise qbo_faults.unsupported(
                f"Operation Delete is not supported for {entity}; make it inactive instead.",
            )
        object_id, existing = self._current(realm, entity, body)
        self._check_period(realm, entity, existing)
        del realm.table(entity)[object_id]
        realm.revision += 1
        realm.graveyard(entity)[object_id] = {
            "domain": "QBO", "status": "Deleted", "Id": object_id,
            "MetaData": {"CreateTime": existing["MetaData"]["CreateTime"],
                         "LastUpdatedTime": stamp(now)},
        }
        self._after_change(realm, entity, existing, None, now)
        return {"domain": "QBO", "status": "Deleted", "Id": object_id}

    def _void(self, realm: _Realm, entity: str, body: Mapping[str, Any], now: dt.datetime
              ) -> dict[str, Any]:
        object_id, existing = self._current(realm, entity, body)
        self._check_period(realm, entity, existing)
        obj = qbo_entities.voided(existing)
        self._bump(existing, obj, now)
        realm.table(entity)[object_id] = obj
        realm.revision += 1
        self._after_change(realm, entity, existing, obj, now)
        return obj

    def _after_change(self, realm: _Realm, entity: str, before: Mapping[str, Any] | None,
                      after: Mapping[str, Any] | None, now: dt.datetime) -> None:
        """A payment changes the balance of what it pays, as in QBO: the invoice (bill) gets the
        new Balance and LinkedTxn, and so a new SyncToken and LastUpdatedTime."""
        target = {"Payment": "Invoice", "BillPayment": "Bill"}.get(entity)
        if target is None:
            return
        touched: list[str] = []
        for obj in (before, after):
            if obj is not None:
                touched += [i for i in qbo_entities.linked_ids(obj, target) if i not in touched]
        for target_id in touched:
            existing = realm.table(target).get(target_id)
            if existing is None:
                continue
            paid = Decimal(0)
            links: list[dict[str, str]] = []
            for payment in realm.table(entity).values():
                for line in payment.get("Line", []):
                    if line.get("Amount") and target_id in qbo_entities.linked_ids(
                            {"Line": [line]}, target):
                        paid += Decimal(line.get("Amount", 0))
                        links.append({"TxnId": payment["Id"], "TxnType": entity})
            total = Decimal(existing.get("TotalAmt", 0))
            balance = max(Decimal("0.00"), total - paid)
            unique_links = [dict(t) for t in dict.fromkeys(tuple(x.items()) for x in links)]
            if balance == existing.get("Balance") and unique_links == existing.get("LinkedTxn",
                                                                                  []):
                continue
            updated = {**existing, "Balance": balance, "LinkedTxn": unique_links}
            if "HomeBalance" in updated:
                updated["HomeBalance"] = balance
            self._bump(existing, updated, now)
            realm.table(target)[target_id] = updated

    # --- batch ------------------------------------------------------------------------------------

    def _batch(self, realm: _Realm, request: Request, now: dt.datetime) -> dict[str, Any]:
        body = self._json_body(request)
        items = body.get("BatchItemRequest")
        if not isinstance(items, list) or not items:
            raise qbo_faults.required("BatchItemRequest")
        if len(items) > BATCH_MAX_ITEMS:
            raise qbo_faults.invalid(
                f"A batch request may have at most {BATCH_MAX_ITEMS} BatchItemRequest items; "
                f"this one has {len(items)}.", "BatchItemRequest",
            )
        seen: set[str] = set()
        for item in items:
            bid = item.get("bId") if isinstance(item, dict) else None
            if not isinstance(bid, str) or not bid:
                raise qbo_faults.required("bId", "BatchItemRequest")
            if len(bid) > BATCH_ID_MAX:
                raise qbo_faults.invalid(
                    f"bId {bid!r} is {len(bid)} characters long; the limit is {BATCH_ID_MAX}.",
                    "bId",
                )
            if bid in seen:
                raise qbo_faults.invalid(f"bId {bid!r} is used twice in one batch.", "bId")
            seen.add(bid)
        return {"BatchItemResponse": [self._batch_item(realm, item, now) for item in items]}

    def _batch_item(self, realm: _Realm, item: dict[str, Any], now: dt.datetime
                    ) -> dict[str, Any]:
        bid = item["bId"]
        try:
            if "Query" in item:
                result = self._query(realm, str(item["Query"]), now)
                return {"QueryResponse": result["QueryResponse"], "bId": bid}
            names = [key for key in item if _canonical_entity(key) not in (None, "CompanyInfo")]
            if len(names) != 1:
                raise qbo_faults.invalid(
                    "Each BatchItemRequest needs exactly one entity object or a Query.",
                )
            entity = _canonical_entity(names[0]) or names[0]
            payload = item[names[0]]
            if not isinstance(payload, dict):
                raise qbo_faults.invalid(f"{entity} must be a JSON object", entity)
            operation = str(item.get("operation") or "").lower()
            if operation not in ("create", "update", "delete"):
                raise qbo_faults.invalid(
                    f"operation must be create, update or delete, not {operation!r}",
                    "operation",
                )
            obj = self._write(realm, entity, payload, operation=operation, include="",
                              now=now)
            return {entity: self._present(realm, entity, obj), "bId": bid}
        except QboFault as fault:
            return {"Fault": fault.fault(), "bId": bid}


def iter_objects(state: Mapping[str, Any], realm_id: str, entity: str
                 ) -> Iterator[Mapping[str, Any]]:
    """The live objects of `entity` in a `to_state()` snapshot (for tests reading the state
    endpoint)."""
    yield from state["realms"][realm_id]["objects"].get(entity, {}).values()

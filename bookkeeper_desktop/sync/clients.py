"""The QBO and Xero API clients the sync engine talks through, on top of `providers.http`.

`providers.http.ApiClient` adds the bearer token, refreshes once on 401 and replays, and maps
failures to typed errors. Here, per provider:

- **budgets** (`providers.ratelimit.RateBudget`), one per realm/tenant for the whole process
  (`budget_for`): QBO 500/min and 10 concurrent, plus the batch endpoint's 120/min; Xero 60/min,
  5 concurrent, 5,000/day (API_NOTES.md "limits"). Calls wait for a slot *before* they are sent.
  We take the slot ourselves rather than handing the budget to `ApiClient`, because a 429's
  `Retry-After` is in the vendor's unscaled seconds and must be multiplied by our `time_scale`
  before pausing the budget (sandbox/limits.py says the same);
- **retries** (`Retrier`): 429 waits `Retry-After` (QBO often sends none and an XML body: then
  jittered backoff), 5xx and dropped connections back off with full jitter
  (`ratelimit.Backoff`). Reads are retried freely. Writes are *not* retried here: a write whose
  answer was lost may have been committed, so the push engine reconciles with the remote side
  first (outbox) and only then sends again;
- the calls the sync needs: QBO `query` with STARTPOSITION/MAXRESULTS paging, `cdc`, `batch`;
  Xero `Accounts`, paged lists with `If-Modified-Since`, `ManualJournals` writes with
  `summarizeErrors=false` and `Idempotency-Key`.

Waiting (for a slot, a Retry-After or a backoff) is a safe point: `progress.check_cancelled()` is
called there, never in the middle of a write.

A client is called by several threads at once while a pull reads pages `parallel` at a time
(`sync.prefetch.read_in_order`): `httpx.Client` is thread-safe (its docstring says so since
encode/httpx#2380), the budgets are, the token manager refreshes once however many calls get 401
together (the others wait and replay with the new token: `providers.tokens`), and the counts kept
here (`calls`, `Retrier.retries`) are taken under a lock.

`parallel` is how many requests a sync keeps in flight. The push calls `write` (`batch`, `save`)
from that many worker threads at once (`sync.push`, "Several at a time"): a write touches no
database and only thread-safe state (the `ApiClient`, the budgets), and its 429 wait pauses the
shared budget so the other threads wait too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

import httpx

from bookkeeper_desktop.core.errors import (
    BookkeeperError,
    Cancelled,
    DailyLimitReached,
    NetworkError,
    RateLimited,
    RemoteError,
)
from bookkeeper_desktop.core.progress import Progress, call_unless_cancelled
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.providers.http import QBO_MINOR_VERSION, ApiClient
from bookkeeper_desktop.providers.ratelimit import (
    QBO_BATCH_LIMITS,
    QBO_LIMITS,
    XERO_LIMITS,
    Backoff,
    Limits,
    RateBudget,
)
from bookkeeper_desktop.sync.payloads import dumps, loads, parse_xero_date

T = TypeVar("T")

#: QBO: MAXRESULTS at most 1,000 (API_NOTES.md "query"); CDC answers at most 1,000 objects.
QBO_PAGE = 1000
QBO_CDC_MAX = 1000
#: QBO batch: at most 30 items, bIds of at most 10 characters (API_NOTES.md "batch").
QBO_BATCH_ITEMS = 30
#: Xero: about 50 items per write (API_NOTES.md "limits"); pageSize up to 1,000 on the lists.
XERO_WRITE_ITEMS = 50
XERO_PAGE = 1000

#: Seconds our rate windows last beyond the provider's (real seconds, whatever the time scale:
#: the network does not run faster in a scaled test). We stamp a call when it leaves; the
#: provider when it arrives, its upstream delay u later. Our window for call i ends at
#: sᵢ + 60 + margin, so the call j that takes its place arrives at sⱼ + uⱼ ≥ sᵢ + 60 + margin
#: + uⱼ, and the provider, whose window for i ends at sᵢ + uᵢ + 60, admits it whenever
#: margin ≥ uᵢ − uⱼ: the margin must cover the longest upstream delay of a call that opens a
#: window. Those are the run's first calls, which also open the connections: one-way transit
#: (tens of ms, up to about 100 ms between continents) plus TCP and TLS handshakes (2–3 round
#: trips: up to about 0.45 s at a 150 ms round trip).
#: On kept-alive connections later calls arrive within tens of ms; on the sandboxes' loopback
#: within a few ms. 0.5 s covers the handshakes; a token renewal between our stamp and the send
#: (about once an hour, `ApiClient.request`) is not covered and may earn one 429. Too small a
#: margin costs a 429: Xero's `Retry-After` is whole seconds (≥ 1 s), for which the whole
#: budget pauses (`Retrier`, `ProviderClient.write`); QBO sends none, and the call backs off
#: up to 1 s. Too large a margin costs itself once per minute crossed: 0.5 s is 0.8 % of a
#: minute (the 3 % it replaced cost 1.8 s a minute).
WINDOW_MARGIN = 0.5

_budgets: dict[tuple[str, str, str, float], RateBudget] = {}
_budgets_lock = threading.Lock()


def budget_for(provider: Provider, tenant_id: str, kind: str = "api", *,
               time_scale: float = 1.0) -> RateBudget:
    """The process-wide budget of one realm/tenant (`kind` "batch" for QBO's batch endpoint)."""
    limits: Limits = (QBO_BATCH_LIMITS if kind == "batch" else QBO_LIMITS) \
        if provider is Provider.QBO else XERO_LIMITS
    key = (provider.value, tenant_id, kind, time_scale)
    with _budgets_lock:
        if key not in _budgets:
            _budgets[key] = RateBudget(limits, time_scale=time_scale, margin=WINDOW_MARGIN)
        return _budgets[key]


def forget_budgets() -> None:
    """Start every realm's and tenant's budget afresh, with no call in its windows: for a
    benchmark that empties the sandbox's windows between runs (its `fresh_limits`), so that the
    calls of its set-up count on neither side; and for each test (tests/conftest.py), whose
    sandbox is fresh while the realm and tenant ids are the same. The app never calls it: the
    provider remembers every call, and so must we."""
    with _budgets_lock:
        _budgets.clear()


def wait(seconds: float, progress: Progress | None, sleep: Callable[[float], None]) -> None:
    """Sleep `seconds` in short steps, checking for cancel (waiting is a safe point)."""
    end = time.monotonic() + seconds
    while True:
        if progress is not None:
            progress.check_cancelled()
        left = end - time.monotonic()
        if left <= 0:
            return
        sleep(min(left, 0.1))


@dataclass
class Retrier:
    """Runs a read with retries: 429 (Retry-After scaled by `time_scale`, else backoff), 5xx and
    dropped connections (backoff with full jitter). `DailyLimitReached` is never retried.
    `attempts` bounds failures in a row; a 429 storm (the server saying when to come back) may
    last up to `throttled_attempts` answers."""

    time_scale: float = 1.0
    attempts: int = 8
    throttled_attempts: int = 60
    base: float = 0.5
    cap: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    #: Retries made (all calls), for the run's details.
    retries: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count_retry(self) -> None:
        """One more retry (pages are read by several threads at once: `+=` alone can lose
        one)."""
        with self._lock:
            self.retries += 1

    def backoff(self) -> Backoff:
        return Backoff(base=self.base * self.time_scale, cap=self.cap * self.time_scale,
                       attempts=self.attempts)

    def run(self, call: Callable[[], T], *, progress: Progress | None,
            budgets: Sequence[RateBudget] = ()) -> T:
        delays = self.backoff().delays()
        throttled = 0
        while True:
            try:
                return call()
            except DailyLimitReached:
                raise
            except RateLimited as exc:
                throttled += 1
                if throttled >= self.throttled_attempts:
                    raise
                delay = self._throttle_delay(throttled)
                if exc.retry_after is not None:
                    delay = exc.retry_after * self.time_scale
                    for budget in budgets:
                        budget.pause(delay)
            except NetworkError as exc:
                delay = self._next(delays, exc)
            self.count_retry()
            wait(delay, progress, self.sleep)

    def _throttle_delay(self, count: int) -> float:
        """Backoff for a 429 without Retry-After (QBO's XML ThrottleExceeded has none)."""
        return random.uniform(0, min(self.cap, self.base * 2 ** min(count, 8)) * self.time_scale)

    @staticmethod
    def _next(delays: Iterator[float], exc: Exception) -> float:
        try:
            return next(delays)
        except StopIteration:
            raise exc from None


def _acquire_all(budgets: Sequence[RateBudget], progress: Progress | None) -> None:
    taken: list[RateBudget] = []
    try:
        for budget in budgets:
            budget.acquire(progress)
            taken.append(budget)
    except BaseException:
        for budget in taken:
            budget.release()
        raise


def _release_all(budgets: Sequence[RateBudget]) -> None:
    for budget in budgets:
        budget.release()


class ProviderClient:
    """What both clients share: an `ApiClient`, budgets and a `Retrier`."""

    provider: Provider

    def __init__(self, api: ApiClient, tenant_id: str, *, time_scale: float = 1.0,
                 retrier: Retrier | None = None, parallel: int | None = None) -> None:
        self.api = api
        self.tenant_id = tenant_id
        self.time_scale = time_scale
        self.retrier = retrier or Retrier(time_scale=time_scale)
        self.budget = budget_for(self.provider, tenant_id, time_scale=time_scale)
        #: How many requests a sync keeps in flight at once (pages read, batches sent): the
        #: provider's concurrency limit unless asked for fewer (1 = one request at a time).
        self.parallel = max(1, min(parallel or self.budget.limits.concurrent,
                                   self.budget.limits.concurrent))
        #: API calls sent (each attempt), for the run's details and the benchmarks.
        self.calls = 0
        self._calls_lock = threading.Lock()
        #: "METHOD path" of the last call that failed (a run that gives up names it).
        self.last_failed_request: str | None = None

    def close(self) -> None:
        self.api.close()

    def __enter__(self) -> ProviderClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _send(self, method: str, path: str, budgets: Sequence[RateBudget],
              progress: Progress | None, **kwargs: Any) -> httpx.Response:
        _acquire_all(budgets, progress)
        abandoned = False
        try:
            with self._calls_lock:  # several pages are read at once (sync.prefetch)
                self.calls += 1
            # Cancel must not wait for a slow answer: a read is left to finish on its own (its
            # slots freed when it does) and the run stops (`core.progress`). A write is not
            # abandoned here: the push sends its writes from worker threads and keeps track of
            # the ones still out when it stops, so that the next run waits for them before it
            # reconciles (`sync.inflight`); a write abandoned here would escape that count and
            # be looked for at the provider before it got there.
            if method != "GET":
                return self.api.request(method, path, **kwargs)
            return call_unless_cancelled(
                lambda: self.api.request(method, path, **kwargs), progress,
                after_abandoned=lambda: _release_all(budgets))
        except Cancelled:
            abandoned = True
            raise
        except RateLimited as exc:
            self.last_failed_request = f"{method} {path}"
            if exc.retry_after is not None and not isinstance(exc, DailyLimitReached):
                for budget in budgets:
                    budget.pause(exc.retry_after * self.time_scale)
            raise
        except BookkeeperError:
            self.last_failed_request = f"{method} {path}"
            raise
        finally:
            if not abandoned:
                _release_all(budgets)

    def read(self, path: str, *, progress: Progress | None, params: Mapping[str, Any] | None
             = None, headers: Mapping[str, str] | None = None) -> Any:
        """GET with retries; the JSON answer (amounts as Decimal)."""
        def call() -> Any:
            response = self._send("GET", path, (self.budget,), progress, params=params,
                                  headers=headers)
            return _json(response, self.provider)
        return self.retrier.run(call, progress=progress, budgets=(self.budget,))

    def write(self, method: str, path: str, body: Any, *, progress: Progress | None,
              params: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
              budgets: Sequence[RateBudget] | None = None) -> Any:
        """One write, **no retry** (see the module docstring). 429 before the server acted is
        safe to retry, so it is waited out here; anything else goes to the caller."""
        chosen = budgets if budgets is not None else (self.budget,)
        content = dumps(body)
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        throttled = 0
        while True:
            try:
                response = self._send(method, path, chosen, progress, params=params,
                                      content=content, headers=all_headers)
                return _json(response, self.provider)
            except DailyLimitReached:
                raise
            except RateLimited as exc:
                # A 429 means the request was refused before it was handled: safe to resend.
                throttled += 1
                if throttled >= self.retrier.throttled_attempts:
                    raise
                delay = self.retrier._throttle_delay(throttled)
                if exc.retry_after is not None:
                    delay = exc.retry_after * self.time_scale
                self.retrier.count_retry()
                wait(delay, progress, self.retrier.sleep)


def _json(response: httpx.Response, provider: Provider) -> Any:
    try:
        return loads(response.content)
    except ValueError:
        raise RemoteError(f"{provider.display_name} answered with something that is not JSON.",
                          status=response.status_code) from None


# --- QuickBooks Online ---------------------------------------------------------------------------


def qbo_stamp(moment: dt.datetime) -> str:
    """An ISO-8601 date-time with offset, as CDC's `changedSince` wants it."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


class QboClient(ProviderClient):
    """Calls to one QBO realm (`api.base_url` = `{api_base}/company/{realmId}`)."""

    provider = Provider.QBO

    def __init__(self, api: ApiClient, tenant_id: str, *, time_scale: float = 1.0,
                 retrier: Retrier | None = None, parallel: int | None = None) -> None:
        super().__init__(api, tenant_id, time_scale=time_scale, retrier=retrier,
                         parallel=parallel)
        self.batch_budget = budget_for(self.provider, tenant_id, "batch", time_scale=time_scale)

    def query_pages(self, entity: str, *, where: str = "", progress: Progress | None,
                    start: int = 1) -> Iterator[tuple[list[dict[str, Any]], dt.datetime | None]]:
        """`select * from {entity} [where …]` page by page from `start`, one request at a time
        (`query_page`), each with the answer's `time`; an empty last page is not yielded."""
        while True:
            rows, server_time = self.query_page(entity, start, where=where, progress=progress)
            if rows:
                yield rows, server_time
            if len(rows) < QBO_PAGE:
                return
            start += QBO_PAGE

    def accounts(self, *, progress: Progress | None) -> list[dict[str, Any]]:
        """The whole chart of accounts (`select * from Account`, page by page), as
        `XeroClient.accounts` is Xero's: where a pull's own chart read (`sync.pull`) and
        "Create in QuickBooks Online" (`services.remote_accounts`) read it."""
        return [row for page, _ in self.query_pages("Account", progress=progress)
                for row in page]

    def query_page(self, entity: str, start: int, *, where: str = "",
                   progress: Progress | None
                   ) -> tuple[list[dict[str, Any]], dt.datetime | None]:
        """One page of `select * from {entity} [where …]` at STARTPOSITION `start` (counting
        from 1, MAXRESULTS at most 1,000; API_NOTES.md "query") and the answer's `time`. Ordered
        by Id so that new objects land on the last page, not before ours. Fewer than `QBO_PAGE`
        rows: the last page. The answer carries no total (only `select count(*)` does), so a
        reader of several pages at once cannot know where the query ends before it gets there."""
        text = (f"select * from {entity}{' where ' + where if where else ''} "
                f"orderby Id startposition {start} maxresults {QBO_PAGE}")
        answer = self.read("query", progress=progress,
                           params={"query": text, "minorversion": QBO_MINOR_VERSION})
        rows = list((answer.get("QueryResponse") or {}).get(entity) or [])
        server_time = answer.get("time")
        return rows, (parse_time(server_time) if server_time else None)

    def count(self, entity: str, *, progress: Progress | None) -> int:
        """How many objects `select * from {entity}` would page through: `select count(*)`
        answers `QueryResponse.totalCount` alone (the pattern other QBO clients use before
        paging, e.g. quickbooks-go's FindInvoices). One cheap request that lets a first pull ask
        for every page at once instead of finding the end page by page."""
        answer = self.read("query", progress=progress, params={
            "query": f"select count(*) from {entity}", "minorversion": QBO_MINOR_VERSION})
        return int((answer.get("QueryResponse") or {}).get("totalCount") or 0)

    def cdc(self, entities: Sequence[str], since: dt.datetime, *, progress: Progress | None
            ) -> tuple[dict[str, list[dict[str, Any]]], dt.datetime | None]:
        """Objects of `entities` changed at or after `since`, and the server's `time` (the next
        cursor when the answer was complete)."""
        answer = self.read("cdc", progress=progress, params={
            "entities": ",".join(entities), "changedSince": qbo_stamp(since),
            "minorversion": QBO_MINOR_VERSION,
        })
        found: dict[str, list[dict[str, Any]]] = {entity: [] for entity in entities}
        for block in answer.get("CDCResponse") or []:
            for response in block.get("QueryResponse") or []:
                for entity in entities:
                    found[entity].extend(response.get(entity) or [])
        server_time = answer.get("time")
        return found, (parse_time(server_time) if server_time else None)

    def batch(self, items: Sequence[Mapping[str, Any]], *, request_id: str,
              progress: Progress | None) -> list[dict[str, Any]]:
        """One `POST /batch` (≤ 30 items; `requestid` ≤ 36 characters on batch); the
        `BatchItemResponse` list. Counts against both the 500/min and the batch 120/min budget."""
        answer = self.write("POST", "batch", {"BatchItemRequest": list(items)},
                            progress=progress,
                            params={"requestid": request_id, "minorversion": QBO_MINOR_VERSION},
                            budgets=(self.budget, self.batch_budget))
        return list(answer.get("BatchItemResponse") or [])

    def company_country(self, *, progress: Progress | None) -> str | None:
        """`CompanyInfo.Country` of the realm ("US", "CA", "GB", "AU"…)."""
        answer = self.read(f"companyinfo/{self.tenant_id}", progress=progress,
                           params={"minorversion": QBO_MINOR_VERSION})
        info = answer.get("CompanyInfo") or {}
        return str(info.get("Country") or "") or None

    def find_or_create_name(self, entity: str, display_name: str, *,
                            progress: Progress | None) -> str:
        """The Id of the `entity` (Customer or Vendor) called `display_name`, created when QBO
        has none. Looked up first, so a retry after a lost answer finds the one it made; the
        create also carries a `requestid` derived from the name (API_NOTES "idempotency")."""
        quoted = display_name.replace("\\", "\\\\").replace("'", "\\'")
        answer = self.read("query", progress=progress, params={
            "query": f"select * from {entity} where DisplayName = '{quoted}'",
            "minorversion": QBO_MINOR_VERSION})
        rows = list((answer.get("QueryResponse") or {}).get(entity) or [])
        if rows:
            return str(rows[0]["Id"])
        request_id = hashlib.sha256(f"{entity}|{display_name}".encode()).hexdigest()[:36]
        created = self.write("POST", entity.lower(), {"DisplayName": display_name},
                             progress=progress,
                             params={"requestid": request_id, "minorversion": QBO_MINOR_VERSION})
        return str(created[entity]["Id"])

    def create_account(self, body: Mapping[str, Any], *, request_id: str,
                       progress: Progress | None) -> dict[str, Any]:
        """`POST /account` with a `requestid` (a resend with the same id is answered, not
        acted on again); the Account created."""
        answer = self.write("POST", "account", body, progress=progress,
                            params={"requestid": request_id, "minorversion": QBO_MINOR_VERSION})
        return dict(answer.get("Account") or {})

    def get(self, entity: str, object_id: str, *, progress: Progress | None
            ) -> dict[str, Any] | None:
        try:
            answer = self.read(f"{entity.lower()}/{object_id}", progress=progress,
                               params={"minorversion": QBO_MINOR_VERSION})
        except RemoteError as exc:
            if exc.status in (400, 404):
                return None
            raise
        found = answer.get(entity)
        return dict(found) if isinstance(found, dict) else None


def parse_time(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# --- Xero ----------------------------------------------------------------------------------------


def if_modified_since(moment: dt.datetime) -> str:
    """Xero's `If-Modified-Since`: an RFC 3339 date-time in UTC with milliseconds and its offset,
    `2026-12-03T09:00:00.123+00:00`. Xero's OpenAPI document declares the header `format:
    date-time` (example "2020-02-06T12:17:43.202-08:00", XeroAPI/Xero-OpenAPI xero_accounting.yaml
    `ifModifiedSince`); without the offset (as xero-python sends a naive datetime) the moment is
    ambiguous (issue #13 §5). Compared with `UpdatedDateUTC`, inclusive."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")


#: Xero collections its API does not page: `GET BankTransfers` takes If-Modified-Since (compared
#: with CreatedDateUTC: a transfer has no UpdatedDateUTC) and `includeDeleted`, not `page`.
XERO_UNPAGED = ("BankTransfers",)


@dataclass(frozen=True)
class XeroPage:
    """One answer of a paged Xero list: its rows, `DateTimeUTC`, which page it was, how many
    pages Xero said there are (None when it did not say) and whether it is the last."""

    rows: list[dict[str, Any]]
    stamp: dt.datetime | None
    page: int
    page_count: int | None
    last: bool


class XeroClient(ProviderClient):
    """Calls to one Xero tenant (`api.base_url` = `{api_base}`; the tenant header is added by
    `ApiClient`)."""

    provider = Provider.XERO

    def base_currency(self, *, progress: Progress | None) -> str | None:
        """The organisation's `BaseCurrency` (`GET Organisation`): the currency every manual
        journal is booked in, since manual journals carry none (API_NOTES.md business rules)."""
        organisations = self.read("Organisation", progress=progress).get("Organisations") or []
        return str(organisations[0].get("BaseCurrency") or "") or None if organisations else None

    def tax_rates(self, *, progress: Progress | None) -> dict[str, Decimal]:
        """`GET TaxRates`: each active TaxType's EffectiveRate (percent)."""
        rows = self.read("TaxRates", progress=progress).get("TaxRates") or []
        return {str(r["TaxType"]): Decimal(str(r.get("EffectiveRate") or "0")) for r in rows
                if str(r.get("Status") or "ACTIVE").upper() == "ACTIVE"}

    def accounts(self, *, progress: Progress | None) -> list[dict[str, Any]]:
        """`GET Accounts` (no paging on Accounts; API_NOTES.md "change capture")."""
        return list(self.read("Accounts", progress=progress).get("Accounts") or [])

    def pages_since(self, collection: str, since: dt.datetime | None, *,
                    progress: Progress | None, start_page: int = 1
                    ) -> Iterator[tuple[list[dict[str, Any]], dt.datetime | None]]:
        """`page_since` page by page from `start_page`, one request at a time, each page's rows
        with the answer's `DateTimeUTC` (the first one is the next cursor: records changing while
        we page may move, so the newest `UpdatedDateUTC` seen is not safe; xero_api.py)."""
        page = start_page
        while True:
            answer = self.page_since(collection, since, page, progress=progress)
            yield answer.rows, answer.stamp
            if answer.last:
                return
            page += 1

    def page_since(self, collection: str, since: dt.datetime | None, page: int, *,
                   progress: Progress | None) -> XeroPage:
        """`GET {collection}?page=N&pageSize=1000` with `If-Modified-Since` (always paged: an
        unpaged list leaves out the lines; `XERO_UNPAGED` collections have one page, page 1).
        The answer's `pagination.pageCount`, when Xero sends it, says how many pages there are,
        so the other pages can be asked for at once."""
        headers = {"If-Modified-Since": if_modified_since(since)} if since else {}
        if collection in XERO_UNPAGED:
            answer = self.read(collection, progress=progress, headers=headers,
                               params={"includeDeleted": "true"})
            stamp = answer.get("DateTimeUTC")
            return XeroPage(list(answer.get(collection) or []),
                            xero_time(stamp) if stamp else None, page, 1, last=True)
        answer = self.read(collection, progress=progress, headers=headers,
                           params={"page": page, "pageSize": XERO_PAGE})
        stamp = answer.get("DateTimeUTC")
        rows = list(answer.get(collection) or [])
        count_text = (answer.get("pagination") or {}).get("pageCount")
        count = int(count_text) if count_text is not None else None
        last = not rows or (count is not None and page >= count) or \
            (count is None and len(rows) < XERO_PAGE)
        return XeroPage(rows, xero_time(stamp) if stamp else None, page, count, last=last)

    def save(self, collection: str, items: Sequence[Mapping[str, Any]], *, key: str,
             progress: Progress | None, void: bool = False) -> list[dict[str, Any]]:
        """Create or update documents of `collection` with `Idempotency-Key`; each item's answer
        with `StatusAttributeString` and `ValidationErrors`, in the order sent
        (`summarizeErrors=false`). ManualJournals, BankTransactions and Invoices take
        `POST` (create, or update by id); Payments and BankTransfers are created with `PUT`;
        a payment is deleted with `POST Payments/{PaymentID}`, one at a time, bank transfers
        with `POST BankTransfers` (xero-python's `delete_bank_transfers`)."""
        if collection == "Payments" and void:
            return [self._one("POST", f"Payments/{item['PaymentID']}", collection, item,
                              key=f"{key}-{n}", progress=progress)
                    for n, item in enumerate(items)]
        method = "PUT" if collection in ("Payments", "BankTransfers") and not void else "POST"
        answer = self.write(method, collection, {collection: list(items)}, progress=progress,
                            params={"summarizeErrors": "false"},
                            headers={"Idempotency-Key": key})
        return list(answer.get(collection) or [])

    def create_account(self, body: Mapping[str, Any], *, key: str,
                       progress: Progress | None) -> dict[str, Any]:
        """`PUT Accounts` (one account) with an `Idempotency-Key`; the account created."""
        answer = self.write("PUT", "Accounts", body, progress=progress,
                            headers={"Idempotency-Key": key})
        rows = answer.get("Accounts") or []
        return dict(rows[0]) if rows else {}

    def save_manual_journals(self, journals: Sequence[Mapping[str, Any]], *, key: str,
                             progress: Progress | None) -> list[dict[str, Any]]:
        """`POST ManualJournals?summarizeErrors=false` (create or update by ManualJournalID)."""
        return self.save("ManualJournals", journals, key=key, progress=progress)

    def _one(self, method: str, path: str, collection: str, item: Mapping[str, Any], *,
             key: str, progress: Progress | None) -> dict[str, Any]:
        answer = self.write(method, path, {collection: [item]}, progress=progress,
                            params={"summarizeErrors": "false"},
                            headers={"Idempotency-Key": key})
        rows = answer.get(collection) or [{}]
        return dict(rows[0])

    def get(self, collection: str, record_id: str, *, progress: Progress | None
            ) -> dict[str, Any] | None:
        try:
            answer = self.read(f"{collection}/{record_id}", progress=progress)
        except RemoteError as exc:
            if exc.status == 404:
                return None
            raise
        rows = answer.get(collection) or []
        return dict(rows[0]) if rows else None


def xero_time(value: str) -> dt.datetime:
    return parse_xero_date(value)

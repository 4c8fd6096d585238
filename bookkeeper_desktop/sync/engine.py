"""One sync run for one company and provider: recorded in the sync log, with progress and Cancel.

`run_sync_with(db, company_id, client, pull=, push=, progress=)`:
1. starts a `sync_runs` row (direction pull/push/both);
2. reconciles the outbox (pushes a dead run may have sent: `push.reconcile`) so that nothing is
   sent or imported twice;
3. pull (chart of accounts, contacts, then transactions, their first reads asked together:
   `sync.pull_reads`), then push (`sync.push`);
4. finishes the row with counts, errors, duration and a result: succeeded (everything is at the
   provider), needs attention (it went through, but entries are not sent — counted per reason,
   `not_sent_counts` — or it met problems), failed (a typed error turned into what to do), or
   cancelled (at a safe point, nothing half-written). The card, the status bar, the sync log and
   the CLI all show `SyncResult.summary`, so they say the same thing.

Transient failures that get past the client's own retries (`sync.clients.Retrier` for reads, the
push's reconcile-and-resend for writes) — 5xx, 429, dropped connections — do not end the run:
steps 2-3 start again after a backoff with full jitter, for up to `RUN_RETRY_SECONDS` (scaled by
the client's `time_scale`) from the first such failure (issue #13 §4: ≥ 99.9 % of syncs complete
with 10 % of requests faulted; the seed's goal is recovery within 5 minutes). Starting again is
safe because step 2 settles whatever a lost answer left "sending", and pulls resume from their
stored cursors. A run that gives up says which request failed last and why, and the next run
recovers the same way. Measured by benchmarks/bench_sync_faults.py.

Errors are turned into messages that say what to do (`advice`): reconnect, wait for the daily
limit, map account X. `watch` repeats runs at an interval, backing off while idle or throttled.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from bookkeeper_desktop.core.errors import (
    AuthError,
    BookkeeperError,
    Cancelled,
    DailyLimitReached,
    NetworkError,
    RateLimited,
    RemoteError,
    ValidationError,
)
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.providers.oauth import Unreachable
from bookkeeper_desktop.providers.ratelimit import Backoff
from bookkeeper_desktop.services import sync_runs
from bookkeeper_desktop.services.connections import is_push_only
from bookkeeper_desktop.services.sync_runs import RunStatus
from bookkeeper_desktop.storage import repositories
from bookkeeper_desktop.storage.engine import Database
from bookkeeper_desktop.storage.schema import ConnectionRow, OutboxRow
from bookkeeper_desktop.storage.types import utc_now
from bookkeeper_desktop.sync import pull as pulling
from bookkeeper_desktop.sync import pull_reads, store
from bookkeeper_desktop.sync import push as pushing
from bookkeeper_desktop.sync.clients import QboClient, XeroClient, wait
from bookkeeper_desktop.sync.context import SyncContext
from bookkeeper_desktop.sync.lease import Lease
from bookkeeper_desktop.sync.store import NotSentReason


@dataclass(frozen=True)
class SyncResult:
    """What a run did; `summary` is the one line the CLI prints and the card shows."""

    run_id: int
    company_id: int
    provider: str
    direction: str
    status: RunStatus
    message: str
    counts: dict[str, Any] = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    duration: float = 0.0
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        """The run went through (the connection works), even when it left work to do."""
        return self.status in (RunStatus.SUCCEEDED, RunStatus.NEEDS_ATTENTION)

    @property
    def needs_attention(self) -> bool:
        return self.status is RunStatus.NEEDS_ATTENTION

    @property
    def summary(self) -> str:
        name = Provider.name_of(self.provider)
        c = self.counts
        parts = [f"{name} sync {self.status.label}"]
        if self.direction in ("pull", "both"):
            parts.append(f"pulled {c.get('created', 0)} new, {c.get('updated', 0)} changed, "
                         f"{c.get('deleted', 0)} deleted, {c.get('unposted', 0)} kept unposted")
        if self.direction in ("push", "both"):
            parts.append(f"pushed {c.get('pushed', 0)} new, {c.get('push_updates', 0)} changed")
        if c.get("accounts_renamed"):
            parts.append(f"{len(c['accounts_renamed'])} account(s) renamed in {name} "
                         "(mappings updated; your account names kept)")
        if c.get("mappings_confirmed"):
            parts.append(f"{c['mappings_confirmed']} account mapping(s) matched exactly and "
                         "confirmed")
        if c.get("mappings_proposed"):
            parts.append(f"{c['mappings_proposed']} account mapping(s) proposed — check them in "
                         "Integrations → Account mapping")
        not_sent = c.get("not_sent") or {}
        if not_sent:
            parts.append(not_sent_text(not_sent, self.provider))
        elif c.get("conflicts"):
            parts.append(f"{c['conflicts']} conflict(s) to resolve")
        # Problems that are not entries left unsent (those are counted above).
        other = len(self.errors) - int(c.get("entry_errors", 0))
        if other > 0:
            parts.append(f"{other} problem(s)")
        text = "; ".join(parts) + f" in {self.duration:.1f} s."
        return text if self.ok else f"{text} {self.message}"


#: How many entries waiting for a fix a run's sync-log row names (all are in its result).
WAITING_LOGGED = 20


#: How the summary names each reason an entry was not sent (`sync.store.NotSentReason`).
def reason_words(reason: str, provider: str) -> str:
    name = Provider.name_of(provider)
    return {
        NotSentReason.UNMAPPED: "account not mapped",
        NotSentReason.STOPPED: "stopped before sending",
        NotSentReason.REFUSED: f"refused by {name}",
        NotSentReason.CONFLICT: "conflict",
        NotSentReason.RETRY: "sent again at the next sync",
    }.get(reason, reason)


def not_sent_text(counts: dict[str, int], provider: str) -> str:
    """"229 entries not sent (200 account not mapped, 29 refused by Xero) — see Not sent": the
    counts per reason add up to the total."""
    total = sum(counts.values())
    what = "1 entry" if total == 1 else f"{total} entries"
    each = ", ".join(f"{counts[r]} {reason_words(r, provider)}" for r in NotSentReason.ALL
                     if counts.get(r))
    return f"{what} not sent ({each}) — see Not sent"


def not_sent_counts(db: Database, company_id: int, provider: str) -> dict[str, int]:
    """Entries not at the provider, per `NotSentReason` (only the reasons that have some)."""
    counts: dict[str, int] = {}
    # One grouped query (benchmarks/RESULTS.md, "Not sent"): the same rows `store.not_sent`
    # lists, counted in SQL.
    query = (select(OutboxRow.state, OutboxRow.reason, func.count())
             .where(*repositories.newest_not_sent(company_id), OutboxRow.provider == provider)
             .group_by(OutboxRow.state, OutboxRow.reason))
    with db.read_session() as session:
        for state, reason, count in session.execute(query):
            key = store.not_sent_reason(OutboxRow(state=state, reason=reason))
            counts[key] = counts.get(key, 0) + int(count)
    return counts


def refused_text(count: int, provider: str) -> str:
    """What the card says about entries the provider refused (`sync.push`: they wait for a fix
    and are not sent again until then)."""
    name = Provider.name_of(provider)
    what = "1 entry" if count == 1 else f"{count} entries"
    return f"{what} refused by {name} — fix them and sync again"


def advice(error: BookkeeperError, provider: str) -> str:
    """The error in words that say what to do next."""
    name = Provider.name_of(provider)
    if isinstance(error, AuthError):
        return f"{error.message} Reconnect to {name} in Integrations, then sync again."
    if isinstance(error, DailyLimitReached):
        return (f"{name}'s daily limit of API calls is used up. Sync continues after the limit "
                "resets (tomorrow); nothing was lost.")
    if isinstance(error, RateLimited):
        return f"{name} is busy and asked us to slow down. Sync will try again shortly."
    if isinstance(error, NetworkError):
        return f"{error.message} Check the internet connection; sync will try again."
    if isinstance(error, RemoteError):
        return f"{error.message} {error.hint or ''}".strip()
    return str(error)


#: How long one run keeps starting again after transient failures (seconds, before time scale):
#: well inside the 5 minutes the seed allows for recovery, so a run that gives up leaves the next
#: (auto-sync or the user's Sync Now) time to finish within them.
RUN_RETRY_SECONDS = 180.0
#: The backoff between those starts: full jitter from 1 s, doubling, at most 30 s.
RUN_RETRY_BASE = 1.0
RUN_RETRY_CAP = 30.0


def _transient(error: BookkeeperError) -> bool:
    """Worth starting the run's work again: the provider failed, dropped the connection or asked
    us to slow down — not a daily limit, a refusal, a sign-in that needs the user, or a provider
    that cannot be reached at all (offline: the run fails at once, as the offline monitor
    expects)."""
    return isinstance(error, NetworkError | RateLimited) \
        and not isinstance(error, DailyLimitReached | Unreachable)


_running: dict[tuple[str, int, str], threading.Lock] = {}
_running_guard = threading.Lock()


def _run_lock(db: Database, company_id: int, provider: str) -> threading.Lock:
    with _running_guard:
        return _running.setdefault((db.url, company_id, provider), threading.Lock())


def run_sync_with(db: Database, company_id: int, client: QboClient | XeroClient, *,
                  pull: bool = True, push: bool = True, progress: Progress | None = None
                  ) -> SyncResult:
    """One run against `client` (see the module docstring). Runs for the same company and
    provider in this process take turns (the auto-sync timer and Sync Now never push the same
    entry at once)."""
    provider = client.provider.value
    if pull and is_push_only(db, company_id, provider):
        # One company, one set of books: a provider connected push only is never pulled from.
        pull = False
        if not push:
            raise ValidationError(f"{client.provider.display_name} is connected push only: "
                                  "nothing is pulled from it.", hint="Sync it to push.")
    with _run_lock(db, company_id, provider):
        return _run(db, company_id, client, pull=pull, push=push, progress=progress)


def _run(db: Database, company_id: int, client: QboClient | XeroClient, *, pull: bool,
         push: bool, progress: Progress | None) -> SyncResult:
    provider = client.provider.value
    direction = "both" if pull and push else ("pull" if pull else "push")
    progress = progress or Progress()
    run = sync_runs.start_run(db, company_id, provider, direction)
    lease = Lease(db, company_id, provider)
    ctx = SyncContext(db=db, company_id=company_id, provider=provider, client=client,
                      progress=progress, on_safe_point=lease.renew, run_id=run.id,
                      push_only=is_push_only(db, company_id, provider))
    started = time.monotonic()
    status, message, retry_after = RunStatus.SUCCEEDED, "", None
    leased = False
    try:
        lease.take()
        leased = True
        _work_with_retries(ctx, client, lease, pull=pull, push=push)
    except Cancelled:
        status = RunStatus.CANCELLED
        message = ("Cancelled: what was sent stays sent and everything read is saved; the rest "
                   "goes at the next sync.")
    except BookkeeperError as exc:
        status, message = RunStatus.FAILED, advice(exc, provider)
        retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
    except BaseException as exc:
        sync_runs.finish_run(db, run.id, RunStatus.FAILED, message=f"Internal error: {exc!r}",
                             details=ctx.counts.as_dict(), error_count=1)
        raise
    finally:
        if leased:
            lease.release()
    counts = ctx.counts.as_dict()
    errors = tuple(ctx.counts.errors)
    duration = time.monotonic() - started
    counts["not_sent"] = not_sent_counts(db, company_id, provider)
    # The push's errors are each about one entry, which is then among the not sent; the
    # summary counts the other problems (a remote account of an unknown type) on their own.
    counts["entry_errors"] = len(errors) - ctx.errors_before_push
    if status is RunStatus.SUCCEEDED and (counts["not_sent"] or errors):
        status = RunStatus.NEEDS_ATTENTION
    if not message and status is RunStatus.NEEDS_ATTENTION:
        # The first problem, by entry number with its reason: where to start.
        message = next(iter(ctx.counts.waiting or errors), "")
    counts["api_calls"] = client.calls
    counts["retries"] = client.retrier.retries
    result = SyncResult(run_id=run.id, company_id=company_id, provider=provider,
                        direction=direction, status=status, message=message, counts=counts,
                        errors=errors, duration=duration, retry_after=retry_after)
    sync_runs.finish_run(
        db, run.id, status, pulled=ctx.counts.created + ctx.counts.updated + ctx.counts.deleted,
        pushed=ctx.counts.pushed + ctx.counts.push_updates, conflicts=ctx.counts.conflicts,
        error_count=len(errors) + (1 if status is RunStatus.FAILED else 0),
        # The one-line summary, so the card, the status bar and the sync log read the same text
        # whether they show the run just finished or the stored one.
        message=result.summary,
        # The sync log keeps the first entries waiting for a fix (the count is `refused`):
        # the same long list at every auto-sync would make the log grow without telling more.
        details={**counts, "waiting": counts["waiting"][:WAITING_LOGGED], "duration": duration},
    )
    if result.ok:
        _stamp_connection(db, company_id, provider)
    return result


def _work(ctx: SyncContext, *, pull: bool, push: bool) -> None:
    pushing.reconcile(ctx)
    if pull:
        # The chart, the contacts and the transactions, their first reads asked together.
        pull_reads.pull(ctx)
    elif push and ctx.push_only:
        # Push only: their chart of accounts is read to propose the mappings the push needs
        # (none of their accounts joins ours); no contact, no transaction is pulled.
        pulling.pull_accounts(ctx)
    ctx.errors_before_push = len(ctx.counts.errors)
    if push:
        pushing.push(ctx, pulled=pull)


def _work_with_retries(ctx: SyncContext, client: QboClient | XeroClient, lease: Lease, *,
                       pull: bool, push: bool) -> None:
    """`_work`, started again after transient failures (see the module docstring); raises the
    last one, naming its request, once `RUN_RETRY_SECONDS` from the first would be over."""
    scale = client.time_scale
    budget = RUN_RETRY_SECONDS * scale
    backoff = Backoff(base=RUN_RETRY_BASE * scale, cap=RUN_RETRY_CAP * scale,
                      attempts=1_000).delays()
    tries = 0
    first_failure: float | None = None

    def sleep_renewing_the_lease(seconds: float) -> None:
        time.sleep(seconds)
        lease.renew()

    while True:
        tries += 1
        try:
            _work(ctx, pull=pull, push=push)
            return
        except BookkeeperError as exc:
            if not _transient(exc):
                raise
            delay = next(backoff)
            if isinstance(exc, RateLimited) and exc.retry_after is not None:
                delay = max(delay, exc.retry_after * scale)
            # The clock starts at the first failure: the work before it (a long pull) is no
            # reason to give up sooner.
            first_failure = first_failure or time.monotonic()
            elapsed = time.monotonic() - first_failure
            if elapsed + delay > budget:
                raise _gave_up(exc, client, tries, elapsed / scale if scale else elapsed) \
                    from exc
        client.retrier.count_retry()
        wait(delay, ctx.progress, sleep_renewing_the_lease)


def _gave_up(error: BookkeeperError, client: QboClient | XeroClient, tries: int,
             seconds: float) -> BookkeeperError:
    """The error a run that gives up reports: the same kind (so `advice` and `retry_after`
    still apply), saying which request failed last, how often and for how long we tried."""
    request = client.last_failed_request or "a request"
    what = (f"Gave up after {tries} tries over {seconds:.0f} s; the last failure: {request} — "
            f"{error.message}")
    if isinstance(error, RateLimited):
        return RateLimited(what, retry_after=error.retry_after, hint=error.hint)
    return NetworkError(what, hint=error.hint)


def _stamp_connection(db: Database, company_id: int, provider: str) -> None:
    """The connection's `last_sync_at` (what the Integrations card and `bookkeeper status`
    show)."""
    with db.session() as session:
        row = session.execute(select(ConnectionRow).where(
            ConnectionRow.company_id == company_id, ConnectionRow.provider == provider)
        ).scalar_one_or_none()
        if row is not None:
            row.last_sync_at = utc_now()


def next_delay(result: SyncResult | None, interval: float, idle_runs: int,
               *, max_interval: float) -> float:
    """How long `watch` waits before the next run: the interval; doubled for each idle run in a
    row (nothing pulled or pushed), up to `max_interval`; a throttled or failed run waits at least
    its Retry-After (or the interval doubled)."""
    if result is None:
        return interval
    if result.status is RunStatus.FAILED:
        return float(min(max_interval, max(result.retry_after or 0.0, interval * 2.0)))
    return float(min(max_interval, interval * float(2 ** min(idle_runs, 6))))


def is_idle(result: SyncResult) -> bool:
    c = result.counts
    return result.ok and not any(c.get(k) for k in ("created", "updated", "deleted", "pushed",
                                                    "push_updates", "conflicts"))


def watch(run_once: Callable[[], list[SyncResult]], *, interval: float, max_interval: float,
          stop: Callable[[], bool], sleep: Callable[[float], None] = time.sleep,
          on_result: Callable[[SyncResult], None] | None = None) -> int:
    """Run `run_once` until `stop()`; returns how many rounds ran."""
    rounds = 0
    idle = 0
    while not stop():
        results = run_once()
        rounds += 1
        for result in results:
            if on_result is not None:
                on_result(result)
        idle = idle + 1 if results and all(is_idle(r) for r in results) else 0
        delays = [next_delay(r, interval, idle, max_interval=max_interval) for r in results]
        delay = max(delays, default=interval)
        end = time.monotonic() + delay
        while not stop() and time.monotonic() < end:
            sleep(min(0.5, max(0.0, end - time.monotonic())))
    return rounds

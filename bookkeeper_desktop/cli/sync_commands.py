"""`bookkeeper sync [qbo|xero] [--pull] [--push] [--retry-refused] [--watch [--interval SECONDS]]`,
`bookkeeper sync undo RUN_ID [--yes]` (`cli.undo_commands`) and `bookkeeper not-sent [qbo|xero]`
(every entry not sent, why, and its one fix).

Without a provider, every provider the company is connected to is synced; without `--pull` or
`--push`, both (pull first, then push). Each run prints one line (`SyncResult.summary`) on stdout
and its problems (an unmapped account, a refused entry, a conflict) on stderr; `--json` prints the
results as JSON instead.

Entries the provider refused (a closed period, an inactive account) are not sent again at every
run: they wait until the entry or its account mappings change. `--retry-refused` sends them once
more (after the cause was fixed at the provider); a single run lists the ones still waiting on
stderr.

`--watch` polls until stopped (Ctrl+C, SIGTERM, or `--max-runs N`): a run every `--interval` seconds
(default 900 = 15 minutes, as the app's auto-sync), doubled after each idle run up to
`--max-interval`, and at least the provider's Retry-After after a throttled run — for a scheduled
task or a server.

On a terminal, the run in progress is shown on one line of stderr, rewritten in place: the same
words as the Integrations card ("Sending entries to Xero: 1,200 of 5,000 — about 2 minutes
left"); nothing when stderr is not a terminal (a log, a pipe) or with `--json`.

Exit statuses: 0 every run succeeded with nothing left to do by hand; 3 a run needs attention:
entries were not sent (counted per reason in the summary, listed on stderr) or it met problems;
1 a run failed (the message says what to do: reconnect, wait for the daily limit); 130 cancelled
with Ctrl+C or SIGTERM (the run stops at a safe point, nothing half-written); 2 usage.
`--watch` exits 0 when stopped.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import signal
import threading
from collections.abc import Iterator, Sequence
from typing import IO

from bookkeeper_desktop.cli.common import Context, SubParsers, add_command
from bookkeeper_desktop.cli.undo_commands import undo_command
from bookkeeper_desktop.core.errors import Cancelled, ConfigurationError, NotFound
from bookkeeper_desktop.core.progress import Progress, progress_line
from bookkeeper_desktop.services.connections import list_connections
from bookkeeper_desktop.services.entries import summaries_by_id
from bookkeeper_desktop.services.not_sent import list_not_sent
from bookkeeper_desktop.services.sync import retry_refused, run_sync
from bookkeeper_desktop.storage.records import ConnectionStatus
from bookkeeper_desktop.sync.engine import SyncResult, watch

DEFAULT_INTERVAL = 900.0
PROBLEMS_EXIT = 3
#: How often the terminal's progress line is redrawn (seconds).
PROGRESS_EVERY = 0.2
CANCELLING_TEXT = "Cancelling… what was sent stays sent; the rest goes at the next sync."


class TerminalLine:
    """One line of a terminal rewritten in place (carriage return, erase to the end); does
    nothing unless `stream` is a terminal."""

    def __init__(self, stream: IO[str], *, enabled: bool = True) -> None:
        self.stream = stream
        self.enabled = enabled and stream.isatty()
        self._shown = ""

    def show(self, text: str) -> None:
        if not self.enabled:
            return
        width = shutil.get_terminal_size().columns
        text = text if len(text) < width else text[:max(1, width - 2)] + "…"
        if text != self._shown:
            self._shown = text
            self.stream.write(f"\r{text}\x1b[K")
            self.stream.flush()

    def clear(self) -> None:
        if self.enabled and self._shown:
            self._shown = ""
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def register(subparsers: SubParsers) -> None:
    sync = add_command(subparsers, "sync",
                       help="pull from and push to QuickBooks Online or Xero (all connected "
                            "providers when none is named)")
    sync.add_argument("provider", nargs="?", choices=["qbo", "xero", "undo"],
                      help="qbo or xero; or `undo RUN_ID` to take back what a run sent")
    sync.add_argument("run", nargs="?", type=int, metavar="RUN_ID", help=argparse.SUPPRESS)
    sync.add_argument("--yes", action="store_true",
                      help="undo: do not ask before taking a run's pushes back")
    sync.add_argument("--pull", action="store_true", help="only pull (accounts, transactions)")
    sync.add_argument("--push", action="store_true", help="only push approved/posted entries")
    sync.add_argument("--retry-refused", action="store_true",
                      help="send entries the provider refused once more (after fixing the cause "
                           "there, e.g. reopening a closed period)")
    sync.add_argument("--watch", action="store_true", help="keep syncing until stopped")
    sync.add_argument("--interval", type=float, default=DEFAULT_INTERVAL, metavar="SECONDS",
                      help=f"--watch: seconds between runs (default {DEFAULT_INTERVAL:g})")
    sync.add_argument("--max-interval", type=float, default=None, metavar="SECONDS",
                      help="--watch: longest wait after idle or throttled runs "
                           "(default 8 × interval)")
    sync.add_argument("--max-runs", type=int, default=None, metavar="N",
                      help="--watch: stop after N rounds")
    sync.set_defaults(handler=sync_command)

    not_sent = add_command(subparsers, "not-sent",
                           help="list the entries not sent to QuickBooks Online or Xero, why, "
                                "and what fixes each")
    not_sent.add_argument("provider", nargs="?", choices=["qbo", "xero"])
    not_sent.set_defaults(handler=not_sent_command)


def _providers(ctx: Context, company_id: int, named: str | None) -> list[str]:
    if named is not None:
        return [named]
    connected = [c.provider for c in list_connections(ctx.db, company_id)
                 if c.status is not ConnectionStatus.DISCONNECTED and c.provider in ("qbo", "xero")]
    if not connected:
        raise NotFound("This company is not connected to QuickBooks Online or Xero.",
                       hint="Connect it first: bookkeeper connect qbo|xero.")
    return sorted(connected)


def _run_round(ctx: Context, company_id: int, providers: Sequence[str], *, pull: bool,
               push: bool, list_waiting: bool = True) -> list[SyncResult]:
    """Each provider's sync in a worker thread, so that Ctrl+C cancels at a safe point instead
    of interrupting a write."""
    results: list[SyncResult] = []
    for provider in providers:
        progress = Progress()
        box: dict[str, SyncResult | BaseException] = {}

        def work(provider: str = provider, progress: Progress = progress,
                 box: dict[str, SyncResult | BaseException] = box) -> None:
            try:
                box["result"] = run_sync(ctx.db, company_id, provider, pull=pull, push=push,
                                         progress=progress)
            except BaseException as exc:  # handed to the main thread
                box["result"] = exc

        worker = threading.Thread(target=work, name=f"sync-{provider}", daemon=True)
        worker.start()
        line = TerminalLine(ctx.err, enabled=not ctx.json)
        try:
            while worker.is_alive():
                worker.join(PROGRESS_EVERY)
                line.show(progress_line(progress.snapshot()))
        except KeyboardInterrupt:
            progress.cancel()
            line.show(CANCELLING_TEXT)
            worker.join()
        finally:
            line.clear()
        outcome = box["result"]
        if isinstance(outcome, BaseException):
            raise outcome
        results.append(outcome)
        _report(ctx, outcome, list_waiting=list_waiting)
        if outcome.status.value == "cancelled":
            raise Cancelled("Sync cancelled at a safe point; nothing was left half done.")
    return results


def _report(ctx: Context, result: SyncResult, *, list_waiting: bool) -> None:
    if ctx.json:
        ctx.emit_json({"provider": result.provider, "status": result.status.value,
                       "direction": result.direction, "message": result.message,
                       "summary": result.summary, "counts": result.counts,
                       "errors": list(result.errors), "duration": result.duration,
                       "run_id": result.run_id})
    else:
        ctx.print(result.summary)
    for problem in result.errors:
        ctx.warn(f"{result.provider}: {problem}")
    if list_waiting:  # refused before and still waiting (--watch does not repeat them)
        for waiting in result.counts.get("waiting") or ():
            if waiting not in result.errors:
                ctx.warn(f"{result.provider}: {waiting}")


def _exit_status(results: Sequence[SyncResult]) -> int:
    if any(r.status.value == "failed" for r in results):
        return 1
    if any(r.needs_attention for r in results):
        return PROBLEMS_EXIT
    return 0


def not_sent_command(ctx: Context, args: argparse.Namespace) -> int:
    """`bookkeeper not-sent [qbo|xero]`: the Not sent list (`services.not_sent`), one line per
    entry: provider, entry, date, reason, fix, and the whole message. Exit 3 when there is any
    (as `sync` does when a run leaves them), 0 when none."""
    company = ctx.company()
    rows = list_not_sent(ctx.db, company.id, args.provider)
    summaries = summaries_by_id(ctx.db, company.id, [r.entry_id for r in rows])
    listed = []
    for row in rows:
        summary = summaries.get(row.entry_id)
        listed.append({
            "provider": row.provider, "entry_id": row.entry_id,
            "number": summary.number if summary is not None else "",
            "date": summary.date.isoformat() if summary is not None and summary.date else None,
            "reason": row.reason, "reason_text": row.reason_text,
            "fix": row.action.label, "message": row.message})
    if ctx.json:
        ctx.emit_json(listed)
    else:
        for item in listed:
            ctx.print(f"{item['provider']}\t{item['number'] or '#' + str(item['entry_id'])}\t"
                      f"{item['date'] or ''}\t{item['reason_text']}\t{item['fix']}\t"
                      f"{item['message']}")
        ctx.print(f"{len(listed)} entr{'y' if len(listed) == 1 else 'ies'} not sent.")
    return PROBLEMS_EXIT if listed else 0


def sync_command(ctx: Context, args: argparse.Namespace) -> int:
    if args.provider == "undo":
        return undo_command(ctx, args)
    company = ctx.company()
    pull = args.pull or not args.push
    push = args.push or not args.pull
    providers = _providers(ctx, company.id, args.provider)
    if args.retry_refused:
        for provider in providers:
            count = retry_refused(ctx.db, company.id, provider)
            if not ctx.json:
                ctx.print(f"{provider}: {count} refused "
                          f"entr{'y' if count == 1 else 'ies'} will be sent again.")
    if not args.watch:
        with sigterm_as_interrupt():
            return _exit_status(_run_round(ctx, company.id, providers, pull=pull, push=push))
    if args.interval <= 0:
        raise ConfigurationError("The interval must be a positive number of seconds.")
    rounds = 0
    stopping = threading.Event()

    def once() -> list[SyncResult]:
        nonlocal rounds
        rounds += 1
        try:
            return _run_round(ctx, company.id, providers, pull=pull, push=push,
                              list_waiting=False)
        except Cancelled:
            stopping.set()
            return []

    def stop() -> bool:
        return stopping.is_set() or (args.max_runs is not None and rounds >= args.max_runs)

    with contextlib.suppress(KeyboardInterrupt), sigterm_as_interrupt():
        watch(once, interval=args.interval,
              max_interval=args.max_interval or args.interval * 8, stop=stop)
    return 0


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM, what a service manager or `kill` sends to stop `sync --watch`, does what Ctrl+C
    does: the run in progress stops at its next safe point and the command ends. Without this,
    Python ends at once on SIGTERM (safe, thanks to the outbox, but the run is left "running"
    in the sync log). Only the main thread can take signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)

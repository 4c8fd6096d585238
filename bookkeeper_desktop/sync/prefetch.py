"""Read pages ahead of the database: one page in a thread (`prefetched`), or several at once
within the provider's limits (`read_in_order`), always handed over **in order**.

A first pull is a long run of independent page reads (QBO `startposition`, Xero `page`), each
followed by a database transaction that stores the page and its cursor. Done one after the other,
the pull waits for the network and the database in turn. Real services answer a 1,000-object page
in 0.2–1 s and take 10 (QBO) or 5 (Xero) requests at once per realm/tenant (API_NOTES.md
"limits"), so a pull that keeps that many pages in flight waits about pages ÷ parallel round
trips instead of pages round trips.

`read_in_order(runs, parallel=…)` reads **runs** of numbered pages (a QBO entity's query from its
start position, a Xero collection's pass from its page): up to `parallel` requests in flight (the
client's `parallel`; the realm's `RateBudget` still caps calls per minute and in flight across the
whole process), the first page of the later runs asked for while the current one is read, and
within a run pages k+1…k+n asked for before page k is known to be full — speculatively, growing
like TCP's slow start (one page in flight, one more for every full page seen, up to `parallel`),
or all at once up to the page count when it is known: from the answers (Xero's
`pagination.pageCount`) or before the first (`PageRun.known_pages`, QBO's `count(*)`). A
page that ends its run (short or empty) stops the run's reads; answers past it are dropped.

The caller's thread gets the pages strictly in order (run by run, page by page), so it applies
each page and commits its cursor in order, and the cursor only ever moves past what is stored.
Pages answered early wait, at most `parallel + AHEAD` of them (1,000 objects each) and never
more than `MOST_PAGES_HELD` in flight or waiting: no new request is sent while that many are.
An error on page k (after the client's retries) is raised when the caller reaches page k — pages
before it are handed over first, pages after it are never asked for again. Cancel
(`Progress.cancel`) is looked at while the caller waits (every `_POLL` s): no new request is
sent, the answers in flight are abandoned (their threads are daemons and store nothing),
nothing is half stored. A pull that stops or dies starts again at the first page whose cursor
was not committed.

The reads start when `read_in_order` is called, not when the first page is taken: a pull asks
for its first transaction pages and then stores the chart of accounts and the contacts while they
are answered (`sync.pull_reads`). `PageReads.close` stops the reads whether or not a page was
taken. Runs marked `small` (a count, a setting) are not counted among the pages held.

`prefetched(items)` is the simple form for reads that depend on each other (QBO CDC: the next
call starts at the newest time of this answer): the next item is read in a thread while this one
is committed; at most `depth` items wait.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bookkeeper_desktop.core.progress import Progress

T = TypeVar("T")
K = TypeVar("K")
R = TypeVar("R")

#: How long the consumer waits for the reader thread to finish its request after it stopped
#: early (an error or Cancel); past this the thread is left to end on its own (it is a daemon
#: and stores nothing).
JOIN_TIMEOUT = 30.0
_POLL = 0.1


def prefetched(items: Iterator[T], *, depth: int = 1, name: str = "sync-prefetch"
               ) -> Iterator[T]:
    """Yield what `items` yields, reading up to `depth` items ahead in a thread. An exception
    raised by `items` is raised here, at the item where it happened. Closing this generator
    (the caller stops early or fails) stops the reader at its next item."""
    waiting: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(kind: str, value: object) -> bool:
        while not stop.is_set():
            try:
                waiting.put((kind, value), timeout=_POLL)
            except queue.Full:
                continue
            return True
        return False

    def read() -> None:
        try:
            for item in items:
                if not put("item", item):
                    return
            put("end", None)
        except BaseException as exc:  # handed to the consumer, raised there
            put("error", exc)

    reader = threading.Thread(target=read, name=name, daemon=True)
    reader.start()
    try:
        while True:
            kind, value = waiting.get()
            if kind == "end":
                return
            if kind == "error":
                assert isinstance(value, BaseException)
                raise value
            yield value  # type: ignore[misc]
    finally:
        stop.set()
        reader.join(JOIN_TIMEOUT)


#: Pages that may wait, answered, beyond the `parallel` in flight (memory: 1,000 objects each).
AHEAD = 2
#: The most pages asked for and not yet handed over, whatever `parallel + ahead` allows. Each
#: is about 1,000 objects of parsed JSON (tens of thousands of dicts and lists), which the
#: garbage collector walks whenever it visits its oldest generation, stopping every thread, the
#: GUI's too: with QBO's 10 + 2 pages held (all asked at once once the counts say how many) a
#: collection took ~55 ms in the middle of a first pull (benchmarks/RESULTS.md, "GUI stall").
#: Seven still keep a pull fed: storing a page takes 0.1–0.25 s, an answer 0.5–1 s, so about
#: four in flight are enough; Xero's 5 + 2 are unchanged. A pull also holds full collections off
#: meanwhile (`sync.full_collections`).
MOST_PAGES_HELD = 7


def _no_count(_answer: object) -> int | None:
    return None


@dataclass(frozen=True)
class PageRun(Generic[K, R]):
    """A run of pages read in order: pages 0, 1, 2… until one `ends` it.

    Attributes:
        key: what the run is (an entity, a collection), handed back with each page.
        fetch: reads page `n` of the run (0 is its first page, wherever the run starts) with the
            `Progress` to look at for cancel while waiting (budget slots, retries).
        ends: whether the answer to page `n` is the run's last page (short or empty).
        page_count: how many pages the run has, when an answer says it (None: unknown).
        known_pages: how many pages the run has, known before its first answer (a QBO
            `select count(*)`): that many are asked for at once, as with `page_count`. A count
            is a hint, not a promise: objects added meanwhile make a page past it that is
            asked for when the caller reaches it, and a shorter run simply ends early.
        small: its answers are small (a count, a setting, not 1,000 objects): they are not
            counted among the pages held (`MOST_PAGES_HELD`), only among the requests in flight.
        count_to_come: its count is on its way (`PageReads.know_pages` gives it): nothing of
            the run is asked for before it, but the page the caller waits for.
    """

    key: K
    fetch: Callable[[int, Progress], R]
    ends: Callable[[int, R], bool]
    page_count: Callable[[R], int | None] = _no_count
    known_pages: int | None = None
    small: bool = False
    count_to_come: bool = False


@dataclass(frozen=True)
class PageRead(Generic[K, R]):
    """One page handed to the caller: the run's key, the page's number in the run, the answer,
    and whether it ends the run."""

    key: K
    number: int
    answer: R
    last: bool


class _WorkerProgress(Progress):
    """What the reading threads look at while they wait (a budget slot, a retry): cancelled when
    the caller's progress is, at once, or when the reader stops."""

    def __init__(self, caller: Progress | None) -> None:
        super().__init__()
        self._caller = caller

    @property
    def cancelled(self) -> bool:
        return super().cancelled or (self._caller is not None and self._caller.cancelled)

    def check_cancelled(self) -> None:
        if self._caller is not None:
            self._caller.check_cancelled()
        super().check_cancelled()


@dataclass
class _RunState:
    issued: int = 0
    in_flight: int = 0
    #: Answers that did not end the run (the slow start's evidence that more pages follow).
    full: int = 0
    #: The lowest page number known to end the run.
    end: int | None = None
    count: int | None = None
    #: Its count is awaited (`PageRun.count_to_come`): only the page waited for is asked.
    awaiting_count: bool = False


@dataclass
class _Reader(Generic[K, R]):
    runs: Sequence[PageRun[K, R]]
    parallel: int
    progress: Progress | None
    ahead: int
    name: str
    cond: threading.Condition = field(default_factory=threading.Condition)
    #: (run, page) → (True, answer) or (False, exception), answered and not yet handed over.
    answers: dict[tuple[int, int], tuple[bool, object]] = field(default_factory=dict)
    states: list[_RunState] = field(default_factory=list)
    in_flight: int = 0
    #: The next page to hand over.
    position: tuple[int, int] = (0, 0)
    #: The first page that failed: nothing at or after it is asked for any more.
    failed_at: tuple[int, int] | None = None
    stopped: bool = False
    workers: _WorkerProgress = field(init=False)

    def __post_init__(self) -> None:
        self.states = [_RunState(count=run.known_pages, awaiting_count=run.count_to_come)
                       for run in self.runs]
        self.workers = _WorkerProgress(self.progress)

    # -- asking (under `cond`) ---------------------------------------------------------------
    def _may_ask(self, index: int) -> bool:
        state = self.states[index]
        number = state.issued
        if self.failed_at is not None and (index, number) >= self.failed_at:
            return False
        if (index, number) == self.position:
            return True  # the page the caller waits for, whatever the other answers said
        if state.awaiting_count or (state.end is not None and number > state.end):
            return False
        if state.count is not None:
            return number < state.count
        return state.in_flight < max(1, min(self.parallel, state.full))

    def _fill(self) -> None:
        """Ask for pages, earliest first, while there is room: `parallel` in flight, and
        `parallel + ahead` in flight or waiting (the page the caller waits for is always let
        through once a request ends, or the waiting pages could block it for ever)."""
        if self.stopped or self.workers.cancelled:
            return  # cancelled while the caller commits a page: nothing new is asked for
        for index in range(self.position[0], len(self.runs)):
            while self._may_ask(index):
                waited_for = (index, self.states[index].issued) == self.position
                if self.in_flight >= self.parallel:
                    return
                if not waited_for and not self.runs[index].small and \
                        self._pages_held() >= min(self.parallel + self.ahead, MOST_PAGES_HELD):
                    return
                self._ask(index)

    def _pages_held(self) -> int:
        """Pages asked for and not yet handed over, `small` runs' answers left out."""
        waiting = sum(1 for index, _ in self.answers if not self.runs[index].small)
        asked = sum(state.in_flight for run, state in zip(self.runs, self.states, strict=True)
                    if not run.small)
        return asked + waiting

    def _ask(self, index: int) -> None:
        state = self.states[index]
        number = state.issued
        state.issued += 1
        state.in_flight += 1
        self.in_flight += 1
        threading.Thread(target=self._read, args=(index, number), daemon=True,
                         name=f"{self.name}-{index}-{number}").start()

    # -- reading (worker threads) ------------------------------------------------------------
    def _read(self, index: int, number: int) -> None:
        run = self.runs[index]
        outcome: tuple[bool, object] | None = None
        ends, count = False, None
        if not self.stopped and not self.workers.cancelled:
            try:
                answer = run.fetch(number, self.workers)
                ends, count = run.ends(number, answer), run.page_count(answer)
                outcome = (True, answer)
            except BaseException as exc:  # handed to the caller, raised at its page
                outcome = (False, exc)
        with self.cond:
            state = self.states[index]
            state.in_flight -= 1
            self.in_flight -= 1
            if not self.stopped and outcome is not None:
                self._store(index, number, outcome, ends, count)
                self._fill()
            self.cond.notify_all()

    def _store(self, index: int, number: int, outcome: tuple[bool, object], ends: bool,
               count: int | None) -> None:
        state = self.states[index]
        if outcome[0]:
            if ends:
                state.end = number if state.end is None else min(state.end, number)
            else:
                state.full += 1
            if count is not None:
                state.count = count
        if (state.end is not None and number > state.end) or (index, number) < self.position:
            return  # past the run's end: dropped
        self.answers[(index, number)] = outcome
        if not outcome[0] and (self.failed_at is None or (index, number) < self.failed_at):
            self.failed_at = (index, number)

    # -- handing over (the caller's thread) --------------------------------------------------
    def _next(self) -> tuple[bool, object]:
        with self.cond:
            while self.position not in self.answers:
                if self.progress is not None and self.progress.cancelled:
                    break
                self.cond.wait(_POLL)
            else:
                return self.answers.pop(self.position)
        self.workers.cancel()
        assert self.progress is not None
        self.progress.check_cancelled()
        raise AssertionError("unreachable: cancelled")

    def start(self) -> None:
        with self.cond:
            self._fill()

    def know_pages(self, key: K, pages: int) -> None:
        """The count awaited for the run `key` (`PageRun.count_to_come`): its pages are asked
        for as `known_pages` would have had them, from now on (an answer's own page count,
        if one came first, stands)."""
        with self.cond:
            for run, state in zip(self.runs, self.states, strict=True):
                if run.key == key:
                    state.awaiting_count = False
                    if state.count is None:
                        state.count = pages
            self._fill()

    def stop(self) -> None:
        """No new request; the answers waiting are dropped, the ones in flight abandoned."""
        with self.cond:
            self.stopped = True
            self.answers.clear()
        self.workers.cancel()

    def pages(self) -> Generator[PageRead[K, R], None, None]:
        try:
            while self.position[0] < len(self.runs):
                if self.progress is not None and self.progress.cancelled:
                    self.workers.cancel()
                    self.progress.check_cancelled()
                ok, value = self._next()
                if not ok:
                    assert isinstance(value, BaseException)
                    raise value
                index, number = self.position
                run = self.runs[index]
                answer: R = value  # type: ignore[assignment]
                last = run.ends(number, answer)
                with self.cond:
                    if last:
                        self.states[index].end = number
                        for key in [k for k in self.answers if k[0] == index]:
                            del self.answers[key]  # past the run's end: dropped
                        self.position = (index + 1, 0)
                    else:
                        self.position = (index, number + 1)
                    self._fill()
                yield PageRead(run.key, number, answer, last)
        finally:
            self.stop()


class PageReads(Generic[K, R]):
    """The pages of `read_in_order`, already being read: iterate to take them in order; `close`
    stops the reads (no new request is sent) whether or not a page was taken."""

    def __init__(self, reader: _Reader[K, R]) -> None:
        self._reader = reader
        self._pages = reader.pages()

    def __iter__(self) -> PageReads[K, R]:
        return self

    def __next__(self) -> PageRead[K, R]:
        return next(self._pages)

    def close(self) -> None:
        self._pages.close()
        self._reader.stop()  # a generator never started runs no `finally` on close

    def know_pages(self, key: K, pages: int) -> None:
        """How many pages the run `key`, made with `count_to_come`, has (its count is in)."""
        self._reader.know_pages(key, pages)


def read_in_order(runs: Sequence[PageRun[K, R]], *, parallel: int,
                  progress: Progress | None = None, ahead: int = AHEAD,
                  name: str = "sync-pages") -> PageReads[K, R]:
    """Every page of `runs`, run by run and page by page, read up to `parallel` at a time (see
    the module docstring); the first requests are sent before this returns. Raises a page's
    error at that page, `Cancelled` when `progress` is cancelled; `close` stops the reads (no
    new request is sent)."""
    reader = _Reader(runs, max(1, parallel), progress, ahead, name)
    reader.start()
    return PageReads(reader)

"""`sync.prefetch.read_in_order`: pages read several at a time, handed over strictly in order, never
more than `parallel` in flight nor more than `parallel + AHEAD` waiting, a short page ending its
run (later answers dropped), an error raised at its page, Cancel honoured while waiting.

Driven with real threads and sleeps standing for the network; the sync tests drive the same
reader against the sandboxes (tests/sync/test_concurrent_pull.py)."""

from __future__ import annotations

import random
import threading
import time

import pytest

from bookkeeper_desktop.core.errors import Cancelled, NetworkError
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.sync.prefetch import AHEAD, MOST_PAGES_HELD, PageRun, read_in_order


class Network:
    """Counts pages asked for, in flight at once and answered."""

    def __init__(self, delays: dict[tuple[str, int], float] | None = None,
                 default: float = 0.01) -> None:
        self.lock = threading.Lock()
        self.delays = delays or {}
        self.default = default
        self.asked: list[tuple[str, int]] = []
        self.answered: list[tuple[str, int]] = []
        self.in_flight = 0
        self.most_in_flight = 0

    def run(self, key: str, pages: int, *, size: int = 10, counted: bool = False,
            fail_at: int | None = None, known: int | None = None,
            to_come: bool = False) -> PageRun[str, list[int]]:
        """A run of `pages` full pages and then a short one (`size` rows a full page)."""

        def fetch(number: int, progress: Progress) -> list[int]:
            progress.check_cancelled()  # as the client does waiting for a budget slot
            with self.lock:
                self.asked.append((key, number))
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                time.sleep(self.delays.get((key, number), self.default))  # the request
                if number == fail_at:
                    raise NetworkError(f"{key} page {number} failed")
                return list(range(size if number < pages else size // 2 if number == pages
                                  else 0))
            finally:
                with self.lock:
                    self.in_flight -= 1
                    self.answered.append((key, number))

        return PageRun(key, fetch, ends=lambda _n, rows: len(rows) < size,
                       page_count=(lambda _rows: pages + 1) if counted else (lambda _rows: None),
                       known_pages=known, count_to_come=to_come)


def test_pages_answered_out_of_order_are_handed_over_in_order() -> None:
    rng = random.Random(7)
    delays = {(key, n): rng.uniform(0.0, 0.05) for key in "ab" for n in range(12)}
    delays[("a", 3)] = 0.3  # answers after the pages asked for beside it
    network = Network(delays)
    got = [(page.key, page.number, page.last)
           for page in read_in_order([network.run("a", 8), network.run("b", 3)], parallel=5)]
    assert got == [("a", n, n == 8) for n in range(9)] + [("b", n, n == 3) for n in range(4)]
    assert network.answered.index(("a", 3)) > network.answered.index(("a", 4))
    assert 1 < network.most_in_flight <= 5


def test_never_more_than_parallel_in_flight_nor_parallel_plus_ahead_waiting() -> None:
    network = Network(default=0.005)
    waiting_most = 0
    consumed = 0
    for _ in read_in_order([network.run("a", 30, counted=True)], parallel=4):
        with network.lock:  # answered, not yet handed over (this page is in our hands)
            waiting = len(network.answered) - consumed - 1
        waiting_most = max(waiting_most, waiting)
        consumed += 1
        time.sleep(0.03)  # the database is the slower side
    assert consumed == 31
    assert network.most_in_flight <= 4
    assert waiting_most <= 4 + AHEAD


def test_a_short_page_ends_the_run_and_speculation_is_bounded() -> None:
    network = Network(default=0.01)
    pages = list(read_in_order([network.run("a", 6), network.run("b", 0)], parallel=10))
    assert [(p.key, p.number) for p in pages] == [("a", n) for n in range(7)] + [("b", 0)]
    asked_a = sorted(n for key, n in network.asked if key == "a")
    assert asked_a[:7] == list(range(7))
    # Slow start: one page in flight, one more per full page seen; past the short page 6 at
    # most as many pages as were full can have been asked (and their answers were dropped).
    assert len(asked_a) <= 7 + 6


def test_a_known_page_count_is_asked_for_at_once_and_nothing_past_it() -> None:
    network = Network(default=0.05)
    pages = list(read_in_order([network.run("a", 5, counted=True)], parallel=10))
    assert len(pages) == 6
    assert sorted(network.asked) == [("a", n) for n in range(6)]
    assert network.most_in_flight >= 5  # after page 0 said how many, the rest went together


def test_pages_known_before_the_first_answer_are_asked_for_together() -> None:
    """A QBO `count(*)` said how many: every page goes at once, not one more per full page."""
    network = Network(default=0.1)
    pages = list(read_in_order([network.run("a", 5, known=6)], parallel=10))
    assert [(p.number, p.last) for p in pages] == [(n, n == 5) for n in range(6)]
    assert sorted(network.asked) == [("a", n) for n in range(6)]
    assert network.most_in_flight == 6  # all six in flight before the first answered


def test_never_more_pages_held_than_the_cap_whatever_parallel_allows() -> None:
    """Ten in flight plus two waiting would be twelve pages of parsed JSON in memory (and in the
    garbage collector's way): at most `MOST_PAGES_HELD` are asked for and not handed over."""
    network = Network(default=0.01)
    held_most = 0
    consumed = 0
    for _ in read_in_order([network.run("a", 30, known=31)], parallel=10):
        with network.lock:  # asked for, not yet handed over (this page is in our hands)
            held = len(network.asked) - consumed - 1
        held_most = max(held_most, held)
        consumed += 1
        time.sleep(0.02)  # storing is the slower side: answers pile up as far as allowed
    assert consumed == 31
    assert MOST_PAGES_HELD - 1 <= held_most <= MOST_PAGES_HELD  # reached, never passed
    assert network.most_in_flight <= MOST_PAGES_HELD


def test_a_run_whose_count_is_to_come_asks_only_the_page_waited_for_until_it_is_known(
        ) -> None:
    """QBO's counts come one by one: a run made `count_to_come` asks for nothing but the page
    the caller waits for, then, once `know_pages` gives its count, for every page at once."""
    network = Network({("a", 0): 1.0})  # in flight through every check below, under load too
    reads = read_in_order([network.run("a", 4, to_come=True), network.run("b", 2, to_come=True)],
                          parallel=10)
    try:
        time.sleep(0.15)  # "a" page 0 still in flight: nothing else may go meanwhile
        assert network.asked == [("a", 0)]
        reads.know_pages("a", 5)
        deadline = time.monotonic() + 2
        while len(network.asked) < 5 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert sorted(network.asked) == [("a", n) for n in range(5)], "b's count is not in"
        assert ("a", 0) not in network.answered, "asked together, before the first answer"
        reads.know_pages("b", 3)
        got = [(page.key, page.number, page.last) for page in reads]
    finally:
        reads.close()
    assert got == [("a", n, n == 4) for n in range(5)] + [("b", n, n == 2) for n in range(3)]
    assert sorted(network.asked) == sorted(got_key[:2] for got_key in got)


def test_a_count_too_low_still_reads_the_pages_added_since() -> None:
    """Objects added after the count: the pages past it are read (as the caller reaches them),
    in order, each once."""
    network = Network(default=0.01)
    pages = list(read_in_order([network.run("a", 7, known=3), network.run("b", 1)],
                               parallel=10))
    assert [(p.key, p.number) for p in pages] == [("a", n) for n in range(8)] + [
        ("b", 0), ("b", 1)]
    assert sorted(n for key, n in network.asked if key == "a") == list(range(8))


def test_a_count_too_high_ends_at_the_short_page() -> None:
    """Objects deleted after the count: the run ends at its short page; the pages asked past
    it are dropped, never handed over."""
    network = Network(default=0.01)
    pages = list(read_in_order([network.run("a", 2, known=6), network.run("b", 0)],
                               parallel=10))
    assert [(p.key, p.number, p.last) for p in pages] == [
        ("a", 0, False), ("a", 1, False), ("a", 2, True), ("b", 0, True)]
    # The count was believed: every page it announced was asked for at once.
    assert {("a", n) for n in range(6)} <= set(network.asked)


def test_an_error_is_raised_at_its_page_after_the_pages_before_it() -> None:
    network = Network(default=0.01)
    got: list[int] = []

    def read_all() -> None:
        for page in read_in_order([network.run("a", 20, fail_at=4)], parallel=5):
            got.append(page.number)

    with pytest.raises(NetworkError, match="page 4 failed"):
        read_all()
    assert got == [0, 1, 2, 3]
    time.sleep(0.1)
    asked = len(network.asked)
    time.sleep(0.2)
    assert len(network.asked) == asked  # nothing more is asked once the reader stopped


def test_cancel_while_pages_are_in_flight_returns_at_once_and_asks_for_nothing_more() -> None:
    network = Network(default=2.0)
    network.delays[("a", 0)] = 0.0
    progress = Progress()
    got: list[int] = []
    started = time.monotonic()
    cancelled_at: list[float] = []

    def read_all() -> None:
        for page in read_in_order([network.run("a", 20, counted=True)], parallel=5,
                                  progress=progress):
            got.append(page.number)
            cancelled_at.append(time.monotonic())
            progress.cancel()

    with pytest.raises(Cancelled):
        read_all()
    assert got == [0]
    assert time.monotonic() - cancelled_at[0] < 1.0  # not waiting for the 2-second answers
    assert time.monotonic() - started < 1.5
    asked = len(network.asked)
    time.sleep(2.3)  # the abandoned requests end: none of them starts another
    assert len(network.asked) == asked


def test_cancel_while_the_caller_commits_a_page_asks_for_nothing_more() -> None:
    network = Network(default=0.05)
    progress = Progress()
    asked_at_cancel: list[int] = []

    def read_all() -> None:
        for page in read_in_order([network.run("a", 40)], parallel=4, progress=progress):
            if page.number == 5:
                progress.cancel()
                with network.lock:
                    asked_at_cancel.append(len(network.asked))
                time.sleep(0.3)  # the commit goes on while the pages in flight are answered
            progress.check_cancelled()  # the safe point after the commit

    with pytest.raises(Cancelled):
        read_all()
    time.sleep(0.2)
    assert len(network.asked) == asked_at_cancel[0]


def test_the_reads_start_before_the_first_page_is_taken_and_close_stops_them() -> None:
    """A pull starts its transaction pages and stores the chart meanwhile: the pages are asked
    for when `read_in_order` returns; closed before any is taken, nothing more is asked."""
    network = Network(default=0.1)
    pages = read_in_order([network.run("a", 30, known=31)], parallel=4)
    time.sleep(0.05)  # the caller is busy elsewhere
    with network.lock:
        assert len(network.asked) == 4  # in flight before the first page was taken
    pages.close()
    time.sleep(0.25)  # the four are answered by now: none asked for another
    assert len(network.asked) == 4
    with pytest.raises(StopIteration):
        next(pages)


def test_small_answers_are_not_counted_among_the_pages_held() -> None:
    """QBO's counts before the pages they announce: five counts in flight leave the pages the
    slots that `parallel` allows, not only what `MOST_PAGES_HELD` leaves beside five pages."""
    network = Network(default=0.2)
    counts = [PageRun(f"count{n}", fetch=network.run(f"count{n}", 0).fetch,
                      ends=lambda _n, _rows: True, small=True) for n in range(5)]
    pages = read_in_order([*counts, network.run("a", 20, known=21)], parallel=10)
    time.sleep(0.1)  # nothing answered yet
    with network.lock:
        assert sorted(key for key, _ in network.asked).count("a") == 5  # 10 in flight
    assert [page.key for page in pages][:5] == [f"count{n}" for n in range(5)]
    assert network.most_in_flight == 10

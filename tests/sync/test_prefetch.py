"""`sync.prefetch.prefetched`: the next page is read while this one is written, in order, with
the reader's errors raised where they happened and the reader stopped when the consumer stops."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from bookkeeper_desktop.core.errors import NetworkError
from bookkeeper_desktop.sync.prefetch import prefetched


def test_yields_every_item_in_order() -> None:
    assert list(prefetched(iter(range(50)))) == list(range(50))


def test_an_empty_source_ends_at_once() -> None:
    assert list(prefetched(iter([]))) == []


def test_reads_the_next_item_while_the_consumer_works() -> None:
    started: list[float] = []

    def pages() -> Iterator[int]:
        for n in range(3):
            started.append(time.monotonic())
            time.sleep(0.05)  # the request
            yield n

    consumed_at: list[float] = []
    for _ in prefetched(pages()):
        consumed_at.append(time.monotonic())
        time.sleep(0.2)  # the database write
    # Page 2's request began before page 1's write ended: it did not wait for the consumer.
    assert started[1] < consumed_at[0] + 0.2
    assert started[2] < consumed_at[1] + 0.2


def test_an_error_is_raised_after_the_items_before_it() -> None:
    def pages() -> Iterator[int]:
        yield 1
        yield 2
        raise NetworkError("The connection to QuickBooks Online dropped.")

    seen: list[int] = []
    reader = prefetched(pages())
    seen.append(next(reader))
    seen.append(next(reader))
    with pytest.raises(NetworkError, match="dropped"):
        next(reader)
    assert seen == [1, 2]


def test_stopping_early_stops_the_reader() -> None:
    produced: list[int] = []
    finished = threading.Event()

    def pages() -> Iterator[int]:
        try:
            for n in range(1000):
                produced.append(n)
                yield n
        finally:
            finished.set()

    source = pages()
    reader = prefetched(source, depth=1)
    assert next(reader) == 0
    reader.close()  # what a `for` loop does when its body raises or breaks
    # The reader thread has ended: nothing more is read, however long we wait.
    count = len(produced)
    time.sleep(0.3)
    assert len(produced) == count
    assert count <= 3  # the one consumed, one waiting in the queue, one being read
    source.close()
    assert finished.is_set()


def test_the_consumer_failing_stops_the_reader() -> None:
    produced: list[int] = []

    def pages() -> Iterator[int]:
        for n in range(1000):
            produced.append(n)
            yield n

    def write_pages() -> None:
        for _ in prefetched(pages()):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_pages()
    count = len(produced)
    time.sleep(0.3)
    assert len(produced) == count <= 3
    assert not [t for t in threading.enumerate() if t.name == "sync-prefetch"]

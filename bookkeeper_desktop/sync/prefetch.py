"""Fetch the next page while the current one is written.

A first pull is a long run of independent page reads (QBO `startposition`, Xero `page`), each
followed by a database transaction that stores the page and its cursor. Done one after the other,
the pull waits for the network and the database in turn; with the next read running in a thread
while this page is committed, it waits for whichever is slower. That is what lets a pull approach
the providers' rate-limit bound (benchmarks/RESULTS.md, "Sync").

Nothing about the cursor changes: pages are still applied, and their cursors committed, in order
by the caller's thread. At most `depth` pages wait in memory (1,000 objects each).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

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

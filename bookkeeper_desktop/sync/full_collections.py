"""Holding off the garbage collector's full collections while a pull reads pages ahead.

This changes a **process-wide** setting: the oldest generation's threshold (`gc.set_threshold`)
is set out of reach while anyone holds it, and given back as it was when the last holder leaves
(holders nest and may be in several threads, e.g. two companies syncing at once). The
young generations are collected as always. `sync.pull_reads` holds it around a pull; nothing
else should need to.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _FullCollections:
    """Who holds full collections off (`full_collections_deferred`), and the threshold to give
    back when the last one leaves."""

    #: The oldest generation's threshold meanwhile: never reached.
    NEVER = 1 << 30

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holders = 0
        self.threshold = gc.get_threshold()

    def hold(self) -> None:
        with self.lock:
            if self.holders == 0:
                self.threshold = gc.get_threshold()
                young, middle, _ = self.threshold
                gc.set_threshold(young, middle, self.NEVER)
            self.holders += 1

    def release(self) -> None:
        with self.lock:
            self.holders -= 1
            if self.holders == 0:
                gc.set_threshold(*self.threshold)


_full_collections = _FullCollections()


@contextmanager
def full_collections_deferred() -> Iterator[None]:
    """No automatic full garbage collection while this runs (nested and from several threads:
    until the last leaves); the young generations are collected as always.

    Even at `sync.prefetch.MOST_PAGES_HELD` a full collection walks the pages held, tens of
    thousands of containers, and every thread waits meanwhile, the GUI's too: four or five
    times 23–25 ms in a first QBO pull of 20,000 on this machine, with nothing to free (parsed
    JSON has no cycles; refcounting frees each page once it is stored). Deferred, the next full
    collection comes after the pull, when the pages are gone (one of 3–4 ms). What waits
    meanwhile is only cyclic garbage that outlived two young collections: the process's peak
    memory was 2–9 MB higher (benchmarks/RESULTS.md, GUI stall, "Final quiet re-run by the
    lead, everything merged")."""
    _full_collections.hold()
    try:
        yield
    finally:
        _full_collections.release()

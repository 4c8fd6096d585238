"""`sync.full_collections.full_collections_deferred`: while a pull reads pages ahead, the garbage
collector's full collections (which walk every page held and stop every thread, the GUI's too)
wait until it ends; the young generations are collected as always, and the collector's settings
come back as they were, whoever leaves last and however."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from bookkeeper_desktop.sync.full_collections import full_collections_deferred
from tests.sync.conftest import Books
from tests.sync.helpers import sync

#: Thresholds that make full collections frequent, so that their absence means something.
EAGER = (50, 2, 2)


#: A threshold no run of ordinary code reaches: full collections are deferred.
DEFERRED = 1_000_000


@pytest.fixture
def eager_collector() -> Iterator[list[tuple[int, bool]]]:
    """Each collection while the test runs (full collections made frequent): its generation, and
    whether full collections were deferred then."""
    collected: list[tuple[int, bool]] = []

    def record(phase: str, info: dict[str, Any]) -> None:
        if phase == "stop":
            collected.append((int(info["generation"]), gc.get_threshold()[2] > DEFERRED))

    before = gc.get_threshold()
    gc.set_threshold(*EAGER)
    gc.callbacks.append(record)
    try:
        yield collected
    finally:
        gc.callbacks.remove(record)
        gc.set_threshold(*before)


def _make_garbage_cycles(count: int) -> list[list[Any]]:
    """Cycles only the collector frees, and (returned, to keep) as many containers as half of
    what the collector follows now: a full collection also waits until the objects that reached
    the oldest generation since the last one are a quarter of it, as a pull's pages held do."""
    for _ in range(count):
        node: list[Any] = []
        node.append(node)
    return [[] for _ in range(len(gc.get_objects()) // 2)]


def _generations(collected: list[tuple[int, bool]], *, deferred: bool) -> set[int]:
    return {generation for generation, during in collected if during is deferred}


def test_no_full_collection_while_deferred_and_young_ones_go_on(
        eager_collector: list[tuple[int, bool]]) -> None:
    kept = _make_garbage_cycles(20_000)
    # The control: without the guard, full collections happen.
    assert 2 in _generations(eager_collector, deferred=False)
    eager_collector.clear()
    with full_collections_deferred():
        assert gc.get_threshold()[:2] == EAGER[:2]
        kept += _make_garbage_cycles(20_000)
    assert _generations(eager_collector, deferred=True) == {0, 1}
    assert gc.get_threshold() == EAGER
    eager_collector.clear()
    kept += _make_garbage_cycles(20_000)
    assert 2 in _generations(eager_collector, deferred=False)  # back to normal once it ends
    assert kept


def test_the_settings_come_back_when_the_last_holder_leaves_even_on_an_error() -> None:
    before = gc.get_threshold()
    in_thread = threading.Event()
    leave = threading.Event()
    failures: list[BaseException] = []

    def other_sync() -> None:
        try:
            with full_collections_deferred():
                in_thread.set()
                leave.wait(5)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    def a_pull_that_fails() -> None:
        with full_collections_deferred():
            worker.start()
            assert in_thread.wait(5)
            raise RuntimeError("page refused")

    worker = threading.Thread(target=other_sync)
    with pytest.raises(RuntimeError, match="page refused"):
        a_pull_that_fails()
    # The other holder is still inside: full collections still wait.
    assert gc.get_threshold()[2] != before[2]
    leave.set()
    worker.join(5)
    assert not failures
    assert gc.get_threshold() == before


@pytest.mark.parametrize("provider", ["qbo", "xero"])
def test_a_first_pull_makes_no_full_collection(
        provider: str, request: pytest.FixtureRequest,
        eager_collector: list[tuple[int, bool]]) -> None:
    books: Books = request.getfixturevalue(provider)
    result = sync(books, push=False)
    assert result.ok, result.message
    assert result.counts["pulled"] > 0
    # The pull's own collections (while deferred): young ones only.
    assert _generations(eager_collector, deferred=True) == {0, 1}
    assert gc.get_threshold() == EAGER

"""`gui.ledger.id_diff`: the steps that turn the entry table's old ids into the new ones."""

from __future__ import annotations

import random
from array import array

from bookkeeper_desktop.gui.ledger.id_diff import (
    MAX_STEPS,
    Insert,
    Move,
    Remove,
    apply_steps,
    id_steps,
)


def test_equal_lists_need_no_step() -> None:
    assert id_steps(array("q", [3, 2, 1]), array("q", [3, 2, 1])) == []
    assert id_steps([], []) == []


def test_removals_go_bottom_up_and_insertions_top_down_as_ranges() -> None:
    old = [10, 9, 8, 7, 6, 5, 4]
    new = [12, 11, 10, 7, 6, 13, 4]
    steps = id_steps(old, new)
    assert steps is not None
    assert steps[:2] == [Remove(5, 1), Remove(1, 2)]
    assert [(s.first, s.ids.tolist()) for s in steps[2:] if isinstance(s, Insert)] == [
        (0, [12, 11]), (5, [13])]
    assert apply_steps(old, steps) == new


def test_an_entry_that_changed_place_moves_alone() -> None:
    old = list(range(100, 0, -1))
    new = [old[40], *old[:40], *old[41:]]
    assert id_steps(old, new) == [Move(40, 0)]
    new = [*old[:10], *old[11:90], old[10], *old[90:]]
    assert id_steps(old, new) == [Move(10, 89)]


def test_random_changes_are_replayed_exactly() -> None:
    chance = random.Random(6)
    for _ in range(2000):
        old = chance.sample(range(80), chance.randint(0, 40))
        new = [entry_id for entry_id in old if chance.random() > 0.2]
        for extra in range(chance.randint(0, 6)):
            new.insert(chance.randint(0, len(new)), 100 + extra)
        for _move in range(chance.randint(0, 2)):
            if new:
                new.insert(chance.randint(0, len(new) - 1), new.pop(chance.randrange(len(new))))
        steps = id_steps(old, new, limit=10_000)
        assert steps is not None
        assert apply_steps(old, steps) == new, (old, new, steps)


def test_too_many_steps_is_none_so_that_the_table_resets() -> None:
    old = list(range(1000))
    every_other = old[::2]  # 500 separate removals
    assert id_steps(old, every_other) is None
    assert id_steps(old, every_other, limit=500) is not None
    shuffled = old[:]
    random.Random(1).shuffle(shuffled)
    assert id_steps(old, shuffled) is None
    few = old[:]
    for index in range(MAX_STEPS // 2):
        few[index * 10] = 5000 + index  # replaced: one removal and one insertion each
    steps = id_steps(old, few)
    assert steps is not None
    assert len(steps) == MAX_STEPS

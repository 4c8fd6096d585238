"""The steps that turn one list of entry ids into another, so that the entry table can change in
place (rows removed, moved and inserted as ranges) instead of resetting.

Pure Python, no Qt: it runs in the database lane, next to the query that read the new ids, and the
GUI thread only replays the steps (`EntryTableModel`). Each step is stated in the coordinates of
the list as it is when the step is applied, which is what `beginRemoveRows`, `beginMoveRows` and
`beginInsertRows` want:

- `Remove(first, count)`: rows `first … first + count - 1` go, bottom-up so earlier rows keep
  their numbers;
- `Move(row, to)`: one row leaves `row` and ends up at `to` (an entry whose sort key changed, e.g. a
  pulled update with a new date while sorted by date; moving it keeps it selected);
- `Insert(first, ids)`: the new ids go in at `first`, top-down.

Ids are unique in both lists (they are primary keys). Entries kept in the same relative order are
never touched: that is what keeps the view's selection, current row and scroll position.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

#: More steps than this and one reset is cheaper than replaying them (each step costs the GUI
#: thread a begin/end signal pair and a move of the id array's tail; see benchmarks/RESULTS.md).
MAX_STEPS = 64


@dataclass(frozen=True)
class Remove:
    first: int
    count: int


@dataclass(frozen=True)
class Move:
    row: int
    to: int


@dataclass(frozen=True)
class Insert:
    first: int
    ids: array[int]


Step = Remove | Move | Insert


def id_steps(old: Sequence[int], new: Sequence[int], *,
             limit: int = MAX_STEPS) -> list[Step] | None:
    """The steps from `old` to `new` (empty when they are equal), or None when more than `limit`
    steps would be needed (the caller resets instead)."""
    if len(old) == len(new) and old == new:
        return []
    new_set = set(new)
    old_set = set(old)
    steps: list[Step] = []
    # Removals, bottom-up, as runs of consecutive rows.
    row = len(old) - 1
    while row >= 0:
        if old[row] in new_set:
            row -= 1
            continue
        last = row
        while row >= 0 and old[row] not in new_set:
            row -= 1
        steps.append(Remove(row + 1, last - row))
        if len(steps) > limit:
            return None
    kept = [entry_id for entry_id in old if entry_id in new_set]
    target = [entry_id for entry_id in new if entry_id in old_set]
    if kept != target:
        moves = _moves(kept, target, limit - len(steps))
        if moves is None:
            return None
        steps.extend(moves)
    # Insertions, top-down: everything before each run is already in its final place.
    row = 0
    while row < len(new):
        if new[row] in old_set:
            row += 1
            continue
        first = row
        while row < len(new) and new[row] not in old_set:
            row += 1
        steps.append(Insert(first, array("q", new[first:row])))
        if len(steps) > limit:
            return None
    return steps


def _moves(kept: list[int], target: list[int], limit: int) -> list[Move] | None:
    """Single-row moves that reorder `kept` into `target` (the same ids): the longest run of ids
    already in order stays; every other id moves to just after the id that precedes it in
    `target`."""
    position = {entry_id: index for index, entry_id in enumerate(target)}
    staying = _longest_increasing([position[entry_id] for entry_id in kept])
    moving = len(kept) - len(staying)
    if moving > limit:
        return None
    stays = {target[index] for index in staying}
    current = list(kept)
    moves: list[Move] = []
    for index, entry_id in enumerate(target):
        if entry_id in stays:
            continue
        source = current.index(entry_id)
        del current[source]
        to = 0 if index == 0 else current.index(target[index - 1]) + 1
        current.insert(to, entry_id)
        if to != source:
            moves.append(Move(source, to))
    return moves


def _longest_increasing(values: list[int]) -> list[int]:
    """The values of one longest strictly increasing subsequence (patience sorting)."""
    tails: list[int] = []  # the smallest tail value of an increasing run of each length
    tail_at: list[int] = []  # index in `values` of that tail
    before: list[int] = [-1] * len(values)
    for index, value in enumerate(values):
        length = bisect_left(tails, value)
        if length == len(tails):
            tails.append(value)
            tail_at.append(index)
        else:
            tails[length] = value
            tail_at[length] = index
        before[index] = tail_at[length - 1] if length else -1
    run: list[int] = []
    index = tail_at[-1] if tail_at else -1
    while index >= 0:
        run.append(values[index])
        index = before[index]
    run.reverse()
    return run


def apply_steps(ids: list[int], steps: Sequence[Step]) -> list[int]:
    """`ids` after `steps` (what the table model does, without Qt; for tests and checks)."""
    result = list(ids)
    for step in steps:
        if isinstance(step, Remove):
            del result[step.first: step.first + step.count]
        elif isinstance(step, Move):
            result.insert(step.to, result.pop(step.row))
        else:
            result[step.first: step.first] = step.ids.tolist()
    return result

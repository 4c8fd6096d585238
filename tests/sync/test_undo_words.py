"""The one line an undo leaves on the card, the status bar and the sync log: what was taken back
(deleted, voided) and what was sent back as it was (an update reverted) counted apart."""

from __future__ import annotations

import pytest

from bookkeeper_desktop.sync.undo_plan import UndoResult


@pytest.mark.parametrize(("undone", "reverted", "failed", "line"), [
    (12, 0, 0, "Undone: 12 entries taken back from Xero"),
    (1, 0, 0, "Undone: 1 entry taken back from Xero"),
    (4, 2, 0, "Undone: 2 entries taken back from Xero and 2 entries sent back as they were "
              "before"),
    (1, 1, 0, "Undone: 1 entry in Xero sent back as it was before"),
    (3, 1, 2, "Undone: 2 entries taken back from Xero and 1 entry sent back as it was before; "
              "2 could not be, see the sync log"),
    (0, 0, 1, "Undone: 0 entries taken back from Xero; 1 could not be, see the sync log"),
])
def test_taken_back_and_sent_back_are_counted_apart(undone: int, reverted: int, failed: int,
                                                     line: str) -> None:
    result = UndoResult(7, "xero", undone=undone, reverted=reverted,
                        failed=[f"JE-{n}: refused" for n in range(failed)])
    assert result.summary == line

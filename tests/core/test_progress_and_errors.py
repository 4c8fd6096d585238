import threading

from bookkeeper_desktop.core.changes import NOTHING, Changes
from bookkeeper_desktop.core.errors import (
    BookkeeperError,
    Cancelled,
    FileFormatError,
    LineProblem,
    ValidationError,
)
from bookkeeper_desktop.core.progress import Progress, ProgressSnapshot


def test_progress_reports_and_cancels_across_threads() -> None:
    seen: list[ProgressSnapshot] = []
    progress = Progress(on_report=seen.append)
    started = threading.Event()
    outcome: list[str] = []

    def work() -> None:
        progress.phase("Importing", total=3)
        started.set()
        try:
            for i in range(1, 10_000_000):
                progress.check_cancelled()
                if i <= 3:
                    progress.report(i, 3)
        except Cancelled:
            outcome.append("cancelled")

    worker = threading.Thread(target=work)
    worker.start()
    assert started.wait(5)
    progress.cancel()
    worker.join(5)
    assert outcome == ["cancelled"]
    assert progress.cancelled
    assert seen[0] == ProgressSnapshot("Importing", 0, 3)
    assert progress.snapshot().phase == "Importing"
    assert progress.snapshot().fraction == 1.0


def test_error_messages_list_problems() -> None:
    error = FileFormatError("Cannot read the chart.", [LineProblem(4, "unknown type 'X'"),
                                                      LineProblem(None, "no header")])
    assert str(error) == "Cannot read the chart.\n- line 4: unknown type 'X'\n- no header"
    assert isinstance(error, BookkeeperError)
    v = ValidationError("Bad entry.", ["a", "b"], hint="Fix it.")
    assert str(v) == "Bad entry. Fix it.\n- a\n- b"
    assert Cancelled("x").exit_code == 130


def test_changes_combine() -> None:
    assert not NOTHING.any
    both = Changes(accounts=True) | Changes(entries=True)
    assert both.accounts
    assert both.entries
    assert not both.connections

"""`bookkeeper sync` on a terminal shows the run's progress on one line of stderr, rewritten in
place, in the card's words; it stays quiet when stderr is not a terminal or with --json. The
terminal is a real pseudo-terminal (`os.openpty`); the sandbox is slowed (latency on every
request) so that the push lasts long enough to be seen."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest

from bookkeeper_desktop.cli.main import main
from tests.sync.conftest import Books
from tests.sync.helpers import make_entries
from tests.sync.test_cli_sync import cli_books, run  # noqa: F401 - the fixture is used by name


def drain(master: int) -> str:
    """Everything written to the terminal whose other side has closed."""
    seen: list[bytes] = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen.append(chunk)
    os.close(master)
    return b"".join(seen).decode("utf-8")


def run_on_a_terminal(url: str, *argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process with stderr on a pseudo-terminal; (status, stdout, terminal)."""
    master, slave = os.openpty()
    seen: list[bytes] = []

    def read() -> None:  # drained as it is written, as a terminal would
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the slave side closed
                return
            if not chunk:
                return
            seen.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    out = io.StringIO()
    with os.fdopen(slave, "w", encoding="utf-8") as terminal:
        code = main(["--db", url, *argv], out=out, err=terminal)
    reader.join(5)
    os.close(master)
    return code, out.getvalue(), b"".join(seen).decode("utf-8")


@pytest.fixture
def slow_push(cli_books: tuple[Books, str], monkeypatch: pytest.MonkeyPatch  # noqa: F811
              ) -> tuple[Books, str]:
    books, url = cli_books
    code, _out, err = run(url, "sync", "qbo", "--pull")
    assert code == 0, err
    make_entries(books, 150)  # 5 batches
    books.sandbox.inject_latency(0.5)
    monkeypatch.setenv("COLUMNS", "200")
    return books, url


def test_a_terminal_shows_the_progress_line_then_the_summary(slow_push: tuple[Books, str]
                                                             ) -> None:
    _books, url = slow_push
    code, out, terminal = run_on_a_terminal(url, "sync", "qbo", "--push")
    assert code == 0, terminal
    assert out.startswith("QuickBooks Online sync succeeded;")
    assert out.count("\n") == 1
    drawn = [part.removesuffix("\x1b[K") for part in terminal.split("\r") if part]
    sending = "Sending entries to QuickBooks Online: "
    assert any(part.startswith(sending) and part.endswith(" of 150") for part in drawn), drawn
    assert f"{sending}150 of 150" in drawn or f"{sending}120 of 150" in drawn
    assert terminal.endswith("\r\x1b[K"), "the line is cleared before the summary"


def test_quiet_when_not_a_terminal_or_with_json(slow_push: tuple[Books, str]) -> None:
    books, url = slow_push
    code, out, err = run(url, "sync", "qbo", "--push")
    assert code == 0
    assert "\r" not in err
    assert "Pushing" not in err
    make_entries(books, 40, start=1000)
    code, out, terminal = run_on_a_terminal(url, "sync", "qbo", "--push", "--json")
    assert code == 0
    assert terminal == ""
    assert '"status": "succeeded"' in out


def test_terminal_width_is_respected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bookkeeper_desktop.cli.sync_commands import TerminalLine

    master, slave = os.openpty()
    monkeypatch.setenv("COLUMNS", "30")
    with os.fdopen(slave, "w", encoding="utf-8") as terminal:
        line = TerminalLine(terminal)
        line.show("Reading transactions from QuickBooks Online: 4,000 of about 20,000")
        line.show("Reading transactions from QuickBooks Online: 4,000 of about 20,000")
        line.clear()
    drawn = drain(master)
    (text, cleared) = [p for p in drawn.split("\r") if p]
    # Drawn once, 29 wide: the last column stays free so that the cursor never wraps.
    assert text == "Reading transactions from Qu…\x1b[K"
    assert cleared == "\x1b[K"

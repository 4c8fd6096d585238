"""Start-up: command-line flags, `--smoke-test` as packaging runs it, books that cannot open."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bookkeeper_desktop.app import parse_args

REPO = Path(__file__).resolve().parents[2]


def run_app(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "BOOKKEEPER_DATA_DIR": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env.pop("BOOKKEEPER_DB_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "bookkeeper_desktop", *args], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=120, check=False)


def test_flags() -> None:
    args, qt_args = parse_args(["--db", "sqlite:///x.sqlite", "--company", "Acme", "--demo",
                                "--smoke-test", "-platform", "offscreen"])
    assert args.db == "sqlite:///x.sqlite"
    assert args.company == "Acme"
    assert args.demo
    assert args.smoke_test
    assert qt_args == ["-platform", "offscreen"], "Qt's own flags pass through"
    defaults, _ = parse_args([])
    assert (defaults.db, defaults.company, defaults.demo, defaults.smoke_test) == (
        None, None, False, False)


def test_smoke_test_builds_every_pane_and_exits_0(tmp_path: Path) -> None:
    result = run_app(tmp_path, "--smoke-test")
    assert result.returncode == 0, result.stderr
    assert "smoke test OK: ledger, export, integrations built" in result.stdout
    assert "placeholder" not in result.stderr
    assert not (tmp_path / "data" / "books.sqlite").exists(), \
        "the smoke test never touches the user's books"


def test_smoke_test_on_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    bogus = tmp_path / "books.sqlite"
    bogus.write_text("these are not the books you are looking for\n" * 100)
    result = run_app(tmp_path, "--smoke-test", "--db", f"sqlite:///{bogus}")
    assert result.returncode == 1
    assert "cannot be opened" in result.stderr.lower() or "not a database" in \
        result.stderr.lower(), result.stderr
    assert bogus.read_text().startswith("these are not"), "never overwritten"


def test_version(tmp_path: Path) -> None:
    result = run_app(tmp_path, "--version")
    assert result.returncode == 0
    assert "Bookkeeper Desktop" in result.stdout

"""The `bookkeeper` command line: every command, its --json, exit codes and one-line errors.
Most run `main([...])` in-process; the last ones run the real console script."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from bookkeeper_desktop import __version__
from bookkeeper_desktop.cli.main import COMMAND_MODULES, build_parser

from .conftest import Cli

REPO = Path(__file__).resolve().parents[2]


def _ids(cli: Cli, status: str) -> list[int]:
    return [e["id"] for e in cli("entries", "list", "--status", status, "--json").json()]


def test_version(cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("--version", db=False).code == 0
    assert capsys.readouterr().out.strip() == f"bookkeeper {__version__}"


def test_usage_errors_exit_2(cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("entries", "lisst").code == 2
    assert "invalid choice: 'lisst'" in capsys.readouterr().err
    assert cli("entries", "approve", "seven").code == 2
    assert "not an entry id" in capsys.readouterr().err
    assert cli("entries", "list", "--status", "done").code == 2
    assert "not a status" in capsys.readouterr().err
    assert cli("entries", "list", "--from", "31/12/2026").code == 2
    assert cli(db=False).code == 2


def test_companies_create_list_rename_switch(cli: Cli) -> None:
    created = cli("companies", "create", "Acme Ltd")
    assert created.code == 0
    assert "Created company 'Acme Ltd'" in created.out
    assert cli("companies", "create", "Second Co", "--currency", "eur").code == 0
    listing = cli("companies", "list", "--json").json()
    assert [(c["name"], c["currency"], c["current"]) for c in listing] == [
        ("Acme Ltd", "USD", False), ("Second Co", "EUR", True)]  # the new one is current
    assert cli("companies", "switch", "acme ltd").code == 0
    assert [c["current"] for c in cli("companies", "list", "--json").json()] == [True, False]
    table = cli("companies", "list").out.splitlines()
    assert table[2].startswith("*")
    assert "Acme Ltd" in table[2]
    renamed = cli("companies", "rename", "Acme Ltd", "Acme Limited")
    assert renamed.code == 0
    assert "Renamed 'Acme Ltd' to 'Acme Limited'" in renamed.out
    assert cli("status", "--json").json()["company"]["name"] == "Acme Limited"


def test_duplicate_company_is_a_one_line_error(cli: Cli) -> None:
    cli("companies", "create", "Acme")
    result = cli("companies", "create", "ACME")
    assert result.code == 1
    assert result.err.count("\n") == 1
    assert result.err.startswith("bookkeeper: error: There is already a company called 'ACME'.")


def test_status_without_companies(cli: Cli) -> None:
    result = cli("status")
    assert result.code == 0
    assert "none selected (0 in this database)" in result.out
    data = cli("status", "--json").json()
    assert data["company"] is None
    assert data["schema"]


def test_entry_commands_need_a_company(cli: Cli) -> None:
    result = cli("entries", "list")
    assert result.code == 1
    assert "There are no companies yet." in result.err
    assert "companies create" in result.err


def test_sample_company_status_and_entries_list(cli: Cli) -> None:
    assert cli("companies", "create", "--sample", "Demo", "--entries", "120").code == 0
    status = cli("status", "--json").json()["company"]
    assert sum(status["entries"].values()) == 120
    assert status["accounts"] >= 55
    text = cli("status").out
    assert "Company:   Demo" in text
    listing = cli("entries", "list", "--json")
    entries = listing.json()
    assert len(entries) == 120
    assert all(sum(Decimal(x["debit"]) - Decimal(x["credit"]) for x in e["lines"]) == 0
               for e in entries)
    drafts = cli("entries", "list", "--status", "draft", "--json").json()
    assert drafts
    assert {e["status"] for e in drafts} == {"draft"}
    first, last = entries[0]["date"], entries[-1]["date"]
    middle = sorted(e["date"] for e in entries)[60]
    in_range = cli("entries", "list", "--from", first, "--to", middle, "--json").json()
    assert in_range
    assert all(first <= e["date"] <= middle for e in in_range)
    assert len(in_range) < len(entries) or first == last
    several = cli("entries", "list", "--status", "draft,approved", "--status", "void", "--json")
    assert {e["status"] for e in several.json()} == {"draft", "approved", "void"}
    table = cli("entries", "list", "--limit", "3").out.splitlines()
    assert table[0].split() == ["ID", "DATE", "NUMBER", "STATUS", "AMOUNT", "LINES", "MEMO"]
    assert len(table) == 5


def test_empty_date_range_is_refused(cli: Cli) -> None:
    cli("companies", "create", "A")
    result = cli("entries", "list", "--from", "2026-02-01", "--to", "2026-01-01")
    assert result.code == 1
    assert "The date range is empty. --from 2026-02-01 is after --to 2026-01-01." in result.err


def test_approve_post_void_with_refusals_reported_per_entry(cli: Cli) -> None:
    cli("companies", "create", "--sample", "Demo", "--entries", "80")
    drafts = _ids(cli, "draft")
    posted = _ids(cli, "posted")
    assert drafts
    assert posted

    approved = cli("entries", "approve", str(drafts[0]), str(posted[0]))
    assert approved.code == 1  # one refused
    assert f"Approved 1 entry: #{drafts[0]}" in approved.out
    assert approved.err.splitlines() == [
        f"bookkeeper: error: entry #{posted[0]} not approved: "
        + approved.err.split(": ", 3)[-1].rstrip("\n")]
    assert "posted and cannot be made approved" in approved.err

    done = cli("entries", "post", str(drafts[0]), "--json")
    assert done.code == 0
    assert done.json() == {"done": [drafts[0]], "refused": []}
    assert cli("entries", "void", str(drafts[0]), "--reason", "typo").code == 0
    assert drafts[0] in _ids(cli, "void")
    again = cli("entries", "void", str(drafts[0]), "999999")
    assert again.code == 1
    assert len(again.err.splitlines()) == 2
    assert "There is no entry #999999." in again.err


def test_company_option_after_the_command_and_unknown_company(cli: Cli) -> None:
    cli("companies", "create", "--sample", "One", "--entries", "5")
    cli("companies", "create", "Two")
    assert cli("entries", "list", "--json").json() == []  # Two is current and empty
    assert len(cli("entries", "list", "--company", "One", "--json").json()) == 5
    assert len(cli("--company", "one", "entries", "list", "--json").json()) == 5
    missing = cli("entries", "list", "--company", "Three")
    assert missing.code == 1
    assert missing.err.strip() == ("bookkeeper: error: There is no company 'Three'. "
                                   "List the companies with `bookkeeper companies list`.")


def test_a_corrupt_database_is_a_clear_error_and_left_alone(cli: Cli, db_path: Path) -> None:
    db_path.write_bytes(b"not a database at all" * 100)
    result = cli("companies", "list")
    assert result.code == 1
    assert "is not an SQLite database" in result.err
    assert result.err.count("\n") == 1
    assert db_path.read_bytes() == b"not a database at all" * 100


def test_a_locked_database_is_a_clear_error(cli: Cli, db_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from bookkeeper_desktop.storage import engine

    cli("companies", "create", "Busy")
    monkeypatch.setattr(engine, "DEFAULT_BUSY_TIMEOUT_MS", 100)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = cli("companies", "create", "Blocked")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.code == 1
    assert "in use by another program" in result.err
    assert [c["name"] for c in cli("companies", "list", "--json").json()] == ["Busy"]


def test_every_command_module_registers() -> None:
    parser = build_parser()
    help_text = parser.format_help()
    for command in ("companies", "status", "entries"):
        assert command in help_text
    assert len(COMMAND_MODULES) == len(set(COMMAND_MODULES))


# --- the real console script --------------------------------------------------------------------


def _script() -> list[str]:
    script = Path(sys.executable).with_name("bookkeeper")
    return [str(script)] if script.exists() else [sys.executable, "-m",
                                                   "bookkeeper_desktop.cli.main"]


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*_script(), *args], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=60, check=False)


def test_console_script_end_to_end(tmp_path: Path) -> None:
    env = {**os.environ, "BOOKKEEPER_DATA_DIR": str(tmp_path / "data"),
           "BOOKKEEPER_DB_URL": f"sqlite:///{tmp_path / 'env.sqlite'}"}
    created = _run("companies", "create", "--sample", "Scripted", "--entries", "30", env=env)
    assert created.returncode == 0, created.stderr
    assert (tmp_path / "env.sqlite").exists()  # BOOKKEEPER_DB_URL was used
    listing = _run("entries", "list", "--status", "posted", "--json", env=env)
    assert listing.returncode == 0
    assert '"status": "posted"' in listing.stdout
    refused = _run("entries", "post", "424242", env=env)
    assert refused.returncode == 1
    assert refused.stderr == ("bookkeeper: error: entry #424242 not posted: "
                              "There is no entry #424242.\n")
    usage = _run("entries", "frobnicate", env=env)
    assert usage.returncode == 2
    assert "invalid choice" in usage.stderr


def test_console_script_refuses_a_database_from_a_newer_version(tmp_path: Path) -> None:
    path = tmp_path / "books.sqlite"
    env = {**os.environ, "BOOKKEEPER_DATA_DIR": str(tmp_path / "data")}
    assert _run("--db", f"sqlite:///{path}", "status", env=env).returncode == 0
    raw = sqlite3.connect(path)
    raw.execute("UPDATE alembic_version SET version_num = '9999_future'")
    raw.commit()
    raw.close()
    result = _run("--db", f"sqlite:///{path}", "status", env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("bookkeeper: error: ")
    assert "newer version of Bookkeeper Desktop" in result.stderr
    assert result.stderr.count("\n") == 1


def test_entries_json_names_each_lines_account(cli: Cli) -> None:
    cli("companies", "create", "--sample", "Demo", "--entries", "5")
    entries = cli("entries", "list", "--json").json()
    line = entries[0]["lines"][0]
    assert set(line) >= {"account_id", "account_code", "account_name", "debit", "credit"}
    assert line["account_code"].isdigit()
    lines = cli("entries", "list", "--lines", "--limit", "1").out.splitlines()
    assert lines[0].startswith(f"#{entries[0]['id']} ")
    assert line["account_name"] in lines[1]


def test_a_bad_database_url_is_a_configuration_error(cli: Cli) -> None:
    result = cli("--db", "not a url", "status", db=False)
    assert result.code == 2
    assert result.err.startswith("bookkeeper: error: 'not a url' is not a database URL.")
    assert result.err.count("\n") == 1


@pytest.mark.postgres
def test_the_same_commands_on_postgresql(pg_url: str) -> None:
    """A firm's shared database: --db with a PostgreSQL URL (a fresh schema of its own)."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"cli_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
        cli = Cli(url.render_as_string(hide_password=False))
        assert cli("companies", "create", "--sample", "Firm Client", "--entries", "40").code == 0
        drafts = _ids(cli, "draft")
        assert cli("entries", "approve", *map(str, drafts)).code == 0
        assert cli("entries", "post", *map(str, drafts)).code == 0
        status = cli("status", "--json").json()
        assert status["company"]["entries"]["draft"] == 0
        assert sum(status["company"]["entries"].values()) == 40
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_status_shows_connections_and_the_last_sync(cli: Cli) -> None:
    from bookkeeper_desktop.services import companies, connections, sync_runs
    from bookkeeper_desktop.storage.engine import open_database
    from bookkeeper_desktop.storage.records import ConnectionInfo, ConnectionStatus

    cli("companies", "create", "Linked")
    db = open_database(cli.db_url)
    try:
        company = companies.find_company(db, "Linked")
        connections.save_connection(db, company.id, ConnectionInfo(
            "xero", "tenant-1", remote_company_name="Demo Company (Global)",
            status=ConnectionStatus.NEEDS_ATTENTION, status_reason="consent expired"))
        run = sync_runs.start_run(db, company.id, "xero", "pull")
        sync_runs.finish_run(db, run.id, sync_runs.RunStatus.FAILED, message="401")
    finally:
        db.close()
    text = cli("status").out
    assert ("XERO:      needs_attention to Demo Company (Global) (consent expired); last sync"
            in text)
    assert text.rstrip().endswith("failed")
    data = cli("status", "--json").json()["company"]["connections"][0]
    assert (data["provider"], data["last_run"]["status"], data["last_run"]["message"]) == (
        "xero", "failed", "401")

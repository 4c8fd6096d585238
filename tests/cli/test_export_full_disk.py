"""An Excel export onto a full disk (issue #13 §5): one clear line on stderr, exit 1, no file —
and none of the "Exception ignored … No space left on device" tracebacks openpyxl's half-closed
archive and row generators used to add. The full disk is Linux's `/dev/full` (every write fails
with ENOSPC), put where the export writes its partial file; the export runs in a process of its
own so that whatever the garbage collector prints at exit is seen too."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from bookkeeper_desktop.core.journal import EntryStatus, JournalEntry, JournalLine
from bookkeeper_desktop.services import accounts as account_service
from bookkeeper_desktop.services import coa_import, companies, entries
from bookkeeper_desktop.storage.engine import open_database

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "tests" / "formats" / "data" / "qbo_account_list.csv"

# The child puts /dev/full where the exporter writes its partial file (named after its pid:
# formats.common.HashingWriter), then runs the command as `bookkeeper` would.
CHILD = """
import os, sys
from pathlib import Path
from bookkeeper_desktop.cli.main import main
out = Path(sys.argv[1])
out.with_name(f".{out.name}.{os.getpid()}.partial").symlink_to("/dev/full")
sys.exit(main(["--db", sys.argv[2], "--company", "Full Disk Ltd", "export", "--format",
               "xlsx", "--out", str(out)]))
"""


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_xlsx_export_onto_a_full_disk_says_one_line_and_nothing_else(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'books.sqlite'}"
    db = open_database(url)
    company = companies.create_company(db, "Full Disk Ltd")
    coa_import.import_chart(db, company.id, CHART)
    debit, credit = [a.id for a in account_service.list_accounts(db, company.id)][:2]
    entries.bulk_insert_entries(db, company.id, [
        JournalEntry(date=dt.date(2026, 10, 1), number=f"N{n}", memo=f"entry {n}",
                     status=EntryStatus.POSTED,
                     lines=(JournalLine.of(debit, Decimal("10.25"), description="x" * 40),
                            JournalLine.of(credit, -Decimal("10.25"))))
        for n in range(300)])
    db.close()
    out = tmp_path / "ledger.xlsx"
    run = subprocess.run([sys.executable, "-c", CHILD, str(out), url], cwd=REPO,
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 1, run.stderr
    assert run.stderr.splitlines() == [
        f"bookkeeper: error: The file '{out}' could not be written: No space left on device. "
        "Choose a folder you can write to, with free space, and export again."]
    assert run.stdout == ""
    assert not out.exists()

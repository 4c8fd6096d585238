"""The words a sync's progress is reported in (`SyncContext.report_reading`, `report_sending`):
what the card and the CLI show, with the provider's own name."""

from __future__ import annotations

import pytest

from bookkeeper_desktop.core.progress import Progress, progress_line
from bookkeeper_desktop.sync.context import SyncContext
from tests.sync.conftest import Books


@pytest.mark.parametrize(("which", "name"), [("qbo", "QuickBooks Online"), ("xero", "Xero")])
def test_reading_and_sending_in_a_bookkeepers_words(which: str, name: str,
                                                    request: pytest.FixtureRequest) -> None:
    books: Books = request.getfixturevalue(which)
    progress = Progress()
    with books.client() as client:
        ctx = SyncContext(db=books.db, company_id=books.company_id, provider=which,
                          client=client, progress=progress)
        ctx.report_reading("transactions", 4000, 20_000, approximate=True)
        assert progress_line(progress.snapshot()) == (
            f"Reading transactions from {name}: 4,000 of about 20,000 — "
            "estimating the time left…")
        ctx.report_reading("transactions", 3000)  # Xero gives no total
        assert progress_line(progress.snapshot()) == (
            f"Reading transactions from {name}: 3,000 so far — no time estimate: the total is "
            "not known")
        ctx.report_sending(1200, 5000)
        assert progress.snapshot().counts_text == f"Sending entries to {name}: 1,200 of 5,000"

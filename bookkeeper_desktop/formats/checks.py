"""The export pre-check: every entry that cannot go into the chosen format, named, before
anything is written (PRODUCT.md Export pane; FORMATS.md D). The writers run the same per-entry
checks while they stream and refuse with `ExportError` rather than leave a bad file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bookkeeper_desktop.core.accounts import Account
from bookkeeper_desktop.core.journal import JournalEntry
from bookkeeper_desktop.formats.common import ExportFormat, ExportOptions, ExportProblem
from bookkeeper_desktop.formats.registry import handler


def check_export(entries: Iterable[JournalEntry], accounts: Mapping[int, Account],
                 format: ExportFormat | str, options: ExportOptions | None = None,
                 *, limit: int | None = None) -> list[ExportProblem]:
    """Every problem, entry by entry (stops after `limit` problems when given, so a preview of a
    huge bad export stays quick)."""
    options = options or ExportOptions()
    fmt = ExportFormat(format)
    module = handler(fmt)
    problems: list[ExportProblem] = []
    numbers = module.journal_numbers()
    for index, entry in enumerate(entries, start=1):
        problems.extend(module.entry_problems(entry, accounts, options))
        if numbers is not None:
            problems.extend(numbers.problems(entry, index))
        if limit is not None and len(problems) >= limit:
            return problems[:limit]
    return problems

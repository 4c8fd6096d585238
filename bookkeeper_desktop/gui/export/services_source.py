"""`ExportSource` on `services.exporting` (the formats writers with their pre-check and the export
log) and `services.exports` (the history). Runs in db-lane jobs only.

The writer options come from the settings (date format, Xero tax-rate name) at the moment of the
call, so a change in the Settings dialog shows in the next preview.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.formats import ExportOptions
from bookkeeper_desktop.gui.export.source import ExportOutcome, ExportPreview, ExportRequest
from bookkeeper_desktop.gui.ledger.services_source import database_of
from bookkeeper_desktop.services import exporting
from bookkeeper_desktop.services import exports as export_services
from bookkeeper_desktop.settings import Settings
from bookkeeper_desktop.storage.records import EntryFilter, ExportRecord


class ServicesExportSource:
    def __init__(self, services: Any, ctx: Any = None) -> None:
        self.services = services
        self.ctx = ctx

    def _options(self) -> ExportOptions:
        settings = getattr(self.ctx, "settings", None)
        if not isinstance(settings, Settings):
            return ExportOptions()
        return ExportOptions(date_format=settings.date_format,
                             xero_tax_rate=settings.xero_tax_rate_name)

    @staticmethod
    def _filter(request: ExportRequest) -> EntryFilter:
        return exporting.export_filter(request.statuses, request.date_from, request.date_to)

    def preview(self, company_id: int, request: ExportRequest, limit: int) -> ExportPreview:
        sample = exporting.preview_rows(
            database_of(self.services), company_id, request.format, self._filter(request),
            self._options(), limit=limit)
        return ExportPreview(sample.headers, sample.rows, sample.entry_count,
                             tuple(str(problem) for problem in sample.problems), sample.notes,
                             tuple(str(entry) for entry in sample.left_out), sample.bank_lines)

    def export(self, company_id: int, request: ExportRequest, path: Path,
               progress: Progress) -> ExportOutcome:
        outcome = exporting.export_entries(
            database_of(self.services), company_id, request.format, path,
            flt=self._filter(request), options=self._options(), progress=progress)
        return ExportOutcome(outcome.result.paths, outcome.result.entry_count, outcome.changes)

    def bank_statements(self, company_id: int, request: ExportRequest, path: Path,
                        progress: Progress) -> ExportOutcome:
        outcome = exporting.export_bank_statements(
            database_of(self.services), company_id, path, flt=self._filter(request),
            progress=progress)
        return ExportOutcome(tuple(f.path for f in outcome.files), outcome.line_count,
                             outcome.changes)

    def history(self, company_id: int) -> Sequence[ExportRecord]:
        return export_services.export_history(database_of(self.services), company_id)

"""`ExportSource` on the formats writers and the export log of the services.

Runs in db-lane jobs only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bookkeeper_desktop.core.errors import ConfigurationError
from bookkeeper_desktop.core.progress import Progress
from bookkeeper_desktop.gui.export.source import ExportOutcome, ExportPreview, ExportRequest
from bookkeeper_desktop.gui.ledger.services_source import database_of
from bookkeeper_desktop.services import exports as export_services
from bookkeeper_desktop.storage.records import ExportRecord


class ServicesExportSource:
    def __init__(self, services: Any, ctx: Any = None) -> None:
        self.services = services
        self.ctx = ctx

    def preview(self, company_id: int, request: ExportRequest, limit: int) -> ExportPreview:
        raise ConfigurationError("Exporting is not available in this build yet.")

    def export(self, company_id: int, request: ExportRequest, path: Path,
               progress: Progress) -> ExportOutcome:
        raise ConfigurationError("Exporting is not available in this build yet.")

    def history(self, company_id: int) -> Sequence[ExportRecord]:
        return export_services.export_history(database_of(self.services), company_id)

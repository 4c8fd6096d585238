"""File formats: read a chart of accounts from QuickBooks Desktop IIF, QuickBooks Online CSV, Xero
CSV or Excel, and write journal entries to all four. Pure Python (no Qt, no SQLAlchemy); the rules
of each format are in FORMATS.md and cited in each module.

Chart import
    sniff(path) -> DetectedFormat                    (FileFormatError: what the file is instead)
    read_chart(path, detected=None) -> ParsedChart   (rows with line numbers, problems, notes)
    plan_import(chart, existing_accounts) -> ImportPreview   (adds, updates, skips, errors)
    preview_rows(preview) -> list[PreviewRow]        (kind, line, account, detail: for tables)
    propose_mappings(our_accounts, remote_accounts) -> list[Proposal]

Journal export
    check_export(entries, accounts, format, options=None) -> list[ExportProblem]
    write_export(entries, accounts, format, path, options=None) -> ExportResult
        (streams; ExportError and no file when an entry cannot go in; SHA-256 per file)
    ExportFormat: "iif" | "qbo-csv" | "xero-csv" | "xlsx";  ExportOptions (date format, Xero tax
    rate and codes, IIF accounts block)
"""

from bookkeeper_desktop.formats.checks import check_export
from bookkeeper_desktop.formats.common import (
    DEFAULT_XERO_TAX_RATE,
    XERO_MAX_LINES,
    ChartLayout,
    ChartRow,
    Container,
    DetectedFormat,
    ExportFormat,
    ExportOptions,
    ExportProblem,
    ExportResult,
    ParsedChart,
    SkippedRow,
    WrittenFile,
    neutralise_formula,
)
from bookkeeper_desktop.formats.plan import (
    FieldChange,
    ImportPreview,
    PlannedAdd,
    PlannedSkip,
    PlannedUpdate,
    PreviewRow,
    Proposal,
    plan_import,
    preview_rows,
    propose_mappings,
)
from bookkeeper_desktop.formats.registry import HANDLERS, FormatHandler, handler, write_export
from bookkeeper_desktop.formats.sniff import read_chart, sniff

__all__ = [
    "DEFAULT_XERO_TAX_RATE",
    "HANDLERS",
    "XERO_MAX_LINES",
    "ChartLayout",
    "ChartRow",
    "Container",
    "DetectedFormat",
    "ExportFormat",
    "ExportOptions",
    "ExportProblem",
    "ExportResult",
    "FieldChange",
    "FormatHandler",
    "ImportPreview",
    "ParsedChart",
    "PlannedAdd",
    "PlannedSkip",
    "PlannedUpdate",
    "PreviewRow",
    "Proposal",
    "SkippedRow",
    "WrittenFile",
    "check_export",
    "handler",
    "neutralise_formula",
    "plan_import",
    "preview_rows",
    "propose_mappings",
    "read_chart",
    "sniff",
    "write_export",
]

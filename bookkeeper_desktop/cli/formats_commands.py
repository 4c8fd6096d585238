"""`bookkeeper import-coa`, `export`, `accounts list` and `exports`.

Exit statuses of `import-coa`: 0 imported (or a clean dry run), 1 the file has errors and nothing
was imported (or is not a chart at all), 2 usage (including a path that is not a file).

`import-coa --undo-last [--yes] [--dry-run]` undoes the last chart import (`services.coa_undo`):
the preview first; without `--yes` it asks (and refuses to ask when stdin is not a terminal).
Exit statuses: 0 undone with nothing kept (or a dry run), 3 undone but some accounts were kept
(listed on stderr with the reason), 1 nothing to undo or another import came in between, 2 usage,
130 cancelled.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bookkeeper_desktop.cli.common import (
    Context,
    SubParsers,
    add_command,
    add_subcommands,
    confirm,
)
from bookkeeper_desktop.cli.common import parse_date as _parse_date
from bookkeeper_desktop.core.journal import EntryStatus
from bookkeeper_desktop.formats import DEFAULT_XERO_TAX_RATE, ExportFormat, ExportOptions
from bookkeeper_desktop.formats.plan import ImportPreview
from bookkeeper_desktop.services import accounts as account_services
from bookkeeper_desktop.services import coa_import, coa_undo, exporting
from bookkeeper_desktop.services.exports import export_history

FORMAT_KEYS = [f.value for f in ExportFormat]
USAGE_EXIT = 2
KEPT_EXIT = 3  # as `sync undo`: done, but not all of it could be taken back


def _status(text: str) -> EntryStatus:
    value = text.strip().lower()
    if value not in ("posted", "approved"):
        raise argparse.ArgumentTypeError(f"'{text}' is not an export status (posted or approved)")
    return EntryStatus(value)


def register(subparsers: SubParsers) -> None:
    importing = add_command(subparsers, "import-coa",
                            help="import a chart of accounts (IIF, QBO CSV, Xero CSV or Excel)")
    importing.add_argument("file", metavar="FILE", type=Path, nargs="?",
                           help="the chart file (not with --undo-last)")
    importing.add_argument("--dry-run", action="store_true",
                           help="show what would change and the errors; change nothing")
    importing.add_argument("--undo-last", action="store_true",
                           help="undo the last import not undone yet (newest first): remove the "
                                "accounts it added that nothing uses, restore the ones it changed")
    importing.add_argument("--yes", "-y", action="store_true",
                           help="with --undo-last: do not ask before undoing")
    importing.add_argument("--verbose", "-v", action="store_true",
                           help="list every account to add, update and skip, not just counts")
    importing.set_defaults(handler=import_coa)

    export = add_command(subparsers, "export", help="export journal entries to a file")
    export.add_argument("--format", required=True, choices=FORMAT_KEYS)
    export.add_argument("--out", required=True, type=Path, metavar="PATH")
    export.add_argument("--status", type=_status, action="append", metavar="STATUS",
                        help="posted (default) or approved; repeat for both")
    export.add_argument("--from", dest="date_from", type=_parse_date, metavar="YYYY-MM-DD")
    export.add_argument("--to", dest="date_to", type=_parse_date, metavar="YYYY-MM-DD")
    export.add_argument("--date-format", choices=["MM/DD/YYYY", "DD/MM/YYYY"],
                        default="MM/DD/YYYY", help="QBO CSV dates (the company's date format)")
    export.add_argument("--tax-rate", default=DEFAULT_XERO_TAX_RATE,
                        help=f"Xero TaxRate name (default '{DEFAULT_XERO_TAX_RATE}')")
    export.add_argument("--with-accounts", action="store_true",
                        help="IIF: put an !ACCNT block of the accounts used first")
    export.add_argument("--bank-statements", action="store_true",
                        help="xero-csv: also write the bank lines Xero's manual journals leave "
                             "out as Xero bank-statement CSV files, one per bank account, "
                             "named after --out")
    export.set_defaults(handler=export_entries)

    accounts = add_command(subparsers, "accounts", help="the chart of accounts")
    commands = add_subcommands(accounts, "accounts commands")
    listing = add_command(commands, "list", help="list the accounts")
    listing.set_defaults(handler=list_accounts)

    history = add_command(subparsers, "exports", help="the export log, newest first")
    history.set_defaults(handler=list_exports)


def _print_preview(ctx: Context, preview: ImportPreview, verbose: bool) -> None:
    ctx.print(f"{preview.file_name}: {preview.format_label}")
    ctx.print(preview.summary_line())
    if verbose:
        _print_items(ctx, preview)
    else:  # parents the import creates are worth seeing even in the short form
        for add in preview.adds:
            if add.line is None:
                ctx.print(f"  add     new parent: {add.account.full_name} "
                          f"[{add.account.type.label}] ({add.note})")
    for remark in preview.notes:
        ctx.print(f"  note    {remark}")
    # Errors go to stderr (README "Errors print … on stderr"): a script keeps the preview on
    # stdout and sees the problems apart.
    for error in preview.errors:
        ctx.warn(f"error: {error}")


def _print_items(ctx: Context, preview: ImportPreview) -> None:
    for add in preview.adds:
        where = f"line {add.line}" if add.line else "new parent"
        note = f" ({add.note})" if add.note else ""
        ctx.print(f"  add     {where}: {add.account.full_name} [{add.account.type.label}]{note}")
    for update in preview.updates:
        ctx.print(f"  update  line {update.line}: {update.existing.full_name}: {update.summary}")
    for skip in preview.skips:
        ctx.print(f"  skip    line {skip.line}: {skip.full_name}: {skip.reason}")


def _preview_json(preview: ImportPreview, applied: bool) -> dict[str, object]:
    return {
        "file": preview.file_name,
        "format": preview.format_label,
        "applied": applied,
        "can_apply": preview.can_apply,
        "add": [{"line": a.line, "full_name": a.account.full_name, "code": a.account.code,
                 "type": a.account.type.value, "note": a.note} for a in preview.adds],
        "update": [{"line": u.line, "full_name": u.existing.full_name,
                    "changes": {c.field: [c.old, c.new] for c in u.changes}}
                   for u in preview.updates],
        "skip": [{"line": s.line, "full_name": s.full_name, "reason": s.reason}
                 for s in preview.skips],
        "errors": [{"line": e.line, "message": e.message} for e in preview.errors],
        "notes": [{"line": n.line, "message": n.message} for n in preview.notes],
    }


def import_coa(ctx: Context, args: argparse.Namespace) -> int:
    if args.undo_last:
        if args.file is not None:
            ctx.warn("error: --undo-last takes no FILE: it undoes the last import")
            return USAGE_EXIT
        return undo_last_import(ctx, args)
    path: Path | None = args.file
    if path is None:
        ctx.warn("error: name the chart file to import (or use --undo-last)")
        return USAGE_EXIT
    if not path.is_file():
        ctx.warn(f"error: '{path}' is not a file")
        return USAGE_EXIT
    company = ctx.company()
    outcome = coa_import.import_chart(ctx.db, company.id, path, dry_run=args.dry_run)
    preview = outcome.preview
    if ctx.json:
        ctx.emit_json(_preview_json(preview, outcome.applied))
    else:
        _print_preview(ctx, preview, args.verbose)
        if outcome.applied:
            ctx.print(f"Imported into '{company.name}': {len(outcome.added)} added, "
                      f"{len(outcome.updated)} updated.")
        elif not preview.can_apply:
            ctx.warn("nothing was imported: fix the errors above and import the file again.")
        else:
            ctx.print("Dry run: nothing was changed.")
    return 0 if preview.can_apply else 1


def _undo_json(plan: coa_undo.ImportUndoPlan, applied: bool) -> dict[str, object]:
    def items(found: tuple[coa_undo.UndoItem, ...], key: str = "") -> list[dict[str, object]]:
        return [{"account_id": i.account_id, "full_name": i.full_name, "code": i.code,
                 "type": i.account_type, **({key: i.detail} if key else {})} for i in found]

    record = plan.record
    return {
        "import": {"id": record.id, "file": record.file_name, "format": record.format_label,
                   "imported_at": record.imported_at.isoformat(), "by": record.actor},
        "applied": applied,
        "remove": items(plan.remove),
        "restore": items(plan.restore, "changes"),
        "keep": items(plan.keep, "reason"),
        "proposals_withdrawn": plan.proposals,
    }


def undo_last_import(ctx: Context, args: argparse.Namespace) -> int:
    company = ctx.company()
    plan = coa_undo.plan_undo_last(ctx.db, company.id)
    if plan is None:
        ctx.warn("nothing to undo: there is no chart import left to undo in "
                 f"'{company.name}'.")
        return 1
    if not ctx.json:
        ctx.print(plan.summary())
        for line in plan.describe():
            ctx.print(f"  {line}")
    if args.dry_run:
        if ctx.json:
            ctx.emit_json(_undo_json(plan, False))
        else:
            ctx.print("Dry run: nothing was changed.")
        return 0
    confirm("Undo this import?", yes=args.yes,
            what_changes="Undoing an import removes and changes accounts")
    result = coa_undo.undo_last_import(ctx.db, company.id, import_id=plan.record.id)
    if ctx.json:
        ctx.emit_json(_undo_json(result.plan, True))
    else:
        ctx.print(result.sentence())
    for kept in result.plan.keep:
        ctx.warn(f"kept {kept.full_name}: {kept.detail}")
    return KEPT_EXIT if result.plan.keep else 0


def export_entries(ctx: Context, args: argparse.Namespace) -> int:
    company = ctx.company()
    flt = exporting.export_filter(args.status, args.date_from, args.date_to)
    options = ExportOptions(date_format=args.date_format, xero_tax_rate=args.tax_rate,
                            include_accounts=args.with_accounts)
    outcome = exporting.export_entries(ctx.db, company.id, args.format, args.out, flt=flt,
                                       options=options)
    result = outcome.result
    statements = (exporting.export_bank_statements(ctx.db, company.id, args.out, flt=flt).files
                  if args.bank_statements and args.format == "xero-csv" else ())
    if ctx.json:
        ctx.emit_json({
            "format": result.format.value, "entries": result.entry_count,
            "lines": result.line_count,
            "files": [{"path": str(f.path), "sha256": f.sha256, "rows": f.rows,
                       "entries": f.entries} for f in result.files],
            "left_out": [str(p) for p in result.left_out],
            "bank_statements": [{"path": str(f.path), "sha256": f.sha256, "lines": f.entries}
                                for f in statements],
        })
        return 0
    ctx.print(f"Exported {result.entry_count} entries ({result.line_count} lines) as "
              f"{result.format.label}:")
    for written in result.files:
        ctx.print(f"  {written.path}  sha256 {written.sha256}")
    if result.left_out:
        left = len({p.entry for p in result.left_out})
        ctx.print(f"Left out {left} entries Xero's manual journals cannot take:")
        for reason in result.left_out:
            ctx.print(f"  {reason}")
        if not statements:
            ctx.print("Their bank lines can go to Xero as bank statements: add "
                      "--bank-statements.")
    for written in statements:
        ctx.print(f"Bank statement ({written.entries} lines): {written.path}  "
                  f"sha256 {written.sha256}")
    return 0


def list_accounts(ctx: Context, _args: argparse.Namespace) -> int:
    company = ctx.company()
    rows = account_services.list_accounts(ctx.db, company.id)
    if ctx.json:
        ctx.emit_json([{"id": a.id, "code": a.code, "full_name": a.full_name,
                        "type": a.type.value, "original_type": a.original_type,
                        "source": a.source.value, "active": a.active} for a in rows])
        return 0
    if not rows:
        ctx.print("No accounts yet. Import a chart with: bookkeeper import-coa FILE")
        return 0
    ctx.table(["CODE", "FULL NAME", "TYPE", "ORIGINAL TYPE", "SOURCE", "ACTIVE"],
              [[a.code, a.full_name, a.type.value, a.original_type, a.source.value, a.active]
               for a in rows])
    return 0


def list_exports(ctx: Context, _args: argparse.Namespace) -> int:
    company = ctx.company()
    records = export_history(ctx.db, company.id)
    if ctx.json:
        ctx.emit_json(records)
        return 0
    if not records:
        ctx.print("No exports yet.")
        return 0
    ctx.table(["WHEN", "PROVIDER", "FORMAT", "ENTRIES", "STATUS", "FILE", "SHA-256"],
              [[r.created_at.strftime("%Y-%m-%d %H:%M"), r.provider, r.format, r.record_count,
                r.status, r.file_name, (r.checksum or "")[:16]] for r in records], right=[3])
    return 0

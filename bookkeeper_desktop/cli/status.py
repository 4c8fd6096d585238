"""`bookkeeper status`: which database, which company, how many entries in each status, and the
state of the connections."""

from __future__ import annotations

import argparse

from bookkeeper_desktop.cli.common import Context, SubParsers, add_command
from bookkeeper_desktop.core.journal import EntryStatus
from bookkeeper_desktop.demo_mode import public_endpoints
from bookkeeper_desktop.services import accounts, companies, connections, entries, sync_runs
from bookkeeper_desktop.services.exports import export_history
from bookkeeper_desktop.storage.engine import schema_revision
from bookkeeper_desktop.storage.records import EntryFilter


def register(subparsers: SubParsers) -> None:
    parser = add_command(subparsers, "status", help="show the database, company and ledger state")
    parser.set_defaults(handler=status)


def status(ctx: Context, _args: argparse.Namespace) -> int:
    db = ctx.db
    company = (companies.find_company(db, ctx.company_selector) if ctx.company_selector
               else companies.current_company(db))
    report: dict[str, object] = {
        "database": db.label,
        "schema": schema_revision(db),
        "companies": len(companies.list_companies(db)),
        "company": None,
    }
    if ctx.demo_endpoints is not None:
        report["demo"] = public_endpoints(ctx.demo_endpoints)
    if company is not None:
        counts = {s.value: entries.count_entries(db, company.id, EntryFilter.of_status(s))
                  for s in EntryStatus}
        last_exports = export_history(db, company.id, limit=1)
        report["company"] = {
            "id": company.id, "name": company.name, "currency": company.currency,
            "accounts": len(accounts.list_accounts(db, company.id)),
            "entries": counts,
            "connections": [
                {"provider": c.provider, "status": c.status.value,
                 "status_reason": c.status_reason,
                 "remote_company_name": c.remote_company_name,
                 "push_only": connections.is_push_only(db, company.id, c.provider),
                 "last_sync_at": c.last_sync_at.isoformat() if c.last_sync_at else None,
                 "last_run": _run_json(sync_runs.last_run(db, company.id, c.provider))}
                for c in connections.list_connections(db, company.id)
            ],
            "last_export": (last_exports[0].created_at.isoformat() if last_exports else None),
        }
    if ctx.json:
        ctx.emit_json(report)
        return 0
    if ctx.demo_endpoints is not None:
        ctx.print(f"Demo:      {ctx.demo_endpoints.label} (QuickBooks Online "
                  f"{ctx.demo_endpoints.qbo_url}, Xero {ctx.demo_endpoints.xero_url})")
    ctx.print(f"Database:  {report['database']} (schema {report['schema']})")
    if company is None:
        ctx.print(f"Company:   none selected ({report['companies']} in this database)")
        return 0
    details = report["company"]
    assert isinstance(details, dict)
    ctx.print(f"Company:   {company.name} (#{company.id}, {company.currency})")
    ctx.print(f"Accounts:  {details['accounts']}")
    counts = details["entries"]
    ctx.print("Entries:   " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    for connection in details["connections"]:
        line = f"{connection['provider'].upper() + ':':<10} {connection['status']}"
        if connection["remote_company_name"]:
            line += f" to {connection['remote_company_name']}"
        if connection["push_only"]:
            line += " (push only)"
        if connection["status_reason"]:
            line += f" ({connection['status_reason']})"
        run = connection["last_run"]
        if run:
            line += f"; last sync {run['started_at'][:16]} {run['outcome']}"
        ctx.print(line)
    if not details["connections"]:
        ctx.print("Connected: not connected to QuickBooks Online or Xero")
    return 0


def _run_json(run: sync_runs.SyncRun | None) -> dict[str, object] | None:
    if run is None:
        return None
    return {"status": run.status.value, "outcome": run.status.label, "direction": run.direction,
            "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "pulled": run.pulled, "pushed": run.pushed, "errors": run.error_count,
            "message": run.message}

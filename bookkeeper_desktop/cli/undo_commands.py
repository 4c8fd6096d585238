"""`bookkeeper sync undo RUN_ID [--yes]`: take back at QBO/Xero what a sync run created there and
send back what it changed as it was before (`sync.undo`, through `services.undo`). The preview
is printed first, checked at the provider (an object changed there since the run is not
undone); without `--yes` the command asks before it changes anything (and refuses to ask when
stdin is not a terminal). Run ids are in `bookkeeper status` and in the sync log (`--json`
prints them with each run). A run whose undo the provider partly refused can be undone again:
only what is left is sent.

Exit statuses: 0 all taken back; 3 some could not be (listed on stderr); 1 refused (no such
run, already undone); 130 cancelled."""

from __future__ import annotations

import argparse

from bookkeeper_desktop.cli.common import Context, confirm
from bookkeeper_desktop.core.errors import ConfigurationError
from bookkeeper_desktop.services.undo import preview_undo, undo_sync
from bookkeeper_desktop.sync.undo_plan import REVERT

PROBLEMS_EXIT = 3


def undo_command(ctx: Context, args: argparse.Namespace) -> int:
    if args.run is None:
        raise ConfigurationError("Name the sync run to undo: bookkeeper sync undo RUN_ID.")
    company = ctx.company()
    plan = preview_undo(ctx.db, company.id, args.run)
    lines = plan.describe()
    if not ctx.json:
        ctx.print(f"Undo sync run #{plan.run_id}: {len(plan.doable)} to take back, "
                  f"{len(plan.not_doable)} that cannot be.")
        for line in lines:
            ctx.print(f"  {line}")
        if plan.count(REVERT):
            ctx.print(f"Entries sent back as they were keep your text here and show as "
                      f"changed since sent: the next sync sends your change to "
                      f"{plan.provider_name} again.")
    if not plan.doable:
        if ctx.json:
            ctx.emit_json({"run_id": plan.run_id, "undone": 0, "failed": [],
                           "not_undone": [lines[i] for i, item in enumerate(plan.items)]})
        return PROBLEMS_EXIT if plan.not_doable else 0
    confirm("Take these back?", yes=args.yes,
            what_changes="Undoing a sync changes QuickBooks Online or Xero")
    result = undo_sync(ctx.db, company.id, plan)
    if ctx.json:
        ctx.emit_json({"run_id": result.run_id, "undone": result.undone,
                       "reverted": result.reverted, "failed": result.failed,
                       "not_undone": result.not_undone})
    else:
        ctx.print(f"{result.summary}. Entries taken back show as not sent; the next sync sends "
                  "them again.")
    for problem in result.failed + result.not_undone:
        ctx.warn(problem)
    return PROBLEMS_EXIT if result.failed or result.not_undone else 0

"""`bookkeeper import-statement FILE [--account CODE]` and `bookkeeper statements …` (review,
accept-above, accept, skip, rule).

Exit statuses of `import-statement`: 0 imported (or a clean dry run); 1 the file cannot be read,
or its account is not linked yet (say which with --account); 2 usage.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bookkeeper_desktop.cli.common import Context, SubParsers, add_command, add_subcommands
from bookkeeper_desktop.core.categorise import Rule
from bookkeeper_desktop.core.errors import NotFound, ValidationError
from bookkeeper_desktop.core.money import format_money
from bookkeeper_desktop.services import accounts as account_services
from bookkeeper_desktop.services import statement_review as review
from bookkeeper_desktop.services import statements
from bookkeeper_desktop.storage.records import Company

USAGE_EXIT = 2


def register(subparsers: SubParsers) -> None:
    importing = add_command(subparsers, "import-statement",
                            help="import a bank or card statement (OFX/QFX, CAMT.053, bank CSV) "
                                 "as draft entries with proposed accounts")
    importing.add_argument("file", metavar="FILE", type=Path)
    importing.add_argument("--account", metavar="CODE",
                           help="our bank or card account (code or full name) the statement "
                                "belongs to; remembered for the next statements")
    importing.add_argument("--dry-run", action="store_true",
                           help="show what would be imported and proposed; change nothing")
    importing.set_defaults(handler=import_statement)

    group = add_command(subparsers, "statements", help="review imported statement lines")
    commands = add_subcommands(group, "statements commands")
    listing = add_command(commands, "review", help="list the lines waiting for review")
    listing.set_defaults(handler=list_review)
    above = add_command(commands, "accept-above",
                        help="accept every waiting line proposed with at least this confidence")
    above.add_argument("percent", type=int, nargs="?", default=review.DEFAULT_THRESHOLD)
    above.add_argument("--post", action="store_true", help="post the entries, not just approve")
    above.set_defaults(handler=accept_above)
    accept = add_command(commands, "accept", help="accept lines, optionally with an account")
    accept.add_argument("ids", metavar="LINE", type=int, nargs="+")
    accept.add_argument("--account", metavar="CODE", help="the account for these lines")
    accept.add_argument("--contact", default=None,
                        help="the contact (payee) on the entry; left out, the proposed one stays")
    accept.add_argument("--post", action="store_true")
    accept.set_defaults(handler=accept_lines)
    skip = add_command(commands, "skip", help="skip lines (re-imports keep them skipped)")
    skip.add_argument("ids", metavar="LINE", type=int, nargs="+")
    skip.set_defaults(handler=skip_lines)
    rule = add_command(commands, "rule", help="add a rule: description contains TEXT → account")
    rule.add_argument("contains", metavar="TEXT")
    rule.add_argument("--account", metavar="CODE", required=True)
    rule.add_argument("--contact", default="")
    rule.add_argument("--tax-code", default="")
    rule.set_defaults(handler=add_rule)
    rules = add_command(commands, "rules", help="list your rules")
    rules.set_defaults(handler=list_rules)
    forget = add_command(commands, "rule-delete", help="delete a rule")
    forget.add_argument("rule_id", metavar="RULE", type=int)
    forget.set_defaults(handler=delete_rule)


def _account_id(ctx: Context, company: Company, text: str) -> int:
    account = account_services.find_account(ctx.db, company.id, text)
    if account is None or account.id is None:
        raise NotFound(f"There is no account '{text}' in '{company.name}'.",
                       hint="List them with: bookkeeper accounts list")
    return account.id


def _print_preview(ctx: Context, preview: statements.StatementPreview) -> None:
    statement = preview.statement
    account = preview.account.full_name if preview.account else "(not linked yet)"
    how = f" ({preview.account_how})" if preview.account_how else ""
    ctx.print(f"{preview.file_name}: {statement.format.label}, {statement.account_label} → "
              f"{account}{how}")
    for note in (*statement.notes, *preview.notes):
        ctx.print(f"  note    {note}")
    ctx.print("  " + preview.summary_line())
    for check in preview.balance_checks:
        ctx.print(f"  balance {check}")
    for item in preview.lines:
        line = item.line
        head = f"  line {line.line:<4} {line.date.isoformat()} {format_money(line.amount):>12}  " \
               f"{line.text[:40]:<40}"
        if item.outcome is statements.Outcome.NEW and item.proposal is not None:
            proposal = item.proposal
            ctx.print(f"{head} {proposal.percent:>3}%  {proposal.reason}")
        else:
            note = f": {item.note}" if item.note else ""
            ctx.print(f"{head} {item.outcome.value}{note}")
    for problem in preview.refused:
        ctx.print(f"  refused {problem}")


def _preview_json(preview: statements.StatementPreview) -> dict[str, object]:
    return {
        "file": preview.file_name, "format": preview.statement.format.value,
        "statement_account": preview.statement.account_label,
        "account": preview.account.full_name if preview.account else None,
        "balance_checks": list(preview.balance_checks), "notes": list(preview.notes),
        "lines": [{"line": i.line.line, "date": i.line.date.isoformat(),
                   "amount": str(i.line.amount), "text": i.line.text, "outcome": i.outcome.value,
                   "account_id": i.proposal.account_id if i.proposal else None,
                   "confidence": i.proposal.percent if i.proposal else None,
                   "reason": i.proposal.reason if i.proposal else i.note}
                  for i in preview.lines],
        "refused": [{"line": p.line, "message": p.message} for p in preview.refused],
    }


def import_statement(ctx: Context, args: argparse.Namespace) -> int:
    path: Path = args.file
    if not path.is_file():
        ctx.warn(f"error: '{path}' is not a file")
        return USAGE_EXIT
    company = ctx.company()
    account_id = _account_id(ctx, company, args.account) if args.account else None
    mapping = statements.remembered_mapping(ctx.db, company.id, path)
    if args.dry_run:
        previews = statements.preview_statement(ctx.db, company.id, path,
                                                account_id=account_id, csv_mapping=mapping)
        created: tuple[int, ...] = ()
    else:
        outcome = statements.import_statement(ctx.db, company.id, path, account_id=account_id,
                                              csv_mapping=mapping)
        previews, created = list(outcome.previews), outcome.created_line_ids
    if ctx.json:
        ctx.emit_json({"applied": not args.dry_run, "lines_created": len(created),
                       "statements": [_preview_json(p) for p in previews]})
    else:
        for preview in previews:
            _print_preview(ctx, preview)
        if args.dry_run:
            ctx.print("Dry run: nothing was changed.")
        else:
            ctx.print(f"Imported {len(created)} line(s) into '{company.name}'. Review them with: "
                      "bookkeeper statements review")
    return 0 if all(p.can_apply for p in previews) else 1


def list_review(ctx: Context, _args: argparse.Namespace) -> int:
    company = ctx.company()
    lines = review.review_lines(ctx.db, company.id)
    if ctx.json:
        ctx.emit_json(lines)
        return 0
    if not lines:
        ctx.print("No statement lines wait for review.")
        return 0
    ctx.table(["LINE", "DATE", "AMOUNT", "TEXT", "ACCOUNT", "SURE", "WHY"],
              [[x.id, x.date.isoformat(), format_money(x.amount), x.text[:36], x.account,
                f"{x.confidence}%", x.reason] for x in lines], right=[2, 5])
    return 0


def _report(ctx: Context, result: review.ReviewResult, verb: str) -> int:
    if ctx.json:
        ctx.emit_json({"done": list(result.done),
                       "refused": [{"line": i, "reason": r} for i, r in result.refused]})
    else:
        ctx.print(f"{verb} {len(result.done)} line(s).")
        for line_id, reason in result.refused:
            ctx.print(f"  refused line {line_id}: {reason}")
    return 0 if not result.refused else 1


def accept_above(ctx: Context, args: argparse.Namespace) -> int:
    company = ctx.company()
    if not 0 <= args.percent <= 100:
        raise ValidationError("The confidence is a percentage from 0 to 100.")
    result = review.accept_above(ctx.db, company.id, args.percent, post=args.post)
    return _report(ctx, result, "Posted" if args.post else "Approved")


def accept_lines(ctx: Context, args: argparse.Namespace) -> int:
    company = ctx.company()
    choices = None
    if args.account:
        account_id = _account_id(ctx, company, args.account)
        choices = {i: review.Choice(account_id, args.contact) for i in args.ids}
    result = review.accept_lines(ctx.db, company.id, args.ids, choices=choices, post=args.post)
    return _report(ctx, result, "Posted" if args.post else "Approved")


def skip_lines(ctx: Context, args: argparse.Namespace) -> int:
    company = ctx.company()
    return _report(ctx, review.ignore_lines(ctx.db, company.id, args.ids), "Skipped")


def add_rule(ctx: Context, args: argparse.Namespace) -> int:
    company = ctx.company()
    account_id = _account_id(ctx, company, args.account)
    rule, changed = review.add_rule(ctx.db, company.id, Rule(args.contains, account_id,
                                                             args.contact, args.tax_code))
    if ctx.json:
        ctx.emit_json({"rule": rule.id, "lines_changed": changed})
    else:
        ctx.print(f"Rule #{rule.id} saved: description contains '{rule.contains}'; "
                  f"{changed} waiting line(s) changed.")
    return 0


def list_rules(ctx: Context, _args: argparse.Namespace) -> int:
    company = ctx.company()
    rules = review.list_rules(ctx.db, company.id)
    if ctx.json:
        ctx.emit_json(rules)
        return 0
    if not rules:
        ctx.print("No rules yet. Add one with: bookkeeper statements rule TEXT --account CODE")
        return 0
    names = {a.id: a.full_name for a in account_services.list_accounts(ctx.db, company.id)}
    ctx.table(["RULE", "DESCRIPTION CONTAINS", "ACCOUNT", "CONTACT", "TAX CODE"],
              [[r.id, r.contains, names.get(r.account_id, "?"), r.contact, r.tax_code]
               for r in rules])
    return 0


def delete_rule(ctx: Context, args: argparse.Namespace) -> int:
    company = ctx.company()
    review.remove_rule(ctx.db, company.id, args.rule_id)
    ctx.print(f"Rule #{args.rule_id} deleted.")
    return 0

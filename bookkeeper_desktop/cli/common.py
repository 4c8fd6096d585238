"""What every command module uses: `add_command` (a sub-parser that also accepts the global
options), the `Context` a handler receives (the database, opened on first use, and the company
chosen with `--company`), and output helpers that print a table or, with `--json`, JSON.

A command module has a `register(subparsers)` function that calls `add_command(...)` and sets a
handler with `parser.set_defaults(handler=fn)`, where `fn(ctx: Context, args: Namespace) -> int`.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import enum
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import IO, Any, Protocol

from bookkeeper_desktop.core.errors import Cancelled, ConfigurationError
from bookkeeper_desktop.services import companies
from bookkeeper_desktop.storage.engine import Database, open_database
from bookkeeper_desktop.storage.records import Company

Handler = Callable[["Context", argparse.Namespace], int]


class SubParsers(Protocol):
    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


def global_options() -> argparse.ArgumentParser:
    """--db, --company and --json, accepted before or after the command name."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--db", metavar="URL", default=argparse.SUPPRESS,
        help="database URL (default: BOOKKEEPER_DB_URL, else the SQLite file in the user data "
             "folder); e.g. postgresql+psycopg://user@host/books",
    )
    parent.add_argument("--company", metavar="NAME_OR_ID", default=argparse.SUPPRESS,
                        help="the company to work on (default: the current company)")
    parent.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print JSON for scripts")
    parent.add_argument("--demo", action="store_true", default=argparse.SUPPRESS,
                        help="work against the local demo sandboxes (Demo sandbox — no real "
                             "data), with demo books kept apart from your own")
    return parent


_GLOBAL = global_options()


def add_command(subparsers: SubParsers, name: str, *, help: str,
                **kwargs: Any) -> argparse.ArgumentParser:
    """A sub-command parser that also takes --db, --company and --json."""
    return subparsers.add_parser(name, help=help, description=help, parents=[_GLOBAL], **kwargs)


def add_subcommands(parser: argparse.ArgumentParser, title: str) -> SubParsers:
    return parser.add_subparsers(title=title, metavar="COMMAND", required=True)


class Context:
    """What a handler works with. The database opens on first use (so `--help` never opens it)."""

    def __init__(self, args: argparse.Namespace, out: IO[str] | None = None,
                 err: IO[str] | None = None) -> None:
        self.args = args
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.db_url: str | None = getattr(args, "db", None)
        self.company_selector: str | None = getattr(args, "company", None)
        self.json: bool = bool(getattr(args, "json", False))
        self.demo: bool = bool(getattr(args, "demo", False))
        #: With --demo: the running sandboxes (`sandbox.demo.DemoSandboxes`) and their endpoints.
        self.demo_sandboxes: Any = None
        self.demo_endpoints: Any = None
        self._db: Database | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = open_database(self.db_url)
        return self._db

    def company(self) -> Company:
        return companies.resolve_company(self.db, self.company_selector)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # --- output -------------------------------------------------------------------------------

    def print(self, text: str = "") -> None:
        print(text, file=self.out)

    def warn(self, text: str) -> None:
        print(f"bookkeeper: {text}", file=self.err)

    def emit_json(self, value: object) -> None:
        json.dump(to_jsonable(value), self.out, indent=2, ensure_ascii=False)
        self.out.write("\n")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]],
              *, right: Sequence[int] = ()) -> None:
        """A plain text table; columns in `right` are right-aligned (amounts)."""
        cells = [[_cell(v) for v in row] for row in rows]
        widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

        def line(values: Sequence[str]) -> str:
            return "  ".join(
                v.rjust(w) if i in right else v.ljust(w)
                for i, (v, w) in enumerate(zip(values, widths, strict=True))
            ).rstrip()

        self.print(line(headers))
        self.print(line(["-" * w for w in widths]))
        for row in cells:
            self.print(line(row))


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def to_jsonable(value: object) -> Any:
    """Dataclasses, enums, Decimals (as strings: exact) and dates (ISO) as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [to_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return value


def parse_date(text: str) -> dt.date:
    """argparse type for YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-03-31") from exc


def non_negative_int(text: str) -> int:
    """argparse type for a count."""
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from exc
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return value


def confirm(question: str, *, yes: bool, what_changes: str) -> None:
    """Go on when `--yes` was given or the user answers yes at a terminal; else `Cancelled`.
    Not at a terminal, refuse to ask (a script would hang): `what_changes` says why --yes is
    needed, e.g. "Undoing a sync changes QuickBooks Online or Xero"."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise ConfigurationError(f"{what_changes}: add --yes to confirm when not at a terminal.")
    if input(f"{question} [y/N] ").strip().lower() not in ("y", "yes"):
        raise Cancelled("Nothing was changed.")

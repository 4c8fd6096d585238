"""`bookkeeper`: the command line. `main(argv) -> exit status`.

Adding a command: write a module with `register(subparsers)` (see `cli.common`) and add its name to
`COMMAND_MODULES`: one line.

Exit statuses: 0 success; 2 usage errors (argparse) and configuration errors; otherwise the
`exit_code` of the `BookkeeperError` raised (1 by default, 130 when cancelled). Errors print one
line on stderr: `bookkeeper: error: <what happened> <what to do>`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from contextlib import ExitStack
from typing import IO

from bookkeeper_desktop import __version__
from bookkeeper_desktop.cli.common import Context, Handler, add_subcommands, global_options
from bookkeeper_desktop.core.errors import BookkeeperError, ValidationError
from bookkeeper_desktop.demo_mode import enter_demo_mode

#: Every command module; each has `register(subparsers)`. Add a module here to add its commands.
COMMAND_MODULES: tuple[str, ...] = (
    "bookkeeper_desktop.cli.companies",
    "bookkeeper_desktop.cli.status",
    "bookkeeper_desktop.cli.entries",
    "bookkeeper_desktop.cli.contacts_commands",
    "bookkeeper_desktop.cli.formats_commands",
    "bookkeeper_desktop.cli.connect_commands",
    "bookkeeper_desktop.cli.demo_commands",
    "bookkeeper_desktop.cli.sync_commands",
    "bookkeeper_desktop.cli.statement_commands",
    "bookkeeper_desktop.cli.mappings_commands",
)

INTERNAL_ERROR_EXIT = 70  # EX_SOFTWARE
DEBUG_ENV = "BOOKKEEPER_DEBUG"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bookkeeper",
        description="Bookkeeper Desktop from the command line: companies, entries, imports, "
                    "exports and sync, for scripts and scheduled tasks.",
        parents=[global_options()],
    )
    parser.add_argument("--version", action="version", version=f"bookkeeper {__version__}")
    subparsers = add_subcommands(parser, "commands")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def one_line(error: BookkeeperError) -> str:
    """The error as one line: message, every problem, and the hint."""
    parts = [error.message]
    if isinstance(error, ValidationError) and error.problems:
        parts.append("; ".join(p.rstrip(".") for p in error.problems) + ".")
    problems = getattr(error, "problems", None)
    if problems and not isinstance(error, ValidationError):
        parts.append("; ".join(str(p) for p in problems) + ".")
    if error.hint:
        parts.append(error.hint)
    return " ".join(part.replace("\n", " ") for part in parts)


def main(argv: Sequence[str] | None = None, *, out: IO[str] | None = None,
         err: IO[str] | None = None) -> int:
    errors = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, usage errors (2)
        return exit_.code if isinstance(exit_.code, int) else 0
    handler: Handler = args.handler
    context = Context(args, out=out, err=errors)
    demo = ExitStack()
    try:
        if context.demo:
            context.demo_endpoints, context.demo_sandboxes = enter_demo_mode(demo)
        return handler(context, args)
    except BookkeeperError as exc:
        print(f"bookkeeper: error: {one_line(exc)}", file=errors)
        return exc.exit_code
    except KeyboardInterrupt:
        print("bookkeeper: interrupted", file=errors)
        return 130
    except Exception as exc:
        if os.environ.get(DEBUG_ENV):
            traceback.print_exc(file=errors)
        print(f"bookkeeper: internal error: {type(exc).__name__}: {exc} "
              f"(set {DEBUG_ENV}=1 for details)", file=errors)
        return INTERNAL_ERROR_EXIT
    finally:
        context.close()
        demo.close()


if __name__ == "__main__":
    sys.exit(main())

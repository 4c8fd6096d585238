"""Developer helper: `python -m bookkeeper_desktop.storage.migrations revision -m MESSAGE`.

Upgrades a scratch SQLite database to head, then autogenerates a revision from the difference
between it and `storage.schema`. Review the generated file before committing it.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from bookkeeper_desktop.storage.engine import alembic_config


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bookkeeper_desktop.storage.migrations")
    sub = parser.add_subparsers(dest="command", required=True)
    revision = sub.add_parser("revision", help="autogenerate a new revision")
    revision.add_argument("-m", "--message", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite:///{Path(folder) / 'scratch.sqlite'}")
        with engine.begin() as connection:
            config = alembic_config(connection)
            command.upgrade(config, "head")
            command.revision(config, message=args.message, autogenerate=True)
        engine.dispose()


if __name__ == "__main__":
    main()

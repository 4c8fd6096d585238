"""CLI fixtures: run `main([...])` in-process against a temporary SQLite database."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bookkeeper_desktop.cli.main import main


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Cli:
    """`cli("entries", "list")` runs the command on this test's database."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url

    def __call__(self, *argv: str, db: bool = True) -> Result:
        out, err = io.StringIO(), io.StringIO()
        args = ["--db", self.db_url, *argv] if db else list(argv)
        code = main(args, out=out, err=err)
        return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "books.sqlite"


@pytest.fixture
def cli(db_path: Path) -> Cli:
    return Cli(f"sqlite:///{db_path}")

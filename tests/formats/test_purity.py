"""`formats/` is pure: importing all of it loads neither Qt nor SQLAlchemy (STYLE.md practice 1;
the brief of issue 3: "pure Python, no Qt, no SQLAlchemy")."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "bookkeeper_desktop" / "formats"


def test_formats_import_neither_qt_nor_sqlalchemy() -> None:
    modules = sorted(f"bookkeeper_desktop.formats.{p.stem}" for p in PACKAGE.glob("*.py")
                     if p.stem != "__init__")
    assert "bookkeeper_desktop.formats.iif" in modules
    code = ("import importlib, sys\n"
            f"for name in {modules!r}: importlib.import_module(name)\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'sqlalchemy', 'shiboken6'))\n"
            "print(','.join(bad))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=PACKAGE.parents[1])
    assert result.stdout.strip() == ""

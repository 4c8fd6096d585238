"""The relay and the desktop app stay apart: the relay's image carries none of the desktop app,
and the desktop bundle none of the relay (its 220 MB budget)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_after(statement: str) -> set[str]:
    """Top-level module names loaded by `statement` in a fresh interpreter."""
    code = (f"{statement}\nimport sys\n"
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=ROOT)
    return set(result.stdout.split())


def test_the_relay_needs_nothing_of_the_desktop_app() -> None:
    loaded = imported_after("import bookkeeper_relay.__main__")
    assert "bookkeeper_desktop" not in loaded
    assert "PySide6" not in loaded


def test_the_desktop_app_and_command_line_load_nothing_of_the_relay() -> None:
    loaded = imported_after("import bookkeeper_desktop.app, bookkeeper_desktop.cli.main")
    assert not loaded & {"bookkeeper_relay", "starlette", "uvicorn"}


def test_the_bundle_excludes_the_relay_and_its_server() -> None:
    spec = (ROOT / "bookkeeper.spec").read_text(encoding="utf-8")
    excludes = spec[spec.index("excludes = ["):]
    excludes = excludes[:excludes.index("]")]
    for name in ("bookkeeper_relay", "starlette", "uvicorn"):
        assert f'"{name}"' in excludes


def test_the_image_installs_what_the_relay_extra_names() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extra = {re.split(r"[<>=\[]", item)[0] for item in project["optional-dependencies"]["relay"]}
    test_extra = {re.split(r"[<>=\[]", item)[0] for item in
                  project["optional-dependencies"]["test"]}
    assert extra <= test_extra, "CI installs .[test]: the relay's tests need its libraries"
    pinned = {line.split("==")[0] for line in
              (ROOT / "build/relay/requirements.txt").read_text(encoding="utf-8").splitlines()
              if line and not line.startswith("#")}
    # httpx is a core dependency of the package; the image installs it by name.
    assert pinned == extra | {"httpx"}
    assert project["scripts"]["bookkeeper-relay"] == "bookkeeper_relay.__main__:main"

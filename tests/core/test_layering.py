"""The core packages import no Qt (STYLE.md practice 1): checked by importing every module of
them in a fresh interpreter and looking at what got loaded."""

import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "bookkeeper_desktop"
CORE_PACKAGES = ("core", "storage", "formats", "providers", "sync", "sandbox", "services")


def core_modules() -> list[str]:
    names = []
    for package in CORE_PACKAGES:
        for path in sorted((PACKAGE / package).rglob("*.py")):
            if "migrations" in path.parts and path.name != "__init__.py":
                continue  # Alembic revision scripts run only under Alembic
            relative = path.relative_to(PACKAGE.parent).with_suffix("")
            parts = list(relative.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if parts[-1] == "__main__":
                continue
            names.append(".".join(parts))
    return names


def test_core_packages_import_no_pyside6() -> None:
    modules = core_modules()
    assert "bookkeeper_desktop.core.journal" in modules
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"Qt imported by the core: {result.stdout}"

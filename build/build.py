"""Build the one-folder bundle with PyInstaller and smoke-test it.

    python build/build.py            build dist/bookkeeper-desktop/ and check it
    python build/build.py --check    only check an existing bundle

The checks fail (non-zero exit) when the bundle is broken: a missing hidden import or resource
shows up as the window failing `--smoke-test`, or the bundled `bookkeeper` failing to create the
sample company and export it to IIF.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"
BUNDLE = DIST / "bookkeeper-desktop"
EXE_SUFFIX = ".exe" if sys.platform == "win32" else ""


def build() -> None:
    subprocess.run(  # noqa: S603 - PyInstaller from this venv, fixed arguments
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--workpath", str(WORK), "--distpath", str(DIST), str(ROOT / "bookkeeper.spec")],
        check=True, cwd=ROOT,
    )


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def run(args: list[str], env: dict[str, str], timeout: float = 120
        ) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, env=env,  # noqa: S603 - our own bundle
                            timeout=timeout, check=False)
    if result.returncode != 0:
        sys.stderr.write(f"FAILED: {' '.join(args)}\n{result.stdout}\n{result.stderr}\n")
        raise SystemExit(1)
    return result


def check() -> None:
    gui = BUNDLE / f"bookkeeper-desktop{EXE_SUFFIX}"
    cli = BUNDLE / f"bookkeeper{EXE_SUFFIX}"
    for exe in (gui, cli):
        if not exe.exists():
            raise SystemExit(f"FAILED: {exe} is missing")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "BOOKKEEPER_DATA_DIR": tmp}
        env.pop("BOOKKEEPER_DB_URL", None)
        started = time.perf_counter()
        run([str(gui), "--smoke-test"], env)
        smoke_seconds = time.perf_counter() - started
        if sys.platform.startswith("linux") and shutil.which("xvfb-run"):
            # Also on a real X server: the xcb platform plugin and its libraries must load.
            run(["xvfb-run", "-a", str(gui), "--smoke-test"],
                {**env, "QT_QPA_PLATFORM": "xcb"})
        run([str(cli), "companies", "create", "--sample", "Smoke Test Bakery"], env)
        out = Path(tmp) / "sample.iif"
        run([str(cli), "--company", "Smoke Test Bakery", "export", "--format", "iif",
             "--status", "posted", "--out", str(out)], env)
        text = out.read_bytes().decode("cp1252")
        if "!TRNS" not in text or "ENDTRNS" not in text:
            raise SystemExit(f"FAILED: the bundled export wrote no journal entries:\n{text[:500]}")
    size_mb = folder_size(BUNDLE) / 1e6
    print(f"bundle OK: {BUNDLE} is {size_mb:.0f} MB; --smoke-test took {smoke_seconds:.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check an existing bundle")
    args = parser.parse_args()
    if not args.check:
        build()
    check()
    return 0


if __name__ == "__main__":
    sys.exit(main())

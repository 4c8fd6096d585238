"""Start to a usable window (budget: under 1.5 s from source, PRODUCT.md §7).

Measures, from outside, the wall time from launching `python -m bookkeeper_desktop` to the moment
the window is shown and its start-up reads (companies, the ledger's chart and first page, the
integrations) have finished (`--exit-when-ready` prints "ready: <title>" then). Includes the
interpreter, imports, opening (and migrating) the database and building every pane. Offscreen.

    .venv/bin/python benchmarks/bench_gui_start.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bookkeeper_desktop import sample_data
from bookkeeper_desktop.services import companies, open_database

REPO = Path(__file__).resolve().parents[1]


def launch(env: dict[str, str], db_url: str) -> tuple[float, float]:
    """(wall seconds to "ready", CPU seconds the app used) — CPU time barely moves when other
    work loads the machine, wall time does."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bookkeeper_desktop", "--db", db_url, "--exit-when-ready"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("ready"):
            elapsed = time.perf_counter() - started
            process.wait(timeout=30)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            return elapsed, cpu
    raise SystemExit(f"the app exited without becoming ready (status {process.wait()})")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "BOOKKEEPER_DATA_DIR": tmp}
        env.pop("BOOKKEEPER_DB_URL", None)
        os.environ["BOOKKEEPER_DATA_DIR"] = tmp
        fresh = f"sqlite:///{Path(tmp) / 'fresh.sqlite'}"
        sample = f"sqlite:///{Path(tmp) / 'sample.sqlite'}"
        db = open_database(sample)
        company = sample_data.create_sample_company(db, "Sample Company (demo data)")
        companies.switch_company(db, company.id)
        db.close()
        launch(env, sample)  # warm the OS file cache once, as a second start would be
        cases = {"new empty database (creates and migrates it)": None,
                 "sample company (360 entries), remembered as current": sample}
        print(f"# {platform.node()} {platform.system()} {platform.release()}, "
              f"{os.cpu_count()} CPUs, Python {platform.python_version()}")
        for label, url in cases.items():
            times, cpus = [], []
            for run in range(args.runs):
                target = url or f"{fresh[:-7]}-{run}.sqlite"
                wall, cpu = launch(env, target)
                times.append(wall)
                cpus.append(cpu)
            print(f"{label}: wall median {statistics.median(times):.3f} s, "
                  f"min {min(times):.3f} s, max {max(times):.3f} s; CPU median "
                  f"{statistics.median(cpus):.3f} s over {args.runs} runs")
        print(f"load average during the runs: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

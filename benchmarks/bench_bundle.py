"""Packaging budgets (issue 7): size of the one-folder bundle on disk and its start-up time to a
usable window. Build first (`python build/build.py`), then run by hand:

    .venv/bin/python benchmarks/bench_bundle.py [--runs 5]

Start-up is timed with the app's `--exit-when-ready` (it quits as soon as the window is shown and
the start-up jobs have settled), offscreen, on a sample company.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUNDLE = Path(__file__).resolve().parents[1] / "dist" / "bookkeeper-desktop"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    size = sum(f.stat().st_size for f in BUNDLE.rglob("*") if f.is_file() and not f.is_symlink())
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "BOOKKEEPER_DATA_DIR": data}
        subprocess.run([str(BUNDLE / "bookkeeper"), "companies", "create", "--sample", "Bench"],
                       env=env, check=True, capture_output=True)
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            subprocess.run([str(BUNDLE / "bookkeeper-desktop"), "--exit-when-ready"], env=env,
                           check=True, capture_output=True)
            times.append(time.perf_counter() - started)
    print(f"bundle size: {size / 1e6:.1f} MB (budget 220 MB)")
    print(f"start to a usable window: median {statistics.median(times):.2f} s, "
          f"max {max(times):.2f} s over {len(times)} runs (budget 2 s)")
    print(f"load average: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

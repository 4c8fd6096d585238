"""What a first pull of 20,000 objects cannot go below on this machine (issue 15).

Run by hand (about 2 minutes; prints Markdown for benchmarks/RESULTS.md):

    .venv/bin/python benchmarks/bench_pull_floor.py
    .venv/bin/python benchmarks/bench_pull_floor.py --only xero --pull 5000 --repeats 3

`bench_sync_latency.py` compares our pull with the network's bound: the time the provider's
answers take at its concurrency limit, which no client can beat. This one asks how much of our
own time is work done in C that any client storing what it reads must pay for in some form:

- **parsing** the pages' JSON (`json.loads`, amounts as Decimal: `sync.payloads.loads`), timed
  again on the very bodies the pull received;
- **encoding** each object for its JSON column (the engine's serializer), timed on the parsed
  objects;
- **the database driver**: every statement and commit the pull sent to SQLite (sqlite3's
  `execute`/`executemany`/`commit`, timed around SQLAlchemy's dialect calls: inserting about
  80,000 rows into tables with their indexes, and the few look-ups per page).

What is left of the pull's CPU time is our own Python: building each entry and its lines,
fingerprints, the rows' stored forms, the readers' threads. The pull runs with the latency off
(the sandbox answers at once) in a fresh database each time, the start-up heap frozen as the app
freezes it. A pull with the latency on (as `bench_sync_latency.py` runs it) gives the network's
bound for the same requests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sync_latency import bounds, fresh_books, measured
from sqlalchemy.engine.default import DefaultDialect
from sync_setup import MemoryKeyring, SandboxSpec, connect, remote, timed_sync

from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.storage.engine import _json_text
from bookkeeper_desktop.sync import clients, payloads


@dataclass
class Floor:
    """One pull with the latency off: its wall and CPU time, and the C-level parts of it."""

    wall: float
    cpu: float
    parsing: float
    encoding: float
    driver: float
    bodies: int
    megabytes: float
    objects: int


@contextmanager
def watched() -> Iterator[tuple[list[bytes], list[float]]]:
    """The page bodies the client parses, and the seconds spent in the database driver, while
    inside."""
    bodies: list[bytes] = []
    driver = [0.0]
    parse = clients.loads

    def recorded(data: bytes | str) -> Any:
        bodies.append(data if isinstance(data, bytes) else data.encode())
        return parse(data)

    def timed(call: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                driver[0] += time.perf_counter() - started
        return run

    originals = {name: getattr(DefaultDialect, name)
                 for name in ("do_execute", "do_executemany", "do_execute_no_params", "do_commit")}
    clients.loads = recorded  # type: ignore[assignment]
    for name, call in originals.items():
        setattr(DefaultDialect, name, timed(call))
    try:
        yield bodies, driver
    finally:
        clients.loads = parse  # type: ignore[assignment]
        for name, call in originals.items():
            setattr(DefaultDialect, name, call)


def objects_of(answer: Any) -> list[Any]:
    """The objects in a QBO query answer or a Xero collection answer."""
    found: list[Any] = []
    for value in (answer.get("QueryResponse") or answer).values():
        if isinstance(value, list):
            found.extend(item for item in value if isinstance(item, dict))
    return found


def cpu_seconds(work: Callable[[], Any]) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


def floor_run(server: Any, provider: str, folder: Path, keychain: Keychain, name: str) -> Floor:
    with fresh_books(folder, name) as db:
        company_id, env = connect(db, provider, server.base_url, keychain)
        server.fresh_limits()
        clients.forget_budgets()
        gc.collect()
        gc.freeze()
        try:
            with watched() as (bodies, driver):
                cpu = time.process_time()
                wall, _counts = timed_sync(db, company_id, provider, env, keychain=keychain,
                                           scale=1.0, pull=True, push=False)
                cpu = time.process_time() - cpu
        finally:
            gc.unfreeze()
    parsed: list[Any] = []
    parsing = cpu_seconds(lambda: parsed.extend(payloads.loads(body) for body in bodies))
    objects = [obj for answer in parsed if isinstance(answer, dict) for obj in objects_of(answer)]
    encoding = cpu_seconds(lambda: [_json_text(obj) for obj in objects])
    return Floor(wall, cpu, parsing, encoding, driver[0], len(bodies),
                 sum(map(len, bodies)) / 1e6, len(objects))


def bench(provider: str, count: int, repeats: int, folder: Path, keychain: Keychain
          ) -> tuple[float, float, list[Floor]]:
    """(our time with the latency on, the network's combined bound, the latency-off runs)."""
    with remote(SandboxSpec(provider, count=count)) as server:
        with fresh_books(folder, f"{provider}-on") as db:
            company_id, env = connect(db, provider, server.base_url, keychain)
            run = measured(server, partial(timed_sync, db, company_id, provider, env,
                                           keychain=keychain, scale=1.0, pull=True, push=False))
        combined = bounds(provider, "pull", run)[2]
        floors = [floor_run(server, provider, folder, keychain, f"{provider}-off-{n}")
                  for n in range(repeats)]
    return run.seconds, combined, floors


def rows(provider: str, count: int, ours: float, bound: float, floors: list[Floor]) -> list[str]:
    lines = []
    for floor in floors:
        c_level = floor.parsing + floor.encoding + floor.driver
        cells = [provider, f"{count:,}", f"{bound:.1f}", f"{ours:.1f}", f"{floor.wall:.1f}",
                 f"{floor.cpu:.1f}",
                 f"{floor.parsing:.2f} ({floor.megabytes:.0f} MB)", f"{floor.encoding:.2f}",
                 f"{floor.driver:.2f}", f"**{c_level:.1f}**", f"{c_level / bound:.0%}",
                 f"{max(floor.cpu - c_level, 0):.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("qbo", "xero"))
    parser.add_argument("--pull", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    providers = (args.only,) if args.only else ("qbo", "xero")
    keychain = Keychain(MemoryKeyring())
    started = dt.datetime.now(dt.UTC)
    table = []
    with tempfile.TemporaryDirectory() as folder:
        for provider in providers:
            print(f"{provider}: pull {args.pull:,}…", file=sys.stderr, flush=True)
            ours, bound, floors = bench(provider, args.pull, args.repeats, Path(folder), keychain)
            table.extend(rows(provider, args.pull, ours, bound, floors))
    load = os.getloadavg()
    print(f"{started:%Y-%m-%d %H:%M} UTC, load {load[0]:.2f}; {platform.platform()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}\n")
    print("| provider | objects | network's bound (s) | ours, latency on (s) "
          "| ours, latency off (s) | its CPU (s) | parsing (s) | JSON columns (s) "
          "| database driver (s) | **C-level work (s)** | C-level ÷ bound | our Python (s) |")
    print("|" + "---|" * 12)
    print("\n".join(table))


if __name__ == "__main__":
    main()

"""How soon a first sync's transaction pages start, at real-world latency (issue 15, the pull's
first reads: `sync.pull_reads`).

Run by hand (prints Markdown for benchmarks/RESULTS.md):

    .venv/bin/python benchmarks/bench_first_reads.py --only qbo --repeats 3

The sandbox runs in its own process with its limits on at time scale 1 and the modelled latency
("realistic", seed 15; estimates), as in bench_sync_latency.py, whose helpers it uses. For each
run, fresh books pull `--pull` objects (first sync) and we record, from the start of the run:
when the first transaction page was asked for and answered (httpx hooks on the client's own
connection), when the first page was stored (the progress line's first "Reading transactions …"
with a count above 0), and the whole pull. Only public interfaces are used, so the same script
runs against an older checkout (`PYTHONPATH=<checkout>`) for a before/after in one sitting.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sync_setup import MemoryKeyring, SandboxSpec, connect, remote

from bookkeeper_desktop.core.progress import Progress, ProgressSnapshot
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.services.sync import open_client, run_sync
from bookkeeper_desktop.storage.engine import open_database
from bookkeeper_desktop.sync.clients import forget_budgets
from bookkeeper_desktop.sync.remote_entries import QBO_ENTITIES, XERO_COLLECTIONS

LATENCY_SEED = 15


def is_transaction_page(provider: str, url: httpx.URL) -> bool:
    if provider == "qbo":
        text = url.params.get("query", "")
        return "startposition" in text and text.split(" from ", 1)[1].split()[0] in QBO_ENTITIES
    return url.path.rsplit("/", 1)[1] in XERO_COLLECTIONS


class Moments:
    """The first transaction page asked for, answered and stored (seconds after `started`)."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.started = time.perf_counter()
        self.lock = threading.Lock()
        self.seen: dict[str, float] = {}

    def mark(self, what: str) -> None:
        with self.lock:
            self.seen.setdefault(what, time.perf_counter() - self.started)

    def asked(self, request: httpx.Request) -> None:
        if is_transaction_page(self.provider, request.url):
            self.mark("asked")

    def answered(self, response: httpx.Response) -> None:
        if is_transaction_page(self.provider, response.request.url):
            self.mark("answered")

    def progress(self, snapshot: ProgressSnapshot) -> None:
        if (snapshot.phase or "").startswith("Reading transactions") and snapshot.done > 0:
            self.mark("stored")


def one_pull(server_url: str, provider: str, folder: Path, keychain: Keychain, name: str
             ) -> tuple[Moments, float]:
    path = folder / f"{name}.sqlite"
    path.unlink(missing_ok=True)
    with open_database(f"sqlite:///{path}") as db:
        company_id, env = connect(db, provider, server_url, keychain)
        with open_client(db, company_id, provider, keychain=keychain, env=env,
                         time_scale=1.0) as client:
            moments = Moments(provider)
            default = client.api.http
            client.api.http = httpx.Client(timeout=120.0, event_hooks={
                "request": [moments.asked], "response": [moments.answered]})
            default.close()
            moments.started = time.perf_counter()
            result = run_sync(db, company_id, provider, pull=True, push=False, client=client,
                              progress=Progress(moments.progress))
            total = time.perf_counter() - moments.started
    if not result.ok:
        raise SystemExit(f"{provider} pull failed: {result.message}")
    return moments, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pull", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=["qbo", "xero"])
    parser.add_argument("--label", default="", help="what code this is (before / after)")
    args = parser.parse_args()
    keychain = Keychain(MemoryKeyring())
    rows: list[str] = []
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        for provider in ([args.only] if args.only else ["qbo", "xero"]):
            with remote(SandboxSpec(provider, count=args.pull)) as server:
                for repeat in range(args.repeats):
                    server.fresh_limits()
                    forget_budgets()
                    server.test_call("POST", "latency", {"profile": "realistic",
                                                         "seed": LATENCY_SEED})
                    moments, total = one_pull(server.base_url, provider, Path(folder), keychain,
                                              f"{provider}-{repeat}")
                    latency = server.test_call("GET", "latency")
                    server.test_call("POST", "latency", {"profile": "off"})
                    seen = moments.seen
                    rows.append(f"| {provider} | {args.label} | {repeat + 1} | "
                                f"{seen.get('asked', 0):.2f} | {seen.get('answered', 0):.2f} | "
                                f"{seen.get('stored', 0):.2f} | {total:.1f} | "
                                f"{latency['requests']} | {latency['peak_in_flight']} |")
                    print(rows[-1], file=sys.stderr, flush=True)
    print(f"Machine: `{' '.join(platform.uname())}`, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}; load average at start {load:.2f}, at end "
          f"{os.getloadavg()[0]:.2f}. Latency 'realistic' (seed {LATENCY_SEED}), limits at "
          "time scale 1.\n")
    print("| provider | code | run | first page asked (s) | first page answered (s) | "
          "first page stored (s) | pull (s) | requests | peak in flight |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()

"""A sign-in renewal killed at random moments, many times (issue #13 §3), against the sandboxes.

    .venv/bin/python benchmarks/bench_refresh_crash.py --runs 300

Each run starts `tests/providers/crash_refresh_child.py` (a fresh process renewing the sign-in,
as `bookkeeper sync` does when the saved access token has expired), with the sandbox's token
endpoint slowed before handling (`latency`) and after (`latency_after`) by random amounts, and
SIGKILLs it at a random moment after it saved its renewal mark — or has it kill itself just before
or after a random keychain write. Then a fresh start asks for an access token and it is tried on
the API. Outcomes:

- `recovered`: the fresh start got a working token (the keychain holds the newest one, no mark);
- `exact message`: QBO refused a token it had already rotated (the kill lost the successor: no
  client can recover, refresh tokens are single-use) and the message says the renewal was
  interrupted, with Reconnect; the benchmark then reconnects;
- `wrong`: anything else — a lockout where the provider's rules allow recovery (any Xero lockout
  within its 30-minute grace, a QBO lockout without a rotation), or a generic message. Must be 0.

Prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bookkeeper_desktop.core.errors import ReconnectNeeded  # noqa: E402
from bookkeeper_desktop.providers.config import Provider, load_config  # noqa: E402
from bookkeeper_desktop.sandbox.oauth import fingerprint  # noqa: E402
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox  # noqa: E402
from bookkeeper_desktop.sandbox.server import SandboxServer  # noqa: E402
from bookkeeper_desktop.sandbox.xero_server import XeroSandbox  # noqa: E402
from tests.providers.conftest import COMPANY, sandbox_env  # noqa: E402
from tests.providers.refresh_worker import api_status  # noqa: E402
from tests.providers.test_refresh_crash import (  # noqa: E402
    INTERRUPTED,
    Shared,
    finish,
    fresh_start,
    kill_when,
    wrote_mark,
)
from tests.providers.test_token_processes import TOKEN_PATHS, connect  # noqa: E402


def one_run(shared: Shared, rng: random.Random, writes: int) -> tuple[str, str]:
    """One interrupted renewal and a fresh start: (how it was killed, outcome)."""
    token_path = TOKEN_PATHS[shared.provider]
    shared.sandbox.clear_faults()
    how = rng.choice(["moment", "moment", "before write", "after write"])
    if how == "moment":
        shared.sandbox.inject_latency(rng.uniform(0.0, 0.15), path=token_path, count=1)
        shared.sandbox.hold_answers(rng.uniform(0.0, 0.15), path=token_path, count=1)
        process = shared.child()
        kill_when(process, wrote_mark(process), delay=rng.uniform(0.0, 0.4))
        time.sleep(0.35)  # let the sandbox finish a request the dead process left behind
    elif how == "before write":
        finish(shared.child(kill_before_write=rng.randint(1, writes)))
    else:
        finish(shared.child(kill_after_write=rng.randint(1, writes)))
    keychain = shared.keychain()
    held = keychain.load_token(COMPANY, shared.provider)
    if held is None:
        return how, "wrong"
    rotated_unsaved = shared.sandbox.oauth.refresh_tokens[
        fingerprint(held.refresh_token)].successor is not None
    started = fresh_start(shared)
    if isinstance(started, ReconnectNeeded):
        exact = (shared.provider is Provider.QBO and rotated_unsaved
                 and INTERRUPTED in started.message)
        connect(shared.config, keychain)
        return how, "exact message" if exact else "wrong"
    works = api_status(shared.config, started, str(held.metadata["tenant_id"])) == 200
    after = keychain.load_token(COMPANY, shared.provider)
    clean = after is not None and after.refresh_started_at is None
    return how, "recovered" if works and clean else "wrong"


def bench(provider: str, runs: int, seed: int) -> Counter[tuple[str, str]]:
    rng = random.Random(seed)
    sandbox: SandboxServer = QboSandbox(limits=False) if provider == "qbo" \
        else XeroSandbox(limits=False)
    outcomes: Counter[tuple[str, str]] = Counter()
    with sandbox, tempfile.TemporaryDirectory() as folder:
        env = sandbox_env(**{provider: sandbox})  # type: ignore[arg-type]
        shared = Shared(sandbox, load_config(provider, env=env), env,
                        Path(folder) / "keyring.json", Path(folder) / "refresh.lock")
        connect(shared.config, shared.keychain())
        code, output = finish(shared.child())
        assert code == 0, output
        writes = sum(1 for line in output.splitlines() if line.startswith("wrote "))
        for number in range(runs):
            outcomes[one_run(shared, rng, writes)] += 1
            if (number + 1) % 50 == 0:
                print(f"  {provider}: {number + 1}/{runs}", file=sys.stderr)
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="interrupted renewals per provider")
    parser.add_argument("--only", choices=["qbo", "xero"])
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    started = time.monotonic()
    print(f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, "
          f"load average {os.getloadavg()[0]:.2f}")
    print()
    print("| provider | killed | runs | recovered | exact message | wrong |")
    print("|---|---|---|---|---|---|")
    wrong = 0
    for provider in [args.only] if args.only else ["qbo", "xero"]:
        outcomes = bench(provider, args.runs, args.seed)
        for how in ("moment", "before write", "after write"):
            row = {outcome: n for (kind, outcome), n in outcomes.items() if kind == how}
            print(f"| {provider} | {how} | {sum(row.values())} | {row.get('recovered', 0)} | "
                  f"{row.get('exact message', 0)} | {row.get('wrong', 0)} |")
        wrong += sum(n for (_, outcome), n in outcomes.items() if outcome == "wrong")
    print(f"\nTook {time.monotonic() - started:.0f} s.")
    return 1 if wrong else 0


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.exit(main())

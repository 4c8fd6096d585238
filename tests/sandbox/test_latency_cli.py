"""`python -m bookkeeper_desktop.sandbox --latency …`: the flag reaches both sandboxes (read back
through `/__sandbox__/latency`), off without it, and a wrong value is refused by name."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx
import pytest

from bookkeeper_desktop.sandbox.__main__ import main
from bookkeeper_desktop.sandbox.latency import PROFILES


def _latency_of_a_running_sandbox(http: httpx.Client, *flags: str) -> list[dict[str, object]]:
    """Start the module in its own process with `flags`, read both sandboxes' latency, stop it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bookkeeper_desktop.sandbox", "--port-qbo", "0",
         "--port-xero", "0", *flags],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(6)]
        urls = [line.split()[-1] for line in lines if line.startswith(("QBO sandbox:",
                                                                       "Xero sandbox:"))]
        assert len(urls) == 2, lines
        return [http.get(url + "/__sandbox__/latency").json() for url in urls]
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child needs a POSIX system")
def test_latency_flag_sets_both_sandboxes(http: httpx.Client) -> None:
    qbo, xero = _latency_of_a_running_sandbox(http, "--latency", "realistic,seed=11")
    assert (qbo["enabled"], qbo["seed"], qbo["base"]) == (True, 11, PROFILES["qbo"].base)
    assert (xero["enabled"], xero["seed"], xero["base"]) == (True, 11, PROFILES["xero"].base)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child needs a POSIX system")
def test_latency_figures_on_the_command_line_and_off_by_default(http: httpx.Client) -> None:
    qbo, xero = _latency_of_a_running_sandbox(http, "--latency", "base=0.05,spread=0")
    assert (qbo["enabled"], qbo["base"], qbo["spread"]) == (True, 0.05, 0.0)
    assert qbo["read"] == PROFILES["qbo"].read  # figures left out: the vendor's own
    assert xero["read"] == PROFILES["xero"].read
    assert [s["enabled"] for s in _latency_of_a_running_sandbox(http)] == [False, False]


def test_a_wrong_latency_is_refused_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--latency", "speedy"])
    assert stopped.value.code == 2
    assert "--latency" in capsys.readouterr().err

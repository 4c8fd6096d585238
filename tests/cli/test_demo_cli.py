"""`--demo` on the command line: the sandboxes start, demo books and tokens stay apart from the
user's own, and `sandbox-reset` starts the sandboxes afresh."""

import io
import json
import os
from pathlib import Path

import httpx

from bookkeeper_desktop.cli.main import main
from bookkeeper_desktop.providers.keychain import SERVICE_ENV


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_demo_status_names_the_sandboxes_and_keeps_secrets_out(isolated_data_dir: Path) -> None:
    status, out, err = run("--demo", "status", "--json")
    assert status == 0, err
    report = json.loads(out)
    demo = report["demo"]
    assert demo["label"] == "Demo sandbox — no real data"
    assert demo["qbo_url"].startswith("http://127.0.0.1:")
    assert demo["xero_url"].startswith("http://127.0.0.1:")
    assert "secret" not in out.lower()
    assert report["database"] == str(isolated_data_dir / "demo" / "books.sqlite")
    # The sandboxes are stopped once the command ends, and the environment is as it was.
    assert SERVICE_ENV not in os.environ
    assert os.environ["BOOKKEEPER_DATA_DIR"] == str(isolated_data_dir)
    try:
        httpx.get(demo["qbo_url"] + "/.well-known/openid_configuration", timeout=1)
        reachable = True
    except httpx.TransportError:
        reachable = False
    assert not reachable


def test_demo_books_are_apart_from_the_real_ones() -> None:
    assert run("--demo", "companies", "create", "Demo Bakery")[0] == 0
    status, out, _ = run("companies", "list", "--json")
    assert status == 0
    assert json.loads(out) == []
    status, out, _ = run("--demo", "companies", "list", "--json")
    assert [c["name"] for c in json.loads(out)] == ["Demo Bakery"]


def test_demo_state_is_kept_between_commands_and_reset_forgets_it(
        isolated_data_dir: Path) -> None:
    from bookkeeper_desktop.sandbox.demo import DemoSandboxes

    state_file = isolated_data_dir / "demo" / "demo_sandboxes.json"
    assert run("--demo", "status")[0] == 0
    assert state_file.exists()
    # Something changes in the demo (a company added at the QBO sandbox) and is saved...
    with DemoSandboxes(state_file) as sandboxes:
        assert sandboxes.qbo is not None
        sandboxes.qbo.add_company("4620816365999999999", "Added During The Demo")
    assert "Added During The Demo" in state_file.read_text()
    # ...survives the next demo command...
    assert run("--demo", "status")[0] == 0
    assert "Added During The Demo" in state_file.read_text()
    # ...and sandbox-reset starts afresh from the seeded companies.
    status, out, err = run("--demo", "sandbox-reset")
    assert status == 0, err
    assert "were reset" in out
    assert state_file.exists()
    assert "Added During The Demo" not in state_file.read_text()


def test_sandbox_reset_needs_demo() -> None:
    status, _, err = run("sandbox-reset")
    assert status == 2
    assert "bookkeeper --demo sandbox-reset" in err

"""`bookkeeper connect` / `bookkeeper disconnect` end to end: the real command (in-process, and as
a console process with a `BROWSER` command) against the sandboxes, the database and a keychain.

In-process runs select keyring's backend with `keyring.set_keyring` (keyring's own API for choosing
one) to an in-memory backend defined in the providers tests; subprocess runs use the real Secret
Service and are marked `keychain` (they skip without one)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from bookkeeper_desktop.cli.main import main
from bookkeeper_desktop.providers.config import Provider
from bookkeeper_desktop.providers.keychain import Keychain
from bookkeeper_desktop.sandbox.qbo_server import QboSandbox
from bookkeeper_desktop.sandbox.xero_server import DEMO_ORGANISATIONS, XeroSandbox
from bookkeeper_desktop.services import companies, connections
from bookkeeper_desktop.storage.engine import open_database
from bookkeeper_desktop.storage.records import ConnectionStatus
from tests.providers.conftest import MemoryKeyring, ScriptedBrowser, sandbox_env

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def sandboxes(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[QboSandbox, XeroSandbox]]:
    with QboSandbox(limits=False) as qbo, XeroSandbox(limits=False) as xero:
        for key in ("QBO_CLIENT_SECRET", "XERO_CLIENT_SECRET"):
            monkeypatch.delenv(key, raising=False)
        for key, value in sandbox_env(qbo=qbo, xero=xero).items():
            monkeypatch.setenv(key, value)
        yield qbo, xero


@pytest.fixture
def memory_backend() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'books.sqlite'}"
    db = open_database(url)
    companies.create_company(db, "Acme Books")
    db.close()
    return url


class Running:
    """`main(argv)` in a thread, with its output readable while it runs."""

    def __init__(self, argv: list[str]) -> None:
        self.out, self.err = io.StringIO(), io.StringIO()
        self.code: int | None = None
        self.thread = threading.Thread(target=self._run, args=(argv,))
        self.thread.start()

    def _run(self, argv: list[str]) -> None:
        self.code = main(argv, out=self.out, err=self.err)

    def url_line(self, stream: io.StringIO | None = None, timeout: float = 10) -> str:
        stream = stream or self.out
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in stream.getvalue().splitlines():
                if line.startswith("http://"):
                    return line
            time.sleep(0.02)
        raise AssertionError(f"no URL line: {self.out.getvalue()!r} {self.err.getvalue()!r}")

    def finish(self, timeout: float = 20) -> int:
        self.thread.join(timeout)
        assert self.code is not None, self.err.getvalue()
        return self.code


def test_connect_qbo_prints_the_url_waits_and_reports_the_company(
        sandboxes: tuple[QboSandbox, XeroSandbox], memory_backend: MemoryKeyring,
        db_url: str) -> None:
    run = Running(["--db", db_url, "connect", "qbo", "--no-browser", "--timeout", "20"])
    url = run.url_line()
    assert url == url.strip()
    assert url.startswith(sandboxes[0].base_url + "/connect/oauth2?")
    ScriptedBrowser()(url)
    assert run.finish() == 0, run.err.getvalue()
    out = run.out.getvalue()
    assert "Connected to Craig's Design and Landscaping Services in QuickBooks Online" in out
    assert "Demo sandbox" in out
    db = open_database(db_url)
    try:
        company = companies.find_company(db, "Acme Books")
        assert company is not None
        info = connections.get_connection(db, company.id, "qbo")
        assert info is not None
        assert info.status is ConnectionStatus.CONNECTED
        assert Keychain(memory_backend).load_token(company.id, Provider.QBO) is not None
    finally:
        db.close()

    status = io.StringIO()
    assert main(["--db", db_url, "status"], out=status) == 0
    assert "Craig's Design and Landscaping Services" in status.getvalue()


def test_connect_xero_with_tenant_and_json(sandboxes: tuple[QboSandbox, XeroSandbox],
                                           memory_backend: MemoryKeyring, db_url: str) -> None:
    run = Running(["--db", db_url, "--json", "connect", "xero", "--no-browser",
                   "--tenant", "Harbourside Bakery Ltd", "--timeout", "20"])
    url = run.url_line(run.err)  # with --json the URL goes to stderr, stdout stays JSON
    ScriptedBrowser(choose=list(DEMO_ORGANISATIONS))(url)
    assert run.finish() == 0, run.err.getvalue()
    report = json.loads(run.out.getvalue())
    assert report["company_name"] == "Harbourside Bakery Ltd"
    assert report["provider"] == "xero"
    assert report["sandbox"] is True


def test_connect_xero_several_organisations_without_a_choice_fails_clearly(
        sandboxes: tuple[QboSandbox, XeroSandbox], memory_backend: MemoryKeyring,
        db_url: str) -> None:
    run = Running(["--db", db_url, "connect", "xero", "--no-browser", "--timeout", "20"])
    ScriptedBrowser(choose=list(DEMO_ORGANISATIONS))(run.url_line())
    assert run.finish() == 1
    assert "several organisations" in run.err.getvalue()
    assert "Kowhai Landscaping Ltd" in run.err.getvalue()
    xero = sandboxes[1]
    assert xero.connections_of(os.environ["XERO_CLIENT_ID"]) == []  # the consent was revoked


def test_connect_denied_and_timeout_exit_codes(sandboxes: tuple[QboSandbox, XeroSandbox],
                                               memory_backend: MemoryKeyring,
                                               db_url: str) -> None:
    run = Running(["--db", db_url, "connect", "qbo", "--no-browser", "--timeout", "20"])
    ScriptedBrowser(decision="deny")(run.url_line())
    assert run.finish() == 1
    assert "not granted" in run.err.getvalue()

    err = io.StringIO()
    code = main(["--db", db_url, "connect", "qbo", "--no-browser", "--timeout", "0.3"],
                out=io.StringIO(), err=err)
    assert code == 1
    assert "No answer came from the browser" in err.getvalue()


def test_connect_without_a_client_id_is_a_configuration_error(
        memory_backend: MemoryKeyring, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QBO_CLIENT_ID", raising=False)
    err = io.StringIO()
    assert main(["--db", db_url, "connect", "qbo"], out=io.StringIO(), err=err) == 2
    assert "QBO_CLIENT_ID" in err.getvalue()


def test_disconnect_revokes_and_reports(sandboxes: tuple[QboSandbox, XeroSandbox],
                                        memory_backend: MemoryKeyring, db_url: str) -> None:
    run = Running(["--db", db_url, "connect", "xero", "--no-browser", "--timeout", "20"])
    ScriptedBrowser()(run.url_line())
    assert run.finish() == 0, run.err.getvalue()
    xero = sandboxes[1]
    assert len(xero.connections_of(os.environ["XERO_CLIENT_ID"])) == 1
    out = io.StringIO()
    assert main(["--db", db_url, "disconnect", "xero"], out=out, err=io.StringIO()) == 0
    assert "access was revoked" in out.getvalue()
    assert xero.connections_of(os.environ["XERO_CLIENT_ID"]) == []
    assert memory_backend.entries == {}
    err = io.StringIO()
    assert main(["--db", db_url, "disconnect", "xero"], out=io.StringIO(), err=err) == 1
    assert "not connected" in err.getvalue()


def test_disconnect_with_revoke_failing(sandboxes: tuple[QboSandbox, XeroSandbox],
                                        memory_backend: MemoryKeyring, db_url: str) -> None:
    run = Running(["--db", db_url, "connect", "qbo", "--no-browser", "--timeout", "20"])
    ScriptedBrowser()(run.url_line())
    assert run.finish() == 0
    sandboxes[0].fail_next(1, status=500, path="/v2/oauth2/tokens/revoke")
    out, err = io.StringIO(), io.StringIO()
    assert main(["--db", db_url, "disconnect", "qbo"], out=out, err=err) == 0
    assert "did not confirm" in out.getvalue()
    assert "warning" in err.getvalue()
    assert memory_backend.entries == {}


# -- as a console process ---------------------------------------------------------------------


def _process_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QBO_", "XERO_"))}
    env.update(extra)
    env["PYTHONPATH"] = str(REPO)
    return env


def test_no_keychain_in_a_real_process_is_a_clear_error(
        sandboxes: tuple[QboSandbox, XeroSandbox], db_url: str) -> None:
    env = _process_env(sandbox_env(qbo=sandboxes[0]))
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    done = subprocess.run(
        [sys.executable, "-m", "bookkeeper_desktop.cli.main", "--db", db_url, "connect", "qbo",
         "--no-browser", "--timeout", "5"],
        capture_output=True, text=True, env=env, timeout=60, check=False, cwd=REPO)
    assert done.returncode == 1, done.stderr
    assert "system keychain is not available" in done.stderr
    assert "http://" not in done.stdout  # no consent asked for: nothing could be kept


@pytest.fixture
def secret_service() -> KeyringBackend:
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        pytest.skip("no D-Bus session (run under .ci/with-keyring)")
    from keyring.backends import SecretService

    backend = SecretService.Keyring()
    try:
        backend.get_password("bookkeeper-desktop-test", "probe")
    except Exception as exc:
        pytest.skip(f"no Secret Service answers: {exc}")
    return backend


@pytest.mark.keychain
def test_connect_in_a_real_process_with_the_system_browser_and_keychain(
        sandboxes: tuple[QboSandbox, XeroSandbox], db_url: str, tmp_path: Path,
        secret_service: KeyringBackend) -> None:
    """`webbrowser.open` runs the command in BROWSER, as a desktop's would; ours is the scripted
    browser. Tokens land in the real Secret Service."""
    script = tmp_path / "browser.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from tests.providers.conftest import ScriptedBrowser\n"
        "ScriptedBrowser()(sys.argv[1])\n")
    env = _process_env(sandbox_env(qbo=sandboxes[0]))
    env["BROWSER"] = f"{sys.executable} {script} %s"
    done = subprocess.run(
        [sys.executable, "-m", "bookkeeper_desktop.cli.main", "--db", db_url, "connect", "qbo",
         "--timeout", "30"],
        capture_output=True, text=True, env=env, timeout=90, check=False, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "Connected to Craig's Design and Landscaping Services" in done.stdout
    lines = done.stdout.splitlines()
    assert any(line.startswith(sandboxes[0].base_url + "/connect/oauth2?") for line in lines)
    db = open_database(db_url)
    try:
        company = companies.find_company(db, "Acme Books")
        assert company is not None
        keychain = Keychain(secret_service)
        stored = keychain.load_token(company.id, Provider.QBO)
        assert stored is not None
        done = subprocess.run(
            [sys.executable, "-m", "bookkeeper_desktop.cli.main", "--db", db_url,
             "disconnect", "qbo"],
            capture_output=True, text=True, env=env, timeout=60, check=False, cwd=REPO)
        assert done.returncode == 0, done.stderr
        assert keychain.load_token(company.id, Provider.QBO) is None
    finally:
        db.close()


def test_disconnect_without_configuration_still_clears_local_secrets(
        sandboxes: tuple[QboSandbox, XeroSandbox], memory_backend: MemoryKeyring, db_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    run = Running(["--db", db_url, "connect", "qbo", "--no-browser", "--timeout", "20"])
    ScriptedBrowser()(run.url_line())
    assert run.finish() == 0
    monkeypatch.delenv("QBO_CLIENT_ID")  # the app's keys were removed since
    out, err = io.StringIO(), io.StringIO()
    assert main(["--db", db_url, "--json", "disconnect", "qbo"], out=out, err=err) == 0
    report = json.loads(out.getvalue())
    assert report["revoked"] is False
    assert report["local_cleared"] is True
    assert "No client ID" in report["problems"][0]
    assert memory_backend.entries == {}
    assert "warning" in err.getvalue()


def test_graphical_browser_detection() -> None:
    from bookkeeper_desktop.cli.connect_commands import graphical_browser_available

    assert not graphical_browser_available({}, "linux")  # SSH session: w3m would take over
    assert graphical_browser_available({"DISPLAY": ":0"}, "linux")
    assert graphical_browser_available({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert graphical_browser_available({"BROWSER": "firefox %s"}, "linux")
    assert graphical_browser_available({}, "win32")
    assert graphical_browser_available({}, "darwin")


def test_a_second_provider_connects_only_push_only(sandboxes: tuple[QboSandbox, XeroSandbox],
                                                   memory_backend: MemoryKeyring,
                                                   db_url: str) -> None:
    run = Running(["--db", db_url, "connect", "qbo", "--no-browser", "--timeout", "20"])
    ScriptedBrowser()(run.url_line())
    assert run.finish() == 0, run.err.getvalue()

    # Asked first: without --push-only nothing starts (no URL), and the command says why.
    out, err = io.StringIO(), io.StringIO()
    code = main(["--db", db_url, "connect", "xero", "--no-browser"], out=out, err=err)
    assert code != 0
    assert "http://" not in out.getvalue()
    assert "kept in step with QuickBooks Online" in err.getvalue()
    assert "bookkeeper connect xero --push-only" in err.getvalue()

    run = Running(["--db", db_url, "connect", "xero", "--push-only", "--no-browser",
                   "--tenant", "Harbourside Bakery Ltd", "--timeout", "20"])
    ScriptedBrowser(choose=list(DEMO_ORGANISATIONS))(run.url_line())
    assert run.finish() == 0, run.err.getvalue()
    assert "Push only: the entries of Acme Books are sent to Xero" in run.out.getvalue()
    db = open_database(db_url)
    try:
        company = companies.find_company(db, "Acme Books")
        assert company is not None
        assert connections.is_push_only(db, company.id, "xero")
        assert not connections.is_push_only(db, company.id, "qbo")
    finally:
        db.close()

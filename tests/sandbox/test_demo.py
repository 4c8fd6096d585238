"""The demo runner: both sandboxes in-process, state in a file that survives restarts and a
second process, reset, and `python -m bookkeeper_desktop.sandbox`."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from bookkeeper_desktop.sandbox.__main__ import main
from bookkeeper_desktop.sandbox.browser import ConsentBrowser
from bookkeeper_desktop.sandbox.demo import DemoEndpoints, DemoSandboxes, default_state_file
from tests.sandbox.conftest import pkce_pair, query_of

REDIRECT = "http://localhost:53682/callback"


def qbo_connect(endpoints: DemoEndpoints, browser: ConsentBrowser,
                http: httpx.Client) -> dict[str, str]:
    url = endpoints.qbo_url + "/connect/oauth2?" + urlencode({
        "client_id": endpoints.qbo_client_id, "response_type": "code", "state": "s",
        "scope": "com.intuit.quickbooks.accounting", "redirect_uri": REDIRECT})
    callback = query_of(browser.consent(url))
    answer = http.post(endpoints.qbo_url + "/oauth2/v1/tokens/bearer",
                       auth=(endpoints.qbo_client_id, endpoints.qbo_client_secret),
                       data={"grant_type": "authorization_code", "code": callback["code"],
                             "redirect_uri": REDIRECT})
    assert answer.status_code == 200, answer.text
    return {**answer.json(), "realmId": callback["realmId"]}


def xero_connect(endpoints: DemoEndpoints, browser: ConsentBrowser,
                 http: httpx.Client) -> dict[str, str]:
    verifier, challenge = pkce_pair()
    url = endpoints.xero_url + "/identity/connect/authorize?" + urlencode({
        "client_id": endpoints.xero_client_id, "response_type": "code", "state": "s",
        "scope": "offline_access accounting.settings accounting.manualjournals",
        "redirect_uri": REDIRECT, "code_challenge": challenge,
        "code_challenge_method": "S256"})
    code = query_of(browser.consent(url, choose=["Kowhai Landscaping Ltd"]))["code"]
    answer = http.post(endpoints.xero_url + "/connect/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "client_id": endpoints.xero_client_id, "code_verifier": verifier})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def qbo_refresh(endpoints: DemoEndpoints, http: httpx.Client, token: str) -> httpx.Response:
    return http.post(endpoints.qbo_url + "/oauth2/v1/tokens/bearer",
                     auth=(endpoints.qbo_client_id, endpoints.qbo_client_secret),
                     data={"grant_type": "refresh_token", "refresh_token": token})


def test_connection_and_data_survive_a_restart(
        tmp_path: Path, browser: ConsentBrowser, http: httpx.Client) -> None:
    state_file = tmp_path / "demo.json"
    with DemoSandboxes(state_file, port_qbo=0, port_xero=0) as demo:
        endpoints = demo.start()
        assert endpoints.label == "Demo sandbox — no real data"
        qbo_tokens = qbo_connect(endpoints, browser, http)
        xero_tokens = xero_connect(endpoints, browser, http)
    saved = state_file.read_text()
    assert qbo_tokens["refresh_token"] not in saved
    assert xero_tokens["refresh_token"] not in saved

    with DemoSandboxes(state_file, port_qbo=0, port_xero=0) as demo:
        endpoints = demo.start()
        rotated = qbo_refresh(endpoints, http, qbo_tokens["refresh_token"])
        assert rotated.status_code == 200
        realm = qbo_tokens["realmId"]
        info = http.get(f"{endpoints.qbo_url}/v3/company/{realm}/companyinfo/{realm}",
                        headers={"Authorization": f"Bearer {qbo_tokens['access_token']}",
                                 "Accept": "application/json"})
        assert info.status_code == 200
        assert info.json()["CompanyInfo"]["CompanyName"]
        connections = http.get(endpoints.xero_url + "/connections", headers={
            "Authorization": f"Bearer {xero_tokens['access_token']}"}).json()
        assert [c["tenantName"] for c in connections] == ["Kowhai Landscaping Ltd"]


def test_xero_web_demo_app_may_use_broad_scopes(browser: ConsentBrowser,
                                                http: httpx.Client) -> None:
    with DemoSandboxes(None, port_qbo=0, port_xero=0) as demo:
        endpoints = demo.start()
        url = endpoints.xero_url + "/identity/connect/authorize?" + urlencode({
            "client_id": endpoints.xero_web_client_id, "response_type": "code", "state": "s",
            "scope": "offline_access accounting.transactions accounting.settings",
            "redirect_uri": REDIRECT})
        code = query_of(browser.consent(url, choose=["Demo Company (NZ)"]))["code"]
        answer = http.post(endpoints.xero_url + "/connect/token",
                           auth=(endpoints.xero_web_client_id, endpoints.xero_web_client_secret),
                           data={"grant_type": "authorization_code", "code": code,
                                 "redirect_uri": REDIRECT})
        assert answer.status_code == 200, answer.text
        assert "accounting.transactions" in answer.json()["scope"]


def test_state_is_on_disk_before_the_response_arrives(
        tmp_path: Path, browser: ConsentBrowser, http: httpx.Client) -> None:
    state_file = tmp_path / "demo.json"
    with DemoSandboxes(state_file, port_qbo=0, port_xero=0) as demo:
        tokens = qbo_connect(demo.start(), browser, http)
        # No stop() yet: a crash now must not lose the connection.
        grants = json.loads(state_file.read_text())["qbo"]["oauth"]["grants"]
        assert len(grants) == 1
        assert tokens["access_token"]


def test_api_writes_are_saved_shortly_after_and_on_stop(tmp_path: Path) -> None:
    state_file = tmp_path / "demo.json"
    with DemoSandboxes(state_file, port_qbo=0, port_xero=0, save_delay=0.2) as demo:
        demo.start()
        assert demo.qbo is not None
        demo.qbo.add_company("777", "Later Ltd")
        demo.changed(False)
        assert "777" not in json.loads(state_file.read_text())["qbo"]["companies"]
        deadline = time.monotonic() + 5
        while "777" not in json.loads(state_file.read_text())["qbo"]["companies"]:
            assert time.monotonic() < deadline, "the deferred save never came"
            time.sleep(0.02)
        demo.qbo.add_company("778", "Last Ltd")
        demo.changed(False)
    assert "778" in json.loads(state_file.read_text())["qbo"]["companies"]


def test_second_process_attaches_to_the_running_demo(
        tmp_path: Path, browser: ConsentBrowser, http: httpx.Client) -> None:
    state_file = tmp_path / "demo.json"
    with DemoSandboxes(state_file, port_qbo=0, port_xero=0) as first:
        endpoints = first.start()
        tokens = qbo_connect(endpoints, browser, http)
        code = (
            "import json, sys\n"
            "from pathlib import Path\n"
            "from bookkeeper_desktop.sandbox.demo import DemoSandboxes\n"
            "demo = DemoSandboxes(Path(sys.argv[1]))\n"
            "e = demo.start()\n"
            "print(json.dumps({'owned': demo.owned, 'qbo': e.qbo_url, 'xero': e.xero_url}))\n"
            "demo.stop()\n")
        result = subprocess.run([sys.executable, "-c", code, str(state_file)],
                                capture_output=True, text=True, timeout=60, check=True)
        seen = json.loads(result.stdout.strip().splitlines()[-1])
        assert seen == {"owned": False, "qbo": endpoints.qbo_url, "xero": endpoints.xero_url}
        # The second process's stop() did not stop ours.
        assert qbo_refresh(endpoints, http, tokens["refresh_token"]).status_code == 200


def test_reset_from_an_attached_runner_resets_the_owner(
        tmp_path: Path, browser: ConsentBrowser, http: httpx.Client) -> None:
    state_file = tmp_path / "demo.json"
    with DemoSandboxes(state_file, port_qbo=0, port_xero=0) as owner:
        tokens = qbo_connect(owner.start(), browser, http)
        attached = DemoSandboxes(state_file)
        endpoints = attached.start()
        assert not attached.owned
        assert attached.reset() == endpoints
        assert qbo_refresh(endpoints, http, tokens["refresh_token"]).json()["error"] == \
            "invalid_grant"
        assert json.loads(state_file.read_text())["qbo"]["oauth"]["grants"] == {}
        attached.stop()
        assert owner.qbo is not None
        assert owner.qbo.running


def test_different_state_file_does_not_attach(tmp_path: Path) -> None:
    with DemoSandboxes(tmp_path / "a.json", port_qbo=0, port_xero=0) as first:
        ports = first.start()
        other = DemoSandboxes(tmp_path / "b.json",
                              port_qbo=int(ports.qbo_url.rsplit(":", 1)[1]),
                              port_xero=int(ports.xero_url.rsplit(":", 1)[1]))
        try:
            mine = other.start()
            assert other.owned
            assert mine.qbo_url != ports.qbo_url  # the port was taken: a free one instead
        finally:
            other.stop()


def test_reset_starts_afresh(tmp_path: Path, browser: ConsentBrowser,
                             http: httpx.Client) -> None:
    state_file = tmp_path / "demo.json"
    with DemoSandboxes(state_file, port_qbo=0, port_xero=0) as demo:
        tokens = qbo_connect(demo.start(), browser, http)
        endpoints = demo.reset()
        assert qbo_refresh(endpoints, http, tokens["refresh_token"]).json()["error"] == \
            "invalid_grant"
        assert json.loads(state_file.read_text())["qbo"]["oauth"]["grants"] == {}


def test_unreadable_state_file_is_moved_aside(tmp_path: Path) -> None:
    state_file = tmp_path / "demo.json"
    state_file.write_text("{not json")
    with DemoSandboxes(state_file, port_qbo=0, port_xero=0) as demo:
        demo.start()
        assert demo.notice is not None
        assert "moved" in demo.notice
    assert (tmp_path / "demo.json.unreadable").read_text() == "{not json"
    assert json.loads(state_file.read_text())["format"] == 1


def test_state_file_that_does_not_load_is_moved_aside(tmp_path: Path) -> None:
    state_file = tmp_path / "demo.json"
    broken = {"format": 1, "qbo": {"vendor": "xero"}, "xero": {"vendor": "xero"}}
    state_file.write_text(json.dumps(broken))
    with DemoSandboxes(state_file, port_qbo=0, port_xero=0) as demo:
        demo.start()
        assert demo.notice is not None
        assert demo.qbo is not None
        assert demo.qbo.companies  # fresh seeded data
    assert json.loads((tmp_path / "demo.json.unreadable").read_text()) == broken


def test_default_state_file_is_in_the_data_folder(isolated_data_dir: Path) -> None:
    assert default_state_file() == isolated_data_dir / "demo_sandboxes.json"


def test_module_entry_point_prints_urls_and_client_ids(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stop = threading.Event()
    stop.set()
    assert main(["--port-qbo", "0", "--port-xero", "0", "--state",
                 str(tmp_path / "s.json")], stop=stop) == 0
    out = capsys.readouterr().out
    assert "QBO sandbox:   http://127.0.0.1:" in out
    assert "Xero sandbox:  http://127.0.0.1:" in out
    assert "ABdemoBookkeeperSandboxClientIdForQuickBooksOnline01" in out
    assert "91E5715B1199038080D6D0296EBC1648" in out
    assert "5B0F2A9C7E3D4B1A8C6E0F2D4A6B8C0E" in out
    assert (tmp_path / "s.json").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child needs a POSIX system")
def test_standalone_process_serves_until_interrupted_and_saves(
        tmp_path: Path, http: httpx.Client) -> None:
    state_file = tmp_path / "standalone.json"
    # -X faulthandler: if it ever fails to stop, SIGABRT makes it print every thread's stack
    # (a one-off 30 s hang was seen in a CI run and could not be reproduced since).
    process = subprocess.Popen(
        [sys.executable, "-X", "faulthandler", "-m", "bookkeeper_desktop.sandbox",
         "--port-qbo", "0", "--port-xero", "0", "--state", str(state_file)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        qbo_url = lines[1].split()[-1]
        assert qbo_url.startswith("http://127.0.0.1:")
        doc = http.get(qbo_url + "/.well-known/openid_configuration").json()
        assert doc["token_endpoint"] == qbo_url + "/oauth2/v1/tokens/bearer"
        http.post(qbo_url + "/__sandbox__/faults", json={"kind": "latency", "seconds": 0.01})
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGABRT)
            _, stacks = process.communicate(timeout=30)
            pytest.fail(f"the sandbox did not stop on SIGINT; its threads:\n{stacks}")
    assert process.returncode == 0
    assert json.loads(state_file.read_text())["qbo"]["vendor"] == "qbo"


def test_module_entry_point_refuses_bad_time_scale() -> None:
    with pytest.raises(SystemExit):
        main(["--time-scale", "0"])

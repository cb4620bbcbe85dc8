"""`remediator sandbox serve` as a process (ready file, requests, SIGTERM -> exit 0) and `snapshot`."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from remediator.sandbox import Sandbox
from tests.e2e.harness import cli, write_inventory
from tests.sandbox.fixtures import small_tenant

REPO = Path(__file__).resolve().parents[2]


def _wait_for(path: Path, proc: subprocess.Popen[bytes], deadline: float = 60.0) -> dict[str, str]:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if path.exists() and path.read_text().strip():
            return json.loads(path.read_text())
        if proc.poll() is not None:
            raise AssertionError(f"sandbox exited early: {proc.stderr.read().decode() if proc.stderr else ''}")
        time.sleep(0.05)
    raise AssertionError("sandbox never became ready")


def test_serve_ready_file_requests_and_sigterm(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "remediator", "sandbox", "serve", "--scenario", "lapsus-2022", "--users", "300",
         "--port", "0", "--token", "test-token-123", "--ready-file", str(ready)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        info = _wait_for(ready, proc)
        assert info["org_url"].startswith("http://127.0.0.1:") and info["token"] == "test-token-123"
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        request = urllib.request.Request(info["org_url"] + "/api/v1/users/me",
                                         headers={"Authorization": "SSWS test-token-123", "Accept": "application/json"})
        with opener.open(request, timeout=10) as response:
            me = json.loads(response.read())
        assert me["id"].startswith("00u") and me["status"] == "ACTIVE"
        assert response.headers["Date"].endswith("GMT") and " 2022 " in response.headers["Date"]
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
    assert code == 0


@pytest.mark.parametrize("args,fragment", [
    (["--rate-limits", "fast"], "--rate-limits"),
    (["--clock", "2022-13-01"], "--clock"),
    (["--faults", "500:lots"], "fault"),
])
def test_serve_bad_options(args: list[str], fragment: str) -> None:
    result = cli("sandbox", "serve", "--scenario", "lapsus-2022", *args)
    assert result.exit_code == 1
    assert fragment in result.output and "Traceback" not in result.output


def test_serve_log_events_sets_the_size_of_the_generated_system_log(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "remediator", "sandbox", "serve", "--scenario", "lapsus-2022", "--users", "60",
         "--log-events", "2345", "--log-delay", "0", "--token", "test-token-123", "--ready-file", str(ready)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        info = _wait_for(ready, proc)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        url: str | None = info["org_url"] + "/api/v1/logs?since=2021-12-31T00:00:00.000Z&limit=1000"
        seen = 0
        while url:
            request = urllib.request.Request(url, headers={"Authorization": "SSWS test-token-123",
                                                          "Accept": "application/json"})
            with opener.open(request, timeout=10) as response:
                page = json.loads(response.read())
                links = response.headers.get_all("Link") or []
            seen += len(page)
            nxt = [link.split(";")[0].strip("<> ") for link in links if 'rel="next"' in link]
            url = nxt[0] if nxt and page else None
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
    assert seen == 2345 and code == 0
    # issue 14: the memory figure from the command line, on stderr once the tenant is served
    line = proc.stderr.read().decode() if proc.stderr else ""
    found = re.search(r"sandbox: serving http://127\.0\.0\.1:\d+: 60 users, 2,345 System Log events; ready in "
                      r"[\d.]+ s \([\d.]+ s CPU\), peak RSS ([\d,]+) MB", line)
    assert found, line
    assert 20 < int(found.group(1).replace(",", "")) < 2_000


def test_serve_log_events_is_for_a_scenario_not_a_snapshot(tmp_path: Path) -> None:
    snap = tmp_path / "s.json"
    snap.write_text(json.dumps(small_tenant()))
    result = cli("sandbox", "serve", "--snapshot", str(snap), "--log-events", "10")
    assert result.exit_code == 1 and "--log-events" in result.output and "Traceback" not in result.output


def test_serve_needs_one_source() -> None:
    result = cli("sandbox", "serve")
    assert result.exit_code == 1 and "--scenario" in result.output


def test_snapshot_of_a_tenant_serves_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = small_tenant()
    with Sandbox(original) as sb:
        inventory = write_inventory(tmp_path / "inv.yml", {"acme": {"org_url": sb.org_url, "token": sb.token}},
                                    monkeypatch)
        out = tmp_path / "snap.json"
        result = cli("snapshot", "-i", inventory, "--out", out)
        assert result.exit_code == 0, result.output
    taken = json.loads(out.read_text())
    assert taken["format"] == "remediator.tenant-snapshot/1"
    assert taken["operator"] == original["operator"]
    assert sorted(u["id"] for u in taken["users"]) == sorted(u["id"] for u in original["users"])
    assert taken["okta_support"]["support"] == "ENABLED"
    assert [c["caseNumber"] for c in taken["support_cases"]] == ["00012345"]
    assert set(taken["user_roles"]) >= {original["operator"]}
    assert taken["group_roles"].keys() == original["group_roles"].keys()
    assert [t["id"] for t in taken["api_tokens"]] == [t["id"] for t in original["api_tokens"]]
    assert sb.token not in out.read_text()
    with Sandbox(taken) as again:
        assert {u["id"] for u in again.snapshot()["users"]} == {u["id"] for u in taken["users"]}


def test_snapshot_takes_one_tenant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inventory = write_inventory(tmp_path / "inv.yml", {
        "a": {"org_url": "https://a.okta.com", "token": "x"}, "b": {"org_url": "https://b.okta.com", "token": "y"}},
        monkeypatch)
    result = cli("snapshot", "-i", inventory, "--out", tmp_path / "s.json")
    assert result.exit_code == 1 and "--limit" in result.output
    assert not (tmp_path / "s.json").exists()
    assert os.environ.get("TEST_A_TOKEN") == "x"


def test_serve_a_snapshot_file(tmp_path: Path) -> None:
    data = small_tenant()
    snapshot_file = tmp_path / "acme.json"
    snapshot_file.write_text(json.dumps(data))
    ready = tmp_path / "ready.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "remediator", "sandbox", "serve", "--snapshot", str(snapshot_file),
         "--ready-file", str(ready)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        info = _wait_for(ready, proc)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        request = urllib.request.Request(info["org_url"] + "/api/v1/users/me",
                                         headers={"Authorization": f"SSWS {info['token']}"})
        with opener.open(request, timeout=10) as response:
            assert json.loads(response.read())["id"] == data["operator"]
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0


def test_serve_a_missing_snapshot(tmp_path: Path) -> None:
    result = cli("sandbox", "serve", "--snapshot", tmp_path / "nope.json")
    assert result.exit_code == 1 and "nope.json" in result.output and "Traceback" not in result.output


def test_snapshot_round_trips_the_org_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """network_zones, authenticators, log_streams and settings (contract.md): taken, served again, the same."""
    with Sandbox(scenario="lapsus-2022", users=40) as sb:
        original = sb.snapshot()
        inventory = write_inventory(tmp_path / "inv.yml", {"acme": {"org_url": sb.org_url, "token": sb.token}},
                                    monkeypatch)
        result = cli("snapshot", "-i", inventory, "--out", tmp_path / "snap.json")
        assert result.exit_code == 0, result.output
    taken = json.loads((tmp_path / "snap.json").read_text())
    for key in ("network_zones", "authenticators", "log_streams"):
        assert [o["id"] for o in taken[key]] == [o["id"] for o in original.get(key, [])], key
    assert taken["settings"].keys() == original["settings"].keys()
    for path, value in original["settings"].items():
        assert {k: v for k, v in taken["settings"][path].items() if k != "_links"} == value, path
    with Sandbox(taken) as again:
        served = again.snapshot()
    assert served["settings"] == taken["settings"]
    assert [z["name"] for z in served["network_zones"]] == [z["name"] for z in taken["network_zones"]]

"""Snapshot -> serve -> snapshot round-trips exactly; writes show up in the snapshot; `run_serve` lifecycle."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from remediator.errors import InputError
from remediator.sandbox import Sandbox
from tests.sandbox.fixtures import BOB, CLOCK, OPERATOR, call, log_event, many_users, small_tenant

REPO = Path(__file__).resolve().parents[2]


def _without_taken_at(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "taken_at"}


def test_round_trip_without_writes_is_exact() -> None:
    original = many_users(30)
    original["logs"] = [log_event(i, f"2022-03-{1 + i % 20:02d}T00:00:00.000Z") for i in range(60)]
    original["logs"].sort(key=lambda e: e["published"])
    original["org"] = {"id": "00oAcmeOrg0000000001", "clock": CLOCK}
    original["custom_key"] = {"kept": [1, 2, 3]}
    with Sandbox(original) as sb:
        for path in ("/api/v1/users", "/api/v1/logs?since=2022-03-01T00:00:00Z&until=2022-03-30T00:00:00Z",
                     f"/api/v1/users/{BOB}/roles", "/api/v1/org/privacy/oktaSupport"):
            assert call(sb, "GET", path).status == 200
        first = sb.snapshot()
    assert _without_taken_at(first) == _without_taken_at(original)
    with Sandbox(first) as sb2:
        second = sb2.snapshot()
    assert _without_taken_at(second) == _without_taken_at(original)


def test_absent_keys_stay_absent_and_mean_empty() -> None:
    data = {"format": "remediator.tenant-snapshot/1", "taken_at": CLOCK, "org_url": "https://tiny.okta.com",
            "operator": OPERATOR, "users": small_tenant()["users"][:1]}
    with Sandbox(data, clock=CLOCK) as sb:
        assert call(sb, "GET", "/api/v1/api-tokens").body == []
        assert call(sb, "GET", "/api/v1/org/privacy/oktaSupport/cases").body == {"supportCases": []}
        assert _without_taken_at(sb.snapshot()) == _without_taken_at(data)


def test_writes_appear_in_the_snapshot_with_their_events() -> None:
    with Sandbox(small_tenant(), clock=CLOCK) as sb:
        assert call(sb, "POST", f"/api/v1/users/{BOB}/lifecycle/suspend").status == 200
        assert call(sb, "POST", "/api/v1/org/privacy/oktaSupport/revoke").status == 200
        snap = sb.snapshot()
    bob = next(u for u in snap["users"] if u["id"] == BOB)
    assert bob["status"] == "SUSPENDED"
    assert snap["okta_support"]["support"] == "DISABLED" and snap["okta_support"]["expiration"] is None
    assert [e["eventType"] for e in snap["logs"]] == ["user.lifecycle.suspend", "user.session.impersonation.revoke"]
    with Sandbox(snap) as again:  # the written snapshot serves again, with the same state
        assert call(again, "GET", f"/api/v1/users/{BOB}").body["status"] == "SUSPENDED"
        assert len(call(again, "GET", "/api/v1/logs?since=2022-03-22T00:00:00Z&until=2022-03-23T00:00:00Z").body) == 2


def test_links_point_at_the_sandbox_on_the_wire_and_at_the_org_in_the_snapshot() -> None:
    with Sandbox(small_tenant(), clock=CLOCK) as sb:
        user = call(sb, "GET", f"/api/v1/users/{BOB}").body
        assert user["_links"]["self"]["href"] == f"{sb.org_url}/api/v1/users/{BOB}"
        stored = next(u for u in sb.snapshot()["users"] if u["id"] == BOB)
        assert stored["_links"]["self"]["href"] == f"https://acme.okta.com/api/v1/users/{BOB}"


def test_bad_snapshots_are_input_errors() -> None:
    with pytest.raises(InputError):
        Sandbox({"format": "something-else/9"})
    with pytest.raises(InputError):
        Sandbox({**small_tenant(), "operator": "00unobody"})


def test_clock_starts_where_asked_and_advances() -> None:
    with Sandbox(small_tenant(), clock="2022-01-21T00:00:00Z") as sb:
        first = sb.now()
        assert first.isoformat().startswith("2022-01-21T00:00")
        reply = call(sb, "GET", "/api/v1/users/me")
        assert reply.headers["Date"].startswith("Fri, 21 Jan 2022 00:00")
        assert sb.now() >= first


def test_run_serve_writes_the_ready_file_and_exits_0_on_sigterm(tmp_path: Path) -> None:
    snapshot = tmp_path / "snap.json"
    snapshot.write_text(json.dumps(small_tenant()))
    ready = tmp_path / "ready.json"
    code = ("import sys; from remediator.sandbox import run_serve; "
            f"sys.exit(run_serve(snapshot={str(snapshot)!r}, ready_file={str(ready)!r}, clock={CLOCK!r}))")
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=env)
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert proc.poll() is None, "serve exited early"
            assert time.monotonic() < deadline, "no ready file"
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        assert info["org_url"].startswith("http://127.0.0.1:")

        class Target:
            org_url = info["org_url"]
            token = info["token"]

        assert call(Target, "GET", "/api/v1/users/me").body["id"] == OPERATOR
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_writes_never_touch_the_callers_snapshot_and_snapshots_are_independent() -> None:
    from tests.sandbox.test_syslog_events import WRITES

    original = small_tenant()
    frozen = copy.deepcopy(original)
    with Sandbox(original) as sb:
        statuses = [call(sb, method, path, body=body(sb) if callable(body) else body).status
                    for method, path, body, _, _ in WRITES]
        assert len(sb.logs) == sum(s < 300 for s in statuses) >= 14  # some refused: Bob is suspended first
        taken = sb.snapshot()
        taken["users"][1]["status"] = "EDITED"
        taken["policies"][0]["name"] = "EDITED"
        assert call(sb, "GET", f"/api/v1/users/{taken['users'][1]['id']}").body["status"] != "EDITED"
        assert call(sb, "GET", "/api/v1/policies?type=OKTA_SIGN_ON").body[0]["name"] != "EDITED"
    assert original == frozen


def test_a_sandbox_without_a_snapshot_has_an_operator_super_admin() -> None:
    with Sandbox(clock=CLOCK) as sb:
        me = call(sb, "GET", "/api/v1/users/me").body
        assert me["status"] == "ACTIVE" and len(me["id"]) == 20 and me["id"].startswith("00u")
        roles = call(sb, "GET", f"/api/v1/users/{me['id']}/roles").body
        assert [r["type"] for r in roles] == ["SUPER_ADMIN"]
        assert me["_links"]["self"]["href"] == f"{sb.org_url}/api/v1/users/{me['id']}"


def test_unknown_scenario_and_conflicting_sources_are_input_errors() -> None:
    with pytest.raises(InputError, match="unknown scenario"):
        Sandbox(scenario="no-such-thing")
    with pytest.raises(InputError):
        Sandbox(small_tenant(), scenario="lapsus-2022")


def test_the_token_stays_out_of_reprs() -> None:
    sandbox = Sandbox(small_tenant(), token="00" + "s" * 40)
    assert "s" * 40 not in repr(sandbox) and "s" * 40 not in repr(sandbox.config)

"""A saved plan of the whole shipped playbook applies exactly: every kind's re-check and write work from
the plan document alone (no playbook arguments), and a second plan with the same inputs is empty."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from remediator.journal import read_records
from remediator.sandbox import Sandbox
from tests.e2e.harness import LAPSUS, cli, settled, write_inventory


def test_saved_plan_of_the_whole_playbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Sandbox(scenario="lapsus-2022", users=300, seed=4) as sb:
        planted = sb.snapshot()["scenario"]["planted"]
        inventory = write_inventory(tmp_path / "inv.yml", {"t": {
            "org_url": sb.org_url, "token": sb.token,
            "vars": {"break_glass": [planted["break_glass_login"]], "evidence_dir": str(tmp_path / "ev")}}},
            monkeypatch)
        common = ["-i", inventory, "--journal", tmp_path / "j.jsonl", "-e",
                  f"evidence_until={settled(sb)}"]
        assert cli("plan", LAPSUS, *common, "--out", tmp_path / "plan.json").exit_code == 0
        planned = json.loads((tmp_path / "plan.json").read_text())["tenants"][0]["changes"]
        kinds = {c["kind"] for c in planned}
        assert len(kinds) >= 6

        result = cli("apply", tmp_path / "plan.json", "-i", inventory, "--journal", tmp_path / "j.jsonl")
        assert result.exit_code == 0, result.output
        applied = {r["change"]["id"] for r in read_records(tmp_path / "j.jsonl") if r.get("result") == "applied"}
        assert applied == {c["id"] for c in planned}

        again = cli("plan", LAPSUS, *common, "--json")
        assert json.loads(again.stdout)["tenants"][0]["changes"] == []


def test_a_user_that_moved_makes_the_saved_plan_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.e2e.harness import write_playbook
    from tests.sandbox.fixtures import call

    state = {"name": "rotate", "okta.admin_passwords": {"changed_after": "2022-01-21T00:00:00Z"}}
    with Sandbox(scenario="lapsus-2022", users=200, seed=9) as sb:
        inventory = write_inventory(tmp_path / "inv.yml", {"t": {"org_url": sb.org_url, "token": sb.token}},
                                    monkeypatch)
        playbook = write_playbook(tmp_path / "rotate.yml", [state])
        assert cli("plan", playbook, "-i", inventory, "--out", tmp_path / "plan.json", "--journal",
                   tmp_path / "j.jsonl").exit_code == 0
        changes = json.loads((tmp_path / "plan.json").read_text())["tenants"][0]["changes"]
        victim = changes[0]["target"]["id"]
        assert call(sb, "POST", f"/api/v1/users/{victim}/lifecycle/suspend").status == 200
        events = len(sb.logs)
        result = cli("apply", tmp_path / "plan.json", "-i", inventory, "--journal", tmp_path / "j.jsonl")
        assert result.exit_code == 1 and "stale" in result.output
        assert len(sb.logs) == events  # nothing written for any admin
        stale = [r["change"]["target"]["id"] for r in read_records(tmp_path / "j.jsonl") if r["result"] == "stale"]
        assert stale == [victim]


# ---- a saved plan is untrusted input: apply re-decides and re-guards (issue 8, issue 9 "Why" 1, 2, 9, 10) ------

NEW_ADMINS = {"name": "no new admins",
              "okta.new_admins": {"created_after": "2022-01-21T00:00:00Z", "action": "suspend"}}
ROTATE = {"name": "rotate", "okta.admin_passwords": {"changed_after": "2022-01-21T00:00:00Z"}}
WRITES = {"user.lifecycle.suspend", "user.account.reset_password", "user.session.clear"}


def _writes(sb: Sandbox, since: int = 0) -> list[dict[str, Any]]:
    return [e for e in sb.logs[since:] if e["eventType"] in WRITES]


def _saved(tmp_path: Path, sb: Sandbox, monkeypatch: pytest.MonkeyPatch, states: list[dict[str, Any]],
           tenant_vars: dict[str, Any] | None = None, **top: Any) -> tuple[Path, Path, dict[str, Any]]:
    """Plan `states` for tenant `t` on `sb` and save it; returns (inventory, plan file, plan document)."""
    from tests.e2e.harness import write_playbook

    entry: dict[str, Any] = {"org_url": sb.org_url, "token": sb.token}
    if tenant_vars:
        entry["vars"] = tenant_vars
    inventory = write_inventory(tmp_path / "inv.yml", {"t": entry}, monkeypatch)
    playbook = write_playbook(tmp_path / "pb.yml", states, **top)
    result = cli("plan", playbook, "-i", inventory, "--out", tmp_path / "plan.json", "--journal", tmp_path / "j.jsonl")
    assert result.exit_code == 0, result.output
    return inventory, tmp_path / "plan.json", json.loads((tmp_path / "plan.json").read_text())


def _retarget(change: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """What an attacker (or a slip of the hand) does to a plan: another target, with a matching id."""
    from remediator.plan import Change

    edited = {**change, "target": {"type": "user", "id": user["id"], "label": user["profile"]["login"]},
              "before": {k: user.get(k) for k in change["before"]}}
    edited["id"] = Change.from_json({**edited, "id": ""}).id
    return edited


def _apply(plan: Path, inventory: Path, tmp_path: Path) -> Any:
    return cli("apply", plan, "-i", inventory, "--journal", tmp_path / "j.jsonl")


def test_an_edited_plan_cannot_suspend_the_token_owner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 9, Why 1: change one `suspend` target in plan.json to the token owner."""
    from tests.sandbox.fixtures import call

    with Sandbox(scenario="lapsus-2022", users=200, seed=5) as sb:
        inventory, path, doc = _saved(tmp_path, sb, monkeypatch, [NEW_ADMINS])
        changes = doc["tenants"][0]["changes"]
        assert [c["action"] for c in changes].count("suspend") >= 2
        me = call(sb, "GET", "/api/v1/users/me").body
        first = next(i for i, c in enumerate(changes) if c["action"] == "suspend")
        changes[first] = _retarget(changes[first], me)
        path.write_text(json.dumps(doc))
        events = len(sb.logs)
        result = _apply(path, inventory, tmp_path)
        assert result.exit_code == 1, result.output
        assert "guardrail" in result.output and "nothing was written" in result.output
        assert call(sb, "GET", "/api/v1/users/me").body["status"] == "ACTIVE"
        assert _writes(sb, events) == []  # the whole tenant refused, not only the edited change


def test_an_edited_plan_cannot_reset_a_break_glass_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 9, Why 1: a `reset_password` on a `break_glass` login added to a saved plan."""
    from tests.sandbox.fixtures import call

    with Sandbox(scenario="lapsus-2022", users=200, seed=6) as sb:
        glass = sb.snapshot()["scenario"]["planted"]["break_glass_login"]
        inventory, path, doc = _saved(tmp_path, sb, monkeypatch, [ROTATE], {"break_glass": [glass]})
        tenant = doc["tenants"][0]
        assert tenant["protected_logins"] == [glass.lower()]
        assert glass not in {c["target"]["label"] for c in tenant["changes"]}
        user = call(sb, "GET", f"/api/v1/users/{glass}").body
        tenant["changes"].append(_retarget(tenant["changes"][0], user))
        path.write_text(json.dumps(doc))
        events = len(sb.logs)
        result = _apply(path, inventory, tmp_path)
        assert result.exit_code == 1, result.output
        assert "stale" in result.output and "by hand" in result.output
        assert _writes(sb, events) == []


def test_a_saved_plan_keeps_max_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 8: with `max_changes: 1`, `apply playbook.yml` refuses and so must `apply plan.json`."""
    with Sandbox(scenario="lapsus-2022", users=200, seed=7) as sb:
        inventory, path, doc = _saved(tmp_path, sb, monkeypatch, [ROTATE], max_changes=1)
        assert doc["tenants"][0]["max_changes"] == 1 and len(doc["tenants"][0]["changes"]) > 1
        events = len(sb.logs)
        result = _apply(path, inventory, tmp_path)
        assert result.exit_code == 1 and "max_changes=1" in result.output, result.output
        assert _writes(sb, events) == []


def test_a_plan_for_one_org_is_refused_for_another_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 9, Why 2: tenant B has the same ids as A (a snapshot rehearsal), at another org_url."""
    with Sandbox(scenario="lapsus-2022", users=200, seed=8) as a, \
            Sandbox(scenario="lapsus-2022", users=200, seed=8) as b:
        _, path, _ = _saved(tmp_path, a, monkeypatch, [ROTATE])
        other = write_inventory(tmp_path / "b.yml", {"t": {"org_url": b.org_url, "token": b.token}}, monkeypatch)
        events = len(b.logs)
        result = _apply(path, other, tmp_path)
        assert result.exit_code == 1 and "not for this org" in result.output, result.output
        assert _writes(b, events) == []


def test_a_plan_is_refused_for_another_org_at_the_same_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 9, Why 2: the URL now serves another org (Okta's org id differs): refused, nothing written."""
    with Sandbox(scenario="lapsus-2022", users=200, seed=9) as a:
        inventory, path, doc = _saved(tmp_path, a, monkeypatch, [ROTATE])
        port, snapshot, token = int(a.org_url.rsplit(":", 1)[1]), a.snapshot(), a.token
    assert doc["tenants"][0]["org_id"] == snapshot["org"]["id"]
    snapshot["org"] = {**snapshot["org"], "id": "00oAnotherOrg0000001"}
    with Sandbox(snapshot, port=port, token=token) as b:
        events = len(b.logs)
        result = _apply(path, inventory, tmp_path)
        assert result.exit_code == 1 and "00oAnotherOrg0000001" in result.output, result.output
        assert _writes(b, events) == []


def test_a_reset_interrupted_before_its_session_clear_is_completed(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 9, Why 9: the password reset lands, the session clear does not; the rerun of the saved plan clears
    the sessions (without a second reset) instead of calling the change "already in effect"."""
    from aiohttp import web

    from remediator.sandbox.wire import error_response

    broken = {"on": True}

    @web.middleware
    async def no_session_clears(request: web.Request, handler: Any) -> web.StreamResponse:
        if broken["on"] and request.method == "DELETE" and request.path.endswith("/sessions"):
            return error_response(403, "E0000006", "You do not have permission to perform the requested action")
        return await handler(request)

    with Sandbox(scenario="lapsus-2022", users=200, seed=10, middlewares=[no_session_clears]) as sb:
        inventory, path, doc = _saved(tmp_path, sb, monkeypatch, [ROTATE])
        targets = {c["target"]["id"] for c in doc["tenants"][0]["changes"]}
        events = len(sb.logs)
        first = _apply(path, inventory, tmp_path)
        assert first.exit_code == 1
        assert sorted(e["eventType"] for e in _writes(sb, events)) == ["user.account.reset_password"] * len(targets)
        assert {e["target"][0]["id"] for e in _writes(sb, events)} == targets

        broken["on"] = False
        events = len(sb.logs)
        again = _apply(path, inventory, tmp_path)
        assert again.exit_code == 0, again.output
        done = _writes(sb, events)
        assert sorted(e["eventType"] for e in done) == ["user.session.clear"] * len(targets)
        assert {e["target"][0]["id"] for e in done} == targets
        steps = [r for r in read_records(tmp_path / "j.jsonl") if r.get("type") == "step"]
        assert {(r["step"], r["step_result"]) for r in steps} >= {("reset_password", "applied"),
                                                                 ("clear_sessions", "failed"),
                                                                 ("clear_sessions", "applied")}


def test_after_apply_the_shipped_playbook_plans_no_tenant_change(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 9, Why 10 / point 11: the archive always wants to extend to "now", but that is a change to local
    files only: marked `local` in the plan, and `--detailed-exitcode` exits 0."""
    with Sandbox(scenario="lapsus-2022", users=200, seed=12) as sb:
        planted = sb.snapshot()["scenario"]["planted"]
        inventory = write_inventory(tmp_path / "inv.yml", {"t": {
            "org_url": sb.org_url, "token": sb.token,
            "vars": {"break_glass": [planted["break_glass_login"]], "evidence_dir": str(tmp_path / "ev")}}},
            monkeypatch)
        common = ["-i", inventory, "--journal", tmp_path / "j.jsonl"]
        applied = cli("apply", LAPSUS, *common, "--yes")
        assert applied.exit_code == 0, applied.output
        sb.advance(120)
        again = cli("plan", LAPSUS, *common, "--detailed-exitcode", "--out", tmp_path / "again.json")
        assert again.exit_code == 0, again.output
        (tenant,) = json.loads((tmp_path / "again.json").read_text())["tenants"]
        assert [(c["kind"], c.get("local")) for c in tenant["changes"]] == [("okta.system_log_archive", True)]
        assert "local files only" in again.output

"""A saved plan of the whole shipped playbook applies exactly: every kind's re-check and write work from
the plan document alone (no playbook arguments), and a second plan with the same inputs is empty."""

from __future__ import annotations

import json
from pathlib import Path

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

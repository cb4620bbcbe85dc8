"""A saved plan of the whole shipped playbook applies exactly: every kind's re-check and write work from
the plan document alone (no playbook arguments), and a second plan with the same inputs is empty."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from remediator.journal import read_records
from remediator.sandbox import Sandbox
from remediator.timeutil import format_time
from tests.e2e.harness import LAPSUS, cli, write_inventory


def test_saved_plan_of_the_whole_playbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Sandbox(scenario="lapsus-2022", users=300, seed=4) as sb:
        planted = sb.snapshot()["scenario"]["planted"]
        inventory = write_inventory(tmp_path / "inv.yml", {"t": {
            "org_url": sb.org_url, "token": sb.token,
            "vars": {"break_glass": [planted["break_glass_login"]], "evidence_dir": str(tmp_path / "ev")}}},
            monkeypatch)
        common = ["-i", inventory, "--journal", tmp_path / "j.jsonl", "-e",
                  f"evidence_until={format_time(sb.now())}"]
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

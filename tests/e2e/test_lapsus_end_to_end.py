"""The shipped playbook on the lapsus-2022 sandbox, through the command line, end to end (issue 4's proof):
plan finds every planted item and nothing else and writes nothing; apply --yes reaches the end-state; a second
plan is empty; evidence and journal verify; every attacker trace is a hunt finding, ordinary traffic is not."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from remediator.sandbox import Sandbox
from tests.e2e.harness import LAPSUS, cli, settled, write_inventory

USERS, SEED = 400, 5


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One sandbox; plan, apply and plan again once; the tests read the results."""
    d = tmp_path_factory.mktemp("lapsus")
    mp = pytest.MonkeyPatch()
    with Sandbox(scenario="lapsus-2022", users=USERS, seed=SEED) as sb:
        planted = sb.snapshot()["scenario"]["planted"]
        inventory = write_inventory(d / "inv.yml", {"hooli": {
            "org_url": sb.org_url, "token": sb.token,
            "vars": {"break_glass": [planted["break_glass_login"]], "evidence_dir": str(d / "evidence")}}}, mp)
        common = ["-i", inventory, "--journal", d / "journal.jsonl", "-e", f"evidence_until={settled(sb)}"]
        logs_before = len(sb.logs)
        first = cli("plan", LAPSUS, *common, "--json", "--out", d / "plan.json", "--report", d / "plan.md")
        logs_after_plan = len(sb.logs)
        applied = cli("apply", LAPSUS, *common, "--yes", "--report", d / "apply.md")
        second = cli("plan", LAPSUS, *common, "--json", "--detailed-exitcode")
        end_state = sb.snapshot()
        all_logs = sb.logs
    mp.undo()
    return {"dir": d, "planted": planted, "first": first, "applied": applied, "second": second,
            "plan_writes": logs_after_plan - logs_before, "end": end_state, "logs": all_logs}


def _by_kind(items: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        out[item["kind"]].append(item)
    return out


def _targets(items: list[dict[str, Any]], action: str | None = None) -> list[str]:
    return sorted(i["target"]["id"] for i in items if action is None or i.get("action") == action)


def test_plan_writes_nothing(run: dict[str, Any]) -> None:
    assert run["first"].exit_code == 0, run["first"].output
    assert run["plan_writes"] == 0


def test_plan_finds_every_planted_item_and_nothing_else(run: dict[str, Any]) -> None:
    planted = run["planted"]
    (tenant,) = json.loads(run["first"].stdout)["tenants"]
    assert tenant["status"] == "ok"
    changes, findings = _by_kind(tenant["changes"]), _by_kind(tenant["findings"])
    protected = {planted["operator_id"], planted["break_glass_id"]}

    assert _targets(changes["okta.support_access"], "disable_case_impersonation") == planted["support_cases_enabled"]
    assert len(changes["okta.support_access"]) == 2  # and the org-level revoke
    assert _targets(findings["okta.support_access"]) == planted["support_cases_requested"]

    assert _targets(changes["okta.new_admins"], "suspend") == planted["new_admins"]
    granted = sorted({m for g in planted["late_role_grants"] for m in g["members"]})
    assert sorted({f["target"]["id"] for f in findings["okta.new_admins"]}) == granted

    assert _targets(changes["okta.admin_passwords"]) == sorted(set(planted["admins_needing_rotation"]) - protected)
    assert _targets(findings["okta.admin_passwords"]) == sorted(set(planted["admins_needing_rotation"]) & protected)

    # Every live admin's sessions end exactly once: by a clear, or by the suspend or reset that ends them anyway.
    live_admins = {uid for uid, a in planted["admins"].items() if a["status"] != "DEPROVISIONED"}
    ending = _targets(changes["okta.admin_sessions"]) + _targets(changes["okta.new_admins"], "suspend") + _targets(
        [c for c in changes["okta.admin_passwords"] if c["after"].get("sessions_revoked")])
    assert sorted(ending) == sorted(live_admins - {planted["operator_id"]})

    assert _targets(changes["okta.api_tokens"]) == planted["rogue_api_tokens"]
    assert _targets(findings["okta.api_tokens"]) == [planted["operator_token"]]
    assert not changes["okta.identity_providers"]
    assert _targets(findings["okta.identity_providers"]) == planted["rogue_idps"]

    weak = planted["weak_policies"]
    weak_rules = sorted(f"{r['policy_id']}/{r['rule_id']}" for key in ("global_session", "admin_console", "dashboard")
                        for r in weak[key])
    assert _targets(changes["okta.mfa"], "replace_rule") == weak_rules
    assert _targets(changes["okta.mfa"], "replace_policy") == sorted(p["policy_id"] for p in weak["mfa_enroll"])
    critical = [f for f in findings["okta.mfa"] if f["severity"] == "critical"]
    assert _targets(critical) == planted["admins_without_factor_active"]
    assert set(_targets(findings["okta.mfa"])) <= set(planted["admins_without_factor"])

    assert len(changes["okta.system_log_archive"]) == 1
    manual = findings["manual"]
    assert len(manual) == 6 and all(f["severity"] == "medium" for f in manual)
    assert {kind for kind, items in changes.items() if items} == {
        "okta.support_access", "okta.new_admins", "okta.admin_passwords", "okta.admin_sessions",
                            "okta.api_tokens", "okta.mfa", "okta.system_log_archive"}
    assert sum(map(len, changes.values())) == len(tenant["changes"])


def test_hunt_finds_every_attacker_trace_and_no_ordinary_traffic(run: dict[str, Any]) -> None:
    planted = run["planted"]
    (tenant,) = json.loads(run["first"].stdout)["tenants"]
    hits = {e["uuid"] for f in tenant["findings"] if f["kind"] == "okta.system_log_hunt"
            for e in f["evidence"].get("events", ())}
    attacker = {u for uuids in planted["attacker_log_uuids"].values() for u in uuids}
    assert attacker <= hits
    assert hits <= set(planted["planted_log_uuids"])  # nothing from the ordinary traffic


def test_apply_reaches_the_end_state(run: dict[str, Any]) -> None:
    assert run["applied"].exit_code == 0, run["applied"].output
    planted, end = run["planted"], run["end"]
    users = {u["id"]: u for u in end["users"]}
    assert end["okta_support"]["support"] == "DISABLED"
    assert all(c["impersonation"]["status"] != "ENABLED" for c in end["support_cases"])
    assert all(users[u]["status"] == "SUSPENDED" for u in planted["new_admins"])
    protected = {planted["operator_id"], planted["break_glass_id"]}
    assert all(users[u]["status"] == "RECOVERY" for u in set(planted["admins_needing_rotation"]) - protected)
    assert users[planted["break_glass_id"]]["status"] == "ACTIVE"
    assert users[planted["operator_id"]]["status"] == "ACTIVE"
    assert {t["id"] for t in end["api_tokens"]}.isdisjoint(planted["rogue_api_tokens"])


def test_no_write_twice(run: dict[str, Any]) -> None:
    writes = [e for e in run["logs"] if e["actor"].get("alternateId") == run["planted"]["operator_login"]
              and e["published"] >= "2022-03-22T12:00:00"]
    keys = [(e["eventType"], tuple(t["id"] for t in e.get("target") or ())) for e in writes]
    assert writes and len(keys) == len(set(keys))


def test_second_plan_is_empty(run: dict[str, Any]) -> None:
    assert run["second"].exit_code == 0, run["second"].output
    (tenant,) = json.loads(run["second"].stdout)["tenants"]
    assert tenant["changes"] == []


def test_evidence_and_journal_verify(run: dict[str, Any]) -> None:
    d: Path = run["dir"]
    result = cli("evidence", "verify", d / "evidence")
    assert result.exit_code == 0, result.output
    result = cli("journal", "verify", d / "journal.jsonl")
    assert result.exit_code == 0, result.output


def test_reports(run: dict[str, Any]) -> None:
    d: Path = run["dir"]
    plan_md, apply_md = (d / "plan.md").read_text(), (d / "apply.md").read_text()
    assert "## hooli" in plan_md and "### Findings" in plan_md
    journal = [json.loads(line) for line in (d / "journal.jsonl").read_text().splitlines()]
    request_ids = [r["request_id"] for r in journal if r.get("result") == "applied"]
    assert request_ids and all(rid in apply_md for rid in request_ids)
    assert "### Evidence" in apply_md or "manifest" in apply_md.lower()

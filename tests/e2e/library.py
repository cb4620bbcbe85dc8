"""Shared by the library playbooks' end-to-end tests: one sandbox of a scenario, the shipped playbook planned,
applied and planned again through the CLI, and the helpers that compare plans with the scenario's manifest."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from remediator.sandbox import Sandbox
from tests.e2e.harness import REPO, cli, settled, write_inventory

USERS, SEED = 400, 5


def rehearse(tmp: Path, scenario: str, playbook: str,
             extra_vars: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> dict[str, Any]:
    """Plan, apply --yes and plan again `playbooks/<playbook>` on a fresh sandbox of `scenario`;
    `extra_vars(snapshot)`: the tenant's further inventory vars (what a responder sets for their org)."""
    path = REPO / "playbooks" / playbook
    mp = pytest.MonkeyPatch()
    try:
        with Sandbox(scenario=scenario, users=USERS, seed=SEED) as sb:
            snapshot = sb.snapshot()
            planted = snapshot["scenario"]["planted"]
            more = extra_vars(snapshot) if extra_vars else {}
            inventory = write_inventory(tmp / "inv.yml", {"hooli": {
                "org_url": sb.org_url, "token": sb.token,
                "vars": {"break_glass": [planted["break_glass_login"]], "evidence_dir": str(tmp / "evidence"),
                         **more}}}, mp)
            common = ["-i", inventory, "--journal", tmp / "journal.jsonl", "-e", f"evidence_until={settled(sb)}"]
            clock = sb.now().isoformat()[:19]
            logs_before = len(sb.logs)
            first = cli("plan", path, *common, "--json", "--out", tmp / "plan.json", "--report", tmp / "plan.md")
            plan_writes = len(sb.logs) - logs_before
            applied = cli("apply", path, *common, "--yes", "--report", tmp / "apply.md")
            second = cli("plan", path, *common, "--json", "--detailed-exitcode")
            end, logs = sb.snapshot(), sb.logs
    finally:
        mp.undo()
    return {"dir": tmp, "planted": planted, "first": first, "applied": applied, "second": second,
            "plan_writes": plan_writes, "end": end, "logs": logs, "clock": clock}


def tenant(result: Any) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    (only,) = json.loads(result.stdout)["tenants"]
    assert only["status"] == "ok"
    return only


def by_kind(items: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        out[item["kind"]].append(item)
    return out


def targets(items: list[dict[str, Any]], action: str | None = None) -> list[str]:
    return sorted(i["target"]["id"] for i in items if action is None or i.get("action") == action)


def hunt_hits(plan: dict[str, Any]) -> dict[str, set[str]]:
    """uuid -> the ids of the rules it matched, over every hunt finding of the plan."""
    out: dict[str, set[str]] = defaultdict(set)
    for f in plan["findings"]:
        if f["kind"] == "okta.system_log_hunt":
            for event in f["evidence"].get("events", ()):
                out[event["uuid"]].update(event["rules"])
    return out


def check_hunt(run: dict[str, Any], pack: str) -> None:
    """Each rule and correlation of the pack fires on its planted events; no finding names a look-alike or
    ordinary event, and no rule names an event planted as its own look-alike (another rule may report it)."""
    from remediator.hunt.rules import load_rule_set

    planted = run["planted"]
    hits = hunt_hits(tenant(run["first"]))
    assert set(planted["hunt"]) == load_rule_set([pack]).reported  # every reporting rule has planted events
    for rule_id, uuids in planted["hunt"].items():
        assert uuids and all(rule_id in hits.get(u, ()) for u in uuids), rule_id
    assert not set(hits) & set(planted["lookalike_log_uuids"])
    for rule_id, uuids in planted.get("lookalike_log_uuids_by_rule", {}).items():
        assert not [u for u in uuids if rule_id in hits.get(u, ())], rule_id
    assert set(hits) <= set(planted["planted_log_uuids"])


def check_no_write_twice(run: dict[str, Any]) -> None:
    writes = [e for e in run["logs"] if e["actor"].get("alternateId") == run["planted"]["operator_login"]
              and e["published"] >= run["clock"]]
    keys = [(e["eventType"], tuple(t["id"] for t in e.get("target") or ())) for e in writes]
    assert writes and len(keys) == len(set(keys))


def check_converged(run: dict[str, Any]) -> None:
    assert run["plan_writes"] == 0
    assert run["applied"].exit_code == 0, run["applied"].output
    assert tenant(run["second"])["changes"] == []
    d: Path = run["dir"]
    result = cli("evidence", "verify", d / "evidence")
    assert result.exit_code == 0, result.output
    result = cli("journal", "verify", d / "journal.jsonl")
    assert result.exit_code == 0, result.output

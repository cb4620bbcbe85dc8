"""`playbooks/okta-support-har-2023.yml` on the `support-har-2023` sandbox, through the CLI (issue 12): the plan
finds every planted item and nothing else (compared with the scenario's manifest), apply --yes reaches the
end-state with no write made twice, the second plan is empty, evidence and journal verify, and each rule of
the `support-har-2023` hunt pack fires on its planted events and on none of the look-alikes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.library import by_kind, check_converged, check_hunt, check_no_write_twice, rehearse, targets, tenant


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return rehearse(tmp_path_factory.mktemp("har"), "support-har-2023", "okta-support-har-2023.yml")


def test_plan_finds_every_planted_item_and_nothing_else(run: dict[str, Any]) -> None:
    planted = run["planted"]
    plan = tenant(run["first"])
    changes, findings = by_kind(plan["changes"]), by_kind(plan["findings"])

    assert len(changes["okta.system_log_archive"]) == 1
    assert targets(changes["okta.support_access"], "disable_case_impersonation") == planted["support_cases_enabled"]
    assert len(changes["okta.support_access"]) == 2  # and the org-level revoke
    assert targets(findings["okta.support_access"]) == planted["support_cases_requested"]

    # every live admin's sessions end once: cleared, or by the suspension of an admin made since the breach
    live = {uid for uid, a in planted["admins"].items() if a["status"] != "DEPROVISIONED"}
    ending = targets(changes["okta.user_sessions"]) + targets(changes["okta.new_admins"], "suspend")
    assert sorted(ending) == sorted(live - {planted["operator_id"]})
    assert targets(findings["okta.user_sessions"]) == [planted["operator_id"]]
    assert all(c["after"].get("oauth_tokens", True) for c in changes["okta.user_sessions"])

    assert targets(changes["okta.new_admins"], "suspend") == planted["new_admins"]
    assert targets(findings["okta.new_admins"]) == planted["new_admins"]  # its late grant, reported
    assert targets(changes["okta.api_tokens"]) == planted["rogue_api_tokens"]
    assert targets(findings["okta.api_tokens"]) == [planted["operator_token"]]
    assert targets(changes["okta.apps"]) == planted["rogue_apps"]
    assert not findings["okta.apps"]
    assert len(changes["okta.org_settings"]) == (planted["admin_console_session"]["sessionIdleTimeoutMinutes"] > 15
                                                 or planted["admin_console_session"]["sessionMaxLifetimeMinutes"] > 720)
    assert targets(changes["okta.policy_rule"]) == planted["admin_console_rules"]

    everything = {i["target"]["id"] for i in plan["changes"] + plan["findings"]}
    for key in ("lookalike_tokens", "lookalike_apps", "lookalike_new_users"):
        assert not everything & set(planted[key]), key
    assert {s["target"]["id"] for s in findings["manual"]} == {
        "admin-session-binding", "protected-actions", "har-hygiene", "support-case-review", "okta-iocs"}
    assert {k for k, v in changes.items() if v} == {
        "okta.system_log_archive", "okta.support_access", "okta.user_sessions",
                            "okta.new_admins", "okta.api_tokens", "okta.apps", "okta.org_settings",
                            "okta.policy_rule"}


def test_each_hunt_rule_fires_on_its_events_and_no_lookalike(run: dict[str, Any]) -> None:
    check_hunt(run, "support-har-2023")


def test_apply_reaches_the_end_state(run: dict[str, Any]) -> None:
    check_converged(run)
    planted, end = run["planted"], run["end"]
    users = {u["id"]: u for u in end["users"]}
    assert end["okta_support"]["support"] == "DISABLED"
    assert all(users[u]["status"] == "SUSPENDED" for u in planted["new_admins"])
    assert {t["id"] for t in end["api_tokens"]}.isdisjoint(planted["rogue_api_tokens"])
    assert set(planted["lookalike_tokens"]) <= {t["id"] for t in end["api_tokens"]}
    apps = {a["id"]: a for a in end["apps"]}
    assert all(apps[a]["status"] == "INACTIVE" for a in planted["rogue_apps"])
    assert all(apps[a]["status"] == "ACTIVE" for a in planted["lookalike_apps"])
    assert end["settings"]["/api/v1/first-party-app-settings/admin-console"]["sessionIdleTimeoutMinutes"] == 15
    check_no_write_twice(run)


def test_demo_rehearses_it(tmp_path: Path) -> None:
    from tests.e2e.harness import cli

    result = cli("demo", "--scenario", "support-har-2023", "--users", "200", "--workdir", tmp_path / "demo")
    assert result.exit_code == 0, result.output
    assert "okta-support-har-2023.yml" in result.output
    assert "converged: the second plan has nothing to change" in result.output


def test_unknown_scenario_is_one_line(tmp_path: Path) -> None:
    from tests.e2e.harness import cli

    result = cli("demo", "--scenario", "nope-2099", "--workdir", tmp_path)
    assert result.exit_code == 1 and "unknown scenario 'nope-2099'" in result.output
    assert "Traceback" not in result.output

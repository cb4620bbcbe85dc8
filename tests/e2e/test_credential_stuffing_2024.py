"""`playbooks/okta-credential-stuffing-2024.yml` on the `credential-stuffing-2024` sandbox, through the CLI
(issue 12): the plan finds every planted item and nothing else (compared with the scenario's manifest), apply
--yes reaches the end-state with no write made twice, the second plan is empty, evidence and journal verify,
and each rule of the `credential-stuffing-2024` pack fires on its planted events and on none of the look-alikes
(one user's burst of mistyped passwords ending in a lockout, a sign-in from a cloud host)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import cli
from tests.e2e.library import by_kind, check_converged, check_hunt, check_no_write_twice, rehearse, targets, tenant


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return rehearse(tmp_path_factory.mktemp("cs"), "credential-stuffing-2024", "okta-credential-stuffing-2024.yml",
                    extra_vars=lambda snap: {"trusted_zones": [snap["scenario"]["planted"]["exempt_zone"]]})


def test_plan_finds_every_planted_item_and_nothing_else(run: dict[str, Any]) -> None:
    planted = run["planted"]
    plan = tenant(run["first"])
    changes, findings = by_kind(plan["changes"]), by_kind(plan["findings"])

    assert len(changes["okta.system_log_archive"]) == 1
    assert planted["threat_insight"]["action"] != "block"
    assert len(changes["okta.threat_insight"]) == 1
    assert changes["okta.threat_insight"][0]["after"]["action"] == "block"
    assert not planted["anonymizer_zones"]
    assert [c["action"] for c in changes["okta.network_zone"]] == ["create"]
    assert planted["lockout_unknown_devices"] is False
    assert len(changes["okta.org_settings"]) == 1
    assert planted["breached_unprotected_policies"] and not planted["breached_unavailable_policies"]
    assert targets(changes["okta.policy"]) == sorted(
        set(planted["weak_password_policies"]) | set(planted["breached_unprotected_policies"]))
    breached = [c for c in changes["okta.policy"]
                if "settings.password.breachedProtection.expireAfterDays" in c["after"]]
    assert targets(breached) == planted["breached_unprotected_policies"]
    assert "okta.policy" not in findings
    assert {s["target"]["id"] for s in findings["manual"]} == {"passwordless", "stuffed-accounts", "bot-protection"}
    assert {k for k, v in changes.items() if v} == {
        "okta.system_log_archive", "okta.threat_insight", "okta.network_zone", "okta.org_settings", "okta.policy"}
    assert set(findings) <= {"okta.system_log_hunt", "manual"}


def test_each_hunt_rule_fires_on_its_events_and_no_lookalike(run: dict[str, Any]) -> None:
    check_hunt(run, "credential-stuffing-2024")
    hunted = {f["evidence"]["actor_id"] for f in tenant(run["first"])["findings"]
              if f["kind"] == "okta.system_log_hunt"}
    assert set(run["planted"]["spray_users"]) | {run["planted"]["stuffed_user"]} <= hunted
    assert run["planted"]["locked_lookalike_user"] not in hunted


def test_apply_reaches_the_end_state(run: dict[str, Any]) -> None:
    check_converged(run)
    planted, end = run["planted"], run["end"]
    threats = end["settings"]["/api/v1/threats/configuration"]
    zones = {z["name"]: z for z in end["network_zones"]}
    assert threats["action"] == "block" and threats["excludeZones"] == [zones[planted["exempt_zone"]]["id"]]
    blocked = zones["Block anonymizers"]
    assert (blocked["type"], blocked["usage"], blocked["status"]) == ("DYNAMIC_V2", "BLOCKLIST", "ACTIVE")
    assert end["settings"]["/attack-protection/api/v1/user-lockout-settings"][
        "preventBruteForceLockoutFromUnknownDevices"] is True
    for policy in end["policies"]:
        if policy["id"] in planted["breached_unprotected_policies"]:
            assert policy["settings"]["password"]["breachedProtection"] == {
                "expireAfterDays": 0, "logoutEnabled": True, "delegatedWorkflowId": None}
    check_no_write_twice(run)


def test_demo_rehearses_it(tmp_path: Path) -> None:
    result = cli("demo", "--scenario", "credential-stuffing-2024", "--users", "200", "--workdir", tmp_path / "demo")
    assert result.exit_code == 0, result.output
    assert "converged: the second plan has nothing to change" in result.output

"""`playbooks/okta-cross-tenant-impersonation-2023.yml` on the `cross-tenant-2023` sandbox, through the CLI
(issue 12): the plan finds every planted item and nothing else (compared with the scenario's manifest), apply
--yes reaches the end-state with no write made twice, the second plan is empty, evidence and journal verify,
and each rule of the `cross-tenant-2023` hunt pack fires on its planted events and on none of the look-alikes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import cli
from tests.e2e.library import by_kind, check_converged, check_hunt, check_no_write_twice, rehearse, targets, tenant


def allowed_roles(snapshot: dict[str, Any]) -> dict[str, Any]:
    """Who may hold admin roles: every holder the manifest does not list as planted (logins and groups)."""
    planted = snapshot["scenario"]["planted"]
    names = {g["id"]: g["profile"]["name"] for g in snapshot["groups"]}
    allowed: dict[str, set[str]] = {}
    for uid, admin in planted["admins"].items():
        if uid in planted["unallowed_role_holders"]:
            continue
        for r in admin["roles"]:
            holder = admin["login"] if r["via"] == "USER" else f"group:{names[r['via']]}"
            allowed.setdefault(r["type"], set()).add(holder)
    return {"admin_roles_allowed": {k: sorted(v) for k, v in allowed.items()}, "max_super_admins": 50}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return rehearse(tmp_path_factory.mktemp("xt"), "cross-tenant-2023", "okta-cross-tenant-impersonation-2023.yml",
                    extra_vars=allowed_roles)


def test_plan_finds_every_planted_item_and_nothing_else(run: dict[str, Any]) -> None:
    planted = run["planted"]
    plan = tenant(run["first"])
    changes, findings = by_kind(plan["changes"]), by_kind(plan["findings"])

    assert len(changes["okta.system_log_archive"]) == 1
    assert targets(changes["okta.identity_providers"]) == planted["rogue_idps"]
    assert set(targets(findings["okta.identity_providers"])) <= set(planted["rogue_idps"])
    assert targets(changes["okta.apps"]) == planted["rogue_apps"]
    assert not findings["okta.apps"]
    assert targets(changes["okta.user_factors"]) == sorted(planted["attacker_factors"])
    for change in changes["okta.user_factors"]:
        assert change["before"]["factors"] == planted["attacker_factors"][change["target"]["id"]]
    assert not findings["okta.user_factors"]
    assert not changes["okta.admin_roles"]
    assert targets(findings["okta.admin_roles"]) == planted["unallowed_role_holders"]
    assert targets(changes["okta.policy_rule"]) == planted["admin_console_rules"]

    # the caller's IdP links anyone and assigns into a SUPER_ADMIN group: one finding each, with evidence
    reach = {(f["target"]["id"], "provisions" if "provisions" in f["title"] else "links"): f
             for f in findings["okta.idp_reach"]}
    assert sorted(reach) == sorted((i, {"accountLink": "links", "provisioning": "provisions"}[what])
                                   for i, whats in planted["idp_reach"].items() for what in whats)
    assert len(findings["okta.idp_reach"]) == len(reach)
    for (_, what), finding in reach.items():
        assert finding["severity"] == "high"
        if what == "provisions":
            (group,) = finding["evidence"]["admin_groups"]
            assert group["id"] == planted["idp_reach_admin_group"] and "SUPER_ADMIN" in group["roles"]
        else:
            assert finding["evidence"]["accountLink"] == {"filter": None, "action": "AUTO"}

    everything = {i["target"]["id"] for i in plan["changes"] + plan["findings"]}
    for key in ("lookalike_apps", "lookalike_idps", "lookalike_factors", "idp_reach_lookalike_idps",
                "idp_reach_lookalike_rules"):
        assert not everything & set(planted[key]), key
    assert {s["target"]["id"] for s in findings["manual"]} == {
        "help-desk-verification", "admin-reset-restriction", "new-device-alerts"}
    assert {k for k, v in changes.items() if v} == {
        "okta.system_log_archive", "okta.identity_providers", "okta.apps", "okta.user_factors",
                            "okta.policy_rule"}


def test_each_hunt_rule_fires_on_its_events_and_no_lookalike(run: dict[str, Any]) -> None:
    check_hunt(run, "cross-tenant-2023")


def test_apply_reaches_the_end_state(run: dict[str, Any]) -> None:
    check_converged(run)
    planted, end = run["planted"], run["end"]
    idps = {i["id"]: i for i in end["idps"]}
    assert all(idps[i]["status"] == "INACTIVE" for i in planted["rogue_idps"])
    assert all(idps[i]["status"] == "ACTIVE" for i in planted["lookalike_idps"])
    apps = {a["id"]: a for a in end["apps"]}
    assert all(apps[a]["status"] == "INACTIVE" for a in planted["rogue_apps"])
    assert all(apps[a]["status"] == "ACTIVE" for a in planted["lookalike_apps"])
    for uid, fids in planted["attacker_factors"].items():
        assert not {f["id"] for f in end["factors"].get(uid, [])} & set(fids)
    for uid, fids in planted["lookalike_factors"].items():
        assert set(fids) <= {f["id"] for f in end["factors"][uid]}
    check_no_write_twice(run)


def test_demo_rehearses_it(tmp_path: Path) -> None:
    result = cli("demo", "--scenario", "cross-tenant-2023", "--users", "200", "--workdir", tmp_path / "demo")
    assert result.exit_code == 0, result.output
    assert "converged: the second plan has nothing to change" in result.output

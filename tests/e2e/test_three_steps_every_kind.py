"""The three-step test for every kind that writes, walked from the registry, with the shipped playbook's
arguments on the lapsus-2022 sandbox: a plan shows changes and leaves no event in the tenant's System Log;
apply makes them; a second plan is empty. A kind that writes but has no state in the shipped playbook, nor one in
LIBRARY_STATES, fails."""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from remediator.engine import ApplySettings, PlanSettings, TenantJob, apply, plan
from remediator.inventory import load_inventory
from remediator.journal import Journal
from remediator.kinds import REGISTRY, makes_changes
from remediator.plan import PlaybookRef, TenantPlan
from remediator.playbook import load_playbook, parse_extra_vars, render_states
from remediator.sandbox import Sandbox
from tests.e2e.harness import LAPSUS, settled, write_inventory, write_playbook

WRITERS = sorted(name for name, cls in REGISTRY.items() if makes_changes(cls))
#: kinds that the shipped playbook runs in report mode: their writing mode, for this test
WRITING_MODE = {"okta.identity_providers": {"action": "deactivate"}}


#: states for the general kinds the shipped playbook does not run, on the same scenario and variables
LIBRARY_STATES: dict[str, dict[str, Any]] = {
    "okta.user_status": {"name": "Admins created since the breach suspended",
                         "okta.user_status": {"users": {"admins": True, "created_after": "{{ breach_date }}"},
                                              "status": "SUSPENDED"}},
    "okta.user_sessions": {"name": "Super admins' sessions cleared",
                           "okta.user_sessions": {"users": {"roles": ["SUPER_ADMIN"]},
                                                  "cleared_after": "{{ breach_date }}", "forget_devices": True}},
    "okta.user_passwords": {"name": "Admin passwords rotated",
                            "okta.user_passwords": {"users": {"admins": True}, "changed_after": "{{ breach_date }}"}},
    "okta.user_factors": {"name": "No admin factor enrolled since the breach",
                          "okta.user_factors": {"users": {"admins": True}, "enrolled_after": "{{ breach_date }}"}},
    "okta.admin_roles": {"name": "Only break-glass holds a direct role",
                         "okta.admin_roles": {"allowed": {"SUPER_ADMIN": "{{ break_glass }}"}}},
    "okta.group_members": {"name": "Help desk admin group emptied but for break-glass",
                           "okta.group_members": {"group": "Okta Help Desk Admins", "only": "{{ break_glass }}"}},
    # against what the scenario's configuration plants (remediator/sandbox/scenarios/_config.py)
    "okta.threat_insight": {"name": "ThreatInsight blocks", "okta.threat_insight": {
        "action": "block", "exempt_zones": ["Office egress"]}},
    "okta.org_settings": {"name": "Org settings hardened", "okta.org_settings": {
        "admin_console_session_idle_minutes": 15, "auto_assign_admin_app": False, "client_privileges": False,
        "lockout_unknown_devices": True}},
    "okta.network_zone": {"name": "Anonymizers blocked", "okta.network_zone": {
        "name": "Block anonymizers", "type": "DYNAMIC_V2", "usage": "BLOCKLIST",
        "ip_service_categories": ["ALL_ANONYMIZERS"]}},
    "okta.policy": {"name": "Password lockout and length", "okta.policy": {
        "type": "PASSWORD", "name": "*", "set": {"settings.password.lockout.maxAttempts": 3,
                                                 "settings.password.complexity.minLength": 15}}},
    "okta.policy_rule": {"name": "Admin Console needs two factors", "okta.policy_rule": {
        "policy": {"app": "saasure"}, "rule": "*", "set": {"actions.appSignOn.verificationMethod.factorMode": "2FA"}}},
    "okta.apps": {"name": "Zoom off", "okta.apps": {"names": ["zoom"], "action": "deactivate"}},
    "okta.authenticator": {"name": "WebAuthn on", "okta.authenticator": {"key": "webauthn", "status": "ACTIVE"}},
    "okta.log_streams": {"name": "System Log streamed", "okta.log_streams": {
        "active": True, "create": {"type": "aws_eventbridge", "name": "SIEM", "account_id": "123456789012",
                                   "event_source_name": "okta-system-log", "region": "us-east-1"}}},
}


def _shipped_state(kind: str) -> dict[str, Any]:
    states = [s for s in load_playbook(LAPSUS).data["states"] if kind in s]
    if not states and kind in LIBRARY_STATES:
        return LIBRARY_STATES[kind]
    assert states, f"{kind} writes but neither the shipped playbook nor LIBRARY_STATES has a state for it"
    return states[0]


def test_the_registry_has_writers() -> None:
    assert {"okta.support_access", "okta.admin_passwords", "okta.system_log_archive"} <= set(WRITERS)


@pytest.mark.parametrize("kind", WRITERS)
def test_plan_apply_plan(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = {k: v for k, v in _shipped_state(kind).items() if k not in ("when",)}
    state[kind] = {**state[kind], **WRITING_MODE.get(kind, {})}
    with Sandbox(scenario="lapsus-2022", users=200, seed=11) as sb:
        planted = sb.snapshot()["scenario"]["planted"]
        variables = {"breach_date": "2022-01-21T00:00:00Z", "break_glass": [planted["break_glass_login"]],
                     "evidence_dir": str(tmp_path / "evidence"), "evidence_since": "2022-01-14T00:00:00Z",
                     "evidence_until": settled(sb)}
        playbook = load_playbook(write_playbook(tmp_path / "one.yml", [state], vars=variables))
        inventory = write_inventory(tmp_path / "inv.yml", {"t": {"org_url": sb.org_url, "token": sb.token}},
                                    monkeypatch)
        (spec,) = load_inventory(inventory)
        job = TenantJob(spec, render_states(playbook, spec.vars, parse_extra_vars([])))
        settings = PlanSettings(journal_path=tmp_path / "journal.jsonl",
                                playbook=PlaybookRef(str(playbook.path), playbook.sha256))

        def plan_once() -> tuple[Any, TenantPlan]:
            planned = asyncio.run(plan([job], settings))
            (tenant,) = planned.tenants
            assert tenant.status == "ok", tenant.error
            return planned, tenant

        events = len(sb.logs)
        run, first = plan_once()
        assert first.changes, f"{kind}: the scenario plants something for it to change"
        assert len(sb.logs) == events, f"{kind}: planning wrote to the tenant"

        outcome = asyncio.run(apply(run, [spec], Journal(settings.journal_path),
                                    ApplySettings(journal_path=settings.journal_path)))
        (recap,) = outcome.tenants
        assert recap.success and recap.changed == len(first.changes), recap
        _, second = plan_once()
        assert second.changes == (), f"{kind}: {[c.to_json() for c in second.changes]}"


def test_archive_up_to_now_only_extends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from remediator.evidence import load_manifest, verify_evidence
    from tests.sandbox.fixtures import call

    state = {"name": "logs kept", "okta.system_log_archive": {"since": "2022-03-01T00:00:00Z",
                                                               "dir": str(tmp_path / "ev")}}
    with Sandbox(scenario="lapsus-2022", users=100, seed=2) as sb:
        inventory = write_inventory(tmp_path / "inv.yml", {"t": {"org_url": sb.org_url, "token": sb.token}},
                                    monkeypatch)
        (spec,) = load_inventory(inventory)
        playbook = load_playbook(write_playbook(tmp_path / "arch.yml", [state]))
        job = TenantJob(spec, render_states(playbook, spec.vars, {}))
        settings = PlanSettings(journal_path=tmp_path / "j.jsonl", playbook=PlaybookRef("arch.yml", "x"))

        def plan_and_apply() -> Any:
            planned = asyncio.run(plan([job], settings))
            asyncio.run(apply(planned, [spec], Journal(settings.journal_path),
                              ApplySettings(journal_path=settings.journal_path)))
            return planned.tenants[0]

        first = plan_and_apply()
        assert first.changes[0].before == {"covered": None}
        covered = load_manifest(tmp_path / "ev" / "t").covered
        sb.advance(60)
        assert call(sb, "POST", "/api/v1/org/privacy/oktaSupport/revoke").status == 200  # a new event
        sb.advance(5)  # past the second of the event: `Date` has one-second resolution
        second = plan_and_apply()
        (change,) = second.changes
        assert change.before["covered"] == [covered["since"], covered["until"]]
        manifest = load_manifest(tmp_path / "ev" / "t")
        revokes = [e for e in sb.logs if e["eventType"] == "user.session.impersonation.revoke"]
    assert manifest.covered["since"] == covered["since"] and manifest.covered["until"] > covered["until"]
    verify_evidence(tmp_path / "ev")
    archived = [json.loads(line) for chunk in sorted((tmp_path / "ev" / "t").glob("*.jsonl.gz"))
                for line in gzip.decompress(chunk.read_bytes()).splitlines()]
    uuids = [e["uuid"] for e in archived]
    assert len(uuids) == len(set(uuids))
    assert revokes[-1]["uuid"] in uuids

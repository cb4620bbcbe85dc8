"""`plan -v` says, per state, why what needs nothing needs nothing: the reasons of the no-ops a kind's `diff`
yields. This pins the text users read for the configuration and incident kinds below, before and after an
apply, on the lapsus-2022 sandbox (the text was captured before these kinds' `explain` overrides were
replaced by their `diff`'s no-ops, so the conversion provably kept it), and checks that no-ops never reach
the plan document (`--json`, `schemas/plan.schema.json`)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from remediator.plan import PLAN_SCHEMA
from remediator.sandbox import Sandbox
from remediator.validation import validator
from tests.e2e.harness import cli, write_inventory, write_playbook

VARS = {"breach_date": "2022-01-21T00:00:00Z"}
AWS = {"type": "aws_eventbridge", "name": "SIEM", "account_id": "123456789012",
       "event_source_name": "okta-system-log", "region": "us-east-1"}
STATES: list[dict[str, Any]] = [
    {"name": "roles", "okta.admin_roles": {"allowed": {"SUPER_ADMIN": "{{ break_glass }}"}, "max_super_admins": 5}},
    {"name": "tokens", "okta.api_tokens": {"created_after": "{{ breach_date }}",
                                           "network": {"connection": "ZONE", "include": ["Office egress"]}}},
    {"name": "tokens by name", "okta.api_tokens": {"created_after": "{{ breach_date }}", "allow": ["remediator"],
                                                   "action": "report"}},
    {"name": "no such zone", "okta.api_tokens": {"network": {"connection": "ZONE", "include": ["Nowhere"]}}},
    {"name": "apps", "okta.apps": {"names": ["zoom"], "action": "deactivate"}},
    {"name": "webauthn", "okta.authenticator": {"key": "webauthn", "status": "ACTIVE"}},
    {"name": "verify", "okta.authenticator": {"key": "okta_verify", "status": "ACTIVE"}},
    {"name": "no duo", "okta.authenticator": {"key": "duo", "status": "INACTIVE"}},
    {"name": "help desk", "okta.group_members": {"group": "Okta Help Desk Admins", "only": "{{ break_glass }}"}},
    {"name": "idps", "okta.identity_providers": {"created_after": "{{ breach_date }}", "action": "deactivate"}},
    {"name": "streams", "okta.log_streams": {"active": True, "create": AWS}},
    {"name": "mfa", "okta.mfa": {"enrollment_required": ["okta_verify"], "admin_console_factor_mode": "2FA",
                                 "dashboard_factor_mode": "2FA", "audit_all_users": True, "audit_max_users": 10}},
    {"name": "people", "manual": {"steps": [{"id": "legal", "title": "Tell legal"},
                                            {"id": "isac", "title": "Share indicators"}]}},
    {"name": "anonymizers", "okta.network_zone": {"name": "Block anonymizers", "type": "DYNAMIC_V2",
                                                  "usage": "BLOCKLIST", "ip_service_categories": ["ALL_ANONYMIZERS"]}},
    {"name": "office", "okta.network_zone": {"name": "office EGRESS", "status": "ACTIVE"}},
]

#: the `✓` lines of `plan -v` per state, as printed before the conversion (the ack time is the run's now)
BEFORE: dict[str, list[str]] = {
    "roles": ["5 of 16 admin(s) hold only allowed direct roles", "6 active super admin(s) now, at most 5 wanted"],
    "tokens": [
        "0 of 5 API token(s) already have the wanted network condition",
        "3 of 5 API token(s) were created before 2022-01-21T00:00:00.000Z",
    ],
    "tokens by name": [
        "API token 'remediator': created 2022-03-21T16:10:00.000Z but allowed",
        "3 of 5 API token(s) were created before 2022-01-21T00:00:00.000Z",
    ],
    "no such zone": ["a network zone of `network` does not exist"],
    "apps": ["17 of 18 ACTIVE app(s) are not named zoom"],
    "verify": ["authenticator 'okta_verify' is already ACTIVE"],
    "no duo": ["authenticator 'duo' is not set up in this org"],
    "help desk": ["group 'Okta Help Desk Admins' has 2 member(s)"],
    "idps": ["1 of 2 identity provider(s) were created before 2022-01-21T00:00:00.000Z"],
    "mfa": [
        "1 enrollment policy(ies) checked for okta_verify",
        "'Contractors': 1 rule(s) checked",
        "'Default Policy': 1 rule(s) checked",
        "'Okta Admin Console': 2 rule(s) checked",
        "'Okta Dashboard': 1 rule(s) checked",
        "12 of 16 admin(s) have an ACTIVE factor",
        "audit: 10 of 49 ACTIVE user(s) checked",
    ],
    "people": ["isac: acknowledged by kim at TIME: sent"],
    "office": ["network zone 'Office egress' exists (IP, ACTIVE)"],
}
AFTER: dict[str, list[str]] = {
    "roles": ["3 of 4 admin(s) hold only allowed direct roles", "3 active super admin(s) now, at most 5 wanted"],
    "tokens": [
        "3 of 4 API token(s) already have the wanted network condition",
        "3 of 4 API token(s) were created before 2022-01-21T00:00:00.000Z",
    ],
    "tokens by name": [
        "API token 'remediator': created 2022-03-21T16:10:00.000Z but allowed",
        "3 of 4 API token(s) were created before 2022-01-21T00:00:00.000Z",
    ],
    "no such zone": ["a network zone of `network` does not exist"],
    "apps": ["17 of 17 ACTIVE app(s) are not named zoom"],
    "webauthn": ["authenticator 'webauthn' is already ACTIVE"],
    "verify": ["authenticator 'okta_verify' is already ACTIVE"],
    "no duo": ["authenticator 'duo' is not set up in this org"],
    "help desk": ["group 'Okta Help Desk Admins' has 0 member(s)"],
    "idps": ["1 of 2 identity provider(s) were created before 2022-01-21T00:00:00.000Z"],
    "streams": ["1 log stream(s) ACTIVE: SIEM"],
    "mfa": [
        "1 enrollment policy(ies) checked for okta_verify",
        "'Contractors': 1 rule(s) checked",
        "'Default Policy': 1 rule(s) checked",
        "'Okta Admin Console': 2 rule(s) checked",
        "'Okta Dashboard': 1 rule(s) checked",
        "2 of 4 admin(s) have an ACTIVE factor",
        "audit: 10 of 49 ACTIVE user(s) checked",
    ],
    "people": ["isac: acknowledged by kim at TIME: sent"],
    "anonymizers": ["network zone 'Block anonymizers' exists (DYNAMIC_V2, ACTIVE)"],
    "office": ["network zone 'Office egress' exists (IP, ACTIVE)"],
}


def notes(output: str) -> dict[str, list[str]]:
    """The `✓` lines of a rendered plan, per state (state headers are the lines indented by two spaces)."""
    out: dict[str, list[str]] = {}
    state = None
    for line in output.splitlines():
        if line.startswith("  ") and not line.startswith("   "):
            state = line.strip()
        elif line.strip().startswith("✓") and state is not None:
            out.setdefault(state, []).append(line.strip()[1:].strip())
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("verbose")
    mp = pytest.MonkeyPatch()
    try:
        with Sandbox(scenario="lapsus-2022", users=60, seed=3) as sb:
            planted = sb.snapshot()["scenario"]["planted"]
            inventory = write_inventory(tmp / "inv.yml", {"hooli": {
                "org_url": sb.org_url, "token": sb.token, "vars": {"break_glass": [planted["break_glass_login"]]}}},
                mp)
            playbook = write_playbook(tmp / "pb.yml", STATES, vars=VARS)
            common = ["-i", inventory, "--journal", tmp / "journal.jsonl"]
            assert cli("ack", "hooli", "isac", "--by", "kim", "--note", "sent", *common).exit_code == 0
            quiet = cli("plan", playbook, *common)
            before = cli("plan", playbook, *common, "-v")
            as_json = cli("plan", playbook, *common, "--json", "-v")
            applied = cli("apply", playbook, *common, "--yes")
            after = cli("plan", playbook, *common, "-v")
    finally:
        mp.undo()
    return {"quiet": quiet, "before": before, "json": as_json, "applied": applied, "after": after}


def _same(got: dict[str, list[str]], pinned: dict[str, list[str]]) -> None:
    ack = re.compile(r"^(isac: acknowledged by kim at )\S+(: sent)$")  # the acknowledgement's time is now
    assert {s: [ack.sub(r"\1TIME\2", n) for n in ns] for s, ns in got.items()} == pinned


def test_plan_v_before_an_apply(runs: dict[str, Any]) -> None:
    assert runs["before"].exit_code == 0, runs["before"].output
    _same(notes(runs["before"].output), BEFORE)
    assert not notes(runs["quiet"].output)  # without -v, no reasons


def test_plan_v_after_an_apply(runs: dict[str, Any]) -> None:
    assert runs["applied"].exit_code == 0, runs["applied"].output
    assert runs["after"].exit_code == 0, runs["after"].output
    _same(notes(runs["after"].output), AFTER)


def test_no_op_reasons_never_reach_the_plan_document(runs: dict[str, Any]) -> None:
    doc = json.loads(runs["json"].stdout)
    validator(PLAN_SCHEMA).validate(doc)
    text = json.dumps(doc)
    reasons = [n for ns in BEFORE.values() for n in ns]
    assert reasons and not [r for r in reasons if json.dumps(r)[1:-1] in text]
    assert "notes" not in text and "no_op" not in text.lower() and "noop" not in text.lower()


"""okta.mfa: data files, dotted paths, the PUT bodies, the bounded audit, and three steps on the lapsus-2022 sandbox."""

from __future__ import annotations

import pytest

from remediator.kinds import REGISTRY
from remediator.kinds.paths import get_path, set_path, tokens
from remediator.plan import Change
from tests.kinds import datafiles
from tests.support import FakeClient, context, user

KIND = "okta.mfa"
ARGS = {"admins_require_factor": True, "enrollment_required": ["okta_verify"], "global_session_require_factor": True,
        "admin_console_factor_mode": "2FA", "dashboard_factor_mode": "2FA"}


@pytest.mark.parametrize("path", datafiles.cases("mfa"), ids=lambda p: p.stem)
def test_diff_data_files(path):
    datafiles.run(KIND, path)


def test_paths():
    policy = {"settings": {"authenticators": [{"key": "okta_email", "enroll": {"self": "OPTIONAL"}}]}}
    assert tokens("settings.authenticators[key=okta_verify].enroll.self") == [
        "settings", "authenticators", ("key", "okta_verify"), "enroll", "self"]
    assert get_path(policy, "settings.authenticators[key=okta_email].enroll.self") == "OPTIONAL"
    assert get_path(policy, "settings.authenticators[key=okta_verify].enroll.self") is None
    changed = set_path(policy, "settings.authenticators[key=okta_verify].enroll.self", "REQUIRED")
    assert changed["settings"]["authenticators"][1] == {"key": "okta_verify", "enroll": {"self": "REQUIRED"}}
    assert len(policy["settings"]["authenticators"]) == 1, "set_path must not change its input"
    rule = {"actions": {"appSignOn": {"verificationMethod": {"factorMode": "1FA", "constraints": [{}]}}}}
    removed = set_path(rule, "actions.appSignOn.verificationMethod.constraints", None)
    assert removed == {"actions": {"appSignOn": {"verificationMethod": {"factorMode": "1FA"}}}}


def _tenant():
    policy = {"id": "00pdef", "name": "Default Policy", "type": "MFA_ENROLL", "status": "ACTIVE", "system": True,
              "settings": {"type": "AUTHENTICATORS", "authenticators": [
                  {"key": "okta_verify", "enroll": {"self": "OPTIONAL"}}]}, "_links": {"self": {"href": "x"}}}
    rule = {"id": "0prdef", "name": "Default Rule", "type": "SIGN_ON", "status": "ACTIVE", "system": True,
            "conditions": {"network": {"connection": "ANYWHERE"}},
            "actions": {"signon": {"access": "ALLOW", "requireFactor": False,
                                   "session": {"maxSessionIdleMinutes": 120}}},
            "_links": {"self": {"href": "y"}}}
    signon = {"id": "00pson", "name": "Default Policy", "type": "OKTA_SIGN_ON", "status": "ACTIVE"}
    store = {"policy": policy, "rule": rule}

    def put(key):
        def handle(_params, body):
            store[key] = body
            return body
        return handle

    client = FakeClient({
        ("GET", "/api/v1/policies"): lambda params, _j: {"MFA_ENROLL": [store["policy"]], "OKTA_SIGN_ON": [signon],
                                                         "ACCESS_POLICY": []}[params["type"]],
        ("GET", "/api/v1/policies/00pson/rules"): lambda *_: [store["rule"]],
        ("GET", "/api/v1/policies/00pdef"): lambda *_: store["policy"],
        ("PUT", "/api/v1/policies/00pdef"): put("policy"),
        ("GET", "/api/v1/policies/00pson/rules/0prdef"): lambda *_: store["rule"],
        ("PUT", "/api/v1/policies/00pson/rules/0prdef"): put("rule"),
        ("GET", "/api/v1/users/me"): user("00uops", "ops@acme.com"),
        ("GET", "/api/v1/users"): [user("00u1", "a@acme.com"), user("00u2", "b@acme.com"), user("00u3", "c@acme.com")],
        ("GET", "/api/v1/users/00u1/factors"): [{"id": "f1", "factorType": "push", "status": "ACTIVE"}],
        ("GET", "/api/v1/users/00u2/factors"): [],
    })
    return client, store


async def test_apply_puts_the_whole_object_with_only_the_planned_fields_changed():
    client, store = _tenant()
    args = {"admins_require_factor": False, "enrollment_required": ["okta_verify"]}
    kind = REGISTRY[KIND]("s", args)
    ctx = context(client)
    changes = [c for c in kind.diff(await kind.read(ctx)) if isinstance(c, Change)]
    assert [c.action for c in changes] == ["replace_policy", "replace_rule"]
    original_rule = store["rule"]
    for change in changes:
        assert kind.verdict(change, await kind.current(ctx, change)) == "pending"
        assert (await kind.apply(ctx, change)).request_id
        assert kind.verdict(change, await kind.current(ctx, change)) == "done"
    put_rule = client.calls_to("PUT", "/api/v1/policies/00pson/rules/0prdef")[0][3]
    assert "_links" not in put_rule
    assert put_rule["conditions"] == original_rule["conditions"]
    assert put_rule["actions"]["signon"] == {"access": "ALLOW", "requireFactor": True, "factorPromptMode": "ALWAYS",
                                             "session": {"maxSessionIdleMinutes": 120}}
    assert store["policy"]["settings"]["authenticators"] == [{"key": "okta_verify", "enroll": {"self": "REQUIRED"}}]
    again = REGISTRY[KIND]("s", args)
    assert [c for c in again.diff(await again.read(context(client))) if isinstance(c, Change)] == []


async def test_audit_reads_at_most_audit_max_users_factors():
    client, _ = _tenant()
    kind = REGISTRY[KIND]("s", {"admins_require_factor": False, "global_session_require_factor": False,
                                "audit_all_users": True, "audit_max_users": 2})
    observed = await kind.read(context(client))
    assert observed["audit"] == {"active_users": 3, "checked": 2, "without_factor": ["b@acme.com"]}
    assert client.calls_to("GET", "/api/v1/users")[0][2]["search"] == 'status eq "ACTIVE"'
    assert not client.calls_to("GET", "/api/v1/users/00u3/factors")
    checked, finding = kind.diff(observed)
    assert checked.reason == "audit: 2 of 3 ACTIVE user(s) checked"
    assert finding.title == "1 ACTIVE user(s) without an ACTIVE factor among 2 checked of 3"


async def test_three_steps_on_the_lapsus_scenario():
    from remediator.sandbox import Sandbox
    from tests.kinds import live

    with Sandbox(scenario="lapsus-2022", users=200, seed=3) as sb:
        planted = sb.snapshot()["scenario"]["planted"]
        events = len(sb.logs)
        changes, findings = await live.plan(sb, KIND, ARGS)
        weak = planted["weak_policies"]
        rules = {f"{r['policy_id']}/{r['rule_id']}" for k in ("global_session", "admin_console", "dashboard")
                 for r in weak[k]}
        assert {c.target.id for c in changes if c.action == "replace_rule"} == rules
        assert {c.target.id for c in changes if c.action == "replace_policy"} == {p["policy_id"]
                                                                                 for p in weak["mfa_enroll"]}
        assert {f.target.id for f in findings if f.title.endswith("has no ACTIVE factor")} == set(
            planted["admins_without_factor"]) - {u for u, s in planted["admins_edge_status"].items()
                                                 if s in ("SUSPENDED", "DEPROVISIONED")}
        assert len(sb.logs) == events, "planning wrote to the tenant"
        await live.apply(sb, KIND, ARGS, changes)
        again, _ = await live.plan(sb, KIND, ARGS)
        assert again == []

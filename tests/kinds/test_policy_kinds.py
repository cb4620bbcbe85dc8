"""okta.policy and okta.policy_rule: data files, and against the sandbox what Okta keeps read-only.

The three steps of each run from the registry (tests/e2e/test_three_steps_every_kind.py); the paths
`set` may name are checked against Okta's spec in test_policy_model.py, and refused by `validate`
(tests/badinput: unknown path, read-only attribute, a system rule's conditions, usePersistentCookie).
"""

from __future__ import annotations

import pytest

from remediator.errors import OktaApiError
from remediator.kinds import REGISTRY
from remediator.sandbox import Sandbox
from remediator.sandbox.scenarios import lapsus_2022
from tests.kinds import datafiles, live

KINDS = {"policy": "okta.policy", "policy_rule": "okta.policy_rule"}
CASES = [(kind, path) for directory, kind in KINDS.items() for path in datafiles.cases(directory)]


@pytest.mark.parametrize(("kind", "path"), CASES, ids=[f"{k}:{p.stem}" for k, p in CASES])
def test_diff_data_files(kind, path):
    datafiles.run(kind, path)


@pytest.fixture(scope="module")
def lapsus():
    with Sandbox(scenario="lapsus-2022", users=60, seed=5) as sb:
        yield sb


async def test_every_rule_of_the_global_session_policy_leaving_what_okta_keeps(lapsus):
    """`rule: "*"` on the Default Policy: the Default Rule keeps usePersistentCookie, and what is planned applies."""
    args = {"policy": {"type": "OKTA_SIGN_ON", "name": "Default Policy"}, "rule": "*",
            "set": {"actions.signon.session.maxSessionIdleMinutes": 15,
                    "actions.signon.session.usePersistentCookie": True}}
    changes, findings = await live.plan(lapsus, "okta.policy_rule", args)
    (change,) = changes
    assert change.after == {"actions.signon.session.maxSessionIdleMinutes": 15}
    assert [f.evidence["read_only"] for f in findings] == [
        {"actions.signon.session.usePersistentCookie": "usePersistentCookie is read-only on the default rule of "
                                                       "the default global session policy"}]
    await live.apply(lapsus, "okta.policy_rule", args, changes)
    again, _ = await live.plan(lapsus, "okta.policy_rule", args)
    assert again == []


async def test_the_sandbox_refuses_what_the_spec_says_is_read_only(lapsus):
    """Okta's spec, `Policy` tag, "Default rules": usePersistentCookie of the default global session rule."""
    async with live.tenant(lapsus) as ctx:
        (policy,) = [p for p in await ctx.reads.policies("OKTA_SIGN_ON") if p["name"] == "Default Policy"]
        (rule,) = [r for r in await ctx.reads.rules(policy["id"]) if r.get("system")]
        rule["actions"]["signon"]["session"]["usePersistentCookie"] = True
        rule.pop("_links", None)
        with pytest.raises(OktaApiError) as caught:
            await ctx.client.request("PUT", f"/api/v1/policies/{policy['id']}/rules/{rule['id']}", json=rule)
    assert caught.value.status == 400 and caught.value.error_code == "E0000001"


async def test_a_policy_by_name_and_an_item_picked_by_key(lapsus):
    args = {"type": "MFA_ENROLL", "name": "Default Policy",
            "set": {"settings.authenticators[key=okta_verify].enroll.self": "REQUIRED"}}
    changes, _ = await live.plan(lapsus, "okta.policy", args)
    await live.apply(lapsus, "okta.policy", args, changes)
    async with live.tenant(lapsus) as ctx:
        (policy,) = await ctx.reads.policies("MFA_ENROLL")
    verify = [a for a in policy["settings"]["authenticators"] if a["key"] == "okta_verify"]
    assert verify == [{"key": "okta_verify", "enroll": {"self": "REQUIRED"}}]
    assert len(policy["settings"]["authenticators"]) == 7  # the other items untouched


@pytest.mark.parametrize(("app", "policy"), [("saasure", "Okta Admin Console"), ("okta_enduser", "Okta Dashboard"),
                                             ("okta ADMIN console", "Okta Admin Console"), ("Slack", "Default Policy")])
async def test_an_app_s_policy_is_the_one_its_access_policy_link_names(lapsus, app, policy):
    """By first-party name or by label (without case): the policy Okta links from the app, never one by its name."""
    args = {"policy": {"app": app}, "rule": "*", "set": {"actions.appSignOn.access": "ALLOW"}}
    async with live.tenant(lapsus) as ctx:
        observed = await REGISTRY["okta.policy_rule"]("live", args).read(ctx)
    assert [p["name"] for p in observed["policies"]] == [policy]


async def test_an_app_without_a_policy_is_a_finding(lapsus):
    _, findings = await live.plan(lapsus, "okta.policy_rule", {"policy": {"app": "No such app"}, "rule": "*",
                                                               "set": {"actions.appSignOn.access": "ALLOW"}})
    assert [f.title for f in findings] == ["no policy for app 'No such app'"]


BREACHED = {"settings.password.breachedProtection.expireAfterDays": 0,
            "settings.password.breachedProtection.logoutEnabled": True}


async def test_breached_password_protection_is_served_and_set():
    """The sandbox serves `breachedProtection` as an org with the feature returns it (terraform-provider-okta
    test/fixtures/vcr/idaas/TestAccResourceOktaPolicyPassword_crud/oie-00.yaml line 100:
    {"expireAfterDays":null,"logoutEnabled":false,"delegatedWorkflowId":null}); the state sets it once."""
    args = {"type": "PASSWORD", "name": "*", "set": BREACHED}
    with Sandbox(scenario="lapsus-2022", users=60, seed=2) as sb:
        (served,) = [p for p in sb.snapshot()["policies"] if p["type"] == "PASSWORD"]
        assert served["settings"]["password"]["breachedProtection"] == {
            "expireAfterDays": None, "logoutEnabled": False, "delegatedWorkflowId": None}
        changes, findings = await live.plan(sb, "okta.policy", args)
        assert [c.after for c in changes] == [BREACHED] and findings == []
        await live.apply(sb, "okta.policy", args, changes)
        assert await live.plan(sb, "okta.policy", args) == ([], [])


async def test_an_org_without_breached_password_protection_gets_a_finding_and_no_write():
    """A snapshot whose password policy has no `breachedProtection` (optional in Okta's spec,
    PasswordPolicyPasswordSettings, management-minimal.yaml line 77842): an org whose edition lacks the
    feature. The breached paths are one finding; the common-password path of the same state is still set."""
    snapshot = lapsus_2022.generate(60, 2)
    for policy in snapshot["policies"]:
        if policy["type"] == "PASSWORD":
            del policy["settings"]["password"]["breachedProtection"]
    args = {"type": "PASSWORD", "name": "*",
            "set": {**BREACHED, "settings.password.complexity.dictionary.common.exclude": True}}
    with Sandbox(snapshot) as sb:
        changes, findings = await live.plan(sb, "okta.policy", args)
        assert [c.after for c in changes] == [{"settings.password.complexity.dictionary.common.exclude": True}]
        assert [f.title for f in findings] == [
            "PASSWORD policy 'Default Policy': breached-password protection is not available in this org's edition"]
        await live.apply(sb, "okta.policy", args, changes)
        again, findings = await live.plan(sb, "okta.policy", args)
        assert again == [] and len(findings) == 1
        (policy,) = [p for p in sb.snapshot()["policies"] if p["type"] == "PASSWORD"]
        assert "breachedProtection" not in policy["settings"]["password"]

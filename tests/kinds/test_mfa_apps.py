"""okta.mfa finds the Admin Console and Dashboard policies through the first-party apps, never by name.

Okta links them from the apps `saasure` (Admin Console) and `okta_enduser` (Dashboard) in
`_links.accessPolicy.href`, as recorded in
../shared/okta-reference/okta-sdk-python/tests/integration/cassettes/test_applications_it/
TestApplicationsResource.test_list_applications_with_query_parameters.yaml. A policy's name is free
text: renamed, it used to be missed; swapped with another, the wrong policy was hardened.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from remediator.kinds.app_policies import access_policy_id
from remediator.sandbox import Sandbox
from remediator.sandbox.scenarios.lapsus_2022 import generate
from tests.kinds import live

KIND = "okta.mfa"
CONSOLE_ONLY = {"admins_require_factor": False, "global_session_require_factor": False,
                "admin_console_factor_mode": "2FA"}
BOTH = {**CONSOLE_ONLY, "dashboard_factor_mode": "2FA"}


@pytest.fixture(scope="module")
def tenant() -> dict[str, Any]:
    return generate(users=60, seed=5)


def _linked(snapshot: dict[str, Any], name: str) -> str:
    app = next(a for a in snapshot["apps"] if a["name"] == name)
    policy = access_policy_id(app)
    assert policy
    return policy


def _swap_names(snapshot: dict[str, Any]) -> dict[str, Any]:
    swapped = copy.deepcopy(snapshot)
    console, dashboard = _linked(swapped, "saasure"), _linked(swapped, "okta_enduser")
    by_id = {p["id"]: p for p in swapped["policies"]}
    by_id[console]["name"], by_id[dashboard]["name"] = by_id[dashboard]["name"], by_id[console]["name"]
    return swapped


async def _hardened(snapshot: dict[str, Any], args: dict[str, Any]) -> tuple[set[tuple[str, str, str]], list[Any]]:
    with Sandbox(copy.deepcopy(snapshot)) as sb:
        changes, findings = await live.plan(sb, KIND, args)
    return {(c.target.id, repr(c.before), repr(c.after)) for c in changes}, findings


@pytest.mark.parametrize("args", [CONSOLE_ONLY, BOTH], ids=["admin-console", "both"])
async def test_swapping_the_policy_names_changes_nothing_in_what_is_hardened(tenant, args) -> None:
    before, _ = await _hardened(tenant, args)
    after, _ = await _hardened(_swap_names(tenant), args)
    assert before and after == before
    policies = {target.split("/")[0] for target, _, _ in after}
    expected = {_linked(tenant, "saasure")} | ({_linked(tenant, "okta_enduser")} if args is BOTH else set())
    assert policies == expected


async def test_a_renamed_admin_console_policy_is_still_hardened(tenant) -> None:
    renamed = copy.deepcopy(tenant)
    console = _linked(renamed, "saasure")
    next(p for p in renamed["policies"] if p["id"] == console)["name"] = "Admins"
    with Sandbox(renamed) as sb:
        changes, findings = await live.plan(sb, KIND, CONSOLE_ONLY)
    assert changes and {c.target.id.split("/")[0] for c in changes} == {console}
    assert all(c.reason.startswith("Okta Admin Console policy 'Admins' rule") for c in changes)
    assert not [f for f in findings if "app sign-in policy found" in f.title]


def _share_dashboard_policy(snapshot: dict[str, Any], labels: tuple[str, ...]) -> dict[str, Any]:
    shared = copy.deepcopy(snapshot)
    dashboard = _linked(shared, "okta_enduser")
    for app in shared["apps"]:
        if app["label"] in labels:
            app["_links"]["accessPolicy"]["href"] = f"{shared['org_url']}/api/v1/policies/{dashboard}"
    return shared


async def test_a_policy_shared_with_other_apps_is_a_finding_naming_them(tenant) -> None:
    shared = _share_dashboard_policy(tenant, ("Slack", "Zoom"))
    dashboard = _linked(shared, "okta_enduser")
    with Sandbox(shared) as sb:
        changes, findings = await live.plan(sb, KIND, BOTH)
    assert changes and not [c for c in changes if c.target.id.startswith(dashboard)]
    [finding] = [f for f in findings if f.target and f.target.id == dashboard]
    assert finding.severity == "high" and "Slack, Zoom" in finding.title
    assert [a["label"] for a in finding.evidence["apps"]] == ["Slack", "Zoom"]


async def test_the_playbook_may_allow_the_sharing(tenant) -> None:
    shared = _share_dashboard_policy(tenant, ("Slack",))
    dashboard = _linked(shared, "okta_enduser")
    with Sandbox(shared) as sb:
        refused, _ = await live.plan(sb, KIND, {**BOTH, "allow_shared_with": ["Zoom"]})
        changes, findings = await live.plan(sb, KIND, {**BOTH, "allow_shared_with": ["Slack"]})
        anyone, _ = await live.plan(sb, KIND, {**BOTH, "allow_shared_with": ["*"]})
    assert not [c for c in refused if c.target.id.startswith(dashboard)]
    mine = [c for c in changes if c.target.id.startswith(dashboard)]
    assert mine and all(c.reason.endswith("(it also governs Slack).") for c in mine)
    assert not [f for f in findings if f.target and f.target.id == dashboard]
    assert {c.target.id for c in anyone} == {c.target.id for c in changes}


async def test_put_bodies_leave_read_only_attributes_alone(tenant) -> None:
    """Hardening the Catch-all Rules (conditions read-only, null as recorded) and the default global session
    rule (usePersistentCookie read-only, spec `Policy` tag "Default rules") sends them back untouched, so Okta
    accepts every PUT (tests/sandbox/test_system_rules.py: the sandbox refuses any change to them)."""
    import json

    from aiohttp import web

    puts: list[tuple[str, dict[str, Any]]] = []

    @web.middleware
    async def capture(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.method == "PUT":
            puts.append((request.path, json.loads(await request.text())))
        return await handler(request)

    args = {**BOTH, "global_session_require_factor": True}
    with Sandbox(copy.deepcopy(tenant), middlewares=[capture]) as sb:
        before = sb.snapshot()
        changes, _ = await live.plan(sb, KIND, args)
        await live.apply(sb, KIND, args, changes)
    rules = {r["id"]: r for rs in before["policy_rules"].values() for r in rs}
    system = [(path, body) for path, body in puts if rules[path.rsplit("/", 1)[1]].get("system")]
    assert {rules[p.rsplit("/", 1)[1]]["name"] for p, _ in system} == {"Catch-all Rule", "Default Rule"}
    for path, body in system:
        old = rules[path.rsplit("/", 1)[1]]
        assert body["conditions"] == old["conditions"]
        if old["type"] == "SIGN_ON":
            assert body["actions"]["signon"]["session"]["usePersistentCookie"] == \
                old["actions"]["signon"]["session"]["usePersistentCookie"]

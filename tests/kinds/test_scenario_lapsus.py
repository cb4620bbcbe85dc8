"""Each incident kind, with the shipped playbook's arguments, on the lapsus-2022 sandbox: it plans for exactly
what the scenario planted (its manifest), then apply and a second plan leave nothing to change."""

from __future__ import annotations

import pytest

from remediator.plan import Change
from tests.kinds import live

BREACH = "2022-01-21T00:00:00Z"


@pytest.fixture(scope="module")
def planted_sandbox():
    from remediator.sandbox import Sandbox

    with Sandbox(scenario="lapsus-2022", users=300, seed=7) as sb:
        yield sb, sb.snapshot()["scenario"]["planted"]


def _ids(items, action=None):
    return sorted(i.target.id for i in items if action is None or getattr(i, "action", None) == action)


async def test_support_access(planted_sandbox):
    sb, planted = planted_sandbox
    changes, findings = await live.plan(sb, "okta.support_access", {"enabled": False})
    assert _ids(changes, "disable_case_impersonation") == planted["support_cases_enabled"]
    assert _ids(changes, "revoke") == ["org"]
    assert _ids(findings) == planted["support_cases_requested"]


async def test_new_admins(planted_sandbox):
    sb, planted = planted_sandbox
    args = {"created_after": BREACH, "allow": [], "action": "suspend"}
    changes, findings = await live.plan(sb, "okta.new_admins", args, break_glass=(planted["break_glass_login"],))
    assert _ids(changes, "suspend") == planted["new_admins"]
    granted = sorted({m for g in planted["late_role_grants"] for m in g["members"]})
    assert sorted({f.target.id for f in findings if " granted to " in f.title}) == granted
    assert all(f.evidence.get("granted_by") for f in findings if " granted to " in f.title)
    assert [f for f in findings if " granted to " not in f.title] == []


async def test_admin_passwords(planted_sandbox):
    sb, planted = planted_sandbox
    protected = {planted["operator_id"], planted["break_glass_id"]}
    changes, findings = await live.plan(sb, "okta.admin_passwords", {"changed_after": BREACH, "method": "reset"},
                                        break_glass=(planted["break_glass_login"],))
    assert _ids(changes) == sorted(set(planted["admins_needing_rotation"]) - protected)
    assert _ids(findings) == sorted(set(planted["admins_needing_rotation"]) & protected)


async def test_admin_sessions(planted_sandbox):
    sb, planted = planted_sandbox
    changes, findings = await live.plan(sb, "okta.admin_sessions", {"cleared_after": BREACH})
    live_admins = {uid for uid, a in planted["admins"].items() if a["status"] != "DEPROVISIONED"}
    assert _ids(changes) == sorted(live_admins - {planted["operator_id"]})
    assert [(f.severity, f.target.id) for f in findings] == [("info", planted["operator_id"])]


async def test_api_tokens(planted_sandbox):
    sb, planted = planted_sandbox
    changes, findings = await live.plan(sb, "okta.api_tokens", {"created_after": BREACH, "action": "revoke"})
    assert _ids(changes) == planted["rogue_api_tokens"]
    assert _ids(findings) == [planted["operator_token"]]


async def test_identity_providers(planted_sandbox):
    sb, planted = planted_sandbox
    changes, findings = await live.plan(sb, "okta.identity_providers", {"created_after": BREACH})
    assert changes == []
    assert [(f.severity, f.target.id) for f in findings] == [("high", i) for i in planted["rogue_idps"]]


@pytest.mark.parametrize(("kind", "args"), [
    ("okta.support_access", {"enabled": False}),
    ("okta.new_admins", {"created_after": BREACH}),
    ("okta.admin_passwords", {"changed_after": BREACH}),
    ("okta.admin_sessions", {"cleared_after": BREACH}),
    ("okta.api_tokens", {"created_after": BREACH}),
    ("okta.identity_providers", {"created_after": BREACH, "action": "deactivate"}),
])
async def test_apply_then_plan_again_is_empty(kind, args):
    from remediator.sandbox import Sandbox

    with Sandbox(scenario="lapsus-2022", users=300, seed=7) as sb:
        bg = (sb.snapshot()["scenario"]["planted"]["break_glass_login"],)
        changes, _ = await live.plan(sb, kind, args, break_glass=bg)
        assert changes and all(isinstance(c, Change) for c in changes)
        events = len(sb.logs)
        await live.apply(sb, kind, args, changes, break_glass=bg)
        assert len(sb.logs) > events
        sb.advance(sb.config.log_delay)  # the scenario persists some events late, as Okta does: let them land
        again, _ = await live.plan(sb, kind, args, break_glass=bg)
        assert again == []


async def test_a_plan_of_every_incident_kind_reads_no_endpoint_twice(planted_sandbox):
    """Kinds read concurrently (as the planner runs them) through one TenantReads: each GET happens once,
    factors are read for admins only, and the System Log is queried once per question asked of it."""
    import asyncio
    from collections import Counter
    from urllib.parse import urlsplit

    from remediator.facts import TenantReads
    from remediator.kinds import REGISTRY
    from remediator.kinds.base import TenantContext
    from remediator.okta.auth import SswsAuth
    from remediator.okta.client import OktaClient

    sb, planted = planted_sandbox
    seen: Counter[tuple[str, str]] = Counter()

    class Counting(OktaClient):
        async def request(self, method, path_or_url, **kw):  # type: ignore[override]
            if "after=" not in path_or_url:  # next pages of one list are not a second read
                seen[(method, urlsplit(path_or_url).path, str(sorted((kw.get("params") or {}).items())))] += 1
            return await super().request(method, path_or_url, **kw)

    states = [("okta.support_access", {"enabled": False}),
              ("okta.new_admins", {"created_after": BREACH}),
              ("okta.admin_passwords", {"changed_after": BREACH}),
              ("okta.admin_sessions", {"cleared_after": BREACH}),
              ("okta.api_tokens", {"created_after": BREACH}),
              ("okta.identity_providers", {"created_after": BREACH}),
              ("okta.mfa", {"enrollment_required": ["okta_verify"], "admin_console_factor_mode": "2FA"}),
              ("manual", {"steps": [{"id": "a", "title": "A"}]})]
    async with Counting(sb.org_url, SswsAuth(sb.token), tenant="sandbox") as client:
        ctx = TenantContext(name="sandbox", client=client, reads=TenantReads(client))
        kinds = [REGISTRY[k](k, a) for k, a in states]
        await asyncio.gather(*(k.read(ctx) for k in kinds))
    assert [key for key, n in seen.items() if n > 1] == []
    assert {m for m, _, _ in seen} == {"GET"}
    paths = [p for _, p, _ in seen]
    admins = len(planted["admins"])
    assert sum(p.endswith("/factors") for p in paths) == admins
    assert sum(p.endswith("/roles") and p.startswith("/api/v1/users/") for p in paths) == admins
    assert paths.count("/api/v1/logs") == 2  # privilege grants, session clears
    assert paths.count("/api/v1/iam/assignees/users") == 1

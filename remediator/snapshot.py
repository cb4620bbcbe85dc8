"""Take a live tenant's state into the tenant snapshot format (contract.md), read-only.

The snapshot is what `remediator sandbox serve --snapshot` loads, so a responder can rehearse a
playbook on a faithful copy of their own org before pointing it at production. Roles and factors
are read for admins only (reading every user's factors takes hours at incident scale); group
roles for the groups through which admins hold roles.
"""

from __future__ import annotations

import asyncio
from typing import Any

from remediator.errors import OktaApiError
from remediator.timeutil import format_time

SNAPSHOT_FORMAT = "remediator.tenant-snapshot/1"
POLICY_TYPES = ("OKTA_SIGN_ON", "MFA_ENROLL", "ACCESS_POLICY", "PASSWORD")


async def take_snapshot(spec: Any, *, logs_since: str | None = None) -> dict[str, Any]:
    """Open the tenant's client and read everything the snapshot holds."""
    from remediator.engine.session import RunSettings, TenantSession

    async with TenantSession(spec, RunSettings()) as session:
        return await read_snapshot(session.client, org_url=spec.org_url, logs_since=logs_since)


async def read_snapshot(client: Any, *, org_url: str, logs_since: str | None = None) -> dict[str, Any]:
    me = await client.get_json("/api/v1/users/me")
    org = await client.get_json("/api/v1/org")  # its `id` is the org's identity; the sandbox serves it back
    users = [u async for u in client.paginate("/api/v1/users", {"limit": "200"})]
    # A plain list leaves out DEPROVISIONED users; a search includes them.
    seen = {u["id"] for u in users}
    async for user in client.paginate("/api/v1/users", {"search": 'status eq "DEPROVISIONED"', "limit": "200"}):
        if user["id"] not in seen:
            users.append(user)
    groups = [g async for g in client.paginate("/api/v1/groups", {"limit": "200"})]
    admin_ids = [a["id"] async for a in client.paginate("/api/v1/iam/assignees/users", {"limit": "100"})]
    roles = await _gather({uid: client.get_json(f"/api/v1/users/{uid}/roles") for uid in admin_ids})
    factors = await _gather({uid: client.get_json(f"/api/v1/users/{uid}/factors") for uid in admin_ids})
    role_groups = sorted({_assignee_group(r) for rs in roles.values() for r in rs if r.get("assignmentType") == "GROUP"}
                         - {None})
    group_roles = await _gather({gid: client.get_json(f"/api/v1/groups/{gid}/roles") for gid in role_groups})
    members = await _gather({gid: _ids(client, f"/api/v1/groups/{gid}/users") for gid in role_groups})
    policies, rules = await _policies(client)
    support = await client.get_json("/api/v1/org/privacy/oktaSupport")
    cases = await client.get_json("/api/v1/org/privacy/oktaSupport/cases")
    snapshot: dict[str, Any] = {
        "format": SNAPSHOT_FORMAT,
        "taken_at": format_time(client.server_now()),
        "org_url": org_url,
        "operator": me["id"],
        "org": {k: v for k, v in (org or {}).items() if k != "_links"},
        "okta_support": {k: v for k, v in support.items() if k != "_links"},
        "support_cases": cases.get("supportCases", []) if isinstance(cases, dict) else cases,
        "users": users,
        "groups": groups,
        "group_members": members,
        "user_roles": {uid: [r for r in rs if r.get("assignmentType", "USER") == "USER"] for uid, rs in roles.items()},
        "group_roles": group_roles,
        "factors": factors,
        "policies": policies,
        "policy_rules": rules,
        "api_tokens": [t async for t in client.paginate("/api/v1/api-tokens")],
        "idps": [i async for i in client.paginate("/api/v1/idps")],
        # the first-party apps (saasure, okta_enduser) name the Admin Console and Dashboard policies
        "apps": [a async for a in client.paginate("/api/v1/apps", {"limit": "200"})],
    }
    if logs_since:
        until = format_time(client.server_now())
        params = {"since": logs_since, "until": until, "limit": "1000", "sortOrder": "ASCENDING"}
        snapshot["logs"] = [e async for e in client.paginate("/api/v1/logs", params)]
    return snapshot


def _assignee_group(role: dict[str, Any]) -> str | None:
    href = ((role.get("_links") or {}).get("assignee") or {}).get("href", "")
    return href.rstrip("/").rsplit("/", 1)[-1] if "/groups/" in href else None


async def _ids(client: Any, path: str) -> list[str]:
    return [u["id"] async for u in client.paginate(path, {"limit": "200"})]


async def _gather(calls: dict[str, Any]) -> dict[str, Any]:
    values = await asyncio.gather(*calls.values())
    return dict(zip(calls, values, strict=True))


async def _policies(client: Any) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    policies: list[dict[str, Any]] = []
    for policy_type in POLICY_TYPES:
        try:
            policies += [p async for p in client.paginate("/api/v1/policies", {"type": policy_type})]
        except OktaApiError as exc:
            if exc.status not in (400, 403):  # a type the org's edition does not have
                raise
    rules = await _gather({p["id"]: client.get_json(f"/api/v1/policies/{p['id']}/rules") for p in policies})
    return policies, rules

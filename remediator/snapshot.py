"""Take a live tenant's state into the tenant snapshot format (contract.md), read-only.

The snapshot is what `remediator sandbox serve --snapshot` loads, so a responder can rehearse a
playbook on a faithful copy of their own org before pointing it at production. Roles and factors
are read for admins only (reading every user's factors takes hours at incident scale); group
roles for the groups through which admins hold roles.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from remediator.engine.session import RunSettings, TenantSession
from remediator.errors import OktaApiError, OktaError
from remediator.facts import (
    ADMINS,
    API_TOKENS,
    APPS,
    AUTHENTICATORS,
    EVENTS,
    FACTORS,
    GROUP_ROLES,
    GROUPS,
    IDPS,
    LOG_STREAMS,
    ME,
    ORG,
    POLICIES,
    RULES,
    SUPPORT,
    SUPPORT_CASES,
    USERS,
    ZONES,
    Admin,
    Endpoint,
    Fact,
    TenantReads,
    role_group_id,
)
from remediator.facts import endpoints as ep
from remediator.timeutil import format_time

SNAPSHOT_FORMAT = "remediator.tenant-snapshot/1"
POLICY_TYPES = ("OKTA_SIGN_ON", "MFA_ENROLL", "ACCESS_POLICY", "PASSWORD")
#: Okta's singletons the snapshot keeps under `settings`, each keyed by the path that reads it (contract.md).
SETTINGS: tuple[tuple[Endpoint, tuple[str, ...]], ...] = (
    (ep.THREAT_INSIGHT, ()), (ep.FIRST_PARTY_APP_SETTINGS, ("admin-console",)), (ep.AUTO_ASSIGN_ADMIN_APP, ()),
    (ep.CLIENT_PRIVILEGES, ()), (ep.USER_LOCKOUT, ()))
#: Everything a snapshot reads (the scopes a service app needs for `remediator snapshot`).
SNAPSHOT = Fact("snapshot", tuple(dict.fromkeys(e for f in (ME, ORG, USERS, GROUPS, ADMINS, FACTORS, GROUP_ROLES,
                                                              POLICIES, RULES, SUPPORT, SUPPORT_CASES, API_TOKENS, APPS,
                                                              IDPS, EVENTS, ZONES, AUTHENTICATORS, LOG_STREAMS)
                                                for e in f.endpoints)) + tuple(e for e, _ in SETTINGS))


async def take_snapshot(spec: Any, *, logs_since: str | None = None) -> dict[str, Any]:
    """Open the tenant's client and read everything the snapshot holds."""
    async with TenantSession(spec, RunSettings(), scopes=SNAPSHOT.scopes) as session:
        assert session.ctx is not None
        return await read_snapshot(session.ctx.reads, org_url=spec.org_url, logs_since=logs_since)


async def read_snapshot(reads: TenantReads, *, org_url: str, logs_since: str | None = None) -> dict[str, Any]:
    me = await reads.me()
    org = await reads.org()  # its `id` is the org's identity; the sandbox serves it back
    users = list(await reads.users())
    # A plain list leaves out DEPROVISIONED users; a search includes them.
    seen = {u["id"] for u in users}
    users += [u for u in await reads.users('status eq "DEPROVISIONED"') if u["id"] not in seen]
    groups = await reads.groups()
    admins = await reads.admins()
    admin_ids = [a.id for a in admins]
    roles = await _gather({uid: reads.roles(uid) for uid in admin_ids})
    factors = await _gather({uid: reads.factors(uid) for uid in admin_ids})
    role_groups = sorted({g for rs in roles.values() for r in rs if (g := role_group_id(r))})
    group_roles = await _gather({gid: reads.group_roles(gid) for gid in role_groups})
    members = await _gather({gid: _ids(reads, gid) for gid in role_groups})
    policies, rules = await _policies(reads)
    support = await reads.support()
    snapshot: dict[str, Any] = {
        "format": SNAPSHOT_FORMAT,
        "taken_at": format_time(reads.client.server_now()),
        "org_url": org_url,
        "operator": me.get("id") or _stand_in_operator(admins),
        "org": {k: v for k, v in (org or {}).items() if k != "_links"},
        "okta_support": {k: v for k, v in support.items() if k != "_links"},
        "support_cases": await reads.support_cases(),
        "users": users,
        "groups": groups,
        "group_members": members,
        "user_roles": {uid: [r for r in rs if r.get("assignmentType", "USER") == "USER"] for uid, rs in roles.items()},
        "group_roles": group_roles,
        "factors": factors,
        "policies": policies,
        "policy_rules": rules,
        "api_tokens": await reads.api_tokens(),
        "idps": await reads.idps(),
        # the first-party apps (saasure, okta_enduser) name the Admin Console and Dashboard policies
        "apps": await reads.apps(),
        "network_zones": await reads.zones(),
        "authenticators": await reads.authenticators(),
        "log_streams": await reads.log_streams(),
        "settings": await _settings(reads),
    }
    if logs_since:
        snapshot["logs"] = await reads.events(None, logs_since, format_time(reads.client.server_now()))
    return snapshot


async def _settings(reads: TenantReads) -> dict[str, Any]:
    """The singletons this org has; one its edition lacks (Okta answers 400, 403 or 404) is left out."""
    out = {}
    for endpoint, values in SETTINGS:
        try:
            out[endpoint.path(*values)] = await reads.setting(endpoint, *values)
        except OktaApiError as exc:
            if exc.status not in (400, 403, 404):
                raise
    return out


def _stand_in_operator(admins: list[Admin]) -> str:
    """Who the rehearsal's token acts as when a service app (no user) took the snapshot: an active super admin."""
    supers = [a.id for a in admins if a.user.get("status") == "ACTIVE"
              and any(r.get("type") == "SUPER_ADMIN" and r.get("status", "ACTIVE") == "ACTIVE" for r in a.roles)]
    if not supers:
        raise OktaError("no active super admin to stand in for the token owner in the snapshot (a service app "
                        "acts as no user): take it with an SSWS token")
    return supers[0]


async def _ids(reads: TenantReads, group_id: str) -> list[str]:
    return [u["id"] for u in await reads.group_members(group_id)]


async def _gather(calls: dict[str, Awaitable[Any]]) -> dict[str, Any]:
    values = await asyncio.gather(*calls.values())
    return dict(zip(calls, values, strict=True))


async def _policies(reads: TenantReads) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    policies: list[dict[str, Any]] = []
    for policy_type in POLICY_TYPES:
        try:
            policies += await reads.policies(policy_type)
        except OktaApiError as exc:
            if exc.status not in (400, 403):  # a type the org's edition does not have
                raise
    rules = await _gather({p["id"]: reads.rules(p["id"]) for p in policies})
    return policies, rules

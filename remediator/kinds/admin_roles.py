"""`okta.admin_roles`: exactly the allowed principals hold admin roles.

`allowed` maps a role type to the logins and groups (`"group:NAME"`) that may hold it. The admin list
(`/iam/assignees/users`, then each admin's roles: the reads every admin kind shares) shows every role
assignment, direct or through a group, and the name of each group a role comes through is read once
(`GET /groups/{id}`). Then:

- a role assigned directly to a user who is not allowed it is unassigned (`DELETE
  /users/{id}/roles/{roleAssignmentId}`, one change per user for all of them) or, with
  `others: report`, reported (high);
- a role held through a group that is not allowed it is a finding (high) naming the group: removing
  the group's role would strip every member at once, a decision for a person;
- with `max_super_admins`, more active super admins than that (after the planned changes) is a finding.

The token owner, `break_glass` accounts and the last active super admin are never stripped: findings.
"""

from __future__ import annotations

import asyncio
from typing import Any

from remediator.errors import InputError, OktaApiError
from remediator.facts import ADMINS, GROUP, ME
from remediator.facts import endpoints as ep
from remediator.kinds.base import Applied, TenantContext, Verdict, register
from remediator.kinds.common import (
    admins_view,
    is_admin_role,
    login,
    protected_view,
    protection,
    user_target,
)
from remediator.kinds.selector import ROLE_TYPES
from remediator.kinds.userbase import UserKind
from remediator.plan import Change, Finding, NoOp, Target

GROUP_PREFIX = "group:"


@register
class AdminRoles(UserKind):
    """Only the principals in `allowed` hold admin roles; others unassigned or reported; super admins capped.

    Example::

        - name: Only the named admins hold admin roles
          okta.admin_roles:
            allowed:
              SUPER_ADMIN: [alice@acme.com, "group:Okta Super Admins"]
              HELP_DESK_ADMIN: ["group:Helpdesk"]
            others: unassign
            max_super_admins: 3
    """

    name = "okta.admin_roles"
    schema = {
        "type": "object",
        "required": ["allowed"],
        "properties": {
            "allowed": {
                "type": "object",
                "propertyNames": {"enum": list(ROLE_TYPES)},
                "additionalProperties": {"type": "array", "items": {"type": "string", "minLength": 1}},
                "description": "role type -> logins and \"group:NAME\"s that may hold it",
            },
            "others": {"enum": ["unassign", "report"], "default": "unassign",
                       "description": "what to do with a role held directly by anyone else"},
            "max_super_admins": {"type": "integer", "minimum": 1,
                                 "description": "at most this many active super admins"},
        },
        "additionalProperties": False,
    }
    facts = (ADMINS, ME, GROUP, ep.USER_ROLES)
    writes = (ep.UNASSIGN_USER_ROLE,)

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        admins = admins_view(await ctx.reads.admins())
        me = await ctx.reads.me()
        gids = sorted({r["group"] for a in admins for r in a["roles"] if r.get("group")})
        groups = await asyncio.gather(*(ctx.reads.group(g) for g in gids))
        return {"admins": admins, "protected": protected_view(me, ctx.protected_logins),
                "groups": {g: str(((grp or {}).get("profile") or {}).get("name", g)) for g, grp in zip(gids, groups,
                                                                                                     strict=True)},
                "active_super_admins": sorted(await ctx.reads.active_super_admins())}

    def _allowed(self, role_type: str, user: dict[str, Any] | None, group_name: str | None) -> bool:
        names = {str(x).lower() for x in (self.args.get("allowed") or {}).get(role_type, [])}
        if group_name is not None:
            return f"{GROUP_PREFIX}{group_name}".lower() in names
        return user is not None and (login(user).lower() in names or str(user.get("id", "")).lower() in names)

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        out: list[Change | Finding] = []
        report = self.args.get("others", "unassign") == "report"
        group_findings: dict[tuple[str, str], list[str]] = {}
        admins, only_allowed = observed.get("admins", []), 0
        for admin in admins:
            user, roles = admin["user"], [r for r in admin.get("roles", []) if is_admin_role(r)]
            direct = [r for r in roles if not r.get("group") and not self._allowed(str(r.get("type")), user, None)]
            for role in roles:
                gid = role.get("group")
                name = observed.get("groups", {}).get(gid, gid) if gid else None
                if gid and not self._allowed(str(role.get("type")), None, name):
                    group_findings.setdefault((gid, str(role.get("type"))), []).append(login(user))
            if not direct:
                only_allowed += 1  # nothing to unassign from this admin
                continue
            types = ", ".join(sorted({str(r.get("type")) for r in direct}))
            evidence = {"roles": direct, "status": user.get("status")}
            why = protection(observed, user)
            if why:
                out.append(self.protected_finding(why, user, f"unassign {types} from", evidence))
            elif report:
                out.append(self.finding("high", f"{login(user)} holds {types}, not allowed", user_target(user),
                                        evidence))
            else:
                out.append(self.change(
                    "unassign_role", user_target(user), {"roles": [r["id"] for r in direct]}, {"roles": []},
                    f"{login(user)} holds {types} directly and `allowed` does not name it for that: unassign it.",
                ))
        for (gid, role_type), members in sorted(group_findings.items()):
            name = observed.get("groups", {}).get(gid, gid)
            out.append(self.finding(
                "high", f"group {name!r} grants {role_type} and is not allowed it: remove the role or the group's "
                        "members by hand", Target(type="group", id=gid, label=name),
                {"group": name, "role": role_type, "members": sorted(members),
                 "why": "a group's role cannot be unassigned without stripping every member"}))
        out = self.keep_last_super_admin(observed, out)
        held = self.no_op(f"{only_allowed} of {len(admins)} admin(s) hold only allowed direct roles")
        return [*out, held, *self._too_many_supers(observed, out)]

    def _too_many_supers(self, observed: dict[str, Any], out: list[Change | Finding]) -> list[Finding | NoOp]:
        """With `max_super_admins`: how many active super admins there are now, and a finding when more than
        the cap would remain after the planned changes."""
        cap = self.args.get("max_super_admins")
        if cap is None:
            return []
        now = self.no_op(f"{len(observed.get('active_super_admins') or [])} active super admin(s) now, "
                         f"at most {cap} wanted")
        stripped = {c.target.id for c in out if isinstance(c, Change)}
        remaining = []
        for admin in observed.get("admins", []):
            uid = admin["user"]["id"]
            if uid not in (observed.get("active_super_admins") or []):
                continue
            keeps = [r for r in admin.get("roles", []) if r.get("type") == "SUPER_ADMIN"
                     and (uid not in stripped or r.get("group"))]
            if keeps:
                remaining.append(login(admin["user"]))
        if len(remaining) <= cap:
            return [now]
        return [now, self.finding("high", f"{len(remaining)} active super admins, more than max_super_admins={cap}",
                                  None, {"super_admins": sorted(remaining), "max_super_admins": cap})]

    async def current(self, ctx: TenantContext, change: Change) -> dict[str, Any]:
        held = {r.get("id") for r in (await ctx.reads.fresh(ep.USER_ROLES, change.target.id)).body or []}
        return {"roles": [rid for rid in change.before.get("roles", []) if rid in held]}

    def verdict(self, change: Change, current: dict[str, Any]) -> Verdict:
        return "done" if not current.get("roles") else "pending"

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        if change.action != "unassign_role":
            raise InputError(f"{self.name}: the plan names an action this kind does not make: {change.action!r}")
        uid, done = change.target.id, dict[str, str | None]()
        for rid in change.before.get("roles", []):
            try:
                resp = await ep.UNASSIGN_USER_ROLE.send(ctx.client, uid, rid)
            except OktaApiError as exc:
                if exc.status != 404:
                    raise
                done[rid] = None  # already gone (an earlier, interrupted run)
                continue
            done[rid] = resp.request_id
        ids = [r for r in done.values() if r]
        return Applied(request_id=ids[-1] if ids else None, detail={"unassigned": done})


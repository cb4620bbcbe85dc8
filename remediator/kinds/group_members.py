"""`okta.group_members`: a group's membership as declared.

`absent` logins are not members; with `only`, nobody outside that list is a member; `present` logins
are members. The group is found by name (`GET /groups?q=NAME`, the exact name picked), its members
read in pages of 1,000, and each `present` login read by login (`GET /users/{login}`, one call each).
Writes are Okta's membership calls, one per change: `DELETE /api/v1/groups/{groupId}/users/{userId}`
and `PUT` on the same path. Okta changes memberships only of `OKTA_GROUP` groups (spec:
assignUserToGroup; an app or directory group's members come from its import), so another type is a
finding. Removing the token owner or a `break_glass` account from a group is a finding; so is
removing every active super admin from a group that grants SUPER_ADMIN when no other super admin is
left.
"""

from __future__ import annotations

import asyncio
from typing import Any

from remediator.errors import InputError, OktaApiError
from remediator.facts import ADMINS, GROUP_MEMBERS, GROUP_NAMED, GROUP_ROLES, ME, USER_BY_LOGIN
from remediator.facts import endpoints as ep
from remediator.kinds.base import Applied, Kind, TenantContext, register
from remediator.kinds.common import (
    login,
    protected_view,
    protection,
    user_target,
    user_view,
)
from remediator.plan import Change, Finding, NoOp, Target

_LOGINS = {"type": "array", "items": {"type": "string", "minLength": 1}}


def _names(items: Any) -> set[str]:
    return {str(x).lower() for x in items or ()}


@register
class GroupMembers(Kind):
    """A group's members as declared: `absent` logins removed, nobody outside `only`, `present` logins added.

    Example::

        - name: Only the named people are help desk admins
          okta.group_members:
            group: Okta Help Desk Admins
            absent: [mallory@acme.com]
            only: [alice@acme.com, bob@acme.com]
    """

    name = "okta.group_members"
    schema = {
        "type": "object",
        "required": ["group"],
        "anyOf": [{"required": ["absent"]}, {"required": ["only"]}, {"required": ["present"]}],
        "properties": {
            "group": {"type": "string", "minLength": 1, "description": "the group's name"},
            "absent": {**_LOGINS, "description": "logins that must not be members"},
            "only": {**_LOGINS, "description": "the only logins that may be members"},
            "present": {**_LOGINS, "description": "logins that must be members"},
        },
        "additionalProperties": False,
    }
    facts = (GROUP_NAMED, GROUP_MEMBERS, GROUP_ROLES, USER_BY_LOGIN, ADMINS, ME)
    writes = (ep.UNASSIGN_FROM_GROUP, ep.ASSIGN_TO_GROUP)

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        group = await ctx.reads.group_named(self.args["group"])
        me = await ctx.reads.me()
        observed: dict[str, Any] = {"group": None, "members": [], "present": {},
                                    "protected": protected_view(me, ctx.protected_logins)}
        if group is None:
            return observed
        gid = str(group["id"])
        members, wanted = await asyncio.gather(
            ctx.reads.group_members(gid),
            asyncio.gather(*(ctx.reads.user_by_login(x) for x in self.args.get("present") or [])),
        )
        roles = await ctx.reads.group_roles(gid) if self._removes() else []
        observed["group"] = {"id": gid, "name": (group.get("profile") or {}).get("name"), "type": group.get("type"),
                             "roles": sorted({str(r.get("type")) for r in roles or []})}
        observed["members"] = [user_view(m) for m in sorted(members, key=login)]
        observed["present"] = {x: (user_view(u) if u else None)
                               for x, u in zip(self.args.get("present") or [], wanted, strict=True)}
        if "SUPER_ADMIN" in observed["group"]["roles"]:
            observed["active_super_admins"] = sorted(await ctx.reads.active_super_admins())
        return observed

    def _removes(self) -> bool:
        return bool(self.args.get("absent") or "only" in self.args)

    def _unwanted(self, user: dict[str, Any]) -> str | None:
        name = login(user).lower()
        if name in _names(self.args.get("absent")):
            return "is listed in `absent`"
        if "only" in self.args and name not in _names(self.args.get("only")):
            return "is not in `only`"
        return None

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        group = observed.get("group")
        if group is None:
            return [self.finding("medium", f"group {self.args['group']!r} not found", None,
                                 {"group": self.args["group"]})]
        target = Target(type="group", id=group["id"], label=group.get("name"))
        members = self.no_op(f"group {group['name']!r} has {len(observed.get('members', []))} member(s)", target)
        out = self._changes(observed)
        if group.get("type") in (None, "OKTA_GROUP") or not any(isinstance(c, Change) for c in out):
            return [*out, members]
        return [self.finding("medium", f"group {group.get('name')!r} is an {group.get('type')}: its members come "
                                       "from its app or directory, change them there", target,
                             {"group": group, "planned": [c.to_json() for c in out if isinstance(c, Change)]}),
                members]

    def _changes(self, observed: dict[str, Any]) -> list[Change | Finding]:
        group = observed["group"]
        out: list[Change | Finding] = []
        member_ids = {m["id"] for m in observed.get("members", [])}
        removals = [(m, why) for m in observed.get("members", []) if (why := self._unwanted(m))]
        stripped = self._last_supers(observed, [m["id"] for m, _ in removals])
        for user, why in removals:
            guard = protection(observed, user) or ("the last active super admin" if user["id"] in stripped else None)
            if guard:
                out.append(self.finding("high", f"remove {login(user)} from {group['name']!r} by hand ({guard})",
                                        user_target(user), {"why": f"{guard}: automation never does it",
                                                            "group_roles": group.get("roles")}))
                continue
            out.append(self.change("remove_member", user_target(user), {"member_of": group["id"]},
                                   {"member_of": None},
                                   f"{login(user)} is a member of {group['name']!r} and {why}: remove it."))
        for name, user in (observed.get("present") or {}).items():
            if user is None:
                out.append(self.finding("medium", f"{name} cannot be added to {group['name']!r}: no such user",
                                        None, {"login": name}))
            elif user["id"] not in member_ids:
                out.append(self.change("add_member", user_target(user), {"member_of": None},
                                       {"member_of": group["id"]},
                                       f"{login(user)} must be a member of {group['name']!r} (`present`): add it."))
        return out

    def _last_supers(self, observed: dict[str, Any], removed: list[str]) -> set[str]:
        """Removed members whose removal would leave no active super admin (this group grants SUPER_ADMIN)."""
        supers = set(observed.get("active_super_admins") or ())
        if "SUPER_ADMIN" not in (observed["group"].get("roles") or []) or not supers:
            return set()
        return supers & set(removed) if supers <= set(removed) else set()

    async def current(self, ctx: TenantContext, change: Change) -> dict[str, Any]:
        gid = change.after.get("member_of") or change.before.get("member_of")
        # one paged read per group per run: a write to one member does not change another's membership
        members = {str(m["id"]) for m in await ctx.reads.group_members(str(gid))}
        return {"member_of": gid if change.target.id in members else None}

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        gid = change.after.get("member_of") or change.before.get("member_of")
        write = {"remove_member": ep.UNASSIGN_FROM_GROUP, "add_member": ep.ASSIGN_TO_GROUP}.get(change.action)
        if write is None:
            raise InputError(f"{self.name}: the plan names an action this kind does not make: {change.action!r}")
        try:
            resp = await write.send(ctx.client, str(gid), change.target.id)
        except OktaApiError as exc:
            if not (exc.status == 404 and write is ep.UNASSIGN_FROM_GROUP):
                raise
            return Applied(request_id=None, detail={"already": "not a member"})
        return Applied(request_id=resp.request_id)

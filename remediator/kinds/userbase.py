"""What the user kinds share: reading their selection, protected accounts, the last super admin.

Observed state of a user kind (plain JSON, so that `diff` tests are data files)::

    {"users": [user_view...], "selection": {"how": [...], "missing": {...}, "excluded": [...]},
     "protected": {"token_owner": {...}, "break_glass": [...]},
     "active_super_admins": ["00u..."]}          # kinds whose changes may lock someone out
"""

from __future__ import annotations

from typing import Any, TypeGuard, TypeVar

from remediator.facts import ADMINS, GROUP_MEMBERS, GROUP_NAMED, ME, USERS
from remediator.guardrails import LOCKOUT_ACTIONS
from remediator.kinds.base import Kind, TenantContext
from remediator.kinds.common import login, protected_view, user_target
from remediator.kinds.selector import select, selector_properties
from remediator.plan import Change, Finding, NoOp


def user_schema(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A closed schema: the selector (`users` required, `exclude`) plus the kind's own arguments."""
    return {"type": "object", "required": ["users", *required],
            "properties": {**selector_properties(), **properties}, "additionalProperties": False}


#: A kind's decided items: changes and findings, with or without its no-ops.
Item = TypeVar("Item", Change | Finding, Change | Finding | NoOp)

#: What resolving a selector may read (the admin list, a group's members, a search) and who is protected.
SELECTION_FACTS = (USERS, ADMINS, GROUP_NAMED, GROUP_MEMBERS, ME)


class UserKind(Kind):
    """A kind acting on the users its `users` selector picks (minus `exclude`).

    Targeted at apply (`Kind.targeted`): whether a user is selected is a conjunction of tests on that user
    alone (holds a role, is a member of the group, matches the search, the local keys, not excluded), each
    of which the narrowed reads answer exactly for a planned target (the admin list narrowed to the targets
    read by id; a search's users among the targets; a group's members in full); what a kind then decides
    for a selected user depends on that user, who is protected and the active super admins (a set, exact
    for the targets plus one no change targets). The rest is findings and no-ops, which apply never writes.
    A bound on how many users a read may cost (`user_factors`' `max_users`) counts the planned targets at
    apply: it bounds requests, it decides nothing about a user.
    """

    #: read the admin list so that `diff` can keep the last active super admin
    guards_super_admins = True
    targeted = True

    async def observe(self, ctx: TenantContext) -> dict[str, Any]:
        selection = await select(ctx, self.args["users"], self.args.get("exclude") or ())
        me = await ctx.reads.me()
        observed = {"users": selection.users, "selection": selection.to_json(),
                    "protected": protected_view(me, ctx.protected_logins)}
        if self.guards_super_admins:
            observed["active_super_admins"] = sorted(await ctx.reads.active_super_admins())
        return observed

    def selection_findings(self, observed: dict[str, Any]) -> list[Finding]:
        """A group that does not exist, or logins that selected nobody: the selector may be wrong."""
        missing = (observed.get("selection") or {}).get("missing") or {}
        out = []
        if missing.get("group"):
            out.append(self.finding("medium", f"group {missing['group']!r} not found: the selector picks nobody "
                                              "from it", None, {"selector": self.args["users"]}))
        if missing.get("logins"):
            out.append(self.finding("low", f"{len(missing['logins'])} login(s) of the selector match no selected "
                                           "user", None, {"logins": missing["logins"]}))
        return out

    def selection_no_ops(self, observed: dict[str, Any]) -> list[NoOp]:
        """What the selector picked and left out, said first with `plan -v`."""
        sel = observed.get("selection") or {}
        out = [self.no_op(f"selected {len(observed.get('users', []))} user(s): {'; '.join(sel.get('how') or [])}")]
        if sel.get("excluded"):
            out.append(self.no_op(f"excluded: {', '.join(sel['excluded'])}"))
        return out

    def protected_finding(self, why: str, user: dict[str, Any], what: str, evidence: dict[str, Any]) -> Finding:
        return self.finding("high", f"{what} {login(user)} by hand ({why})", user_target(user),
                            {"why": f"{why}: automation never does it", **evidence})

    def keep_last_super_admin(self, observed: dict[str, Any], out: list[Item]) -> list[Item]:
        """When the lockout changes would hit every active super admin, those become critical findings."""
        supers = set(observed.get("active_super_admins") or ())

        def hits(item: Item) -> TypeGuard[Change]:
            return isinstance(item, Change) and item.action in LOCKOUT_ACTIONS and item.target.id in supers

        hit = {i.target.id for i in out if hits(i)}
        if not supers or supers - hit:
            return out
        return [
            self.finding("critical", f"would lock out the last active super admin: {item.target.label} kept",
                         item.target, {"planned": item.to_json(), "active_super_admins": sorted(supers)})
            if hits(item) else item
            for item in out
        ]

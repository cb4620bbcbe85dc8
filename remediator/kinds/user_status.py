"""`okta.user_status`: every selected user has the status SUSPENDED, DEPROVISIONED or ACTIVE.

Only the lifecycle calls Okta allows from each status are planned (Okta's spec, UserLifecycle):

- SUSPENDED from ACTIVE: `POST /users/{id}/lifecycle/suspend` ("only on users with an ACTIVE status"),
  then the user's sessions and OAuth tokens end;
- DEPROVISIONED from any other status: `POST .../deactivate` ("only on users that do not have a
  DEPROVISIONED status");
- ACTIVE from SUSPENDED: `POST .../unsuspend` ("only ... users that have a SUSPENDED status"); from
  LOCKED_OUT: `POST .../unlock`; from STAGED or DEPROVISIONED: `POST .../activate?sendEmail=true` ("only
  on users with a STAGED or DEPROVISIONED status"; the user gets the activation email).

Any other pair (suspending a LOCKED_OUT or RECOVERY user, activating one in RECOVERY, ...) has no call:
Okta answers 403 E0000038, so it is a finding saying what a person can do instead. Suspending or
deactivating the token owner, a `break_glass` account or the last active super admin is never planned.
"""

from __future__ import annotations

from typing import Any

from remediator.errors import InputError, OktaApiError
from remediator.facts import endpoints as ep
from remediator.kinds.base import Applied, TenantContext, register
from remediator.kinds.common import login, protection, user_target
from remediator.kinds.userbase import SELECTION_FACTS, UserKind, user_schema
from remediator.plan import Change, Finding, NoOp

#: (wanted, current status) -> the change's action; the lifecycle path is LIFECYCLE[action]
CALLS = {
    ("SUSPENDED", "ACTIVE"): "suspend",
    **{("DEPROVISIONED", s): "deactivate_user" for s in ("ACTIVE", "STAGED", "PROVISIONED", "RECOVERY",
                                                           "LOCKED_OUT", "PASSWORD_EXPIRED", "SUSPENDED")},
    ("ACTIVE", "SUSPENDED"): "unsuspend",
    ("ACTIVE", "LOCKED_OUT"): "unlock",
    ("ACTIVE", "STAGED"): "activate",
    ("ACTIVE", "DEPROVISIONED"): "activate",
}
LIFECYCLE = {"suspend": (ep.SUSPEND_USER, None), "deactivate_user": (ep.DEACTIVATE_USER, None),
             "unsuspend": (ep.UNSUSPEND_USER, None), "unlock": (ep.UNLOCK_USER, None),
             "activate": (ep.ACTIVATE_USER, {"sendEmail": "true"})}
VERB = {"suspend": "suspend it and end its sessions", "deactivate_user": "deactivate it",
        "unsuspend": "unsuspend it", "unlock": "unlock it", "activate": "activate it (Okta emails the user)"}
#: what a person can do when no call leads from a status to the wanted one
INSTEAD = {
    "SUSPENDED": "Okta suspends only ACTIVE users: deactivate it (status: DEPROVISIONED) or bring it to ACTIVE first",
    "ACTIVE": "no lifecycle call makes it ACTIVE: the user must finish the activation or password reset flow",
}
LOCKS = frozenset({"suspend", "deactivate_user"})


@register
class UserStatus(UserKind):
    """Every selected user has `status` (SUSPENDED, DEPROVISIONED or ACTIVE), through Okta's lifecycle calls.

    Example::

        - name: Accounts created during the breach are suspended
          okta.user_status:
            users: {created_after: "2022-01-16T00:00:00Z", status: [ACTIVE, LOCKED_OUT]}
            exclude: [new-hire@acme.com]
            status: SUSPENDED
    """

    name = "okta.user_status"
    schema = user_schema({"status": {"enum": ["SUSPENDED", "DEPROVISIONED", "ACTIVE"],
                                     "description": "the status every selected user must have"}},
                         required=("status",))
    facts = (*SELECTION_FACTS, ep.USER)
    writes = (ep.SUSPEND_USER, ep.CLEAR_SESSIONS, ep.DEACTIVATE_USER, ep.UNSUSPEND_USER, ep.UNLOCK_USER,
              ep.ACTIVATE_USER)

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        return await self.observe(ctx)

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        wanted = self.args["status"]
        out: list[Change | Finding | NoOp] = [*self.selection_no_ops(observed), *self.selection_findings(observed)]
        same: list[str] = []  # already in the wanted status: one line for all of them
        for user in observed.get("users", []):
            status = user.get("status")
            if status == wanted:
                same.append(login(user))
                continue
            action = CALLS.get((wanted, status))
            if action is None:
                out.append(self.finding(  # a DEPROVISIONED user cannot sign in either: low
                    "low" if status == "DEPROVISIONED" else "medium",
                    f"{login(user)} is {status}, not {wanted}, and no lifecycle call leads there",
                    user_target(user), {"status": status, "wanted": wanted, "instead": INSTEAD.get(wanted, "")}))
                continue
            why = protection(observed, user)
            if why and action in LOCKS:
                out.append(self.protected_finding(why, user, action.removesuffix("_user"),
                                                  {"status": status, "wanted": wanted}))
                continue
            out.append(self.change(
                action, user_target(user), {"status": status}, {"status": wanted},
                f"{login(user)} is {status} and must be {wanted}: {VERB[action]}.",
            ))
        if same:
            out.append(self.no_op(f"{len(same)} already {wanted}: {', '.join(same[:20])}"
                                  f"{' ...' if len(same) > 20 else ''}"))
        return self.keep_last_super_admin(observed, out)

    async def current(self, ctx: TenantContext, change: Change) -> dict[str, Any]:
        user = (await ctx.reads.fresh(ep.USER, change.target.id)).body
        return {"status": (user or {}).get("status")}

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        if change.action not in LIFECYCLE:
            raise InputError(f"{self.name}: the plan names an action this kind does not make: {change.action!r}")
        uid = change.target.id
        write, params = LIFECYCLE[change.action]
        wanted = change.after["status"]

        async def in_effect() -> Any:
            resp = await ctx.reads.fresh(ep.USER, uid)
            return resp if (resp.body or {}).get("status") == wanted else None

        try:
            resp = await write.send(ctx.client, uid, params=params, recheck=in_effect)
        except OktaApiError as exc:
            # E0000038: not allowed in the user's current status; another state of the same run (okta.new_admins'
            # suspend) may have brought the user where this one wants it
            if exc.status in (400, 403) and await in_effect() is not None:
                return Applied(request_id=None, detail={"not_needed": f"the account is {wanted} now"})
            raise
        detail: dict[str, Any] = {}  # never the body: `activate` may carry an activation token
        if change.action == "suspend":
            cleared = await ep.CLEAR_SESSIONS.send(ctx.client, uid, params={"oauthTokens": "true"})
            detail["sessions_request_id"] = cleared.request_id
        return Applied(request_id=resp.request_id, detail=detail)


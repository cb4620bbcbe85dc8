"""`okta.user_factors`: no selected user has a factor enrolled after a date (the attacker's own factor).

After a help-desk MFA reset the attacker enrolls a factor of their own; it outlives a password reset.
Each selected user's factors are read (`GET /users/{id}/factors`: one call per selected user, so select
narrowly: an admin list, a group, a search), and every factor whose `created` is at or after
`enrolled_after` is deleted (`DELETE /users/{id}/factors/{factorId}`, one per factor, in one change per
user) or, with `action: report`, reported (high). DEPROVISIONED users need nothing. Protected accounts
and the last active super admin are never changed: they become findings.

A selection of more than `max_users` (default 2,000) users is not read at all: at Okta's 300 calls a
minute for one token, reading 100,000 users' factors one by one takes over five hours, so it is a
finding asking for a narrower selector (or a higher `max_users`, knowingly).

With `only_after_reset: true` a factor is suspect only when someone else reset all of the user's factors
(a `user.mfa.factor.reset_all` event whose actor is not the user, at or after `enrolled_after`; one
bounded System Log query) before it was enrolled: the help-desk reset an attacker talks their way into,
while an admin who rotated her own factor keeps it (Okta's cross-tenant impersonation advisory of
2023-08-31: https://sec.okta.com/articles/2023/08/cross-tenant-impersonation-prevention-and-detection).

Targeted at apply (`Kind.targeted`): whether one user's factors go depends only on that user (selected still,
status, its factors), the resets of its factors (the System Log query is read in full), who is protected and
the active super admins (`TenantReads.active_super_admins`, exact for every planned target plus one super admin
no change targets), so re-reading the planned users by id re-decides them exactly: deleting one admin's factor
reads that admin's factors again, not every admin's.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from remediator.errors import InputError, OktaApiError
from remediator.facts import EVENTS, FACTORS
from remediator.facts import endpoints as ep
from remediator.kinds.base import Applied, TenantContext, Verdict, register
from remediator.kinds.common import (
    DATE_TIME,
    at_or_after,
    login,
    okta_time,
    protection,
    tenant_now,
    user_target,
)
from remediator.kinds.userbase import SELECTION_FACTS, UserKind, user_schema
from remediator.plan import Change, Finding, NoOp
from remediator.timeutil import format_time, parse_time

FACTOR_FIELDS = ("id", "factorType", "provider", "vendorName", "status", "created", "lastUpdated")
MAX_USERS = 2000
RESET_FILTER = 'eventType eq "user.mfa.factor.reset_all"'
RETENTION = timedelta(days=90)


def resets_by_others(events: list[dict[str, Any]]) -> dict[str, str]:
    """Latest `published` per user id of a factor reset made by someone other than the user."""
    out: dict[str, str] = {}
    for event in events:
        actor = (event.get("actor") or {}).get("id")
        for target in event.get("target") or ():
            uid, when = target.get("id"), event.get("published") or ""
            if target.get("type") == "User" and uid and uid != actor and when > out.get(uid, ""):
                out[uid] = when
    return out


@register
class UserFactors(UserKind):
    """No selected user has a factor enrolled after `enrolled_after`; delete or report such factors.

    Example::

        - name: No factor enrolled by the attacker after the MFA resets
          okta.user_factors:
            users: {admins: true}
            enrolled_after: "2022-01-21T00:00:00Z"
            action: delete
    """

    name = "okta.user_factors"
    schema = user_schema({
        "enrolled_after": {**DATE_TIME, "description": "factors enrolled at or after this are suspect"},
        "action": {"enum": ["delete", "report"], "default": "delete"},
        "max_users": {"type": "integer", "minimum": 1, "default": MAX_USERS,
                      "description": "read the factors of at most this many selected users (one call each)"},
        "only_after_reset": {"type": "boolean", "default": False,
                             "description": "only factors enrolled after someone else reset the user's factors"},
    }, required=("enrolled_after",))
    facts = (*SELECTION_FACTS, FACTORS, ep.USER_FACTORS, EVENTS)
    writes = (ep.UNENROLL_FACTOR,)

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        observed = await self.observe(ctx)
        live = [u for u in observed["users"] if u.get("status") != "DEPROVISIONED"]
        if len(live) > self.args.get("max_users", MAX_USERS):
            observed["factors"], observed["too_many"] = {}, len(live)
            return observed
        lists = await asyncio.gather(*(ctx.reads.factors(u["id"]) for u in live))
        observed["factors"] = {u["id"]: [{k: f.get(k) for k in FACTOR_FIELDS if k in f} for f in fs]
                               for u, fs in zip(live, lists, strict=True)}
        if self.args.get("only_after_reset"):
            now = await tenant_now(ctx)
            start = max(parse_time(self.args["enrolled_after"]), now - RETENTION)
            events = await ctx.reads.events(RESET_FILTER, format_time(start), format_time(now)) if start < now else []
            ids = {u["id"] for u in live}
            observed["resets"] = {k: v for k, v in resets_by_others(events).items() if k in ids}
        return observed

    def _suspect(self, observed: dict[str, Any], uid: str) -> list[dict[str, Any]]:
        since = parse_time(self.args["enrolled_after"])
        if self.args.get("only_after_reset"):
            reset = (observed.get("resets") or {}).get(uid)
            if not reset:
                return []
            since = max(since, parse_time(reset).replace(microsecond=0))  # Okta keeps `created` in whole seconds
        return [f for f in observed.get("factors", {}).get(uid, []) if at_or_after(f.get("created"), since)]

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        out: list[Change | Finding | NoOp] = [*self.selection_no_ops(observed), *self.selection_findings(observed)]
        since = okta_time(self.args["enrolled_after"])
        if observed.get("too_many"):
            cap = self.args.get("max_users", MAX_USERS)
            return [*out, self.no_op("factors not read: more users selected than max_users"), self.finding(
                "high", f"{observed['too_many']} users selected, more than max_users={cap}: factors not read",
                None, {"selected": observed["too_many"], "max_users": cap,
                       "why": "one call per user: narrow the selector (admins, a group, a search) or raise max_users"})]
        clean = 0  # users with no suspect factor: one line for all of them
        for user in observed.get("users", []):
            if user.get("status") == "DEPROVISIONED":
                continue  # nobody can sign in with its factors; they were not read
            factors = self._suspect(observed, user["id"])
            if not factors:
                clean += 1
                continue
            names = ", ".join(f"{f.get('factorType')} ({f.get('provider')}, {f.get('created')})" for f in factors)
            evidence = {"factors": factors, "enrolled_after": since}
            why = protection(observed, user)
            if why:
                out.append(self.protected_finding(why, user, "review the factors of", evidence))
            elif self.args.get("action", "delete") == "report":
                out.append(self.finding("high", f"{login(user)} enrolled {len(factors)} factor(s) after {since}",
                                        user_target(user), evidence))
            else:
                out.append(self.change(
                    "unenroll_factor", user_target(user), {"factors": [f["id"] for f in factors]}, {"factors": []},
                    f"{login(user)} enrolled {names} at or after {since}: delete them, so that a factor the "
                    "attacker enrolled stops working (the user enrolls again).",
                ))
        if clean:
            out.append(self.no_op(f"{clean} user(s) enrolled no factor since {since}"))
        return self.keep_last_super_admin(observed, out)

    async def current(self, ctx: TenantContext, change: Change) -> dict[str, Any]:
        held = {f.get("id") for f in (await ctx.reads.fresh(ep.USER_FACTORS, change.target.id)).body or []}
        return {"factors": [fid for fid in change.before.get("factors", []) if fid in held]}

    def verdict(self, change: Change, current: dict[str, Any]) -> Verdict:
        # the planned factors still enrolled are still to delete; none left is done
        return "done" if not current.get("factors") else "pending"

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        if change.action != "unenroll_factor":
            raise InputError(f"{self.name}: the plan names an action this kind does not make: {change.action!r}")
        uid, done = change.target.id, dict[str, str | None]()
        for fid in change.before.get("factors", []):
            try:
                resp = await ep.UNENROLL_FACTOR.send(ctx.client, uid, fid)
            except OktaApiError as exc:
                if exc.status != 404:
                    raise
                done[fid] = None  # already gone (an earlier, interrupted run)
                continue
            done[fid] = resp.request_id
        ids = [r for r in done.values() if r]
        return Applied(request_id=ids[-1] if ids else None, detail={"deleted": done})

"""`okta.admin_passwords`: every admin's password was changed after a date, with their sessions ended.

An admin is any user holding an admin role, directly or through a group (`TenantReads.admins`). An admin
needs nothing when the password changed at or after `changed_after`, when Okta already waits for a new
one set since then (`RECOVERY` / `PASSWORD_EXPIRED` with `statusChanged` at or after the date), or when
nobody can sign in to the account (`SUSPENDED`, `DEPROVISIONED`) or it has no password yet (`STAGED`,
`PROVISIONED`). Everyone else is reset (default) or expired:

- `reset`: `POST /users/{id}/lifecycle/reset_password?sendEmail=true&revokeSessions=true`: the old
  password stops working at once and the admin is emailed a reset link (a responder wants the person
  to choose the new password, not a link in a plan or journal);
- `expire`: `POST /users/{id}/lifecycle/expire_password`: weaker, since whoever knows the old password
  may still sign in once and choose the next one; for tenants where email resets are not an option.

`revokeSessions=true` on the reset revokes the admin's sessions "except for the current session" (spec,
resetPassword), so with `revoke_sessions` (default true) the same apply then ends the admin's Okta
sessions and revokes their OAuth tokens (`DELETE /users/{id}/sessions?oauthTokens=true&forgetDevices=true`,
idempotent) so that a session the attacker holds does not outlive the password; sessions that web or
native apps keep themselves are not ended by Okta (spec, revokeUserSessions). Protected accounts (the
token owner, `break_glass` logins) are never planned: they become findings (high) to rotate by hand.

Targeted at apply (`Kind.targeted`): whether one admin needs a rotation depends only on that admin (status,
dates, roles held) and who is protected, so re-reading the planned admins by id re-decides them exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from remediator.errors import InputError, OktaApiError
from remediator.facts import ADMINS, ME, Readable
from remediator.facts import endpoints as ep
from remediator.kinds.base import Applied, Kind, TenantContext, Verdict, register
from remediator.kinds.common import (
    AWAITING_PASSWORD,
    CLEAR_SESSIONS,
    DATE_TIME,
    INACTIVE,
    at_or_after,
    clear_sessions,
    login,
    observe_admins,
    okta_time,
    protection,
    role_names,
    user_target,
    when,
)
from remediator.plan import Change, Finding, NoOp
from remediator.timeutil import parse_time

NO_PASSWORD = frozenset({"STAGED", "PROVISIONED"})
ACTIONS = {"reset": ("reset_password", "RECOVERY"), "expire": ("expire_password", "PASSWORD_EXPIRED")}
PURPOSE = {
    "reset": "reset it (the old password stops working at once; the admin is emailed a reset link)",
    "expire": "expire it (the next sign-in must choose a new password)",
}


@register
class AdminPasswords(Kind):
    """Every admin's password changed after `changed_after` (reset by email, or expired), sessions ended.

    Example::

        - name: Admin passwords rotated since the breach
          okta.admin_passwords:
            changed_after: "2022-01-21T00:00:00Z"
            method: reset
            revoke_sessions: true
    """

    name = "okta.admin_passwords"
    schema = {
        "type": "object",
        "required": ["changed_after"],
        "properties": {
            "changed_after": {**DATE_TIME, "description": "passwords last changed before this are rotated"},
            "method": {"enum": ["reset", "expire"], "default": "reset",
                       "description": "reset: email a reset link (old password dead at once); expire: force a change"},
            "revoke_sessions": {"type": "boolean", "default": True,
                                "description": "also end the admin's sessions and OAuth tokens"},
        },
        "additionalProperties": False,
    }
    facts: ClassVar[tuple[Readable, ...]] = (ADMINS, ME, ep.USER)
    targeted = True
    writes = (ep.RESET_PASSWORD, ep.EXPIRE_PASSWORD, ep.CLEAR_SESSIONS)

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        return await observe_admins(ctx)

    def _settled(self, user: dict[str, Any]) -> str | None:
        """Why this admin needs nothing, or None."""
        since = parse_time(self.args["changed_after"])
        status = user.get("status")
        if status in INACTIVE:
            return f"{status}: nobody can sign in"
        if status in NO_PASSWORD:
            return f"{status}: no password set yet"
        if at_or_after(user.get("passwordChanged"), since):
            return f"password changed {user.get('passwordChanged')}"
        if status in AWAITING_PASSWORD and at_or_after(user.get("statusChanged"), since):
            return f"{status} since {user.get('statusChanged')}: awaiting a new password"
        return None

    def diff(self, observed: dict[str, Any]) -> Sequence[Change | Finding | NoOp]:
        out: list[Change | Finding | NoOp] = []
        method = self.args.get("method", "reset")
        revoke = self.args.get("revoke_sessions", True)
        action, status_after = ACTIONS[method]
        since = okta_time(self.args["changed_after"])
        for admin in observed.get("admins", []):
            user = admin["user"]
            if (settled := self._settled(user)):
                out.append(self.no_op(f"{login(user)}: {settled}", user_target(user)))
                continue
            pw = user.get("passwordChanged")
            changed = f"was last changed {pw}, before {since}" if pw else f"was never changed (wanted: after {since})"
            roles = role_names(admin.get("roles", []))
            why = protection(observed, user)
            if why:
                out.append(self.finding(
                    "high", f"rotate the password of {login(user)} by hand ({why})", user_target(user),
                    {"why": f"{why}: automation never resets it", "status": user.get("status"),
                     "passwordChanged": user.get("passwordChanged"), "roles": roles, "changed_after": since},
                ))
                continue
            before = {k: user.get(k) for k in ("status", "passwordChanged", "statusChanged")}
            after = {"status": status_after, "sessions_revoked": bool(revoke)}
            sessions = ", and end its sessions and OAuth tokens" if revoke else ""
            out.append(self.change(
                action, user_target(user), before, after,
                f"{login(user)} holds {roles} and its password {changed}: "
                f"{PURPOSE[method]}{sessions}.",
            ))
        if not observed.get("admins"):
            out.append(self.no_op("no user holds an admin role"))
        return out

    async def current(self, ctx: TenantContext, change: Change) -> dict[str, Any]:
        user = (await ctx.reads.fresh(ep.USER, change.target.id)).body
        return {k: (user or {}).get(k) for k in change.before}

    def verdict(self, change: Change, current: dict[str, Any]) -> Verdict:
        """Done when the password or the status changed since the plan in the planned direction."""
        before_pw, now_pw = when(change.before.get("passwordChanged")), when(current.get("passwordChanged"))
        if now_pw is not None and (before_pw is None or now_pw > before_pw):
            return "done"
        if (current.get("status") in AWAITING_PASSWORD
                and current.get("statusChanged") != change.before.get("statusChanged")):
            return "done"
        return "pending" if current == change.before else "stale"

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        uid = change.target.id
        if change.action == "reset_password":
            write = ep.RESET_PASSWORD
            params: dict[str, str] | None = {"sendEmail": "true", "revokeSessions": "true"}
        elif change.action == "expire_password":
            write, params = ep.EXPIRE_PASSWORD, None
        else:
            raise InputError(f"{self.name}: the plan names an action this kind does not make: {change.action!r}")

        async def in_effect() -> Any:
            resp = await ctx.reads.fresh(ep.USER, uid)
            current = {k: (resp.body or {}).get(k) for k in change.before}
            return resp if self.verdict(change, current) == "done" else None

        try:
            resp = await write.send(ctx.client, uid, params=params, recheck=in_effect)
        except OktaApiError as exc:
            # e.g. E0000038: an earlier state of the same run (okta.new_admins) suspended the account
            status = ((await ctx.reads.fresh(ep.USER, uid)).body or {}).get("status")
            if exc.status in (400, 403) and status in INACTIVE:
                return Applied(request_id=None, detail={"not_needed": f"the account is {status} now"})
            raise
        return Applied(request_id=resp.request_id)  # never the body: with sendEmail=false it holds a reset link

    def follow_ups(self, change: Change) -> tuple[str, ...]:
        return (CLEAR_SESSIONS,) if change.after.get("sessions_revoked") else ()

    async def follow_up(self, ctx: TenantContext, change: Change, step: str) -> Applied:
        if step != CLEAR_SESSIONS:
            raise InputError(f"{self.name}: the plan names a write this kind does not make: {step!r}")
        return await clear_sessions(ctx, change.target.id)

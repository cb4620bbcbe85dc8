"""`okta.user_passwords`: every selected user's password changed after a date.

`okta.admin_passwords` for any selection of users: the same rules of what needs nothing (changed at or
after `changed_after`; RECOVERY / PASSWORD_EXPIRED since then; SUSPENDED, DEPROVISIONED; STAGED or
PROVISIONED with no password yet), the same writes (`reset`: `reset_password?sendEmail=true&revokeSessions=true`;
`expire`: `expire_password`), sessions and OAuth tokens ended too unless `revoke_sessions: false`.
Protected accounts and the last active super admin are never reset: they become findings.
"""

from __future__ import annotations

from typing import Any

from remediator.facts import endpoints as ep
from remediator.kinds.admin_passwords import ACTIONS, PURPOSE, AdminPasswords
from remediator.kinds.base import TenantContext, register
from remediator.kinds.common import DATE_TIME, login, okta_time, protection, user_target
from remediator.kinds.userbase import SELECTION_FACTS, UserKind, user_schema
from remediator.plan import Change, Finding, NoOp


@register
class UserPasswords(UserKind, AdminPasswords):
    """Every selected user's password changed after `changed_after` (reset by email, or expired).

    Example::

        - name: Passwords of IT staff rotated since the breach
          okta.user_passwords:
            users: {search: 'profile.department eq "Information Technology"', status: [ACTIVE]}
            changed_after: "2022-01-21T00:00:00Z"
            method: reset
    """

    name = "okta.user_passwords"
    schema = user_schema({
        "changed_after": {**DATE_TIME, "description": "passwords last changed before this are rotated"},
        "method": {"enum": ["reset", "expire"], "default": "reset",
                   "description": "reset: email a reset link (old password dead at once); expire: force a change"},
        "revoke_sessions": {"type": "boolean", "default": True,
                            "description": "also end the user's sessions and OAuth tokens"},
    }, required=("changed_after",))
    facts = (*SELECTION_FACTS, ep.USER)
    writes = (ep.RESET_PASSWORD, ep.EXPIRE_PASSWORD, ep.CLEAR_SESSIONS)

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        return await self.observe(ctx)

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        out: list[Change | Finding | NoOp] = [*self.selection_no_ops(observed), *self.selection_findings(observed)]
        method = self.args.get("method", "reset")
        revoke = self.args.get("revoke_sessions", True)
        action, status_after = ACTIONS[method]
        since = okta_time(self.args["changed_after"])
        for user in observed.get("users", []):
            if (settled := self._settled(user)):
                out.append(self.no_op(f"{login(user)}: {settled}", user_target(user)))
                continue
            pw = user.get("passwordChanged")
            changed = f"was last changed {pw}, before {since}" if pw else f"was never changed (wanted: after {since})"
            why = protection(observed, user)
            if why:
                out.append(self.protected_finding(why, user, "rotate the password of",
                                                  {"status": user.get("status"), "passwordChanged": pw,
                                                   "changed_after": since}))
                continue
            before = {k: user.get(k) for k in ("status", "passwordChanged", "statusChanged")}
            sessions = ", and end its sessions and OAuth tokens" if revoke else ""
            out.append(self.change(
                action, user_target(user), before, {"status": status_after, "sessions_revoked": bool(revoke)},
                f"the password of {login(user)} {changed}: {PURPOSE[method]}{sessions}.",
            ))
        return self.keep_last_super_admin(observed, out)

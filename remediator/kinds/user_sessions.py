"""`okta.user_sessions`: every selected user's sessions were cleared after a date.

Okta keeps no "sessions last cleared" attribute, so the evidence is the System Log (a
`user.session.clear` event targeting the user, published at or after `cleared_after`: one bounded
query for every selected user) or this tenant's journal (an applied change of an earlier run that
ended the user's sessions), which also covers the seconds before Okta's log shows a fresh event.
Users without evidence get `DELETE /api/v1/users/{id}/sessions` with `oauthTokens` (default true:
without it Okta leaves OpenID Connect and OAuth tokens alive) and `forgetDevices` (default false;
Okta's own default is true on Identity Engine, so it is always sent explicitly).

DEPROVISIONED users need nothing. The token owner is left out, as an info finding (a responder signed
in as that user would be thrown out mid-incident); `break_glass` accounts are cleared (ending sessions
locks nobody out).

Targeted at apply (`Kind.targeted`): whether one user's sessions need clearing depends only on that user
(selected still, status), its own clear events and journal records (the System Log query is read in full, as
when planning) and the token owner, so re-reading the planned users by id re-decides them exactly; with
`admins: true`, 500 admins' clears re-read 500 admins, not the admin list and every admin again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from remediator.errors import InputError
from remediator.facts import EVENTS
from remediator.facts import endpoints as ep
from remediator.kinds.admin_sessions import SessionClears
from remediator.kinds.base import Applied, TenantContext, register
from remediator.kinds.common import DATE_TIME, login, okta_time, protection, user_target
from remediator.kinds.userbase import SELECTION_FACTS, UserKind, user_schema
from remediator.plan import Change, Finding, NoOp
from remediator.timeutil import parse_time

CLEAR_FILTER = 'eventType eq "user.session.clear"'
RETENTION = timedelta(days=90)
#: (kind, action) of journalled changes that ended a user's sessions when applied
ENDS_SESSIONS = frozenset({
    ("okta.user_sessions", "clear_sessions"), ("okta.admin_sessions", "clear_sessions"),
    ("okta.new_admins", "suspend"), ("okta.user_status", "suspend"), ("okta.user_status", "deactivate_user"),
})


def journal_clears(records: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Latest time per user id at which an applied change of an earlier run ended their sessions."""
    out: dict[str, str] = {}
    for record in records:
        change = record.get("change") or {}
        if record.get("result") != "applied" or not record.get("time"):
            continue
        ended = ((change.get("kind"), change.get("action")) in ENDS_SESSIONS
                 or (change.get("after") or {}).get("sessions_revoked") is True)
        uid = (change.get("target") or {}).get("id")
        if ended and uid and record["time"] > out.get(uid, ""):
            out[uid] = record["time"]
    return out


@register
class UserSessions(SessionClears, UserKind):
    """Every selected user's sessions cleared after `cleared_after` (System Log or journal as evidence).

    Example::

        - name: Sessions of the help desk admins cleared since the breach
          okta.user_sessions:
            users: {group: Okta Help Desk Admins}
            cleared_after: "2022-01-21T00:00:00Z"
            oauth_tokens: true
            forget_devices: true
    """

    clears_in_journal = staticmethod(journal_clears)  # this kind counts more writes as ending sessions

    name = "okta.user_sessions"
    schema = user_schema({
        "cleared_after": {**DATE_TIME, "description": "sessions must have been cleared at or after this"},
        "oauth_tokens": {"type": "boolean", "default": True, "description": "also revoke OIDC/OAuth tokens"},
        "forget_devices": {"type": "boolean", "default": False,
                           "description": "also forget the user's remembered factors on every device"},
    }, required=("cleared_after",))
    facts = (*SELECTION_FACTS, EVENTS)
    writes = (ep.CLEAR_SESSIONS,)
    guards_super_admins = False  # ending sessions locks nobody out

    def __init__(self, state: str, args: dict[str, Any]) -> None:
        super().__init__(state, args)
        self._evidence: dict[str, asyncio.Task[dict[str, str]]] = {}

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        observed = await self.observe(ctx)
        ids = {u["id"] for u in observed["users"]}
        logged = await self._log_clears(ctx, parse_time(self.args["cleared_after"]))
        observed["log_clears"] = {k: v for k, v in logged.items() if k in ids}
        observed["journal_clears"] = {k: v for k, v in journal_clears(ctx.journal_events).items() if k in ids}
        return observed

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        out: list[Change | Finding | NoOp] = [*self.selection_no_ops(observed), *self.selection_findings(observed)]
        since = okta_time(self.args["cleared_after"])
        after = {"cleared_after": since, "oauth_tokens": self.args.get("oauth_tokens", True),
                 "forget_devices": self.args.get("forget_devices", False)}
        for user in observed.get("users", []):
            if (settled := self.settled(observed, user)):
                out.append(self.no_op(f"{login(user)}: {settled}", user_target(user)))
                continue
            if protection(observed, user) == "token owner":
                out.append(self.finding(
                    "info", f"sessions of the token owner {login(user)} left alone: clear them by hand when safe",
                    user_target(user), {"why": "clearing them would sign the responder out of the Admin Console",
                                        "cleared_after": since}))
                continue
            what = "sessions" + (" and OAuth tokens" if after["oauth_tokens"] else "")
            what += " and remembered devices" if after["forget_devices"] else ""
            out.append(self.change(
                "clear_sessions", user_target(user), {"last_cleared": observed.get("log_clears", {}).get(user["id"])},
                after, f"nothing shows the sessions of {login(user)} cleared since {since} (no user.session.clear "
                       f"event, no earlier run): end its {what}.",
            ))
        return out

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        if change.action != "clear_sessions":
            raise InputError(f"{self.name}: the plan names an action this kind does not make: {change.action!r}")
        params = {"oauthTokens": str(bool(change.after.get("oauth_tokens", True))).lower(),
                  "forgetDevices": str(bool(change.after.get("forget_devices", False))).lower()}
        resp = await ep.CLEAR_SESSIONS.send(ctx.client, change.target.id, params=params)
        return Applied(request_id=resp.request_id)

"""`okta.admin_sessions`: every admin's sessions were cleared after a date.

Okta keeps no "sessions last cleared" attribute, so the evidence is the System Log (a `user.session.clear`
event targeting the admin, published at or after `cleared_after`: one bounded query for all admins) or
an earlier run's journal (an applied change that cleared that admin's sessions: this kind's
`clear_sessions`, `okta.admin_passwords` with `sessions_revoked`, `okta.new_admins`' `suspend`), which
also covers the seconds before Okta's log shows a fresh event.

What `DELETE /users/{id}/sessions?oauthTokens=true&forgetDevices=...` ends, as the spec says
(revokeUserSessions): the admin's Okta (identity provider) sessions, so the next step needs a new sign-in,
and the OpenID Connect and OAuth refresh and access tokens issued to them (`oauthTokens`, default false
at Okta: always sent true here). What it does not end: "the sessions created for web or native apps",
which the apps keep themselves (end those in each app). `forget_devices` (Okta's default: true, false on
Classic Engine, so it is always sent explicitly) also clears the admin's remembered factors on every
device, so a device the attacker had marked as trusted gets an MFA prompt again.

DEPROVISIONED accounts need nothing. `break_glass` accounts are cleared (ending sessions locks nobody
out). The token owner is left out, as an info finding: an API token survives it, but a responder
signed in to the Admin Console as that user would be thrown out mid-incident.

Targeted at apply (`Kind.targeted`): one admin's clear depends only on that admin (status, still an admin),
its own clear events and journal records (the System Log query is read in full, as when planning) and the
token owner, so re-reading the planned admins by id re-decides them exactly.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from remediator.errors import InputError
from remediator.facts import ADMINS, EVENTS, ME
from remediator.facts import endpoints as ep
from remediator.kinds.base import Applied, Kind, TenantContext, Verdict, register
from remediator.kinds.common import (
    DATE_TIME,
    at_or_after,
    login,
    observe_admins,
    okta_time,
    protection,
    tenant_now,
    user_target,
)
from remediator.plan import Change, Finding, NoOp
from remediator.timeutil import format_time, parse_time

CLEAR_FILTER = 'eventType eq "user.session.clear"'
RETENTION = timedelta(days=90)


def journal_clears(records: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> dict[str, str]:
    """Latest time per user id at which an applied change of an earlier run cleared their sessions."""
    out: dict[str, str] = {}
    for record in records:
        change = record.get("change") or {}
        if record.get("result") != "applied" or not record.get("time"):
            continue
        kind, action = change.get("kind"), change.get("action")
        cleared = (
            (kind == "okta.admin_sessions" and action == "clear_sessions")
            or (kind == "okta.admin_passwords" and (change.get("after") or {}).get("sessions_revoked"))
            or (kind == "okta.new_admins" and action == "suspend")
        )
        uid = (change.get("target") or {}).get("id")
        if cleared and uid and record["time"] > out.get(uid, ""):
            out[uid] = record["time"]
    return out


def log_clears(events: list[dict[str, Any]]) -> dict[str, str]:
    """Latest `user.session.clear` time per target user id."""
    out: dict[str, str] = {}
    for event in events:
        for target in event.get("target") or []:
            uid, published = target.get("id"), event.get("published")
            if uid and published and (target.get("type") in (None, "User")) and published > out.get(uid, ""):
                out[uid] = published
    return out


class SessionClears:
    """What the session-clearing kinds share: when a user's sessions were last cleared (System Log or an
    earlier run's journal), read once per run and date for every change of the state."""

    _evidence: dict[str, asyncio.Task[dict[str, str]]]
    args: dict[str, Any]

    @staticmethod
    def clears_in_journal(records: Any) -> dict[str, str]:
        return journal_clears(records)

    async def _log_clears(self, ctx: TenantContext, since: datetime) -> dict[str, str]:
        now = await tenant_now(ctx)
        start = max(since, now - RETENTION)
        if start >= now:
            return {}
        return log_clears(await ctx.reads.events(CLEAR_FILTER, format_time(start), format_time(now)))

    async def current(self, ctx: TenantContext, change: Change) -> dict[str, Any]:
        """The latest clear of this user since the date: one log query per run, shared by all changes."""
        since = change.after["cleared_after"]
        if since not in self._evidence:
            self._evidence[since] = asyncio.ensure_future(self._log_clears(ctx, parse_time(since)))
        logged = (await asyncio.shield(self._evidence[since])).get(change.target.id)
        journal = self.clears_in_journal(ctx.journal_events).get(change.target.id)
        times = [t for t in (logged, journal) if t]
        return {"last_cleared": max(times) if times else None}

    def _evidence_for(self, observed: dict[str, Any], uid: str) -> str | None:
        since = parse_time(self.args["cleared_after"])
        times = [t for t in (observed.get("log_clears", {}).get(uid), observed.get("journal_clears", {}).get(uid))
                 if at_or_after(t, since)]
        return max(times) if times else None

    def settled(self, observed: dict[str, Any], user: dict[str, Any]) -> str | None:
        """Why this user's sessions need clearing no more (DEPROVISIONED, or cleared since the date), or None."""
        if user.get("status") == "DEPROVISIONED":
            return "DEPROVISIONED"
        if (at := self._evidence_for(observed, user["id"])):
            source = "System Log" if observed.get("log_clears", {}).get(user["id"]) == at else "journal"
            return f"sessions cleared {at} ({source})"
        return None

    def verdict(self, change: Change, current: dict[str, Any]) -> Verdict:
        # clearing sessions again is harmless: the only question is whether it already happened
        done = at_or_after(current.get("last_cleared"), parse_time(change.after["cleared_after"]))
        return "done" if done else "pending"


@register
class AdminSessions(SessionClears, Kind):
    """Every admin's sessions cleared after `cleared_after` (System Log or journal as evidence).

    Example::

        - name: Admin sessions cleared since the breach
          okta.admin_sessions:
            cleared_after: "2022-01-21T00:00:00Z"
    """

    name = "okta.admin_sessions"
    schema = {
        "type": "object",
        "required": ["cleared_after"],
        "properties": {"cleared_after": {**DATE_TIME, "description": "sessions must have been cleared after this"},
                       "forget_devices": {"type": "boolean", "default": True,
                                          "description": "also clear remembered factors on every device"}},
        "additionalProperties": False,
    }
    facts = (ADMINS, ME, EVENTS)
    writes = (ep.CLEAR_SESSIONS,)
    targeted = True

    def __init__(self, state: str, args: dict[str, Any]) -> None:
        super().__init__(state, args)
        self._evidence: dict[str, asyncio.Task[dict[str, str]]] = {}

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        observed = await observe_admins(ctx)
        observed["log_clears"] = await self._log_clears(ctx, parse_time(self.args["cleared_after"]))
        observed["journal_clears"] = journal_clears(ctx.journal_events)
        return observed

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        out: list[Change | Finding | NoOp] = []
        since = okta_time(self.args["cleared_after"])
        for admin in observed.get("admins", []):
            user = admin["user"]
            if (settled := self.settled(observed, user)):
                out.append(self.no_op(f"{login(user)}: {settled}", user_target(user)))
                continue
            if protection(observed, user) == "token owner":
                out.append(self.finding(
                    "info", f"sessions of the token owner {login(user)} left alone: clear them by hand when safe",
                    user_target(user), {"why": "clearing them would sign the responder out of the Admin Console",
                                        "cleared_after": since},
                ))
                continue
            last = observed.get("log_clears", {}).get(user["id"])
            forget = bool(self.args.get("forget_devices", True))
            out.append(self.change(
                "clear_sessions", user_target(user), {"last_cleared": last},
                {"cleared_after": since, "forget_devices": forget},
                f"{login(user)} is an admin and nothing shows its sessions cleared since {since} "
                "(no user.session.clear event, no earlier run): end its Okta sessions, revoke its OAuth tokens"
                f"{' and forget its remembered devices' if forget else ''} (sessions that web or native apps keep "
                "themselves are not ended by Okta).",
            ))
        if not observed.get("admins"):
            out.append(self.no_op("no user holds an admin role"))
        return out

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        if change.action != "clear_sessions":
            raise InputError(f"{self.name}: the plan names an action this kind does not make: {change.action!r}")
        forget = change.after.get("forget_devices", True)
        resp = await ep.CLEAR_SESSIONS.send(ctx.client, change.target.id,
                                            params={"oauthTokens": "true", "forgetDevices": str(bool(forget)).lower()})
        return Applied(request_id=resp.request_id)

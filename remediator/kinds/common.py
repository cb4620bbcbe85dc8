"""Small helpers the incident kinds share: targets, dates, protected accounts, observed-state shapes.

Observed states are plain JSON-able dicts so that `diff` tests are data files (observed in, changes and
findings out) and so that a kind's `diff` never needs anything but its arguments and what it was given.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from remediator.facts import endpoints as ep
from remediator.facts import role_group_id
from remediator.kinds.base import Applied
from remediator.plan import Target
from remediator.timeutil import format_time, parse_time

#: Statuses of an account nobody can sign in to: nothing to rotate, suspend or clear.
INACTIVE = frozenset({"SUSPENDED", "DEPROVISIONED"})
#: Statuses where the user must set a new password before signing in again.
AWAITING_PASSWORD = frozenset({"RECOVERY", "PASSWORD_EXPIRED"})

DATE_TIME: dict[str, Any] = {"type": "string", "format": "date-time"}


def login(user: dict[str, Any]) -> str:
    return str((user.get("profile") or {}).get("login") or user.get("id", ""))


def user_target(user: dict[str, Any]) -> Target:
    """A user as a plan target; the label is the login (the engine's guardrails match logins on it)."""
    return Target(type="user", id=str(user["id"]), label=login(user))


def when(value: Any) -> datetime | None:
    """An Okta timestamp as a datetime, or None when absent or unreadable."""
    if not value:
        return None
    try:
        return parse_time(str(value))
    except ValueError:
        return None


def at_or_after(value: Any, moment: datetime) -> bool:
    parsed = when(value)
    return parsed is not None and parsed >= moment


def okta_time(value: str) -> str:
    """An argument date in Okta's own format (what reasons and queries show)."""
    return format_time(parse_time(value))


def protected_view(me: dict[str, Any], break_glass: frozenset[str]) -> dict[str, Any]:
    """What a kind's observed state carries about protected accounts, so that `diff` stays pure."""
    return {"token_owner": {"id": me.get("id"), "login": login(me) if me.get("id") else None},
            "break_glass": sorted(break_glass)}


def protection(observed: dict[str, Any], user: dict[str, Any]) -> str | None:
    """Why a user must never be locked out by automation ("token owner", "break_glass"), or None."""
    prot = observed.get("protected") or {}
    owner = prot.get("token_owner") or {}
    if owner.get("id") and owner.get("id") == user.get("id"):
        return "token owner"
    if login(user).lower() in {str(x).lower() for x in prot.get("break_glass", [])}:
        return "break_glass"
    return None


def is_admin_role(role: dict[str, Any]) -> bool:
    return str(role.get("status", "ACTIVE")) == "ACTIVE"


def role_summary(role: dict[str, Any]) -> dict[str, Any]:
    """A role assignment as plans show it (no links except the group it comes through)."""
    out: dict[str, Any] = {k: role.get(k) for k in ("id", "type", "label", "assignmentType", "created") if k in role}
    group = role_group_id(role)
    if group:
        out["group"] = group
    return out


def active_super_admins(admins: list[dict[str, Any]]) -> list[str]:
    """Ids of ACTIVE users holding an ACTIVE SUPER_ADMIN role (direct or through a group)."""
    return sorted(
        str(a["user"]["id"])
        for a in admins
        if a["user"].get("status") == "ACTIVE"
        and any(r.get("type") == "SUPER_ADMIN" and is_admin_role(r) for r in a.get("roles", []))
    )


USER_FIELDS = ("id", "status", "created", "activated", "statusChanged", "passwordChanged", "lastLogin")


def user_view(user: dict[str, Any]) -> dict[str, Any]:
    """The fields of a user the incident kinds decide on (observed states stay small and readable)."""
    view = {k: user.get(k) for k in USER_FIELDS if k in user}
    view["profile"] = {"login": login(user)}
    return view


def admins_view(admins: list[Any]) -> list[dict[str, Any]]:
    """`TenantReads.admins()` as plain data: `[{"user": {...}, "roles": [...]}]`."""
    return [{"user": user_view(a.user), "roles": [role_summary(r) for r in a.roles]} for a in admins]


def role_names(roles: list[dict[str, Any]]) -> str:
    return ", ".join(sorted({str(r.get("type")) for r in roles})) or "no role"


async def observe_admins(ctx: Any) -> dict[str, Any]:
    """Admins plus who is protected: the common part of the admin kinds' observed state."""
    admins = await ctx.reads.admins()
    me = await ctx.reads.me()
    return {"admins": admins_view(admins), "protected": protected_view(me, ctx.protected_logins)}


async def tenant_now(ctx: Any) -> datetime:
    """The tenant's clock, as the upper bound of a System Log query.

    The client learns the clock from the `Date` of a response, so make sure one was seen (`me()` is
    memoised and every run needs it anyway): a skewed host clock would otherwise bound the query. `Date`
    has a one-second resolution, so the bound is taken two seconds later, or an event written a moment
    ago (by the previous run's apply) would fall outside it.
    """
    await ctx.reads.me()
    return ctx.client.server_now() + timedelta(seconds=2)


CLEAR_SESSIONS = "clear_sessions"


async def clear_sessions(ctx: Any, user_id: str, *, forget_devices: bool = True) -> Any:
    """End a user's Okta sessions and revoke their OAuth tokens (`DELETE /users/{id}/sessions?oauthTokens=true`,
    idempotent): without `oauthTokens` Okta leaves those tokens alive, and even with it the sessions that web
    or native apps keep themselves go on (spec, revokeUserSessions). `forgetDevices` (remembered factors on
    every device) defaults to true on Identity Engine but false on Classic, so it is always sent. Returns the
    kind's `Applied`."""
    resp = await ep.CLEAR_SESSIONS.send(ctx.client, user_id, params={"oauthTokens": "true",
                                                                     "forgetDevices": str(forget_devices).lower()})
    return Applied(request_id=resp.request_id)

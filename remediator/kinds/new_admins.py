"""`okta.new_admins`: no account created after a date holds an admin role unless allowed.

An attacker who reached the Admin Console makes an account of their own and gives it a role; this kind
finds such accounts (user `created` at or after `created_after`, holding any role directly or through a
group) and, unless their login or id is in `allow`:

- `suspend` (default): `POST /users/{id}/lifecycle/suspend`, then
  `DELETE /users/{id}/sessions?oauthTokens=true&forgetDevices=<forget_devices>`: its Okta sessions end and its
  OAuth tokens are revoked (and, by default, its remembered devices forgotten); sessions that web or native
  apps keep themselves are not ended by Okta (spec, revokeUserSessions).
  Okta suspends only ACTIVE users; an account in another status (RECOVERY, LOCKED_OUT, STAGED, ...) has
  its roles unassigned instead, which reaches the same end-state;
- `unassign_roles`: one change per account removing every role assigned to it directly
  (`DELETE /users/{id}/roles/{roleAssignmentId}` each). A role held through a group cannot be removed
  from the user, and removing the group's role would strip every other member too, so it is a finding
  (high) naming the group, for a person to decide;
- `report`: a finding (high) per account, nothing changed.

Already SUSPENDED or DEPROVISIONED accounts need nothing. Protected accounts (the token owner,
`break_glass` logins) are never changed: they become findings. Guardrail: a plan never suspends or
strips the last ACTIVE SUPER_ADMIN; when every active super admin would be hit, those changes become
critical findings instead.

Separately, every role assignment made after the date (its `created`), on any admin, is a finding with
who granted it and when, as the System Log says: one bounded query for the privilege events of users and
groups from `created_after` (or the 90-day retention limit) to the tenant's now. Okta logs both forms of
a change in privileges (event-types.json): `*.privilege.grant` lists every privilege the user or group
holds afterwards (`privilegeGranted`), and is also what a removal logs when some privilege remains;
`*.privilege.revoke` means the last one went. So the grant of a role is the `.grant` event for its holder
that names the role and is not a removal (a list smaller than the holder's previous one), the closest in
time to the assignment's `created`.

Targeted at apply (`Kind.targeted`): whether one account is contained, and how, depends only on that
account (created, status, roles), `allow`, who is protected, and the active super admins, which the
observed state carries as a set (`TenantReads.active_super_admins`: at apply exact for every planned target
plus one super admin no change targets, which is what "one remains" needs). So re-reading the planned
accounts by id re-decides them exactly; the grant findings need the whole log and admin list, but
findings are never written.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeGuard

from remediator.errors import InputError, OktaApiError
from remediator.facts import ACTIVE_SUPER_ADMINS, ADMINS, EVENTS, ME
from remediator.facts import endpoints as ep
from remediator.kinds.base import Applied, Kind, TenantContext, Verdict, register
from remediator.kinds.common import (
    CLEAR_SESSIONS,
    DATE_TIME,
    INACTIVE,
    active_super_admins,
    at_or_after,
    clear_sessions,
    login,
    observe_admins,
    okta_time,
    protection,
    role_names,
    tenant_now,
    user_target,
    when,
)
from remediator.plan import Change, Finding, NoOp
from remediator.timeutil import format_time, parse_time

GRANT_FILTER = ('eventType eq "user.account.privilege.grant" or eventType eq "group.privilege.grant" or '
                'eventType eq "user.account.privilege.revoke" or eventType eq "group.privilege.revoke"')
RETENTION = timedelta(days=90)


def privileges(text: Any) -> list[str]:
    """The privileges an event lists (`privilegeGranted`: "Super administrator, Read only admin")."""
    return [p.strip() for p in str(text or "").split(",") if p.strip()]


def grant_view(event: dict[str, Any]) -> dict[str, Any]:
    """A privilege event, reduced to what a responder reads: when, who, to whom, what."""
    debug = (event.get("debugContext") or {}).get("debugData") or {}
    return {
        "uuid": event.get("uuid"),
        "published": event.get("published"),
        "eventType": event.get("eventType"),
        "actor": (event.get("actor") or {}).get("alternateId"),
        "targets": [t.get("id") for t in event.get("target") or []],
        "privilege": debug.get("privilegeGranted"),
    }


def _removals(events: list[dict[str, Any]], holder: str) -> set[str]:
    """uuids of `.grant` events that record a removal: fewer privileges than the holder's previous event."""
    out: set[str] = set()
    held: set[str] | None = None
    for event in sorted(events, key=lambda e: str(e.get("published"))):
        if holder not in event.get("targets", []):
            continue
        now = set() if str(event.get("eventType")).endswith(".revoke") else {
            p.casefold() for p in privileges(event.get("privilege"))}
        if held is not None and now < held:
            out.add(str(event.get("uuid")))
        held = now
    return out


def _names(event: dict[str, Any], role: dict[str, Any]) -> bool:
    listed = {p.casefold() for p in privileges(event.get("privilege"))}
    return bool(listed & {str(role.get(k)).casefold() for k in ("label", "type") if role.get(k)})


def _closest_grant(grants: list[dict[str, Any]], holder: str, role: dict[str, Any]) -> dict[str, Any] | None:
    """The event that granted `role` to `holder` (user or group id): a `.grant` for the holder that is not a
    removal, preferring those that name the role, published closest to the role's `created`."""
    removals = _removals(grants, holder)
    mine = [g for g in grants if holder in g.get("targets", []) and str(g.get("eventType")).endswith(".grant")
            and str(g.get("uuid")) not in removals]
    mine = [g for g in mine if _names(g, role)] or mine
    moment = when(role.get("created"))
    if not mine or moment is None:
        return mine[-1] if mine else None
    return min(mine, key=lambda g: abs(((when(g["published"]) or moment) - moment).total_seconds()))


@register
class NewAdmins(Kind):
    """No account created after `created_after` holds an admin role unless allowed; new grants reported.

    Example::

        - name: No admin account created since the breach
          okta.new_admins:
            created_after: "2022-01-21T00:00:00Z"
            allow: [new-hire-admin@acme.com]
            action: suspend
    """

    name = "okta.new_admins"
    schema = {
        "type": "object",
        "required": ["created_after"],
        "properties": {
            "created_after": {**DATE_TIME, "description": "accounts created at or after this are suspect"},
            "allow": {"type": "array", "items": {"type": "string", "minLength": 1}, "default": [],
                      "description": "logins or user ids of legitimate new admins"},
            "action": {"enum": ["suspend", "unassign_roles", "report"], "default": "suspend"},
            "forget_devices": {"type": "boolean", "default": True,
                               "description": "suspend: also clear remembered factors on every device"},
        },
        "additionalProperties": False,
    }
    facts = (ADMINS, ACTIVE_SUPER_ADMINS, ME, EVENTS, ep.USER, ep.USER_ROLES)
    writes = (ep.SUSPEND_USER, ep.CLEAR_SESSIONS, ep.UNASSIGN_USER_ROLE)
    targeted = True

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        observed = await observe_admins(ctx)
        observed["active_super_admins"] = sorted(await ctx.reads.active_super_admins())
        since, now = parse_time(self.args["created_after"]), await tenant_now(ctx)
        start = max(since, now - RETENTION)
        grants: list[dict[str, Any]] = []
        if start < now:
            events = await ctx.reads.events(GRANT_FILTER, format_time(start), format_time(now))
            grants = [grant_view(e) for e in events]
        observed["grants"] = grants
        observed["log_range"] = {"since": format_time(start), "until": format_time(now)}
        return observed

    # diff -----------------------------------------------------------------------------------
    def _allowed(self, user: dict[str, Any]) -> bool:
        allow = {str(x).lower() for x in self.args.get("allow", [])}
        return login(user).lower() in allow or str(user.get("id", "")).lower() in allow

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        since = parse_time(self.args["created_after"])
        out: list[Change | Finding | NoOp] = []
        old = 0  # created before the date: one line for all of them
        for admin in observed.get("admins", []):
            user = admin["user"]
            if not at_or_after(user.get("created"), since):
                old += 1
            elif self._allowed(user):
                out.append(self.no_op(f"{login(user)}: created {user.get('created')} but allowed", user_target(user)))
            elif user.get("status") in INACTIVE:
                out.append(self.no_op(f"{login(user)}: created {user.get('created')} but already "
                                      f"{user.get('status')}", user_target(user)))
            else:
                out.extend(self._contain(observed, admin))
        out.append(self.no_op(f"{old} admin account(s) were created before {okta_time(self.args['created_after'])}"))
        out = self._keep_last_super_admin(observed, out)
        for admin in observed.get("admins", []):
            out.extend(self._grants(observed, admin, since))
        return out

    def _contain(self, observed: dict[str, Any], admin: dict[str, Any]) -> list[Change | Finding]:
        user, roles = admin["user"], admin.get("roles", [])
        action = self.args.get("action", "suspend")
        since = okta_time(self.args["created_after"])
        head = f"{login(user)} was created {user.get('created')}, after {since}, and holds {role_names(roles)}"
        evidence = {"created": user.get("created"), "status": user.get("status"), "roles": roles}
        why = protection(observed, user)
        if why:
            return [self.finding("high", f"new admin account {login(user)} is protected ({why}): review it by hand",
                                 user_target(user), {**evidence, "why": f"{why}: automation never changes it"})]
        if action == "report":
            return [self.finding("high", f"admin account created after {since}: {login(user)}",
                                 user_target(user), evidence)]
        if action == "suspend" and user.get("status") == "ACTIVE":
            return [self.change("suspend", user_target(user), {"status": "ACTIVE"}, {"status": "SUSPENDED"},
                                f"{head}: suspend it, end its Okta sessions and revoke its OAuth tokens.")]
        out: list[Change | Finding] = []
        direct = [r for r in roles if r.get("assignmentType") != "GROUP"]
        if direct:
            fallback = "" if action == "unassign_roles" else f"; Okta cannot suspend a {user.get('status')} user"
            out.append(self.change(
                "unassign_role", user_target(user), {"roles": [r["id"] for r in direct]}, {"roles": []},
                f"{head}: unassign its directly assigned roles ({role_names(direct)}){fallback}.",
            ))
        for role in roles:
            if role.get("assignmentType") == "GROUP":
                group = role.get("group") or "an unnamed group"
                out.append(self.finding(
                    "high", f"{login(user)} holds {role.get('type')} through group {group}: remove it by hand",
                    user_target(user), {**evidence, "role": role, "group": role.get("group"),
                                        "why": "a group's role cannot be unassigned from one member"},
                ))
        return out

    def _keep_last_super_admin(self, observed: dict[str, Any],
                               out: list[Change | Finding | NoOp]) -> list[Change | Finding | NoOp]:
        # the set the read gives (exact for planned targets at apply); data files written before it derive it
        supers = set(observed["active_super_admins"] if "active_super_admins" in observed
                     else active_super_admins(observed.get("admins", [])))
        roles = {a["user"]["id"]: a.get("roles", []) for a in observed.get("admins", [])}

        def strips_super(item: Change | Finding | NoOp) -> TypeGuard[Change]:
            if not isinstance(item, Change) or item.target.id not in supers:
                return False
            if item.action == "suspend":
                return True
            kept = [r for r in roles[item.target.id] if r.get("id") not in item.before.get("roles", [])]
            return not any(r.get("type") == "SUPER_ADMIN" for r in kept)

        hit = {i.target.id for i in out if strips_super(i)}
        if not supers or supers - hit:
            return out
        return [
            self.finding("critical", f"would leave no active super admin: {item.target.label} kept",
                         item.target, {"planned": item.to_json(), "active_super_admins": sorted(supers)})
            if strips_super(item) else item
            for item in out
        ]

    def _grants(self, observed: dict[str, Any], admin: dict[str, Any], since: datetime) -> list[Finding]:
        user, out = admin["user"], []
        rng = observed.get("log_range") or {}
        for role in admin.get("roles", []):
            if not at_or_after(role.get("created"), since):
                continue
            holder = role.get("group") if role.get("assignmentType") == "GROUP" else user["id"]
            grant = _closest_grant(observed.get("grants", []), str(holder), role)
            evidence: dict[str, Any] = {"role": role}
            if grant:
                evidence.update(granted_by=grant["actor"], granted_at=grant["published"], event=grant["uuid"])
            else:
                span = f"{rng.get('since')} and {rng.get('until')}"
                evidence.update(granted_by=None, log=f"no grant event between {span}")
            via = f" through group {holder}" if holder != user["id"] else ""
            out.append(self.finding(
                "high", f"{role.get('type')} granted to {login(user)}{via} on {role.get('created')}",
                user_target(user), evidence,
            ))
        return out

    # apply ----------------------------------------------------------------------------------
    async def current(self, ctx: TenantContext, change: Change) -> dict[str, Any]:
        uid = change.target.id
        if change.action == "suspend":
            return {"status": ((await ctx.reads.fresh(ep.USER, uid)).body or {}).get("status")}
        held = {r.get("id") for r in (await ctx.reads.fresh(ep.USER_ROLES, uid)).body or []}
        return {"roles": [rid for rid in change.before.get("roles", []) if rid in held]}

    def verdict(self, change: Change, current: dict[str, Any]) -> Verdict:
        if change.action == "unassign_role":
            # the planned roles still held are still to remove; none left is done
            return "done" if not current.get("roles") else "pending"
        return super().verdict(change, current)

    def follow_ups(self, change: Change) -> tuple[str, ...]:
        return (CLEAR_SESSIONS,) if change.action == "suspend" else ()

    async def follow_up(self, ctx: TenantContext, change: Change, step: str) -> Applied:
        if step != CLEAR_SESSIONS:
            raise InputError(f"{self.name}: the plan names a write this kind does not make: {step!r}")
        return await clear_sessions(ctx, change.target.id,
                                    forget_devices=bool(self.args.get("forget_devices", True)))

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        uid = change.target.id
        if change.action == "suspend":
            async def suspended() -> Any:
                resp = await ctx.reads.fresh(ep.USER, uid)
                return resp if (resp.body or {}).get("status") == "SUSPENDED" else None

            try:
                resp = await ep.SUSPEND_USER.send(ctx.client, uid, recheck=suspended)
            except OktaApiError as exc:
                # E0000038: Okta suspends only ACTIVE users; another state of the same run (okta.user_status)
                # may have suspended or deactivated the account since the plan
                status = ((await ctx.reads.fresh(ep.USER, uid)).body or {}).get("status")
                if exc.status in (400, 403) and status in INACTIVE:
                    return Applied(request_id=None, detail={"not_needed": f"the account is {status} now"})
                raise
            return Applied(request_id=resp.request_id)
        if change.action == "unassign_role":
            done: dict[str, str | None] = {}
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
        raise InputError(f"{self.name}: the plan names an action this kind does not make: {change.action!r}")

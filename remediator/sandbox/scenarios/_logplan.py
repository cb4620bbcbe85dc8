"""The System Log of scenario lapsus-2022: the attacker's traces, legitimate admin work, ordinary traffic.

Planted events are placed at the second their objects say they happened (a role assignment's
`created`, a user's `statusChanged`, …) plus random milliseconds, so log and state agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from remediator.sandbox.scenarios import _data, _people
from remediator.sandbox.scenarios._people import stamp
from remediator.sandbox.scenarios._shapes import B62, DAY_MS, ms_of
from remediator.sandbox.scenarios._syslog import (
    Context,
    EventLog,
    Explicit,
    LogPlanner,
    Signer,
    actor_of,
    auth_context,
    make_context,
    target_user,
)

if TYPE_CHECKING:
    from remediator.sandbox.scenarios._people import Person
    from remediator.sandbox.scenarios.lapsus_2022 import _Tenant

LOG_START = ms_of("2022-01-01T00:00:00Z")
BREACH = ms_of("2022-01-21T00:00:00Z")
HUNT_SINCE = BREACH - 7 * DAY_MS

_SUPPORT_PLACE = ("Manila", "Metro Manila", "Philippines", "1000", 14.5995, 120.9842,
                  (9299, "philippine long distance telephone company", "pldt", "pldt.net"))
_VPN_PLACE = ("Amsterdam", "North Holland", "Netherlands", "1012", 52.3759, 4.8975,
              (9009, "m247 ltd", "m247 europe srl", "m247.com"))


def plan_logs(t: _Tenant, apps: list[tuple[str, str, str]]) -> tuple[EventLog, dict[str, dict[str, list[str]]]]:
    """Build the log; returns the events and the uuids of planted ones by category and trace type."""
    rng, s, now = t.rng, t.special, t.now
    planner = LogPlanner(rng, t.org)
    signers: dict[str, Signer] = {}
    admin_ids = set(t.user_roles)
    for gid, members in t.members.items():
        if t.group_roles.get(gid):
            admin_ids.update(members)

    def signer(person: Person) -> Signer:
        found = signers.get(person.uid)
        if found is None:
            place = _data.PLACES[rng.randrange(len(_data.PLACES))]
            ip = f"{rng.choice(place[7])}.{rng.randrange(1, 255)}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"
            agent = _data.USER_AGENTS[rng.randrange(len(_data.USER_AGENTS))]
            found = signers[person.uid] = Signer(person.uid, actor_of(person.uid, person.login, person.display),
                                                 make_context(ip, place, agent), _people.active_factor_name(person),
                                                 person.uid in admin_ids, person.last_login or 0)
        return found

    def at(when: str | int) -> int:
        return (when if isinstance(when, int) else ms_of(when)) + rng.randrange(1, 1000)

    def user_target(person: Person) -> dict:
        return target_user(person.uid, person.login, person.display)

    def uri(path: str) -> dict[str, str]:
        return {"requestUri": path, "threatSuspected": "false", "url": path + "?"}

    support_actor = actor_of(t.ids.new("00u"), "system@okta.com", "Okta System")
    support_ctx = make_context(f"112.198.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}", _SUPPORT_PLACE,
                               _data.USER_AGENTS[0])
    vpn_ctx = make_context(f"37.120.{rng.randrange(128, 256)}.{rng.randrange(1, 255)}", _VPN_PLACE,
                           _data.USER_AGENTS[1], proxy=True)
    victim, rogue, rogue_b = s["victim"], s["rogue_direct"], s["rogue_group"]
    rogue_group = next(g for g in t.groups if g["id"] == t.rogue_group)
    group_target = {"id": rogue_group["id"], "type": "UserGroup", "alternateId": "unknown",
                    "displayName": rogue_group["profile"]["name"], "detailEntry": None}

    def ex(when: str | int, event_type: str, actor: dict, ctx: Context, target: list | None, tag: str | None,
           path: str, session: dict | None = None, **debug: str) -> None:
        data = uri(path)
        data.update(debug)
        planner.add_explicit(at(when), Explicit(event_type, actor, ctx, target, tag=tag, auth=session, debug=data))

    # ---- the attacker, as Okta Support (system@okta.com), then as its own account -------------------------
    support_1 = auth_context("102" + "".join(rng.choices(B62, k=22)))
    support_2 = auth_context("102" + "".join(rng.choices(B62, k=22)))
    v = [user_target(victim)]
    ex("2022-01-21T03:14:07Z", "user.session.impersonation.initiate", support_actor, support_ctx, v,
       "attacker:impersonation_initiate", "/api/internal/support/impersonation", support_1)
    ex(stamp(victim.status_changed), "user.account.reset_password", support_actor, support_ctx, v,
       "attacker:support_reset_password", f"/api/v1/users/{victim.uid}/lifecycle/reset_password", support_1)
    ex("2022-01-21T03:20:31Z", "user.mfa.factor.reset_all", support_actor, support_ctx, v,
       "attacker:support_reset_factors", f"/api/v1/users/{victim.uid}/lifecycle/reset_factors", support_1)
    ex("2022-01-21T03:41:10Z", "user.session.impersonation.end", support_actor, support_ctx, v,
       "attacker:impersonation_end", "/api/internal/support/impersonation/end", support_1)
    ex("2022-01-22T02:09:15Z", "user.session.impersonation.initiate", support_actor, support_ctx, v,
       "attacker:impersonation_initiate", "/api/internal/support/impersonation", support_2)
    r = [user_target(rogue)]
    ex(rogue.created, "user.lifecycle.create", support_actor, support_ctx, r, "attacker:support_user_create",
       "/api/v1/users", support_2)
    ex(stamp(rogue.activated), "user.lifecycle.activate", support_actor, support_ctx, r,
       "attacker:support_user_activate", f"/api/v1/users/{rogue.uid}/lifecycle/activate", support_2)
    grant = t.user_roles[rogue.uid][0]
    ex(grant["created"], "user.account.privilege.grant", support_actor, support_ctx, r,
       "attacker:privilege_grant", f"/api/v1/users/{rogue.uid}/roles", support_2,
       privilegeGranted="Super administrator")
    ex("2022-01-22T02:20:02Z", "user.session.impersonation.end", support_actor, support_ctx, v,
       "attacker:impersonation_end", "/api/internal/support/impersonation/end", support_2)

    rogue_actor = actor_of(rogue.uid, rogue.login, rogue.display)
    day_1 = auth_context("102" + "".join(rng.choices(B62, k=22)))
    day_2 = auth_context("102" + "".join(rng.choices(B62, k=22)))
    ex("2022-01-22T02:28:40Z", "user.session.start", rogue_actor, vpn_ctx, None, "context:session_start",
       "/api/v1/authn", day_1)
    ex("2022-01-22T02:31:07Z", "system.api_token.create", rogue_actor, vpn_ctx,
       [{"id": t.tok["rogue"], "type": "Token", "alternateId": "unknown", "displayName": "okta-api-sync",
         "detailEntry": None}], "attacker:api_token_create", "/api/internal/tokens", day_1)
    ex(stamp(rogue.last_login), "user.session.start", rogue_actor, vpn_ctx, None, "context:session_start",
       "/api/v1/authn", day_2)
    ex(rogue_group["created"], "group.lifecycle.create", rogue_actor, vpn_ctx, [group_target],
       "context:group_create", "/api/v1/groups", day_2)
    ex(t.group_roles[t.rogue_group][0]["created"], "group.privilege.grant", rogue_actor, vpn_ctx, [group_target],
       "attacker:group_privilege_grant", f"/api/v1/groups/{t.rogue_group}/roles", day_2,
       privilegeGranted="Super administrator")
    b = [user_target(rogue_b)]
    ex(rogue_b.created, "user.lifecycle.create", rogue_actor, vpn_ctx, b, "context:user_create", "/api/v1/users",
       day_2)
    ex(stamp(rogue_b.activated), "user.lifecycle.activate", rogue_actor, vpn_ctx, b, "context:user_activate",
       f"/api/v1/users/{rogue_b.uid}/lifecycle/activate", day_2)
    ex(stamp(rogue_b.activated) + 42_000, "group.user_membership.add", rogue_actor, vpn_ctx, [b[0], group_target],
       "context:group_membership_add", f"/api/v1/groups/{t.rogue_group}/users/{rogue_b.uid}", day_2)
    ex("2022-01-23T03:22:41Z", "system.idp.lifecycle.create", rogue_actor, vpn_ctx,
       [{"id": t.idp["rogue"], "type": "IdentityProvider", "alternateId": "Azure AD SSO",
         "displayName": "Azure AD SSO", "detailEntry": None}], "attacker:idp_create", "/api/v1/idps", day_2)
    p = t.p
    for when, pid, pname, rid, rname, ptype in (
            ("2022-01-23T03:30:02Z", p["admin_console"], "Okta Admin Console", p["admin_rule"], "Admin App Policy",
             "AccessPolicy"),
            ("2022-01-23T03:31:47Z", p["signon"], "Default Policy", p["signon_rule"], "Default Rule", "OktaSignOn")):
        ex(when, "policy.rule.update", rogue_actor, vpn_ctx,
           [{"id": rid, "type": "PolicyRule", "alternateId": pid, "displayName": rname, "detailEntry": None},
            {"id": pid, "type": "PolicyEntity", "alternateId": "unknown", "displayName": pname,
             "detailEntry": {"policyType": ptype}}],
           "attacker:policy_rule_update", f"/api/v1/policies/{pid}/rules/{rid}", day_2)

    # ---- legitimate admins --------------------------------------------------------------------------------
    grantor, second = t.regular_admins[0], t.regular_admins[1]
    g_ctx, g_actor = signer(grantor).ctx, signer(grantor).actor
    late = s["late_grant"]
    ex(t.user_roles[late.uid][0]["created"], "user.account.privilege.grant", g_actor, g_ctx, [user_target(late)],
       "legit:late_role_grant", f"/api/v1/users/{late.uid}/roles", None,
       privilegeGranted="Application administrator")
    ex(t.support_granted, "user.session.impersonation.grant", g_actor, g_ctx, None, "legit:support_access_grant",
       "/api/v1/org/privacy/oktaSupport/grant", None)
    operator = s["operator"]
    op = signer(operator)
    ex(stamp(operator.last_login), "user.session.start", op.actor, op.ctx, None, None, "/api/v1/authn", None)
    planner.add_password_change(at(stamp(operator.password_changed)), op)
    token = next(tk for tk in t.tokens_json if tk["id"] == t.tok["operator"])
    ex(token["created"], "system.api_token.create", op.actor,
       op.ctx, [{"id": t.tok["operator"], "type": "Token", "alternateId": "unknown", "displayName": "remediator",
                 "detailEntry": None}], "legit:operator_token_create", "/api/internal/tokens", None)
    for person in t.rotated:
        planner.add_password_change(at(stamp(person.password_changed)), signer(person))
    # new hires before the hunt window, created by an admin; and a few unlocks by the help desk
    s_actor, s_ctx = signer(second).actor, signer(second).ctx
    for person in t.ordinary:
        if LOG_START <= person.created < HUNT_SINCE:
            target = [user_target(person)]
            ex(person.created, "user.lifecycle.create", s_actor, s_ctx, target, None, "/api/v1/users", None)
            if person.activated is not None and person.activated < HUNT_SINCE:
                ex(person.activated, "user.lifecycle.activate", s_actor, s_ctx, target, None,
                   f"/api/v1/users/{person.uid}/lifecycle/activate", None)
    active = [p for p in t.ordinary if p.status == "ACTIVE" and p.uid not in admin_ids]
    for person in rng.sample(active, min(3, len(active))):
        ex(rng.randrange(LOG_START + 3 * DAY_MS, HUNT_SINCE - DAY_MS), "user.account.unlock_by_admin", s_actor,
           s_ctx, [user_target(person)], None, f"/api/v1/users/{person.uid}/lifecycle/unlock", None)

    # ---- ordinary traffic: self-service password changes, then sign-in sessions ----------------------------
    budget = t.log_events - len(planner.plan)
    changed = [p for p in active if p.password_changed is not None and LOG_START <= p.password_changed < now]
    for person in rng.sample(changed, min(len(changed), max(0, budget // 30))):
        planner.add_password_change(at(stamp(person.password_changed)), signer(person))
    budget = t.log_events - len(planner.plan)
    eligible = [p for p in t.ordinary if p.status == "ACTIVE" and p.last_login and p.last_login > LOG_START
                and (p.activated or now) < LOG_START]
    eligible += [s[k] for k in ("late_grant", "no_factor", "pending_factor")]
    signon = next(pol for pol in t.policies_json if pol["id"] == t.p["signon"])
    policy_target = [{"id": signon["id"], "type": "PolicyEntity", "alternateId": "unknown",
                      "displayName": signon["name"], "detailEntry": {"policyType": "OktaSignOn"}},
                     {"id": t.p["signon_rule"], "type": "PolicyRule", "alternateId": signon["id"],
                      "displayName": "Default Rule", "detailEntry": None}]
    planner.add_sessions(eligible, signer, budget, LOG_START, now, apps, policy_target)

    tags: dict[str, dict[str, list[str]]] = {"attacker": {}, "context": {}, "legit": {}}

    def record(event: Explicit, built: dict[str, Any]) -> None:
        if event.tag:
            category, name = event.tag.split(":")
            tags[category].setdefault(name, []).append(built["uuid"])

    return planner.build(record), tags


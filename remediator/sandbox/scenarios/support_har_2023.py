"""Scenario `support-har-2023`: the lapsus-2022 org in November 2023, after Okta's support-system breach.

From 2023-09-28 to 2023-10-17 an attacker read HAR files customers had uploaded to Okta's support
system and replayed the admin session tokens in them (Okta, BeyondTrust, Cloudflare and 1Password
published the traces). Breach date: 2023-09-28T00:00:00Z. The tenant is the `lapsus-2022` org (same seed,
same people) at this scenario's clock, so everything of 2022 is before the breach date: its accounts,
tokens, apps and IdPs are the look-alikes "created before the breach" that date-bound states must leave
alone. Still as in 2022: Okta Support access ENABLED with one case ENABLED and one REQUESTED, the Admin
Console session at 120 minutes idle and its sign-in rules at 1FA.

Planted for this incident (`snapshot["scenario"]["planted"]`, computed from the data):
  - `hijacked_admin`: an ACTIVE SUPER_ADMIN whose session (started at home) was replayed from an
    anonymizing VPN (`securityContext.isProxy: true`, another ASN): Okta's `user.session.context.change`,
    then the Admin Console, then by API the creation of `new_admins` (SUPER_ADMIN, created 2023-10-02);
  - `rogue_api_tokens` (owned by that admin) and `rogue_apps` (an ACTIVE OAuth service app), created after the date;
  - `hunt`: rule id of the `support-har-2023` pack -> uuids of the planted events it must report;
  - look-alikes that nothing may flag (`lookalike_log_uuids`): a user signing in through a consumer VPN,
    an admin reaching the Admin Console from a new IP in her usual network, a new hire created by an admin
    (no role); and objects: a token and a service app created before the date (`lookalike_tokens`,
    `lookalike_apps`), an ordinary user created after the date (`lookalike_new_users`);
  - `lookalike_log_uuids_by_rule`: rule id -> events that rule must not report though another may (empty here);
  - `legit_post_breach_log_uuids`: legitimate events in the hunted range a hunt may report (the operator's
    token creation, the Okta Support grant); `planted_log_uuids`: every event a finding may name.
"""

from __future__ import annotations

import copy
import random
import uuid
from itertools import islice
from typing import Any

from remediator.sandbox.eventlog import EventLog
from remediator.sandbox.rows import RowMap, field, raw_values
from remediator.sandbox.scenarios import lapsus_2022
from remediator.sandbox.scenarios._shapes import Ids, api_token, app, iso_ms, iso_s, ms_of, role
from remediator.sandbox.scenarios._syslog import actor_of, auth_context, make_context, target_user

NAME = "support-har-2023"
DEFAULT_CLOCK = "2023-11-03T12:00:00Z"
BREACH_DATE = "2023-09-28T00:00:00Z"
HUNT_SINCE = "2023-09-21T00:00:00Z"
_EARLIEST_CLOCK = ms_of("2023-10-20T00:00:00Z")
_HOME = ("Denver", "Colorado", "United States", "80202", 39.7392, -104.9903,
         (7922, "comcast cable communications, llc", "comcast", "comcast.net"))
_VPN = ("Frankfurt am Main", "Hesse", "Germany", "60313", 50.1109, 8.6821,
        (9009, "m247 ltd", "m247 europe srl", "m247.com"))
_AGENT = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 "
          "Safari/537.36", "Windows 10", "CHROME", "Computer")
_MESSAGES = {
    "user.session.start": ("core.user_auth.login_success", "User login to Okta"),
    "user.session.context.change": (None, "User session context changed"),
    "user.session.access_admin_app": (None, "User accessing Okta admin app"),
    "user.lifecycle.create": (None, "Create Okta user"),
    "user.lifecycle.activate": ("core.user.config.user_activated", "Activate Okta user"),
    "user.account.privilege.grant": ("core.user.admin_privilege.granted", "Grant user privilege"),
    "system.api_token.create": ("api.token.create", "Create API token"),
    "application.lifecycle.create": ("app.generic.config.app_created", "Create application"),
    "user.mfa.factor.reset_all": (None, "Reset all factors for user"),
    "user.mfa.factor.activate": ("core.user.factor.activate", "Activate factor or authenticator"),
    "system.idp.lifecycle.create": (None, "Create IdP"),
    "system.idp.lifecycle.activate": (None, "Activate IdP"),
    "policy.rule.update": (None, "Update policy rule"),
    "security.threat.detected": ("security.threat.detected", "Request from suspicious actor"),
    "user.account.lock": ("core.user.config.user_status.locked_out", "Max sign in attempts exceeded"),
}
_B62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def generate(users: int = 200, seed: int = 1, clock: str = DEFAULT_CLOCK, **kw: Any) -> dict[str, Any]:
    """The tenant snapshot of scenario `support-har-2023` (see the module docstring for what is planted)."""
    Planter.check_clock(NAME, clock, _EARLIEST_CLOCK, "2023-10-20")
    snap = lapsus_2022.generate(users, seed, clock, **kw)
    return _Plant(snap, seed).build()


class Planter:
    """Plants an incident on the lapsus-2022 org at a later clock: objects, System Log events, the manifest.

    Subclasses set `pack` (the hunt pack the planted events are for) and write `build`."""

    pack = ""

    def __init__(self, snap: dict[str, Any], seed: int) -> None:
        self.snap, self.base = snap, snap["scenario"]["planted"]
        self.rng = random.Random(f"{self.pack}:{seed}")
        self.org = snap["org_url"]
        self.ids = Ids(self.rng, snap["operator"][-3:])
        # users as stored (compact rows stay rows until one is read), the log's times without opening events
        self.users = RowMap((field(u, "id"), u) for u in raw_values(snap["users"]))
        self.events: list[dict[str, Any]] = []
        logs = snap["logs"]
        self.taken = set(logs.published() if isinstance(logs, EventLog) else (e["published"] for e in logs))
        self.hunt: dict[str, list[str]] = {}
        self.lookalike: list[str] = []
        self.lookalike_by_rule: dict[str, list[str]] = {}

    @staticmethod
    def check_clock(name: str, clock: str, earliest: int, earliest_text: str) -> None:
        try:
            now = ms_of(clock)
        except ValueError:
            raise lapsus_2022.ScenarioError(f"not a date: {clock!r}", "--clock") from None
        if now < earliest:
            raise lapsus_2022.ScenarioError(f"{name} needs a clock after {earliest_text} (the incident is planted "
                                            f"before), got {clock}", "--clock")

    # ---- objects ------------------------------------------------------------------------------------
    def user_like(self, template: dict[str, Any], local: str, first: str, last: str, created: int,
                  title: str) -> dict[str, Any]:
        out = copy.deepcopy(template)
        uid = self.ids.new("00u")
        domain = self.base["operator_login"].split("@")[1]
        login = f"{local}@{domain}"
        out["id"] = uid
        out["created"], out["activated"] = iso_s(created), iso_s(created + 40_000)
        out["statusChanged"], out["passwordChanged"] = iso_s(created + 40_000), iso_s(created + 40_000)
        out["lastLogin"] = iso_s(created + 600_000)
        out["status"] = "ACTIVE"
        out["profile"] = {**out["profile"], "firstName": first, "lastName": last, "displayName": f"{first} {last}",
                          "login": login, "email": login, "title": title}
        out["_links"] = {"self": {"href": f"{self.org}/api/v1/users/{uid}"}}
        return out

    def ordinary(self, count: int) -> list[dict[str, Any]]:
        """The first `count` ACTIVE users holding no role, in the snapshot's order (opening only those)."""
        admins = self.base["admins"]
        return list(islice((u for u in self.snap["users"] if u["id"] not in admins and u["status"] == "ACTIVE"),
                           count))

    def special_ids(self) -> set[str]:
        base = self.base
        return {base["operator_id"], base["break_glass_id"], *base["new_admins"], base["attack_victim"]}

    def pick_super_admin(self) -> dict[str, Any]:
        """An ordinary ACTIVE super admin (role held directly), not one of lapsus-2022's planted accounts."""
        skip = self.special_ids()
        for uid, admin in sorted(self.base["admins"].items()):
            if uid not in skip and admin["status"] == "ACTIVE" and any(
                    r["type"] == "SUPER_ADMIN" and r["via"] == "USER" for r in admin["roles"]):
                return self.users[uid]
        raise lapsus_2022.ScenarioError("no ordinary super admin to plant the incident on", "--users")

    def default_app_policy(self) -> str:
        return next(a["_links"]["accessPolicy"]["href"].rsplit("/", 1)[1] for a in self.snap["apps"]
                    if a["name"] not in ("saasure", "okta_enduser") and "accessPolicy" in a["_links"])

    # ---- events -------------------------------------------------------------------------------------
    def ip(self, prefix: str) -> str:
        return f"{prefix}.{self.rng.randrange(0, 256)}.{self.rng.randrange(1, 255)}"

    def session(self) -> str:
        return "102" + "".join(self.rng.choices(_B62, k=22))

    @staticmethod
    def actor(user: dict[str, Any]) -> dict[str, Any]:
        p = user["profile"]
        return actor_of(user["id"], p["login"], f"{p['firstName']} {p['lastName']}")

    @staticmethod
    def target(user: dict[str, Any]) -> dict[str, Any]:
        p = user["profile"]
        return target_user(user["id"], p["login"], f"{p['firstName']} {p['lastName']}")

    def _at(self, text: str) -> str:
        ms = ms_of(text) + self.rng.randrange(1, 1000)
        while iso_ms(ms) in self.taken:
            ms += 1
        self.taken.add(iso_ms(ms))
        return iso_ms(ms)

    def event(self, when: str, event_type: str, actor: dict, ctx: Any, targets: list | None, session: str,
              path: str, *, rules: tuple[str, ...] = (), lookalike: bool = False, failure: str | None = None,
              threat: bool = False, not_rules: tuple[str, ...] = ()) -> str:
        """One event in Okta's shape; `rules`: the pack's rules that must report it; `lookalike`: none may;
        `not_rules`: the pack's rules that must not report it (a correlation's look-alike another rule reports)."""
        legacy, message = _MESSAGES[event_type]
        published = self._at(when)
        ev_uuid = str(uuid.UUID(int=self.rng.getrandbits(128), version=1))
        request_id = "".join(self.rng.choices(_B62, k=27))
        self.events.append({
            "uuid": ev_uuid, "published": published, "eventType": event_type, "version": "0", "severity": "INFO",
            "legacyEventType": legacy, "displayMessage": message, "actor": actor, "client": ctx.client,
            "outcome": {"result": "FAILURE", "reason": failure} if failure else {"result": "SUCCESS", "reason": None},
            "target": targets,
            "transaction": {"type": "WEB", "id": request_id, "detail": {}},
            "debugContext": {"debugData": {"requestId": request_id, "requestUri": path, "url": path + "?",
                                           "threatSuspected": "true" if threat else "false"}},
            "authenticationContext": auth_context(session), "securityContext": ctx.security,
            "request": ctx.request})
        for rule_id in rules:
            self.hunt.setdefault(f"{self.pack}/{rule_id}", []).append(ev_uuid)
        if lookalike:
            self.lookalike.append(ev_uuid)
        for rule_id in not_rules:
            self.lookalike_by_rule.setdefault(f"{self.pack}/{rule_id}", []).append(ev_uuid)
        return ev_uuid

    def merge_logs(self) -> None:
        self.snap["logs"] = sorted([*self.snap["logs"], *self.events], key=lambda e: e["published"])

    def finish(self, breach_date: str, hunt_since: str, planted: dict[str, Any]) -> dict[str, Any]:
        """The manifest: what every scenario shares, the scenario's own keys, and the hunt's expectations."""
        base, snap = self.base, self.snap
        published = {e["uuid"]: e["published"] for e in snap["logs"]}
        legit = sorted(u for uuids in base["legit_post_breach_log_uuids"].values() for u in uuids
                       if published[u] >= hunt_since)
        manifest = {
            "breach_date": breach_date, "hunt_since": hunt_since,
            "operator_id": base["operator_id"], "operator_login": base["operator_login"],
            "operator_token": base["operator_token"],
            "break_glass_login": base["break_glass_login"], "break_glass_id": base["break_glass_id"],
            **planted,
            "hunt": self.hunt, "lookalike_log_uuids": self.lookalike, "legit_post_breach_log_uuids": legit,
            "lookalike_log_uuids_by_rule": self.lookalike_by_rule,
            "planted_log_uuids": sorted({u for uuids in self.hunt.values() for u in uuids} | set(legit)),
        }
        snap["scenario"] = {**snap["scenario"], "name": self.pack, "breach_date": breach_date,
                            "log_events": len(snap["logs"]), "planted": manifest}
        return snap


class _Plant(Planter):
    pack = NAME

    # ---- assembly -----------------------------------------------------------------------------------
    def build(self) -> dict[str, Any]:
        snap, base, rng, org = self.snap, self.base, self.rng, self.org
        victim = self.pick_super_admin()
        template = next(u for u in snap["users"] if u["id"] not in base["admins"] and u["status"] == "ACTIVE")
        rogue = self.user_like(template, "okta.integration.svc", "Okta", "Integration",
                                ms_of("2023-10-02T02:31:12Z"), "Service Account")
        hire = self.user_like(template, "dana.whitfield", "Dana", "Whitfield", ms_of("2023-10-09T15:12:40Z"),
                               "Financial Analyst")
        snap["users"].extend((rogue, hire))  # in place: the snapshot is this generator's own
        grant = role(org, self.ids, "SUPER_ADMIN", assignee=rogue["id"], group=False,
                     created=ms_of("2023-10-02T02:33:05Z"))
        snap["user_roles"] = {**snap["user_roles"], rogue["id"]: [grant]}
        snap["factors"].update({rogue["id"]: [], hire["id"]: []})
        everyone = next(g["id"] for g in snap["groups"] if g["profile"]["name"] == "Everyone")
        snap["group_members"] = {**snap["group_members"],
                                 everyone: [*snap["group_members"][everyone], rogue["id"], hire["id"]]}
        old_token, rogue_token = self.ids.new("00T"), self.ids.new("00T")
        snap["api_tokens"] = [*snap["api_tokens"],
                              api_token(org, old_token, "Jamf Pro sync", victim["id"],
                                        created=ms_of("2023-06-12T16:02:10Z"), last_used=ms_of("2023-11-02T09:00:00Z")),
                              api_token(org, rogue_token, "okta-integration", rogue["id"],
                                        created=ms_of("2023-10-02T02:40:51Z"), last_used=ms_of("2023-10-16T22:10:00Z"))]
        apps = snap["apps"]
        default_policy = next(a["_links"]["accessPolicy"]["href"].rsplit("/", 1)[1] for a in apps
                              if a["name"] not in ("saasure", "okta_enduser") and "accessPolicy" in a["_links"])
        kid = apps[0]["credentials"]["signing"]["kid"]
        org_id = snap["org"]["id"]
        old_app, rogue_app = self.ids.new("0oa"), self.ids.new("0oa")
        snap["apps"] = [*apps,
                        app(org, old_app, org_id, "oidc_client", "Inventory reporting service", "OPENID_CONNECT",
                            created=ms_of("2023-05-22T13:00:00Z"), updated=ms_of("2023-05-22T13:00:00Z"),
                            access_policy=default_policy, kid=kid),
                        app(org, rogue_app, org_id, "oidc_client", "Okta integration service", "OPENID_CONNECT",
                            created=ms_of("2023-10-02T02:44:30Z"), updated=ms_of("2023-10-02T02:44:30Z"),
                            access_policy=default_policy, kid=kid)]

        # ---- the System Log -------------------------------------------------------------------------
        home = make_context(self.ip("73.14"), _HOME, _AGENT)
        vpn = make_context(self.ip("185.159"), _VPN, _AGENT, proxy=True)
        name = f"{victim['profile']['firstName']} {victim['profile']['lastName']}"
        v_actor = actor_of(victim["id"], victim["profile"]["login"], name)
        r_actor = actor_of(rogue["id"], rogue["profile"]["login"], "Okta Integration")
        r_target = [target_user(rogue["id"], rogue["profile"]["login"], "Okta Integration")]
        session = "102" + "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", k=22))
        ev = self.event
        ev("2023-10-01T15:02:00Z", "user.session.start", v_actor, home, None, session, "/idp/idx/identify",
           lookalike=True)
        ev("2023-10-01T15:03:00Z", "user.session.access_admin_app", v_actor, home, None, session, "/admin/dashboard",
           lookalike=True)
        # the replay: the HAR's session cookie used from an anonymizing VPN in another network
        ev("2023-10-02T02:21:00Z", "user.session.context.change", v_actor, vpn, None, session, "/admin/dashboard",
           rules=("session-context-change",))
        ev("2023-10-02T02:22:00Z", "user.session.access_admin_app", v_actor, vpn, None, session, "/admin/dashboard",
           rules=("admin-action-via-proxy",))
        ev(rogue["created"], "user.lifecycle.create", v_actor, vpn, r_target, session, "/api/v1/users",
           rules=("admin-action-via-proxy",))
        ev(rogue["activated"], "user.lifecycle.activate", v_actor, vpn, r_target, session,
           f"/api/v1/users/{rogue['id']}/lifecycle/activate", rules=("admin-action-via-proxy",))
        ev(grant["created"], "user.account.privilege.grant", v_actor, vpn, r_target, session,
           f"/api/v1/users/{rogue['id']}/roles", rules=("admin-action-via-proxy", "new-account-made-admin"))
        token_target = [{"id": rogue_token, "type": "Token", "alternateId": "unknown",
                         "displayName": "okta-integration", "detailEntry": None}]
        app_target = [{"id": rogue_app, "type": "AppInstance", "alternateId": "Okta integration service",
                       "displayName": "Okta integration service", "detailEntry": None}]
        r_session = "102" + "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", k=22))
        ev("2023-10-02T02:40:51Z", "system.api_token.create", r_actor, vpn, token_target, r_session,
           "/api/internal/tokens", rules=("admin-action-via-proxy", "api-token-created"))
        ev("2023-10-02T02:44:30Z", "application.lifecycle.create", r_actor, vpn, app_target, r_session,
           "/api/v1/apps", rules=("admin-action-via-proxy", "app-created"))
        # look-alikes: a user behind a consumer VPN, an admin from a new address of her own network, a new hire
        walker = next(u for u in snap["users"] if u["id"] not in base["admins"] and u["status"] == "ACTIVE"
                      and u["id"] != template["id"])
        w_name = f"{walker['profile']['firstName']} {walker['profile']['lastName']}"
        w_session = "102" + "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=22))
        ev("2023-10-05T19:12:00Z", "user.session.start", actor_of(walker["id"], walker["profile"]["login"], w_name),
           make_context(self.ip("185.159"), _VPN, _AGENT, proxy=True), None, w_session, "/idp/idx/identify",
           lookalike=True)
        home2 = make_context(self.ip("73.92"), _HOME, _AGENT)
        session_2 = "102" + "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=22))
        ev("2023-10-09T15:00:00Z", "user.session.start", v_actor, home2, None, session_2, "/idp/idx/identify",
           lookalike=True)
        ev("2023-10-09T15:01:00Z", "user.session.access_admin_app", v_actor, home2, None, session_2,
           "/admin/dashboard", lookalike=True)
        h_target = [target_user(hire["id"], hire["profile"]["login"], "Dana Whitfield")]
        ev(hire["created"], "user.lifecycle.create", v_actor, home2, h_target, session_2, "/api/v1/users",
           lookalike=True)
        ev(hire["activated"], "user.lifecycle.activate", v_actor, home2, h_target, session_2,
           f"/api/v1/users/{hire['id']}/lifecycle/activate", lookalike=True)
        self.merge_logs()
        admins = dict(base["admins"])
        admins[rogue["id"]] = {"login": rogue["profile"]["login"], "status": "ACTIVE", "created": rogue["created"],
                               "passwordChanged": rogue["passwordChanged"],
                               "roles": [{"type": "SUPER_ADMIN", "via": "USER", "role_id": grant["id"],
                                          "created": grant["created"]}]}
        return self.finish(BREACH_DATE, HUNT_SINCE, {
            "admins": admins, "hijacked_admin": victim["id"], "new_admins": [rogue["id"]],
            "okta_support_enabled": base["okta_support_enabled"],
            "support_cases_enabled": base["support_cases_enabled"],
            "support_cases_requested": base["support_cases_requested"],
            "rogue_api_tokens": [rogue_token], "lookalike_tokens": [old_token],
            "rogue_apps": [rogue_app], "lookalike_apps": [old_app], "lookalike_new_users": [hire["id"]],
            "admin_console_rules": admin_console_rules(snap),
            "admin_console_session": dict(snap["settings"]["/api/v1/first-party-app-settings/admin-console"]),
        })


def admin_console_rules(snap: dict[str, Any], *, phishing_resistant: bool = False) -> list[str]:
    """`policy/rule` of every Admin Console sign-in rule not at 2FA with re-authentication at each sign-in
    (or, with `phishing_resistant`, not requiring a phishing-resistant possession factor)."""
    admin_app = next(a for a in snap["apps"] if a["name"] == "saasure")
    pid = admin_app["_links"]["accessPolicy"]["href"].rsplit("/", 1)[1]
    out = []
    for rule in snap["policy_rules"].get(pid, ()):
        method = rule["actions"]["appSignOn"]["verificationMethod"]
        if phishing_resistant:
            weak = not any((c.get("possession") or {}).get("phishingResistant") == "REQUIRED"
                           for c in method.get("constraints") or ())
        else:
            weak = method.get("factorMode") != "2FA" or method.get("reauthenticateIn") != "PT0S"
        if weak:
            out.append(f"{pid}/{rule['id']}")
    return sorted(out)

"""Scenario `cross-tenant-2023`: the lapsus-2022 org in September 2023, after help-desk social engineering.

Okta's advisory of 2023-08-31 ("Cross-Tenant Impersonation"): callers talked IT help desks into resetting
the MFA of super admins, enrolled their own factor, then added a second identity provider (and Org2Org
apps) to sign in as any user. Breach date: 2023-07-24T00:00:00Z. The tenant is the `lapsus-2022` org
(same seed) at this scenario's clock; what it holds from 2022 is before the date (look-alikes).

Planted (`snapshot["scenario"]["planted"]`, computed from the data):
  - `reset_admin`: an ACTIVE SUPER_ADMIN whose factors a help-desk admin (`help_desk_admin`) reset on
    2023-08-01; the caller enrolled an SMS factor (`attacker_factors`) from an anonymizing VPN, reached the
    Admin Console, created and activated a SAML IdP (`rogue_idps`), an Org2Org app (`rogue_apps`),
    weakened an Admin Console rule and granted SUPER_ADMIN to an old account (`unallowed_role_holders`);
  - `idp_reach`: the caller's IdP (ACTIVE) links any Okta user (accountLink AUTO, no group filter) and
    assigns its users to a SUPER_ADMIN group (`idp_reach_admin_group`); look-alikes: the partner IdP links
    only a group without roles, the 2022 IdP does not link (`idp_reach_lookalike_idps`), an IdP routing rule
    sends only a partner domain no admin's login ends with, the default rule sends to Okta
    (`idp_reach_lookalike_rules`);
  - `hunt`: rule id of the `cross-tenant-2023` pack -> uuids of the planted events it must report;
  - look-alikes: an admin who rotated her own factor (`lookalike_factors`, no reset before it), the help
    desk resetting an ordinary user's MFA and then reaching the Admin Console herself (a reset, then an
    access by another user), an admin (`lost_phone_admin`) in the Admin Console before the help desk reset
    her factors and again 12 h 15 min after it (outside the correlation's 12-hour window), an Org2Org app
    from 2021 (`lookalike_apps`), the IdPs from before the date (`lookalike_idps`); `lookalike_log_uuids`
    are events nothing may report, `lookalike_log_uuids_by_rule` events one rule must not report (the lost
    phone's reset is an admin's reset, reported, but no reset-then-Admin-Console sequence).
"""

from __future__ import annotations

import copy
from typing import Any

from remediator.sandbox.scenarios import lapsus_2022
from remediator.sandbox.scenarios._shapes import app, factor, ms_of, policy, role, rule, saml_idp
from remediator.sandbox.scenarios._syslog import make_context
from remediator.sandbox.scenarios.support_har_2023 import _AGENT, _HOME, _VPN, Planter, admin_console_rules

NAME = "cross-tenant-2023"
DEFAULT_CLOCK = "2023-09-05T12:00:00Z"
BREACH_DATE = "2023-07-24T00:00:00Z"
HUNT_SINCE = "2023-07-17T00:00:00Z"
_EARLIEST_CLOCK = ms_of("2023-08-15T00:00:00Z")


def generate(users: int = 200, seed: int = 1, clock: str = DEFAULT_CLOCK, **kw: Any) -> dict[str, Any]:
    """The tenant snapshot of scenario `cross-tenant-2023` (see the module docstring for what is planted)."""
    Planter.check_clock(NAME, clock, _EARLIEST_CLOCK, "2023-08-15")
    return _Plant(lapsus_2022.generate(users, seed, clock, **kw), seed).build()


class _Plant(Planter):
    pack = NAME

    def pick_help_desk(self, victim: str) -> dict[str, Any]:
        """The admin who reset the victim's factors: an ACTIVE HELP_DESK_ADMIN; a small tenant's random admins may
        hold none (1,000 users, seed 1), so then an ACTIVE ORG_ADMIN or SUPER_ADMIN, who may reset factors too."""
        admins = sorted(self.base["admins"].items())
        for types in (("HELP_DESK_ADMIN",), ("ORG_ADMIN", "SUPER_ADMIN")):
            for uid, admin in admins:
                if (admin["status"] == "ACTIVE" and uid != victim and uid not in self.special_ids()
                        and any(r["type"] in types for r in admin["roles"])):
                    return self.users[uid]
        raise lapsus_2022.ScenarioError("no active admin to reset the victim's factors", "--users")

    def build(self) -> dict[str, Any]:
        snap, base, org = self.snap, self.base, self.org
        victim = self.pick_super_admin()
        help_desk = self.pick_help_desk(victim["id"])
        rotator = self.users[next(uid for uid, a in sorted(base["admins"].items())
                                  if a["status"] == "ACTIVE" and uid not in {victim["id"], help_desk["id"]}
                                  and uid not in self.special_ids() and snap["factors"].get(uid))]
        lost_phone = self.users[next(uid for uid, a in sorted(base["admins"].items())
                                     if a["status"] == "ACTIVE"
                                     and uid not in {victim["id"], help_desk["id"], rotator["id"]}
                                     and uid not in self.special_ids())]
        promoted, reset_user = self.ordinary(2)
        t = ms_of
        # the victim's factors were reset, the caller enrolled one of their own
        bad_factor = factor(org, victim["id"], self.ids.new("mbl"), "sms", "ACTIVE",
                            created=t("2023-08-01T14:20:11Z"), updated=t("2023-08-01T14:20:40Z"),
                            profile={"phoneNumber": "+14155550187"})
        own_factor = factor(org, rotator["id"], self.ids.new("fwf"), "webauthn", "ACTIVE",
                            created=t("2023-08-10T09:02:03Z"), updated=t("2023-08-10T09:02:30Z"),
                           profile={"credentialId": "x2HbK7v4Qm1", "authenticatorName": "MacBook Touch ID"})
        snap["factors"].update({victim["id"]: [bad_factor], reset_user["id"]: [],
                                rotator["id"]: [*snap["factors"][rotator["id"]], own_factor]})
        grant = role(org, self.ids, "SUPER_ADMIN", assignee=promoted["id"], group=False,
                     created=t("2023-08-01T14:31:09Z"))
        snap["user_roles"] = {**snap["user_roles"], promoted["id"]: [grant]}
        rogue_idp, rogue_app, old_app = self.ids.new("0oa"), self.ids.new("0oa"), self.ids.new("0oa")
        snap["idps"] = [*snap["idps"], saml_idp(org, rogue_idp, "Okta Federation",
                                                issuer="http://www.okta.com/exk1fed7tqf2e5Mq40x7",
                                                sso_url="https://federation-hub.okta.com/app/saml/sso",
                                                kid=f"{self.rng.getrandbits(128):032x}",
                                                created=t("2023-08-01T14:40:22Z"))]
        reach = self._plant_idp_reach(rogue_idp)
        kid, org_id = snap["apps"][0]["credentials"]["signing"]["kid"], snap["org"]["id"]
        policy_id = self.default_app_policy()
        snap["apps"] = [*snap["apps"],
                        app(org, old_app, org_id, "okta_org2org", "Subsidiary Okta org", "SAML_2_0",
                            created=t("2021-05-11T10:00:00Z"), updated=t("2021-05-11T10:00:00Z"),
                            access_policy=policy_id, kid=kid),
                        app(org, rogue_app, org_id, "okta_org2org", "Okta Org2Org", "SAML_2_0",
                            created=t("2023-08-01T14:50:02Z"), updated=t("2023-08-01T14:50:02Z"),
                            access_policy=policy_id, kid=kid)]

        # ---- the System Log -------------------------------------------------------------------------
        office = make_context(self.ip("73.14"), _HOME, _AGENT)
        vpn = make_context(self.ip("185.159"), _VPN, _AGENT, proxy=True)
        hd_actor = self.actor(help_desk)
        v_actor, v_target = self.actor(victim), [self.target(victim)]
        session, hd_session = self.session(), self.session()
        ev = self.event
        ev("2023-08-01T14:05:00Z", "user.mfa.factor.reset_all", hd_actor, office, v_target, hd_session,
           f"/api/v1/users/{victim['id']}/lifecycle/reset_factors",
           rules=("privileged-mfa-reset", "reset-then-admin-console"))
        ev("2023-08-01T14:20:40Z", "user.mfa.factor.activate", v_actor, vpn, v_target, session,
           f"/api/v1/users/{victim['id']}/factors", rules=("factor-enrolled-from-proxy",))
        ev("2023-08-01T14:25:00Z", "user.session.access_admin_app", v_actor, vpn, None, session, "/admin/dashboard",
           rules=("reset-then-admin-console",))
        ev(grant["created"], "user.account.privilege.grant", v_actor, vpn, [self.target(promoted)], session,
           f"/api/v1/users/{promoted['id']}/roles", rules=("privilege-grant",))
        idp_target = [{"id": rogue_idp, "type": "IdentityProvider", "alternateId": "Okta Federation",
                       "displayName": "Okta Federation", "detailEntry": None}]
        ev("2023-08-01T14:40:22Z", "system.idp.lifecycle.create", v_actor, vpn, idp_target, session, "/api/v1/idps",
           rules=("idp-created-or-activated",))
        ev("2023-08-01T14:40:50Z", "system.idp.lifecycle.activate", v_actor, vpn, idp_target, session,
           f"/api/v1/idps/{rogue_idp}/lifecycle/activate", rules=("idp-created-or-activated",))
        ev("2023-08-01T14:50:02Z", "application.lifecycle.create", v_actor, vpn,
           [{"id": rogue_app, "type": "AppInstance", "alternateId": "Okta Org2Org", "displayName": "Okta Org2Org",
             "detailEntry": None}], session, "/api/v1/apps", rules=("org2org-app-created",))
        rules = admin_console_rules(snap)
        ev("2023-08-01T14:55:31Z", "policy.rule.update", v_actor, vpn,
           [{"id": rules[0].split("/")[1], "type": "PolicyRule", "alternateId": "unknown",
             "displayName": "Admin App Policy", "detailEntry": None}], session,
           f"/api/v1/policies/{rules[0].split('/')[0]}/rules/{rules[0].split('/')[1]}", rules=("policy-rule-changed",))
        # look-alikes: an admin rotating her own factor; the help desk resetting an ordinary user's MFA
        ev("2023-08-10T09:02:30Z", "user.mfa.factor.activate", self.actor(rotator), office,
           [self.target(rotator)], self.session(), f"/api/v1/users/{rotator['id']}/factors", lookalike=True)
        ev("2023-08-15T16:10:00Z", "user.mfa.factor.reset_all", hd_actor, office, [self.target(reset_user)],
           self.session(), f"/api/v1/users/{reset_user['id']}/lifecycle/reset_factors", lookalike=True)
        # ... and the help-desk admin herself in the Admin Console right after: a reset, then an Admin Console
        # access by a DIFFERENT user (the reset's actor, not its target)
        ev("2023-08-15T16:12:00Z", "user.session.access_admin_app", hd_actor, office, None, self.session(),
           "/admin/dashboard", lookalike=True)
        # an admin who lost her phone: in the Admin Console BEFORE the help desk reset her factors, and back
        # only the next day, after the correlation's 12-hour window; the reset itself is an admin's
        # (`privileged-mfa-reset` reports it), the sequence is not
        lp_actor, lp_target = self.actor(lost_phone), [self.target(lost_phone)]
        ev("2023-08-21T08:40:00Z", "user.session.access_admin_app", lp_actor, office, None, self.session(),
           "/admin/dashboard", lookalike=True)
        ev("2023-08-21T09:05:00Z", "user.mfa.factor.reset_all", hd_actor, office, lp_target, self.session(),
           f"/api/v1/users/{lost_phone['id']}/lifecycle/reset_factors", rules=("privileged-mfa-reset",),
           not_rules=("reset-then-admin-console",))
        ev("2023-08-21T21:20:00Z", "user.session.access_admin_app", lp_actor, office, None, self.session(),
           "/admin/dashboard", lookalike=True)
        self.merge_logs()

        admins = copy.deepcopy(base["admins"])
        admins[promoted["id"]] = {"login": promoted["profile"]["login"], "status": "ACTIVE",
                                  "created": promoted["created"], "passwordChanged": promoted["passwordChanged"],
                                  "roles": [{"type": "SUPER_ADMIN", "via": "USER", "role_id": grant["id"],
                                             "created": grant["created"]}]}
        return self.finish(BREACH_DATE, HUNT_SINCE, {
            "admins": admins, "admin_groups": base["admin_groups"], "reset_admin": victim["id"],
            "help_desk_admin": help_desk["id"], "lost_phone_admin": lost_phone["id"],
            "attacker_factors": {victim["id"]: [bad_factor["id"]]},
            "lookalike_factors": {rotator["id"]: [own_factor["id"]]},
            "unallowed_role_holders": [promoted["id"]],
            "rogue_idps": [rogue_idp], "lookalike_idps": sorted(i["id"] for i in snap["idps"] if i["id"] != rogue_idp),
            "rogue_apps": [rogue_app], "lookalike_apps": [old_app],
            "admin_console_rules": admin_console_rules(snap, phishing_resistant=True),
            **reach,
        })

    def _plant_idp_reach(self, rogue_idp: str) -> dict[str, Any]:
        """The caller's IdP links any user and provisions into an admin group; look-alikes: the partner IdP
        links only a non-admin group, the 2022 IdP does not link, a routing rule sends only a partner domain.

        Shapes: the IdP policy as recorded (okta-sdk-python test_identity_providers cassettes), the default
        routing policy as recorded (terraform-provider-okta TestAccDataSourceOktaDefaultPolicy_readIdpPolicy),
        its rules per the spec (`IdpPolicyRuleAction`, `UserIdentifierPolicyRuleCondition`)."""
        snap, org, t = self.snap, self.org, ms_of
        admin_group = next(g for g, roles in sorted(self.base["admin_groups"].items()) if "SUPER_ADMIN" in roles)
        plain = next(g["id"] for g in snap["groups"] if g.get("type") == "OKTA_GROUP"
                     and g["id"] not in self.base["admin_groups"] and not snap["group_roles"].get(g["id"]))
        by_id = {i["id"]: i for i in snap["idps"]}
        rogue = by_id[rogue_idp]["policy"]
        rogue["provisioning"]["groups"] = {"action": "ASSIGN", "assignments": [admin_group]}
        partner = next(i for i in snap["idps"] if i["name"] == "Partner SSO - ADFS")
        partner["policy"]["accountLink"] = {"action": "AUTO", "filter": {"groups": {"include": [plain]}}}
        for idp in snap["idps"]:
            if idp["id"] not in {rogue_idp, partner["id"]}:
                idp["policy"]["accountLink"] = {"action": "DISABLED", "filter": None}
        pid, default_rule, partner_rule = self.ids.new("00p"), self.ids.new("0pr"), self.ids.new("0pr")
        born = t("2019-10-07T13:40:00Z")
        snap["policies"] = [*snap["policies"], policy(org, pid, "IDP_DISCOVERY", "Idp Discovery Policy",
                                                      "The default IdP Discovery Policy", priority=1, system=True,
                                                      conditions=None, created=born, updated=born)]
        snap["policy_rules"] = {**snap["policy_rules"], pid: [
            rule(org, pid, partner_rule, "IDP_DISCOVERY", "Partners sign in at their ADFS", priority=1, system=False,
                 conditions={"network": {"connection": "ANYWHERE"},
                             "userIdentifier": {"type": "IDENTIFIER",
                                                "patterns": [{"matchType": "SUFFIX", "value": "@partner.example"}]}},
                 actions={"idp": {"providers": [{"type": "SAML2", "id": partner["id"]}]}}, created=born,
                 updated=born),
            rule(org, pid, default_rule, "IDP_DISCOVERY", "Default Rule", priority=2, system=True,
                 conditions={"network": {"connection": "ANYWHERE"}},
                 actions={"idp": {"providers": [{"type": "OKTA"}]}}, created=born, updated=born)]}
        return {"idp_reach": {rogue_idp: ["accountLink", "provisioning"]}, "idp_reach_admin_group": admin_group,
                "idp_reach_lookalike_idps": sorted(i for i in by_id if i != rogue_idp),
                "idp_reach_lookalike_rules": [f"{pid}/{partner_rule}", f"{pid}/{default_rule}"]}

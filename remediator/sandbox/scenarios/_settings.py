"""The configuration of the lapsus-2022 tenant: policies and rules, API tokens, IdPs, Okta Support.

Functions of the tenant being built (`self` is lapsus_2022._Tenant); they record the ids the
System Log and the manifest refer to on it (`t.p`, `t.tok`, `t.idp`, `t.cases`).
"""

from __future__ import annotations

import copy
import random
import re
from typing import TYPE_CHECKING, Any

from remediator.sandbox.scenarios._shapes import (
    DAY_MS,
    FIRST_PARTY_APPS,
    HOUR_MS,
    MINUTE_MS,
    Ids,
    api_token,
    app,
    app_signon_actions,
    iso_s,
    ms_of,
    policy,
    rule,
    saml_idp,
    signon_actions,
)

if TYPE_CHECKING:
    from remediator.sandbox.scenarios._people import Person
    from remediator.sandbox.scenarios.lapsus_2022 import _Tenant


# ---- policies ------------------------------------------------------------------------------------
def make_policies(t: _Tenant) -> tuple[list[dict], dict[str, list[dict]]]:
    org, ids, g = t.org, t.ids, t.everyone
    born = ms_of("2017-02-01T10:00:00Z")
    people = {"people": {"groups": {"include": [g]}}}
    signon_conditions = {"people": {"users": {"exclude": []}}, "network": {"connection": "ANYWHERE"},
                         "authContext": {"authType": "ANY"}}
    policies, rules = [], {}
    t.p = p = {}
    p["contractors"] = ids.new("00p")
    p["contractors_rule"] = ids.new("0pr")
    contractors_made = ms_of("2019-04-02T15:30:00Z")
    policies.append(policy(org, p["contractors"], "OKTA_SIGN_ON", "Contractors",
                           "Contractors always verify a second factor", priority=1, system=False,
                           conditions={"people": {"groups": {"include": [t.contractors]}}},
                           created=contractors_made, updated=contractors_made))
    rules[p["contractors"]] = [rule(org, p["contractors"], p["contractors_rule"], "SIGN_ON",
                                    "Contractors require MFA", priority=1, system=False,
                                    conditions=signon_conditions, actions=signon_actions(True),
                                    created=contractors_made, updated=contractors_made)]
    p["signon"], p["signon_rule"] = ids.new("00p"), ids.new("0pr")
    policies.append(policy(org, p["signon"], "OKTA_SIGN_ON", "Default Policy",
                           "The default policy applies in all situations if no other policy applies.",
                           priority=2, system=True, conditions=people, created=born,
                           updated=contractors_made))
    weakened_signon = ms_of("2022-01-23T03:31:47Z")
    rules[p["signon"]] = [rule(org, p["signon"], p["signon_rule"], "SIGN_ON", "Default Rule", priority=1,
                               system=True, conditions=signon_conditions, actions=signon_actions(False),
                               created=born, updated=weakened_signon)]
    oie = ms_of("2021-08-16T17:20:00Z")  # the org moved to Identity Engine

    def anyone() -> dict[str, Any]:
        return {"people": {"users": {"exclude": []}}, "network": {"connection": "ANYWHERE"}}

    p["admin_console"], p["admin_rule"], p["admin_catch_all"] = ids.new("rst"), ids.new("rul"), ids.new("rul")
    policies.append(policy(org, p["admin_console"], "ACCESS_POLICY", "Okta Admin Console",
                           "Authentication policy for the Okta Admin Console", priority=1,
                           system=False, conditions=None, created=oie, updated=oie))
    weakened_admin = ms_of("2022-01-23T03:30:02Z")
    rules[p["admin_console"]] = [
        rule(org, p["admin_console"], p["admin_rule"], "ACCESS_POLICY", "Admin App Policy", priority=0,
             system=False, conditions=anyone(), actions=app_signon_actions("1FA"), created=oie,
             updated=weakened_admin),
        rule(org, p["admin_console"], p["admin_catch_all"], "ACCESS_POLICY", "Catch-all Rule", priority=99,
             system=True, conditions=None, actions=app_signon_actions("1FA"), created=oie, updated=oie),
    ]
    p["dashboard"], p["dashboard_rule"] = ids.new("rst"), ids.new("rul")
    policies.append(policy(org, p["dashboard"], "ACCESS_POLICY", "Okta Dashboard",
                           "Authentication policy for the Okta End-User Dashboard", priority=1,
                           system=False, conditions=None, created=oie, updated=oie))
    rules[p["dashboard"]] = [rule(org, p["dashboard"], p["dashboard_rule"], "ACCESS_POLICY", "Catch-all Rule",
                                  priority=99, system=True, conditions=None, actions=app_signon_actions("1FA"),
                                  created=oie, updated=oie)]
    p["enroll"], p["enroll_rule"] = ids.new("00p"), ids.new("0pr")
    t.enroll_settings = [("okta_email", "OPTIONAL"), ("okta_password", "OPTIONAL"), ("okta_verify", "OPTIONAL"),
                            ("phone_number", "OPTIONAL"), ("google_otp", "OPTIONAL"),
                            ("security_key", "NOT_ALLOWED"), ("security_question", "NOT_ALLOWED")]
    settings = {"type": "AUTHENTICATORS",
                "authenticators": [{"key": k, "enroll": {"self": v}} for k, v in t.enroll_settings]}
    policies.append(policy(org, p["enroll"], "MFA_ENROLL", "Default Policy",
                           "The default policy applies in all situations if no other policy applies.",
                           priority=1, system=True, conditions=people, created=oie, updated=oie,
                           settings=settings))
    rules[p["enroll"]] = [rule(org, p["enroll"], p["enroll_rule"], "MFA_ENROLL", "Default Rule", priority=1,
                               system=True, conditions={"people": {"users": {"exclude": []}},
                                                        "network": {"connection": "ANYWHERE"}},
                               actions={"enroll": {"self": "CHALLENGE"}}, created=oie, updated=oie)]
    p["password"], p["password_rule"] = ids.new("00p"), ids.new("0pr")
    pw_settings = {
        "password": {"complexity": {"minLength": 8, "minLowerCase": 1, "minUpperCase": 1, "minNumber": 1,
                                    "minSymbol": 0, "excludeUsername": True,
                                    "dictionary": {"common": {"exclude": False}}, "excludeAttributes": []},
                     "age": {"maxAgeDays": 0, "expireWarnDays": 0, "minAgeMinutes": 0, "historyCount": 4},
                     "lockout": {"maxAttempts": 10, "autoUnlockMinutes": 0, "userLockoutNotificationChannels": [],
                                 "showLockoutFailures": False},
                     # as an org with the feature returns it (terraform-provider-okta
                     # TestAccResourceOktaPolicyPassword_crud/oie-00.yaml); a snapshot without it is an org
                     # whose edition lacks breached-password protection
                     "breachedProtection": {"expireAfterDays": None, "logoutEnabled": False,
                                            "delegatedWorkflowId": None}},
        "recovery": {"factors": {"recovery_question": {"status": "ACTIVE",
                                                       "properties": {"complexity": {"minLength": 4}}},
                                 "okta_email": {"status": "ACTIVE",
                                                "properties": {"recoveryToken": {"tokenLifetimeMinutes": 60}}},
                                 "okta_sms": {"status": "INACTIVE"}, "okta_call": {"status": "INACTIVE"}}},
        "delegation": {"options": {"skipUnlock": False}}}
    policies.append(policy(org, p["password"], "PASSWORD", "Default Policy",
                           "The default policy applies in all situations if no other policy applies.",
                           priority=1, system=True, created=born,
                           conditions={"people": {"groups": {"include": [g]}},
                                       "authProvider": {"provider": "OKTA"}}, updated=born, settings=pw_settings))
    rules[p["password"]] = [rule(org, p["password"], p["password_rule"], "PASSWORD", "Default Rule", priority=1,
                                 system=True, conditions={"people": {"users": {"exclude": []}},
                                                          "network": {"connection": "ANYWHERE"}},
                                 actions={"passwordChange": {"access": "ALLOW"},
                                          "selfServicePasswordReset": {"access": "ALLOW"},
                                          "selfServiceUnlock": {"access": "DENY"}},
                                 created=born, updated=born)]
    return copy.deepcopy((policies, rules))  # no sub-object shared between two policies or rules

# ---- tokens, IdPs, support --------------------------------------------------------------------------
def make_tokens(t: _Tenant) -> list[dict]:
    org, ids, now, s = t.org, t.ids, t.now, t.special
    admins = t.regular_admins
    by_role: dict[str, Person] = {}
    for person in admins:
        for assignment in t.user_roles.get(person.uid, ()):
            by_role.setdefault(assignment["type"], person)
    grantor = admins[0]
    t.tok = tok = {"operator": ids.new("00T"), "rogue": ids.new("00T")}
    tokens = [
        api_token(org, ids.new("00T"), "Workday provisioning", grantor.uid,
                  created=ms_of("2019-05-14T19:22:31Z"), last_used=now - 3 * HOUR_MS - 1_000),
        api_token(org, ids.new("00T"), "Splunk Add-on for Okta", by_role.get("READ_ONLY_ADMIN", grantor).uid,
                  created=ms_of("2020-08-02T11:40:05Z"), last_used=now - 10 * MINUTE_MS),
        api_token(org, ids.new("00T"), "ServiceNow integration", by_role.get("ORG_ADMIN", grantor).uid,
                  created=ms_of("2021-03-22T14:05:50Z"), last_used=now - 2 * DAY_MS),
        api_token(org, tok["rogue"], "okta-api-sync", s["rogue_direct"].uid,
                  created=ms_of("2022-01-22T02:31:07Z"), last_used=now - 13 * HOUR_MS),
        api_token(org, tok["operator"], "remediator", s["operator"].uid,
                  created=now - 19 * HOUR_MS - 50 * MINUTE_MS, last_used=now - 5 * MINUTE_MS),
    ]
    return tokens

def make_idps(t: _Tenant) -> list[dict]:
    org, ids, rng = t.org, t.ids, t.rng
    t.idp = {"legit": ids.new("0oa"), "rogue": ids.new("0oa")}
    tenant = (f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-4{rng.getrandbits(12):03x}-"
              f"a{rng.getrandbits(12):03x}-{rng.getrandbits(48):012x}")
    return [
        saml_idp(org, t.idp["legit"], "Partner SSO - ADFS", issuer=f"http://adfs.{t.domain}/adfs/services/trust",
                 sso_url=f"https://adfs.{t.domain}/adfs/ls/", kid=f"{rng.getrandbits(128):032x}",
                 created=ms_of("2019-10-07T13:44:20Z")),
        saml_idp(org, t.idp["rogue"], "Azure AD SSO", issuer=f"https://sts.windows.net/{tenant}/",
                 sso_url=f"https://login.microsoftonline.com/{tenant}/saml2", kid=f"{rng.getrandbits(128):032x}",
                 created=ms_of("2022-01-23T03:22:41Z")),
    ]

def make_support(t: _Tenant) -> tuple[dict, list[dict]]:
    rng, now = t.rng, t.now
    t.support_granted = now - HOUR_MS - 48 * MINUTE_MS
    numbers = sorted(rng.sample(range(1_400_000, 1_500_000), 4))
    t.cases = cases = {"enabled": f"0{numbers[3]}", "requested": f"0{numbers[2]}",
                          "not_requested": f"0{numbers[1]}", "disabled": f"0{numbers[0]}"}
    support = {"support": "ENABLED", "expiration": iso_s(t.support_granted + 8 * HOUR_MS),
               "_links": {"extend": {"href": f"{t.org}/api/v1/org/privacy/oktaSupport/extend",
                                     "hints": {"allow": ["POST"]}},
                          "revoke": {"href": f"{t.org}/api/v1/org/privacy/oktaSupport/revoke",
                                     "hints": {"allow": ["POST"]}}}}

    def case(number: str, subject: str, status: str, expiration: int | None) -> dict:
        return {"caseNumber": number, "subject": subject,
                "impersonation": {"status": status, "expiration": iso_s(expiration)},
                "selfAssigned": {"status": "NOT_REQUIRED"}}

    return support, [
        case(cases["enabled"], "Admin unable to complete MFA enrollment after password reset", "ENABLED",
             now + 20 * HOUR_MS),
        case(cases["requested"], "SAML assertion errors for Salesforce SSO", "REQUESTED", None),
        case(cases["not_requested"], "Question about System Log retention", "NOT_REQUESTED", None),
        case(cases["disabled"], "Workday import schedule failing", "DISABLED", None),
    ]


# ---- applications -----------------------------------------------------------------------------------
def make_apps(t: _Tenant, saas: list[tuple[str, str, str]], org_id: str) -> list[dict]:
    """The first-party apps (linking the Admin Console and Dashboard policies) and the SaaS apps.

    Ids come from their own random stream, so adding apps leaves every other generated id as it was.
    The SaaS apps share the org's default app sign-on policy, created here too (with its Catch-all Rule).
    """
    rng = random.Random(f"{t.seed}:apps")
    ids = Ids(rng, t.org_cell)
    oie = ms_of("2021-08-16T17:20:00Z")
    default, catch_all = ids.new("rst"), ids.new("rul")
    t.policies_json.append(policy(t.org, default, "ACCESS_POLICY", "Default Policy",
                                  "The default app sign-on policy", priority=2, system=True, conditions=None,
                                  created=oie, updated=oie))
    t.rules_json[default] = [rule(t.org, default, catch_all, "ACCESS_POLICY", "Catch-all Rule", priority=99,
                                  system=True, conditions=None, actions=app_signon_actions("1FA"),
                                  created=oie, updated=oie)]
    t.p["default_access"] = default
    kid = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") for _ in range(43))
    policies = {"saasure": t.p["admin_console"], "okta_enduser": t.p["dashboard"]}
    born = ms_of("2015-06-01T00:00:00Z")
    out = [app(t.org, ids.new("0oa"), org_id, name, label, "OPENID_CONNECT", created=born, updated=oie,
               access_policy=policies[name], kid=kid) for name, (label, _admin) in FIRST_PARTY_APPS.items()]
    for aid, label, mode in saas:
        created = rng.randrange(ms_of("2016-01-01T00:00:00Z"), ms_of("2021-06-01T00:00:00Z"))
        name = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
        out.append(app(t.org, aid, org_id, name, label, mode, created=created, updated=created,
                       access_policy=default, kid=kid))
    t.app_ids = {a["name"]: a["id"] for a in out}
    return out

"""The lapsus-2022 tenant's org configuration: network zones, authenticators and the org's singletons.

Shapes as the recordings show them (okta-sdk-python cassettes `test_network_zone_it`,
`test_authenticators_it`, `test_threat_insight_it`, `test_attack_protection_it`): every org has the
system zones `LegacyIpZone` and `BlockedIpZone`; this one also has its office egress, which the
Contractors sign-on rule names. As many orgs in 2022, it never turned ThreatInsight on, keeps the Admin
Console session two hours idle, and streams no System Log anywhere.

Ids come from their own seeded generator, so that adding this leaves every other id of the scenario as it was.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from remediator.sandbox.scenarios._shapes import iso_s, ms_of
from remediator.sandbox.store import new_id

if TYPE_CHECKING:
    from remediator.sandbox.scenarios.lapsus_2022 import _Tenant

OFFICE_ZONE = "Office egress"
#: key, type, name, status, settings, as real orgs list them
#: (test_list_authenticators, TestAccDataSourceOktaAuthenticator_read)
AUTHENTICATORS: tuple[tuple[str, str, str, str, dict[str, Any] | None], ...] = (
    ("okta_email", "email", "Email", "ACTIVE", {"allowedFor": "any", "tokenLifetimeInMinutes": 5}),
    ("okta_verify", "app", "Okta Verify", "ACTIVE",
     {"compliance": {"fips": "OPTIONAL"}, "channelBinding": {"style": "NUMBER_CHALLENGE", "required": "HIGH_RISK_ONLY"},
      "userVerification": "PREFERRED", "appInstanceId": ""}),
    ("okta_password", "password", "Password", "ACTIVE", None),
    ("phone_number", "phone", "Phone", "ACTIVE", {"allowedFor": "any"}),
    ("google_otp", "app", "Google Authenticator", "ACTIVE", {}),
    ("webauthn", "security_key", "Security Key or Biometric", "INACTIVE", None),
    ("security_question", "security_question", "Security Question", "ACTIVE", {"allowedFor": "recovery"}),
)


def _hints(*methods: str) -> dict[str, Any]:
    return {"allow": list(methods)}


def _zone(org: str, zid: str, name: str, usage: str, system: bool, gateways: list[str] | None,
          created: str) -> dict[str, Any]:
    base = f"{org}/api/v1/zones/{zid}"
    return {"type": "IP", "id": zid, "name": name, "status": "ACTIVE", "usage": usage, "created": created,
            "lastUpdated": created, "system": system,
            "gateways": [{"type": "CIDR", "value": g} for g in gateways] if gateways else None, "proxies": None,
            "_links": {"self": {"href": base, "hints": _hints("GET", "PUT", "DELETE")},
                       "deactivate": {"href": f"{base}/lifecycle/deactivate", "hints": _hints("POST")}}}


def _authenticator(org: str, aid: str, key: str, type_: str, name: str, status: str, settings: Any,
                   created: str) -> dict[str, Any]:
    base = f"{org}/api/v1/authenticators/{aid}"
    links: dict[str, Any] = {"self": {"href": base, "hints": _hints("GET", "PUT")}}
    if key != "okta_password":  # the password authenticator has no lifecycle (as recorded)
        action = "deactivate" if status == "ACTIVE" else "activate"
        links[action] = {"href": f"{base}/lifecycle/{action}", "hints": _hints("POST")}
    links["methods"] = {"href": f"{base}/methods", "hints": _hints("GET")}
    # real orgs answer no `settings` for the password and WebAuthn authenticators, `{}` for Google's
    out: dict[str, Any] = {"type": type_, "id": aid, "key": key, "status": status, "name": name, "created": created,
           "lastUpdated": created}
    if settings is not None:
        out["settings"] = settings
    out["_links"] = links
    return out


def make_config(t: _Tenant) -> dict[str, Any]:
    """The snapshot keys `network_zones`, `authenticators` and `settings` (no `log_streams`: none)."""
    rng = random.Random(f"lapsus-2022-config-{t.seed}")
    org = t.org
    born = iso_s(ms_of("2017-02-01T10:00:00Z"))
    oie = iso_s(ms_of("2021-08-16T17:20:00Z"))
    office = new_id("nzo", rng)
    zones = [_zone(org, new_id("nzo", rng), "BlockedIpZone", "BLOCKLIST", True, None, born),
             _zone(org, new_id("nzo", rng), "LegacyIpZone", "POLICY", True, None, born),
             _zone(org, office, OFFICE_ZONE, "POLICY", False, ["198.51.100.0/24"],
                   iso_s(ms_of("2019-04-02T15:00:00Z")))]
    contractors = t.rules_json.get(t.p["contractors"]) or []
    for rule in contractors:  # the Contractors rule applies off the office network only
        rule["conditions"] = {**rule["conditions"], "network": {"connection": "ZONE", "exclude": [office]}}
    authenticators = [_authenticator(org, new_id("aut", rng), *row, created=oie) for row in AUTHENTICATORS]
    settings = {
        "/api/v1/threats/configuration": {"action": "none", "excludeZones": [], "created": "2021-08-16 17:20:00",
                                          "lastUpdated": "2021-08-16 17:20:00"},
        "/api/v1/first-party-app-settings/admin-console": {"sessionIdleTimeoutMinutes": 120,
                                                           "sessionMaxLifetimeMinutes": 720},
        "/api/v1/org/settings/autoAssignAdminAppSetting": {"autoAssignAdminAppSetting": True},
        "/api/v1/org/settings/clientPrivilegesSetting": {"clientPrivilegesSetting": True},
        "/attack-protection/api/v1/user-lockout-settings": {"preventBruteForceLockoutFromUnknownDevices": False},
    }
    return {"network_zones": zones, "authenticators": authenticators, "settings": settings}

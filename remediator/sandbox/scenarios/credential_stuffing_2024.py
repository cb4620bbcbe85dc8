"""Scenario `credential-stuffing-2024`: the lapsus-2022 org in May 2024, after a wave of credential stuffing.

Okta's advisory of 2024-04-27 ("How to Block Anonymizing Services using Okta"): from 2024-04-19 large
credential-stuffing runs came through Tor and residential proxies. Breach date: 2024-04-19T00:00:00Z. The
tenant is the `lapsus-2022` org (same seed) at this scenario's clock, with ThreatInsight in audit mode
(so Okta logged `security.threat.detected`), no zone blocking anonymizers, lockout from unknown devices off
and a password policy that accepts common passwords.

Planted (`snapshot["scenario"]["planted"]`, computed from the data):
  - a password spray from one Tor exit (`spray_ip`): failed sign-ins for `spray_users` (many users, one
    source: what `password-spray-single-source` counts per client IP), flagged by ThreatInsight, then one
    success through a residential proxy (`stuffed_user`);
  - `threat_insight` (the configuration before), `lockout_unknown_devices`, `weak_password_policies`
    (policy ids without the common-password check), `breached_unprotected_policies` (breached-password
    protection not expiring at once with sessions ended), `breached_unavailable_policies` (policies read
    without `breachedProtection`: the org's edition lacks it; none by default),
    `exempt_zone` (the office zone to exempt);
  - `hunt`: rule id of the `credential-stuffing-2024` pack -> uuids of the planted events it must report;
  - look-alikes (`lookalike_log_uuids`): a burst of failures from one user at her usual address ending in
    a lockout (one IP, one user), `scattered_lookalike_users` failing once each from an address of their
    own within an hour (many users, many IPs), a sign-in from a cloud host that is no proxy.
"""

from __future__ import annotations

from typing import Any

from remediator.sandbox.scenarios import lapsus_2022
from remediator.sandbox.scenarios._config import OFFICE_ZONE
from remediator.sandbox.scenarios._shapes import ms_of
from remediator.sandbox.scenarios._syslog import make_context
from remediator.sandbox.scenarios.support_har_2023 import _AGENT, _HOME, Planter

NAME = "credential-stuffing-2024"
DEFAULT_CLOCK = "2024-05-02T12:00:00Z"
BREACH_DATE = "2024-04-19T00:00:00Z"
HUNT_SINCE = "2024-04-12T00:00:00Z"
_EARLIEST_CLOCK = ms_of("2024-04-27T00:00:00Z")
_TOR = ("Zurich", "Zurich", "Switzerland", "8001", 47.3769, 8.5417,
        (60729, "stiftung erneuerbare freiheit", "tor exit", "torproject.org"))
_RESIDENTIAL = ("Sao Paulo", "Sao Paulo", "Brazil", "01000", -23.5505, -46.6333,
                (28573, "claro nxt telecomunicacoes ltda", "claro", "claro.com.br"))
_CLOUD = ("Ashburn", "Virginia", "United States", "20147", 39.0438, -77.4874,
          (14618, "amazon.com, inc.", "amazon", "amazonaws.com"))
_SPRAY_AGENT = ("python-requests/2.31.0", "Unknown", "UNKNOWN", "Unknown")
TRIES = 30
SCATTERED = 8  # users failing once each from their own address (look-alikes of a spray)
#: the spray, the stuffed and the locked-out user and the scattered look-alikes are distinct ordinary ACTIVE users
#: (TRIES + 2 + SCATTERED = 40); the lapsus-2022 org has that many from about 70 users, whatever the seed
MIN_USERS = 80


def generate(users: int = 200, seed: int = 1, clock: str = DEFAULT_CLOCK, **kw: Any) -> dict[str, Any]:
    """The tenant snapshot of scenario `credential-stuffing-2024` (see the module docstring)."""
    Planter.check_clock(NAME, clock, _EARLIEST_CLOCK, "2024-04-27")
    if not isinstance(users, int) or users < MIN_USERS:
        raise lapsus_2022.ScenarioError(f"{NAME} needs at least {MIN_USERS} users, got {users!r}", "--users")
    return _Plant(lapsus_2022.generate(users, seed, clock, **kw), seed).build()


class _Plant(Planter):
    pack = NAME

    def build(self) -> dict[str, Any]:
        snap = self.snap
        threats = "/api/v1/threats/configuration"
        snap["settings"] = {**snap["settings"], threats: {**snap["settings"][threats], "action": "audit",
                                                          "lastUpdated": "2023-02-06 10:12:40"}}
        ordinary = self.ordinary(TRIES + 2 + SCATTERED)
        if len(ordinary) < TRIES + 2 + SCATTERED:
            raise lapsus_2022.ScenarioError(f"{NAME}: too few ordinary users ({len(ordinary)}) for its spray and "
                                            f"look-alikes; use more --users", "--users")
        sprayed, stuffed, locked = ordinary[:TRIES], ordinary[TRIES], ordinary[TRIES + 1]
        scattered = ordinary[TRIES + 2:TRIES + 2 + SCATTERED]
        tor_ip = self.ip("185.220")
        tor = make_context(tor_ip, _TOR, _SPRAY_AGENT, proxy=True)
        ev = self.event
        for i, user in enumerate(sprayed):
            ev(f"2024-04-21T03:{10 + i // 10:02d}:{(i % 10) * 5:02d}Z", "user.session.start", self.actor(user), tor,
               None, "unknown", "/api/v1/authn", failure="INVALID_CREDENTIALS", threat=True,
               rules=("password-spray", "anonymizer-sign-in", "password-spray-single-source"))
            if i % 10 == 9:
                ev(f"2024-04-21T03:{10 + i // 10:02d}:50Z", "security.threat.detected",
                   {"id": "unknown", "type": "User", "alternateId": "unknown", "displayName": "unknown",
                    "detailEntry": None}, tor, None, "unknown", "/api/v1/authn", threat=True,
                   rules=("password-spray",))
        residential = make_context(self.ip("177.37"), _RESIDENTIAL, _AGENT, proxy=True)
        ev("2024-04-23T22:41:09Z", "user.session.start", self.actor(stuffed), residential, None, self.session(),
           "/idp/idx/identify", rules=("anonymizer-sign-in",))
        # look-alikes: one user mistyping her password at her usual address; a sign-in from a cloud host
        home = make_context(self.ip("73.14"), _HOME, _AGENT)
        for i in range(8):
            ev(f"2024-04-24T08:15:{i * 6:02d}Z", "user.session.start", self.actor(locked), home, None, "unknown",
               "/idp/idx/identify", failure="INVALID_CREDENTIALS", lookalike=True)
        ev("2024-04-24T08:15:55Z", "user.account.lock", self.actor(locked), home, [self.target(locked)], "unknown",
           "/idp/idx/identify", lookalike=True)
        # many users failing once each, each from an address of their own, within one hour: no source fails
        # for many users (a distributed spray would look so too, but that is not this rule's pattern)
        for i, user in enumerate(scattered):
            own = make_context(self.ip(f"{68 + i}.{40 + i}"), _HOME, _AGENT)
            ev(f"2024-04-26T10:{i * 5:02d}:12Z", "user.session.start", self.actor(user), own, None, "unknown",
               "/idp/idx/identify", failure="INVALID_CREDENTIALS", lookalike=True)
        cloud = make_context(self.ip("54.209"), _CLOUD, _AGENT)
        ev("2024-04-25T14:02:00Z", "user.session.start", self.actor(locked), cloud, None, self.session(),
           "/idp/idx/identify", lookalike=True)
        self.merge_logs()

        weak = sorted(p["id"] for p in snap["policies"] if p["type"] == "PASSWORD"
                      and not ((p.get("settings") or {}).get("password", {}).get("complexity", {})
                               .get("dictionary", {}).get("common", {}).get("exclude")))
        # breached-password protection as the playbook wants it: expire at once, end the sessions; a policy
        # without the object belongs to an org whose edition lacks the feature (a finding, not a change)
        password = [p for p in snap["policies"] if p["type"] == "PASSWORD"]
        breached = {p["id"]: (p.get("settings") or {}).get("password", {}).get("breachedProtection")
                    for p in password}
        unprotected = sorted(i for i, b in breached.items()
                             if b is not None and (b.get("expireAfterDays") != 0 or b.get("logoutEnabled") is not True))
        return self.finish(BREACH_DATE, HUNT_SINCE, {
            "spray_ip": tor_ip, "spray_users": sorted(u["id"] for u in sprayed), "stuffed_user": stuffed["id"],
            "locked_lookalike_user": locked["id"], "scattered_lookalike_users": sorted(u["id"] for u in scattered),
            "threat_insight": {"action": "audit", "excludeZones": list(snap["settings"][threats]["excludeZones"])},
            "exempt_zone": OFFICE_ZONE,
            "anonymizer_zones": sorted(z["id"] for z in snap["network_zones"] if z.get("type") == "DYNAMIC_V2"),
            "lockout_unknown_devices": snap["settings"]["/attack-protection/api/v1/user-lockout-settings"][
                "preventBruteForceLockoutFromUnknownDevices"],
            "weak_password_policies": weak,
            "breached_unprotected_policies": unprotected,
            "breached_unavailable_policies": sorted(i for i, b in breached.items() if b is None),
        })

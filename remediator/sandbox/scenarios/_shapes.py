"""Okta's JSON shapes for generated tenants, built fast from integers (epoch milliseconds).

Every factory returns a fresh object shaped as the real API returns it (key order included),
checked against the recordings in `../shared/okta-reference` (okta-sdk-python cassettes and
terraform-provider-okta fixtures). Users are stored in the form `GET /api/v1/users` lists them
(`_links` has only `self`), which is what a live `remediator snapshot` records too.
"""

from __future__ import annotations

import random
from binascii import b2a_base64
from datetime import UTC, datetime, timedelta
from typing import Any, overload

from remediator.timeutil import parse_time

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAYS: dict[int, str] = {}
_CLOCK = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]  # each second
_MILLIS = [f".{i:03d}Z" for i in range(1000)]
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MINUTE_MS = 60_000


def ms_of(text: str) -> int:
    """Epoch milliseconds of an ISO 8601 timestamp."""
    delta = parse_time(text) - _EPOCH
    return delta.days * DAY_MS + delta.seconds * 1000 + delta.microseconds // 1000


def iso_ms(ms: int) -> str:
    """`2022-01-21T03:14:07.123Z` (System Log `published`); table-driven, it runs once per event."""
    day, rest = divmod(ms, DAY_MS)
    date = _DAYS.get(day)
    if date is None:
        date = _DAYS[day] = (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%dT")
    second, milli = divmod(rest, 1000)
    return date + _CLOCK[second] + _MILLIS[milli]


@overload
def iso_s(ms: int) -> str: ...
@overload
def iso_s(ms: None) -> None: ...
def iso_s(ms: int | None) -> str | None:
    """Object timestamps (`created`, `lastUpdated`, …): Okta keeps whole seconds, `.000Z`."""
    return None if ms is None else iso_ms(ms - ms % 1000)


class Ids:
    """Okta-looking ids, unique within a tenant: 3-character prefix + 14 random + the org's cell suffix."""

    def __init__(self, rng: random.Random, cell: str) -> None:
        self._rng = rng
        self._cell = cell
        self._seen: set[str] = set()

    def new(self, prefix: str) -> str:
        bits = self._rng.getrandbits
        width = 17 - len(self._cell)
        while True:
            raw = b2a_base64(bits(96).to_bytes(12, "big"), newline=False).decode()
            value = prefix + raw[:width].replace("+", "K").replace("/", "q") + self._cell
            if value not in self._seen:
                self._seen.add(value)
                return value


# Objects and their parts are read-only once generated (the sandbox replaces, never edits, them), so
# constant parts are shared: at 100,000 users and a million events a fresh copy each costs hundreds of MB.
_HINTS: dict[tuple[str, ...], dict[str, Any]] = {}
_TYPES: dict[str, dict[str, str]] = {}
_PROVIDER = {"type": "OKTA", "name": "OKTA"}
_CREDENTIALS = {"password": {}, "provider": _PROVIDER}
_CREDENTIALS_NO_PASSWORD = {"provider": _PROVIDER}


def hints(*methods: str) -> dict[str, Any]:
    """`{"allow": [...]}`, one shared object per list of methods."""
    return _HINTS.get(methods) or _HINTS.setdefault(methods, {"allow": list(methods)})


def _user_type(type_id: str) -> dict[str, str]:
    return _TYPES.get(type_id) or _TYPES.setdefault(type_id, {"id": type_id})


# ---- users ------------------------------------------------------------------------------------------
def user(org: str, uid: str, status: str, *, created: int, activated: int | None, status_changed: int | None,
         last_login: int | None, password_changed: int | None, type_id: str, profile: dict[str, Any]) -> dict:
    """A user as `GET /api/v1/users` lists it. `lastUpdated` is the latest of the other times."""
    last_updated = max(t for t in (created, activated, status_changed, password_changed) if t is not None)
    credentials = _CREDENTIALS_NO_PASSWORD if password_changed is None else _CREDENTIALS
    return {
        "id": uid, "status": status, "created": iso_s(created), "activated": iso_s(activated),
        "statusChanged": iso_s(status_changed), "lastLogin": iso_s(last_login), "lastUpdated": iso_s(last_updated),
        "passwordChanged": iso_s(password_changed), "type": _user_type(type_id), "profile": profile,
        "credentials": credentials, "_links": {"self": {"href": f"{org}/api/v1/users/{uid}"}},
    }


# ---- admin roles ------------------------------------------------------------------------------------
ROLE_LABELS = {
    "SUPER_ADMIN": "Super Administrator", "ORG_ADMIN": "Organization Administrator",
    "APP_ADMIN": "Application Administrator", "USER_ADMIN": "User Administrator",
    "HELP_DESK_ADMIN": "Help Desk Administrator", "READ_ONLY_ADMIN": "Read-only Administrator",
}
# Okta returns these standard roles with a fixed id (base32 of the type) rather than a per-assignment one.
_FIXED_ROLE_IDS = {"APP_ADMIN": "IFIFAX2BIRGUSTQ", "USER_ADMIN": "KVJUKUS7IFCE2SKO",
                   "HELP_DESK_ADMIN": "JBCUYUC7IRCVGS27IFCE2SKO"}


def role(org: str, ids: Ids, role_type: str, *, assignee: str, group: bool, created: int) -> dict[str, Any]:
    """A role assignment as `/users/{id}/roles` (USER) or `/groups/{id}/roles` (GROUP) return it."""
    rid = _FIXED_ROLE_IDS.get(role_type) or ids.new("gra" if group else "ra1")
    kind = "groups" if group else "users"
    return {"id": rid, "label": ROLE_LABELS[role_type], "type": role_type, "status": "ACTIVE",
            "created": iso_s(created), "lastUpdated": iso_s(created), "assignmentType": "GROUP" if group else "USER",
            "_links": {"assignee": {"href": f"{org}/api/v1/{kind}/{assignee}"}}}


# ---- factors ----------------------------------------------------------------------------------------
_POST, _GET, _GET_DELETE = hints("POST"), hints("GET"), hints("GET", "DELETE")
FACTOR_PREFIX = {"push": "opf", "token:software:totp": "ost", "sms": "mbl", "webauthn": "fwf"}


def factor(org: str, uid: str, fid: str, factor_type: str, status: str, *, created: int, updated: int,
           profile: dict[str, Any], provider: str = "OKTA") -> dict[str, Any]:
    """A factor as `GET /users/{id}/factors` lists it (`_links.resend` is an array, as recorded)."""
    user_href = f"{org}/api/v1/users/{uid}"
    base = f"{user_href}/factors/{fid}"
    if status == "ACTIVE":
        links: dict[str, Any] = {"verify": {"href": base + "/verify", "hints": _POST},
                                 "self": {"href": base, "hints": _GET_DELETE},
                                 "user": {"href": user_href, "hints": _GET}}
    else:
        links = {"resend": [{"name": factor_type, "href": f"{base}/resend", "hints": hints("POST")}],
                 "activate": {"href": f"{base}/lifecycle/activate", "hints": hints("POST")},
                 "self": {"href": base, "hints": hints("GET")},
                 "user": {"href": user_href, "hints": hints("GET")}}
    return {"id": fid, "factorType": factor_type, "provider": provider, "vendorName": provider,
            "status": status, "created": iso_s(created), "lastUpdated": iso_s(updated), "profile": profile,
            "_links": links}


class FactorRow:
    """A generated factor, compactly (about 400 bytes against 1.9 KB as dicts); `open()` is `factor(...)`."""

    __slots__ = ("created", "factor_type", "id", "org", "profile", "provider", "status", "uid", "updated")

    def __init__(self, org: str, uid: str, fid: str, factor_type: str, status: str, *, created: int, updated: int,
                 profile: dict[str, Any], provider: str = "OKTA") -> None:
        self.org, self.uid, self.id, self.factor_type, self.status = org, uid, fid, factor_type, status
        self.created, self.updated, self.profile, self.provider = created, updated, profile, provider

    def open(self) -> dict[str, Any]:
        return factor(self.org, self.uid, self.id, self.factor_type, self.status, created=self.created,
                      updated=self.updated, profile=dict(self.profile), provider=self.provider)


class FactorRows(tuple):
    """One user's factors as rows; opens as the list `GET /users/{id}/factors` returns."""

    __slots__ = ()

    def open(self) -> list[dict[str, Any]]:
        return [row.open() for row in self]


# ---- groups -----------------------------------------------------------------------------------------
_LOGOS = ("https://ok11static.oktacdn.com/assets/img/logos/groups/okta-medium.d7fb831bc4e7e1a5d8bd35dfaf405d9e.png",
          "https://ok11static.oktacdn.com/assets/img/logos/groups/okta-large.511fcb0de9da185b52589cb14d581c2c.png")


def group(org: str, gid: str, name: str, description: str | None, *, created: int, membership_updated: int,
          built_in: bool = False) -> dict[str, Any]:
    return {"id": gid, "created": iso_s(created), "lastUpdated": iso_s(created),
            "lastMembershipUpdated": iso_s(membership_updated), "objectClass": ["okta:user_group"],
            "type": "BUILT_IN" if built_in else "OKTA_GROUP", "profile": {"name": name, "description": description},
            "_links": {"logo": [{"name": "medium", "href": _LOGOS[0], "type": "image/png"},
                                {"name": "large", "href": _LOGOS[1], "type": "image/png"}],
                       "users": {"href": f"{org}/api/v1/groups/{gid}/users"},
                       "apps": {"href": f"{org}/api/v1/groups/{gid}/apps"}}}


# ---- API tokens -------------------------------------------------------------------------------------
def api_token(org: str, tid: str, name: str, user_id: str, *, created: int, last_used: int) -> dict[str, Any]:
    """`expiresAt` is 30 days after the token was last used (`tokenWindow` P30D), as recorded."""
    return {"id": tid, "name": name, "userId": user_id, "clientName": "Okta API", "tokenWindow": "P30D",
            "network": {"connection": "ANYWHERE"}, "expiresAt": iso_s(last_used + 30 * DAY_MS),
            "created": iso_s(created), "lastUpdated": iso_s(last_used),
            "_links": {"self": {"href": f"{org}/api/v1/api-tokens/{tid}", "hints": hints("GET", "DELETE")},
                       "user": {"href": f"{org}/api/v1/users/{user_id}", "hints": hints("GET")}}}


# ---- identity providers -----------------------------------------------------------------------------
def saml_idp(org: str, iid: str, name: str, *, issuer: str, sso_url: str, kid: str, created: int,
             status: str = "ACTIVE") -> dict[str, Any]:
    """A SAML 2.0 IdP as `GET /api/v1/idps` lists it (keys as recorded, protocol as the spec's example)."""
    return {
        "id": iid, "type": "SAML2", "issuerMode": "ORG_URL", "name": name, "status": status,
        "created": iso_s(created), "lastUpdated": iso_s(created),
        "protocol": {
            "type": "SAML2",
            "endpoints": {"sso": {"url": sso_url, "binding": "HTTP-POST", "destination": sso_url},
                          "acs": {"binding": "HTTP-POST", "type": "INSTANCE"}},
            "algorithms": {"request": {"signature": {"algorithm": "SHA-256", "scope": "REQUEST"}},
                           "response": {"signature": {"algorithm": "SHA-256", "scope": "ANY"}}},
            "settings": {"nameFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"},
            "credentials": {"trust": {"issuer": issuer, "audience": f"{org}/sso/saml2/{iid}", "kid": kid}},
        },
        "policy": {
            "provisioning": {"action": "AUTO", "profileMaster": False, "groups": {"action": "NONE"},
                             "conditions": {"deprovisioned": {"action": "NONE"}, "suspended": {"action": "NONE"}}},
            "accountLink": {"filter": None, "action": "AUTO"},
            "subject": {"userNameTemplate": {"template": "idpuser.subjectNameId"}, "filter": None,
                        "matchType": "USERNAME", "matchAttribute": None},
            "maxClockSkew": 0,
        },
        "_links": {
            "metadata": {"href": f"{org}/api/v1/idps/{iid}/metadata.xml", "type": "application/xml",
                         "hints": hints("GET")},
            "acs": {"href": f"{org}/sso/saml2/{iid}", "type": "application/xml", "hints": hints("POST")},
            "users": {"href": f"{org}/api/v1/idps/{iid}/users", "hints": hints("GET")},
            "deactivate": {"href": f"{org}/api/v1/idps/{iid}/lifecycle/deactivate", "hints": hints("POST")},
        },
    }


# ---- policies and rules -----------------------------------------------------------------------------
def policy(org: str, pid: str, ptype: str, name: str, description: str | None, *, priority: int, system: bool,
           conditions: dict[str, Any] | None, created: int, updated: int,
           settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """A policy as `GET /api/v1/policies?type=` lists it (ACCESS_POLICY carries `mappings`, as recorded)."""
    base = f"{org}/api/v1/policies/{pid}"
    links: dict[str, Any] = {}
    if ptype in ("ACCESS_POLICY", "MFA_ENROLL"):
        links["mappings"] = {"href": f"{base}/mappings", "hints": hints("GET", "POST")}
    links["self"] = {"href": base, "hints": hints("GET", "PUT") if system else hints("GET", "PUT", "DELETE")}
    links["rules"] = {"href": f"{base}/rules", "hints": hints("GET", "POST")}
    if not system:
        links["deactivate"] = {"href": f"{base}/lifecycle/deactivate", "hints": hints("POST")}
    out: dict[str, Any] = {"type": ptype, "id": pid, "status": "ACTIVE", "name": name}
    if description is not None:
        out["description"] = description
    out.update({"priority": priority, "system": system, "conditions": conditions,
                "created": iso_s(created), "lastUpdated": iso_s(updated)})
    if settings is not None:
        out["settings"] = settings
    out["_links"] = links
    return out


def rule(org: str, pid: str, rid: str, rtype: str, name: str, *, priority: int, system: bool,
         conditions: dict[str, Any] | None, actions: dict[str, Any], created: int, updated: int) -> dict[str, Any]:
    base = f"{org}/api/v1/policies/{pid}/rules/{rid}"
    links: dict[str, Any] = {"self": {"href": base, "hints": hints("GET", "PUT") if system
                                      else hints("GET", "PUT", "DELETE")}}
    if not system:
        links["deactivate"] = {"href": f"{base}/lifecycle/deactivate", "hints": hints("POST")}
    return {"type": rtype, "id": rid, "status": "ACTIVE", "name": name, "priority": priority,
            "created": iso_s(created), "lastUpdated": iso_s(updated), "system": system,
            "conditions": conditions, "actions": actions, "_links": links}


def signon_actions(require_factor: bool, *, idle_minutes: int = 120) -> dict[str, Any]:
    """`actions` of an OKTA_SIGN_ON rule (global session policy)."""
    signon: dict[str, Any] = {"access": "ALLOW", "requireFactor": require_factor}
    if require_factor:
        signon["factorPromptMode"] = "ALWAYS"
    signon.update({"primaryFactor": "PASSWORD_IDP", "rememberDeviceByDefault": False,
                   "session": {"usePersistentCookie": False, "maxSessionIdleMinutes": idle_minutes,
                               "maxSessionLifetimeMinutes": 0}})
    return {"signon": signon}


def app_signon_actions(factor_mode: str, *, reauthenticate: str = "PT12H") -> dict[str, Any]:
    """`actions` of an ACCESS_POLICY rule (app sign-in policy)."""
    constraints = ([{"possession": {"required": True, "deviceBound": "REQUIRED"}}] if factor_mode == "2FA"
                   else [{"knowledge": {"types": ["password"], "reauthenticateIn": reauthenticate}}])
    return {"appSignOn": {"access": "ALLOW",
                          "verificationMethod": {"factorMode": factor_mode, "type": "ASSURANCE",
                                                 "reauthenticateIn": reauthenticate, "constraints": constraints},
                          "keepMeSignedIn": {"postAuth": "NOT_ALLOWED"}}}


# ---- applications -----------------------------------------------------------------------------------
#: Okta's first-party apps, as recorded (okta-sdk-python test_applications_it/
#: TestApplicationsResource.test_list_applications_with_query_parameters.yaml): name -> (label, admin link).
FIRST_PARTY_APPS = {"saasure": ("Okta Admin Console", True), "okta_enduser": ("Okta Dashboard", False)}
PASSWORD_PROTECTED = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
_VPN_OFF = {"vpn": {"network": {"connection": "DISABLED"}, "message": None, "helpUrl": None}}


def app(org: str, aid: str, org_id: str, name: str, label: str, mode: str, *, created: int, updated: int,
        access_policy: str | None, kid: str) -> dict[str, Any]:
    """An app as `GET /api/v1/apps` lists it; `access_policy` is the id of its app sign-on policy."""
    base = f"{org}/api/v1/apps/{aid}"
    first_party = name in FIRST_PARTY_APPS
    link_name = "admin" if first_party else f"{name}_link"
    app_links = {} if name == "okta_enduser" else {link_name: True}
    settings: dict[str, Any] = {"app": {}, "notifications": _VPN_OFF, "manualProvisioning": False,
                                "implicitAssignment": False}
    if mode == "SAML_2_0":
        settings["signOn"] = {"defaultRelayState": None, "ssoAcsUrl": f"https://{name}.example/sso/saml",
                              "idpIssuer": "http://www.okta.com/${org.externalKey}",
                              "audience": f"https://{name}.example", "recipient": f"https://{name}.example/sso/saml",
                              "destination": f"https://{name}.example/sso/saml",
                              "subjectNameIdTemplate": "${user.userName}",
                              "subjectNameIdFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
                              "responseSigned": True, "assertionSigned": True, "signatureAlgorithm": "RSA_SHA256",
                              "digestAlgorithm": "SHA256", "honorForceAuthn": True,
                              "authnContextClassRef": PASSWORD_PROTECTED,
                              "spIssuer": None, "requestCompressed": False, "attributeStatements": [],
                              "inlineHooks": [], "assertionEncryption": {"enabled": False},
                              "allowMultipleAcsEndpoints": False, "acsEndpoints": [],
                              "samlSignedRequestEnabled": False, "slo": {"enabled": False}}
    links: dict[str, Any] = {"uploadLogo": {"href": f"{base}/logo", "hints": hints("POST")}}
    if app_links:
        links["appLinks"] = [{"name": link_name, "href": f"{org}/home/{name}/{aid}/2", "type": "text/html"}]
    else:
        links["appLinks"] = []
    links["policies"] = {"href": f"{base}/policies", "hints": hints("PUT")}
    links["groups"] = {"href": f"{base}/groups"}
    if access_policy:
        links["accessPolicy"] = {"href": f"{org}/api/v1/policies/{access_policy}"}
    links["users"] = {"href": f"{base}/users"}
    links["deactivate"] = {"href": f"{base}/lifecycle/deactivate"}
    return {
        "id": aid, "orn": f"orn:okta:idp:{org_id}:apps:{name}:{aid}", "name": name, "label": label,
        "status": "ACTIVE", "lastUpdated": iso_s(updated), "created": iso_s(created),
        "accessibility": {"selfService": False, "errorRedirectUrl": None, "loginRedirectUrl": None},
        "visibility": {**({} if first_party else {"autoLaunch": False}), "autoSubmitToolbar": False,
                       "hide": {"iOS": False, "web": False}, "appLinks": app_links},
        "features": [], "signOnMode": mode,
        "credentials": {"userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"},
                        "signing": {"kid": kid}},
        "universalLogout": None if first_party else {"status": "DISABLED", "supportType": "FULL",
                                                      "identityStack": "NOT_SHARED",
                                                      "protocol": "GLOBAL_TOKEN_REVOCATION"},
        "settings": settings,
        "_links": links,
    }

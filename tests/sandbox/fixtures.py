"""Small hand-built tenant snapshots for sandbox tests (independent of any scenario generator)."""

from __future__ import annotations

import copy
from typing import Any

from remediator.sandbox.scenarios._shapes import app

ORG = "https://acme.okta.com"
CLOCK = "2022-03-22T12:00:00.000Z"
OPERATOR = "00u0operatorAAAAAAAA"


def user(uid: str, login: str, status: str = "ACTIVE", *, first: str = "Ann", last: str = "Lee",
         created: str = "2021-01-01T00:00:00.000Z", password_changed: str = "2021-06-01T00:00:00.000Z",
         status_changed: str = "2021-01-02T00:00:00.000Z") -> dict[str, Any]:
    return {
        "id": uid, "status": status, "created": created, "activated": created, "statusChanged": status_changed,
        "lastLogin": None, "lastUpdated": status_changed, "passwordChanged": password_changed,
        "type": {"id": "otyc04qb2rUDcq2YA4x6"},
        "profile": {"firstName": first, "lastName": last, "mobilePhone": None, "secondEmail": None,
                    "login": login, "email": login},
        "credentials": {"password": {}, "emails": [{"value": login, "status": "VERIFIED", "type": "PRIMARY"}],
                        "provider": {"type": "OKTA", "name": "OKTA"}},
        "_links": {"self": {"href": f"{ORG}/api/v1/users/{uid}"}},
    }


def role(ra_id: str, kind: str, label: str, assignee: str, assignment: str = "USER") -> dict[str, Any]:
    where = "users" if assignment == "USER" else "groups"
    return {"id": ra_id, "label": label, "type": kind, "status": "ACTIVE", "created": "2021-01-01T00:00:00.000Z",
            "lastUpdated": "2021-01-01T00:00:00.000Z", "assignmentType": assignment,
            "_links": {"assignee": {"href": f"{ORG}/api/v1/{where}/{assignee}"}}}


def uid(n: int) -> str:
    """Deterministic 20-character user ids that sort by n."""
    return f"00u{n:017d}"


BOB = "00ubobBobBobBob00001"
CAROL = "00ucarolCarolCarol01"
DAVE = "00udaveDaveDaveDave1"
GONE = "00ugoneGoneGoneGone1"
ADMINS = "00gadminsGroupAdmin1"
RULE_ID = "0prSignOnDefaultRul1"
POLICY_ID = "00pSignOnDefaultPol1"
IDP_ID = "0oaRogueIdpRogueIdp1"
TOKEN_ID = "00TtokenTokenToken01"
FACTOR_ID = "mbl1sms0000000000001"
# A Classic Engine org's first-party apps: no app sign-on policy, so no `_links.accessPolicy`.
ADMIN_APP_ID = "0oa1adminConsoleApp1"
DASHBOARD_APP_ID = "0oa1dashboardAppAp01"


def small_tenant() -> dict[str, Any]:
    """An operator (super admin), Bob (org admin), Carol (admin through a group), Dave, a deprovisioned user."""
    users = [
        user(OPERATOR, "operator@acme.com", first="Otto", last="Operator"),
        user(BOB, "bob@acme.com", first="Bob", last="Builder", password_changed="2022-01-10T00:00:00.000Z"),
        user(CAROL, "carol@acme.com", first="Carol", last="Danvers"),
        user(DAVE, "dave@acme.com", "SUSPENDED", first="Dave", last="Grohl"),
        user(GONE, "gone@acme.com", "DEPROVISIONED", first="Gary", last="Gone"),
    ]
    return copy.deepcopy({
        "format": "remediator.tenant-snapshot/1", "taken_at": CLOCK, "org_url": ORG, "operator": OPERATOR,
        "org": {"okta_support_api": "2021"},  # the org-level grant of the older recordings (test_org_it)
        "okta_support": {"support": "ENABLED", "expiration": "2022-03-22T20:00:00.000Z"},
        "support_cases": [{"caseNumber": "00012345", "subject": "Login issue",
                           "impersonation": {"status": "ENABLED", "expiration": "2022-03-23T12:00:00.000Z"},
                           "selfAssigned": {"status": "NOT_REQUIRED"}}],
        "users": users,
        "groups": [{"id": ADMINS, "created": "2021-01-01T00:00:00.000Z", "lastUpdated": "2021-01-01T00:00:00.000Z",
                    "lastMembershipUpdated": "2021-01-01T00:00:00.000Z", "objectClass": ["okta:user_group"],
                    "type": "OKTA_GROUP", "profile": {"name": "Helpdesk Admins", "description": None},
                    "_links": {"users": {"href": f"{ORG}/api/v1/groups/{ADMINS}/users"}}}],
        "group_members": {ADMINS: [CAROL]},
        "user_roles": {OPERATOR: [role("ra1operatorSuperAd1", "SUPER_ADMIN", "Super Administrator", OPERATOR)],
                       BOB: [role("ra1bobOrgAdminRole01", "ORG_ADMIN", "Organization Administrator", BOB)]},
        "group_roles": {ADMINS: [role("irbHelpDeskAdminRol1", "HELP_DESK_ADMIN", "Help Desk Administrator",
                                      ADMINS, "GROUP")]},
        "factors": {BOB: [{"id": FACTOR_ID, "factorType": "sms", "provider": "OKTA", "vendorName": "OKTA",
                           "status": "ACTIVE", "created": "2021-01-01T00:00:00.000Z",
                           "lastUpdated": "2021-01-01T00:00:00.000Z", "profile": {"phoneNumber": "+15555550100"},
                           "_links": {"self": {"href": f"{ORG}/api/v1/users/{BOB}/factors/{FACTOR_ID}"}}}]},
        "policies": [{"id": POLICY_ID, "status": "ACTIVE", "name": "Default Policy", "description": "Default",
                      "priority": 1, "system": True, "conditions": {"people": {"groups": {"include": ["00gEveryone"]}}},
                      "created": "2021-01-01T00:00:00.000Z", "lastUpdated": "2021-01-01T00:00:00.000Z",
                      "_links": {"self": {"href": f"{ORG}/api/v1/policies/{POLICY_ID}"}},
                      "type": "OKTA_SIGN_ON"}],
        "policy_rules": {POLICY_ID: [{
            "id": RULE_ID, "status": "ACTIVE", "name": "Default Rule", "priority": 1, "system": True,
            "created": "2021-01-01T00:00:00.000Z", "lastUpdated": "2021-01-01T00:00:00.000Z", "type": "SIGN_ON",
            "conditions": {"network": {"connection": "ANYWHERE"}},
            "actions": {"signon": {"access": "ALLOW", "requireFactor": False,
                                   "primaryFactor": "PASSWORD_IDP_ANY_FACTOR",
                                   "session": {"usePersistentCookie": False, "maxSessionIdleMinutes": 120,
                                               "maxSessionLifetimeMinutes": 0}}}}]},
        "api_tokens": [{"id": TOKEN_ID, "name": "ci-token", "userId": BOB, "clientName": "Okta API",
                        "tokenWindow": "P30D", "network": {"connection": "ANYWHERE"},
                        "created": "2022-01-25T00:00:00.000Z", "lastUpdated": "2022-01-25T00:00:00.000Z",
                        "expiresAt": "2022-04-25T00:00:00.000Z",
                        "_links": {"user": {"href": f"{ORG}/api/v1/users/{BOB}"}}}],
        "idps": [{"id": IDP_ID, "type": "SAML2", "name": "Partner SSO", "status": "ACTIVE",
                  "created": "2022-01-20T00:00:00.000Z", "lastUpdated": "2022-01-20T00:00:00.000Z",
                  "protocol": {"type": "SAML2"}, "policy": None, "_links": {}}],
        "apps": [app(ORG, aid, "00o1acmeOrgAcmeOrg01", name, label, "OPENID_CONNECT",
                     created=1_609_459_200_000, updated=1_609_459_200_000, access_policy=None,
                     kid="YAC_CqBzpba6NOipi2Eo6nbzZZcCWPGeGxKxCkeB_8c")
                 for aid, name, label in ((ADMIN_APP_ID, "saasure", "Okta Admin Console"),
                                          (DASHBOARD_APP_ID, "okta_enduser", "Okta Dashboard"))],
        "logs": [],
    })


def log_event(n: int, published: str, event_type: str = "user.session.start", actor: str = OPERATOR) -> dict[str, Any]:
    return {"uuid": f"00000000-0000-0000-0000-{n:012d}", "published": published, "eventType": event_type,
            "version": "0", "severity": "INFO", "displayMessage": event_type, "legacyEventType": None,
            "actor": {"id": actor, "type": "User", "alternateId": "x@acme.com", "displayName": "X",
                      "detailEntry": None},
            "outcome": {"result": "SUCCESS", "reason": None}, "target": [{"id": f"t{n % 7}", "type": "User"}],
            "transaction": {"type": "WEB", "id": f"tx{n}", "detail": {}},
            "debugContext": {"debugData": {"requestId": f"r{n}"}}}


def many_users(count: int) -> dict[str, Any]:
    """A tenant with `count` users besides the operator; every 10th is DEPROVISIONED."""
    data = small_tenant()
    extra = [user(uid(i), f"user{i}@acme.com", "DEPROVISIONED" if i % 10 == 3 else "ACTIVE",
                  first=f"First{i}", last=f"Last{i}") for i in range(count)]
    data["users"] = data["users"] + extra
    return data


class Reply:
    """A response as tests need it: status, every header line, parsed body."""

    def __init__(self, status: int, headers: Any, raw: bytes) -> None:
        import json

        self.status = status
        self.headers = headers
        self.raw = raw
        self.body = json.loads(raw) if raw else None

    def links(self) -> list[str]:
        return self.headers.get_all("Link") or []

    def next_url(self) -> str | None:
        for line in self.links():
            if line.endswith('rel="next"'):
                return line[1:line.index(">")]
        return None


def call(sb: Any, method: str, path: str, *, auth: str | None = "ssws", body: Any = None,
         headers: dict[str, str] | None = None) -> Reply:
    """One request to a sandbox, without proxies; `path` may be an absolute next-link URL."""
    import json
    import urllib.error
    import urllib.request

    url = path if path.startswith("http") else sb.org_url + path
    sent = {"User-Agent": "remediator-tests/1.0", "Accept": "application/json"}
    if auth == "ssws":
        sent["Authorization"] = f"SSWS {sb.token}"
    elif auth:
        sent["Authorization"] = auth
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    sent.update(headers or {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, data=data, method=method, headers=sent)
    try:
        with opener.open(request, timeout=30) as response:
            return Reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as err:
        return Reply(err.code, err.headers, err.read())


def get_all(sb: Any, path: str, **kwargs: Any) -> list[Any]:
    """Follow `next` links to the end; fails on a repeated URL (a cursor that does not advance)."""
    items: list[Any] = []
    seen: set[str] = set()
    url: str | None = path
    while url:
        assert url not in seen, f"next link repeats: {url}"
        seen.add(url)
        reply = call(sb, "GET", url, **kwargs)
        assert reply.status == 200, reply.body
        items.extend(reply.body)
        url = reply.next_url()
    return items


def rsa_client(client_id: str, scopes: list[str], kid: str = "key-1") -> tuple[dict[str, Any], str]:
    """An OAuth service app for `oauth_clients` and its private key (PEM), generated per test."""
    import json

    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    public.update(kid=kid, use="sig", alg="RS256")
    return {"client_id": client_id, "name": "Remediator Service", "jwks": {"keys": [public]}, "scopes": scopes}, pem


def client_assertion(client_id: str, pem: str, audience: str, *, lifetime: int = 300, kid: str = "key-1",
                     issuer: str | None = None) -> str:
    import time

    import jwt

    now = int(time.time())
    claims = {"iss": issuer or client_id, "sub": client_id, "aud": audience, "iat": now, "exp": now + lifetime,
              "jti": f"jti-{now}-{lifetime}"}
    return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": kid})

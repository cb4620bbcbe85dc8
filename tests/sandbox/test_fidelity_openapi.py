"""Every sandbox route is in Okta's real OpenAPI spec, and everything it answers validates against it.

The spec (`okta-management-openapi-spec/dist/current/management-minimal.yaml`, OpenAPI 3.0.3) is turned
into JSON Schema draft 7 by `SpecSchemas`: `$ref`s stay references into one definitions map,
`nullable` becomes a "null" type, boolean `exclusiveMinimum`/`exclusiveMaximum` become numbers, and a
`discriminator` picks the schema its mapping names (a literal `oneOf` would fail every role assignment,
since `StandardRole` and `CustomRole` both fit one: the discriminator is what OpenAPI means).

Where the spec and reality disagree, reality wins (../shared/guide/okta-api.md): each disagreement is
a `Disagreement` below with the reason and the recordings that prove it, and a test checks that
every one of them is needed by some real recording and that, with them, the real recordings of the
routes the sandbox serves validate.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jsonschema
import pytest

from remediator.sandbox import Sandbox
from remediator.sandbox.app import build_app
from remediator.timeutil import format_time
from tests.sandbox import fixtures, okta_reference

SCHEMAS = "#/components/schemas/"
_DROP = frozenset({"nullable", "discriminator", "example", "examples", "xml", "externalDocs",
                   "exclusiveMinimum", "exclusiveMaximum", "deprecated"})

# Routes that are not part of the Management API, so not in its spec.
NOT_MANAGEMENT_API = {
    ("POST", "/oauth2/v1/token"): "the org authorization server's token endpoint belongs to Okta's OAuth 2.0 / "
                                  "OIDC API spec, not the Management API spec",
}


# ---- the spec as JSON Schema ------------------------------------------------------------------------


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [{"type": "null"}, schema]}


def _nullable_properties(*names: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def fix(schema: dict[str, Any]) -> dict[str, Any]:
        properties = dict(schema["properties"])
        for name in names:
            properties[name] = _nullable(properties[name])
        return {**schema, "properties": properties}
    return fix


@dataclass(frozen=True)
class Disagreement:
    """A place (under components/schemas) where real Okta answers differ from the spec."""

    where: str
    seen_at: str  # the spec operation (GET) whose real answers show it
    reason: str
    fix: Callable[[dict[str, Any]], dict[str, Any]]


DURATION = r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$"
TOKENS, IDPS, RULES, LOGS = "/api/v1/api-tokens", "/api/v1/idps", "/api/v1/policies/{policyId}/rules", "/api/v1/logs"
DISAGREEMENTS = [
    Disagreement("TimeDuration", TOKENS,
                 "its pattern has `(?:$)` and `(?:\\d)` where lookaheads `(?!$)`/`(?=\\d)` were meant, so it "
                 "matches no duration at all; real API tokens have tokenWindow 'P30D' (test_api_token_it, "
                 "TestAccDataSourceOktaAPIToken_read) and access-policy rules reauthenticateIn 'PT168H'",
                 lambda s: {**s, "pattern": DURATION}),
    Disagreement("ApiToken/properties/tokenWindow", TOKENS,
                 "recorded API tokens can carry tokenWindow null (test_api_token_it list_api_tokens)", _nullable),
    Disagreement("LinksResend/properties/resend", "/api/v1/users/{userId}/factors",
                 "a real factor's _links.resend is an array of links (test_factors_it test_enroll_sms_factor)",
                 lambda s: {"anyOf": [s, {"type": "array", "items": {"$ref": SCHEMAS + "HrefObject"}}]}),
    Disagreement("PolicySubject/properties/filter", IDPS,
                 "real IdPs have policy.subject.filter null (test_identity_providers)", _nullable),
    Disagreement("PolicySubject/properties/matchAttribute", IDPS,
                 "real IdPs have policy.subject.matchAttribute null (test_identity_providers)", _nullable),
    Disagreement("PolicyAccountLink/properties/filter", IDPS,
                 "real IdPs have policy.accountLink.filter null (test_identity_providers)", _nullable),
    Disagreement("OktaUserGroupProfile/properties/description", "/api/v1/groups",
                 "a group created without a description has description null (test_groups_it test_search_group)",
                 _nullable),
    Disagreement("Policy/properties/_embedded", "/api/v1/policies",
                 "Classic orgs embed plain values such as resourceType 'APP' in ACCESS_POLICY lists "
                 "(TestAccResourceOktaAppSignOnPolicyRules_Issue2797)", lambda s: {**s, "additionalProperties": {}}),
    Disagreement("AccessPolicyRule/allOf/1/properties/conditions", RULES,
                 "Classic orgs return access-policy rules with conditions null "
                 "(TestAccResourceOktaAppSignOnPolicyRules_Issue2797)", _nullable),
    Disagreement("AccessPolicyConstraint/properties/types/items", RULES + "/{ruleId}",
                 "Classic orgs spell knowledge constraint types in lower case, e.g. 'password' "
                 "(TestAccResourceOktaAppSignOnPolicyRule_issue_1059814)",
                 lambda s: {**s, "enum": [*s["enum"], *(v.lower() for v in s["enum"])]}),
    Disagreement("AuthenticatorProfile", "/api/v1/users/{userId}/authenticator-enrollments",
                 "it requires phoneNumber of every enrollment, but only phone enrollments have one: the spec's own "
                 "example (AuthenticatorEnrollmentResponseListAll) lists an email enrollment with profile {email}",
                 lambda s: {k: v for k, v in s.items() if k != "required"}),
    Disagreement("OrgSetting", "/api/v1/org",
                 "an org without an address has address1, address2, city, state, country, postalCode and "
                 "expiresAt null (okta-sdk-python test_org_it TestOrgResource.test_get_org_settings)",
                 _nullable_properties("address1", "address2", "city", "state", "country", "postalCode",
                                      "expiresAt")),
    # Applications (okta-sdk-python test_applications_it and test_application_policies_it recordings).
    Disagreement("ApplicationAccessibility", "/api/v1/apps/{appId}",
                 "real apps carry accessibility.errorRedirectUrl and loginRedirectUrl null "
                 "(TestApplicationPoliciesResource.test_assign_application_policy)",
                 _nullable_properties("errorRedirectUrl", "loginRedirectUrl")),
    Disagreement("AwsEventSourceName", "/api/v1/logStreams",
                 "its pattern `^[a-zA-Z0-9.\\-_]$` allows one character while its maxLength is 75: real streams are "
                 "named 'testAcc_530667077_AWS' (TestAccDataSourceOktaLogStream_read)",
                 lambda s: {**s, "pattern": "^[a-zA-Z0-9.\\-_]{1,75}$"}),
    Disagreement("LogStreamSettingsSplunk", "/api/v1/logStreams",
                 "it requires the HEC token, which Okta never returns: real Splunk streams are listed without it "
                 "(TestAccDataSourceOktaLogStream_read)",
                 lambda s: {**s, "required": [k for k in s.get("required", []) if k != "token"]}),
    Disagreement("AuthenticatorKeyEnum", "/api/v1/authenticators",
                 "real orgs list a custom_otp authenticator (TestAccDataSourceOktaAuthenticator_read), a key the "
                 "spec has for enrollment policies (AuthenticatorEnrollmentPolicyAuthenticatorType) but not here",
                 lambda s: {**s, "enum": [*s["enum"], "custom_otp"]}),
    Disagreement("IPNetworkZone/allOf/2/properties/gateways", "/api/v1/zones",
                 "the system zones BlockedIpZone and LegacyIpZone have gateways null until an admin adds some "
                 "(test_network_zone_it test_list_network_zones)", _nullable),
    # System Log events use null for whatever does not apply; the spec types those fields as non-null.
    # Evidence: the raw /api/v1/logs events in elastic-integrations' okta-system.json.log.
    Disagreement("LogEvent", LOGS, "events carry target null and legacyEventType null",
                 _nullable_properties("target", "legacyEventType")),
    Disagreement("LogActor", LOGS, "actor.detailEntry is null", _nullable_properties("detailEntry")),
    Disagreement("LogTarget", LOGS, "target[].detailEntry is null", _nullable_properties("detailEntry")),
    Disagreement("LogAuthenticationContext", LOGS, "authenticationContext fields are null when not applicable",
                 _nullable_properties("authenticationProvider", "credentialProvider", "credentialType",
                                      "interface", "issuer")),
    Disagreement("LogClient", LOGS, "client.id is null", _nullable_properties("id")),
    Disagreement("LogOutcome", LOGS, "outcome.reason is null", _nullable_properties("reason")),
    Disagreement("LogIpAddress", LOGS, "request.ipChain[].source is null", _nullable_properties("source")),
]

# What every real app has, typed as the spec's `Application` types it (its nullable parts as recorded).
_APP = {"type": "object", "required": ["id", "name", "label", "status", "created", "lastUpdated", "_links"],
        "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "label": {"type": "string"},
                       "status": {"$ref": SCHEMAS + "ApplicationLifecycleStatus"},
                       "created": {"type": "string", "format": "date-time"},
                       "lastUpdated": {"type": "string", "format": "date-time"},
                       "signOnMode": {"anyOf": [{"type": "null"}, {"$ref": SCHEMAS + "ApplicationSignOnMode"}]},
                       "accessibility": {"$ref": SCHEMAS + "ApplicationAccessibility"},
                       "visibility": {"$ref": SCHEMAS + "ApplicationVisibility"},
                       "features": {"type": "array", "items": {"type": "string"}},
                       "universalLogout": {"anyOf": [{"type": "null"},
                                                     {"$ref": SCHEMAS + "ApplicationUniversalLogout"}]},
                       "_links": {"type": "object"}}}
# Whole responses where the spec's schema contradicts reality: (method, spec path, status) -> (schema, reason).
RESPONSE_OVERRIDES: dict[tuple[str, str, int], tuple[dict[str, Any], str]] = {
    **{("POST", f"/api/v1/org/privacy/oktaSupport/{op}", 200): (
        {"$ref": SCHEMAS + "OrgOktaSupportSettingsObj"},
        "deprecated since 2025.01, the spec documents only a 301; the real org answers 200 with the settings "
        "(okta-sdk-python test_org_it grant/extend/revoke recordings)") for op in ("grant", "extend", "revoke")},
    **{("GET", path, 200): (
        {"type": "array", "items": _APP} if path == "/api/v1/apps" else _APP,
        "the spec's per-sign-on-mode app schemas reject most real apps: Okta's own OIDC apps are not named "
        "oidc_client, directory apps have signOnMode null, many settings strings are null, OIN SAML apps lack "
        "the required signOn fields (test_applications_it, TestAccResourceOktaAppSignOnPolicyRule_* recordings); "
        "the properties every app shares are checked") for path in ("/api/v1/apps", "/api/v1/apps/{appId}")},
    ("GET", "/api/v1/users/{userId}/authenticator-enrollments", 200): (
        {"type": "array", "items": {"$ref": SCHEMAS + "AuthenticatorEnrollment"}},
        "the spec's schema is a single enrollment, but the list is an array: the spec's own example "
        "(AuthenticatorEnrollmentResponseListAll) and okta-api.md (the SDK's model rejects the real array)"),
}
# Operations the spec documents without a body that real Okta answers with `{}`
# (okta-sdk-python test_users_it: suspend, unsuspend, reset_factors, deactivate all return 200 `{}`).
EMPTY_OBJECT_BODY = "real Okta answers 200 with the body {} (test_users_it recordings)"
# Operations the spec documents with a body that real Okta answers with an empty 200 (recorded in 2025 and 2026:
# okta-sdk-python test_log_stream_it, terraform-provider-okta TestAccResourceOktaLogStream_crud).
RECORDED_EMPTY_BODY = frozenset({("POST", "/api/v1/logStreams/{logStreamId}/lifecycle/activate"),
                                 ("POST", "/api/v1/logStreams/{logStreamId}/lifecycle/deactivate")})


def apply_disagreements(spec: dict[str, Any], which: list[Disagreement]) -> dict[str, Any]:
    """A copy of the spec's schemas with the given disagreements fixed (the spec itself is untouched)."""
    schemas = dict(spec["components"]["schemas"])
    for item in which:
        name, *rest = item.where.split("/")
        schemas[name] = _replace(schemas[name], rest, item.fix)
    return {**spec, "components": {**spec["components"], "schemas": schemas}}


def _replace(node: Any, path: list[str], fix: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
    if not path:
        return fix(node)
    key = int(path[0]) if isinstance(node, list) else path[0]
    copy = list(node) if isinstance(node, list) else dict(node)
    copy[key] = _replace(node[key], path[1:], fix)
    return copy


class SpecSchemas:
    """The spec's response schemas as JSON Schema draft 7, sharing one converted definitions map."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self._validators: dict[tuple[str, str, int], tuple[jsonschema.Draft7Validator | None, str]] = {}
        self._paths: dict[tuple[str, int], list[tuple[list[str], str]]] = {}
        for candidate, item in spec["paths"].items():
            parts = candidate.split("/")
            for method in item:
                self._paths.setdefault((method.upper(), len(parts)), []).append((parts, candidate))
        raw = spec["components"]["schemas"]
        self._polymorphic = {name for name, s in raw.items() if isinstance(s, dict) and "discriminator" in s}
        self.definitions: dict[str, Any] = {}
        for name, schema in raw.items():
            self.definitions[name] = self._convert(schema, name)
            if name in self._polymorphic:
                # Subtypes include their base through allOf: the base without its dispatch ends the cycle.
                base = {k: v for k, v in schema.items() if k != "discriminator"}
                self.definitions[name + "__base"] = self._convert(base, name)

    def _convert(self, node: Any, owner: str | None) -> Any:
        if isinstance(node, list):
            return [self._convert(x, owner) for x in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return {"$ref": self._ref(node["$ref"])}
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _DROP or key.startswith("x-") or (key == "pattern" and not _compiles(value)):
                continue
            if key in ("properties", "patternProperties"):
                out[key] = {k: self._convert(v, owner) for k, v in value.items()}
            elif key == "allOf":
                out[key] = [{"$ref": self._ref(x["$ref"], base=True)} if isinstance(x, dict) and "$ref" in x
                            else self._convert(x, owner) for x in value]
            elif key in ("items", "additionalProperties", "not", "anyOf", "oneOf"):
                out[key] = self._convert(value, owner)
            else:
                out[key] = value
        for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
            if node.get(exclusive) is True and bound in out:
                out[exclusive] = out.pop(bound)
        discriminator = node.get("discriminator")
        if isinstance(discriminator, dict):
            if "oneOf" in out:
                out["anyOf"] = out.pop("oneOf")
            prop = discriminator["propertyName"]
            branches = [{"if": {"properties": {prop: {"const": value}}, "required": [prop]},
                         "then": {"$ref": self._ref(ref)}}
                        for value, ref in (discriminator.get("mapping") or {}).items()
                        if ref != SCHEMAS + (owner or "")]
            if branches:
                out["allOf"] = [*out.get("allOf", []), *branches]
        if node.get("nullable"):
            if "type" in out:
                types = [out["type"]] if isinstance(out["type"], str) else list(out["type"])
                out["type"] = [*types, "null"]
                if "enum" in out and None not in out["enum"]:
                    out["enum"] = [*out["enum"], None]
            else:
                out = _nullable(out)
        return out

    def _ref(self, ref: str, *, base: bool = False) -> str:
        if not ref.startswith(SCHEMAS):
            raise ValueError(f"unsupported $ref {ref}")
        name = ref[len(SCHEMAS):]
        return f"#/definitions/{name}{'__base' if base and name in self._polymorphic else ''}"

    def operation(self, method: str, path: str) -> str | None:
        """The spec path serving `method path` (a concrete path or a route template), most literal first."""
        segments = path.rstrip("/").split("/")
        best: tuple[int, str] | None = None
        for parts, candidate in self._paths.get((method.upper(), len(segments)), ()):
            if all(p == s or (p[0:1] == "{" and s) for p, s in zip(parts, segments, strict=True)):
                if any(s[0:1] == "{" and p[0:1] != "{" for p, s in zip(parts, segments, strict=True)):
                    continue  # a route parameter only matches a spec parameter
                params = sum(p[0:1] == "{" for p in parts)
                if best is None or params < best[0]:
                    best = (params, candidate)
        return best[1] if best else None

    def response_schema(self, method: str, path: str, status: int) -> tuple[Any, str]:
        """(JSON schema or None for "no body", where it came from) of one documented response."""
        override = RESPONSE_OVERRIDES.get((method, path, status))
        if override:
            return self._convert(override[0], None), "exception: " + override[1]
        responses = self.spec["paths"][path][method.lower()]["responses"]
        response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
        source = f"{method} {path} {status}"
        if response is None:
            if status < 400:
                raise KeyError(f"{method} {path}: the spec documents no {status} response")
            # Every Okta error has the same body; the spec lists only some statuses per operation.
            return {"$ref": self._ref(SCHEMAS + "Error")}, f"{source} (undocumented error: Error schema)"
        if "$ref" in response:
            response = self.spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        content = response.get("content") or {}
        media = content.get("application/json") or next(iter(content.values()), None)
        if not media or "schema" not in media:
            return None, source
        return self._convert(media["schema"], None), source

    def validator(self, method: str, path: str, status: int) -> tuple[jsonschema.Draft7Validator | None, str]:
        """A (cached) validator for one documented response, None when it has no body, and its source."""
        key = (method, path, status)
        if key not in self._validators:
            schema, source = self.response_schema(method, path, status)
            validator = None if schema is None else jsonschema.Draft7Validator(
                {**schema, "definitions": self.definitions})
            self._validators[key] = (validator, source)
        return self._validators[key]

    def errors(self, method: str, path: str, status: int, body: Any) -> list[str]:
        validator, _ = self.validator(method, path, status)
        if validator is None:
            return []
        found = sorted(validator.iter_errors(body), key=lambda e: len(e.absolute_path))
        return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}" for e in found[:5]]


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


@pytest.fixture(scope="session")
def raw_spec() -> dict[str, Any]:
    return okta_reference.spec()


@pytest.fixture(scope="session")
def spec(raw_spec: dict[str, Any]) -> SpecSchemas:
    """The spec with reality's known disagreements applied."""
    return SpecSchemas(apply_disagreements(raw_spec, DISAGREEMENTS))


# ---- the sandbox's routes ------------------------------------------------------------------------


def sandbox_routes() -> set[tuple[str, str]]:
    """(method, route template) of every route the sandbox app serves, read from its router."""
    from remediator.sandbox import prepare

    store, clock, config = prepare(snapshot=fixtures.small_tenant())
    app = build_app(store, clock, config)
    return {(route.method, route.resource.canonical) for route in app.router.routes()
            if route.method != "HEAD" and route.resource is not None}


def test_every_route_is_in_the_spec_with_its_method(spec: SpecSchemas) -> None:
    routes = sandbox_routes()
    assert len(routes) >= 40
    missing = [f"{m} {p}" for m, p in sorted(routes) if (m, p) not in NOT_MANAGEMENT_API and not spec.operation(m, p)]
    assert not missing, "routes the real spec does not have: " + ", ".join(missing)


# ---- every route's answers validate ---------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: dict[str, str] | None = None
    body: Any = None
    route: str = ""  # the route template it exercises (filled by the plan)


def _ids(snapshot: dict[str, Any]) -> dict[str, Any]:
    """Objects of each kind to call routes with, picked from the tenant's own snapshot."""
    operator = snapshot["operator"]
    users = snapshot["users"]
    user_roles = {u: r for u, r in (snapshot.get("user_roles") or {}).items() if r and u != operator}
    role_user = next(iter(user_roles))
    factors = {u: f for u, f in (snapshot.get("factors") or {}).items() if f}
    factor_user = next(iter(factors))
    group_roles = {g: r for g, r in (snapshot.get("group_roles") or {}).items() if r}
    role_group = next(iter(group_roles))
    rules = {p: r for p, r in (snapshot.get("policy_rules") or {}).items() if r}
    rule_policy = next(iter(rules))
    busy = {operator, role_user, factor_user}
    active = [u["id"] for u in users if u["status"] == "ACTIVE" and u["id"] not in busy]
    return {
        "operator": operator,
        "login": next(u for u in users if u["id"] == operator)["profile"]["login"],
        "role_user": role_user, "user_role": user_roles[role_user][0]["id"],
        "factor_user": factor_user, "factor": factors[factor_user][0]["id"],
        "group": role_group, "group_role": group_roles[role_group][0]["id"],
        "policy": rule_policy, "policy_type": next(p["type"] for p in snapshot["policies"] if p["id"] == rule_policy),
        "rule": rules[rule_policy][0]["id"],
        "idp": snapshot["idps"][0]["id"], "token": snapshot["api_tokens"][0]["id"],
        "case": snapshot["support_cases"][0]["caseNumber"],
        "app": snapshot["apps"][-1]["id"],
        "active": active,
        "suspended": next(u["id"] for u in users if u["status"] == "SUSPENDED"),
        "locked": next(u["id"] for u in users if u["status"] == "LOCKED_OUT"),
        "authenticator": next(a["id"] for a in snapshot["authenticators"] if a["key"] == "webauthn"),
    }


NOPE = "00uNOPEnopeNOPEnope1"


def call_plan(ids: dict[str, Any], get: Callable[[str], Any]) -> Iterator[tuple[str, Call]]:
    """(route template, call) pairs: reads first, then writes, then reads of what the writes left."""
    u, f, g, p, r = ids["role_user"], ids["factor_user"], ids["group"], ids["policy"], ids["rule"]
    a1, a2, a3 = ids["active"][:3]
    reads = [
        ("/api/v1/users", Call("GET", "/api/v1/users", {"limit": "2"})),
        ("/api/v1/users", Call("GET", "/api/v1/users", {"search": 'status eq "ACTIVE"', "limit": "3"})),
        ("/api/v1/users", Call("GET", "/api/v1/users", {"filter": 'status eq "SUSPENDED"'})),
        ("/api/v1/users", Call("GET", "/api/v1/users", {"q": "a"})),
        ("/api/v1/users", Call("GET", "/api/v1/users", {"search": "status zz"})),
        ("/api/v1/users/{id}", Call("GET", "/api/v1/users/me")),
        ("/api/v1/users/{id}", Call("GET", f"/api/v1/users/{u}")),
        ("/api/v1/users/{id}", Call("GET", "/api/v1/users/" + urllib.parse.quote(ids["login"]))),
        ("/api/v1/users/{id}", Call("GET", f"/api/v1/users/{NOPE}")),
        ("/api/v1/users/{id}/roles", Call("GET", f"/api/v1/users/{u}/roles")),
        ("/api/v1/users/{id}/roles/{roleAssignmentId}", Call("GET", f"/api/v1/users/{u}/roles/{ids['user_role']}")),
        ("/api/v1/users/{id}/factors", Call("GET", f"/api/v1/users/{f}/factors")),
        ("/api/v1/users/{id}/factors/{factorId}", Call("GET", f"/api/v1/users/{f}/factors/{ids['factor']}")),
        ("/api/v1/users/{id}/authenticator-enrollments", Call("GET", f"/api/v1/users/{f}/authenticator-enrollments")),
        ("/api/v1/users/{id}/groups", Call("GET", f"/api/v1/users/{u}/groups")),
        ("/api/v1/groups", Call("GET", "/api/v1/groups")),
        ("/api/v1/groups/{groupId}", Call("GET", f"/api/v1/groups/{g}")),
        ("/api/v1/groups/{groupId}/users", Call("GET", f"/api/v1/groups/{g}/users")),
        ("/api/v1/groups/{groupId}/roles", Call("GET", f"/api/v1/groups/{g}/roles")),
        ("/api/v1/groups/{groupId}/roles/{roleAssignmentId}",
         Call("GET", f"/api/v1/groups/{g}/roles/{ids['group_role']}")),
        ("/api/v1/iam/assignees/users", Call("GET", "/api/v1/iam/assignees/users", {"limit": "2"})),
        ("/api/v1/api-tokens", Call("GET", "/api/v1/api-tokens")),
        ("/api/v1/api-tokens/{apiTokenId}", Call("GET", f"/api/v1/api-tokens/{ids['token']}")),
        ("/api/v1/org", Call("GET", "/api/v1/org")),
        ("/api/v1/org/privacy/oktaSupport", Call("GET", "/api/v1/org/privacy/oktaSupport")),
        ("/api/v1/org/privacy/oktaSupport/cases", Call("GET", "/api/v1/org/privacy/oktaSupport/cases")),
        ("/api/v1/policies", Call("GET", "/api/v1/policies", {"type": ids["policy_type"]})),
        ("/api/v1/policies/{policyId}", Call("GET", f"/api/v1/policies/{p}")),
        ("/api/v1/policies/{policyId}/rules", Call("GET", f"/api/v1/policies/{p}/rules")),
        ("/api/v1/policies/{policyId}/rules/{ruleId}", Call("GET", f"/api/v1/policies/{p}/rules/{r}")),
        ("/api/v1/idps", Call("GET", "/api/v1/idps")),
        ("/api/v1/idps/{idpId}", Call("GET", f"/api/v1/idps/{ids['idp']}")),
        ("/api/v1/logs", Call("GET", "/api/v1/logs", {"limit": "5"})),
        ("/api/v1/apps", Call("GET", "/api/v1/apps", {"limit": "1"})),
        ("/api/v1/apps", Call("GET", "/api/v1/apps", {"filter": 'status eq "ACTIVE"', "q": "Okta"})),
        ("/api/v1/apps", Call("GET", "/api/v1/apps", {"after": "0oaNOPEnopeNOPEnope1"})),
        ("/api/v1/apps/{appId}", Call("GET", f"/api/v1/apps/{ids['app']}")),
        ("/api/v1/apps/{appId}", Call("GET", "/api/v1/apps/0oaNOPEnopeNOPEnope1")),
        ("/api/v1/zones", Call("GET", "/api/v1/zones")),
        ("/api/v1/zones", Call("GET", "/api/v1/zones", {"filter": 'usage eq "BLOCKLIST"'})),
        ("/api/v1/zones/{zoneId}", Call("GET", "/api/v1/zones/nzoNOPEnopeNOPEnope1")),
        ("/api/v1/threats/configuration", Call("GET", "/api/v1/threats/configuration")),
        ("/api/v1/authenticators", Call("GET", "/api/v1/authenticators")),
        ("/api/v1/authenticators/{authenticatorId}", Call("GET", f"/api/v1/authenticators/{ids['authenticator']}")),
        ("/api/v1/logStreams", Call("GET", "/api/v1/logStreams")),
        ("/api/v1/first-party-app-settings/{appName}", Call("GET", "/api/v1/first-party-app-settings/admin-console")),
        *((path, Call("GET", path)) for path in ("/api/v1/org/settings/autoAssignAdminAppSetting",
                                                 "/api/v1/org/settings/clientPrivilegesSetting",
                                                 "/attack-protection/api/v1/user-lockout-settings")),
    ]
    yield from reads
    lifecycle = "/api/v1/users/{id}/lifecycle/"
    yield lifecycle + "suspend", Call("POST", f"{lifecycle.replace('{id}', a1)}suspend")
    yield lifecycle + "suspend", Call("POST", f"{lifecycle.replace('{id}', ids['suspended'])}suspend")
    yield lifecycle + "unsuspend", Call("POST", f"{lifecycle.replace('{id}', a1)}unsuspend")
    yield lifecycle + "expire_password", Call("POST", f"{lifecycle.replace('{id}', a2)}expire_password")
    yield lifecycle + "reset_password", Call("POST", f"{lifecycle.replace('{id}', a3)}reset_password",
                                             {"sendEmail": "false"})
    yield lifecycle + "reset_factors", Call("POST", f"{lifecycle.replace('{id}', a3)}reset_factors")
    yield lifecycle + "unlock", Call("POST", f"{lifecycle.replace('{id}', ids['locked'])}unlock")
    yield lifecycle + "unlock", Call("POST", f"{lifecycle.replace('{id}', a2)}unlock")  # 403 E0000032 (recorded)
    yield lifecycle + "deactivate", Call("POST", f"{lifecycle.replace('{id}', a2)}deactivate")
    yield lifecycle + "deactivate", Call("POST", f"{lifecycle.replace('{id}', a2)}deactivate")  # 403 E0000038
    yield lifecycle + "activate", Call("POST", f"{lifecycle.replace('{id}', a2)}activate", {"sendEmail": "false"})
    member = "/api/v1/groups/{groupId}/users/{userId}"
    yield member, Call("PUT", f"/api/v1/groups/{g}/users/{a1}")
    yield member, Call("DELETE", f"/api/v1/groups/{g}/users/{a1}")
    yield "/api/v1/users/{id}/sessions", Call("DELETE", f"/api/v1/users/{a3}/sessions", {"oauthTokens": "true"})
    yield "/api/v1/users/{id}/factors/{factorId}", Call("DELETE", f"/api/v1/users/{f}/factors/{ids['factor']}")
    yield "/api/v1/users/{id}/roles/{roleAssignmentId}", Call("DELETE", f"/api/v1/users/{u}/roles/{ids['user_role']}")
    yield "/api/v1/groups/{groupId}/roles/{roleAssignmentId}", Call(
        "DELETE", f"/api/v1/groups/{g}/roles/{ids['group_role']}")
    token = get(f"/api/v1/api-tokens/{ids['token']}")
    upsert = {k: token[k] for k in ("name", "userId", "clientName", "created")}  # as terraform's recording sends
    yield "/api/v1/api-tokens/{apiTokenId}", Call("PUT", f"/api/v1/api-tokens/{ids['token']}", None,
                                                  {**upsert, "network": {"connection": "ANYWHERE"}})
    yield "/api/v1/api-tokens/{apiTokenId}", Call("DELETE", f"/api/v1/api-tokens/{ids['token']}")
    yield "/api/v1/org/privacy/oktaSupport/grant", Call("POST", "/api/v1/org/privacy/oktaSupport/grant")
    yield "/api/v1/org/privacy/oktaSupport/extend", Call("POST", "/api/v1/org/privacy/oktaSupport/extend")
    yield "/api/v1/org/privacy/oktaSupport/revoke", Call("POST", "/api/v1/org/privacy/oktaSupport/revoke")
    disable = {"impersonation": {"status": "DISABLED"}}
    yield "/api/v1/org/privacy/oktaSupport/cases/{caseNumber}", Call(
        "PATCH", f"/api/v1/org/privacy/oktaSupport/cases/{ids['case']}", None, disable)
    policy = get(f"/api/v1/policies/{p}")
    yield "/api/v1/policies/{policyId}", Call("PUT", f"/api/v1/policies/{p}", None, policy)
    rule = get(f"/api/v1/policies/{p}/rules/{r}")
    yield "/api/v1/policies/{policyId}/rules/{ruleId}", Call("PUT", f"/api/v1/policies/{p}/rules/{r}", None, rule)
    yield "/api/v1/idps/{idpId}/lifecycle/deactivate", Call("POST", f"/api/v1/idps/{ids['idp']}/lifecycle/deactivate")
    yield "/api/v1/apps/{appId}/lifecycle/deactivate", Call("POST", f"/api/v1/apps/{ids['app']}/lifecycle/deactivate")
    yield "/api/v1/apps/{appId}/lifecycle/activate", Call("POST", f"/api/v1/apps/{ids['app']}/lifecycle/activate")
    yield from _config_writes(ids, get)
    # The events the writes above added to the System Log.
    yield "/api/v1/logs", Call("GET", "/api/v1/logs", {"since": ids["since"], "limit": "100"})


def _config_writes(ids: dict[str, Any], get: Callable[[str], Any]) -> Iterator[tuple[str, Call]]:
    """Zones, ThreatInsight, authenticators, log streams and the org's singletons: every write route."""
    zone_body = {"type": "IP", "name": "Fidelity zone", "gateways": [{"type": "CIDR", "value": "192.0.2.0/24"}]}
    yield "/api/v1/zones", Call("POST", "/api/v1/zones", None, zone_body)
    zone = next(z for z in get("/api/v1/zones") if z["name"] == "Fidelity zone")
    path = f"/api/v1/zones/{zone['id']}"
    yield "/api/v1/zones/{zoneId}", Call("GET", path)
    replaced = {**{k: v for k, v in zone.items() if k != "_links"}, "proxies": [{"type": "RANGE",
                                                                                  "value": "192.0.2.1-192.0.2.9"}]}
    yield "/api/v1/zones/{zoneId}", Call("PUT", path, None, replaced)
    yield "/api/v1/threats/configuration", Call("POST", "/api/v1/threats/configuration", None,
                                                {"action": "audit", "excludeZones": [zone["id"]]})
    yield "/api/v1/zones/{zoneId}/lifecycle/deactivate", Call("POST", f"{path}/lifecycle/deactivate")
    yield "/api/v1/zones/{zoneId}/lifecycle/activate", Call("POST", f"{path}/lifecycle/activate")
    yield "/api/v1/zones/{zoneId}/lifecycle/deactivate", Call("POST", f"{path}/lifecycle/deactivate")
    yield "/api/v1/zones/{zoneId}", Call("DELETE", path)
    auth = f"/api/v1/authenticators/{ids['authenticator']}/lifecycle/"
    yield "/api/v1/authenticators/{authenticatorId}/lifecycle/activate", Call("POST", auth + "activate")
    yield "/api/v1/authenticators/{authenticatorId}/lifecycle/deactivate", Call("POST", auth + "deactivate")
    stream_body = {"type": "aws_eventbridge", "name": "Fidelity stream",
                   "settings": {"accountId": "123456789012", "eventSourceName": "fidelity", "region": "us-east-1"}}
    yield "/api/v1/logStreams", Call("POST", "/api/v1/logStreams", None, stream_body)
    stream = f"/api/v1/logStreams/{get('/api/v1/logStreams')[-1]['id']}"
    yield "/api/v1/logStreams/{logStreamId}", Call("GET", stream)
    yield "/api/v1/logStreams/{logStreamId}", Call("GET", "/api/v1/logStreams/0oaNOPEnopeNOPEnope1")
    yield "/api/v1/logStreams/{logStreamId}/lifecycle/deactivate", Call("POST", f"{stream}/lifecycle/deactivate")
    yield "/api/v1/logStreams/{logStreamId}/lifecycle/activate", Call("POST", f"{stream}/lifecycle/activate")
    yield "/api/v1/first-party-app-settings/{appName}", Call(
        "PUT", "/api/v1/first-party-app-settings/admin-console", None, {"sessionIdleTimeoutMinutes": 15,
                                                                         "sessionMaxLifetimeMinutes": 720})
    yield "/api/v1/org/settings/autoAssignAdminAppSetting", Call(
        "POST", "/api/v1/org/settings/autoAssignAdminAppSetting", None, {"autoAssignAdminAppSetting": False})
    yield "/api/v1/org/settings/clientPrivilegesSetting", Call(
        "PUT", "/api/v1/org/settings/clientPrivilegesSetting", None, {"clientPrivilegesSetting": False})
    yield "/attack-protection/api/v1/user-lockout-settings", Call(
        "PUT", "/attack-protection/api/v1/user-lockout-settings", None,
        {"preventBruteForceLockoutFromUnknownDevices": True})


def _send(sb: Sandbox, call: Call) -> tuple[int, dict[str, str], bytes]:
    url = sb.org_url + call.path + ("?" + urllib.parse.urlencode(call.query) if call.query else "")
    data = json.dumps(call.body).encode() if call.body is not None else None
    headers = {"Authorization": f"SSWS {sb.token}", "Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=call.method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def _small_tenant() -> dict[str, Any]:
    """The hand-built test tenant, with an IdP shaped like a real one.

    fixtures.small_tenant's IdP has `policy: null`, which no real IdP has (real policies hold nulls
    *inside*: test_identity_providers recordings); this test checks what the sandbox serves, not that.
    """
    data = fixtures.many_users(12)
    if not any(u["status"] == "LOCKED_OUT" for u in data["users"]):  # for the unlock route
        data["users"][-1] = {**data["users"][-1], "status": "LOCKED_OUT"}
    data["authenticators"] = _authenticators(data["org_url"])
    for idp in data["idps"]:
        if idp.get("policy") is None:
            idp["policy"] = {
                "provisioning": {"action": "AUTO", "profileMaster": False, "groups": {"action": "NONE"},
                                 "conditions": {"deprovisioned": {"action": "NONE"}, "suspended": {"action": "NONE"}}},
                "accountLink": {"filter": None, "action": "AUTO"},
                "subject": {"userNameTemplate": {"template": "idpuser.subjectNameId"}, "filter": None,
                            "matchType": "USERNAME", "matchAttribute": None},
                "maxClockSkew": 120000,
            }
    return data


def _authenticators(org: str) -> list[dict[str, Any]]:
    """A real org's authenticators, as the lapsus-2022 scenario writes them (test_list_authenticators)."""
    from remediator.sandbox.scenarios._config import AUTHENTICATORS, _authenticator

    return [_authenticator(org, f"aut{n:017d}", *row, created="2021-04-14T04:34:28.000Z")
            for n, row in enumerate(AUTHENTICATORS)]


TENANTS = {
    "small-tenant": lambda: {"snapshot": _small_tenant()},
    "lapsus-2022": lambda: {"scenario": "lapsus-2022", "users": 60},
}

# Every route the sandbox serves (tests check this list against the app's router) and, where the sandbox
# still answers differently from real Okta, why: those cases are expected to fail until it is fixed.
EXERCISED = [
    "GET /api/v1/users", "GET /api/v1/users/{id}", "GET /api/v1/users/{id}/roles",
    "GET /api/v1/users/{id}/roles/{roleAssignmentId}", "DELETE /api/v1/users/{id}/roles/{roleAssignmentId}",
    "GET /api/v1/users/{id}/factors", "GET /api/v1/users/{id}/factors/{factorId}",
    "DELETE /api/v1/users/{id}/factors/{factorId}", "GET /api/v1/users/{id}/authenticator-enrollments",
    "GET /api/v1/users/{id}/groups", "POST /api/v1/users/{id}/lifecycle/suspend",
    "POST /api/v1/users/{id}/lifecycle/unsuspend", "POST /api/v1/users/{id}/lifecycle/expire_password",
    "POST /api/v1/users/{id}/lifecycle/unlock", "POST /api/v1/users/{id}/lifecycle/deactivate",
    "POST /api/v1/users/{id}/lifecycle/activate", "PUT /api/v1/groups/{groupId}/users/{userId}",
    "DELETE /api/v1/groups/{groupId}/users/{userId}",
    "POST /api/v1/users/{id}/lifecycle/reset_password", "POST /api/v1/users/{id}/lifecycle/reset_factors",
    "DELETE /api/v1/users/{id}/sessions", "GET /api/v1/groups", "GET /api/v1/groups/{groupId}",
    "GET /api/v1/groups/{groupId}/users", "GET /api/v1/groups/{groupId}/roles",
    "GET /api/v1/groups/{groupId}/roles/{roleAssignmentId}",
    "DELETE /api/v1/groups/{groupId}/roles/{roleAssignmentId}", "GET /api/v1/iam/assignees/users",
    "GET /api/v1/api-tokens", "GET /api/v1/api-tokens/{apiTokenId}", "DELETE /api/v1/api-tokens/{apiTokenId}",
    "PUT /api/v1/api-tokens/{apiTokenId}",
    "GET /api/v1/org", "GET /api/v1/org/privacy/oktaSupport", "POST /api/v1/org/privacy/oktaSupport/grant",
    "POST /api/v1/org/privacy/oktaSupport/extend", "POST /api/v1/org/privacy/oktaSupport/revoke",
    "GET /api/v1/org/privacy/oktaSupport/cases", "PATCH /api/v1/org/privacy/oktaSupport/cases/{caseNumber}",
    "GET /api/v1/policies", "GET /api/v1/policies/{policyId}", "PUT /api/v1/policies/{policyId}",
    "GET /api/v1/policies/{policyId}/rules", "GET /api/v1/policies/{policyId}/rules/{ruleId}",
    "PUT /api/v1/policies/{policyId}/rules/{ruleId}", "GET /api/v1/idps", "GET /api/v1/idps/{idpId}",
    "POST /api/v1/idps/{idpId}/lifecycle/deactivate", "GET /api/v1/logs", "GET /api/v1/apps",
    "GET /api/v1/apps/{appId}", "POST /api/v1/apps/{appId}/lifecycle/activate",
    "POST /api/v1/apps/{appId}/lifecycle/deactivate",
    "GET /api/v1/zones", "POST /api/v1/zones", "GET /api/v1/zones/{zoneId}", "PUT /api/v1/zones/{zoneId}",
    "DELETE /api/v1/zones/{zoneId}", "POST /api/v1/zones/{zoneId}/lifecycle/activate",
    "POST /api/v1/zones/{zoneId}/lifecycle/deactivate", "GET /api/v1/threats/configuration",
    "POST /api/v1/threats/configuration", "GET /api/v1/authenticators", "GET /api/v1/authenticators/{authenticatorId}",
    "POST /api/v1/authenticators/{authenticatorId}/lifecycle/activate",
    "POST /api/v1/authenticators/{authenticatorId}/lifecycle/deactivate", "GET /api/v1/logStreams",
    "POST /api/v1/logStreams", "GET /api/v1/logStreams/{logStreamId}",
    "POST /api/v1/logStreams/{logStreamId}/lifecycle/activate",
    "POST /api/v1/logStreams/{logStreamId}/lifecycle/deactivate",
    "GET /api/v1/first-party-app-settings/{appName}", "PUT /api/v1/first-party-app-settings/{appName}",
    "GET /api/v1/org/settings/autoAssignAdminAppSetting", "POST /api/v1/org/settings/autoAssignAdminAppSetting",
    "GET /api/v1/org/settings/clientPrivilegesSetting", "PUT /api/v1/org/settings/clientPrivilegesSetting",
    "GET /attack-protection/api/v1/user-lockout-settings", "PUT /attack-protection/api/v1/user-lockout-settings",
]
@dataclass(frozen=True)
class Gap:
    """A known difference between the sandbox and real Okta, for the sandbox to fix: its failures (matched
    by `pattern`) are tolerated, every other failure is not, and once it is fixed the test says so."""

    pattern: str
    reason: str


SANDBOX_GAPS: dict[str, list[Gap]] = {}


def check_failures(route: str, failures: list[str]) -> None:
    """Fail on any failure but the known gaps of `route`, and when a known gap no longer shows."""
    gaps = SANDBOX_GAPS.get(route, [])
    unknown = [f for f in failures if not any(re.search(g.pattern, f) for g in gaps)]
    assert not unknown, "\n".join(unknown)
    for gap in gaps:
        assert any(re.search(gap.pattern, f) for f in failures), f"fixed? remove the known gap: {gap.reason}"


def test_the_exercised_routes_are_the_sandbox_routes() -> None:
    routes = {f"{m} {p}" for m, p in sandbox_routes() if (m, p) not in NOT_MANAGEMENT_API}
    assert routes == set(EXERCISED)


Answers = dict[str, list[tuple[int, list[str]]]]


@pytest.fixture(scope="module")
def answers_of(spec: SpecSchemas) -> Callable[[str], Answers]:
    """tenant -> its answers, each tenant's call plan run once per module."""
    cache: dict[str, Answers] = {}

    def get(tenant: str) -> Answers:
        if tenant not in cache:
            cache[tenant] = _run_plan(spec, tenant)
        return cache[tenant]
    return get


def _run_plan(spec: SpecSchemas, tenant: str) -> Answers:
    """Run the whole call plan on one tenant: route -> [(status, validation failures)] per call."""
    if tenant == "lapsus-2022":
        pytest.importorskip("remediator.sandbox.scenarios.lapsus_2022", reason="scenario not written yet")
    out: Answers = {}
    with Sandbox(**TENANTS[tenant]()) as sb:
        ids = {**_ids(sb.snapshot()), "since": format_time(sb.now() - timedelta(minutes=5))}

        def get(path: str) -> Any:
            status, _, body = _send(sb, Call("GET", path))
            assert status == 200, (path, status, body[:300])
            return json.loads(body)

        for route, call in call_plan(ids, get):
            status, _, raw = _send(sb, call)
            out.setdefault(f"{call.method} {route}", []).append((status, _validate(spec, call, route, status, raw)))
    return out


def _validate(spec: SpecSchemas, call: Call, route: str, status: int, raw: bytes) -> list[str]:
    where = spec.operation(call.method, route)
    if where is None:
        return [f"{call.method} {route} is not in the spec"]
    validator, source = spec.validator(call.method, where, status)
    label = f"{call.method} {call.path} -> {status} ({source})"
    if status == 200 and not raw.strip() and (call.method, route) in RECORDED_EMPTY_BODY:
        return []
    if validator is None:
        if raw.strip() and not (status == 200 and json.loads(raw) == {}):  # EMPTY_OBJECT_BODY
            return [f"{label}: the spec documents no body, got {raw[:120]!r}"]
        return []
    try:
        body = json.loads(raw)
    except ValueError:
        return [f"{label}: not JSON: {raw[:120]!r}"]
    return [f"{label}: {error}" for error in spec.errors(call.method, where, status, body)]


@pytest.mark.parametrize("tenant", sorted(TENANTS))
@pytest.mark.parametrize("route", EXERCISED)
def test_route_answers_validate_against_the_spec(answers_of: Callable[[str], Answers], tenant: str, route: str) -> None:
    answers = answers_of(tenant)
    assert route in answers, f"{route} was not exercised"
    assert any(status < 300 for status, _ in answers[route]), f"{route} never succeeded: {answers[route]}"
    check_failures(route, [f for _, found in answers[route] for f in found])


# ---- the disagreements are real: recordings fail without them, validate with them ----------------------


def _served_recordings(spec: SpecSchemas) -> list[tuple[str, str, Any]]:
    """(source, spec path, body) of distinct recorded successful GETs on operations the sandbox serves."""
    served = {spec.operation(m, p) for m, p in sandbox_routes() if m == "GET"} - {None}
    seen: dict[tuple[str, str], tuple[str, str, Any]] = {}
    for item in okta_reference.recordings():
        if item.method == "GET" and item.status == 200 and item.body is not None:
            where = spec.operation("GET", item.path)
            if where in served:
                seen.setdefault((where, json.dumps(item.body, sort_keys=True)), (item.source, where, item.body))
    return list(seen.values())


def test_real_recordings_of_served_routes_validate_with_the_known_disagreements(spec: SpecSchemas) -> None:
    recorded = _served_recordings(spec)
    assert len(recorded) > 300
    assert len({where for _, where, _ in recorded}) >= 12
    failures = [f"{source} GET {where}: {error}" for source, where, body in recorded
                for error in spec.errors("GET", where, 200, body)[:1]]
    assert not failures, "\n".join(failures[:20])


def test_every_disagreement_is_needed(raw_spec: dict[str, Any], spec: SpecSchemas) -> None:
    """Without each one, some real recording (or the spec's own example) stops validating."""
    bare = SpecSchemas(apply_disagreements(raw_spec, []))
    evidence = [(where, body) for _, where, body in _served_recordings(spec)] + _spec_examples(raw_spec, spec)
    failing = [(where, body) for where, body in evidence if bare.errors("GET", where, 200, body)]
    assert failing
    for disagreement in DISAGREEMENTS:
        without = SpecSchemas(apply_disagreements(raw_spec, [d for d in DISAGREEMENTS if d is not disagreement]))
        assert any(without.errors("GET", where, 200, body) for where, body in failing
                   if where == disagreement.seen_at), f"{disagreement.where} is not needed by any recording"


def _spec_examples(raw_spec: dict[str, Any], spec: SpecSchemas) -> list[tuple[str, Any]]:
    """The spec's own 200 examples of the GET operations the sandbox serves (Okta wrote those too)."""
    out = []
    for method, route in sandbox_routes():
        where = spec.operation(method, route)
        if method != "GET" or where is None:
            continue
        response = raw_spec["paths"][where]["get"]["responses"].get("200") or {}
        for media in (response.get("content") or {}).values():
            for example in (media.get("examples") or {}).values():
                if "$ref" in example:
                    example = raw_spec["components"]["examples"][example["$ref"].rsplit("/", 1)[1]]
                if "value" in example:
                    out.append((where, example["value"]))
    return out

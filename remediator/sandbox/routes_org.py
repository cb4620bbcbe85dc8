"""Org-level objects: API tokens, Okta Support access (org and per case), policies with rules, IdPs.

Okta Support, as Okta answers today (`store.okta_support_api == "current"`, the default): access is
granted per support case (`PATCH /oktaSupport/cases/{caseNumber}`); `GET /oktaSupport` reports ENABLED
with the `caseNumber` while a case grants impersonation (the spec's example
orgSupportSettingsWithCaseNumberResponse); the retired org-level grant/extend/revoke answer 301 Moved
Permanently, the only response the spec documents for them (deprecated in 2025.01), and change nothing.
With "2021" (older recordings, okta-sdk-python test_org_it) they answer 200 with the settings: grant
gives 8 hours, extend adds 24, revoke disables.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from remediator.sandbox import syslog
from remediator.sandbox.wire import (
    OktaHTTPError,
    by_id,
    id_cursor_page,
    int_param,
    json_response,
    not_found,
    read_json,
    scope,
    tenant_of,
    validation_error,
)
from remediator.timeutil import format_time, parse_time

routes = web.RouteTableDef()
POLICY_TYPES = frozenset({"OKTA_SIGN_ON", "PASSWORD", "MFA_ENROLL", "IDP_DISCOVERY", "ACCESS_POLICY",
                          "PROFILE_ENROLLMENT", "POST_AUTH_SESSION", "ENTITY_RISK", "DEVICE_SIGNAL_COLLECTION",
                          "CONTINUOUS_ACCESS", "USER_LIFECYCLE"})
IMPERSONATION_STATUSES = frozenset({"ENABLED", "DISABLED", "REQUESTED", "NOT_REQUESTED"})
SELF_ASSIGNED_STATUSES = frozenset({"APPROVED", "NOT_REQUIRED", "REQUESTED"})  # the spec's SelfAssignedStatus


def _now(request: web.Request) -> str:
    return format_time(tenant_of(request).clock.now())


def _second(moment: Any) -> str:
    """Okta Support expirations are whole seconds (`…:43.000Z`)."""
    return format_time(moment.replace(microsecond=0))


# ---- the org itself ----------------------------------------------------------------------------------

@routes.get("/api/v1/org")
@scope("okta.orgs.read")
async def get_org(request: web.Request) -> web.StreamResponse:
    """The org's settings, shaped as Okta returns them (okta-sdk-python cassette
    tests/integration/cassettes/test_org_it/TestOrgResource.test_get_org_settings.yaml); a snapshot's
    `org` object (beyond its `clock` and `okta_support_api`, the sandbox's own) overrides the defaults, its
    `id` is the org id."""
    store = tenant_of(request).store
    given: dict[str, Any] = store.extra["org"] if isinstance(store.extra.get("org"), dict) else {}
    created = (store.users.get(store.operator) or {}).get("created")
    base = store.org_url
    subdomain = (urlsplit(base).hostname or "").split(".")[0]
    view: dict[str, Any] = {
        "id": store.org_id, "subdomain": subdomain, "companyName": subdomain, "status": "ACTIVE",
        "expiresAt": None, "created": created, "lastUpdated": created, "website": "", "phoneNumber": "",
        "endUserSupportHelpURL": "", "supportPhoneNumber": "", "address1": None, "address2": None, "city": None,
        "state": None, "country": None, "postalCode": None,
    }
    view.update({k: v for k, v in given.items() if k not in ("clock", "id", "_links", "okta_support_api")})
    view["_links"] = {"preferences": {"href": f"{base}/api/v1/org/preferences"},
                      "oktaCommunication": {"href": f"{base}/api/v1/org/privacy/oktaCommunication"},
                      "oktaSupport": {"href": f"{base}/api/v1/org/privacy/oktaSupport"},
                      "contacts": {"href": f"{base}/api/v1/org/contacts"}}
    return json_response(request, view)


# ---- API tokens ------------------------------------------------------------------------------------

def _token_or_404(request: web.Request) -> dict[str, Any]:
    return by_id(tenant_of(request).store.api_tokens, request.match_info["apiTokenId"], "ApiToken")


@routes.get("/api/v1/api-tokens")
@scope("okta.apiTokens.read")
async def list_api_tokens(request: web.Request) -> web.StreamResponse:
    return json_response(request, tenant_of(request).store.api_tokens, self_link=True)


@routes.get("/api/v1/api-tokens/{apiTokenId}")
@scope("okta.apiTokens.read")
async def get_api_token(request: web.Request) -> web.StreamResponse:
    return json_response(request, _token_or_404(request))


@routes.put("/api/v1/api-tokens/{apiTokenId}")
@scope("okta.apiTokens.manage")
async def upsert_api_token(request: web.Request) -> web.StreamResponse:
    """Okta's upsertApiToken: a new name and network condition; 200 with the whole token, as recorded
    (terraform TestAccResourceAPITokenResource_basic: PUT `{name, userId, clientName, created, network}`).
    `name` is required (spec ApiToken); a ZONE condition names zones that exist."""
    token = _token_or_404(request)
    body = await read_json(request)
    if not isinstance(body, dict) or not body.get("name"):
        raise validation_error("name", "name: The field cannot be left blank")
    network = body.get("network") or {"connection": "ANYWHERE"}
    if network.get("connection") not in ("ANYWHERE", "ZONE"):
        raise validation_error("network", "connection: must be ANYWHERE or ZONE")
    zones = {z.get("id") for z in tenant_of(request).store.network_zones}
    unknown = [z for z in [*(network.get("include") or []), *(network.get("exclude") or [])] if z not in zones]
    if network["connection"] == "ZONE" and (unknown or not (network.get("include") or network.get("exclude"))):
        raise validation_error("network", f"network: unknown or missing network zones {unknown}")
    store = tenant_of(request).store
    changed = {**token, "name": body["name"], "network": network,
               "lastUpdated": format_time(tenant_of(request).clock.now())}
    store.api_tokens = [changed if t is token else t for t in store.api_tokens]
    syslog.record(request, "system.api_token.update", [syslog.named_target(token["id"], "Token", body["name"])])
    return json_response(request, changed)


@routes.delete("/api/v1/api-tokens/{apiTokenId}")
@scope("okta.apiTokens.manage")
async def revoke_api_token(request: web.Request) -> web.StreamResponse:
    token = _token_or_404(request)
    store = tenant_of(request).store
    store.api_tokens = [t for t in store.api_tokens if t is not token]
    syslog.record(request, "system.api_token.revoke",
                  [syslog.named_target(token["id"], "Token", token.get("name"))])
    return web.Response(status=204)


# ---- Okta Support ----------------------------------------------------------------------------------

def _legacy(request: web.Request) -> bool:
    return tenant_of(request).store.okta_support_api == "2021"


def _support_view(request: web.Request) -> dict[str, Any]:
    tenant = tenant_of(request)
    base = f"{tenant.store.org_url}/api/v1/org/privacy/oktaSupport"
    view = {k: v for k, v in tenant.store.okta_support.items() if k != "_links"}
    view.setdefault("support", "DISABLED")
    view.setdefault("expiration", None)
    now = format_time(tenant.clock.now())
    enabled = view["support"] == "ENABLED"
    if enabled and view["expiration"] and view["expiration"] <= now:
        view.update(support="DISABLED", expiration=None)  # lapsed grants read as disabled, as on Okta
        enabled = False
    if _legacy(request):
        actions = ("extend", "revoke") if enabled else ("grant",)
        view["_links"] = {a: {"href": f"{base}/{a}", "hints": {"allow": ["POST"]}} for a in actions}
        return view
    case = next((c for c in tenant.store.support_cases if _impersonating(c, now)), None)
    if case is not None:
        view.update(support="ENABLED", expiration=(case.get("impersonation") or {}).get("expiration"),
                    caseNumber=str(case.get("caseNumber")))
    view.setdefault("caseNumber", None)
    if view["support"] != "ENABLED":
        view["caseNumber"] = None
    links: dict[str, Any] = {"cases": {"href": f"{base}/cases", "hints": {"allow": ["GET"]}}}
    if view["caseNumber"]:
        links["case"] = {"href": f"{base}/cases/{view['caseNumber']}", "hints": {"allow": ["PATCH"]}}
    view["_links"] = links
    return view


def _impersonating(case: dict[str, Any], now: str) -> bool:
    impersonation = case.get("impersonation") or {}
    expiration = impersonation.get("expiration")
    return impersonation.get("status") == "ENABLED" and (not expiration or expiration > now)


def _retired() -> web.Response:
    """What Okta answers today for the org-level grant, extend and revoke (the spec's only response)."""
    return web.Response(status=301)


def _org_target(request: web.Request) -> dict[str, Any]:
    store = tenant_of(request).store
    return syslog.named_target(store.org_id, "Org", "Okta Support")


def _set_support(request: web.Request, support: str, expiration: str | None) -> dict[str, Any]:
    store = tenant_of(request).store
    store.okta_support = {**store.okta_support, "support": support, "expiration": expiration}
    view = _support_view(request)
    if "_links" in store.okta_support:
        store.okta_support["_links"] = view["_links"]
    return view


@routes.get("/api/v1/org/privacy/oktaSupport")
@scope("okta.orgs.read")
async def get_support(request: web.Request) -> web.StreamResponse:
    return json_response(request, _support_view(request))


@routes.post("/api/v1/org/privacy/oktaSupport/grant")
@scope("okta.orgs.manage")
async def grant_support(request: web.Request) -> web.StreamResponse:
    if not _legacy(request):
        return _retired()
    expiration = _second(tenant_of(request).clock.now() + timedelta(hours=8))
    view = _set_support(request, "ENABLED", expiration)
    syslog.record(request, "user.session.impersonation.grant", [_org_target(request)], {"expiration": expiration})
    return json_response(request, view)


@routes.post("/api/v1/org/privacy/oktaSupport/extend")
@scope("okta.orgs.manage")
async def extend_support(request: web.Request) -> web.StreamResponse:
    if not _legacy(request):
        return _retired()
    current = _support_view(request)
    if current["support"] != "ENABLED":
        raise validation_error("support", "Okta Support access is not enabled: grant it before extending it.")
    expiration = _second(parse_time(current["expiration"]) + timedelta(hours=24))
    view = _set_support(request, "ENABLED", expiration)
    syslog.record(request, "user.session.impersonation.extend", [_org_target(request)], {"expiration": expiration})
    return json_response(request, view)


@routes.post("/api/v1/org/privacy/oktaSupport/revoke")
@scope("okta.orgs.manage")
async def revoke_support(request: web.Request) -> web.StreamResponse:
    if not _legacy(request):
        return _retired()
    view = _set_support(request, "DISABLED", None)
    syslog.record(request, "user.session.impersonation.revoke", [_org_target(request)])
    return json_response(request, view)


@routes.get("/api/v1/org/privacy/oktaSupport/cases")
@scope("okta.orgs.read")
async def list_cases(request: web.Request) -> web.StreamResponse:
    return json_response(request, {"supportCases": tenant_of(request).store.support_cases})


@routes.patch("/api/v1/org/privacy/oktaSupport/cases/{caseNumber}")
@scope("okta.orgs.manage")
async def update_case(request: web.Request) -> web.StreamResponse:
    number = request.match_info["caseNumber"]
    case = next((c for c in tenant_of(request).store.support_cases if str(c.get("caseNumber")) == number), None)
    if case is None:
        raise not_found(number, "SupportCase")
    body = await read_json(request)
    if not isinstance(body, dict):
        raise validation_error("body", "The request body must be a support case object.")
    status = (body.get("impersonation") or {}).get("status")
    if status is not None and status not in IMPERSONATION_STATUSES:
        raise validation_error("impersonation.status", f"impersonation.status: unknown value {status!r}.")
    assigned = (body.get("selfAssigned") or {}).get("status") if isinstance(body.get("selfAssigned"), dict) else None
    if assigned is not None and assigned not in SELF_ASSIGNED_STATUSES:
        raise validation_error("selfAssigned.status", f"selfAssigned.status: unknown value {assigned!r}.")
    store = tenant_of(request).store
    original, case = case, dict(case)  # copy-on-write: snapshot objects may be shared
    store.support_cases = [case if c is original else c for c in store.support_cases]
    if status is not None:
        impersonation = dict(case.get("impersonation") or {})
        impersonation["status"] = status
        if status != "ENABLED":
            impersonation["expiration"] = None
        elif not impersonation.get("expiration"):
            impersonation["expiration"] = _second(tenant_of(request).clock.now() + timedelta(hours=24))
        case["impersonation"] = impersonation
    if isinstance(body.get("selfAssigned"), dict) and "status" in body["selfAssigned"]:
        case["selfAssigned"] = {**(case.get("selfAssigned") or {}), "status": body["selfAssigned"]["status"]}
    event = "user.session.impersonation.grant" if status == "ENABLED" else "user.session.impersonation.revoke"
    syslog.record(request, event, [syslog.named_target(number, "SupportCase", case.get("subject"))],
                  {"caseNumber": number})
    return json_response(request, case)


# ---- policies and rules ----------------------------------------------------------------------------

def _policy_or_404(request: web.Request) -> dict[str, Any]:
    return by_id(tenant_of(request).store.policies, request.match_info["policyId"], "Policy")


def _policy_target(policy: dict[str, Any]) -> dict[str, Any]:
    return syslog.named_target(policy["id"], "PolicyEntity", policy.get("name"), {"policyType": policy.get("type")})


@routes.get("/api/v1/policies")
@scope("okta.policies.read")
async def list_policies(request: web.Request) -> web.StreamResponse:
    kind = request.query.get("type")
    if not kind:
        raise validation_error("type", "type: The field cannot be left blank.")
    if kind not in POLICY_TYPES:
        raise validation_error("type", f"type: Invalid policy type {kind!r}.")
    status = request.query.get("status")
    found = [p for p in tenant_of(request).store.policies
             if p.get("type") == kind and (not status or p.get("status") == status)]
    return id_cursor_page(request, found, int_param(request, "limit", 10000, 10000))


@routes.get("/api/v1/policies/{policyId}")
@scope("okta.policies.read")
async def get_policy(request: web.Request) -> web.StreamResponse:
    return json_response(request, _policy_or_404(request))


def _replace(request: web.Request, old: dict[str, Any], body: Any, what: str) -> dict[str, Any]:
    if not isinstance(body, dict) or not body.get("name"):
        raise validation_error(what, f"{what}: a full {what} object with a name is required.")
    if body.get("type", old.get("type")) != old.get("type"):
        raise validation_error("type", "type: The type of a policy or rule cannot be changed.")
    new = dict(body)
    for key in ("id", "type", "created", "system", "_links"):
        if key in old:
            new[key] = old[key]
    for key in ("status", "priority"):
        if key not in new and key in old:
            new[key] = old[key]
    new["lastUpdated"] = _now(request)
    return new


@routes.put("/api/v1/policies/{policyId}")
@scope("okta.policies.manage")
async def replace_policy(request: web.Request) -> web.StreamResponse:
    old = _policy_or_404(request)
    new = _replace(request, old, await read_json(request), "policy")
    store = tenant_of(request).store
    store.policies = [new if p is old else p for p in store.policies]
    syslog.record(request, "policy.lifecycle.update", [_policy_target(new)])
    return json_response(request, new)


@routes.get("/api/v1/policies/{policyId}/rules")
@scope("okta.policies.read")
async def list_rules(request: web.Request) -> web.StreamResponse:
    policy = _policy_or_404(request)
    return json_response(request, tenant_of(request).store.policy_rules.get(policy["id"], []), self_link=True)


def _rule_or_404(request: web.Request, policy: dict[str, Any]) -> dict[str, Any]:
    rules = tenant_of(request).store.policy_rules.get(policy["id"], [])
    return by_id(rules, request.match_info["ruleId"], "PolicyRule")


@routes.get("/api/v1/policies/{policyId}/rules/{ruleId}")
@scope("okta.policies.read")
async def get_rule(request: web.Request) -> web.StreamResponse:
    return json_response(request, _rule_or_404(request, _policy_or_404(request)))


def _cookie(rule: dict[str, Any]) -> Any:
    return (((rule.get("actions") or {}).get("signon") or {}).get("session") or {}).get("usePersistentCookie")


def _read_only(attribute: str) -> OktaHTTPError:
    """Okta's refusal to change a read-only attribute: its message (error-codes.json, "Read only attribute
    exception": "Cannot modify the {0} attribute because it is read-only.") under the policy API's E0000001."""
    return validation_error(attribute, f"Cannot modify the {attribute} attribute because it is read-only.")


def _keep_default_rule(policy: dict[str, Any], old: dict[str, Any], new: dict[str, Any]) -> None:
    """What Okta keeps read-only on system rules.

    - an app sign-in policy's Catch-all Rule (`system`, conditions null: terraform-provider-okta
      TestAccResourceOktaAppSignOnPolicyRule_AUTH_METHOD_CHAIN recording): its conditions;
    - the spec's `Policy` tag, "Default rules": usePersistentCookie of the default global session policy's
      default rule, and the whole default rule of the default authenticator enrollment policy.
    """
    if not old.get("system"):
        return
    if old.get("type") == "ACCESS_POLICY" and new.get("conditions") != old.get("conditions"):
        raise _read_only("conditions")
    if not policy.get("system"):
        return
    if policy.get("type") == "MFA_ENROLL" and {k: v for k, v in new.items() if k != "lastUpdated"} != \
            {k: v for k, v in old.items() if k != "lastUpdated"}:
        raise validation_error("rule", "The default rule of the default authenticator enrollment policy is read-only.")
    if policy.get("type") == "OKTA_SIGN_ON" and _cookie(new) != _cookie(old):
        raise _read_only("usePersistentCookie")


@routes.put("/api/v1/policies/{policyId}/rules/{ruleId}")
@scope("okta.policies.manage")
async def replace_rule(request: web.Request) -> web.StreamResponse:
    policy = _policy_or_404(request)
    old = _rule_or_404(request, policy)
    new = _replace(request, old, await read_json(request), "rule")
    _keep_default_rule(policy, old, new)
    store = tenant_of(request).store
    store.policy_rules[policy["id"]] = [new if r is old else r for r in store.policy_rules[policy["id"]]]
    syslog.record(request, "policy.rule.update",
                  [syslog.named_target(new["id"], "PolicyRule", new.get("name"), {"ruleType": new.get("type")}),
                   _policy_target(policy)])
    return json_response(request, new)


# ---- identity providers ----------------------------------------------------------------------------

def _idp_or_404(request: web.Request) -> dict[str, Any]:
    return by_id(tenant_of(request).store.idps, request.match_info["idpId"], "IdentityProvider")


@routes.get("/api/v1/idps")
@scope("okta.idps.read")
async def list_idps(request: web.Request) -> web.StreamResponse:
    q = (request.query.get("q") or "").casefold()
    kind = request.query.get("type")
    found = [i for i in tenant_of(request).store.idps
             if (not q or str(i.get("name", "")).casefold().startswith(q)) and (not kind or i.get("type") == kind)]
    return id_cursor_page(request, found, int_param(request, "limit", 20, 10000))


@routes.get("/api/v1/idps/{idpId}")
@scope("okta.idps.read")
async def get_idp(request: web.Request) -> web.StreamResponse:
    return json_response(request, _idp_or_404(request))


@routes.post("/api/v1/idps/{idpId}/lifecycle/deactivate")
@scope("okta.idps.manage")
async def deactivate_idp(request: web.Request) -> web.StreamResponse:
    original = _idp_or_404(request)
    idp = {**original, "status": "INACTIVE", "lastUpdated": _now(request)}
    store = tenant_of(request).store
    store.idps = [idp if i is original else i for i in store.idps]
    syslog.record(request, "system.idp.lifecycle.deactivate",
                  [syslog.named_target(idp["id"], "IdentityProvider", idp.get("name"), {"type": idp.get("type")})])
    return json_response(request, idp)



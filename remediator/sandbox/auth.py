"""Who is calling: SSWS API tokens (the operator) and OAuth 2.0 service apps (private_key_jwt).

`POST /oauth2/v1/token` checks the client assertion as Okta does (signature against the client's
registered public JWK, `iss` = `sub` = client_id, `aud` = the token endpoint, `exp`) and grants only
scopes the client was granted. Routes declare their scope with `app.scope`; SSWS tokens have all.

A client with `dpop_bound_access_tokens: true` (the app setting in Okta's spec) must prove
possession of a key (RFC 9449), as Okta answers in okta-sdk-python's recorded test_dpop_it cassettes:
no proof is 400 `invalid_dpop_proof` "The DPoP proof JWT header is missing.", a proof without the
server's nonce is 400 `use_dpop_nonce` with a `DPoP-Nonce` header, then the token is `token_type:
DPoP`, bound to the key's thumbprint, and every API call must present it as `Authorization: DPoP`
with a fresh proof for that method and URL carrying the token's hash (`ath`) (dpop.py).
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web

from remediator.sandbox import dpop
from remediator.sandbox.wire import Handler, OktaHTTPError, Tenant, tenant_of

routes = web.RouteTableDef()
TOKEN_PATH = "/oauth2/v1/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_LIFETIME = 3600
_INACTIVE = frozenset({"SUSPENDED", "DEPROVISIONED", "LOCKED_OUT"})


@dataclass(frozen=True)
class Principal:
    """The caller; `actor` is the System Log actor Okta records for it."""

    kind: str  # "ssws" | "oauth"
    actor: dict[str, Any]
    user_id: str | None = None
    client_id: str | None = None
    scopes: frozenset[str] | None = None  # None: an API token, which carries its owner's permissions
    extra: dict[str, Any] = field(default_factory=dict)


PRINCIPAL = web.RequestKey("principal", Principal)


def _unauthorized() -> OktaHTTPError:
    return OktaHTTPError(401, "E0000011", "Invalid token provided")


def user_actor(user: dict[str, Any]) -> dict[str, Any]:
    profile = user.get("profile") or {}
    name = " ".join(p for p in (profile.get("firstName"), profile.get("lastName")) if p)
    return {"id": user["id"], "type": "User", "alternateId": profile.get("login") or "unknown",
            "displayName": name or profile.get("login") or "unknown", "detailEntry": None}


def client_actor(client: dict[str, Any]) -> dict[str, Any]:
    client_id = client["client_id"]
    return {"id": client_id, "type": "PublicClientApp", "alternateId": client_id,
            "displayName": client.get("name") or client.get("label") or client_id, "detailEntry": None}


def authenticate(tenant: Tenant, header: str | None, request: web.Request | None = None) -> Principal:
    """Resolve the Authorization header; raises 401 E0000011 for anything Okta would not accept."""
    if not header:
        raise _unauthorized()
    if header[:4].upper() == "SSWS":
        token = header[4:].strip()
        if not token or not tenant.config.token or not hmac.compare_digest(token, tenant.config.token):
            raise _unauthorized()
        operator = tenant.store.users.get(tenant.store.operator)
        if operator is None or operator.get("status") in _INACTIVE:
            raise _unauthorized()
        return Principal("ssws", user_actor(operator), user_id=operator["id"])
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("bearer", "dpop"):
        grant = tenant.access_tokens.get(value.strip())
        if grant is None or grant["expires"] < tenant.clock.now().timestamp():
            raise _unauthorized()
        if grant.get("jkt") or scheme.lower() == "dpop":
            dpop.check_resource_proof(tenant, request, grant, scheme, value.strip())
        client = grant["client"]
        return Principal("oauth", client_actor(client), client_id=client["client_id"],
                         scopes=frozenset(grant["scopes"]))
    raise _unauthorized()


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path == TOKEN_PATH:
        return await handler(request)
    tenant = tenant_of(request)
    principal = authenticate(tenant, request.headers.get("Authorization"), request)
    request[PRINCIPAL] = principal
    needed = getattr(request.match_info.handler, "okta_scope", None)
    if needed and principal.scopes is not None and not _scope_ok(needed, principal.scopes):
        raise OktaHTTPError(403, "E0000006", "You do not have permission to perform the requested action",
                            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", '
                                                         f'error_description="The access token provided does '
                                                         f'not contain the required scopes.", '
                                                         f'resource="{request.path}"'})
    return await handler(request)


def _scope_ok(needed: str, granted: frozenset[str]) -> bool:
    if needed in granted:
        return True
    # Okta: a `.manage` scope implies the matching `.read`.
    return needed.endswith(".read") and needed[: -len(".read")] + ".manage" in granted


def _oauth_error(status: int, error: str, description: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, text=json.dumps({"error": error, "error_description": description}),
                        content_type="application/json",
                        headers={"Cache-Control": "no-store", "Pragma": "no-cache", **(headers or {})})


def _verify_assertion(tenant: Tenant, client: dict[str, Any], assertion: str) -> str | None:
    """None when the assertion is good, else the reason (for `error_description`)."""
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        return "The client_assertion is not a valid JWT."
    keys = (client.get("jwks") or {}).get("keys") or []
    kid = header.get("kid")
    candidates = [k for k in keys if not kid or k.get("kid") in (None, kid)]
    if not candidates:
        return "The client_assertion token has a kid which does not identify a key of the client."
    audiences = [f"{tenant.public_url}{TOKEN_PATH}"]
    if tenant.store.org_url:
        audiences.append(f"{tenant.store.org_url}{TOKEN_PATH}")
    for key in candidates:
        try:
            public = jwt.PyJWK.from_dict(key, algorithm=header.get("alg"))
            claims = jwt.decode(assertion, public.key, algorithms=[header.get("alg", "RS256")],
                                audience=audiences, options={"require": ["exp", "iss", "sub", "aud"]},
                                leeway=60)
        except jwt.ExpiredSignatureError:
            return "The client_assertion token is expired."
        except jwt.InvalidAudienceError:
            return "The audience claim for client_assertion must be the endpoint invoked for the request."
        except (jwt.PyJWTError, ValueError, KeyError):
            continue
        if claims.get("iss") != client["client_id"] or claims.get("sub") != client["client_id"]:
            return "The client_assertion 'iss' and 'sub' claims must be the client_id."
        return None
    return "The client_assertion signature is invalid."


@routes.post(TOKEN_PATH)
async def token(request: web.Request) -> web.StreamResponse:
    tenant = tenant_of(request)
    form: dict[str, str] = dict(request.query)
    if request.can_read_body:
        form.update({k: str(v) for k, v in (await request.post()).items()})
    if form.get("grant_type") != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "The grant_type is not supported: client_credentials only.")
    if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
        return _oauth_error(401, "invalid_client", "Client authentication requires a private_key_jwt assertion.")
    try:
        claimed = jwt.decode(form["client_assertion"], options={"verify_signature": False})
    except jwt.PyJWTError:
        return _oauth_error(401, "invalid_client", "The client_assertion is not a valid JWT.")
    client = next((c for c in tenant.store.oauth_clients if c.get("client_id") == claimed.get("sub")), None)
    if client is None or (form.get("client_id") and form["client_id"] != client["client_id"]):
        return _oauth_error(401, "invalid_client", "The client_id is not known.")
    reason = _verify_assertion(tenant, client, form["client_assertion"])
    if reason:
        return _oauth_error(401, "invalid_client", reason)
    requested = form.get("scope", "").split()
    granted = set(client.get("scopes") or [])
    if not requested:
        return _oauth_error(400, "invalid_scope", "The authorization server requires a scope.")
    if not set(requested) <= granted:
        missing = " ".join(s for s in requested if s not in granted)
        return _oauth_error(400, "invalid_scope", f"One or more scopes are not configured for the "
                                                  f"authorization server resource: {missing}")
    jkt = None
    if client.get("dpop_bound_access_tokens") or request.headers.get("DPoP"):
        outcome = dpop.check_token_proof(tenant, request)
        if isinstance(outcome, dpop.Refusal):
            return _oauth_error(400, outcome.error, outcome.description, outcome.headers)
        jkt = outcome
    access = secrets.token_urlsafe(48)
    tenant.access_tokens[access] = {"client": client, "scopes": requested, "jkt": jkt,
                                    "expires": tenant.clock.now().timestamp() + TOKEN_LIFETIME}
    return web.Response(text=json.dumps({"token_type": "DPoP" if jkt else "Bearer", "expires_in": TOKEN_LIFETIME,
                                         "access_token": access, "scope": " ".join(requested)}),
                        content_type="application/json", headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

"""DPoP proofs (RFC 9449) as the sandbox's Okta checks them, for clients that require DPoP.

Okta's answers, from okta-sdk-python's recordings (tests/integration/cassettes/test_dpop_it): a token
request without a proof is 400 `invalid_dpop_proof` "The DPoP proof JWT header is missing.", one
without the server's nonce is 400 `use_dpop_nonce` "Authorization server requires nonce in DPoP
proof." with a `dpop-nonce` header. A proof is checked as RFC 9449 section 4.3 lists: a JWT typed
`dpop+jwt`, signed (RS256 or ES256) by the public key in its own `jwk` header, for this method
(`htm`) and URL without query (`htu`), recent (`iat`), never seen before (`jti`), and for API calls
bound to the access token (`ath`) and to the key the token was issued to (its JWK thumbprint).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web

from remediator.sandbox.wire import OktaHTTPError, Tenant

__all__ = ["Refusal", "check_resource_proof", "check_token_proof", "thumbprint"]

TOKEN_PATH = "/oauth2/v1/token"
#: How far a proof's `iat` may be from the real clock (proofs are signed with the caller's wall clock).
IAT_WINDOW = 300
SEEN_JTIS = 10_000
ALGORITHMS = ("RS256", "ES256")


@dataclass(frozen=True)
class Refusal:
    """An OAuth error answer for the token endpoint."""

    error: str
    description: str
    headers: dict[str, str] = field(default_factory=dict)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: SHA-256 over the required members in lexicographic order."""
    required = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}.get(str(jwk.get("kty")), ())
    canonical = json.dumps({k: jwk[k] for k in required if k in jwk}, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def _state(tenant: Tenant) -> dict[str, Any]:
    return tenant.__dict__.setdefault("dpop", {"nonce": secrets.token_urlsafe(16), "seen": OrderedDict()})


def _urls(tenant: Tenant, path: str) -> set[str]:
    return {f"{base}{path}" for base in (tenant.public_url, tenant.store.org_url) if base}


def _verify(tenant: Tenant, proof: str, method: str, urls: set[str]) -> tuple[dict[str, Any], str] | str:
    """(claims, key thumbprint) of a valid proof, else why it is not valid."""
    try:
        header = jwt.get_unverified_header(proof)
    except jwt.PyJWTError:
        return "The DPoP proof JWT is malformed."
    jwk = header.get("jwk")
    if header.get("typ") != "dpop+jwt" or header.get("alg") not in ALGORITHMS or not isinstance(jwk, dict):
        return "The DPoP proof JWT header is invalid."
    if any(k in jwk for k in ("d", "p", "q", "dp", "dq", "qi")):
        return "The DPoP proof JWT header must not contain a private key."
    try:
        key = jwt.PyJWK.from_dict(jwk, algorithm=header["alg"]).key
        claims = jwt.decode(proof, key, algorithms=[header["alg"]], options={"require": ["jti", "htm", "htu", "iat"]})
    except (jwt.PyJWTError, ValueError, KeyError, TypeError):
        return "The DPoP proof JWT signature or claims are invalid."
    if claims["htm"] != method or claims["htu"] not in urls:
        return "The DPoP proof JWT htm or htu claim does not match the request."
    if not isinstance(claims["iat"], int | float) or abs(claims["iat"] - time.time()) > IAT_WINDOW:
        return "The DPoP proof JWT iat claim is not recent."
    seen = _state(tenant)["seen"]
    if claims["jti"] in seen:
        return "The DPoP proof JWT jti claim was already used."
    seen[claims["jti"]] = True
    while len(seen) > SEEN_JTIS:
        seen.popitem(last=False)
    return claims, thumbprint(jwk)


def check_token_proof(tenant: Tenant, request: web.Request) -> str | Refusal:
    """The key thumbprint a DPoP-bound token is issued to, or the token endpoint's refusal."""
    proof = request.headers.get("DPoP")
    if not proof:
        return Refusal("invalid_dpop_proof", "The DPoP proof JWT header is missing.")
    verified = _verify(tenant, proof, "POST", _urls(tenant, TOKEN_PATH))
    if isinstance(verified, str):
        return Refusal("invalid_dpop_proof", verified)
    claims, jkt = verified
    nonce = _state(tenant)["nonce"]
    if claims.get("nonce") != nonce:
        return Refusal("use_dpop_nonce", "Authorization server requires nonce in DPoP proof.", {"DPoP-Nonce": nonce})
    return jkt


def _refused(description: str, error: str = "invalid_dpop_proof") -> OktaHTTPError:
    return OktaHTTPError(401, "E0000011", "Invalid token provided",
                         headers={"WWW-Authenticate": f'DPoP error="{error}", error_description="{description}"'})


def check_resource_proof(tenant: Tenant, request: web.Request | None, grant: dict[str, Any], scheme: str,
                         token: str) -> None:
    """A DPoP-bound token must come as `DPoP` with a valid proof of its key for this call; raises 401."""
    if not grant.get("jkt") or scheme.lower() != "dpop":
        raise _refused("The access token is DPoP-bound: present it with the DPoP scheme and a proof."
                       if grant.get("jkt") else "The access token is not DPoP-bound.", "invalid_token")
    proof = request.headers.get("DPoP") if request is not None else None
    if not proof or request is None:
        raise _refused("The DPoP proof JWT header is missing.")
    verified = _verify(tenant, proof, request.method, _urls(tenant, request.path))
    if isinstance(verified, str):
        raise _refused(verified)
    claims, jkt = verified
    if jkt != grant["jkt"]:
        raise _refused("The DPoP proof key is not the key the access token is bound to.")
    if claims.get("ath") != _b64url(hashlib.sha256(token.encode()).digest()):
        raise _refused("The DPoP proof JWT ath claim does not match the access token.")

"""DPoP for service apps that require it (issue 10 point 8), proven on Okta's own recordings.

okta-sdk-python's tests/integration/cassettes/test_dpop_it/ were recorded against real orgs:
- TestDPoPBackwardCompatibility.test_private_key_auth_without_dpop.yaml: a token request without a
  proof answers 400 `{"error":"invalid_dpop_proof","error_description":"The DPoP proof JWT header is missing."}`;
- TestDPoPIntegration.test_dpop_api_request.yaml: a token request answers 400 `use_dpop_nonce` with a
  `dpop-nonce` header, the retry gets `{"token_type":"DPoP",...}`, and the API is called with
  `Authorization: DPoP <token>` and a `DPoP` proof header.
"""

from __future__ import annotations

import base64
import hashlib

import jwt
import pytest
import vcr
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from remediator.errors import CredentialError
from remediator.okta import OktaClient, PrivateKeyAuth
from remediator.okta.auth import DPoPProver
from tests.okta.conftest import MATCH_ON, replay

ORG = "https://test.okta.com"
SCOPES = ("okta.users.read", "okta.apps.read", "okta.groups.read")


@pytest.fixture(scope="module")
def key_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _capture(into: list):
    """vcr shows every request it is asked to answer to this hook: keep what the client really sent."""
    def keep(request):
        if str(request.headers.get("User-Agent", "")).startswith("remediator/"):  # not the recorded ones
            into.append(request)
        return request
    return keep


def _distinct(requests: list) -> list:
    """vcr may show one request more than once; keep each sent request once (a proof's jti is unique)."""
    seen, out = set(), []
    for r in requests:
        key = (r.method, r.uri, r.headers.get("DPoP"), r.headers.get("Authorization"))
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def check_proof(proof: str, method: str, url: str, *, nonce: str | None = None, token: str | None = None) -> dict:
    """Verify a proof as RFC 9449 section 4.3 asks: typ, alg, the embedded public key, htm, htu, ath."""
    header = jwt.get_unverified_header(proof)
    assert header["typ"] == "dpop+jwt" and header["alg"] == "RS256"
    assert set(header["jwk"]) == {"kty", "n", "e"}  # the public key only
    public = jwt.PyJWK.from_dict(header["jwk"], algorithm="RS256").key
    claims = jwt.decode(proof, public, algorithms=["RS256"])
    assert claims["htm"] == method and claims["htu"] == url and claims["jti"] and claims["iat"]
    assert claims.get("nonce") == nonce
    if token is not None:
        expected = base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest()).rstrip(b"=").decode()
        assert claims["ath"] == expected
    return claims


async def test_the_recorded_nonce_dance_then_dpop_bound_calls(sdk_cassette, key_pem: bytes) -> None:
    path = sdk_cassette("test_dpop_it/TestDPoPIntegration.test_dpop_api_request.yaml")
    auth = PrivateKeyAuth("0oa_sanitized_client_id", key_pem, SCOPES, tenant="test")
    requests = []
    with replay(path, before_record_request=_capture(requests)):
        async with OktaClient(ORG, auth, tenant="test", pace=False) as okta:
            users = await okta.get_json("/api/v1/users", {"limit": 1})
    assert users == []
    sent = _distinct(requests)
    assert [r.method for r in sent] == ["POST", "POST", "GET"], [(r.method, r.uri, dict(r.headers)) for r in sent]
    retry, call = sent[1], sent[2]
    check_proof(retry.headers["DPoP"], "POST", f"{ORG}/oauth2/v1/token", nonce="sanitized_dpop_nonce")
    token = call.headers["Authorization"].split(" ", 1)[1]
    assert call.headers["Authorization"].startswith("DPoP ")
    check_proof(call.headers["DPoP"], "GET", f"{ORG}/api/v1/users", token=token)  # htu without the query
    assert auth.uses_dpop


async def test_the_recorded_invalid_dpop_proof_switches_to_dpop(sdk_cassette, key_pem: bytes) -> None:
    path = sdk_cassette("test_dpop_it/TestDPoPBackwardCompatibility.test_private_key_auth_without_dpop.yaml")
    auth = PrivateKeyAuth("0oa_sanitized_client_id", key_pem, SCOPES, tenant="test")
    requests = []
    recorder = vcr.VCR(record_mode="none", match_on=MATCH_ON, before_record_request=_capture(requests))
    with recorder.use_cassette(str(path), allow_playback_repeats=True):
        async with OktaClient(ORG, auth, tenant="test", pace=False) as okta:
            with pytest.raises(CredentialError, match="invalid_dpop_proof The DPoP proof JWT header is missing"):
                await okta.get_json("/api/v1/users", {"limit": 1})
    first, second = _distinct(requests)[:2]
    assert "DPoP" not in first.headers  # not asked for yet
    check_proof(second.headers["DPoP"], "POST", f"{ORG}/oauth2/v1/token")  # asked for: sent at once


def test_proofs_are_fresh_and_the_key_stays_private() -> None:
    prover = DPoPProver()
    one = prover.proof("GET", "https://acme.okta.com/api/v1/users?limit=1#x")
    two = prover.proof("GET", "https://acme.okta.com/api/v1/users?limit=1#x")
    assert jwt.decode(one, options={"verify_signature": False})["jti"] != jwt.decode(
        two, options={"verify_signature": False})["jti"]
    assert check_proof(one, "GET", "https://acme.okta.com/api/v1/users")
    assert "redacted" in repr(prover)
    with pytest.raises(TypeError):
        __import__("pickle").dumps(prover)

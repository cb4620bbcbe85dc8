"""Credentials: SSWS tokens and private_key_jwt service apps; no secret in reprs, errors or logs."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from remediator.errors import CredentialError, OktaApiError
from remediator.okta import OktaClient, PrivateKeyAuth, SswsAuth
from remediator.okta.auth import ASSERTION_TYPE
from tests.support import FakeClock
from tests.support.okta_server import FakeOkta, okta_json

CLIENT_ID = "0oa1serviceapp"
SCOPES = ("okta.users.read", "okta.users.manage")


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key, fmt=serialization.PrivateFormat.PKCS8, encryption=None) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, fmt, encryption or serialization.NoEncryption())


def client_logs(caplog: pytest.LogCaptureFixture) -> str:
    """What remediator logged (the local test server's own access log is not ours)."""
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("remediator"))


def token_endpoint(server: FakeOkta, key: rsa.RSAPrivateKey, issued: list[dict]):
    """Okta's /oauth2/v1/token, checking the assertion as Okta does (signature, aud, iss, sub, exp)."""

    async def handler(request: web.Request) -> web.Response:
        form = await request.post()
        assert form["grant_type"] == "client_credentials"
        assert form["client_assertion_type"] == ASSERTION_TYPE
        assert form["scope"] == " ".join(SCOPES)
        claims = jwt.decode(
            form["client_assertion"], key.public_key(), algorithms=["RS256"],
            audience=f"{server.url}/oauth2/v1/token", options={"require": ["exp", "iat", "iss", "sub", "jti"]},
        )
        assert claims["iss"] == claims["sub"] == CLIENT_ID
        assert 0 < claims["exp"] - claims["iat"] <= 3600
        assert claims["iat"] <= time.time() + 5
        issued.append(claims)
        return okta_json({"token_type": "Bearer", "expires_in": 3600, "access_token": f"access-{len(issued)}",
                          "scope": form["scope"]})

    return handler


async def test_private_key_jwt_exchange_then_bearer(fake_okta, rsa_key, tmp_path):
    issued: list[dict] = []
    fake_okta.script("POST", "/oauth2/v1/token", token_endpoint(fake_okta, rsa_key, issued))
    fake_okta.script("GET", "/api/v1/users/me", lambda r: _json({"id": "00uop"}))
    key_file = tmp_path / "app.pem"
    key_file.write_bytes(pem(rsa_key, serialization.PrivateFormat.TraditionalOpenSSL))
    clock = FakeClock()
    auth = PrivateKeyAuth.from_file(CLIENT_ID, key_file, SCOPES, tenant="acme", clock=clock)
    async with OktaClient(fake_okta.url, auth, tenant="acme", **clock.client_options()) as okta:
        assert (await okta.get_json("/api/v1/users/me")) == {"id": "00uop"}
        await okta.get("/api/v1/users/me")
        assert len(issued) == 1  # cached
        clock.now += 3600 - 59  # within a minute of expiry: renewed first
        await okta.get("/api/v1/users/me")
    assert len(issued) == 2 and issued[0]["jti"] != issued[1]["jti"]
    api_calls = [h for (m, p), h in zip(fake_okta.hits, fake_okta.headers, strict=True) if p == "/api/v1/users/me"]
    assert [h["Authorization"] for h in api_calls] == ["Bearer access-1", "Bearer access-1", "Bearer access-2"]


async def test_401_renews_the_access_token_once(fake_okta, rsa_key):
    issued: list[dict] = []
    fake_okta.script("POST", "/oauth2/v1/token", token_endpoint(fake_okta, rsa_key, issued))
    fake_okta.script("GET", "/api/v1/idps", lambda r: _json({"errorCode": "E0000011", "errorSummary":
                                                             "Invalid token provided"}, 401), lambda r: _json([]))
    auth = PrivateKeyAuth(CLIENT_ID, pem(rsa_key), SCOPES, tenant="acme")
    async with OktaClient(fake_okta.url, auth, tenant="acme") as okta:
        assert await okta.get_json("/api/v1/idps") == []
    assert len(issued) == 2


async def test_refused_token_request_names_tenant_and_client_not_secrets(fake_okta, rsa_key, caplog):
    fake_okta.script("POST", "/oauth2/v1/token", lambda r: _json(
        {"error": "invalid_scope", "error_description": "The requested scope is invalid."}, 400))
    key = pem(rsa_key)
    auth = PrivateKeyAuth(CLIENT_ID, key, SCOPES, tenant="acme")
    caplog.set_level(logging.DEBUG)
    async with OktaClient(fake_okta.url, auth, tenant="acme") as okta:
        with pytest.raises(CredentialError) as caught:
            await okta.get("/api/v1/users/me")
    message = str(caught.value)
    assert "acme" in message and CLIENT_ID in message and "invalid_scope" in message
    assert fake_okta.count("GET", "/api/v1/users/me") == 0
    assertion = fake_okta.bodies[0].decode()
    for text in (message, repr(auth), str(auth), client_logs(caplog)):
        assert "PRIVATE KEY" not in text and key.decode().splitlines()[1] not in text
        assert "client_assertion=" not in text and assertion[-40:] not in text


def test_missing_unreadable_or_invalid_key_file(tmp_path, rsa_key):
    missing = tmp_path / "nope.pem"
    with pytest.raises(CredentialError, match=rf"tenant acme: cannot read the private key file {missing}"):
        PrivateKeyAuth.from_file(CLIENT_ID, missing, SCOPES, tenant="acme")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ1dC1ub3QtYS1rZXk=\n-----END PRIVATE KEY-----\n")
    with pytest.raises(CredentialError) as caught:
        PrivateKeyAuth.from_file(CLIENT_ID, garbage, SCOPES, tenant="acme")
    assert str(caught.value) == f"tenant acme: the private key file {garbage} is not a PEM private key"
    encrypted = tmp_path / "encrypted.pem"
    encrypted.write_bytes(pem(rsa_key, encryption=serialization.BestAvailableEncryption(b"pw")))
    with pytest.raises(CredentialError, match="is encrypted"):
        PrivateKeyAuth.from_file(CLIENT_ID, encrypted, SCOPES, tenant="acme")
    ec_file = tmp_path / "ec.pem"
    ec_file.write_bytes(pem(ec.generate_private_key(ec.SECP256R1())))
    with pytest.raises(CredentialError, match="not an RSA key"):
        PrivateKeyAuth.from_file(CLIENT_ID, ec_file, SCOPES, tenant="acme")
    with pytest.raises(CredentialError, match="no scopes"):
        PrivateKeyAuth(CLIENT_ID, pem(rsa_key), (), tenant="acme")


def test_client_gives_its_tenant_to_credential_errors(tmp_path: Path, rsa_key):
    auth = PrivateKeyAuth(CLIENT_ID, pem(rsa_key), SCOPES)
    OktaClient("https://acme.okta.com", auth, tenant="acme")
    assert auth.tenant == "acme"


async def test_ssws_header_and_safe_repr(fake_okta, caplog):
    secret = "00aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcd"
    fake_okta.script("GET", "/api/v1/api-tokens", lambda r: _json(
        {"errorCode": "E0000006", "errorSummary": "You do not have permission to perform the requested action",
         "errorId": "oae403", "errorCauses": []}, 403, request_id="rid-403"))
    auth = SswsAuth(secret)
    caplog.set_level(logging.DEBUG)
    async with OktaClient(fake_okta.url, auth, tenant="acme") as okta:
        with pytest.raises(OktaApiError) as caught:
            await okta.get("/api/v1/api-tokens", {"q": "sensitive-search"})
    assert fake_okta.headers[0]["Authorization"] == f"SSWS {secret}"
    error = caught.value
    assert (error.status, error.error_code, error.request_id) == (403, "E0000006", "rid-403")
    assert "GET /api/v1/api-tokens" in client_logs(caplog)
    assert error.path == "/api/v1/api-tokens"  # never the query string
    for text in (str(error), repr(error), repr(auth), str(auth), repr(okta), client_logs(caplog)):
        assert secret not in text and "sensitive-search" not in text


def test_ssws_token_validation_does_not_echo_the_token():
    with pytest.raises(CredentialError, match="tenant acme: the API token is empty"):
        SswsAuth("  ", tenant="acme")
    with pytest.raises(CredentialError) as caught:
        SswsAuth("abc def\nInjected: header", tenant="acme")
    assert "abc" not in str(caught.value)
    with pytest.raises(CredentialError, match="without the 'SSWS' prefix"):
        SswsAuth("SSWS 00abc")


async def _json(body, status: int = 200, request_id: str = "req") -> web.Response:
    return okta_json(body, status, request_id=request_id)

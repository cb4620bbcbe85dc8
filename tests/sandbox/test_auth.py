"""Authentication: SSWS with and without the space, 401 E0000011 otherwise; OAuth 2.0 service apps
with private_key_jwt, scope grants and per-route scope enforcement (403 E0000006)."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from remediator.sandbox import Sandbox
from tests.sandbox.fixtures import BOB, CLOCK, OPERATOR, call, client_assertion, rsa_client, small_tenant

CLIENT = "0oaServiceApp0000001"


@pytest.fixture
def oauth() -> Iterator[tuple[Sandbox, str]]:
    client, pem = rsa_client(CLIENT, ["okta.users.read", "okta.users.manage", "okta.logs.read"])
    data = small_tenant()
    data["oauth_clients"] = [client]
    with Sandbox(data, clock=CLOCK) as sandbox:
        yield sandbox, pem


def token_request(sb: Sandbox, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(sb.org_url + "/oauth2/v1/token", data=urllib.parse.urlencode(form).encode(),
                                     method="POST", headers={"Content-Type": "application/x-www-form-urlencoded",
                                                             "Accept": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def form(sb: Sandbox, pem: str, scope: str, **overrides: Any) -> dict[str, str]:
    assertion = client_assertion(CLIENT, pem, overrides.pop("aud", sb.org_url + "/oauth2/v1/token"), **overrides)
    return {"grant_type": "client_credentials", "scope": scope, "client_assertion": assertion,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}


def test_ssws_with_and_without_space() -> None:
    with Sandbox(small_tenant(), clock=CLOCK) as sb:
        assert call(sb, "GET", "/api/v1/users/me", auth=f"SSWS {sb.token}").body["id"] == OPERATOR
        assert call(sb, "GET", "/api/v1/users/me", auth=f"SSWS{sb.token}").body["id"] == OPERATOR
        for bad in (None, "SSWS", f"SSWS {sb.token}x", f"Bearer {sb.token}", "Basic abc"):
            reply = call(sb, "GET", "/api/v1/users", auth=bad)
            assert reply.status == 401, bad
            assert reply.body["errorCode"] == "E0000011"
            assert reply.body["errorSummary"] == "Invalid token provided"


def test_token_given_is_used_and_never_shown() -> None:
    with Sandbox(small_tenant(), clock=CLOCK, token="00" + "a" * 40) as sb:
        assert sb.token == "00" + "a" * 40
        assert sb.token not in repr(sb)
        assert call(sb, "GET", "/api/v1/users/me").status == 200


def test_a_suspended_operator_loses_the_token() -> None:
    data = small_tenant()
    data["users"][0]["status"] = "SUSPENDED"
    with Sandbox(data, clock=CLOCK) as sb:
        assert call(sb, "GET", "/api/v1/users").status == 401


def test_private_key_jwt_token_and_scope_enforcement(oauth: tuple[Sandbox, str]) -> None:
    sb, pem = oauth
    status, body = token_request(sb, form(sb, pem, "okta.users.read okta.users.manage"))
    assert status == 200, body
    assert body["token_type"] == "Bearer" and body["scope"] == "okta.users.read okta.users.manage"
    bearer = f"Bearer {body['access_token']}"
    assert call(sb, "GET", f"/api/v1/users/{BOB}", auth=bearer).status == 200
    denied = call(sb, "GET", "/api/v1/api-tokens", auth=bearer)
    assert denied.status == 403 and denied.body["errorCode"] == "E0000006"
    assert denied.body["errorSummary"] == "You do not have permission to perform the requested action"
    assert call(sb, "GET", "/api/v1/logs", auth=bearer).status == 403  # granted to the app, not requested
    suspended = call(sb, "POST", f"/api/v1/users/{BOB}/lifecycle/suspend", auth=bearer)
    assert suspended.status == 200
    actor = sb.logs[-1]["actor"]
    assert actor["id"] == CLIENT and actor["type"] == "PublicClientApp"
    assert call(sb, "GET", "/api/v1/users/me", auth=bearer).status == 404  # a service app is nobody


def test_manage_scope_implies_read(oauth: tuple[Sandbox, str]) -> None:
    sb, pem = oauth
    _, body = token_request(sb, form(sb, pem, "okta.users.manage"))
    assert call(sb, "GET", "/api/v1/users", auth=f"Bearer {body['access_token']}").status == 200


@pytest.mark.parametrize(("overrides", "error"), [
    ({"aud": "https://elsewhere.okta.com/oauth2/v1/token"}, "invalid_client"),
    ({"lifetime": -120}, "invalid_client"),
    ({"issuer": "0oaSomeoneElse"}, "invalid_client"),
    ({"kid": "unknown-kid"}, "invalid_client"),
])
def test_bad_assertions_are_refused(oauth: tuple[Sandbox, str], overrides: dict[str, Any], error: str) -> None:
    sb, pem = oauth
    status, body = token_request(sb, form(sb, pem, "okta.users.read", **overrides))
    assert (status, body["error"]) == (401, error)


def test_a_signature_from_another_key_is_refused(oauth: tuple[Sandbox, str]) -> None:
    sb, _ = oauth
    _, other_pem = rsa_client(CLIENT, [])
    status, body = token_request(sb, form(sb, other_pem, "okta.users.read"))
    assert (status, body["error"]) == (401, "invalid_client")


def test_scopes_beyond_the_grant_are_invalid_scope(oauth: tuple[Sandbox, str]) -> None:
    sb, pem = oauth
    status, body = token_request(sb, form(sb, pem, "okta.users.read okta.roles.manage"))
    assert (status, body["error"]) == (400, "invalid_scope")
    status, body = token_request(sb, {**form(sb, pem, "okta.users.read"), "grant_type": "password"})
    assert (status, body["error"]) == (400, "unsupported_grant_type")


def test_unknown_bearer_is_401(oauth: tuple[Sandbox, str]) -> None:
    sb, _ = oauth
    assert call(sb, "GET", "/api/v1/users", auth="Bearer not-a-token").status == 401

"""The sandbox can require DPoP per client (issue 10 point 8), answering as Okta's recordings do.

okta-sdk-python tests/integration/cassettes/test_dpop_it: TestDPoPBackwardCompatibility.
test_private_key_auth_without_dpop.yaml (400 invalid_dpop_proof "The DPoP proof JWT header is missing.") and
TestDPoPIntegration.test_dpop_api_request.yaml (400 use_dpop_nonce + dpop-nonce, then token_type DPoP and
`Authorization: DPoP` API calls with a DPoP proof). `dpop_bound_access_tokens` is the app setting in Okta's spec.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from remediator.errors import OktaApiError
from remediator.okta import OktaClient, PrivateKeyAuth
from remediator.okta.auth import DPoPProver
from remediator.sandbox import Sandbox
from tests.sandbox.fixtures import BOB, CLOCK, call, rsa_client, small_tenant
from tests.sandbox.test_auth import form, token_request

CLIENT = "0oaServiceApp0000001"
SCOPES = ["okta.users.read", "okta.users.manage", "okta.logs.read"]


@pytest.fixture
def dpop_sandbox() -> Iterator[tuple[Sandbox, str]]:
    client, pem = rsa_client(CLIENT, SCOPES)
    client["dpop_bound_access_tokens"] = True
    data = small_tenant()
    data["oauth_clients"] = [client]
    with Sandbox(data, clock=CLOCK) as sandbox:
        yield sandbox, pem


def recorded(reference: Path, name: str) -> list[dict[str, Any]]:
    path = reference / "okta-sdk-python/tests/integration/cassettes/test_dpop_it" / name
    return yaml.safe_load(path.read_text())["interactions"]


def test_without_a_proof_the_answer_is_the_recorded_one(dpop_sandbox, reference: Path) -> None:
    sb, pem = dpop_sandbox
    (real,) = recorded(reference, "TestDPoPBackwardCompatibility.test_private_key_auth_without_dpop.yaml")
    status, body = token_request(sb, form(sb, pem, "okta.users.read"))
    assert status == real["response"]["status"]["code"] == 400
    assert body == yaml.safe_load(real["response"]["body"]["string"])


def test_remediator_gets_a_dpop_token_and_uses_it(dpop_sandbox) -> None:
    sb, pem = dpop_sandbox

    async def run() -> tuple[dict[str, Any], str]:
        auth = PrivateKeyAuth(CLIENT, pem, SCOPES, tenant="acme")
        async with OktaClient(sb.org_url, auth, tenant="acme") as okta:
            user = await okta.get_json(f"/api/v1/users/{BOB}")
            await okta.request("POST", f"/api/v1/users/{BOB}/lifecycle/suspend")
            return user, okta.client_id or ""

    before = len(sb.logs)
    user, client_id = asyncio.run(run())
    assert user["id"] == BOB and client_id == CLIENT
    (event,) = sb.logs[before:]
    assert event["eventType"] == "user.lifecycle.suspend" and event["actor"]["id"] == CLIENT


def test_a_dpop_bound_token_is_refused_as_bearer_or_without_a_fresh_proof(dpop_sandbox) -> None:
    sb, pem = dpop_sandbox
    prover = DPoPProver()
    token_url = sb.org_url + "/oauth2/v1/token"

    def dpop_token_request(nonce: str | None) -> tuple[int, dict[str, Any], str]:
        import json
        import urllib.error
        import urllib.parse
        import urllib.request

        data = form(sb, pem, "okta.users.read")
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
                   "DPoP": prover.proof("POST", token_url, nonce=nonce)}
        request = urllib.request.Request(token_url, data=urllib.parse.urlencode(data).encode(), method="POST",
                                         headers=headers)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=30) as response:
                return response.status, json.loads(response.read()), ""
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read()), err.headers.get("DPoP-Nonce", "")

    status, body, nonce = dpop_token_request(None)
    assert (status, body["error"]) == (400, "use_dpop_nonce") and nonce
    status, body, _ = dpop_token_request(nonce)
    assert status == 200 and body["token_type"] == "DPoP"
    token = body["access_token"]
    users = f"{sb.org_url}/api/v1/users/{BOB}"
    as_bearer = call(sb, "GET", users, auth=f"Bearer {token}")
    assert as_bearer.status == 401 and as_bearer.body["errorCode"] == "E0000011"
    no_proof = call(sb, "GET", users, auth=f"DPoP {token}")
    assert no_proof.status == 401
    proof = prover.proof("GET", users, access_token=token)
    assert call(sb, "GET", users, auth=f"DPoP {token}", headers={"DPoP": proof}).status == 200
    replayed = call(sb, "GET", users, auth=f"DPoP {token}", headers={"DPoP": proof})
    assert replayed.status == 401 and "already used" in replayed.headers.get("WWW-Authenticate", "")
    other_key = DPoPProver().proof("GET", users, access_token=token)
    assert call(sb, "GET", users, auth=f"DPoP {token}", headers={"DPoP": other_key}).status == 401
    wrong_url = prover.proof("GET", f"{sb.org_url}/api/v1/users", access_token=token)
    assert call(sb, "GET", users, auth=f"DPoP {token}", headers={"DPoP": wrong_url}).status == 401


def test_clients_without_the_setting_keep_bearer_tokens() -> None:
    client, pem = rsa_client(CLIENT, SCOPES)
    data = small_tenant()
    data["oauth_clients"] = [client]
    with Sandbox(data, clock=CLOCK) as sb:
        status, body = token_request(sb, form(sb, pem, "okta.users.read"))
    assert status == 200 and body["token_type"] == "Bearer"


def test_errors_reach_a_dpop_client_as_okta_s(dpop_sandbox) -> None:
    sb, pem = dpop_sandbox

    async def run() -> None:
        auth = PrivateKeyAuth(CLIENT, pem, SCOPES, tenant="acme")
        async with OktaClient(sb.org_url, auth, tenant="acme") as okta:
            await okta.get_json("/api/v1/users/00unknownUser000001")

    with pytest.raises(OktaApiError) as caught:
        asyncio.run(run())
    assert (caught.value.status, caught.value.error_code) == (404, "E0000007")

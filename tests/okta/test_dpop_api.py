"""DPoP nonces on API calls (the resource server's side), against the one fake transport.

What a resource server may do is RFC 9449 section 9 (https://www.rfc-editor.org/rfc/rfc9449#section-9):
a 401 with `WWW-Authenticate: DPoP error="use_dpop_nonce"` and a `DPoP-Nonce` header refuses the request
unprocessed and asks for the proof again with that nonce; section 8.2: a nonce may also come with any
other answer, for the next request. Okta's guide for DPoP-bound calls to Okta's own APIs (service apps,
`Authorization: DPoP <token>` plus a `DPoP` proof with `ath`, `htm`, `htu`):
https://developer.okta.com/docs/guides/dpop/oktaresourceserver/main/
"""

from __future__ import annotations

import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from remediator.errors import OktaApiError
from remediator.okta import OktaClient, PrivateKeyAuth
from tests.okta.test_dpop import check_proof
from tests.support.okta_server import FakeOkta, okta_json

TOKEN = "dpop-bound-access-token"
NONCE_CHALLENGE = 'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"'


@pytest.fixture(scope="module")
def key_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


async def token_endpoint(request: web.Request) -> web.Response:
    """Okta's token endpoint for an app that requires DPoP (as recorded in tests/okta/test_dpop.py)."""
    if "DPoP" not in request.headers:
        return okta_json({"error": "invalid_dpop_proof",
                          "error_description": "The DPoP proof JWT header is missing."}, 400)
    return okta_json({"token_type": "DPoP", "expires_in": 3600, "access_token": TOKEN, "scope": "okta.users.read"})


def nonce_challenge(nonce: str):
    async def answer(request: web.Request) -> web.Response:
        return okta_json({"error": "use_dpop_nonce", "error_description": "Resource server requires nonce in DPoP "
                          "proof"}, 401, headers={"WWW-Authenticate": NONCE_CHALLENGE, "DPoP-Nonce": nonce})
    return answer


def answer(body, status: int = 200, headers: dict[str, str] | None = None):
    async def reply(request: web.Request) -> web.Response:
        return okta_json(body, status, headers=headers)
    return reply


def sent(server: FakeOkta, method: str, path: str) -> list[dict[str, str]]:
    """The headers of each request the server got for `method path`, in order."""
    return [h for (m, p), h in zip(server.hits, server.headers, strict=True) if (m, p) == (method, path)]


def client(server: FakeOkta, key_pem: bytes) -> OktaClient:
    server.script("POST", "/oauth2/v1/token", token_endpoint)
    auth = PrivateKeyAuth("0oa1serviceapp", key_pem, ("okta.users.read",), tenant="acme")
    return OktaClient(server.url, auth, tenant="acme", pace=False)


async def test_a_nonce_challenge_is_answered_once_with_that_nonce(fake_okta, key_pem) -> None:
    fake_okta.script("GET", "/api/v1/users", nonce_challenge("rs-nonce-1"), answer([{"id": "00u1"}]))
    async with client(fake_okta, key_pem) as okta:
        users = await okta.get_json("/api/v1/users", {"limit": 1})
    assert users == [{"id": "00u1"}]  # the second answer is the one used
    first, second = sent(fake_okta, "GET", "/api/v1/users")
    url = f"{fake_okta.url}/api/v1/users"  # htu without the query
    assert first["Authorization"] == second["Authorization"] == f"DPoP {TOKEN}"
    one = check_proof(first["DPoP"], "GET", url, nonce=None, token=TOKEN)
    two = check_proof(second["DPoP"], "GET", url, nonce="rs-nonce-1", token=TOKEN)
    assert one["jti"] != two["jti"]  # a fresh proof, not the refused one again
    assert fake_okta.count("POST", "/oauth2/v1/token") == 2  # no new token for a nonce


async def test_a_nonce_given_with_a_success_goes_into_the_next_proof(fake_okta, key_pem) -> None:
    fake_okta.script("GET", "/api/v1/groups", answer([], headers={"DPoP-Nonce": "rs-nonce-2"}),
                     answer([], headers={"DPoP-Nonce": "rs-nonce-3"}))
    fake_okta.script("GET", "/api/v1/users", answer([]))
    async with client(fake_okta, key_pem) as okta:
        await okta.get_json("/api/v1/groups")
        await okta.get_json("/api/v1/users")
        await okta.get_json("/api/v1/groups")
        await okta.get_json("/api/v1/users")
    groups, users = sent(fake_okta, "GET", "/api/v1/groups"), sent(fake_okta, "GET", "/api/v1/users")
    check_proof(groups[0]["DPoP"], "GET", f"{fake_okta.url}/api/v1/groups", nonce=None, token=TOKEN)
    check_proof(users[0]["DPoP"], "GET", f"{fake_okta.url}/api/v1/users", nonce="rs-nonce-2", token=TOKEN)
    check_proof(groups[1]["DPoP"], "GET", f"{fake_okta.url}/api/v1/groups", nonce="rs-nonce-2", token=TOKEN)
    check_proof(users[1]["DPoP"], "GET", f"{fake_okta.url}/api/v1/users", nonce="rs-nonce-3", token=TOKEN)
    assert len(users) == len(groups) == 2  # no retries


async def test_a_second_nonce_challenge_is_an_error_not_a_loop(fake_okta, key_pem) -> None:
    fake_okta.script("GET", "/api/v1/users", nonce_challenge("rs-nonce-a"), nonce_challenge("rs-nonce-b"))
    async with client(fake_okta, key_pem) as okta:
        with pytest.raises(OktaApiError) as caught:
            await okta.get_json("/api/v1/users")
    message = str(caught.value)
    assert "acme" in message and "use_dpop_nonce" in message and "\n" not in message, message
    assert TOKEN not in message
    proofs = sent(fake_okta, "GET", "/api/v1/users")
    assert len(proofs) == 2  # sent, re-sent once with the nonce, then given up
    check_proof(proofs[1]["DPoP"], "GET", f"{fake_okta.url}/api/v1/users", nonce="rs-nonce-a", token=TOKEN)
    assert fake_okta.count("POST", "/oauth2/v1/token") == 2  # a nonce problem is not a token problem


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
async def test_a_write_refused_for_a_nonce_is_sent_again_exactly_once(fake_okta, key_pem, method) -> None:
    path = "/api/v1/groups/00g1"
    fake_okta.script(method, path, nonce_challenge("rs-nonce-w"), answer({"id": "00g1"}))
    async with client(fake_okta, key_pem) as okta:
        resp = await okta.request(method, path, json=None if method == "DELETE" else {"profile": {"name": "x"}},
                                  ok=(200,))
    assert resp.body == {"id": "00g1"}
    first, second = sent(fake_okta, method, path)
    check_proof(first["DPoP"], method, f"{fake_okta.url}{path}", nonce=None, token=TOKEN)
    check_proof(second["DPoP"], method, f"{fake_okta.url}{path}", nonce="rs-nonce-w", token=TOKEN)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
async def test_a_write_refused_twice_for_a_nonce_is_not_sent_a_third_time(fake_okta, key_pem, method) -> None:
    path = "/api/v1/groups/00g1"
    fake_okta.script(method, path, nonce_challenge("rs-nonce-x"), nonce_challenge("rs-nonce-y"), answer({}))
    async with client(fake_okta, key_pem) as okta:
        with pytest.raises(OktaApiError, match="acme"):
            await okta.request(method, path, json={"profile": {}}, ok=(200,))
    assert fake_okta.count(method, path) == 2


@pytest.mark.parametrize("challenge", [
    'DPoP error="invalid_dpop_proof", error_description="Invalid DPoP proof"',  # a nonce header, other error
    'DPoP error="invalid_token", error_description="The access token is invalid"',
    "",  # Okta's own E0000011 answer has no challenge
])
async def test_a_write_refused_for_another_reason_is_sent_again_once_with_a_new_token(fake_okta, key_pem,
                                                                                      challenge) -> None:
    """Any other 401 renews the access token (it may have been revoked or expired early) and re-sends the
    request once, a write included: RFC 9110 section 15.5.2, "The 401 (Unauthorized) status code indicates that
    the request has not been applied because it lacks valid authentication credentials"
    (https://www.rfc-editor.org/rfc/rfc9110#section-15.5.2), so nothing was written. Never a third time."""
    path = "/api/v1/groups/00g1/users/00u1"
    headers = {"DPoP-Nonce": "rs-nonce-z", **({"WWW-Authenticate": challenge} if challenge else {})}
    refused = answer({"errorCode": "E0000011", "errorSummary": "Invalid token provided"}, 401, headers=headers)
    fake_okta.script("PUT", path, refused, answer({}, 204))
    async with client(fake_okta, key_pem) as okta:
        tokens_before = fake_okta.count("POST", "/oauth2/v1/token")
        await okta.request("PUT", path, ok=(204,))
        assert fake_okta.count("PUT", path) == 2
        assert fake_okta.count("POST", "/oauth2/v1/token") > tokens_before  # renewed before re-sending
    fake_okta.script("PUT", path, refused, refused, answer({}, 204))
    async with client(fake_okta, key_pem) as okta:
        with pytest.raises(OktaApiError, match="acme"):
            await okta.request("PUT", path, ok=(204,))
    assert fake_okta.count("PUT", path) == 4  # two more: sent, renewed and sent again, then the error

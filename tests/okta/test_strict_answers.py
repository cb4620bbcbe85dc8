"""What counts as an answer (issue 9 points 3, 8, 9, 10; issue 10 points 2 and 5).

- success is the operation's documented status only: a 3xx is never success (the spec documents only
  a 301 for POST /api/v1/org/privacy/oktaSupport/revoke), nor an undocumented 2xx;
- a success body is the JSON the operation returns: empty, HTML, not JSON (a 5,000-digit integer
  included) or the wrong shape is an error naming the tenant, never "no data";
- a credential a server echoes is redacted before any text leaves the client;
- `next` links may go to the org's own -admin host (real /api/v1/iam/* recordings), nowhere else;
- a tenant that never answers fails within the time limits, and then fails at once.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from aiohttp import web
from yarl import URL

from remediator.errors import OktaApiError, OktaResponseError, OktaTransportError
from remediator.okta import OktaClient, SswsAuth
from remediator.okta.client import DEFAULT_TIMEOUT, MAX_TIMEOUTS, admin_origin
from remediator.okta.retry import SAFE, Backoff, success_statuses
from tests.conftest import REFERENCE
from tests.okta.conftest import replay
from tests.support import FakeClock
from tests.support.okta_server import hang_until_stopped, okta_json

SPEC = REFERENCE / "okta-management-openapi-spec" / "dist" / "current" / "management-minimal.yaml"
TOKEN = "00aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcd"


def client(clock: FakeClock, org: str, **options: object) -> OktaClient:
    return OktaClient(org, SswsAuth(TOKEN), tenant="acme", **clock.client_options(), **options)


# -- documented success, checked against the spec ---------------------------------------------

def _writes() -> list:
    from remediator.facts import endpoints

    return [e for e in endpoints.catalogue() if e.method not in SAFE and e is not endpoints.REVOKE_SUPPORT]


@pytest.fixture(scope="module")
def spec_paths() -> dict:
    if not SPEC.is_file():
        pytest.skip("../shared/okta-reference is not beside the repository")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC.open() as fh:
        return yaml.load(fh, Loader=loader)["paths"]


@pytest.mark.parametrize("endpoint", _writes(), ids=lambda e: f"{e.method} {e.template}")
def test_every_write_s_success_is_the_spec_s(spec_paths: dict, endpoint) -> None:
    """okta-management-openapi-spec dist/current/management-minimal.yaml: each write operation's 2xx/3xx is
    exactly what the client accepts for it (the endpoint's `ok`, else the method's usual success)."""
    responses = spec_paths[endpoint.template][endpoint.method.lower()]["responses"]
    documented = tuple(sorted(int(code) for code in responses if code[0] in "23"))
    assert success_statuses(endpoint.method, endpoint.ok) == documented


def test_the_spec_documents_only_a_301_for_the_retired_revoke(spec_paths: dict) -> None:
    responses = spec_paths["/api/v1/org/privacy/oktaSupport/revoke"]["post"]["responses"]
    assert [code for code in responses if code[0] in "23"] == ["301"]


async def test_a_301_on_the_retired_revoke_is_an_error_never_success(fake_okta) -> None:
    """The spec's only answer for the retired revoke (management-minimal.yaml, `'301': Moved Permanently`)."""
    path = "/api/v1/org/privacy/oktaSupport/revoke"
    fake_okta.script("POST", path, lambda r: _answer(b"", 301, headers={"Location": "https://acme.okta.com/"}))
    rechecked = []

    async def recheck():
        rechecked.append(1)
        return None

    clock = FakeClock()
    async with client(clock, fake_okta.url) as okta:
        with pytest.raises(OktaResponseError, match=r"^acme: POST /api/v1/org/privacy/oktaSupport/revoke -> HTTP 301"):
            await okta.request("POST", path, recheck=recheck)
    assert fake_okta.count("POST", path) == 1 and rechecked == []


async def test_an_undocumented_2xx_is_an_error(fake_okta) -> None:
    path = "/api/v1/users/00u1/sessions"
    fake_okta.script("DELETE", path, lambda r: _json({"ok": True}, 200))
    async with client(FakeClock(), fake_okta.url) as okta:
        with pytest.raises(OktaResponseError, match=r"documented success \(204\)"):
            await okta.request("DELETE", path)


# -- bodies ---------------------------------------------------------------------------------

async def _json(body: object, status: int = 200) -> web.Response:
    return okta_json(body, status)


async def _answer(body: bytes, status: int = 200, content_type: str = "application/json",
                  headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=body, content_type=content_type, headers=headers)


BAD_BODIES = {
    "empty": (b"", "application/json", "an empty body"),
    "whitespace": (b"  \n", "application/json", "an empty body"),
    "truncated": (b'[{"id": "00u1", "status": ', "application/json", "not JSON"),
    "html login page": (b"<!DOCTYPE html><html><title>Sign In</title></html>", "text/html", "an HTML page"),
    "html with a json content type": (b"<html><body>proxy</body></html>", "application/json", "an HTML page"),
    "5000-digit integer": (b'[{"id": ' + b"9" * 5000 + b"}]", "application/json", "not JSON"),
    "null": (b"null", "application/json", "the body is null"),
    "object for a list": (b'{"id": "00u1"}', "application/json", "the body is an object, not the list"),
    "string": (b'"ok"', "application/json", "the body is a JSON str"),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
async def test_a_broken_success_body_is_an_error_naming_the_tenant(fake_okta, case: str) -> None:
    body, content_type, said = BAD_BODIES[case]
    fake_okta.script("GET", "/api/v1/users", lambda r: _answer(body, content_type=content_type))
    async with client(FakeClock(), fake_okta.url) as okta:
        with pytest.raises(OktaResponseError) as caught:
            [u async for u in okta.paginate("/api/v1/users")]
    text = str(caught.value)
    assert text.startswith("acme: GET /api/v1/users -> HTTP 200: ") and said in text
    assert "\n" not in text and len(text) < 400


async def test_get_json_refuses_the_wrong_shape_when_told_the_shape(fake_okta) -> None:
    fake_okta.script("GET", "/api/v1/users/00u1/roles", lambda r: _json({"roles": []}))
    async with client(FakeClock(), fake_okta.url) as okta:
        with pytest.raises(OktaResponseError, match="not the list this call returns"):
            await okta.get_json("/api/v1/users/00u1/roles", expect=list)
        with pytest.raises(OktaResponseError, match="an empty body"):
            fake_okta.script("GET", "/api/v1/users/me", lambda r: _answer(b""))
            await okta.get_json("/api/v1/users/me")


# -- secrets a server echoes ------------------------------------------------------------------

async def _echo_authorization(request: web.Request) -> web.Response:
    echoed = request.headers["Authorization"]
    return okta_json({"errorCode": "E0000001", "errorSummary": f"Api validation failed: header {echoed}",
                      "errorId": echoed, "errorCauses": [{"errorSummary": f"bad {echoed}"}]}, 400)


async def test_an_echoed_token_is_redacted_from_every_error_text(fake_okta) -> None:
    fake_okta.script("POST", "/api/v1/users/00u1/lifecycle/suspend", _echo_authorization)
    async with client(FakeClock(), fake_okta.url) as okta:
        with pytest.raises(OktaApiError) as caught:
            await okta.request("POST", "/api/v1/users/00u1/lifecycle/suspend")
    error = caught.value
    texts = [str(error), repr(error), error.error_summary or "", error.error_id or "", *error.error_causes]
    assert TOKEN in fake_okta.headers[-1]["Authorization"]  # it really was sent, and echoed
    assert all(TOKEN not in t for t in texts)
    assert "<redacted>" in str(error)


async def test_an_echoed_token_is_redacted_from_a_success_body(fake_okta) -> None:
    async def echo(request: web.Request) -> web.Response:
        return okta_json({"id": "00u1", "profile": {"nickName": request.headers["Authorization"]}})

    fake_okta.script("GET", "/api/v1/users/00u1", echo)
    async with client(FakeClock(), fake_okta.url) as okta:
        user = await okta.get_json("/api/v1/users/00u1")
    assert TOKEN not in json.dumps(user) and user["profile"]["nickName"] == "SSWS <redacted>"


def test_credential_shapes_are_redacted_even_when_never_sent() -> None:
    from remediator.okta.redact import redact_shapes

    text = redact_shapes("saw Authorization: Bearer abcdefgh12345678 and DPoP eyJhbGciOi.eyJzdWIiOi.c2ln")
    assert "abcdefgh12345678" not in text and "eyJzdWIiOi" not in text


# -- the org's -admin host ------------------------------------------------------------------

def test_the_admin_host_is_only_the_org_s_own() -> None:
    assert admin_origin(URL("https://acme.okta.com")) == URL("https://acme-admin.okta.com")
    assert admin_origin(URL("https://acme.oktapreview.com")) == URL("https://acme-admin.oktapreview.com")
    assert admin_origin(URL("https://login.acme.com")) is None  # a custom domain: no sibling host trusted
    assert admin_origin(URL("http://127.0.0.1:8080")) is None


async def test_next_links_to_the_org_s_admin_host_are_followed_and_no_other(own_cassette, clock) -> None:
    """tests/okta/cassettes/iam_next_admin_host.yaml, built on the real recording named in it."""
    with replay(own_cassette("iam_next_admin_host.yaml")) as cassette:
        async with client(clock, "https://test.okta.com") as okta:
            seen = []
            with pytest.raises(OktaTransportError, match=r"refusing to follow a link to https://test-admin\.okta"
                                                         r"\.com\.evil\.example"):
                async for admin in okta.paginate("/api/v1/iam/assignees/users", {"limit": 1}):
                    seen.append(admin["id"])
            assert cassette.all_played
    assert seen == ["00u1", "00u2"]


def test_the_recording_shows_iam_links_on_the_admin_host(reference: Path) -> None:
    recorded = (reference / "okta-sdk-python/tests/integration/cassettes/test_role_api_it/"
                "TestRoleAPIResource.test_list_roles.yaml").read_text()
    assert "uri: https://test.okta.com/api/v1/iam/roles" in recorded
    assert re.search(r'"href":"https://test-admin\.okta\.com/api/v1/iam/roles"', recorded)


# -- time limits -----------------------------------------------------------------------------

def test_the_defaults_fail_a_dead_tenant_in_under_a_minute() -> None:
    """MAX_TIMEOUTS attempts of DEFAULT_TIMEOUT each, and the backoffs between them at their ceiling."""
    backoff = Backoff()
    worst = MAX_TIMEOUTS * DEFAULT_TIMEOUT + sum(backoff.ceiling(a) for a in range(MAX_TIMEOUTS - 1))
    assert worst < 60


async def test_a_tenant_that_never_answers_fails_after_two_timeouts_then_at_once(fake_okta) -> None:
    fake_okta.script("GET", "/api/v1/users", hang_until_stopped(fake_okta))
    clock = FakeClock()
    async with client(clock, fake_okta.url, timeout=0.2) as okta:
        with pytest.raises(OktaTransportError, match=r"did not answer GET /api/v1/users within 0\.2 s, 2 times"):
            await okta.get_json("/api/v1/users")
        with pytest.raises(OktaTransportError, match="not sent: the tenant did not answer"):
            await okta.get_json("/api/v1/groups")
    assert fake_okta.count("GET", "/api/v1/users") == 2
    assert fake_okta.count("GET", "/api/v1/groups") == 0


async def test_the_tenant_deadline_stops_retries(fake_okta) -> None:
    fake_okta.script("GET", "/api/v1/users", lambda r: _json({"errorCode": "E0000009"}, 500))
    clock = FakeClock()
    async with client(clock, fake_okta.url, deadline=2.0, max_retries=50, rng=lambda low, high: high) as okta:
        with pytest.raises(OktaTransportError, match=r"deadline of 2 s would pass"):
            await okta.get_json("/api/v1/users")
    assert sum(clock.sleeps) <= 2.0


@pytest.mark.parametrize(("option", "value"), [("timeout", 0), ("timeout", -1), ("deadline", 0)])
def test_time_limits_must_be_positive(option: str, value: float) -> None:
    from remediator.errors import InputError

    with pytest.raises(InputError, match=f"--{option}"):
        OktaClient("https://acme.okta.com", SswsAuth(TOKEN), tenant="acme", **{option: value})


# -- one send per write ----------------------------------------------------------------------

@pytest.mark.parametrize("method", ["DELETE", "PUT", "POST"])
async def test_a_write_on_a_kept_alive_connection_that_drops_is_sent_once(fake_okta, method: str) -> None:
    """aiohttp resends a PUT/DELETE once when a reused connection drops; that resend is off."""
    from tests.support.okta_server import drop_connection

    fake_okta.script("GET", "/api/v1/users/00u1", lambda r: _json({"id": "00u1"}))
    fake_okta.script(method, "/api/v1/users/00u1/sessions", drop_connection)
    async with client(FakeClock(), fake_okta.url) as okta:
        await okta.get_json("/api/v1/users/00u1")  # the connection is now pooled and reused
        with pytest.raises(OktaTransportError, match="may have reached Okta"):
            await okta.request(method, "/api/v1/users/00u1/sessions", json={} if method == "PUT" else None)
    assert fake_okta.count(method, "/api/v1/users/00u1/sessions") == 1

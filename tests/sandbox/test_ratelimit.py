"""Okta's rate limits in the sandbox: bucket mapping, window maths, headers, 429s, concurrency cap."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
import urllib.request
from email.utils import parsedate_to_datetime
from types import SimpleNamespace

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from remediator.sandbox import Sandbox
from remediator.sandbox.ratelimit import (
    CONCURRENCY_LIMIT,
    PER_MINUTE,
    RateLimiter,
    bucket_for,
    ratelimit_middleware,
)
from tests.sandbox import fixtures
from tests.support import FakeClock

# Okta's own mapping (terraform-provider-okta rate_limit_lines.go), for the routes the sandbox serves.
MAPPING = [
    ("GET", "/api/v1/users", "users"),
    ("POST", "/api/v1/users", "users"),
    ("GET", "/api/v1/users/00u1abc/factors", "users"),
    ("DELETE", "/api/v1/users/00u1abc/factors/ufs1", "users"),
    ("GET", "/api/v1/users/00u1abc/roles", "users"),
    ("DELETE", "/api/v1/users/00u1abc/roles/ra1", "users"),
    ("POST", "/api/v1/users/00u1abc/lifecycle/suspend", "users"),
    ("POST", "/api/v1/users/00u1abc/lifecycle/reset_password", "users"),
    ("DELETE", "/api/v1/users/00u1abc/sessions", "users"),
    ("GET", "/api/v1/users/00u1abc/authenticator-enrollments", "users"),
    ("GET", "/api/v1/users/00u1abc", "user_by_id"),
    ("GET", "/api/v1/users/someone@example.com", "user_by_id"),
    ("GET", "/api/v1/users/me", "user_me"),
    ("DELETE", "/api/v1/users/00u1abc", "user_write"),
    ("GET", "/api/v1/logs", "logs"),
    ("GET", "/api/v1/iam/assignees/users", "iam"),
    ("GET", "/api/v1/groups", "groups"),
    ("GET", "/api/v1/groups/00g1/roles", "groups"),
    ("GET", "/api/v1/groups/00g1/users", "groups"),
    ("DELETE", "/api/v1/groups/00g1/roles/ra1", "groups"),
    ("GET", "/api/v1/groups/00g1", "group_by_id"),
    ("GET", "/api/v1/api-tokens", "catch_all"),
    ("DELETE", "/api/v1/api-tokens/00T1", "catch_all"),
    ("GET", "/api/v1/policies", "catch_all"),
    ("PUT", "/api/v1/policies/00p1/rules/0pr1", "catch_all"),
    ("GET", "/api/v1/idps", "catch_all"),
    ("POST", "/api/v1/idps/0oa1/lifecycle/deactivate", "catch_all"),
    ("GET", "/api/v1/org/privacy/oktaSupport", "catch_all"),
    ("PATCH", "/api/v1/org/privacy/oktaSupport/cases/123", "catch_all"),
    ("POST", "/oauth2/v1/token", "oauth2_token"),
]


@pytest.mark.parametrize(("method", "path", "bucket"), MAPPING)
def test_bucket_mapping_is_oktas(method: str, path: str, bucket: str) -> None:
    assert bucket_for(method, path) == bucket


def test_published_limits() -> None:
    ent, wf = PER_MINUTE["enterprise"], PER_MINUTE["workforce"]
    assert (ent["users"], ent["user_by_id"], ent["logs"], ent["catch_all"]) == (600, 1000, 50, 600)
    assert (wf["users"], wf["user_by_id"], wf["logs"], wf["catch_all"]) == (600, 2000, 120, 1200)
    assert set(ent) == set(wf)


def test_token_gets_half_a_bucket_and_remaining_counts_down() -> None:
    clock = FakeClock(1_000_000.25)
    limiter = RateLimiter("enterprise", now=clock)
    share = PER_MINUTE["enterprise"]["users"] // 2
    seen = [limiter.check("users", "SSWStoken") for _ in range(share)]
    assert all(d.allowed for d in seen)
    assert [d.remaining for d in seen] == list(range(share - 1, -1, -1))
    assert {d.limit for d in seen} == {share}
    # Reset is fixed for the window and the window starts at the first request, not at a clock minute.
    assert {d.reset for d in seen} == {1_000_061}
    refused = limiter.check("users", "SSWStoken")
    assert (refused.allowed, refused.remaining, refused.reset) == (False, 0, 1_000_061)


def test_window_reopens_after_reset() -> None:
    clock = FakeClock(500.5)
    limiter = RateLimiter("enterprise", now=clock)
    for _ in range(25):
        assert limiter.check("logs", "a").allowed
    assert not limiter.check("logs", "a").allowed
    clock.advance_to(560.4)
    assert not limiter.check("logs", "a").allowed
    clock.advance_to(560.5)
    fresh = limiter.check("logs", "a")
    assert fresh.allowed and fresh.remaining == 24 and fresh.reset == 621


def test_org_total_caps_all_tokens_together() -> None:
    limiter = RateLimiter("enterprise", now=FakeClock(0.0))
    for token in ("a", "b"):
        for _ in range(25):
            assert limiter.check("logs", token).allowed
        assert not limiter.check("logs", token).allowed
    # Two tokens used the whole bucket (50): a third token gets nothing this window.
    assert not limiter.check("logs", "c").allowed


def test_buckets_are_independent() -> None:
    limiter = RateLimiter("enterprise", now=FakeClock(0.0))
    for _ in range(300):
        limiter.check("users", "a")
    assert not limiter.check("users", "a").allowed
    for bucket in ("user_by_id", "logs", "iam", "catch_all", "groups"):
        assert limiter.check(bucket, "a").allowed, bucket


def test_time_scale_shortens_the_window_in_headers_and_enforcement() -> None:
    clock = FakeClock(100.0)
    limiter = RateLimiter("workforce", time_scale=60.0, now=clock)
    first = limiter.check("logs", "a")
    assert first.reset == 101  # one scaled minute = one second, in tenant seconds
    for _ in range(59):
        limiter.check("logs", "a")
    assert not limiter.check("logs", "a").allowed
    clock.advance_to(101.0)
    assert limiter.check("logs", "a").allowed


def test_off_never_refuses_and_never_asks_to_slow_down() -> None:
    limiter = RateLimiter("off", now=FakeClock(10.0))
    decisions = [limiter.check("logs", "a") for _ in range(1000)]
    assert all(d.allowed for d in decisions)
    assert {(d.limit, d.remaining, d.reset) for d in decisions} == {(25, 24, 70)}


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="enterprise"):
        RateLimiter("premium")
    with pytest.raises(ValueError, match="time scale"):
        RateLimiter("enterprise", time_scale=0)


# --- the middleware on the wire -------------------------------------------------------------------


async def _serve(middleware: object, handler: object) -> TestServer:
    app = web.Application(middlewares=[middleware])
    app.router.add_route("*", "/{tail:.*}", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


async def _ok(request: web.Request) -> web.Response:
    return web.json_response({"path": request.path})


def _header_seconds(resp: aiohttp.ClientResponse) -> tuple[int, int]:
    date = int(parsedate_to_datetime(resp.headers["Date"]).timestamp())
    return date, int(resp.headers["X-Rate-Limit-Reset"])


async def test_burst_gets_429_and_honouring_reset_succeeds() -> None:
    config = SimpleNamespace(rate_limits="enterprise", time_scale=600.0, clock="2022-03-22T12:00:00Z")
    clock = FakeClock(wall=1647950400.0)  # the tenant's clock: 2022-03-22T12:00:00Z, moved only by the test
    server = await _serve(ratelimit_middleware(config, now=clock.wall), _ok)
    headers = {"Authorization": "SSWS t0ken"}
    try:
        async with aiohttp.ClientSession(headers=headers) as session:
            url = server.make_url("/api/v1/logs")
            statuses = []
            for _ in range(26):
                async with session.get(url) as resp:
                    statuses.append(resp.status)
                    last, body = resp, await resp.json()
            assert statuses == [200] * 25 + [429]
            assert body["errorCode"] == "E0000047" and body["errorSummary"].startswith("API call exceeded")
            assert set(body) == {"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}
            assert last.headers["X-Rate-Limit-Limit"] == "25" and last.headers["X-Rate-Limit-Remaining"] == "0"
            assert last.headers["x-okta-request-id"]
            date, reset = _header_seconds(last)
            # Headers are in the tenant's clock (2022), not the machine's.
            assert abs(date - 1647950400) < 600
            wait = reset - date
            assert 1 <= wait <= 2
            clock.advance(wait)  # honouring the Reset, as a client must (on the tenant's clock: no real wait)
            async with session.get(url) as resp:
                assert resp.status == 200
                assert resp.headers["X-Rate-Limit-Remaining"] == "24"
                assert int(resp.headers["X-Rate-Limit-Reset"]) > reset - 1
    finally:
        await server.close()


async def test_every_response_carries_rate_limit_headers_even_errors_and_off() -> None:
    async def not_found(request: web.Request) -> web.Response:
        raise web.HTTPNotFound(text="{}", content_type="application/json")

    for plan in ("off", "workforce"):
        config = SimpleNamespace(rate_limits=plan, time_scale=1.0, clock=None)
        server = await _serve(ratelimit_middleware(config), not_found)
        try:
            async with aiohttp.ClientSession() as session, session.get(server.make_url("/api/v1/users/00u1")) as resp:
                assert resp.status == 404
                limit = int(resp.headers["X-Rate-Limit-Limit"])
                assert limit == PER_MINUTE["workforce" if plan == "workforce" else "enterprise"]["user_by_id"] // 2
                assert int(resp.headers["X-Rate-Limit-Remaining"]) == limit - 1
                date, reset = _header_seconds(resp)
                assert abs(date - time.time()) < 5
                assert 59 <= reset - date <= 61
        finally:
            await server.close()


async def test_token_share_is_per_token() -> None:
    config = SimpleNamespace(rate_limits="enterprise", time_scale=1.0, clock=None)
    server = await _serve(ratelimit_middleware(config), _ok)
    try:
        async with aiohttp.ClientSession() as session:
            url = server.make_url("/api/v1/logs")

            async def burst(auth: str, n: int) -> list[int]:
                out = []
                for _ in range(n):
                    async with session.get(url, headers={"Authorization": auth}) as resp:
                        out.append(resp.status)
                return out

            assert await burst("SSWS one", 26) == [200] * 25 + [429]
            # "SSWSone" is the same token (the okta SDK omits the space): still limited.
            assert await burst("SSWSone", 1) == [429]
            assert await burst("SSWS two", 26) == [200] * 25 + [429]
            assert await burst("SSWS three", 1) == [429]  # the org's 50 are used up
    finally:
        await server.close()


async def test_concurrency_cap_75_in_flight() -> None:
    release = asyncio.Event()
    entered = 0

    async def slow(request: web.Request) -> web.Response:
        nonlocal entered
        entered += 1
        await release.wait()
        return web.json_response({})

    config = SimpleNamespace(rate_limits="workforce", time_scale=1.0, clock=None)
    server = await _serve(ratelimit_middleware(config), slow)
    connector = aiohttp.TCPConnector(limit=200)
    try:
        async with aiohttp.ClientSession(connector=connector) as session:
            # Spread over buckets so no per-minute limit is involved, only concurrency.
            paths = [f"/api/v1/users/00u{i}" for i in range(CONCURRENCY_LIMIT)]

            async def call(path: str) -> int:
                async with session.get(server.make_url(path)) as resp:
                    return resp.status

            tasks = [asyncio.create_task(call(p)) for p in paths]
            deadline = time.monotonic() + 5
            while entered < CONCURRENCY_LIMIT and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            assert entered == CONCURRENCY_LIMIT
            async with session.get(server.make_url("/api/v1/policies")) as resp:
                assert resp.status == 429
                assert (await resp.json())["errorCode"] == "E0000047"
                assert resp.headers["X-Rate-Limit-Limit"] == "0"
                assert resp.headers["X-Rate-Limit-Remaining"] == "0"
            release.set()
            assert await asyncio.gather(*tasks) == [200] * CONCURRENCY_LIMIT
            async with session.get(server.make_url("/api/v1/policies")) as resp:
                assert resp.status == 200
    finally:
        release.set()
        await server.close()


async def test_errors_raised_by_handlers_carry_the_headers_this_request_earned() -> None:
    """The sandbox renders its Okta errors outside this middleware, from the exception's headers."""

    class OktaError(Exception):
        def __init__(self) -> None:
            super().__init__("404")
            self.headers: dict[str, str] = {}

    @web.middleware
    async def render(request: web.Request, handler: object) -> web.StreamResponse:
        try:
            return await handler(request)  # type: ignore[operator]
        except OktaError as err:
            return web.json_response({"errorCode": "E0000007"}, status=404, headers=err.headers)

    async def missing(request: web.Request) -> web.Response:
        raise OktaError

    config = SimpleNamespace(rate_limits="enterprise", time_scale=1.0, clock=None)
    app = web.Application(middlewares=[render, ratelimit_middleware(config)])
    app.router.add_get("/{tail:.*}", missing)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            for remaining in (299, 298):
                async with session.get(server.make_url("/api/v1/users/00u1/factors")) as resp:
                    assert resp.status == 404
                    assert resp.headers["X-Rate-Limit-Limit"] == "300"
                    assert resp.headers["X-Rate-Limit-Remaining"] == str(remaining)
    finally:
        await server.close()


# --- through a whole sandbox tenant -----------------------------------------------------------------


def _limits(reply: fixtures.Reply) -> tuple[int, int]:
    return int(reply.headers["X-Rate-Limit-Limit"]), int(reply.headers["X-Rate-Limit-Remaining"])


def test_sandbox_factors_roles_lifecycle_and_sessions_share_the_users_bucket() -> None:
    with Sandbox(fixtures.small_tenant(), rate_limits="enterprise") as sb:
        bob, carol = fixtures.BOB, fixtures.CAROL
        shared = [("GET", "/api/v1/users"), ("GET", f"/api/v1/users/{bob}/factors"),
                  ("GET", f"/api/v1/users/{bob}/roles"), ("POST", f"/api/v1/users/{carol}/lifecycle/suspend"),
                  ("DELETE", f"/api/v1/users/{carol}/sessions")]
        seen = [_limits(fixtures.call(sb, method, path)) for method, path in shared]
        assert seen == [(300, 299), (300, 298), (300, 297), (300, 296), (300, 295)]
        # Buckets of their own, each counting from its start.
        assert _limits(fixtures.call(sb, "GET", f"/api/v1/users/{bob}")) == (500, 499)
        assert _limits(fixtures.call(sb, "GET", "/api/v1/users/me")) == (500, 499)
        assert _limits(fixtures.call(sb, "GET", "/api/v1/logs")) == (25, 24)
        assert _limits(fixtures.call(sb, "GET", "/api/v1/iam/assignees/users")) == (100, 99)
        assert _limits(fixtures.call(sb, "GET", "/api/v1/groups")) == (250, 249)
        assert _limits(fixtures.call(sb, "GET", "/api/v1/api-tokens")) == (300, 299)
        assert _limits(fixtures.call(sb, "GET", "/api/v1/policies?type=OKTA_SIGN_ON")) == (300, 298)
        # A 404 still counts and still carries the headers.
        missing = fixtures.call(sb, "GET", "/api/v1/users/00uNOPEnopeNOPEnope1/factors")
        assert missing.status == 404 and _limits(missing) == (300, 294)


def test_sandbox_burst_gets_429_and_honouring_reset_succeeds() -> None:
    with Sandbox(fixtures.small_tenant(), rate_limits="enterprise", time_scale=60.0,
                 clock="2022-03-22T12:00:00Z") as sb:
        statuses = [fixtures.call(sb, "GET", "/api/v1/logs?limit=1").status for _ in range(25)]
        refused = fixtures.call(sb, "GET", "/api/v1/logs?limit=1")
        assert statuses == [200] * 25 and refused.status == 429
        assert refused.body["errorCode"] == "E0000047"
        assert _limits(refused) == (25, 0) and refused.headers["x-okta-request-id"]
        # The users bucket is untouched by the logs burst.
        assert fixtures.call(sb, "GET", "/api/v1/users?limit=1").status == 200
        date = int(parsedate_to_datetime(refused.headers["Date"]).timestamp())
        reset = int(refused.headers["X-Rate-Limit-Reset"])
        assert abs(date - 1647950400) < 60  # the tenant's clock, not the machine's
        assert 1 <= reset - date <= 2  # a scaled minute is one second
        sb.advance(reset - date)  # honouring Reset - Date, as a client does: on the tenant's clock, no real wait
        again = fixtures.call(sb, "GET", "/api/v1/logs?limit=1")
        assert again.status == 200 and _limits(again) == (25, 24)


def test_sandbox_oauth_tokens_of_one_app_share_its_half() -> None:
    client, pem = fixtures.rsa_client("0oaRateLimitedApp01", ["okta.logs.read"])
    data = fixtures.small_tenant()
    data["oauth_clients"] = [client]
    with Sandbox(data, rate_limits="enterprise") as sb:
        tokens = []
        for lifetime in (300, 301):  # two assertions, two access tokens of the same app
            assertion = fixtures.client_assertion(client["client_id"], pem, sb.org_url + "/oauth2/v1/token",
                                                  lifetime=lifetime)
            form = urllib.parse.urlencode({
                "grant_type": "client_credentials", "scope": "okta.logs.read", "client_assertion": assertion,
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}).encode()
            request = urllib.request.Request(sb.org_url + "/oauth2/v1/token", data=form, method="POST")
            with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=30) as resp:
                tokens.append(json.loads(resp.read())["access_token"])
        assert tokens[0] != tokens[1]
        statuses = [fixtures.call(sb, "GET", "/api/v1/logs", auth=f"Bearer {tokens[i % 2]}").status
                    for i in range(26)]
        assert statuses == [200] * 25 + [429]
        # The SSWS token is another client: it has its own half.
        assert fixtures.call(sb, "GET", "/api/v1/logs").status == 200

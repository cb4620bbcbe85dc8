"""Exact request sequences: our own cassettes, and a scripted local Okta for broken connections."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from remediator.errors import OktaApiError, OktaTransportError
from remediator.okta import OktaClient, OktaResponse, SswsAuth
from tests.okta.conftest import replay
from tests.support import FakeClock
from tests.support.okta_server import drop_connection, hang_until_stopped, okta_json

ORG = "https://acme.okta.com"


def client(clock: FakeClock, org: str = ORG, **options: object) -> OktaClient:
    return OktaClient(org, SswsAuth("placeholder-token"), tenant="acme", **clock.client_options(), **options)


# -- paging ---------------------------------------------------------------------------------

async def test_three_pages_through_two_link_header_lines(own_cassette, clock):
    with replay(own_cassette("users_three_pages.yaml")) as cassette:
        async with client(clock) as okta:
            pages = [page async for page in okta.pages("/api/v1/users", {"limit": 2})]
            assert cassette.all_played
    assert [[u["id"] for u in p.body] for p in pages] == [["00u1", "00u2"], ["00u3", "00u4"], ["00u5"]]
    assert [p.request_id for p in pages] == ["req-page-1", "req-page-2", "req-page-3"]
    assert len(pages[0].headers.getall("Link")) == 2  # self and next on separate lines, next last
    assert pages[0].next_url == f"{ORG}/api/v1/users?after=00u2&limit=2"
    assert pages[2].next_url is None
    assert pages[-1].next_url is None
    assert okta.stats.calls == {"users": 3}
    assert clock.sleeps == []  # 297 of 300 left: no reason to wait


async def test_paginate_yields_every_item(own_cassette, clock):
    with replay(own_cassette("users_three_pages.yaml")):
        async with client(clock) as okta:
            ids = [u["id"] async for u in okta.paginate("/api/v1/users", {"limit": 2})]
    assert ids == ["00u1", "00u2", "00u3", "00u4", "00u5"]


async def test_iam_assignees_page_in_the_body(own_cassette, clock):
    with replay(own_cassette("iam_assignees_body_paging.yaml")) as cassette:
        async with client(clock) as okta:
            ids = [a["id"] async for a in okta.paginate("/api/v1/iam/assignees/users", {"limit": 2})]
            assert cassette.all_played
    assert ids == ["00u1", "00u2", "00u3"]
    assert okta.stats.calls == {"iam": 2}


async def test_log_polling_stops_at_first_empty_page_and_keeps_the_cursor(own_cassette, clock):
    params = {"since": "2022-01-21T00:00:00.000Z", "sortOrder": "ASCENDING", "limit": 2}
    with replay(own_cassette("logs_polling.yaml")) as cassette:
        async with client(clock) as okta:
            pages = [p async for p in okta.pages("/api/v1/logs", params, stop_on_empty=True)]
            assert cassette.all_played
    assert [len(p.body) for p in pages] == [2, 1, 0]
    # the empty page's `next` link is the cursor to resume from
    assert pages[-1].next_url == f"{ORG}/api/v1/logs?after=1642723203000_1&limit=2&sortOrder=ASCENDING"


async def test_next_link_to_another_host_is_refused(own_cassette, clock):
    with replay(own_cassette("foreign_next_link.yaml")) as cassette:
        async with client(clock) as okta:
            with pytest.raises(OktaTransportError, match=r"refusing to follow a link to https://evil\.example\.com"):
                [u async for u in okta.paginate("/api/v1/users", {"limit": 1})]
        assert cassette.play_count == 1
    assert okta.stats.requests == 1


# -- retries and rate limits -------------------------------------------------------------------

async def test_get_retried_after_503(own_cassette, clock):
    with replay(own_cassette("retry_503_then_ok.yaml")) as cassette:
        async with client(clock, rng=lambda low, high: high) as okta:
            body = await okta.get_json("/api/v1/org/privacy/oktaSupport")
            assert cassette.all_played
    assert body["support"] == "ENABLED"
    assert okta.stats.retries == 1 and okta.stats.requests == 2
    assert clock.sleeps == [0.5]  # first backoff: full jitter over [0, 0.5]


async def test_429_waits_reset_minus_date_then_succeeds(own_cassette, clock):
    """Server clock in 2022, local clock now: the wait is Reset - Date (42 s) plus jitter."""
    with replay(own_cassette("throttled_429_then_ok.yaml")) as cassette:
        async with client(clock) as okta:
            user = await okta.get_json("/api/v1/users/00u1")
            assert cassette.all_played
    assert user["id"] == "00u1"
    assert okta.stats.throttled == 1 and okta.stats.retries == 1
    (wait,) = clock.sleeps
    assert 42.0 <= wait <= 42.5
    assert okta.server_now().year == 2022  # the tenant's clock, from the Date header


async def test_post_503_without_recheck_is_not_retried(own_cassette, clock):
    with replay(own_cassette("post_503.yaml")) as cassette:
        async with client(clock) as okta:
            with pytest.raises(OktaApiError) as caught:
                await okta.request("POST", "/api/v1/org/privacy/oktaSupport/revoke")
        assert cassette.play_count == 1
    assert (caught.value.status, caught.value.error_code, caught.value.request_id) == (503, "E0000009", "req-503")


async def test_post_503_recheck_not_in_effect_then_retried(own_cassette, clock):
    rechecks = []

    async def recheck() -> OktaResponse | None:
        rechecks.append(1)
        return None

    with replay(own_cassette("post_503.yaml")) as cassette:
        async with client(clock) as okta:
            resp = await okta.request("POST", "/api/v1/org/privacy/oktaSupport/revoke", recheck=recheck)
            assert cassette.all_played
    assert resp.body["support"] == "DISABLED"
    assert rechecks == [1]


async def test_retries_are_bounded(own_cassette, clock):
    with replay(own_cassette("retry_503_then_ok.yaml")) as cassette:
        async with client(clock, max_retries=0) as okta:
            with pytest.raises(OktaApiError, match="HTTP 503"):
                await okta.get("/api/v1/org/privacy/oktaSupport")
        assert cassette.play_count == 1


# -- dropped connections and timeouts (local scripted server) ---------------------------------

async def test_post_dropped_without_recheck_raises_and_is_sent_once(fake_okta, clock):
    path = "/api/v1/users/00u1/lifecycle/suspend"
    fake_okta.script("POST", path, drop_connection)
    async with client(clock, fake_okta.url) as okta:
        with pytest.raises(OktaTransportError, match="may have reached Okta") as caught:
            await okta.request("POST", path)
    assert fake_okta.count("POST", path) == 1
    assert "acme" in str(caught.value) and path in str(caught.value)


async def test_post_dropped_recheck_says_done_returns_that(fake_okta, clock):
    path = "/api/v1/users/00u1/lifecycle/suspend"
    fake_okta.script("POST", path, drop_connection)
    fake_okta.script("GET", "/api/v1/users/00u1", lambda r: _json({"id": "00u1", "status": "SUSPENDED"}))
    async with client(clock, fake_okta.url) as okta:

        async def recheck() -> OktaResponse | None:
            user = await okta.get("/api/v1/users/00u1")
            return user if user.body["status"] == "SUSPENDED" else None

        resp = await okta.request("POST", path, recheck=recheck)
    assert resp.body["status"] == "SUSPENDED"
    assert fake_okta.count("POST", path) == 1  # the write was not repeated


async def test_post_dropped_recheck_says_not_done_retries(fake_okta, clock):
    path = "/api/v1/users/00u1/lifecycle/suspend"
    fake_okta.script("POST", path, drop_connection, lambda r: _json({}))
    fake_okta.script("GET", "/api/v1/users/00u1", lambda r: _json({"id": "00u1", "status": "ACTIVE"}))
    async with client(clock, fake_okta.url) as okta:

        async def recheck() -> OktaResponse | None:
            user = await okta.get("/api/v1/users/00u1")
            return user if user.body["status"] == "SUSPENDED" else None

        resp = await okta.request("POST", path, recheck=recheck)
    assert (resp.status, resp.body) == (200, {})
    assert fake_okta.hits == [("POST", path), ("GET", "/api/v1/users/00u1"), ("POST", path)]


async def test_get_dropped_is_retried_blindly(fake_okta, clock):
    fake_okta.script("GET", "/api/v1/idps", drop_connection, drop_connection, lambda r: _json([{"id": "0oa1"}]))
    async with client(clock, fake_okta.url, rng=lambda low, high: high) as okta:
        idps = [i async for i in okta.paginate("/api/v1/idps")]
    assert idps == [{"id": "0oa1"}]
    assert fake_okta.count("GET", "/api/v1/idps") == 3
    # exponential backoff, full jitter at its ceiling (aiohttp itself may also retry a GET once on a
    # kept-alive connection the server closed, which saves one of our backoffs)
    assert clock.sleeps in ([0.5], [0.5, 1.0])
    assert okta.stats.retries == len(clock.sleeps)


async def test_connection_refused_is_retried_even_for_post(clock):
    okta = client(clock, "http://127.0.0.1:9", max_retries=2)  # port 9 (discard): nothing listens
    async with okta:
        with pytest.raises(OktaTransportError, match="no answer after 3 attempts"):
            await okta.request("POST", "/api/v1/org/privacy/oktaSupport/revoke")
    assert okta.stats.requests == 3 and okta.stats.retries == 2


async def test_backoff_is_capped(fake_okta, clock):
    fake_okta.script("GET", "/api/v1/api-tokens/00T1", lambda r: _json({"errorCode": "E0000009"}, 500))
    async with client(clock, fake_okta.url, max_retries=8, rng=lambda low, high: high) as okta:
        with pytest.raises(OktaApiError, match="HTTP 500"):
            await okta.request("GET", "/api/v1/api-tokens/00T1")
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]
    assert fake_okta.count("GET", "/api/v1/api-tokens/00T1") == 9


async def test_a_delete_answered_500_is_not_sent_again_without_a_recheck(fake_okta, clock):
    """A 500 may come after the write took effect: a second DELETE would be a second System Log event."""
    fake_okta.script("DELETE", "/api/v1/users/00u1/sessions", lambda r: _json({"errorCode": "E0000009"}, 500))
    async with client(clock, fake_okta.url, max_retries=8) as okta:
        with pytest.raises(OktaApiError, match="HTTP 500"):
            await okta.request("DELETE", "/api/v1/users/00u1/sessions")
    assert fake_okta.count("DELETE", "/api/v1/users/00u1/sessions") == 1


async def test_timeout_is_retried_for_get(fake_okta, clock):
    fake_okta.script("GET", "/api/v1/policies", hang_until_stopped(fake_okta), lambda r: _json([{"id": "00p1"}]))
    async with client(clock, fake_okta.url, timeout=0.05) as okta:
        policies = await okta.get_json("/api/v1/policies", {"type": "OKTA_SIGN_ON"})
    assert policies == [{"id": "00p1"}]
    assert okta.stats.retries == 1


async def test_request_carries_ssws_and_json_body(fake_okta, clock):
    fake_okta.script("PUT", "/api/v1/policies/00p1", lambda r: _json({"id": "00p1"}))
    async with client(clock, fake_okta.url) as okta:
        await okta.request("PUT", "/api/v1/policies/00p1", json={"name": "MFA everywhere"})
    assert fake_okta.headers[0]["Authorization"] == "SSWS placeholder-token"
    assert fake_okta.headers[0]["Content-Type"] == "application/json"
    assert fake_okta.bodies[0] == b'{"name": "MFA everywhere"}'


async def _json(body, status: int = 200) -> web.Response:
    return okta_json(body, status)


async def test_prefetch_asks_for_the_next_page_while_the_caller_works(own_cassette, clock):
    with replay(own_cassette("users_three_pages.yaml")) as cassette:
        async with client(clock) as okta:
            seen = []
            async for page in okta.pages("/api/v1/users", {"limit": 2}, prefetch=True):
                # while the caller holds this page, the next one arrives without being asked for
                wanted = min(len(seen) + 2, 3)
                await asyncio.wait_for(_until(lambda n=wanted: cassette.play_count >= n), 2)
                seen.append((page.request_id, cassette.play_count))
            assert cassette.all_played
    assert seen == [("req-page-1", 2), ("req-page-2", 3), ("req-page-3", 3)]


async def _until(condition) -> None:
    while not condition():
        await asyncio.sleep(0)


async def test_prefetch_is_cancelled_when_the_caller_stops(own_cassette, clock):
    with replay(own_cassette("users_three_pages.yaml")) as cassette:
        async with client(clock) as okta:
            pages = okta.pages("/api/v1/users", {"limit": 2}, prefetch=True)
            async for page in pages:
                assert page.request_id == "req-page-1"
                break
            await pages.aclose()
            assert cassette.play_count <= 2
    assert okta.pacer.in_flight == 0


async def test_post_refused_with_429_is_retried_without_recheck(fake_okta, clock):
    """A 429 means Okta did not run the request: any method may be sent again."""
    from email.utils import formatdate

    now = 1642723200
    refused = {"Date": formatdate(now, usegmt=True), "X-Rate-Limit-Limit": "0", "X-Rate-Limit-Remaining": "0",
               "X-Rate-Limit-Reset": str(now + 1)}  # a concurrency refusal: Limit and Remaining 0
    fake_okta.script("POST", "/api/v1/users/00u1/lifecycle/suspend",
                     lambda r: _json_h({"errorCode": "E0000047"}, 429, refused), lambda r: _json({}))
    async with client(clock, fake_okta.url, rng=lambda low, high: low) as okta:
        resp = await okta.request("POST", "/api/v1/users/00u1/lifecycle/suspend")
    assert resp.status == 200
    assert fake_okta.count("POST", "/api/v1/users/00u1/lifecycle/suspend") == 2
    assert clock.sleeps == [1.0] and okta.stats.throttled == 1


async def _json_h(body, status: int, headers: dict[str, str]) -> web.Response:
    return okta_json(body, status, headers=headers)

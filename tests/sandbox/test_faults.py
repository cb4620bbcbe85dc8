"""Faults on demand: parsing, determinism per seed, rates, real connection resets, latency."""

from __future__ import annotations

import json
import math
import time

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer, make_mocked_request

from remediator.sandbox.faults import FaultSpec, faults_middleware, parse_faults


def test_parse_full_spec() -> None:
    spec = parse_faults("500:0.02,503:0.02,reset:0.01,latency:20ms")
    assert spec == FaultSpec(error500=0.02, error503=0.02, reset=0.01, latency=0.02)
    assert spec.active


@pytest.mark.parametrize(
    ("text", "latency"),
    [("latency:20ms", 0.02), ("latency:0.5s", 0.5), ("latency:2", 2.0), (" latency : 1.5ms ", 0.0015)],
)
def test_latency_units(text: str, latency: float) -> None:
    assert parse_faults(text).latency == pytest.approx(latency)


@pytest.mark.parametrize("text", [None, "", "  "])
def test_empty_spec_means_no_faults(text: str | None) -> None:
    assert not parse_faults(text).active


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("500", "'500'"),
        ("500:", "'500:'"),
        ("500:abc", "'500:abc'"),
        ("503:1.5", "'503:1.5'"),
        ("reset:-0.1", "'reset:-0.1'"),
        ("boom:0.1", "'boom'"),
        ("latency:20 parsecs", "'latency:20 parsecs'"),
        ("latency:fast", "'latency:fast'"),
        ("500:0.1,,503:0.1", "''"),
        ("500:0.1,500:0.2", "'500:0.2'"),
        ("500:0.6,503:0.6", "more than 1"),
    ],
)
def test_malformed_specs_name_the_bad_part(text: str, named: str) -> None:
    with pytest.raises(ValueError, match="fault spec") as info:
        parse_faults(text)
    assert named in str(info.value)
    assert "\n" not in str(info.value)


# --- the middleware, driven directly (fast, many requests) ---------------------------------------


class _Transport:
    def __init__(self) -> None:
        self.aborted = False

    def abort(self) -> None:
        self.aborted = True


class _Request:
    """What the middleware touches of a request (its transport); mocks are too slow for 20,000."""

    def __init__(self) -> None:
        self.transport = _Transport()


async def _outcomes(spec: str, seed: int, n: int) -> tuple[list[str], int]:
    """Run n mocked requests; return each outcome (status or 'reset') and how often the handler ran."""
    middleware = faults_middleware(spec, seed)
    ran = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal ran
        ran += 1
        return web.json_response({})

    out = []
    for _ in range(n):
        request = _Request()
        resp = await middleware(request, handler)
        out.append("reset" if request.transport.aborted else str(resp.status))
    return out, ran


async def test_deterministic_per_seed() -> None:
    spec = "500:0.1,503:0.1,reset:0.1"
    first, _ = await _outcomes(spec, 7, 300)
    again, _ = await _outcomes(spec, 7, 300)
    other, _ = await _outcomes(spec, 8, 300)
    assert first == again
    assert first != other
    assert {"200", "500", "503", "reset"} <= set(first)


async def test_rates_roughly_hold() -> None:
    n = 20_000
    rates = {"500": 0.02, "503": 0.05, "reset": 0.01}
    outcomes, ran = await _outcomes("500:0.02,503:0.05,reset:0.01", 3, n)
    for kind, p in rates.items():
        count = outcomes.count(kind)
        sigma = math.sqrt(n * p * (1 - p))
        assert abs(count - n * p) < 5 * sigma, (kind, count)
    # 500/503 never reach the handler; about half of the resets happen after it ran.
    resets = outcomes.count("reset")
    after_reset = ran - outcomes.count("200")
    assert 0.3 * resets < after_reset < 0.7 * resets


async def test_errors_carry_okta_bodies() -> None:
    middleware = faults_middleware("500:0.5,503:0.5", 1)

    async def handler(request: web.Request) -> web.Response:
        raise AssertionError("a faulted request must not reach the handler")

    seen = {}
    for _ in range(40):
        resp = await middleware(make_mocked_request("GET", "/api/v1/users"), handler)
        seen[resp.status] = resp
    assert set(seen) == {500, 503}
    for status, code in ((500, "E0000009"), (503, "E0000010")):
        body = json.loads(seen[status].body)
        assert body["errorCode"] == code and body["errorLink"] == code
        assert set(body) == {"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}
        assert seen[status].headers["x-okta-request-id"]


async def test_no_spec_passes_everything_through() -> None:
    outcomes, ran = await _outcomes("", 1, 200)
    assert outcomes == ["200"] * 200 and ran == 200


# --- on the wire ----------------------------------------------------------------------------------


async def _serve(middleware: object) -> TestServer:
    async def ok(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application(middlewares=[middleware])
    app.router.add_get("/{tail:.*}", ok)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


async def test_reset_really_drops_the_connection() -> None:
    server = await _serve(faults_middleware("reset:1", 1))
    try:
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as session:
            with pytest.raises(aiohttp.ClientConnectionError):
                async with session.get(server.make_url("/api/v1/users")) as resp:
                    await resp.read()
    finally:
        await server.close()


async def test_latency_delays_every_request() -> None:
    server = await _serve(faults_middleware("latency:60ms", 1))
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(3):
                started = time.monotonic()
                async with session.get(server.make_url("/api/v1/users")) as resp:
                    assert resp.status == 200
                assert time.monotonic() - started >= 0.06
    finally:
        await server.close()


# --- through a whole sandbox tenant -----------------------------------------------------------------


def test_sandbox_faults_answer_like_okta_and_resets_drop_the_connection() -> None:
    import urllib.error

    from remediator.sandbox import Sandbox
    from tests.sandbox import fixtures

    with Sandbox(fixtures.small_tenant(), faults="503:1", rate_limits="enterprise") as sb:
        reply = fixtures.call(sb, "GET", "/api/v1/users")
        assert reply.status == 503 and reply.body["errorCode"] == "E0000010"
        assert reply.headers["x-okta-request-id"] and reply.headers["X-Rate-Limit-Limit"] == "300"
        assert sb.logs == []  # nothing happened
    with Sandbox(fixtures.small_tenant(), faults="reset:1") as sb, pytest.raises(
            (urllib.error.URLError, ConnectionError)):
        fixtures.call(sb, "GET", "/api/v1/users")


def test_sandbox_rejects_a_malformed_spec() -> None:
    from remediator.sandbox import Sandbox
    from tests.sandbox import fixtures

    with pytest.raises(ValueError, match="'latency:soon'"):
        Sandbox(fixtures.small_tenant(), faults="500:0.1,latency:soon").start()

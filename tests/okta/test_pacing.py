"""Pacing: per-bucket windows from X-Rate-Limit-* headers, on virtual time (no real waiting)."""

from __future__ import annotations

import asyncio
import itertools
import math
from email.utils import formatdate

import pytest

from remediator.okta import OktaClient, SswsAuth
from remediator.okta.pacing import Pacer
from tests.support import FakeClock
from tests.support.okta_server import WindowLimits

EPOCH = 1642723200  # 2022-01-21T00:00:00Z: the tenant's clock, far from the local one


def headers(limit: int, remaining: int, reset_in: int, *, at: int = EPOCH) -> dict[str, str]:
    return {"Date": formatdate(at, usegmt=True), "X-Rate-Limit-Limit": str(limit),
            "X-Rate-Limit-Remaining": str(remaining), "X-Rate-Limit-Reset": str(at + reset_in)}


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def pacer(vt: FakeClock, **options: object) -> Pacer:
    return Pacer(clock=vt, sleep=vt.sleep, **options)


async def test_low_remaining_waits_for_reset_minus_date():
    vt = FakeClock(instant=False)
    p = pacer(vt)
    p.release(await p.acquire("users"), 200, headers(300, 1, 30))  # 1 left = the safety margin
    waiting = asyncio.ensure_future(p.acquire("users"))
    await settle()
    assert not waiting.done()
    deadline = vt.next_deadline()
    assert vt.pending() == 1 and deadline == pytest.approx(vt.now + 30)
    vt.advance_to(deadline)
    ticket = await asyncio.wait_for(waiting, 1)
    assert ticket.probe  # the first request after a reset goes alone, to learn the new window


async def test_probe_goes_alone_until_its_headers_arrive():
    vt = FakeClock(instant=False)
    p = pacer(vt)
    first = await p.acquire("logs")
    assert first.probe
    second = asyncio.ensure_future(p.acquire("logs"))
    await settle()
    assert not second.done()  # nothing known about the bucket yet
    p.release(first, 200, headers(60, 59, 60))
    assert not (await asyncio.wait_for(second, 1)).probe


async def test_buckets_do_not_block_each_other():
    vt = FakeClock(instant=False)
    p = pacer(vt)
    p.release(await p.acquire("users"), 200, headers(300, 0, 45))
    p.release(await p.acquire("logs"), 200, headers(60, 59, 60))
    blocked = asyncio.ensure_future(p.acquire("users"))
    await settle()
    assert not blocked.done()
    tickets = [await asyncio.wait_for(p.acquire("logs"), 1) for _ in range(10)]
    assert len(tickets) == 10 and vt.now == 1000.0  # no time passed for the other bucket
    blocked.cancel()


async def test_window_allowance_is_used_concurrently():
    vt = FakeClock(instant=False)
    p = pacer(vt, max_in_flight=100)
    p.release(await p.acquire("users"), 200, headers(300, 299, 60))
    tickets = await asyncio.wait_for(asyncio.gather(*(p.acquire("users") for _ in range(100))), 1)
    assert len(tickets) == 100 and vt.now == 1000.0 and vt.pending() == 0
    assert p.peak_in_flight == 100


async def test_concurrency_cap_per_tenant():
    vt = FakeClock(instant=False)
    p = pacer(vt, max_in_flight=3, enabled=False)
    held = [await p.acquire(bucket) for bucket in ("users", "logs", "iam")]
    fourth = asyncio.ensure_future(p.acquire("catch_all"))
    await settle()
    assert not fourth.done() and p.in_flight == 3
    p.release(held[0], 200, None)
    await asyncio.wait_for(fourth, 1)
    assert p.peak_in_flight == 3


async def test_later_requests_are_subtracted_from_a_report():
    vt = FakeClock(instant=False)
    p = pacer(vt, max_in_flight=50)
    p.release(await p.acquire("users"), 200, headers(300, 200, 60))
    tickets = [await p.acquire("users") for _ in range(5)]
    p.release(tickets[0], 200, headers(300, 100, 60))  # someone else used the bucket too
    # the server counted tickets[0] but maybe not the 4 sent after it
    assert p.state("users").remaining == 100 - 4


async def test_past_the_burst_the_rest_is_spread_over_the_window():
    vt = FakeClock(instant=False)
    p = pacer(vt, max_in_flight=100)
    p.release(await p.acquire("logs"), 200, headers(60, 20, 40))  # 20 left (below half), 40 s to go
    starts = []

    async def one() -> None:
        ticket = await p.acquire("logs")
        starts.append(vt.now)
        p.release(ticket, 200, None)

    await vt.run(asyncio.gather(*(one() for _ in range(10))), busy=lambda: False)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert starts[0] == 1000.0
    assert all(g > 1.5 for g in gaps)  # about 40 s / 19 left, not all at once
    assert starts[-1] < 1000.0 + 40  # and still inside the window


async def test_a_caller_one_request_at_a_time_uses_every_slot_of_the_window():
    """A cursor (System Log polling) sends one request after another: the spread leaves the last allowed
    request a gap before the window's end, so it is not lost to the next window."""
    vt = FakeClock(instant=False)
    p = pacer(vt)
    p.release(await p.acquire("logs"), 200, headers(60, 20, 40))  # 20 left: 18 above the margin of 2
    starts = []
    for _ in range(18):
        ticket = await vt.run(p.acquire("logs"), busy=lambda: False)
        starts.append(vt.now)
        p.release(ticket, 200, None)
    assert starts[-1] <= 1000.0 + 40 - 40 / 19 + 1e-6


async def test_responses_without_rate_headers_are_not_paced():
    vt = FakeClock(instant=False)
    p = pacer(vt, max_in_flight=20)
    p.release(await p.acquire("catch_all"), 200, {"Date": formatdate(EPOCH, usegmt=True)})
    tickets = await asyncio.wait_for(asyncio.gather(*(p.acquire("catch_all") for _ in range(20))), 1)
    assert len(tickets) == 20


async def test_plan_runs_near_the_rate_limit_floor_without_429s(fake_okta):
    """200 calls on a 50/min bucket (floor 240 s) beside 40 System Log calls on a 60/min bucket."""
    vt = FakeClock(instant=False)
    limits = WindowLimits(vt, {"users": 50, "logs": 60})
    for i in range(200):
        fake_okta.script("GET", f"/api/v1/users/00u{i}/factors", lambda r: _answer(limits, "users", []))
    fake_okta.script("GET", "/api/v1/logs", lambda r: _answer(limits, "logs", []))
    okta = OktaClient(fake_okta.url, SswsAuth("placeholder-token"), tenant="acme", **vt.client_options())
    finished: dict[str, float] = {}

    async def factors() -> None:
        await asyncio.gather(*(okta.get(f"/api/v1/users/00u{i}/factors") for i in range(200)))
        finished["users"] = vt.now - vt.start

    async def logs() -> None:
        await asyncio.gather(*(okta.get("/api/v1/logs", {"limit": 1000}) for _ in range(40)))
        finished["logs"] = vt.now - vt.start

    async with okta:
        await vt.run(asyncio.gather(factors(), logs()), busy=lambda: okta.pacer.in_flight > 0)
    floor = 200 / 50 * 60
    assert limits.refused == {} and okta.stats.throttled == 0
    assert limits.allowed == {"users": 200, "logs": 40}
    assert finished["users"] <= 1.3 * floor
    assert finished["logs"] < 60  # 40 of 60 fit in one window: not held back by the users bucket


async def _answer(limits: WindowLimits, bucket: str, body: object):
    return limits.answer(bucket, body)


async def test_window_end_uses_the_best_estimate_of_the_server_clock():
    """Date is floored: a later sample that just crossed a second shows the server clock more exactly."""
    vt = FakeClock(100.0, instant=False)
    p = pacer(vt)
    p.release(await p.acquire("users"), 200, headers(300, 299, 30, at=EPOCH))
    vt.now = 100.9
    p.release(await p.acquire("users"), 200, headers(300, 298, 29, at=EPOCH + 1))
    vt.now = 101.0
    p.release(await p.acquire("users"), 200, headers(300, 297, 29, at=EPOCH + 1))
    # Reset - Date says 29 s; the server is known to be at least 0.1 s past EPOCH + 1 by now
    assert p.state("users").window_end == pytest.approx(101.0 + 28.9)


async def test_the_window_length_is_learned_from_the_windows_our_requests_opened():
    """`Reset` has whole seconds, so alone it places a window's end up to a second late; a window our own
    request opened started between sending it and its answer, which bounds the length from above."""
    vt = FakeClock(instant=False)
    p = pacer(vt)

    def answer(sent: float, remaining: int, reset: int) -> tuple[object, dict[str, str]]:
        server = sent + 100.025  # the server's clock is local + 100 s; half the 50 ms round trip
        return server, {"Date": formatdate(int(server), usegmt=True), "X-Rate-Limit-Limit": "25",
                        "X-Rate-Limit-Remaining": str(remaining), "X-Rate-Limit-Reset": str(reset)}

    start, late = 1000.3, []
    for _ in range(12):  # windows of 6.0 s, each opened by our probe, then four more requests
        vt.now = start
        ticket = await p.acquire("logs")
        server, _ = answer(start, 24, 0)
        reset = math.ceil(server + 6.0)
        vt.now += 0.05
        p.release(ticket, 200, answer(start, 24, reset)[1])
        true_end = start + 0.025 + 6.0
        for k in range(1, 5):
            vt.now = start + k * 1.1
            ticket = await p.acquire("logs")
            vt.now += 0.05
            p.release(ticket, 200, answer(vt.now - 0.05, 24 - k, reset)[1])
        assert true_end <= p.state("logs").window_end  # never early
        late.append(p.state("logs").window_end - true_end)
        start = true_end + 0.001 + 0.37 * (len(late) % 3)  # the next probe, a little after the end
    assert late[0] > 0.5 and max(late[-4:]) < 0.2  # from up to a second late to a fraction of it

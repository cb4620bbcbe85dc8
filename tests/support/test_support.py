"""The doubles themselves: the clock's two ways of sleeping, and the fake tenant's clock as the real client's."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from remediator.timeutil import parse_time
from tests.support import Call, FakeClient, FakeClock, event


async def test_instant_sleeps_move_the_clock_and_are_recorded() -> None:
    clock = FakeClock()
    await clock.sleep(1.5)
    await clock.sleep(-1)
    assert clock() == 1001.5 and clock.sleeps == [1.5, -1]
    assert clock.wall() - clock.wall0 == 1.5


async def test_under_run_concurrent_sleeps_overlap_as_in_real_time() -> None:
    clock = FakeClock(instant=False)
    ends: list[float] = []

    async def nap(seconds: float) -> None:
        await clock.sleep(seconds)
        ends.append(clock())

    waiting = asyncio.ensure_future(nap(5))
    await asyncio.sleep(0)
    assert clock.pending() == 1 and clock.next_deadline() == 1005.0
    clock.advance(4.9)
    await asyncio.sleep(0)
    assert not waiting.done()
    clock.advance(0.1)
    await waiting
    await clock.run(asyncio.gather(nap(10), nap(10), nap(3)), busy=lambda: False)
    assert ends == [1005.0, 1008.0, 1015.0, 1015.0]  # not 1028: the sleeps overlapped


async def test_the_tenants_clock_is_known_after_an_answer_and_moves_with_the_test_clock() -> None:
    clock = FakeClock()
    client = FakeClient({("GET", "/api/v1/users/me"): {"id": "00ume"}}, now="2022-03-22T12:00:00.000Z", clock=clock)
    assert client.server_now().year == 2030  # the local clock: nothing answered yet
    await client.get("/api/v1/users/me")
    assert client.server_now() == parse_time("2022-03-22T12:00:00.000Z")
    clock.advance(90)
    assert client.server_now() == parse_time("2022-03-22T12:00:00.000Z") + timedelta(seconds=90)
    assert client.calls == [Call("GET", "/api/v1/users/me", None, None)]


async def test_the_system_log_filters_and_a_writes_recheck_finds_its_event() -> None:
    """The real client's recheck (okta/client.py `recheck_logged`) run over the fake System Log."""
    now = "2022-03-22T12:00:00.000Z"
    cleared = event(now, "user.session.clear", targets=[{"id": "00uone", "type": "User"}], request_id="req-w")
    other = event(now, "user.session.clear", targets=[{"id": "00utwo", "type": "User"}])
    client = FakeClient(events=[cleared, other, event(now, "user.session.start")], now=now)
    await client.get("/api/v1/logs", {"limit": 1, "sortOrder": "DESCENDING"})  # learns the tenant's clock
    found = await client.recheck_logged("user.session.clear", "00uone")()
    assert found is not None and found.request_id == "req-w"
    assert await client.recheck_logged("user.session.clear", "00uthree")() is None
    either = 'eventType eq "user.session.start" or eventType eq "user.session.clear" and target.id eq "00utwo"'
    assert [e["uuid"] async for e in client.paginate("/api/v1/logs", {"filter": either, "sortOrder": "ASCENDING"})] \
        == [other["uuid"], client.events[2]["uuid"]]


async def test_a_delete_recheck_reads_the_path() -> None:
    client = FakeClient({("GET", "/api/v1/idps/0oa1"): {"id": "0oa1"}})
    assert await client.recheck_gone("/api/v1/idps/0oa1")() is None  # still there: not in effect
    del client.routes[("GET", "/api/v1/idps/0oa1")]
    assert (await client.recheck_gone("/api/v1/idps/0oa1")()).status == 204

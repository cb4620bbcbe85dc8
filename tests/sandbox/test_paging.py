"""Paging invariants: every user exactly once at any page size (also under writes); log pages in
`published` order with no gap and no repeat, bounded and polling."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, quote, urlparse

import aiohttp
import pytest

from remediator.sandbox import Sandbox
from tests.sandbox.fixtures import BOB, CLOCK, call, get_all, log_event, many_users, small_tenant, uid

USERS = 240


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(many_users(USERS), clock=CLOCK) as sandbox:
        yield sandbox


async def test_every_user_exactly_once_at_every_page_size(sb: Sandbox) -> None:
    expected = sorted(u["id"] for u in sb.snapshot()["users"] if u["status"] != "DEPROVISIONED")
    headers = {"Authorization": f"SSWS {sb.token}"}
    async with aiohttp.ClientSession(headers=headers, trust_env=False) as session:
        for size in range(1, 201):
            listed: list[str] = []
            url: str | None = f"{sb.org_url}/api/v1/users?limit={size}"
            while url:
                async with session.get(url) as response:
                    assert response.status == 200
                    listed.extend(u["id"] for u in await response.json())
                    nexts = [v for v in response.headers.getall("Link", []) if v.endswith('rel="next"')]
                    url = nexts[0][1:nexts[0].index(">")] if nexts else None
            assert listed == expected, f"page size {size}"


def test_next_link_is_last_and_separate_and_absent_on_the_last_page(sb: Sandbox) -> None:
    first = call(sb, "GET", "/api/v1/users?limit=100")
    links = first.links()
    assert len(links) == 2 and links[0].endswith('rel="self"') and links[1].endswith('rel="next"')
    query = parse_qs(urlparse(first.next_url()).query)
    assert query["limit"] == ["100"] and query["after"] == [first.body[-1]["id"]]
    pages = 1
    url = first.next_url()
    while url:
        reply = call(sb, "GET", url)
        pages += 1
        url = reply.next_url()
    assert pages == 3
    assert len(reply.links()) == 1 and reply.links()[0].endswith('rel="self"')


def test_limit_is_capped_at_200(sb: Sandbox) -> None:
    assert len(call(sb, "GET", "/api/v1/users?limit=500").body) == 200


def test_search_pages_keep_their_query(sb: Sandbox) -> None:
    search = quote('status eq "DEPROVISIONED"')
    found = get_all(sb, f"/api/v1/users?search={search}&limit=5")
    assert [u["id"] for u in found] == [*sorted(uid(i) for i in range(USERS) if i % 10 == 3), "00ugoneGoneGoneGone1"]


def test_paging_while_writes_happen_lists_everyone_once() -> None:
    with Sandbox(many_users(60), clock=CLOCK) as sb:
        expected = sorted(u["id"] for u in sb.snapshot()["users"] if u["status"] != "DEPROVISIONED")
        seen: list[str] = []
        url: str | None = "/api/v1/users?limit=7"
        step = 0
        while url:
            reply = call(sb, "GET", url)
            seen.extend(u["id"] for u in reply.body)
            # suspend someone already listed and someone not yet listed: status changes must not move anyone
            for target in (uid(step), uid(59 - step)):
                if step % 10 != 3:
                    call(sb, "POST", f"/api/v1/users/{target}/lifecycle/suspend")
            step += 1
            url = reply.next_url()
        assert seen == expected


def _log_tenant(count: int) -> dict:
    data = small_tenant()
    # 3 events per second with deliberate ties in `published`
    data["logs"] = [log_event(i, f"2022-03-{10 + i // 3000:02d}T{(i // 3) // 3600 % 24:02d}:"
                                 f"{(i // 3) // 60 % 60:02d}:{(i // 3) % 60:02d}.000Z",
                              "user.session.start" if i % 4 else "user.account.lock") for i in range(count)]
    return data


def test_bounded_log_pages_in_order_without_gap_or_repeat() -> None:
    with Sandbox(_log_tenant(300), clock=CLOCK) as sb:
        for size in (1, 7, 100, 1000):
            url = f"/api/v1/logs?since=2022-03-01T00:00:00Z&until=2022-03-20T00:00:00Z&limit={size}"
            events = get_all(sb, url)
            assert [e["uuid"] for e in events] == [f"00000000-0000-0000-0000-{i:012d}" for i in range(300)]
        newest_first = get_all(sb, "/api/v1/logs?since=2022-03-01T00:00:00Z&until=2022-03-20T00:00:00Z"
                                   "&sortOrder=DESCENDING&limit=33")
        assert [e["uuid"] for e in newest_first] == [f"00000000-0000-0000-0000-{i:012d}" for i in range(299, -1, -1)]
        window = get_all(sb, "/api/v1/logs?since=2022-03-10T00:00:01Z&until=2022-03-10T00:00:02Z")
        assert [e["uuid"][-3:] for e in window] == ["003", "004", "005"]


def test_bounded_log_filter_and_q() -> None:
    with Sandbox(_log_tenant(400), clock=CLOCK) as sb:
        base = "/api/v1/logs?since=2022-03-01T00:00:00Z&until=2022-03-20T00:00:00Z&limit=9"
        locked = get_all(sb, base + "&filter=" + quote('eventType eq "user.account.lock"'))
        assert [e["uuid"] for e in locked] == [f"00000000-0000-0000-0000-{i:012d}" for i in range(0, 400, 4)]
        both = get_all(sb, base + "&filter=" + quote('eventType eq "user.account.lock" and target.id eq "t0"'))
        assert [int(e["uuid"][-12:]) for e in both] == [i for i in range(0, 400, 4) if i % 7 == 0]
        assert len(get_all(sb, base + "&q=account.lock")) == 100
        either = get_all(sb, base + "&filter=" + quote('eventType eq "user.account.lock" or target.id eq "t1"'))
        assert [int(e["uuid"][-12:]) for e in either] == [i for i in range(400) if i % 4 == 0 or i % 7 == 1]
        two_types = get_all(sb, base + "&sortOrder=DESCENDING&filter="
                            + quote('eventType eq "user.account.lock" or eventType eq "user.session.start"'))
        assert [int(e["uuid"][-12:]) for e in two_types] == list(range(399, -1, -1))
        unindexed = get_all(sb, base + "&sortOrder=DESCENDING&filter=" + quote('target.id eq "t3"'))
        assert [int(e["uuid"][-12:]) for e in unindexed] == [i for i in range(399, -1, -1) if i % 7 == 3]
        bad = call(sb, "GET", base + "&filter=" + quote('eventType eq'))
        assert bad.status == 400 and bad.body["errorCode"] == "E0000053"  # test_syslog_errors.py cites it


def test_polling_always_has_next_and_resumes_without_gap_or_repeat() -> None:
    with Sandbox(_log_tenant(50), clock=CLOCK) as sb:
        seen: list[str] = []
        url = "/api/v1/logs?since=2022-03-01T00:00:00Z&limit=20"
        while True:
            reply = call(sb, "GET", url)
            assert reply.status == 200 and reply.next_url()
            url = reply.next_url()
            if not reply.body:
                break
            seen.extend(e["uuid"] for e in reply.body)
        assert seen == [f"00000000-0000-0000-0000-{i:012d}" for i in range(50)]
        assert call(sb, "GET", url).body == []  # still nothing new, still a next link
        assert call(sb, "GET", url).next_url() == url
        call(sb, "POST", f"/api/v1/users/{BOB}/lifecycle/suspend")
        fresh = call(sb, "GET", url)
        assert [e["eventType"] for e in fresh.body] == ["user.lifecycle.suspend"]
        assert call(sb, "GET", fresh.next_url()).body == []


def test_since_older_than_180_days_is_rejected() -> None:
    with Sandbox(small_tenant(), clock=CLOCK) as sb:
        reply = call(sb, "GET", "/api/v1/logs?since=2021-09-01T00:00:00Z")
        assert reply.status == 400 and reply.body["errorCode"] == "E0000053"  # test_syslog_errors.py cites it
        assert call(sb, "GET", "/api/v1/logs?since=2021-10-01T00:00:00Z").status == 200
        assert call(sb, "GET", "/api/v1/logs?since=yesterday").status == 400

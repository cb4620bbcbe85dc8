"""Delayed persistence of System Log events in the sandbox, as Okta documents it.

- System Log query guide (https://developer.okta.com/docs/reference/system-log-query/): "Not all events for
  the specified time range may be present. Some events may be delayed."
- The spec, `GET /api/v1/logs` (../shared/okta-reference/okta-management-openapi-spec/dist/current/
  management-minimal.yaml): `since`/`until` filter "the log events `published` property for bounded queries
  or persistence time for polling queries".
- A polling query (no `until`) always has a `next` link, even on an empty page: okta-sdk-python issue #231
  (https://github.com/okta/okta-sdk-python/issues/231, a maintainer: the never-ending next of get_logs is the
  "polling" request type; a bounded request needs `until`).
"""

from __future__ import annotations

from datetime import timedelta

from remediator.sandbox import Sandbox
from remediator.sandbox.store import Store
from remediator.timeutil import format_time, parse_time
from tests.sandbox.fixtures import CLOCK, call, get_all, log_event, small_tenant

START = parse_time(CLOCK)


def tenant(count: int) -> dict:
    """`count` events one second apart, the last one at the tenant's clock."""
    data = small_tenant()
    data["logs"] = [log_event(i, format_time(START - timedelta(seconds=count - 1 - i))) for i in range(count)]
    return data


def persisted_at(sb: Sandbox) -> dict[str, str]:
    persistence = sb.store.persistence
    assert persistence is not None
    return {e["uuid"]: persistence.visible[i] for i, e in enumerate(sb.logs)}


def test_delays_are_seeded_bounded_and_for_a_share_of_events() -> None:
    def delays(seed: int) -> list[float]:
        store = Store()
        store.logs = tenant(2000)["logs"]
        store.reindex_logs()
        store.delay_persistence(seed, 180, 0.2)
        assert store.persistence is not None
        return [(parse_time(v) - parse_time(k)).total_seconds()
                for v, k in zip(store.persistence.visible, store.log_keys, strict=True)]

    first = delays(1)
    assert first == delays(1) and first != delays(2)
    late = [d for d in first if d > 0]
    assert 0.15 < len(late) / len(first) < 0.25 and max(late) <= 180 and min(first) == 0


def test_an_event_is_invisible_until_persisted_in_every_query() -> None:
    with Sandbox(tenant(600), clock=CLOCK, log_delay=120) as sb:
        at = persisted_at(sb)
        bounded = "/api/v1/logs?since=2022-03-22T11:00:00Z&until=2022-03-22T13:00:00Z&limit=1000"
        polling = "/api/v1/logs?since=2022-03-22T11:00:00Z&limit=1000"
        for _ in range(4):
            now = format_time(sb.now())
            expected = {u for u, v in at.items() if v <= now}
            assert {e["uuid"] for e in get_all(sb, bounded)} <= expected
            assert {e["uuid"] for e in call(sb, "GET", polling).body} <= expected
            sb.advance(40)
        assert len(get_all(sb, bounded)) == 600  # everything persisted 120 s after the last event at most
        newest = call(sb, "GET", "/api/v1/logs?sortOrder=DESCENDING&limit=1").body
        assert newest[0]["uuid"] == sb.logs[-1]["uuid"]


def test_polling_follows_persistence_and_its_cursor_never_skips_a_late_event() -> None:
    with Sandbox(tenant(300), clock=CLOCK, log_delay=90) as sb:
        at = persisted_at(sb)
        url, seen = "/api/v1/logs?since=2022-03-22T11:00:00Z&limit=25", []
        for _ in range(12):
            while True:
                reply = call(sb, "GET", url)
                assert reply.status == 200 and reply.next_url()  # polling: a next link, even when empty
                url = reply.next_url()
                if not reply.body:
                    break
                seen.extend(e["uuid"] for e in reply.body)
            sb.advance(10)
        assert sorted(seen) == sorted(at) and len(seen) == len(set(seen))
        assert [at[u] for u in seen] == sorted(at[u] for u in seen)  # in persistence order
        assert seen != [e["uuid"] for e in sb.logs]  # ... which is not the published order
        call(sb, "POST", f"/api/v1/users/{sb.store.operator}/lifecycle/expire_password")
        sb.advance(90)
        assert [e["eventType"] for e in call(sb, "GET", url).body] == ["user.account.expire_password"]


def test_the_scenario_delays_by_default_and_snapshots_do_not() -> None:
    with Sandbox(scenario="lapsus-2022", users=40) as sb:
        assert sb.config.log_delay == 180 and sb.store.persistence is not None
    with Sandbox(small_tenant(), clock=CLOCK) as sb:
        assert sb.config.log_delay == 0 and sb.store.persistence is None

"""Sigma correlation rules: parsed by pySigma, evaluated by remediator's streaming correlator.

The two built-in correlations (issue 12) fire on the events their scenario plants and on none of its
look-alikes; each correlation type behaves as the Sigma specification v2 says (group-by, aliases, timespan,
order); the state stays bounded; what cannot be evaluated is skipped with its reason."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from remediator.hunt import Engine, load_rule_set
from remediator.hunt.correlation import Correlator
from remediator.hunt.rules import load_file
from remediator.kinds.system_log_hunt import SystemLogHunt, evaluate
from remediator.sandbox.scenarios import credential_stuffing_2024, cross_tenant_2023
from remediator.timeutil import format_time, parse_time

T0 = parse_time("2024-04-21T03:00:00Z")
FAR = "2099-01-01T00:00:00.000Z"


def at(seconds: float) -> str:
    return format_time(T0 + timedelta(seconds=seconds))


def event(uid: str, seconds: float, event_type: str, actor: str, ip: str = "10.0.0.1", target: str | None = None,
          result: str = "SUCCESS", reason: str | None = None) -> dict[str, Any]:
    return {"uuid": uid, "published": at(seconds), "eventType": event_type,
            "actor": {"id": actor, "alternateId": f"{actor}@example.com", "type": "User"},
            "client": {"ipAddress": ip}, "outcome": {"result": result, "reason": reason},
            "target": [{"id": target, "type": "User", "alternateId": f"{target}@example.com"}] if target else None,
            "debugContext": {"debugData": {}}}


def fail(uid: str, seconds: float, user: str, ip: str) -> dict[str, Any]:
    return event(uid, seconds, "user.session.start", user, ip, result="FAILURE", reason="INVALID_CREDENTIALS")


def correlated(pack: str, events: list[dict[str, Any]], known: dict[str, frozenset[str]] | None = None
               ) -> dict[str, set[str]]:
    """correlation id -> uuids it reports, over `events` (sorted in time) with the pack's rules."""
    rs = load_rule_set([pack])
    engine = Engine(rs.rules, correlations=rs.correlations)
    hunted = evaluate(engine, sorted(events, key=lambda e: e["published"]), known or {}, "", FAR, frozenset())
    out: dict[str, set[str]] = {}
    for (cid, _), (_, found) in hunted.correlated.items():
        out.setdefault(cid, set()).update(found)
    return out


# the built-in correlations, on the scenarios that plant their events ----------------------------------------
@pytest.mark.parametrize(("module", "correlation"), [
    (cross_tenant_2023, "cross-tenant-2023/reset-then-admin-console"),
    (credential_stuffing_2024, "credential-stuffing-2024/password-spray-single-source"),
], ids=["reset-then-admin-console", "password-spray-single-source"])
def test_each_correlation_fires_on_its_planted_events_and_no_lookalike(module: Any, correlation: str) -> None:
    snap = module.generate(users=300, seed=3)
    planted = snap["scenario"]["planted"]
    known = {"admin": frozenset(planted.get("admins") or ()), "new_admin": frozenset()}
    events = [e for e in snap["logs"] if e["published"] >= planted["hunt_since"]]
    got = correlated(module.NAME, events, known)
    assert got.get(correlation) == set(planted["hunt"][correlation])
    assert not got[correlation] & set(planted["lookalike_log_uuids"])
    assert not got[correlation] & set(planted["lookalike_log_uuids_by_rule"].get(correlation, ()))


def test_the_base_rules_feed_the_correlation_but_report_nothing_themselves() -> None:
    rs = load_rule_set(["cross-tenant-2023", "credential-stuffing-2024"])
    quiet = {r.id for r in rs.rules if not r.generate}
    assert quiet == {"cross-tenant-2023/mfa-reset-all", "cross-tenant-2023/admin-console-access",
                     "credential-stuffing-2024/sign-in-failure"}
    assert quiet == {rid for c in rs.correlations for rid in c.rules}
    assert not quiet & rs.reported and {c.id for c in rs.correlations} <= rs.reported


# reset then Admin Console, same user ------------------------------------------------------------------------
RESET, ADMIN = "user.mfa.factor.reset_all", "user.session.access_admin_app"
SEQ = "cross-tenant-2023/reset-then-admin-console"


def test_reset_then_admin_console_by_the_same_user_within_12_hours() -> None:
    events = [event("r", 0, RESET, "helpdesk", target="alice"), event("a", 3600, ADMIN, "alice")]
    assert correlated("cross-tenant-2023", events) == {SEQ: {"r", "a"}}


@pytest.mark.parametrize("events", [
    # the admin-app access is by another user: the reset's actor, or a bystander
    [event("r", 0, RESET, "helpdesk", target="alice"), event("a", 60, ADMIN, "helpdesk"),
     event("b", 90, ADMIN, "bob")],
    # the access came before the reset
    [event("a", 0, ADMIN, "alice"), event("r", 60, RESET, "helpdesk", target="alice")],
    # the access came after the window (12 h and one second)
    [event("r", 0, RESET, "helpdesk", target="alice"), event("a", 12 * 3600 + 1, ADMIN, "alice")],
], ids=["different-user", "access-before", "after-the-window"])
def test_reset_then_admin_console_lookalikes_do_not_fire(events: list[dict[str, Any]]) -> None:
    assert correlated("cross-tenant-2023", events) == {}


def test_groups_are_exact_values_as_okta_ids_are_case_sensitive() -> None:
    events = [event("r", 0, RESET, "hd", target="00uAbC"), event("a", 60, ADMIN, "00uabc")]
    assert correlated("cross-tenant-2023", events) == {}


def test_the_window_is_inclusive_and_a_new_reset_restarts_it() -> None:
    at_edge = [event("r", 0, RESET, "hd", target="alice"), event("a", 12 * 3600, ADMIN, "alice")]
    assert correlated("cross-tenant-2023", at_edge) == {SEQ: {"r", "a"}}
    again = [event("r1", 0, RESET, "hd", target="alice"), event("r2", 11 * 3600, RESET, "hd", target="alice"),
             event("a", 20 * 3600, ADMIN, "alice")]
    assert correlated("cross-tenant-2023", again) == {SEQ: {"r2", "a"}}


# password spraying: one source, many users failing ----------------------------------------------------------
SPRAY = "credential-stuffing-2024/password-spray-single-source"


def test_five_users_failing_from_one_ip_within_an_hour_fire_with_every_failure() -> None:
    events = [fail(f"f{i}", i * 600, f"u{i}", "185.220.1.1") for i in range(5)]
    events.append(fail("f5", 3000, "u0", "185.220.1.1"))  # a user again: counted once, reported with the rest
    assert correlated("credential-stuffing-2024", events) == {SPRAY: {f"f{i}" for i in range(6)}}


@pytest.mark.parametrize("events", [
    [fail(f"f{i}", i * 5, "alice", "73.14.1.1") for i in range(40)],                    # one user, one IP
    [fail(f"f{i}", i * 60, f"u{i}", f"73.14.1.{i}") for i in range(40)],                # many users, many IPs
    [fail(f"f{i}", i * 901, f"u{i}", "185.220.1.1") for i in range(10)],                # 4 an hour at most
    [event(f"s{i}", i, "user.session.start", f"u{i}", "185.220.1.1") for i in range(10)],  # successes
], ids=["one-user-one-ip", "many-users-many-ips", "too-slow", "successes"])
def test_spray_lookalikes_do_not_fire(events: list[dict[str, Any]]) -> None:
    assert correlated("credential-stuffing-2024", events) == {}


def test_remediators_own_writes_and_events_outside_the_range_count_for_nothing() -> None:
    rs = load_rule_set(["credential-stuffing-2024"])
    engine = Engine(rs.rules, correlations=rs.correlations)
    events = [fail(f"f{i}", i * 60, f"u{i}", "185.220.1.1") for i in range(5)]
    events[0]["debugContext"]["debugData"]["requestId"] = "ours"
    assert evaluate(engine, events, {}, "", FAR, frozenset({"ours"})).correlated == {}
    assert evaluate(engine, events, {}, events[1]["published"], FAR, frozenset()).correlated == {}
    assert len(evaluate(engine, events, {}, "", FAR, frozenset()).correlated) == 1


def test_a_correlation_of_correlations_is_skipped(tmp_path: Path) -> None:
    f = tmp_path / "rules.yml"
    inner = {"title": "inner", "id": "inner", "correlation": {"type": "event_count", "rules": ["a"],
                                                             "timespan": "5m", "condition": {"gte": 2}}}
    outer = {"title": "outer", "id": "outer", "correlation": {"type": "event_count", "rules": ["inner"],
                                                             "timespan": "5m", "condition": {"gte": 2}}}
    f.write_text(yaml.safe_dump_all([*BASE, inner, outer]))
    rs = load_rule_set([str(f)])
    assert [c.id for c in rs.correlations] == ["inner"]
    assert [(s.title, "correlation of correlations" in s.reason) for s in rs.skipped] == [("outer", True)]


def test_user_names_count_case_insensitively() -> None:
    events = [fail(f"f{i}", i, "alice", "185.220.1.1") for i in range(5)]
    for i, e in enumerate(events):
        e["actor"]["alternateId"] = "ALICE@example.com" if i % 2 else "alice@EXAMPLE.com"
    assert correlated("credential-stuffing-2024", events) == {}


# the other correlation types, and the parser -------------------------------------------------------------------
BASE = [{"title": "a", "id": "r-a", "name": "a", "logsource": {"product": "okta"},
         "detection": {"s": {"eventType": "a"}, "condition": "s"}},
        {"title": "b", "id": "r-b", "name": "b", "logsource": {"product": "okta"},
         "detection": {"s": {"eventType": "b"}, "condition": "s"}},
        {"title": "c", "id": "r-c", "name": "c", "logsource": {"product": "okta"},
         "detection": {"s": {"eventType": "c"}, "condition": "s"}}]


def corr(tmp_path: Path, correlation: dict[str, Any], **extra: Any) -> tuple[Engine, Any]:
    f = tmp_path / "rules.yml"
    f.write_text(yaml.safe_dump_all([*BASE, {"title": "corr", "id": "corr", "correlation": correlation, **extra}]))
    rs = load_rule_set([str(f)])
    return Engine(rs.rules, correlations=rs.correlations), rs


def run(engine: Engine, events: list[dict[str, Any]]) -> set[str]:
    hunted = evaluate(engine, events, {}, "", FAR, frozenset())
    return {u for _, found in hunted.correlated.values() for u in found}


def test_event_count_and_temporal(tmp_path: Path) -> None:
    engine, _ = corr(tmp_path, {"type": "event_count", "rules": ["a"], "group-by": ["actor.id"], "timespan": "10m",
                                "condition": {"gt": 2}})
    three = [event(f"e{i}", i * 60, "a", "x") for i in range(3)]
    assert run(engine, three) == {"e0", "e1", "e2"} and run(engine, three[:2]) == set()
    assert run(engine, [event(f"e{i}", i * 60, "a", f"x{i}") for i in range(3)]) == set()  # per actor
    engine, _ = corr(tmp_path, {"type": "temporal", "rules": ["a", "b"], "group-by": ["actor.id"], "timespan": "5m"})
    assert run(engine, [event("b", 0, "b", "x"), event("a", 120, "a", "x")]) == {"a", "b"}  # any order
    assert run(engine, [event("b", 0, "b", "x"), event("a", 301, "a", "x")]) == set()


def test_an_ordered_chain_of_three_keeps_its_order_and_its_latest_start(tmp_path: Path) -> None:
    engine, _ = corr(tmp_path, {"type": "temporal_ordered", "rules": ["a", "b", "c"], "group-by": ["actor.id"],
                                "timespan": "10m"})
    assert run(engine, [event("1", 0, "a", "x"), event("2", 60, "b", "x"), event("3", 120, "c", "x")]) == {
        "1", "2", "3"}
    assert run(engine, [event("1", 0, "b", "x"), event("2", 60, "a", "x"), event("3", 120, "c", "x")]) == set()
    assert run(engine, [event("1", 0, "a", "x"), event("2", 60, "c", "x"), event("3", 120, "b", "x")]) == set()
    late = [event("1", 0, "a", "x"), event("3", 550, "b", "x"), event("4", 650, "c", "x")]
    assert run(engine, late) == set()  # the whole chain must fit in the timespan
    assert run(engine, [*late[:1], event("2", 500, "a", "x"), *late[1:]]) == {"2", "3", "4"}


def test_generate_true_keeps_the_base_rules_reporting(tmp_path: Path) -> None:
    _, rs = corr(tmp_path, {"type": "temporal", "rules": ["a", "b"], "timespan": "5m", "generate": True})
    assert {r.id for r in rs.rules if r.generate} == {"r-a", "r-b", "r-c"}
    _, rs = corr(tmp_path, {"type": "temporal", "rules": ["r-a", "b"], "timespan": "5m"})  # by id or by name
    assert {r.id for r in rs.rules if r.generate} == {"r-c"} and rs.correlations[0].rules == ("r-a", "r-b")


@pytest.mark.parametrize(("correlation", "reason"), [
    ({"type": "event_count", "rules": ["a"], "timespan": "5m", "condition": {"lt": 3}}, "'lte'|'lt'"),
    ({"type": "value_sum", "rules": ["a"], "timespan": "5m", "condition": {"gte": 3, "field": "x"}}, "value_sum"),
    ({"type": "temporal", "timespan": "5m", "condition": "a and b"}, "extended"),
    ({"type": "event_count", "rules": ["nope"], "timespan": "5m", "condition": {"gte": 3}}, "not loaded: nope"),
    ({"type": "event_count", "rules": ["a"], "timespan": "soon", "condition": {"gte": 3}}, "correlation: Timespan"),
    ({"type": "temporal", "rules": ["a", "b"], "timespan": "5m", "group-by": ["u"],
      "aliases": {"u": {"a": "actor.id"}}}, "alias 'u'"),
])
def test_what_cannot_be_evaluated_is_skipped_with_its_reason(tmp_path: Path, correlation: dict[str, Any],
                                                           reason: str) -> None:
    _, rs = corr(tmp_path, correlation)
    assert rs.correlations == ()
    (skipped,) = rs.skipped
    assert skipped.title == "corr"
    import re

    assert re.search(reason, skipped.reason), skipped.reason


def test_a_correlation_file_loads_alone_and_resolves_in_the_set(tmp_path: Path) -> None:
    f = tmp_path / "c.yml"
    f.write_text(yaml.safe_dump({"title": "c", "id": "c", "correlation": {
        "type": "event_count", "rules": ["a"], "timespan": "5m", "condition": {"gte": 2}}}))
    g = tmp_path / "base.yml"
    g.write_text(yaml.safe_dump(BASE[0]))
    assert len(load_file(f).correlations) == 1 and load_file(f).rules == []
    assert [c.rules for c in load_rule_set([str(f), str(g)]).correlations] == [("r-a",)]


# bounded state ---------------------------------------------------------------------------------------------------
def test_state_is_bounded_by_what_one_timespan_holds() -> None:
    """A day of failures from 20,000 addresses, a few a minute: the groups outside the last hour are dropped."""
    rs = load_rule_set(["credential-stuffing-2024"])
    correlator = Correlator(rs.correlations)
    base = [r.id for r in rs.rules if not r.generate]
    peak = 0
    for i in range(20_000):
        correlator.push(fail(f"f{i}", i * 4.32, f"u{i % 997}", f"10.{i // 65536}.{i // 256 % 256}.{i % 256}"), base)
        peak = max(peak, correlator.groups)
    assert peak <= 2 * 3600 / 4.32 + 2  # about one timespan's worth of groups (swept once a timespan)
    assert correlator.groups <= peak


def test_reading_keeps_only_what_the_diff_reports_and_the_diff_is_unchanged() -> None:
    """`read` drops the quiet base rules' events no correlation uses; the findings are the same with or without."""
    rnd = random.Random(5)
    events = []
    for i in range(3000):
        ip = f"185.220.1.{rnd.randrange(3)}" if rnd.random() < 0.2 else f"73.{rnd.randrange(250)}.1.1"
        events.append(fail(f"f{i}", i * rnd.uniform(1, 30), f"u{rnd.randrange(40)}", ip))
    events += [event("stuff", 10, "user.session.start", "u1", "185.220.1.9")]
    events[7]["securityContext"] = {"isProxy": True}
    kind = SystemLogHunt("hunt", {"since": "2024-01-01T00:00:00Z", "rules": ["credential-stuffing-2024"]})
    engine = kind.engine
    kept = kind._retained(engine, events, {}, "", FAR, frozenset())
    assert 0 < len(kept) < len(events)
    observed = {"since": "2024-01-01T00:00:00.000Z", "until": FAR, "own_request_ids": [], "admins": [],
                "new_admins": []}

    def findings(evs: list[dict[str, Any]]) -> list[tuple[str, int]]:
        return sorted((f.target.id, f.evidence["count"]) for f in kind.diff({**observed, "events": evs}))

    assert findings(kept) == findings(events)

"""The engine: the raw-line prefilter finds exactly what parsing every event would, and the built-in rules."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path

import pytest

from remediator.evidence import ChunkWriter, Manifest
from remediator.hunt import Engine, load_rule_set
from remediator.timeutil import format_time, parse_time
from tests.conftest import REFERENCE
from tests.hunt.perf_hunt import ATTACK, ORDINARY, synthetic

SIGMA = REFERENCE / "sigma"


def rule_sets() -> list[list[str]]:
    return [["lapsus-2022"], ["lapsus-2022", str(SIGMA)]] if SIGMA.is_dir() else [["lapsus-2022"]]


def mixed_events(n: int, seed: int = 7) -> list[dict]:
    rnd = random.Random(seed)
    start = parse_time("2022-01-21T00:00:00Z")
    events = [synthetic(i, format_time(start + timedelta(seconds=i)), rnd) for i in range(n)]
    for i, e in enumerate(events):  # make sure every attack type, odd cases and each Sigma field occur
        if i % 17 == 0:
            e["eventType"] = ATTACK[i % len(ATTACK)]
        if i % 23 == 0:
            e["actor"]["alternateId"] = "SYSTEM@okta.com"  # case differs from the rule
        if i % 29 == 0:
            e["securityContext"]["isProxy"] = True
            e["debugContext"]["debugData"]["requestUri"] = "/admin/users"
        if i % 31 == 0:
            e["displayMessage"] = "Max sign in attempts exceeded"
        if i % 37 == 0:
            e["eventType"], e["legacyEventType"] = "user.account.reset_password", "core.user_auth.login_failed"
            e["target"] = [{"id": "00uadmin", "type": "User"}]
    return events


@pytest.mark.parametrize("specs", rule_sets(), ids=lambda s: "+".join(Path(x).name for x in s))
def test_prefilter_finds_exactly_what_full_parsing_finds(specs: list[str]) -> None:
    events = mixed_events(3000)
    new = events[5]["actor"]["id"]
    known = {"admin": frozenset({"00uadmin", new}), "new_admin": frozenset({new})}
    engine = Engine(load_rule_set(specs).rules, known)
    reference = Engine(load_rule_set(specs).rules)  # full parsing of every event, no prefilter
    expected = [e["uuid"] for e in events if reference.matches(e, known)]
    assert events[5]["uuid"] in expected
    block = b"".join(json.dumps(e, separators=(",", ":"), ensure_ascii=False).encode() + b"\n" for e in events)
    got = [e["uuid"] for e in engine.candidates(block) if engine.matches(e, known)]
    assert got == expected and len(expected) > 100
    assert sum(1 for _ in engine.candidates(block)) < len(events) / 2  # most lines are never parsed


def test_scan_archive_streams_the_range(tmp_path: Path) -> None:
    events = mixed_events(2500)
    m = Manifest(tenant="acme", org_url="x")
    w = ChunkWriter(tmp_path, m, events[0]["published"], "2022-02-01T00:00:00.000Z", chunk_events=500)
    for e in events:
        w.add(e)
    w.close()
    engine = Engine(load_rule_set(["lapsus-2022"]).rules)
    lo, hi = events[600]["published"], events[1800]["published"]
    got = [e["uuid"] for e in engine.scan_archive(tmp_path, m, lo, hi)]
    assert got == [e["uuid"] for e in events[600:1800] if engine.matches(e)] and got


def test_ordinary_traffic_matches_no_builtin_rule() -> None:
    engine = Engine(load_rule_set(["lapsus-2022"]).rules)
    rnd = random.Random(3)
    for et in ORDINARY:
        e = synthetic(1, "2022-01-22T00:00:00.000Z", rnd)
        e["eventType"] = et
        assert engine.matches(e, {"admin": frozenset({e["actor"]["id"]})}) == [], et

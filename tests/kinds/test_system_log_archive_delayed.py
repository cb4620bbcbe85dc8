"""okta.system_log_archive against a sandbox that persists some events late, as Okta does.

Okta, System Log query guide (https://developer.okta.com/docs/reference/system-log-query/): "Not all events
for the specified time range may be present. Some events may be delayed", and "Don't transfer data by
manually paginating using since and until ... always follow the next links". The spec's `GET /api/v1/logs`
(../shared/okta-reference/okta-management-openapi-spec/dist/current/management-minimal.yaml, `since` and
`until`): "the log events `published` property for bounded queries or persistence time for polling queries".

The proof compares with the sandbox's ground truth (`Sandbox.logs`: every event, persisted or not): every
event whose `published` lies in the manifest's covered range is archived exactly once.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from remediator.evidence import iter_archive_events, load_manifest, read_pending, verify_evidence
from remediator.sandbox import Sandbox
from remediator.timeutil import format_time, parse_time
from tests.kinds import live

KIND = "okta.system_log_archive"
SINCE = "2022-03-22T11:00:00.000Z"


def active_users(sb: Sandbox, count: int) -> list[str]:
    operator = sb.store.operator
    return sorted(uid for uid, u in sb.store.users.items() if u.get("status") == "ACTIVE" and uid != operator)[:count]


async def emit(sb: Sandbox, users: list[str], writes: int) -> None:
    """`writes` System Log events, made the way Okta makes them: by writes (suspend, then unsuspend)."""
    async with live.tenant(sb) as ctx:
        for i in range(writes):
            uid = users[(i // 2) % len(users)]
            action = "suspend" if sb.store.users[uid]["status"] == "ACTIVE" else "unsuspend"
            await ctx.client.request("POST", f"/api/v1/users/{uid}/lifecycle/{action}")


async def archive(sb: Sandbox, directory: Path, **extra: Any) -> None:
    changes, _ = await live.plan(sb, KIND, {"since": SINCE, "dir": str(directory), **extra})
    if changes:
        await live.apply(sb, KIND, {"since": SINCE, "dir": str(directory), **extra}, changes)


def check_exactly_once(sb: Sandbox, directory: Path) -> dict[str, Any]:
    """Every ground-truth event published in the covered range is archived once; nothing else is archived."""
    d = directory / "sandbox"
    manifest = load_manifest(d)
    assert manifest is not None and manifest.covered is not None
    lo, hi = manifest.covered["since"], manifest.covered["until"]
    truth = Counter(e["uuid"] for e in sb.logs if lo <= e["published"] < hi)
    archived = Counter(e["uuid"] for e in iter_archive_events(d, manifest))
    assert archived == truth, (len(truth), len(archived), sorted((truth - archived).items())[:3])
    pending = [e["uuid"] for e in read_pending(d, manifest)]
    assert not set(pending) & set(archived) and len(pending) == len(set(pending))
    verify_evidence(d)
    return {"covered": (lo, hi), "events": sum(archived.values()), "pending": len(pending)}


async def test_events_persisted_three_seconds_late_are_archived(tmp_path: Path) -> None:
    """Reproduction: events visible 3 s after `published`; the old archive claimed their range and never had them."""
    with Sandbox(scenario="lapsus-2022", users=40, clock="2022-03-22T12:00:00Z", log_delay=0) as sb:
        sb._call(lambda: sb.store.delay_persistence(7, 3.0, 1.0))
        users = active_users(sb, 4)
        await emit(sb, users, 6)
        await archive(sb, tmp_path)
        sb.advance(5)
        await emit(sb, users, 4)
        await archive(sb, tmp_path)
        sb.advance(900)
        await archive(sb, tmp_path)
        result = check_exactly_once(sb, tmp_path)
        written = [e for e in sb.logs if e["published"] >= SINCE and e["eventType"].startswith("user.lifecycle.")]
        assert len(written) == 10 and all(result["covered"][0] <= e["published"] < result["covered"][1]
                                          for e in written)


async def test_archive_run_repeatedly_while_events_keep_arriving(tmp_path: Path) -> None:
    """The proof: the scenario's delayed persistence (up to 3 minutes), twelve runs, events arriving between."""
    rng = random.Random(3)
    with Sandbox(scenario="lapsus-2022", users=40, clock="2022-03-22T12:00:00Z") as sb:
        assert sb.config.log_delay > 0  # on by default in the scenario
        users = active_users(sb, 6)
        claims = []
        for _ in range(12):
            await emit(sb, users, rng.randrange(0, 12))
            sb.advance(rng.choice([0, 1, 3, 30, 90, 200, 400]))
            await archive(sb, tmp_path, chunk_events=7)
            claims.append(check_exactly_once(sb, tmp_path)["covered"][1])
        sb.advance(3600)
        await archive(sb, tmp_path, chunk_events=7)
        final = check_exactly_once(sb, tmp_path)
        assert claims == sorted(claims) and final["covered"][1] > claims[-1]
        assert all(final["covered"][0] <= e["published"] < final["covered"][1]
                   for e in sb.logs if e["published"] >= SINCE and e["eventType"].startswith("user.lifecycle."))
        manifest = load_manifest(tmp_path / "sandbox")
        assert manifest is not None and manifest.late == [] and manifest.cursor


async def test_hunt_over_the_archive_finds_an_event_persisted_late(tmp_path: Path) -> None:
    """The hunt reads the archive only where it is claimed, so an event Okta persisted late is still found."""
    with Sandbox(scenario="lapsus-2022", users=40, clock="2022-03-22T12:00:00Z", log_delay=0) as sb:
        sb._call(lambda: sb.store.delay_persistence(7, 60.0, 1.0))
        admin = next(uid for uid in sb.store.admin_ids() if uid != sb.store.operator)
        async with live.tenant(sb) as ctx:
            await ctx.client.request("POST", f"/api/v1/users/{admin}/lifecycle/reset_password",
                                     params={"sendEmail": "false"})
        persisted = sb._call(lambda: sb.store.persistence.visible[-1])
        assert persisted > format_time(parse_time(sb.logs[-1]["published"]) + timedelta(seconds=10))  # the seed's
        sb.advance(2)
        await archive(sb, tmp_path)  # published before the tenant's now, not persisted yet
        sb.advance(60)
        _, findings = await live.plan(sb, "okta.system_log_hunt",
                                      {"since": SINCE, "rules": ["lapsus-2022"], "dir": str(tmp_path)})
        resets = [s for f in findings for s in f.evidence.get("samples", ())
                  if s["eventType"] == "user.account.reset_password" and s["published"] >= SINCE]
        assert [s["targets"][0]["id"] for s in resets] == [admin]

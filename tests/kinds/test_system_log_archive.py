"""okta.system_log_archive: data-file diff tests, and apply against a fake tenant (limits, resume, increments)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from remediator import evidence
from remediator.errors import InputError
from remediator.evidence import iter_archive_events, load_manifest, verify_evidence
from remediator.kinds.base import REGISTRY
from remediator.kinds.system_log_archive import SystemLogArchive
from remediator.plan import Change, Finding, NoOp
from remediator.timeutil import parse_time
from tests.support import FakeClient, Interrupted, context, event, spread

DATA = Path(__file__).parent / "data" / "system_log_archive"
NOW = "2022-03-22T12:00:00.000Z"
SINCE = "2022-03-20T00:00:00.000Z"


def project(item: Change | Finding | NoOp) -> dict[str, Any]:
    if isinstance(item, Change):
        return {"change": item.action, "before": item.before, "after": item.after}
    if isinstance(item, NoOp):
        return {"no_op": item.reason}
    return {"finding": item.severity, "evidence": item.evidence}


def decided(items: list) -> list:
    """Changes and findings: what a plan holds (its no-ops only explain)."""
    return [i for i in items if not isinstance(i, NoOp)]


@pytest.mark.parametrize("case", sorted(DATA.glob("*.json")), ids=lambda p: p.stem)
def test_diff_data_files(case: Path) -> None:
    data = json.loads(case.read_text())
    kind = SystemLogArchive("archive", data["args"])
    out = kind.diff(data["observed"])
    assert [project(x) for x in out] == data["expect"]
    for item in out:
        assert item.target is not None and item.target.id == data["observed"]["dir"]
        if isinstance(item, Change):
            assert item.reason


def test_registered_with_closed_schema_and_valid_example() -> None:
    import jsonschema

    assert REGISTRY["okta.system_log_archive"] is SystemLogArchive
    assert SystemLogArchive.schema["additionalProperties"] is False
    assert SystemLogArchive.scopes == ("okta.logs.read",)
    example = yaml.safe_load(SystemLogArchive.__doc__.split("Example::", 1)[1])
    jsonschema.validate(example[0]["okta.system_log_archive"], SystemLogArchive.schema)


def test_until_not_after_since_is_an_input_error() -> None:
    kind = SystemLogArchive("s", {"since": NOW, "until": NOW, "dir": "x"})
    with pytest.raises(InputError, match="not after"):
        kind.diff({"dir": "x/acme", "now": NOW, "covered": None, "retention_lost": []})


async def plan_apply(args: dict, client: FakeClient) -> tuple[list, SystemLogArchive]:
    kind = SystemLogArchive("archive", args)
    ctx = context(client)
    items = kind.diff(await kind.read(ctx))
    for change in [c for c in items if isinstance(c, Change)]:
        assert kind.verdict(change, await kind.current(ctx, change)) == "pending"
        await kind.apply(ctx, change)
        assert kind.verdict(change, await kind.current(ctx, change)) == "done"
    return items, kind


def archived(tmp_path: Path) -> list[str]:
    d = tmp_path / "acme"
    return [e["uuid"] for e in iter_archive_events(d, load_manifest(d))]


@pytest.mark.parametrize(("since_inclusive", "until_inclusive"), [(True, False), (True, True), (False, False)])
async def test_events_exactly_on_the_limits(tmp_path: Path, since_inclusive: bool, until_inclusive: bool) -> None:
    until = "2022-03-21T00:00:00.000Z"
    before, at_since, mid, at_until, later = (event("2022-03-19T23:59:59.999Z"), event(SINCE),
                                              event("2022-03-20T10:00:00.000Z"), event(until), event(NOW))
    client = FakeClient(events=[before, at_since, mid, at_until, later], now=NOW,
                        since_inclusive=since_inclusive, until_inclusive=until_inclusive)
    args = {"since": SINCE, "until": until, "dir": str(tmp_path)}
    await plan_apply(args, client)
    assert archived(tmp_path) == [at_since["uuid"], mid["uuid"]]
    # a fixed until: the second run plans nothing and fetches nothing
    calls = len(client.log_queries)
    items, _ = await plan_apply(args, client)
    assert decided(items) == [] and len(client.log_queries) == calls
    assert [i.reason for i in items] == [f"the archive already covers {SINCE} .. {until}"]
    # until = now: Okta's polling query from the old limit (1 ms early), the event on it exactly once
    client.clock.advance(60)  # one clock: the tenant's now moves with it
    items, _ = await plan_apply({"since": SINCE, "dir": str(tmp_path), "settle": 0}, client)
    assert [i.action for i in decided(items)] == ["archive"]
    assert archived(tmp_path) == [at_since["uuid"], mid["uuid"], at_until["uuid"], later["uuid"]]
    query = client.log_queries[-1]
    assert query["since"] == "2022-03-20T23:59:59.999Z" and "until" not in query
    assert load_manifest(tmp_path / "acme").cursor.startswith("/api/v1/logs?")  # kept to resume from
    verify_evidence(tmp_path)


async def test_until_defaults_to_the_tenants_clock_less_the_settling_margin(tmp_path: Path) -> None:
    recent = event("2022-03-22T11:55:00.000Z")
    client = FakeClient(events=[event("2022-03-21T00:00:00.000Z"), recent], now="2022-03-22T12:00:00.000Z")
    items, _ = await plan_apply({"since": SINCE, "dir": str(tmp_path)}, client)
    assert items[0].after == {"covered": [SINCE, "2022-03-22T11:50:00.000Z"]}
    assert "until" not in client.log_queries[0] and client.log_queries[0]["limit"] == 1000  # a polling query
    m = load_manifest(tmp_path / "acme")
    assert m.events == 1 and m.pending.events == 1  # read, kept, not claimed yet
    assert m.polled_at == "2022-03-22T12:00:00.000Z" and m.settle_seconds == 600
    client.clock.advance(30 * 60)
    items, _ = await plan_apply({"since": SINCE, "dir": str(tmp_path)}, client)
    assert "after" in client.log_queries[-1]  # resumed from the manifest's cursor
    m = load_manifest(tmp_path / "acme")
    assert m.events == 2 and m.pending is None and m.covered["until"] == "2022-03-22T12:20:00.000Z"
    verify_evidence(tmp_path)


async def test_backfill_before_the_covered_range(tmp_path: Path) -> None:
    early, late = spread("2022-03-18T00:00:00.000Z", 5, 3_600_000), spread("2022-03-21T00:00:00.000Z", 5)
    client = FakeClient(events=early + late, now=NOW)
    await plan_apply({"since": SINCE, "dir": str(tmp_path)}, client)
    items, _ = await plan_apply({"since": "2022-03-18T00:00:00Z", "until": NOW, "dir": str(tmp_path)}, client)
    assert items[0].after == {"covered": ["2022-03-18T00:00:00.000Z", "2022-03-22T11:50:00.000Z"]}
    assert archived(tmp_path) == [e["uuid"] for e in early + late]
    verify_evidence(tmp_path)


async def test_kill_mid_archive_resumes_without_gap_or_duplicate(tmp_path: Path) -> None:
    events = spread(SINCE, 5000, 10)
    args = {"since": SINCE, "until": NOW, "dir": str(tmp_path), "chunk_events": 1500, "settle": 0}
    with pytest.raises(Interrupted):
        await plan_apply(args, FakeClient(events=events, now=NOW, kill_after_pages=3))
    m = load_manifest(tmp_path / "acme")
    assert m.events == 1500 and m.covered["until"] == events[1500]["published"]  # checkpointed at a chunk
    verify_evidence(tmp_path)
    client = FakeClient(events=events, now=NOW)
    await plan_apply(args, client)
    assert client.log_queries[0]["since"] < events[1500]["published"]  # resumed, not restarted
    assert archived(tmp_path) == [e["uuid"] for e in events]
    verify_evidence(tmp_path)


async def test_chunk_renamed_but_manifest_not_updated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events = spread(SINCE, 3000, 10)
    args = {"since": SINCE, "until": NOW, "dir": str(tmp_path), "chunk_events": 1000, "settle": 0}
    real_save, saves = evidence.save_manifest, []

    def dying_save(directory: Any, manifest: Any) -> None:
        saves.append(1)
        if len(saves) == 2:
            raise Interrupted
        real_save(directory, manifest)

    monkeypatch.setattr(evidence, "save_manifest", dying_save)
    with pytest.raises(Interrupted):
        await plan_apply(args, FakeClient(events=events, now=NOW))
    monkeypatch.setattr(evidence, "save_manifest", real_save)
    d = tmp_path / "acme"
    assert len(list(d.glob("events-*.jsonl.gz"))) == 2 and len(load_manifest(d).chunks) == 1
    with pytest.raises(evidence.VerifyError, match="not described"):
        verify_evidence(tmp_path)
    await plan_apply(args, FakeClient(events=events, now=NOW))
    assert archived(tmp_path) == [e["uuid"] for e in events]
    verify_evidence(tmp_path)


async def test_range_past_retention_is_recorded_and_reported(tmp_path: Path) -> None:
    client = FakeClient(events=spread("2022-03-21T00:00:00.000Z", 3), now=NOW)
    args = {"since": "2021-12-01T00:00:00Z", "until": NOW, "dir": str(tmp_path)}
    items, kind = await plan_apply(args, client)
    assert [type(i).__name__ for i in items] == ["Finding", "Change"]
    assert client.log_queries[0]["since"] >= "2021-12-22T11:59:59.999Z"  # never asks for what Okta refuses
    m = load_manifest(tmp_path / "acme")
    assert m.retention_lost == [{"since": "2021-12-01T00:00:00.000Z", "until": "2021-12-22T12:00:00.000Z"}]
    again = kind.diff(await kind.read(context(client)))
    assert [(type(i).__name__, i.severity) for i in decided(again)] == [("Finding", "high")]


async def test_kill_mid_poll_resumes_from_the_cursor_with_its_pending_events(tmp_path: Path) -> None:
    events = spread(SINCE, 5000, 30_000)  # one every 30 s: some still unsettled when a page ends
    args = {"since": SINCE, "dir": str(tmp_path), "chunk_events": 1500}
    with pytest.raises(Interrupted):
        await plan_apply(args, FakeClient(events=events, now=NOW, kill_after_pages=3))
    m = load_manifest(tmp_path / "acme")
    assert m.cursor and "after=2000" in m.cursor  # checkpointed after page 2
    assert m.pending.events == 21 and m.events == 1979  # 10 minutes of events wait to settle
    assert m.covered["until"] == events[1979]["published"]
    verify_evidence(tmp_path)
    client = FakeClient(events=events, now=NOW)
    await plan_apply(args, client)
    assert client.log_queries[0]["after"] == "2000"
    assert archived(tmp_path) == [e["uuid"] for e in events]
    verify_evidence(tmp_path)


async def test_an_event_later_than_the_margin_is_kept_and_reported(tmp_path: Path) -> None:
    early = spread(SINCE, 3, 1000)
    client = FakeClient(events=early, now=NOW)
    args = {"since": SINCE, "dir": str(tmp_path)}
    await plan_apply(args, client)
    straggler = event("2022-03-21T00:00:00.000Z")  # published long before the claim's end, persisted only now
    client.events.append(straggler)
    client.clock.advance(30 * 60)
    _, kind = await plan_apply(args, client)
    m = load_manifest(tmp_path / "acme")
    assert [c.events for c in m.late] == [1] and m.events == 4
    assert straggler["uuid"] in archived(tmp_path)
    verify_evidence(tmp_path)
    again = kind.diff(await kind.read(context(client)))
    assert [(type(i).__name__, i.severity) for i in decided(again)] == [("Finding", "medium")]


async def test_the_claim_is_the_planned_one_although_the_tenants_clock_reads_earlier_at_apply(tmp_path: Path) -> None:
    """`Date` has whole seconds: the apply may estimate the tenant's clock below what the plan saw. The poll
    caught up after the plan, so the planned claim holds (it was applied once, then 'pending' for ever)."""
    client = FakeClient(events=spread("2022-03-22T11:00:00.000Z", 50, 60_000), now="2022-03-22T12:00:00.900Z")
    kind = SystemLogArchive("archive", {"since": SINCE, "dir": str(tmp_path)})
    ctx = context(client)
    (change,) = kind.diff(await kind.read(ctx))
    client.now = parse_time("2022-03-22T12:00:00.000Z")
    await kind.apply(ctx, change)
    assert kind.verdict(change, await kind.current(ctx, change)) == "done"
    assert load_manifest(tmp_path / "acme").covered["until"] == "2022-03-22T11:50:00.900Z"


async def test_a_manifest_cursor_elsewhere_is_refused_in_one_line(tmp_path: Path) -> None:
    client = FakeClient(events=spread(SINCE, 3, 1000), now=NOW)
    args = {"since": SINCE, "dir": str(tmp_path)}
    await plan_apply(args, client)
    path = tmp_path / "acme" / "manifest.json"
    data = json.loads(path.read_text())
    data["cursor"] = "/api/v1/users?after=x"
    path.write_text(json.dumps(data))
    client.clock.advance(30 * 60)
    with pytest.raises(evidence.VerifyError, match="not a System Log link"):
        await plan_apply(args, client)


async def test_killed_between_a_checkpoints_files_and_its_manifest(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A poll's checkpoint writes its chunk and pending file, then the manifest: killed in between, the next
    run deletes what the manifest does not name, resumes from the last cursor, and ends exact."""
    events = spread(SINCE, 5000, 30_000)
    args = {"since": SINCE, "dir": str(tmp_path), "chunk_events": 1500}
    real_save, saves = evidence.save_manifest, []

    def dying_save(directory: Any, manifest: Any) -> str:
        saves.append(1)
        if len(saves) == 2:
            raise Interrupted
        return real_save(directory, manifest)

    monkeypatch.setattr(evidence, "save_manifest", dying_save)
    with pytest.raises(Interrupted):
        await plan_apply(args, FakeClient(events=events, now=NOW))
    monkeypatch.setattr(evidence, "save_manifest", real_save)
    d = tmp_path / "acme"
    assert len(load_manifest(d).chunks) == 1 and len(list(d.glob("pending-*"))) == 2  # one orphan of each
    with pytest.raises(evidence.VerifyError, match="not described"):
        verify_evidence(tmp_path)
    await plan_apply(args, FakeClient(events=events, now=NOW))
    assert archived(tmp_path) == [e["uuid"] for e in events]
    assert len(list(d.glob("pending-*"))) == 0
    verify_evidence(tmp_path)

"""okta.system_log_hunt: data-file diff tests; reading the archive instead of the API; own writes left out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from remediator.evidence import ChunkWriter, Manifest, load_manifest
from remediator.facts.endpoints import ROLE_ASSIGNEES
from remediator.kinds.base import REGISTRY
from remediator.kinds.system_log_hunt import SystemLogHunt
from remediator.plan import Change, Finding, NoOp
from tests.conftest import REFERENCE
from tests.support import FakeClient, admin_org, context, event, role, user

DATA = Path(__file__).parent / "data" / "system_log_hunt"
SIGMA = REFERENCE / "sigma"
NOW = "2022-03-22T12:00:00.000Z"
SINCE = "2022-03-01T00:00:00.000Z"


@pytest.mark.parametrize("case", sorted(DATA.glob("*.json")), ids=lambda p: p.stem)
def test_diff_data_files(case: Path) -> None:
    data = json.loads(case.read_text())
    items = SystemLogHunt("hunt", data["args"]).diff(data["observed"])
    assert [n.reason for n in items if isinstance(n, NoOp)] == data.get("notes", [])
    out = [f for f in items if not isinstance(f, NoOp)]
    assert all(isinstance(f, Finding) for f in out)
    severity = {r["id"]: r["severity"] for f in out for r in f.evidence["rules"]}
    got = [[e["uuid"], rid, severity[rid]] for f in out for e in f.evidence["events"] for rid in e["rules"]]
    assert sorted(got) == sorted(data["expect"])
    uuids = [e["uuid"] for f in out for e in f.evidence["events"]]
    assert len(uuids) == len(set(uuids))  # each event in one finding, however many rules it matched
    assert all(f.severity == f.evidence["rules"][0]["severity"] for f in out)
    by_uuid = {e["uuid"]: e for e in data["observed"]["events"]}
    groups = set()
    for f in out:
        events = [by_uuid[e["uuid"]] for e in f.evidence["events"]]
        actors = {e["actor"]["alternateId"] for e in events}
        assert actors == {f.evidence["actor"]} and f.evidence["count"] == len(events)
        assert (f.evidence["rule"]["id"], f.evidence["actor"]) not in groups  # one finding per rule and actor
        groups.add((f.evidence["rule"]["id"], f.evidence["actor"]))
        assert all(e["rules"][0] == f.evidence["rule"]["id"] for e in f.evidence["events"])
        assert [e["published"] for e in f.evidence["events"]] == sorted(e["published"] for e in events)
        assert f.evidence["first_seen"] == events[0]["published"] and f.evidence["last_seen"] == events[-1]["published"]
        for sample in f.evidence["samples"]:
            e = by_uuid[sample["uuid"]]
            assert sample["published"] == e["published"] and sample["eventType"] == e["eventType"]
            assert sample["targets"] == [{k: t[k] for k in ("id", "type", "alternateId", "displayName") if k in t}
                                         for t in e["target"] or ()]
    assert len({f.id for f in out}) == len(out)


def test_registered_not_writing_with_valid_example() -> None:
    import jsonschema

    assert REGISTRY["okta.system_log_hunt"] is SystemLogHunt
    assert SystemLogHunt.writes == () and SystemLogHunt.schema["additionalProperties"] is False
    example = yaml.safe_load(SystemLogHunt.__doc__.split("Example::", 1)[1])
    jsonschema.validate(example[0]["okta.system_log_hunt"], SystemLogHunt.schema)


def tenant(events: list[dict[str, Any]], *admins: str) -> FakeClient:
    """A tenant whose System Log holds `events` and whose admins (ORG_ADMIN) are `admins`, read through the
    real TenantReads; `00unew` was created in the hunted range. The token's owner holds no role."""
    users = [user(uid, f"{uid}@acme.com", created="2022-03-05T00:00:00.000Z" if uid == "00unew" else
                  "2020-01-01T00:00:00.000Z") for uid in admins]
    roles = {uid: [role(f"ra-{uid}", "ORG_ADMIN")] for uid in admins}
    return admin_org([*users, user("00uops", "ops@acme.com")], roles, "00uops", events=events, now=NOW)


def traces() -> list[dict[str, Any]]:
    admin = [{"id": "00uadmin", "type": "User"}]
    return [
        event(SINCE, "user.session.impersonation.grant", actor="system@okta.com", uid="at-since"),
        event("2022-03-02T00:00:00.000Z", "user.session.start", uid="ordinary"),
        event("2022-03-03T00:00:00.000Z", "user.mfa.factor.reset_all", actor_id="00ueve", targets=admin, uid="mfa"),
        event("2022-03-04T00:00:00.000Z", "user.account.reset_password", actor_id="00uops", targets=admin,
              uid="own", request_id="req-own"),
        event("2022-03-10T00:00:00.000Z", "system.api_token.create", uid="token"),
        event("2022-03-20T00:00:00.000Z", "system.idp.lifecycle.create", uid="idp"),
    ]


def archive(root: Path, events: list[dict[str, Any]], until: str) -> None:
    m = Manifest(tenant="acme", org_url="https://acme.okta.com")
    w = ChunkWriter(root / "acme", m, SINCE, until, chunk_events=2)
    for e in events:
        w.add(e)
    w.close()


async def hunt(args: dict[str, Any], client: FakeClient) -> tuple[dict, list[str]]:
    kind = SystemLogHunt("hunt", {"since": SINCE, "rules": ["lapsus-2022"], **args})
    observed = await kind.read(context(client, own_request_ids=frozenset({"req-own"})))
    json.dumps(observed)  # the observed state is plain data (plans are reproducible from it)
    found = [f for f in kind.diff(observed) if isinstance(f, Finding)]
    return observed, [e["uuid"] for f in found for e in f.evidence.get("events", ())]


async def test_reads_the_api_when_there_is_no_archive(tmp_path: Path) -> None:
    client = tenant(traces(), "00uadmin")
    observed, hits = await hunt({"dir": str(tmp_path)}, client)
    assert hits == ["at-since", "mfa", "token", "idp"]  # one finding: impersonation + system@okta.com actor
    assert observed["sources"] == [{"source": "api", "since": SINCE, "until": NOW}]
    assert observed["own_request_ids"] == ["req-own"] and "own" in [e["uuid"] for e in observed["events"]]
    assert "ordinary" not in [e["uuid"] for e in observed["events"]]  # read keeps only what a rule matches


async def test_reads_the_archive_and_only_the_uncovered_tail_from_the_api(tmp_path: Path) -> None:
    events = traces()
    archive(tmp_path, events[:5], "2022-03-15T00:00:00.000Z")
    client = tenant([events[5]], "00uadmin")  # the API only has what came after the archive
    observed, hits = await hunt({"dir": str(tmp_path)}, client)
    assert hits == ["at-since", "mfa", "token", "idp"]
    assert [s["source"] for s in observed["sources"]] == ["archive", "api"]
    assert client.log_queries[0]["since"] == "2022-03-15T00:00:00.000Z"


async def test_archive_starting_after_since_is_completed_by_the_api_before_it(tmp_path: Path) -> None:
    events = traces()
    m = Manifest(tenant="acme", org_url="x")
    w = ChunkWriter(tmp_path / "acme", m, "2022-03-05T00:00:00.000Z", NOW)
    for e in events[4:]:
        w.add(e)
    w.close()
    client = tenant(events[:4], "00uadmin")
    observed, hits = await hunt({"dir": str(tmp_path)}, client)
    assert hits == ["at-since", "mfa", "token", "idp"]
    assert [(s["source"], s["since"], s["until"]) for s in observed["sources"]] == [
        ("archive", "2022-03-05T00:00:00.000Z", NOW), ("api", SINCE, "2022-03-05T00:00:00.000Z")]


async def test_fully_archived_range_makes_no_api_call(tmp_path: Path) -> None:
    archive(tmp_path, traces(), NOW)
    client = tenant([], "00uadmin")
    _, hits = await hunt({"dir": str(tmp_path), "until": "2022-03-15T00:00:00Z"}, client)
    assert hits == ["at-since", "mfa", "token"] and client.log_queries == []  # no log query (one GET reads the clock)


async def test_admin_rules_need_the_admin_list(tmp_path: Path) -> None:
    _, hits = await hunt({}, tenant(traces()))  # nobody is an admin
    assert "mfa" not in hits


@pytest.mark.parametrize("archived", [False, True])
async def test_admins_created_in_the_range_have_every_action_listed(tmp_path: Path, archived: bool) -> None:
    events = [*traces(), event("2022-03-06T00:00:00.000Z", "user.session.start", actor_id="00unew", uid="new-1"),
              event("2022-03-07T00:00:00.000Z", "group.lifecycle.create", actor_id="00unew", uid="new-2"),
              event("2022-03-07T00:00:01.000Z", "group.lifecycle.create", actor_id="00uadmin", uid="old-admin")]
    events.sort(key=lambda e: e["published"])
    if archived:
        archive(tmp_path, events, NOW)
    client = tenant([] if archived else events, "00uadmin", "00unew")
    observed, hits = await hunt({"dir": str(tmp_path)}, client)
    assert observed["new_admins"] == ["00unew"] and observed["admins"] == ["00uadmin", "00unew"]
    assert "new-1" in hits and "new-2" in hits and "old-admin" not in hits


async def test_reference_sigma_rules_run_and_report_skipped_ones(tmp_path: Path) -> None:
    if not SIGMA.is_dir():
        pytest.skip("../shared/okta-reference is not beside the repository")
    kind = SystemLogHunt("hunt", {"since": SINCE, "rules": [str(SIGMA)]})
    client = tenant(traces())
    observed = await kind.read(context(client))
    out = [f for f in kind.diff(observed) if isinstance(f, Finding)]
    assert client.calls_to("GET", ROLE_ASSIGNEES.path()) == []  # no Sigma rule needs the admin list
    skipped = [f for f in out if f.severity == "info" and f.target.type == "hunt_rule"]
    assert [f.evidence["reason"] for f in skipped] == [
        "'actor.alternateId|contains|expand' is a placeholder to fill in for your environment (|expand)"]
    assert {e["uuid"] for f in out if f.target.type == "hunt_group" for e in f.evidence["events"]} == {
        "mfa", "token", "idp"}


def test_unknown_rule_set_is_an_input_error() -> None:
    from remediator.errors import InputError

    with pytest.raises(InputError, match="neither a built-in rule set"):
        SystemLogHunt("hunt", {"since": SINCE, "rules": ["lapsus-2023"]}).diff(
            {"since": SINCE, "until": NOW, "events": []})


async def test_an_event_the_archive_got_late_is_hunted_from_the_archive(tmp_path: Path) -> None:
    """An event Okta persisted after its range was claimed is archived in a `late` chunk: the hunt reads it."""
    from remediator.kinds.system_log_archive import SystemLogArchive

    events = traces()
    client = tenant(events[:4], "00uadmin")
    archive_kind = SystemLogArchive("archive", {"since": SINCE, "dir": str(tmp_path)})
    for late in ([events[4]], []):
        ctx = context(client)
        for change in archive_kind.diff(await archive_kind.read(ctx)):
            if isinstance(change, Change):
                await archive_kind.apply(ctx, change)
        client.events += late  # the token created on 03-10 persists only after the first run
        client.now = client.now.replace(minute=30)
    assert [c.events for c in load_manifest(tmp_path / "acme").late] == [1]
    client.events = []  # the API has nothing: what the hunt finds comes from the archive
    _, hits = await hunt({"dir": str(tmp_path)}, client)
    assert hits == ["at-since", "mfa", "token"]


def _spray(n: int) -> list[dict[str, Any]]:
    """`n` failed sign-ins by one actor from two addresses, one every minute."""
    out = []
    for i in range(n):
        e = event(f"2022-03-10T{i // 60 % 24:02d}:{i % 60:02d}:00.000Z", "user.session.start", uid=f"spray-{i:04d}")
        e["actor"] = {"id": "00uvictim", "alternateId": "victim@acme.example", "type": "User"}
        e["client"] = {"ipAddress": ("203.0.113.9", "198.51.100.7")[i % 2]}
        e["outcome"] = {"result": "FAILURE", "reason": "INVALID_CREDENTIALS"}
        out.append(e)
    return out


def test_five_hundred_events_of_one_rule_and_actor_are_one_finding(tmp_path: Path) -> None:
    rule = tmp_path / "spray.yml"
    rule.write_text(yaml.safe_dump({
        "title": "Failed sign-in", "id": "11111111-2222-3333-4444-555555555555", "level": "high",
        "logsource": {"product": "okta", "service": "okta"},
        "detection": {"selection": {"eventtype": "user.session.start", "outcome.result": "FAILURE"},
                      "condition": "selection"}}))
    events = _spray(500)
    kind = SystemLogHunt("hunt", {"since": SINCE, "rules": [str(rule)]})
    observed = {"since": SINCE, "until": NOW, "sources": [], "admins": [], "new_admins": [],
                "own_request_ids": [], "events": events}
    (finding,) = [f for f in kind.diff(observed) if isinstance(f, Finding) and f.target.type == "hunt_group"]
    assert finding.evidence["count"] == 500 and finding.severity == "high"
    assert [e["uuid"] for e in finding.evidence["events"]] == [e["uuid"] for e in events]  # every event, in order
    assert finding.evidence["source_ips"] == ["198.51.100.7", "203.0.113.9"]
    assert finding.evidence["first_seen"] == events[0]["published"]
    assert finding.evidence["last_seen"] == events[-1]["published"]
    assert len(finding.evidence["samples"]) == 5 and "500 times" in finding.title
    json.dumps(finding.to_json())  # and the whole list goes into the JSON plan

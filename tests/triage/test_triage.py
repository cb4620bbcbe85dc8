"""Triage (issue 13 point 4): `remediator ack TENANT FINDING_ID` accepts a finding until its evidence changes
or the acknowledgement expires; `plan --detailed-exitcode --fail-on SEVERITY` drives scheduled drift checks."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from remediator.plan import Finding, Plan, PlaybookRef, Target, TenantPlan
from remediator.sandbox import Sandbox
from remediator.triage import active_acks, at_or_above, mark, open_findings
from tests.e2e.harness import cli, write_inventory, write_playbook

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _finding(evidence: dict[str, Any], severity: str = "critical") -> Finding:
    return Finding(state="hunt", kind="okta.system_log_hunt", severity=severity, title="Rule: eve",
                   target=Target("hunt_group", "r:eve", "g"), evidence=evidence)


def test_a_finding_id_follows_its_evidence() -> None:
    one, same, more = _finding({"count": 1}), _finding({"count": 1}), _finding({"count": 2})
    assert one.id == same.id != more.id


def test_the_latest_unexpired_acknowledgement_of_an_id_counts() -> None:
    records = [
        {"type": "ack", "step": "a", "by": "kim", "note": "old", "time": "2025-01-01T00:00:00Z"},
        {"type": "ack", "step": "a", "by": "lee", "note": "new", "time": "2025-02-01T00:00:00Z"},
        {"type": "ack", "step": "b", "by": "kim", "expires": "2025-12-31T00:00:00Z"},
        {"type": "ack", "step": "c", "by": "kim", "expires": "2026-12-31T00:00:00Z"},
        {"type": "change", "step": "d"},
    ]
    acks = active_acks(records, NOW)
    assert sorted(acks) == ["a", "c"] and acks["a"]["by"] == "lee"


def test_marking_and_counting_open_findings() -> None:
    crit, high, low = _finding({"n": 1}), _finding({"n": 2}, "high"), _finding({"n": 3}, "low")
    marked = mark([crit, high, low], {crit.id: {"by": "kim"}})
    assert marked[0].acknowledged == {"by": "kim"} and marked[1].acknowledged is None
    plan = Plan(created_at="x", playbook=PlaybookRef("p", "0" * 64),
                tenants=(TenantPlan(name="t", org_url="https://t.okta.com", findings=marked),))
    assert open_findings(plan, "critical") == []
    assert [f.id for f in open_findings(plan, "high")] == [high.id]
    assert at_or_above("medium") == {"critical", "high", "medium"}
    again = Finding.from_json(json.loads(json.dumps(marked[0].to_json())))
    assert again == marked[0]  # the acknowledgement survives a saved plan


def _attacker_event(sb: Sandbox, finding: dict[str, Any]) -> None:
    """One more event for the finding's rule and actor: a copy of its first event, published now."""
    first = finding["evidence"]["events"][0]["uuid"]
    original = next(e for e in sb.logs if e["uuid"] == first)
    event = copy.deepcopy(original)
    event["uuid"] = str(uuid.uuid4())

    def add() -> None:
        event["published"] = sb.store.next_published(sb.now())
        sb.store.append_log(event)

    sb._call(add)


def test_fail_on_exits_2_until_every_critical_finding_is_acknowledged(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    playbook = write_playbook(tmp_path / "p.yml", [{"name": "System Log hunted",
                                                   "okta.system_log_hunt": {"since": "2022-01-01T00:00:00Z",
                                                                            "rules": ["lapsus-2022"]}}])
    journal = tmp_path / "j.jsonl"
    with Sandbox(scenario="lapsus-2022", users=60, seed=7) as sb:
        inventory = write_inventory(tmp_path / "inv.yml", {"acme": {"org_url": sb.org_url, "token": sb.token}},
                                    monkeypatch)
        common = [playbook, "-i", inventory, "--journal", journal]

        def drift(*extra: str) -> Any:
            return cli("plan", *common, "--detailed-exitcode", *extra)

        first = drift("--json", "--fail-on", "critical")
        assert first.exit_code == 2, first.output  # converged (no change) but critical findings are open
        assert drift("--json").exit_code == 0  # without --fail-on, findings never change the exit code
        tenant = json.loads(first.stdout)["tenants"][0]
        critical = [f for f in tenant["findings"] if f["severity"] == "critical"]
        assert critical and tenant["changes"] == []
        for f in critical[:-1]:
            assert cli("ack", "acme", f["id"], "--by", "kim", "--note", "reviewed", "--journal", journal).exit_code == 0
        assert drift("--fail-on", "critical").exit_code == 2  # one is still open
        last = critical[-1]
        assert cli("ack", "acme", last["id"], "--by", "kim", "--note", "reviewed", "--journal", journal).exit_code == 0
        acked = drift("--json", "--fail-on", "critical")
        assert acked.exit_code == 0, acked.output
        doc = json.loads(acked.stdout)["tenants"][0]["findings"]
        assert all(f["acknowledged"]["by"] == "kim" for f in doc if f["severity"] == "critical")
        assert drift("--fail-on", "high").exit_code == (2 if any(f["severity"] == "high" for f in doc) else 0)

        terminal = drift("--fail-on", "critical")
        assert f"{len(critical)} acknowledged finding(s)" in terminal.output and "--show-acked" in terminal.output
        assert critical[0]["title"] not in terminal.output
        shown = drift("--fail-on", "critical", "--show-acked")
        assert critical[0]["title"] in shown.output and "acknowledged by kim" in shown.output

        _attacker_event(sb, last)  # the same rule and actor act again: the acknowledgement ends
        sb.advance(600)
        reopened = drift("--json", "--fail-on", "critical")
        assert reopened.exit_code == 2, reopened.output
        still_open = [f for f in json.loads(reopened.stdout)["tenants"][0]["findings"]
                      if f["severity"] == "critical" and "acknowledged" not in f]
        assert [f["target"]["id"] for f in still_open] == [last["target"]["id"]]
        assert still_open[0]["evidence"]["count"] == last["evidence"]["count"] + 1
    verify = cli("journal", "verify", journal)
    assert verify.exit_code == 0, verify.output
    acks = [json.loads(line) for line in journal.read_text().splitlines() if '"ack"' in line]
    assert len(acks) == len(critical) and all(a["type"] == "ack" for a in acks)


def test_expired_acknowledgements_and_bad_input(tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    bad = cli("ack", "acme", "abc", "--by", "kim", "--expires", "next tuesday", "--journal", journal)
    assert bad.exit_code == 1 and bad.output.startswith("error: --expires:") and not journal.exists()
    assert cli("ack", "acme", "abc", "--by", " ", "--journal", journal).exit_code == 1
    ok = cli("ack", "acme", "abc", "--by", "kim", "--expires", "2020-01-01", "--journal", journal)
    assert ok.exit_code == 0 and "until 2020-01-01T00:00:00" in ok.output
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    assert active_acks(records, NOW) == {}  # expired
    fail_on = cli("plan", tmp_path / "missing.yml", "--fail-on", "urgent")
    assert fail_on.exit_code == 1 and "--fail-on" in fail_on.output

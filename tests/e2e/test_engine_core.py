"""The engine's promises, proven on sandbox tenants with okta.support_access, the first complete kind:
plan writes nothing; apply converges; a saved plan against a moved tenant is refused whole; an
interrupted apply converges on rerun without repeating a write; one bad tenant never stops the others.
"""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any

import pytest

from remediator.engine import ApplySettings, PlanSettings, TenantJob, apply, plan
from remediator.inventory import load_inventory
from remediator.journal import Journal, read_records, verify
from remediator.plan import PLAN_SCHEMA, PlaybookRef
from remediator.playbook import load_playbook, render_states
from remediator.sandbox import Sandbox
from remediator.validation import validator
from tests.e2e.harness import FAST_CLIENT, cli, counting_writes, write_inventory, write_playbook
from tests.sandbox.fixtures import call, small_tenant

SUPPORT_OFF = [{"name": "Okta Support cannot reach the tenant", "okta.support_access": {"enabled": False}}]
WRITE_EVENTS = {"user.session.impersonation.revoke"}


@pytest.fixture
def sandbox() -> Any:
    with Sandbox(small_tenant()) as sb:
        yield sb


@pytest.fixture
def files(tmp_path: Path, sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    return {
        "playbook": write_playbook(tmp_path / "support.yml", SUPPORT_OFF),
        "inventory": write_inventory(tmp_path / "inv.yml", {"acme": {"org_url": sandbox.org_url,
                                                                      "token": sandbox.token}}, monkeypatch),
        "journal": tmp_path / "journal.jsonl",
        "plan": tmp_path / "plan.json",
    }


def _write_events(sandbox: Any) -> list[dict[str, Any]]:
    return [e for e in sandbox.logs if e["eventType"] in WRITE_EVENTS]


def test_three_steps(sandbox: Any, files: dict[str, Path]) -> None:
    with counting_writes(sandbox) as plan_writes:
        result = cli("plan", files["playbook"], "-i", files["inventory"], "--detailed-exitcode",
                     "--journal", files["journal"])
    assert result.exit_code == 2, result.output
    assert "revoke" in result.output and "disable_case_impersonation" in result.output
    assert plan_writes["new"] == 0  # planning leaves no trace in the tenant's System Log

    result = cli("apply", files["playbook"], "-i", files["inventory"], "--yes", "--journal", files["journal"])
    assert result.exit_code == 0, result.output
    assert "changed=2" in result.output
    assert call(sandbox, "GET", "/api/v1/org/privacy/oktaSupport").body["support"] == "DISABLED"

    result = cli("plan", files["playbook"], "-i", files["inventory"], "--detailed-exitcode",
                 "--journal", files["journal"])
    assert result.exit_code == 0, result.output
    assert "0 change(s)" in result.output


def test_plan_json_matches_the_contract(sandbox: Any, files: dict[str, Path]) -> None:
    result = cli("plan", files["playbook"], "-i", files["inventory"], "--json", "--out", files["plan"],
                 "--journal", files["journal"])
    assert result.exit_code == 0
    printed = json.loads(result.stdout)
    saved = json.loads(files["plan"].read_text())
    assert printed["tenants"] == saved["tenants"]
    assert saved["format_version"] == "2" and saved["remediator_version"]
    assert not list(validator(PLAN_SCHEMA).iter_errors(saved))
    assert saved["playbook"]["sha256"] and saved["playbook"]["path"].endswith("support.yml")
    (tenant,) = saved["tenants"]
    assert tenant["status"] == "ok" and tenant["error"] is None
    assert tenant["org_id"].startswith("00o") and tenant["max_changes"] == 250
    assert tenant["states"] == [{"name": SUPPORT_OFF[0]["name"], "kind": "okta.support_access",
                                 "args": {"enabled": False}, "tags": []}]
    assert {c["action"] for c in tenant["changes"]} == {"revoke", "disable_case_impersonation"}
    assert all(c["reason"] and "before" in c and "after" in c for c in tenant["changes"])


def test_saved_plan_applies_exactly(sandbox: Any, files: dict[str, Path]) -> None:
    assert cli("plan", files["playbook"], "-i", files["inventory"], "--out", files["plan"],
               "--journal", files["journal"]).exit_code == 0
    result = cli("apply", files["plan"], "-i", files["inventory"], "--journal", files["journal"])
    assert result.exit_code == 0, result.output
    assert len(_write_events(sandbox)) == 2
    applied = [r for r in read_records(files["journal"]) if r.get("result") == "applied"]
    assert {r["request_id"] for r in applied} == {
        e["debugContext"]["debugData"]["requestId"] for e in _write_events(sandbox)}


def test_saved_plan_refused_when_the_tenant_moved(sandbox: Any, files: dict[str, Path]) -> None:
    assert cli("plan", files["playbook"], "-i", files["inventory"], "--out", files["plan"],
               "--journal", files["journal"]).exit_code == 0
    # Someone else touches the support case after the plan was reviewed.
    moved = call(sandbox, "PATCH", "/api/v1/org/privacy/oktaSupport/cases/00012345",
                 body={"impersonation": {"status": "REQUESTED"}})
    assert moved.status == 200
    before = len(sandbox.logs)
    result = cli("apply", files["plan"], "-i", files["inventory"], "--journal", files["journal"])
    assert result.exit_code == 1
    assert "stale" in result.output
    assert len(sandbox.logs) == before  # nothing written, not even the change whose target did not move
    assert call(sandbox, "GET", "/api/v1/org/privacy/oktaSupport").body["support"] == "ENABLED"
    results = [r["result"] for r in read_records(files["journal"])]
    assert "stale" in results and "applied" not in results and "pending" not in results


def test_apply_needs_yes_without_a_terminal(sandbox: Any, files: dict[str, Path]) -> None:
    result = cli("apply", files["playbook"], "-i", files["inventory"], "--journal", files["journal"])
    assert result.exit_code == 1 and "--yes" in result.output
    assert not _write_events(sandbox)


class Killed(BaseException):
    """Stands for the process being killed: nothing catches it."""


class KillingJournal(Journal):
    """A journal that 'kills the process' when it is about to write the n-th record of a given result."""

    def __init__(self, path: Path, *, result: str, nth: int) -> None:
        super().__init__(path)
        self.result, self.nth, self.seen = result, nth, 0

    def append(self, record: dict[str, Any]) -> dict[str, Any]:
        if self.seen >= self.nth:  # a dead process does nothing more: every later step dies too
            raise Killed
        if record.get("result") == self.result:
            self.seen += 1
            if self.seen == self.nth:
                raise Killed
        return super().append(record)


def _run(playbook: Path, inventory: Path, journal: Journal) -> int:
    pb = load_playbook(playbook)
    (spec,) = load_inventory(inventory)
    job = TenantJob(spec, render_states(pb, spec.vars, {}))
    planned = asyncio.run(plan([job], PlanSettings(journal_path=journal.path, playbook=PlaybookRef(str(pb.path),
                                                                                                   pb.sha256))))
    outcome = asyncio.run(apply(planned, [spec], journal, ApplySettings(journal_path=journal.path,
                                                                        writes_per_tenant=1)))
    return outcome.exit_code


@pytest.mark.parametrize(("when", "result", "nth"), [
    ("between two writes", "pending", 2),          # first write done and journalled; killed before the second
    ("between a write and its record", "applied", 1),  # first write done; killed before journalling it
])
def test_interrupted_apply_converges(sandbox: Any, files: dict[str, Path], when: str, result: str, nth: int) -> None:
    with pytest.raises(Killed):
        _run(files["playbook"], files["inventory"], KillingJournal(files["journal"], result=result, nth=nth))
    assert len(_write_events(sandbox)) == 1, when
    assert _run(files["playbook"], files["inventory"], Journal(files["journal"])) == 0
    events = _write_events(sandbox)
    assert len(events) == 2  # each write exactly once across both runs
    assert len({(e["eventType"], json.dumps(e["target"], sort_keys=True)) for e in events}) == 2
    assert verify(files["journal"]).runs == 2
    again = cli("plan", files["playbook"], "-i", files["inventory"], "--detailed-exitcode",
                "--journal", files["journal"])
    assert again.exit_code == 0


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_one_bad_tenant_never_stops_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Sandbox(small_tenant()) as good, Sandbox(small_tenant(), faults="500:1.0") as broken:
        inventory = write_inventory(tmp_path / "inv.yml", {
            "good": {"org_url": good.org_url, "token": good.token},
            "broken": {"org_url": broken.org_url, "token": broken.token},
            "gone": {"org_url": f"http://127.0.0.1:{_closed_port()}", "token": "x"},
        }, monkeypatch)
        playbook = write_playbook(tmp_path / "support.yml", SUPPORT_OFF)
        pb = load_playbook(playbook)
        specs = load_inventory(inventory)
        jobs = [TenantJob(s, render_states(pb, s.vars, {})) for s in specs]
        common: dict[str, Any] = {"journal_path": tmp_path / "j.jsonl", "client_options": FAST_CLIENT}
        planned = asyncio.run(plan(jobs, PlanSettings(**common, playbook=PlaybookRef(str(playbook), pb.sha256))))
        by_name = {t.name: t for t in planned.tenants}
        assert by_name["good"].status == "ok" and len(by_name["good"].changes) == 2
        assert by_name["broken"].status == "error" and "500" in (by_name["broken"].error or "")
        assert by_name["gone"].status == "error" and by_name["gone"].error
        outcome = asyncio.run(apply(planned, specs, Journal(tmp_path / "j.jsonl"), ApplySettings(**common)))
        recaps = {r.name: r for r in outcome.tenants}
        assert recaps["good"].changed == 2 and recaps["good"].success
        assert not recaps["broken"].success and not recaps["gone"].success
        assert outcome.exit_code == 1
        assert good.snapshot()["okta_support"]["support"] == "DISABLED"


def test_verbose_plan_explains_what_needs_nothing(sandbox: Any, files: dict[str, Path]) -> None:
    assert cli("apply", files["playbook"], "-i", files["inventory"], "--yes", "--journal",
               files["journal"]).exit_code == 0
    quiet = cli("plan", files["playbook"], "-i", files["inventory"], "--journal", files["journal"])
    verbose = cli("plan", files["playbook"], "-i", files["inventory"], "-v", "--journal", files["journal"])
    assert "already DISABLED" not in quiet.output
    assert "org-level Okta Support access is already DISABLED" in verbose.output
    assert "no support case has impersonation ENABLED or REQUESTED" in verbose.output


def test_without_an_inventory_the_okta_sdk_conventions_apply(sandbox: Any, files: dict[str, Path],
                                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.okta/okta.yaml
    monkeypatch.chdir(tmp_path)  # no ./okta.yaml
    monkeypatch.setenv("OKTA_CLIENT_ORGURL", sandbox.org_url)
    monkeypatch.setenv("OKTA_CLIENT_TOKEN", sandbox.token)
    result = cli("plan", files["playbook"], "--json", "--journal", files["journal"])
    assert result.exit_code == 0, result.output
    (tenant,) = json.loads(result.stdout)["tenants"]
    assert tenant["org_url"] == sandbox.org_url and len(tenant["changes"]) == 2
    monkeypatch.delenv("OKTA_CLIENT_TOKEN")
    result = cli("plan", files["playbook"], "--journal", files["journal"])
    assert result.exit_code == 1 and "OKTA_CLIENT_TOKEN" in result.output and "Traceback" not in result.output


def test_max_changes_stops_before_the_first_write(sandbox: Any, files: dict[str, Path], tmp_path: Path) -> None:
    capped = write_playbook(tmp_path / "capped.yml", SUPPORT_OFF, max_changes=1)
    result = cli("apply", capped, "-i", files["inventory"], "--yes", "--journal", files["journal"])
    assert result.exit_code == 1
    assert "2 changes planned, more than max_changes=1; nothing was written" in result.output
    assert not _write_events(sandbox)
    result = cli("apply", capped, "-i", files["inventory"], "--yes", "--max-changes", "2", "--journal",
                 files["journal"])
    assert result.exit_code == 0 and len(_write_events(sandbox)) == 2

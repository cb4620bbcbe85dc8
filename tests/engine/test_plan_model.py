"""The plan document (format "2", contract.md): stable ids, JSON round-trip, the published schema,
refusal of what is not a plan, and of a format "1" plan in one line."""

from __future__ import annotations

import json

import pytest

from remediator.errors import PlaybookError
from remediator.plan import PLAN_SCHEMA, Change, Finding, Plan, PlannedState, PlaybookRef, Target, TenantPlan
from remediator.schema import ROOT
from remediator.validation import validator


def _plan() -> Plan:
    target = Target("user", "00u1", "a@acme.com")
    change = Change("rotate", "okta.admin_passwords", "reset_password", target,
                    {"status": "ACTIVE"}, {"status": "RECOVERY"}, "password older than the breach")
    finding = Finding("rotate", "okta.admin_passwords", "high", "rotate by hand", target, {"why": "break glass"})
    archive = Change("logs", "okta.system_log_archive", "archive", Target("system_log", "ev/acme"),
                     {"covered": None}, {"covered": ["a", "b"]}, "missing", local=True)
    states = (PlannedState("rotate", "okta.admin_passwords", {"changed_after": "2022-01-21T00:00:00Z"}, ("contain",)),
              PlannedState("logs", "okta.system_log_archive", {"since": "2022-01-14T00:00:00Z", "dir": "ev"}))
    tenant = TenantPlan("acme", "https://acme.okta.com", changes=(change, archive), findings=(finding,),
                        org_id="00oacme", states=states, max_changes=10, protected_logins=("bg@acme.com",),
                        vars={"breach_date": "2022-01-21T00:00:00Z"})
    failed = TenantPlan("bad", "https://bad.okta.com", status="error", error="HTTP 500")
    return Plan("2022-03-22T12:00:00.000Z", PlaybookRef("p.yml", "ab" * 32, {"commit": "x", "dirty": False}),
                (tenant, failed))


def test_round_trip_is_exact() -> None:
    plan = _plan()
    again = Plan.from_json(json.loads(plan.dumps()))
    assert again == plan
    assert again.dumps() == plan.dumps()


def test_contract_keys() -> None:
    doc = _plan().to_json()
    assert doc["format_version"] == "2"
    assert list(doc) == ["format_version", "created_at", "remediator_version", "playbook", "tenants"]
    tenant = doc["tenants"][0]
    assert set(tenant) == {"name", "org_url", "org_id", "status", "error", "states", "max_changes",
                           "protected_logins", "vars", "changes", "findings"}
    assert tenant["states"][0] == {"name": "rotate", "kind": "okta.admin_passwords",
                                   "args": {"changed_after": "2022-01-21T00:00:00Z"}, "tags": ["contain"]}
    assert set(tenant["changes"][0]) == {"id", "state", "kind", "action", "target", "before", "after", "reason"}
    assert tenant["changes"][1]["local"] is True
    assert set(tenant["findings"][0]) == {"id", "state", "kind", "severity", "title", "target", "evidence"}
    assert doc["tenants"][1]["status"] == "error"


def test_ids_are_stable_and_distinct() -> None:
    a = Change("s", "k", "suspend", Target("user", "00u1"), {}, {}, "r")
    b = Change("s", "k", "suspend", Target("user", "00u1"), {"x": 1}, {}, "other reason")
    c = Change("s", "k", "suspend", Target("user", "00u2"), {}, {}, "r")
    assert a.id == b.id != c.id


def test_flags() -> None:
    plan = _plan()
    assert plan.has_changes and plan.has_errors and plan.has_local_changes


def test_local_changes_alone_are_no_pending_change() -> None:
    """`plan --detailed-exitcode` counts changes to a tenant only (issue 9, point 11)."""
    plan = _plan()
    acme = plan.tenants[0]
    local_only = Plan(plan.created_at, plan.playbook,
                      (TenantPlan(acme.name, acme.org_url, changes=acme.changes[1:], org_id="00oacme"),))
    assert not local_only.has_changes and local_only.has_local_changes


def test_plan_documents_validate_against_the_published_schema() -> None:
    published = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())
    assert published == PLAN_SCHEMA
    validator(published).check_schema(published)
    assert not list(validator(published).iter_errors(_plan().to_json()))


@pytest.mark.parametrize(("edit", "place"), [
    (lambda d: d["tenants"][0].pop("states"), "tenants/0"),
    (lambda d: d["tenants"][0]["changes"][0].update(action=7), "tenants/0/changes/0/action"),
    (lambda d: d["tenants"][0].update(max_changes=-1), "tenants/0/max_changes"),
    (lambda d: d["tenants"][0].update(org_url="https://acme.okta.com/evil/path"), "tenants/0/org_url"),
    (lambda d: d["tenants"][0]["states"][0].update(script="rm -rf /"), "tenants/0/states/0"),
])
def test_a_malformed_plan_is_refused_in_one_line(edit: object, place: str) -> None:
    doc = _plan().to_json()
    edit(doc)  # type: ignore[operator]
    with pytest.raises(PlaybookError) as info:
        Plan.from_json(doc, where="x.json")
    message = str(info.value)
    assert message.startswith(f"x.json: malformed plan at {place}") and "\n" not in message


def test_a_format_1_plan_is_refused_in_one_line() -> None:
    doc = {"format_version": "1", "created_at": "2022-03-22T12:00:00.000Z",
           "playbook": {"path": "p.yml", "sha256": "ab", "git": None}, "tenants": []}
    with pytest.raises(PlaybookError) as info:
        Plan.from_json(doc, where="old.json")
    message = str(info.value)
    assert message.startswith('old.json: a plan of format_version "1"') and "plan again" in message
    assert "\n" not in message


@pytest.mark.parametrize("doc", [{}, {"format_version": "0"}, {"format_version": "1", "tenants": []}, [],
                                 {"format_version": "2", "tenants": []}])
def test_not_a_plan(doc: object) -> None:
    with pytest.raises(PlaybookError) as info:
        Plan.from_json(doc, where="x.json")  # type: ignore[arg-type]
    assert str(info.value).startswith("x.json: ")


def test_bad_severity() -> None:
    with pytest.raises(ValueError):
        Finding("s", "k", "urgent", "t")  # type: ignore[arg-type]


def test_a_tenant_twice_is_refused() -> None:
    doc = _plan().to_json()
    doc["tenants"].append(doc["tenants"][0])
    with pytest.raises(PlaybookError, match="tenant 'acme' appears twice"):
        Plan.from_json(doc, where="x.json")

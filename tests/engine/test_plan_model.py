"""The plan document: stable ids, JSON round-trip, refusal of what is not a plan."""

from __future__ import annotations

import json

import pytest

from remediator.errors import PlaybookError
from remediator.plan import Change, Finding, Plan, PlaybookRef, Target, TenantPlan


def _plan() -> Plan:
    target = Target("user", "00u1", "a@acme.com")
    change = Change("rotate", "okta.admin_passwords", "reset_password", target,
                    {"status": "ACTIVE"}, {"status": "RECOVERY"}, "password older than the breach")
    finding = Finding("rotate", "okta.admin_passwords", "high", "rotate by hand", target, {"why": "break glass"})
    tenant = TenantPlan("acme", "https://acme.okta.com", changes=(change,), findings=(finding,))
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
    assert list(doc) == ["format_version", "created_at", "playbook", "tenants"]
    tenant = doc["tenants"][0]
    assert set(tenant) == {"name", "org_url", "status", "error", "changes", "findings"}
    assert set(tenant["changes"][0]) == {"id", "state", "kind", "action", "target", "before", "after", "reason"}
    assert set(tenant["findings"][0]) == {"id", "state", "kind", "severity", "title", "target", "evidence"}
    assert doc["tenants"][1]["status"] == "error"


def test_ids_are_stable_and_distinct() -> None:
    a = Change("s", "k", "suspend", Target("user", "00u1"), {}, {}, "r")
    b = Change("s", "k", "suspend", Target("user", "00u1"), {"x": 1}, {}, "other reason")
    c = Change("s", "k", "suspend", Target("user", "00u2"), {}, {}, "r")
    assert a.id == b.id != c.id


def test_flags() -> None:
    plan = _plan()
    assert plan.has_changes and plan.has_errors


@pytest.mark.parametrize("doc", [{}, {"format_version": "0"}, {"format_version": "1", "tenants": []}, []])
def test_not_a_plan(doc: object) -> None:
    with pytest.raises(PlaybookError) as info:
        Plan.from_json(doc, where="x.json")  # type: ignore[arg-type]
    assert str(info.value).startswith("x.json: ")


def test_bad_severity() -> None:
    with pytest.raises(ValueError):
        Finding("s", "k", "urgent", "t")  # type: ignore[arg-type]

"""okta.support_access on Okta as it answers today: access per case, the org-level revoke retired.

Sources (../shared/okta-reference/okta-management-openapi-spec/dist/current/management-minimal.yaml):
- `POST /api/v1/org/privacy/oktaSupport/revoke` (and grant, extend): deprecated, the only documented
  response is `'301': Moved Permanently`;
- `GET /api/v1/org/privacy/oktaSupport`: example orgSupportSettingsWithCaseNumberResponse, `support: ENABLED`
  with the `caseNumber` whose case grants access;
- `PATCH /api/v1/org/privacy/oktaSupport/cases/{caseNumber}`: RevokeOktaSupportAccessStatusRequest
  `{"impersonation": {"status": "DISABLED"}}`; `selfAssigned.status` is a SelfAssignedStatus (APPROVED,
  NOT_REQUIRED, REQUESTED), APPROVED letting the Okta Support engineer who created the case in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from remediator.sandbox import Sandbox
from remediator.sandbox.snapshot import minimal
from tests.e2e.harness import cli, write_inventory, write_playbook
from tests.kinds import live
from tests.sandbox import okta_reference
from tests.support.requests import recorder

KIND = "okta.support_access"
REVOKE = "/api/v1/org/privacy/oktaSupport/revoke"
RETIRED = ("/api/v1/org/privacy/oktaSupport/grant", "/api/v1/org/privacy/oktaSupport/extend", REVOKE)


def _snapshot(support: dict[str, Any], *cases: dict[str, Any]) -> dict[str, Any]:
    snap = minimal(clock="2022-03-22T12:00:00.000Z")
    snap["okta_support"] = support
    snap["support_cases"] = list(cases)
    return snap


def _case(number: str, status: str, assigned: str = "NOT_REQUIRED", expiration: str | None = None) -> dict[str, Any]:
    return {"caseNumber": number, "subject": f"case {number}",
            "impersonation": {"status": status, "expiration": expiration}, "selfAssigned": {"status": assigned}}


def test_the_spec_documents_only_a_301_for_the_retired_operations() -> None:
    paths = okta_reference.spec()["paths"]
    for path in RETIRED:
        operation = paths[path]["post"]
        assert operation["deprecated"] is True and list(operation["responses"]) == ["301"]


def test_the_sandbox_answers_the_retired_operations_as_okta_does_today() -> None:
    from tests.sandbox.fixtures import call

    with Sandbox(_snapshot({"support": "ENABLED", "expiration": "2022-03-22T20:00:00.000Z"})) as sb:
        for path in RETIRED:
            reply = call(sb, "POST", path)
            assert (reply.status, reply.raw) == (301, b"")
        assert sb.logs == [] and sb.snapshot()["okta_support"]["support"] == "ENABLED"
    with Sandbox(_snapshot({"support": "ENABLED", "expiration": "2022-03-22T20:00:00.000Z"}),
                 okta_support_api="2021") as sb:
        assert call(sb, "POST", REVOKE).body["support"] == "DISABLED"  # test_org_it recordings


async def test_access_through_a_case_is_closed_on_the_case_and_the_org_reads_disabled_after() -> None:
    seen: list[tuple[str, str]] = []
    snap = _snapshot({"support": "DISABLED", "expiration": None},
                     _case("00042", "ENABLED", expiration="2022-03-23T12:00:00.000Z"), _case("00043", "REQUESTED"))
    with Sandbox(snap, clock="2022-03-22T12:00:00Z", middlewares=[recorder(seen)]) as sb:
        from tests.sandbox.fixtures import call

        org = call(sb, "GET", "/api/v1/org/privacy/oktaSupport").body
        assert (org["support"], org["caseNumber"]) == ("ENABLED", "00042")  # orgSupportSettingsWithCaseNumber
        changes, findings = await live.plan(sb, KIND, {"enabled": False})
        assert [(c.action, c.target.id) for c in changes] == [("disable_case_impersonation", "00042")]
        assert [f.target.id for f in findings] == ["00043"]
        await live.apply(sb, KIND, {"enabled": False}, changes)
        assert call(sb, "GET", "/api/v1/org/privacy/oktaSupport").body["support"] == "DISABLED"
        again, _ = await live.plan(sb, KIND, {"enabled": False})
    assert again == []
    assert not [p for m, p in seen if p in RETIRED], "a retired endpoint was called"


async def test_an_org_level_grant_without_a_revoke_link_is_a_finding_never_a_call() -> None:
    seen: list[tuple[str, str]] = []
    snap = _snapshot({"support": "ENABLED", "expiration": "2022-03-22T20:00:00.000Z"})
    with Sandbox(snap, clock="2022-03-22T12:00:00Z", middlewares=[recorder(seen)]) as sb:
        changes, findings = await live.plan(sb, KIND, {"enabled": False})
    assert changes == []
    [finding] = findings
    assert finding.target.id == "org" and "cannot be revoked through the API" in finding.title
    assert "retired in 2025.01" in finding.evidence["why"]
    assert not [p for m, p in seen if p in RETIRED]


async def test_a_case_approved_for_self_assigned_access_is_reported() -> None:
    snap = _snapshot({"support": "DISABLED", "expiration": None}, _case("00050", "NOT_REQUESTED", "APPROVED"),
                     _case("00051", "NOT_REQUESTED", "REQUESTED"))
    with Sandbox(snap, clock="2022-03-22T12:00:00Z") as sb:
        changes, findings = await live.plan(sb, KIND, {"enabled": False})
    assert changes == []
    assert [(f.target.id, f.severity) for f in findings] == [("00050", "high"), ("00051", "medium")]
    assert "APPROVED for self-assigned" in findings[0].title


def test_a_301_on_the_retired_revoke_is_never_journalled_as_applied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An org whose settings still advertise `revoke` but whose revoke answers the spec's 301: the apply fails
    (journal `failed`, never `applied`), and the next plan reports it instead of calling it again."""
    @web.middleware
    async def retired(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path == REVOKE:
            return web.Response(status=301)  # the spec's only documented response
        return await handler(request)

    snap = _snapshot({"support": "ENABLED", "expiration": "2022-03-22T20:00:00.000Z"})
    with Sandbox(snap, clock="2022-03-22T12:00:00Z", okta_support_api="2021", middlewares=[retired]) as sb:
        monkeypatch.chdir(tmp_path)
        inventory = write_inventory(tmp_path / "inv.yml", {"lab": {"org_url": sb.org_url, "token": sb.token}},
                                    monkeypatch)
        playbook = write_playbook(tmp_path / "pb.yml", [{"name": "support", KIND: {"enabled": False}}])
        journal = tmp_path / "journal.jsonl"
        first = cli("apply", playbook, "-i", inventory, "--yes", "--journal", journal)
        assert first.exit_code == 1, first.output
        records = [json.loads(line) for line in journal.read_text().splitlines()]
        revokes = [r for r in records if (r.get("change") or {}).get("action") == "revoke"]
        assert revokes and "applied" not in {r["result"] for r in revokes}
        assert revokes[-1]["result"] == "failed" and "HTTP 301" in revokes[-1]["error"]
        second = cli("plan", playbook, "-i", inventory, "--journal", journal, "--json")
        assert second.exit_code == 0, second.output
        tenant = json.loads(second.stdout)["tenants"][0]
        assert tenant["changes"] == []
        assert ["cannot be revoked through the API" in f["title"] for f in tenant["findings"]] == [True]

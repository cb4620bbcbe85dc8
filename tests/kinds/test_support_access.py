"""okta.support_access: data-file diffs, reads of both body shapes, stale checks and the writes."""

from __future__ import annotations

import pytest

from remediator.facts.endpoints import ORG_SUPPORT, SUPPORT_CASES
from remediator.kinds import REGISTRY
from remediator.plan import NoOp
from tests.kinds import datafiles
from tests.support import FakeClient, api_error, context

SUPPORT, CASES = ORG_SUPPORT.path(), SUPPORT_CASES.path()
KIND = "okta.support_access"


@pytest.mark.parametrize("path", datafiles.cases("support_access"), ids=lambda p: p.stem)
def test_diff_data_files(path):
    datafiles.run(KIND, path)


def _tenant(support="ENABLED", cases_body=None):
    state = {"support": {"support": support, "expiration": "2022-03-22T20:00:00.000Z", "caseNumber": None,
                         "_links": {"revoke": {"href": "x"}}},
             "cases": [{"caseNumber": "00042", "subject": "SSO", "impersonation": {"status": "ENABLED"},
                        "selfAssigned": {"status": "NOT_REQUIRED"}}]}

    def revoke(_params, _json):
        state["support"] = {"support": "DISABLED", "expiration": None}
        return state["support"]

    def patch(_params, body):
        state["cases"][0]["impersonation"] = dict(body["impersonation"])
        return state["cases"][0]

    client = FakeClient({
        ("GET", SUPPORT): lambda *_: state["support"],
        ("GET", CASES): lambda *_: cases_body(state["cases"]) if cases_body else {"supportCases": state["cases"]},
        ("POST", f"{SUPPORT}/revoke"): revoke,
        ("PATCH", f"{CASES}/00042"): patch,
    })
    return client, state


@pytest.mark.parametrize("shape", [lambda cs: {"supportCases": cs}, lambda cs: cs], ids=["object", "bare-array"])
async def test_read_accepts_both_case_shapes(shape):
    client, _ = _tenant(cases_body=shape)
    kind = REGISTRY[KIND]("s", {"enabled": False})
    observed = await kind.read(context(client))
    assert observed == {
        "support": {"support": "ENABLED", "expiration": "2022-03-22T20:00:00.000Z", "caseNumber": None,
                    "revocable": True},
        "cases": [{"caseNumber": "00042", "subject": "SSO", "impersonation": {"status": "ENABLED"},
                   "selfAssigned": {"status": "NOT_REQUIRED"}}],
    }
    assert [c.action for c in kind.diff(observed)] == ["revoke", "disable_case_impersonation"]


async def test_read_without_org_level_model():
    client, _ = _tenant()
    client.routes[("GET", SUPPORT)] = api_error(404, path=SUPPORT)
    observed = await REGISTRY[KIND]("s", {}).read(context(client))
    assert observed["support"] is None and len(observed["cases"]) == 1


async def test_read_other_errors_propagate():
    client, _ = _tenant()
    client.routes[("GET", SUPPORT)] = api_error(403, path=SUPPORT)
    with pytest.raises(Exception, match="403"):
        await REGISTRY[KIND]("s", {}).read(context(client))


async def test_plan_then_apply_then_plan_again_is_empty():
    client, state = _tenant()
    kind = REGISTRY[KIND]("s", {"enabled": False})
    ctx = context(client)
    changes = kind.diff(await kind.read(ctx))
    assert not [c for c in client.calls if c[0] != "GET"], "planning must not write"
    for change in changes:
        current = await kind.current(ctx, change)
        assert current == change.before and kind.verdict(change, current) == "pending"
        applied = await kind.apply(ctx, change)
        assert applied.request_id
        assert kind.verdict(change, await kind.current(ctx, change)) == "done"
    assert client.calls_to("POST", f"{SUPPORT}/revoke")
    assert client.calls_to("PATCH", f"{CASES}/00042")[0][3] == {"impersonation": {"status": "DISABLED"}}
    assert state["support"]["support"] == "DISABLED"
    again = REGISTRY[KIND]("s", {"enabled": False})
    out = again.diff(await again.read(context(client)))
    assert [i.reason for i in out if isinstance(i, NoOp)] == [
        "org-level Okta Support access is already DISABLED", "no support case has impersonation ENABLED or REQUESTED "
        "(1 cases)"]
    assert [i for i in out if not isinstance(i, NoOp)] == []


async def test_a_case_that_moved_is_stale():
    client, state = _tenant()
    kind = REGISTRY[KIND]("s", {})
    ctx = context(client)
    change = next(c for c in kind.diff(await kind.read(ctx)) if c.action == "disable_case_impersonation")
    state["cases"][0]["impersonation"] = {"status": "REQUESTED"}
    assert kind.verdict(change, await kind.current(ctx, change)) == "stale"
    state["cases"].clear()
    assert kind.verdict(change, await kind.current(ctx, change)) == "stale"


def test_schema_is_closed_and_scopes_are_okta_names():
    cls = REGISTRY[KIND]
    assert cls.schema["additionalProperties"] is False
    assert set(cls.scopes) == {"okta.orgs.read", "okta.orgs.manage"}


def _snapshot():
    from remediator.sandbox.snapshot import minimal

    snap = minimal(clock="2022-03-22T12:00:00.000Z")
    snap["okta_support"] = {"support": "ENABLED", "expiration": "2022-03-22T20:00:00.000Z", "caseNumber": None}
    snap["support_cases"] = [
        {"caseNumber": "00042", "subject": "SSO", "impersonation": {"status": "ENABLED",
                                                                    "expiration": "2022-03-23T12:00:00.000Z"},
         "selfAssigned": {"status": "NOT_REQUIRED"}},
        {"caseNumber": "00043", "subject": "MFA", "impersonation": {"status": "REQUESTED", "expiration": None},
         "selfAssigned": {"status": "NOT_REQUIRED"}},
    ]
    return snap


async def test_three_steps_on_the_sandbox():
    """On an org of the older model (okta-sdk-python test_org_it recordings: revoke answers 200)."""
    from remediator.sandbox import Sandbox
    from tests.kinds import live

    with Sandbox(_snapshot(), clock="2022-03-22T12:00:00Z", okta_support_api="2021") as sb:
        events = len(sb.logs)
        changes, findings = await live.plan(sb, KIND, {"enabled": False})
        assert [c.action for c in changes] == ["revoke", "disable_case_impersonation"]
        assert [f.target.id for f in findings] == ["00043"]
        assert len(sb.logs) == events, "planning wrote to the tenant"
        applied = await live.apply(sb, KIND, {"enabled": False}, changes)
        assert all(a.request_id for a in applied)
        new = sb.logs[events:]
        assert [e["eventType"] for e in new] == ["user.session.impersonation.revoke"] * 2
        assert {a.request_id for a in applied} <= {e.get("debugContext", {}).get("debugData", {}).get("requestId")
                                                     for e in new}
        state = sb.snapshot()
        assert state["okta_support"]["support"] == "DISABLED"
        assert state["support_cases"][0]["impersonation"]["status"] == "DISABLED"
        again, findings_again = await live.plan(sb, KIND, {"enabled": False})
        assert again == [] and [f.target.id for f in findings_again] == ["00043"]


async def test_writes_carry_a_recheck_that_sees_an_earlier_write_in_effect():
    """A POST/PATCH is retried only when its recheck says it did not take effect (the client's contract)."""
    client, state = _tenant()
    kind = REGISTRY[KIND]("s", {})
    ctx = context(client)
    changes = kind.diff(await kind.read(ctx))
    for change in changes:
        await kind.apply(ctx, change)
    revoked = await client.rechecks[f"{SUPPORT}/revoke"]()
    disabled = await client.rechecks[f"{CASES}/00042"]()
    assert revoked is not None and revoked.body["support"] == "DISABLED"
    assert disabled is not None
    state["support"] = {"support": "ENABLED"}
    state["cases"][0]["impersonation"] = {"status": "ENABLED"}
    assert await client.rechecks[f"{SUPPORT}/revoke"]() is None
    assert await client.rechecks[f"{CASES}/00042"]() is None

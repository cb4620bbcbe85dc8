"""okta.admin_sessions: evidence from the System Log or the journal, one log query per run, three steps."""

from __future__ import annotations

import pytest

from remediator.kinds import REGISTRY
from remediator.kinds.admin_sessions import CLEAR_FILTER, journal_clears, log_clears
from remediator.plan import Finding, NoOp
from tests.kinds import datafiles
from tests.support import admin_org, context, role, user

KIND = "okta.admin_sessions"
ARGS = {"cleared_after": "2022-01-21T00:00:00Z"}


@pytest.mark.parametrize("path", datafiles.cases("admin_sessions"), ids=lambda p: p.stem)
def test_diff_data_files(path):
    datafiles.run(KIND, path)


def _record(kind, action, uid, result="applied", time="2022-03-01T00:00:00.000Z", after=None):
    return {"type": "change", "tenant": "acme", "time": time, "result": result,
            "change": {"kind": kind, "action": action, "target": {"type": "user", "id": uid}, "after": after or {}}}


def test_journal_clears_counts_only_applied_writes_that_end_sessions():
    records = (
        _record("okta.admin_sessions", "clear_sessions", "00u1"),
        _record("okta.admin_sessions", "clear_sessions", "00u1", time="2022-03-02T00:00:00.000Z"),
        _record("okta.admin_sessions", "clear_sessions", "00u2", result="pending"),
        _record("okta.admin_sessions", "clear_sessions", "00u3", result="failed"),
        _record("okta.admin_passwords", "reset_password", "00u4", after={"sessions_revoked": True}),
        _record("okta.admin_passwords", "reset_password", "00u5", after={"sessions_revoked": False}),
        _record("okta.new_admins", "suspend", "00u6"),
        _record("okta.new_admins", "unassign_role", "00u7"),
        {"type": "ack", "tenant": "acme", "step": "x", "time": "2022-03-01T00:00:00.000Z"},
    )
    assert journal_clears(records) == {"00u1": "2022-03-02T00:00:00.000Z", "00u4": "2022-03-01T00:00:00.000Z",
                                       "00u6": "2022-03-01T00:00:00.000Z"}


def test_log_clears_takes_the_latest_per_user():
    events = [{"published": "2022-02-01T00:00:00.000Z", "target": [{"id": "00u1", "type": "User"}]},
              {"published": "2022-02-03T00:00:00.000Z", "target": [{"id": "00u1", "type": "User"}]},
              {"published": "2022-02-02T00:00:00.000Z", "target": [{"id": "00g1", "type": "UserGroup"}]}]
    assert log_clears(events) == {"00u1": "2022-02-03T00:00:00.000Z"}


def _org(logs):
    users = [user("00uops", "ops@acme.com"), user("00uann", "ann@acme.com"), user("00ubob", "bob@acme.com")]
    roles = {u["id"]: [role(f"ra-{u['id']}", "ORG_ADMIN")] for u in users}
    client = admin_org(users, roles, me="00uops", extra={("GET", "/api/v1/logs"): lambda *_: logs})

    def clear(params, _json, uid):
        logs.append({"eventType": "user.session.clear", "published": "2022-03-22T12:00:01.000Z",
                     "target": [{"id": uid, "type": "User"}]})
    for u in users:
        client.routes[("DELETE", f"/api/v1/users/{u['id']}/sessions")] = lambda p, j, uid=u["id"]: clear(p, j, uid)
    return client


async def test_plan_apply_plan_with_one_log_query_for_every_stale_check():
    logs = [{"eventType": "user.session.clear", "published": "2022-02-01T00:00:00.000Z",
             "target": [{"id": "00uann", "type": "User"}]}]
    client = _org(logs)
    kind = REGISTRY[KIND]("s", ARGS)
    ctx = context(client)
    out = kind.diff(await kind.read(ctx))
    changes = [c for c in out if c.__class__.__name__ == "Change"]
    assert [c.target.label for c in changes] == ["bob@acme.com"]
    assert [f.severity for f in out if isinstance(f, Finding)] == ["info"]  # the token owner is left alone
    assert [n.reason for n in out if isinstance(n, NoOp)] == kind.explain(await kind.read(ctx))
    assert client.calls_to("GET", "/api/v1/logs")[0][2]["filter"] == CLEAR_FILTER
    apply_kind = REGISTRY[KIND]("s", {})  # from a saved plan: no arguments
    apply_ctx = context(client)
    for change in changes:
        assert apply_kind.verdict(change, await apply_kind.current(apply_ctx, change)) == "pending"
    assert len(client.calls_to("GET", "/api/v1/logs")) == 2  # one for the plan, one for all stale checks
    for change in changes:
        await apply_kind.apply(apply_ctx, change)
    assert client.calls_to("DELETE", "/api/v1/users/00ubob/sessions")[0][2] == {"oauthTokens": "true",
                                                                              "forgetDevices": "true"}
    again = REGISTRY[KIND]("s", ARGS)
    assert [c for c in again.diff(await again.read(context(client))) if c.__class__.__name__ == "Change"] == []


async def test_the_journal_of_an_earlier_run_is_evidence():
    client = _org([])
    journal = (_record("okta.admin_sessions", "clear_sessions", "00uann"),
               _record("okta.admin_sessions", "clear_sessions", "00ubob"))
    kind = REGISTRY[KIND]("s", ARGS)
    out = kind.diff(await kind.read(context(client, journal=journal)))
    assert [f.severity for f in out if isinstance(f, Finding)] == ["info"]
    assert {n.target.label: n.reason.split(": ", 1)[1] for n in out if isinstance(n, NoOp)} == {
        "ann@acme.com": f"sessions cleared {journal[0]['time']} (journal)",
        "bob@acme.com": f"sessions cleared {journal[1]['time']} (journal)"}


async def test_three_steps_on_the_sandbox():
    from remediator.sandbox import Sandbox
    from remediator.sandbox.snapshot import minimal
    from tests.kinds import live

    snap = minimal(clock="2022-03-22T12:00:00.000Z")
    op = snap["users"][0]
    snap["users"].append({**op, "id": "00uadmin000000000000", "profile": {**op["profile"], "login": "a@acme.com"}})
    snap["user_roles"]["00uadmin000000000000"] = [role("ra9", "ORG_ADMIN")]
    with Sandbox(snap, clock="2022-03-22T12:00:00Z") as sb:
        events = len(sb.logs)
        changes, findings = await live.plan(sb, KIND, ARGS)
        assert [c.target.label for c in changes] == ["a@acme.com"]
        assert [f.target.label for f in findings] == ["operator@sandbox.example"]
        assert len(sb.logs) == events
        await live.apply(sb, KIND, ARGS, changes)
        assert [e["eventType"] for e in sb.logs[events:]] == ["user.session.clear"]
        again, _ = await live.plan(sb, KIND, ARGS)
        assert again == []

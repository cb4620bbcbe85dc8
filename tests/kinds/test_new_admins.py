"""okta.new_admins: data files (group-held roles, settled, allowed and protected accounts, the last super admin),
one System Log query for every grant, the writes, and plan/apply/plan on the sandbox."""

from __future__ import annotations

import pytest

from remediator.kinds import REGISTRY
from remediator.kinds.new_admins import GRANT_FILTER
from remediator.plan import Change, Finding
from tests.kinds import datafiles
from tests.support import admin_org, api_error, context, role, user

KIND = "okta.new_admins"
ARGS = {"created_after": "2022-01-21T00:00:00Z"}


@pytest.mark.parametrize("path", datafiles.cases("new_admins"), ids=lambda p: p.stem)
def test_diff_data_files(path):
    datafiles.run(KIND, path)


def _org():
    users = [user("00uops", "ops@acme.com", created="2018-01-01T00:00:00.000Z"),
             user("00umal", "mallory@acme.com", created="2022-01-25T00:00:00.000Z"),
             user("00ueve", "eve@acme.com", created="2022-01-26T00:00:00.000Z")]
    roles = {"00uops": [role("ra0", "SUPER_ADMIN", created="2018-01-01T00:00:00.000Z")],
             "00umal": [role("ra1", "SUPER_ADMIN", created="2022-01-25T00:01:00.000Z"),
                        role("ra2", "APP_ADMIN", created="2022-01-25T00:02:00.000Z")],
             "00ueve": [role("ra3", "HELP_DESK_ADMIN", created="2022-01-26T00:01:00.000Z")]}
    grant = {"uuid": "e1", "published": "2022-01-25T00:01:00.100Z", "eventType": "user.account.privilege.grant",
             "actor": {"alternateId": "system@okta.com"}, "target": [{"id": "00umal", "type": "User"}],
             "debugContext": {"debugData": {"privilegeGranted": "Super administrator"}}}
    return admin_org(users, roles, me="00uops", extra={("GET", "/api/v1/logs"): [grant]})


async def test_read_makes_one_bounded_log_query():
    client = _org()
    kind = REGISTRY[KIND]("s", ARGS)
    observed = await kind.read(context(client))
    logs = client.calls_to("GET", "/api/v1/logs")
    assert len(logs) == 1
    assert logs[0][2]["filter"] == GRANT_FILTER
    assert logs[0][2]["since"] == "2022-01-21T00:00:00.000Z" and logs[0][2]["until"] == "2022-03-22T12:00:02.000Z"
    assert observed["grants"][0] == {"uuid": "e1", "published": "2022-01-25T00:01:00.100Z",
                                     "eventType": "user.account.privilege.grant", "actor": "system@okta.com",
                                     "targets": ["00umal"], "privilege": "Super administrator"}


async def test_log_query_starts_within_retention():
    client = _org()
    await REGISTRY[KIND]("s", {"created_after": "2020-01-01T00:00:00Z"}).read(context(client))
    assert client.calls_to("GET", "/api/v1/logs")[0][2]["since"] == "2021-12-22T12:00:02.000Z"


async def test_suspend_apply_then_plan_again():
    client = _org()
    kind = REGISTRY[KIND]("s", ARGS)
    ctx = context(client)
    out = kind.diff(await kind.read(ctx))
    changes = [c for c in out if isinstance(c, Change)]
    assert [(c.action, c.target.label) for c in changes] == [("suspend", "eve@acme.com"),
                                                             ("suspend", "mallory@acme.com")]
    grants = {f.title: f.evidence.get("granted_by") for f in out if isinstance(f, Finding)}
    assert grants["SUPER_ADMIN granted to mallory@acme.com on 2022-01-25T00:01:00.000Z"] == "system@okta.com"
    for change in changes:
        assert kind.verdict(change, await kind.current(ctx, change)) == "pending"
        await kind.apply_all(ctx, change)
        assert kind.verdict(change, await kind.current(ctx, change)) == "done"
    assert client.calls_to("DELETE", "/api/v1/users/00umal/sessions")[0][2] == {"oauthTokens": "true",
                                                                              "forgetDevices": "true"}
    again = REGISTRY[KIND]("s", ARGS)
    assert [c for c in again.diff(await again.read(context(client))) if isinstance(c, Change)] == []


async def test_unassign_roles_tolerates_a_role_already_gone():
    client = _org()
    kind = REGISTRY[KIND]("s", {**ARGS, "action": "unassign_roles"})
    ctx = context(client)
    change = next(c for c in kind.diff(await kind.read(ctx))
                  if isinstance(c, Change) and c.target.id == "00umal")
    assert change.before == {"roles": ["ra1", "ra2"]}
    client.routes[("DELETE", "/api/v1/users/00umal/roles/ra1")] = api_error(404, "DELETE")
    applied = await kind.apply_all(ctx, change)
    assert applied.detail["unassigned"]["ra1"] is None and applied.detail["unassigned"]["ra2"]
    assert kind.verdict(change, {"roles": []}) == "done"
    assert kind.verdict(change, {"roles": ["ra1"]}) == "pending"


def _snapshot():
    from remediator.sandbox.snapshot import minimal

    snap = minimal(clock="2022-03-22T12:00:00.000Z")
    op = snap["users"][0]
    op["created"] = "2018-01-01T00:00:00.000Z"
    evil = {**op, "id": "00umallory0000000000", "created": "2022-01-25T00:00:00.000Z",
            "profile": {**op["profile"], "login": "mallory@acme.com", "email": "mallory@acme.com"},
            "_links": {}}
    member = {**evil, "id": "00utrent000000000000",
              "profile": {**op["profile"], "login": "trent@acme.com", "email": "trent@acme.com"}}
    snap["users"] += [evil, member]
    snap["user_roles"][evil["id"]] = [{**role("ra1mallory", "SUPER_ADMIN", created="2022-01-25T00:01:00.000Z"),
                                       "_links": {}}]
    snap["groups"] = [{"id": "00gevil", "type": "OKTA_GROUP", "profile": {"name": "helpers"},
                       "created": "2022-01-25T00:00:00.000Z"}]
    snap["group_members"] = {"00gevil": [member["id"]]}
    snap["group_roles"] = {"00gevil": [role("gra1evil", "ORG_ADMIN", "GROUP", created="2022-01-25T00:02:00.000Z",
                                            group="00gevil")]}
    return snap


async def test_three_steps_on_the_sandbox():
    from remediator.sandbox import Sandbox
    from tests.kinds import live

    with Sandbox(_snapshot(), clock="2022-03-22T12:00:00Z") as sb:
        events = len(sb.logs)
        changes, _ = await live.plan(sb, KIND, ARGS)
        assert sorted((c.action, c.target.label) for c in changes) == [("suspend", "mallory@acme.com"),
                                                                      ("suspend", "trent@acme.com")]
        assert len(sb.logs) == events, "planning wrote to the tenant"
        await live.apply(sb, KIND, ARGS, changes)
        assert sorted(e["eventType"] for e in sb.logs[events:]) == ["user.lifecycle.suspend"] * 2 + \
            ["user.session.clear"] * 2
        again, _ = await live.plan(sb, KIND, ARGS)
        assert again == []

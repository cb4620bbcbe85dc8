"""TenantReads: one request per endpoint per run, shared in-flight reads, the admin list incl. group-held roles."""

from __future__ import annotations

import asyncio

import pytest

from remediator.facts import TenantReads, role_group_id
from remediator.facts.endpoints import ROLE_ASSIGNEES
from tests.support import FakeClient, api_error

ORG = "https://acme.okta.com"


def _user(uid, login, status="ACTIVE"):
    return {"id": uid, "status": status, "profile": {"login": login}}


def _role(rid, type_, assignment="USER", group=None):
    role = {"id": rid, "type": type_, "label": type_, "status": "ACTIVE", "assignmentType": assignment,
            "created": "2021-01-01T00:00:00.000Z"}
    if group:
        role["_links"] = {"assignee": {"href": f"{ORG}/api/v1/groups/{group}"}}
    return role


def _org(assignees):
    users = {"00ua": _user("00ua", "a@acme.com"), "00ub": _user("00ub", "b@acme.com"),
             "00uc": _user("00uc", "c@acme.com")}
    roles = {"00ua": [_role("ra1", "SUPER_ADMIN"), _role("gra1", "ORG_ADMIN", "GROUP", "00gadm")],
             "00ub": [_role("gra1", "ORG_ADMIN", "GROUP", "00gadm")],
             "00uc": []}
    routes = {("GET", ROLE_ASSIGNEES.path()): {"value": [{"id": u} for u in assignees], "_links": {}},
              ("GET", "/api/v1/groups/00gadm/users"): [users["00ua"], users["00ub"]]}
    for uid, user in users.items():
        routes[("GET", f"/api/v1/users/{uid}")] = user
        routes[("GET", f"/api/v1/users/{uid}/roles")] = roles[uid]
    return FakeClient(routes, latency=0.01)


async def test_admins_with_group_members_in_the_assignee_list():
    client = _org(["00ua", "00ub"])
    admins = await TenantReads(client).admins()
    assert [a.id for a in admins] == ["00ua", "00ub"]
    assert [r["type"] for r in admins[1].roles] == ["ORG_ADMIN"]
    assert client.calls_to("GET", ROLE_ASSIGNEES.path())[0][2] == {"limit": 100}
    # each admin read once; the admin group expanded once; nothing else
    assert len(client.calls) == 1 + 2 * 2 + 1


async def test_group_only_admin_missing_from_assignees_is_found_through_the_group():
    client = _org(["00ua"])  # as if the assignee list left out group-only admins
    admins = await TenantReads(client).admins()
    assert [a.login for a in admins] == ["a@acme.com", "b@acme.com"]
    assert not client.calls_to("GET", "/api/v1/users/00ub"), "the member list already gave the user object"


async def test_users_without_roles_are_not_admins():
    client = _org(["00ua", "00ub", "00uc"])
    assert [a.id for a in await TenantReads(client).admins()] == ["00ua", "00ub"]


async def test_concurrent_callers_share_one_request():
    client = _org(["00ua"])
    reads = TenantReads(client)
    results = await asyncio.gather(*(reads.admins() for _ in range(5)), *(reads.user("00ua") for _ in range(5)))
    assert all(r == results[0] for r in results[:5])
    assert len(client.calls_to("GET", ROLE_ASSIGNEES.path())) == 1
    assert len(client.calls_to("GET", "/api/v1/users/00ua")) == 1
    await reads.admins()
    assert len(client.calls_to("GET", ROLE_ASSIGNEES.path())) == 1


async def test_a_failed_read_is_retried_by_the_next_caller():
    client = FakeClient({("GET", "/api/v1/users/me"): api_error(503)})
    reads = TenantReads(client)
    with pytest.raises(Exception, match="503"):
        await reads.me()
    client.routes[("GET", "/api/v1/users/me")] = _user("00ume", "me@acme.com")
    assert (await reads.me())["id"] == "00ume"


async def test_cancelling_one_caller_does_not_cancel_the_shared_read():
    client = FakeClient({("GET", "/api/v1/idps"): [{"id": "0oa1"}]}, latency=0.05)
    reads = TenantReads(client)
    first = asyncio.ensure_future(reads.idps())
    second = asyncio.ensure_future(reads.idps())
    await asyncio.sleep(0)
    first.cancel()
    assert await second == [{"id": "0oa1"}]
    assert len(client.calls) == 1


@pytest.mark.parametrize("body", [{"supportCases": [{"caseNumber": "1"}]}, [{"caseNumber": "1"}], None])
async def test_support_cases_shapes(body):
    client = FakeClient({("GET", "/api/v1/org/privacy/oktaSupport/cases"): body})
    assert await TenantReads(client).support_cases() == ([] if body is None else [{"caseNumber": "1"}])


async def test_policies_pass_limit_as_string_and_events_are_bounded():
    client = FakeClient({("GET", "/api/v1/policies"): [], ("GET", "/api/v1/logs"): []})
    reads = TenantReads(client)
    await reads.policies("MFA_ENROLL")
    await reads.events('eventType eq "user.session.clear"', "2022-01-21T00:00:00.000Z", "2022-03-22T12:00:00.000Z")
    assert client.calls[0][2] == {"type": "MFA_ENROLL", "limit": "200"}
    assert client.calls[1][2]["until"] == "2022-03-22T12:00:00.000Z"
    assert client.calls[1][2]["sortOrder"] == "ASCENDING"


def test_role_group_id():
    assert role_group_id(_role("g", "ORG_ADMIN", "GROUP", "00g1")) == "00g1"
    assert role_group_id(_role("r", "ORG_ADMIN")) is None
    assert role_group_id({"assignmentType": "GROUP"}) is None


async def test_an_assignee_deleted_meanwhile_is_not_an_admin():
    client = _org(["00ua", "00ugone"])
    assert [a.id for a in await TenantReads(client).admins()] == ["00ua", "00ub"]


async def test_me_of_a_service_app_is_empty():
    client = FakeClient({("GET", "/api/v1/users/me"): api_error(404)})
    assert await TenantReads(client).me() == {}
    client.routes[("GET", "/api/v1/users/me")] = api_error(403)
    with pytest.raises(Exception, match="403"):
        await TenantReads(FakeClient({("GET", "/api/v1/users/me"): api_error(403)})).me()

"""Admin roles (users, groups, /iam/assignees/users) and groups with their members.

GET /users/{id}/roles lists direct assignments and those held through groups (assignmentType GROUP,
`_links.assignee` pointing at the group), as the recordings show; a group-held role cannot be
removed through the user (404 RoleAssignment), only through the group.
"""

from __future__ import annotations

import bisect
from typing import Any

from aiohttp import web

from remediator.sandbox import syslog
from remediator.sandbox.routes_users import user_or_404
from remediator.sandbox.wire import OktaHTTPError, by_id, int_param, json_response, not_found, scope, tenant_of

routes = web.RouteTableDef()


@routes.get("/api/v1/users/{id}/roles")
@scope("okta.roles.read")
async def list_user_roles(request: web.Request) -> web.StreamResponse:
    user = user_or_404(request)
    return json_response(request, tenant_of(request).store.roles_of_user(user["id"]))


@routes.get("/api/v1/users/{id}/roles/{roleAssignmentId}")
@scope("okta.roles.read")
async def get_user_role(request: web.Request) -> web.StreamResponse:
    user = user_or_404(request)
    roles = tenant_of(request).store.roles_of_user(user["id"])
    return json_response(request, by_id(roles, request.match_info["roleAssignmentId"], "RoleAssignment"))


@routes.delete("/api/v1/users/{id}/roles/{roleAssignmentId}")
@scope("okta.roles.manage")
async def unassign_user_role(request: web.Request) -> web.StreamResponse:
    user = user_or_404(request)
    table = tenant_of(request).store.user_roles
    return _unassign(request, table, user["id"], "user.account.privilege", syslog.user_target(user))


def _group_or_404(request: web.Request) -> dict[str, Any]:
    gid = request.match_info["groupId"]
    group = tenant_of(request).store.groups.get(gid)
    if group is None:
        raise not_found(gid, "UserGroup")
    return group


def _group_target(group: dict[str, Any]) -> dict[str, Any]:
    return syslog.named_target(group["id"], "UserGroup", (group.get("profile") or {}).get("name"))


@routes.get("/api/v1/groups/{groupId}/roles")
@scope("okta.roles.read")
async def list_group_roles(request: web.Request) -> web.StreamResponse:
    group = _group_or_404(request)
    return json_response(request, tenant_of(request).store.group_roles.get(group["id"], []))


@routes.get("/api/v1/groups/{groupId}/roles/{roleAssignmentId}")
@scope("okta.roles.read")
async def get_group_role(request: web.Request) -> web.StreamResponse:
    group = _group_or_404(request)
    roles = tenant_of(request).store.group_roles.get(group["id"], [])
    return json_response(request, by_id(roles, request.match_info["roleAssignmentId"], "RoleAssignment"))


@routes.delete("/api/v1/groups/{groupId}/roles/{roleAssignmentId}")
@scope("okta.roles.manage")
async def unassign_group_role(request: web.Request) -> web.StreamResponse:
    group = _group_or_404(request)
    table = tenant_of(request).store.group_roles
    return _unassign(request, table, group["id"], "group.privilege", _group_target(group))


def _unassign(request: web.Request, table: dict[str, list[dict[str, Any]]], owner: str, event: str,
              target: dict[str, Any]) -> web.Response:
    """Remove one role assignment of a user or group (replacing the list, never editing it) and log it as Okta
    does (event-types.json): `<event>.revoke` only when the last privilege goes ("indicates the user has no
    more admin privileges"), otherwise `<event>.grant` listing the privileges that remain ("contains
    information about the type of admin privileges the user currently has", as `privilegeGranted` reads in
    the Panther test events: "Super administrator, Read only admin")."""
    roles = table.get(owner, [])
    role = by_id(roles, request.match_info["roleAssignmentId"], "RoleAssignment")
    table[owner] = [r for r in roles if r is not role]
    store = tenant_of(request).store
    remaining = store.roles_of_user(owner) if event.startswith("user.") else table[owner]
    labels = list(dict.fromkeys(str(r.get("label") or r.get("type")) for r in remaining))
    if labels:
        syslog.record(request, f"{event}.grant", [target], {"privilegeGranted": ", ".join(labels)})
    else:
        syslog.record(request, f"{event}.revoke", [target],
                      {"privilegeRevoked": role.get("label") or role.get("type"), "roleType": role.get("type")})
    return web.Response(status=204)


@routes.get("/api/v1/iam/assignees/users")
@scope("okta.roles.read")
async def list_assignees(request: web.Request) -> web.StreamResponse:
    """Users with a role, directly or through a group; the next page is in the body, not in `Link`."""
    tenant = tenant_of(request)
    store = tenant.store
    limit = int_param(request, "limit", 100, 100)
    ids = store.admin_ids()
    after = request.query.get("after")
    start = bisect.bisect_right(ids, after) if after else 0
    chunk = ids[start:start + limit]
    base = store.org_url
    value = [{"id": uid, "orn": f"orn:okta:directory:{store.org_id}:users:{uid}",
              "_links": {"roles": {"href": f"{base}/api/v1/users/{uid}/roles"},
                         "self": {"href": f"{base}/api/v1/users/{uid}"}}} for uid in chunk]
    body: dict[str, Any] = {"value": value}
    if start + limit < len(ids):
        body["_links"] = {"next": {"href": f"{base}/api/v1/iam/assignees/users?after={chunk[-1]}&limit={limit}"}}
    return json_response(request, body)


# ---- groups ----------------------------------------------------------------------------------------

@routes.get("/api/v1/groups")
@scope("okta.groups.read")
async def list_groups(request: web.Request) -> web.StreamResponse:
    store = tenant_of(request).store
    limit = int_param(request, "limit", 10000, 10000)
    q = (request.query.get("q") or "").casefold()
    after = request.query.get("after")
    ids = store.group_ids
    start = bisect.bisect_right(ids, after) if after else 0
    page: list[dict[str, Any]] = []
    more = False
    for gid in ids[start:]:
        group = store.groups[gid]
        if q and not str((group.get("profile") or {}).get("name", "")).casefold().startswith(q):
            continue
        if len(page) == limit:
            more = True
            break
        page.append(group)
    if more:
        params = {k: v for k, v in request.query.items() if k != "after"}
        params["after"] = page[-1]["id"]
        return json_response(request, page, next_params=params)
    return json_response(request, page, self_link=True)


@routes.get("/api/v1/groups/{groupId}")
@scope("okta.groups.read")
async def get_group(request: web.Request) -> web.StreamResponse:
    return json_response(request, _group_or_404(request))


@routes.get("/api/v1/groups/{groupId}/users")
@scope("okta.groups.read")
async def list_group_users(request: web.Request) -> web.StreamResponse:
    group = _group_or_404(request)
    store = tenant_of(request).store
    limit = int_param(request, "limit", 1000, 1000)
    members = sorted(uid for uid in store.group_members.get(group["id"], []) if uid in store.users)
    after = request.query.get("after")
    start = bisect.bisect_right(members, after) if after else 0
    chunk = members[start:start + limit]
    page = [store.users[uid] for uid in chunk]
    if start + limit < len(members):
        params = {k: v for k, v in request.query.items() if k != "after"}
        params["after"] = chunk[-1]
        params["limit"] = str(limit)
        return json_response(request, page, next_params=params)
    return json_response(request, page, self_link=True)


def _membership(request: web.Request) -> tuple[dict[str, Any], dict[str, Any]]:
    """The group and user of a membership call; only OKTA_GROUP memberships can change (spec:
    assignUserToGroup / unassignUserFromGroup, "You only can modify memberships for groups of the
    OKTA_GROUP type"), else 403 as their responses list."""
    group = _group_or_404(request)
    user = user_or_404(request, request.match_info["userId"])
    if group.get("type", "OKTA_GROUP") != "OKTA_GROUP":
        raise OktaHTTPError(403, "E0000006", "You do not have permission to perform the requested action")
    return group, user


@routes.put("/api/v1/groups/{groupId}/users/{userId}")
@scope("okta.groups.manage")
async def assign_user_to_group(request: web.Request) -> web.StreamResponse:
    """204 with no body, as recorded (test_group_users_operations); adding a member twice changes nothing."""
    group, user = _membership(request)
    store = tenant_of(request).store
    members = store.group_members.get(group["id"], [])
    if user["id"] not in members:
        store.group_members[group["id"]] = [*members, user["id"]]
        store.user_groups[user["id"]] = [*store.user_groups.get(user["id"], []), group["id"]]
        syslog.record(request, "group.user_membership.add", [syslog.user_target(user), _group_target(group)])
    return web.Response(status=204)


@routes.delete("/api/v1/groups/{groupId}/users/{userId}")
@scope("okta.groups.manage")
async def unassign_user_from_group(request: web.Request) -> web.StreamResponse:
    """204 with no body, as recorded (test_group_users_operations)."""
    group, user = _membership(request)
    store = tenant_of(request).store
    members = store.group_members.get(group["id"], [])
    if user["id"] in members:
        store.group_members[group["id"]] = [m for m in members if m != user["id"]]
        store.user_groups[user["id"]] = [g for g in store.user_groups.get(user["id"], []) if g != group["id"]]
        syslog.record(request, "group.user_membership.remove", [syslog.user_target(user), _group_target(group)])
    return web.Response(status=204)

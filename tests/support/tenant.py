"""Okta-shaped data for the fake client: users, role assignments, an admin org, System Log events."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from remediator.timeutil import format_time, parse_time
from tests.support.client import FakeClient

Handler = Callable[[dict[str, Any] | None, Any], Any]


def user(uid: str, login: str, status: str = "ACTIVE", **fields: Any) -> dict[str, Any]:
    return {"id": uid, "status": status, "created": "2020-01-01T00:00:00.000Z",
            "statusChanged": "2020-01-02T00:00:00.000Z", "passwordChanged": "2021-01-01T00:00:00.000Z",
            "profile": {"login": login}, **fields}


def role(rid: str, type_: str, assignment: str = "USER", *, created: str = "2020-01-01T00:00:00.000Z",
         group: str | None = None) -> dict[str, Any]:
    out = {"id": rid, "label": type_.title(), "type": type_, "status": "ACTIVE", "created": created,
           "lastUpdated": created, "assignmentType": assignment}
    if group:
        out["_links"] = {"assignee": {"href": f"https://acme.okta.com/api/v1/groups/{group}"}}
    return out


def admin_org(users: list[dict[str, Any]], roles: dict[str, list[dict[str, Any]]], me: str,
              extra: dict[tuple[str, str], Any] | None = None, **options: Any) -> FakeClient:
    """A tenant whose admins are `users` (with `roles` by user id); `me` owns the API token.

    Lifecycle writes change the stored user the way Okta does, so that apply-then-plan can be tested.
    `options` go to FakeClient (`now`, `clock`, `events`, ...).
    """
    by_id = {u["id"]: u for u in users}
    routes: dict[tuple[str, str], Any] = {
        ("GET", "/api/v1/iam/assignees/users"): {"value": [{"id": u} for u in roles if roles[u]]},
        ("GET", "/api/v1/users/me"): by_id[me],
    }

    def lifecycle(uid: str, status: str) -> Handler:
        def handle(_params: Any, _json: Any) -> Any:
            by_id[uid].update(status=status, statusChanged="2022-03-22T12:00:00.000Z")
            return {}
        return handle

    def unassign(uid: str, rid: str) -> Handler:
        def handle(_params: Any, _json: Any) -> Any:
            roles[uid][:] = [r for r in roles[uid] if r["id"] != rid]
        return handle

    for uid, u in by_id.items():
        routes[("GET", f"/api/v1/users/{uid}")] = u
        routes[("GET", f"/api/v1/users/{uid}/roles")] = lambda _p, _j, uid=uid: roles.get(uid, [])
        routes[("POST", f"/api/v1/users/{uid}/lifecycle/reset_password")] = lifecycle(uid, "RECOVERY")
        routes[("POST", f"/api/v1/users/{uid}/lifecycle/expire_password")] = lifecycle(uid, "PASSWORD_EXPIRED")
        routes[("POST", f"/api/v1/users/{uid}/lifecycle/suspend")] = lifecycle(uid, "SUSPENDED")
        routes[("DELETE", f"/api/v1/users/{uid}/sessions")] = None
        for r in roles.get(uid, []):
            routes[("DELETE", f"/api/v1/users/{uid}/roles/{r['id']}")] = unassign(uid, r["id"])
    routes.update(extra or {})
    return FakeClient(routes, **options)


def event(published: str, event_type: str = "user.session.start", *, uid: str | None = None,
          actor: str = "alice@acme.com", actor_id: str = "00ualice", targets: list[dict] | None = None,
          request_id: str | None = None, **extra: Any) -> dict[str, Any]:
    """An Okta-shaped System Log event (key order as Okta writes it)."""
    e = {
        "actor": {"id": actor_id, "type": "User", "alternateId": actor, "displayName": actor.split("@")[0]},
        "client": {"ipAddress": "198.51.100.7", "zone": "null", "device": "Computer"},
        "debugContext": {"debugData": {"requestId": request_id or f"r{uuidlib.uuid4().hex[:20]}",
                                       "requestUri": "/api/v1/x"}},
        "displayMessage": event_type,
        "eventType": event_type,
        "legacyEventType": None,
        "outcome": {"result": "SUCCESS", "reason": None},
        "published": published,
        "securityContext": {"isProxy": None},
        "severity": "INFO",
        "target": targets,
        "uuid": uid or str(uuidlib.uuid4()),
        "version": "0",
    }
    e.update(extra)
    return e


def spread(start: str, count: int, step_ms: int = 1000, **kw: Any) -> list[dict[str, Any]]:
    t = parse_time(start)
    return [event(format_time(t + timedelta(milliseconds=i * step_ms)), **kw) for i in range(count)]

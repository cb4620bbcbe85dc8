"""A fake tenant client for the incident kinds: canned bodies per (method, path), every call recorded.

It speaks the OktaClient interface the kinds use (`request`, `get`, `get_json`, `paginate`,
`server_now`); paging itself is the real client's job and is tested there.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from remediator.errors import OktaApiError
from remediator.facts import TenantReads
from remediator.kinds.base import TenantContext
from remediator.timeutil import parse_time

Handler = Callable[[dict[str, Any] | None, Any], Any]


@dataclass(frozen=True)
class Resp:
    status: int
    body: Any
    request_id: str | None
    headers: dict[str, str] = field(default_factory=dict)
    next_url: str | None = None


class FakeClient:
    org_url = "https://acme.okta.com"
    tenant = "acme"

    def __init__(self, routes: dict[tuple[str, str], Any] | None = None, *, now: str = "2022-03-22T12:00:00.000Z",
                 delay: float = 0.0) -> None:
        self.routes: dict[tuple[str, str], Any] = dict(routes or {})
        self.now = parse_time(now)
        self.delay = delay
        self.calls: list[tuple[str, str, dict[str, Any] | None, Any]] = []
        self.rechecks: dict[str, Any] = {}  # path -> the recheck a write was given (for convergence tests)
        self._ids = itertools.count(1)

    def server_now(self) -> datetime:
        return self.now

    def calls_to(self, method: str, path: str) -> list[tuple[str, str, dict[str, Any] | None, Any]]:
        return [c for c in self.calls if c[0] == method and c[1] == path]

    async def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None,
                      recheck: Any = None, ok: tuple[int, ...] | None = None) -> Resp:
        self.calls.append((method, path, params, json))
        if recheck is not None:
            self.rechecks[path] = recheck
        if self.delay:
            await asyncio.sleep(self.delay)
        if (method, path) not in self.routes:
            raise OktaApiError(status=404, method=method, path=path, error_code="E0000007",
                               error_summary=f"Not found: Resource not found: {path}", tenant=self.tenant)
        handler = self.routes[(method, path)]
        if isinstance(handler, OktaApiError):
            raise handler
        body = handler(params, json) if callable(handler) else handler
        return Resp(status=200 if body is not None else 204, body=body, request_id=f"req-{next(self._ids)}")

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Resp:
        return await self.request("GET", path, params=params)

    async def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return (await self.get(path, params)).body

    async def paginate(self, path: str, params: dict[str, Any] | None = None) -> AsyncIterator[Any]:
        body = (await self.get(path, params)).body
        for item in body["value"] if isinstance(body, dict) else body or []:
            yield item


def context(client: FakeClient, *, break_glass: tuple[str, ...] = (), journal: tuple[dict[str, Any], ...] = (),
            name: str = "acme") -> TenantContext:
    return TenantContext(name=name, client=client, reads=TenantReads(client),  # type: ignore[arg-type]
                         protected_logins=frozenset(x.lower() for x in break_glass), journal_events=journal)


def api_error(status: int, method: str = "GET", path: str = "/") -> OktaApiError:
    return OktaApiError(status=status, method=method, path=path, error_code="E0000007", error_summary="x")


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
              extra: dict[tuple[str, str], Any] | None = None) -> FakeClient:
    """A tenant whose admins are `users` (with `roles` by user id); `me` owns the API token.

    Lifecycle writes change the stored user the way Okta does, so that apply-then-plan can be tested.
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
    return FakeClient(routes)

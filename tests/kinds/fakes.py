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
from remediator.kinds.base import TenantContext
from remediator.reads import TenantReads
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
        self.rechecks = 0
        self._ids = itertools.count(1)

    def server_now(self) -> datetime:
        return self.now

    def calls_to(self, method: str, path: str) -> list[tuple[str, str, dict[str, Any] | None, Any]]:
        return [c for c in self.calls if c[0] == method and c[1] == path]

    async def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None,
                      recheck: Any = None) -> Resp:
        self.calls.append((method, path, params, json))
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

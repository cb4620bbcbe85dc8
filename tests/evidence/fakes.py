"""A fake tenant for the System Log kinds: the few client methods they call, with switchable bound semantics.

Okta's spec does not say whether `since`/`until` are inclusive; the fake can be told either way so that
tests prove the archive is exact whatever the server does.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from remediator.facts import TenantReads
from remediator.kinds.base import TenantContext
from remediator.timeutil import format_time, parse_time


@dataclass
class Page:
    status: int
    body: Any
    request_id: str | None
    next_url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class Interrupted(BaseException):
    """Stands for a kill: not an Exception, so no `except Exception` on the way can swallow it."""


class FakeClient:
    org_url = "https://acme.okta.com"
    tenant = "acme"

    def __init__(self, events: list[dict[str, Any]], now: str, *, since_inclusive: bool = True,
                 until_inclusive: bool = False, kill_after_pages: int | None = None) -> None:
        self.events = sorted(events, key=lambda e: e["published"])
        self.now = parse_time(now)
        self.since_inclusive = since_inclusive
        self.until_inclusive = until_inclusive
        self.kill_after_pages = kill_after_pages
        self.calls: list[dict[str, Any]] = []
        self.gets: list[dict[str, Any]] = []
        self.calibrated = False

    def server_now(self) -> datetime:
        # like the real client: the tenant's clock is only known after a response's `Date` header
        return self.now if self.calibrated else datetime.now(UTC)

    def _in_range(self, published: str, since: str | None, until: str | None) -> bool:
        t = parse_time(published)
        if since is not None:
            s = parse_time(since)
            if t < s or (t == s and not self.since_inclusive):
                return False
        if until is not None:
            u = parse_time(until)
            if t > u or (t == u and not self.until_inclusive):
                return False
        return True

    async def get(self, path: str, params: dict | None = None) -> Page:
        assert path == "/api/v1/logs"
        self.gets.append(dict(params or {}))
        self.calibrated = True
        return Page(200, self.events[-1:], "req-get")

    async def pages(self, path: str, params: dict | None = None, *, stop_on_empty: bool = False,
                    prefetch: bool = False) -> AsyncIterator[Page]:
        """Bounded queries page to the end; polling queries (no `until`) end with an empty page whose
        `next` link resumes later (a cursor: the index of the next event, persisted in published order)."""
        url = urlsplit(path)
        assert url.path == "/api/v1/logs"
        params = {**dict(parse_qsl(url.query)), **dict(params or {})}
        self.calls.append(params)
        self.calibrated = True
        assert params.get("sortOrder") == "ASCENDING"
        limit = int(params.get("limit", 100))
        polling = "until" not in params
        selected = [e for e in self.events if self._in_range(e["published"], params.get("since"), params.get("until"))]
        start = int(params.get("after", 0))
        if polling:  # the cursor counts the events that were persisted then: `since` is fixed by the first call
            selected = [e for e in self.events if self._in_range(e["published"], params.get("since"), None)]
        for n in range(10**6):
            if self.kill_after_pages is not None and n >= self.kill_after_pages:
                raise Interrupted
            body = selected[start:start + limit]
            start += len(body)
            more = start < len(selected)
            if polling:
                query = urlencode({**{k: v for k, v in params.items() if k != "after"}, "after": start})
                yield Page(200, body, f"req-{n}", f"{self.org_url}/api/v1/logs?{query}")
                if not body:
                    return
            else:
                yield Page(200, body, f"req-{n}", "next" if more else None)
                if not more:
                    return


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


def context(client: FakeClient, *, name: str = "acme", reads: Any = None,
            own_request_ids: frozenset[str] = frozenset()) -> TenantContext:
    if reads is None:
        reads = TenantReads(client)  # type: ignore[arg-type]
    elif reads.client is None:
        reads.client = client
    return TenantContext(name=name, client=client, reads=reads, own_request_ids=own_request_ids)  # type: ignore[arg-type]

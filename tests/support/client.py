"""The one fake tenant client: OktaClient's interface as the kinds, the facts and the evidence use it.

It answers `request`, `get`, `get_json`, `pages`, `paginate` and `server_now` from canned routes (a body, a
callable `(params, json) -> body`, or an OktaApiError to raise) and, when given `events`, from a System Log
with Okta's query semantics (`since`, `until`, `after`, and a `filter` of `eq` clauses joined by `and`/`or`).
A write's re-checks (`recheck_logged`, `recheck_gone`) are the real client's, run over the fake's answers.
Every request is recorded in `calls`. Paging, retries, pacing and headers are the real client's business and
are tested on it (tests/okta, against recordings and the fake server of `tests.support.okta_server`); this
fake sits one layer above.

Time is the test's `FakeClock`: the tenant's clock is the local wall clock plus a fixed offset (so that it
reads `now` when the client is made), and, as with the real client, it is known only once the tenant has
answered something: before that, `server_now()` is the local wall clock, which is years away.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit

from multidict import CIMultiDict, CIMultiDictProxy

from remediator.errors import OktaApiError
from remediator.facts import TenantReads
from remediator.kinds.base import TenantContext
from remediator.okta.client import OktaClient, OktaResponse
from remediator.timeutil import parse_time
from tests.support.clock import FakeClock

LOGS = "/api/v1/logs"
NOW = "2022-03-22T12:00:00.000Z"


class Call(NamedTuple):
    """One request as the fake received it (a System Log query through `pages` is one call, whatever its pages)."""

    method: str
    path: str
    params: dict[str, Any] | None
    json: Any
    paged: bool = False  # a System Log query through `pages`


class Interrupted(BaseException):
    """Stands for a kill: not an Exception, so no `except Exception` on the way can swallow it."""


def answer(status: int, body: Any, request_id: str | None, next_url: str | None = None) -> OktaResponse:
    return OktaResponse(status, CIMultiDictProxy(CIMultiDict()), body, request_id, next_url)


class FakeClient:
    """A tenant over canned `routes` {(method, path): body | handler | OktaApiError} and a System Log."""

    org_url = "https://acme.okta.com"
    tenant = "acme"
    # the real client's re-checks of a write that may have taken effect, over this fake's GETs
    recheck_logged = OktaClient.recheck_logged
    recheck_gone = OktaClient.recheck_gone

    def __init__(self, routes: dict[tuple[str, str], Any] | None = None, *, now: str = NOW,
                 clock: FakeClock | None = None, latency: float = 0.0, events: list[dict[str, Any]] | None = None,
                 since_inclusive: bool = True, until_inclusive: bool = False,
                 kill_after_pages: int | None = None, client_id: str | None = None) -> None:
        self.client_id = client_id  # the OAuth service app acting (None: an API token, as OktaClient says)
        self.routes: dict[tuple[str, str], Any] = dict(routes or {})
        self.clock = clock or FakeClock()
        self._offset = 0.0
        self.now = parse_time(now)
        self.latency = latency  # seconds of the clock each request takes (a suspension point for concurrency)
        self.calls: list[Call] = []
        self.rechecks: dict[str, Any] = {}  # path -> the recheck a write was given (for convergence tests)
        self.answered = False  # the tenant's clock is known once something was answered (its `Date`)
        self._ids = itertools.count(1)
        # the System Log, when `events` is given: Okta's spec does not say whether `since`/`until` are
        # inclusive, so the fake can be told either way to prove the archive exact whatever the server does
        self.events = sorted(events, key=lambda e: e["published"]) if events is not None else None
        self.since_inclusive = since_inclusive
        self.until_inclusive = until_inclusive
        self.kill_after_pages = kill_after_pages

    # -- the tenant's clock ---------------------------------------------------------------------
    @property
    def now(self) -> datetime:
        """The tenant's clock (what it would put in `Date`): moves with the test's clock."""
        return datetime.fromtimestamp(self.clock.wall() + self._offset, UTC)

    @now.setter
    def now(self, value: datetime) -> None:
        """Set the tenant's clock to read `value` (e.g. a later estimate from `Date`'s whole seconds)."""
        self._offset = value.timestamp() - self.clock.wall()

    def server_now(self) -> datetime:
        """Like OktaClient: the tenant's clock once an answer told it, the local wall clock before."""
        return self.now if self.answered else self.clock.utcnow()

    # -- requests -------------------------------------------------------------------------------
    def calls_to(self, method: str, path: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path == path]

    @property
    def log_queries(self) -> list[dict[str, Any]]:
        """The parameters of each System Log query made through `pages` (its first page's query)."""
        return [c.params or {} for c in self.calls if c.paged]

    async def _wait(self) -> None:
        if self.latency:
            await self.clock.sleep(self.latency)

    async def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None,
                      recheck: Any = None, ok: tuple[int, ...] | None = None, expect: Any = None) -> OktaResponse:
        self.calls.append(Call(method, path, params, json))
        if recheck is not None:
            self.rechecks[path] = recheck
        await self._wait()
        self.answered = True
        if method == "GET" and path == LOGS and self.events is not None:
            return self._latest(params or {})
        if (method, path) not in self.routes:
            raise OktaApiError(status=404, method=method, path=path, error_code="E0000007",
                               error_summary=f"Not found: Resource not found: {path}", tenant=self.tenant)
        handler = self.routes[(method, path)]
        if isinstance(handler, OktaApiError):
            raise handler
        body = handler(params, json) if callable(handler) else handler
        return answer(200 if body is not None else 204, body, f"req-{next(self._ids)}")

    async def get(self, path: str, params: dict[str, Any] | None = None, *, expect: Any = None) -> OktaResponse:
        return await self.request("GET", path, params=params)

    async def get_json(self, path: str, params: dict[str, Any] | None = None, *, expect: Any = None) -> Any:
        return (await self.get(path, params)).body

    async def pages(self, path: str, params: dict[str, Any] | None = None, *, stop_on_empty: bool = False,
                    prefetch: bool = False) -> AsyncIterator[OktaResponse]:
        """A route's body as one page; the System Log paged as Okta pages it."""
        if urlsplit(path).path == LOGS and self.events is not None:
            async for page in self._log_pages(path, params):
                yield page
            return
        yield await self.get(path, params)

    async def paginate(self, path: str, params: dict[str, Any] | None = None) -> AsyncIterator[Any]:
        async for page in self.pages(path, params):
            body = page.body
            for item in body["value"] if isinstance(body, dict) else body or []:
                yield item

    # -- the System Log -------------------------------------------------------------------------
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

    def _latest(self, params: dict[str, Any]) -> OktaResponse:
        """One GET of the log: the newest `limit` events matching `since`/`until`/`filter` (the archive's way
        to learn the tenant's clock, a write's re-check)."""
        assert self.events is not None
        limit = int(params.get("limit", 100))
        matching = [e for e in self.events if self._in_range(e["published"], params.get("since"), params.get("until"))
                    and matches(e, params.get("filter"))]
        newest = matching[-limit:]
        body = newest[::-1] if params.get("sortOrder") == "DESCENDING" else newest
        return answer(200, body, "req-get")

    async def _log_pages(self, path: str, params: dict[str, Any] | None) -> AsyncIterator[OktaResponse]:
        """Bounded queries page to the end; polling queries (no `until`) end with an empty page whose
        `next` link resumes later (a cursor: the index of the next event, persisted in published order)."""
        assert self.events is not None
        query = {**dict(parse_qsl(urlsplit(path).query)), **dict(params or {})}
        self.calls.append(Call("GET", LOGS, query, None, paged=True))
        await self._wait()
        self.answered = True
        assert query.get("sortOrder") == "ASCENDING"
        limit = int(query.get("limit", 100))
        polling = "until" not in query
        # a polling cursor counts the events that were persisted then: `since` is fixed by the first call
        selected = [e for e in self.events
                    if self._in_range(e["published"], query.get("since"), None if polling else query.get("until"))
                    and matches(e, query.get("filter"))]
        start = int(query.get("after", 0))
        for n in itertools.count():
            if self.kill_after_pages is not None and n >= self.kill_after_pages:
                raise Interrupted
            body = selected[start:start + limit]
            start += len(body)
            more = start < len(selected)
            if polling:
                resume = urlencode({**{k: v for k, v in query.items() if k != "after"}, "after": start})
                yield answer(200, body, f"req-{n}", f"{self.org_url}{LOGS}?{resume}")
                if not body:
                    return
            else:
                yield answer(200, body, f"req-{n}", "next" if more else None)
                if not more:
                    return


CLAUSE = re.compile(r'^\s*([A-Za-z][\w.]*) eq "([^"]*)"\s*$')


def matches(event: dict[str, Any], filter_: str | None) -> bool:
    """Okta's System Log `filter`, as far as the product uses it: `attr eq "value"` clauses joined by `and`
    (binding tighter) and `or`; `target.id` matches any target. Anything else fails the test loudly."""
    if not filter_:
        return True
    return any(all(_clause(event, clause) for clause in alternative.split(" and "))
               for alternative in filter_.split(" or "))


def _clause(event: dict[str, Any], clause: str) -> bool:
    found = CLAUSE.match(clause)
    assert found, f"the fake System Log does not understand the filter clause {clause!r}"
    attr, value = found.groups()
    head, *rest = attr.split(".")
    values: list[Any] = list(event.get(head) or ()) if head == "target" else [event.get(head)]
    for key in rest:
        values = [v.get(key) if isinstance(v, dict) else None for v in values]
    return value in values


def context(client: Any, *, name: str = "acme", break_glass: tuple[str, ...] = (),
            journal: tuple[dict[str, Any], ...] = (), reads: Any = None,
            own_request_ids: frozenset[str] = frozenset()) -> TenantContext:
    """A kind's view of one tenant on `client` (`reads`: a TenantReads to use, bound to the client if unbound)."""
    if reads is None:
        reads = TenantReads(client)
    elif reads.client is None:
        reads.client = client
    return TenantContext(name=name, client=client, reads=reads,
                         protected_logins=frozenset(x.lower() for x in break_glass), journal_events=journal,
                         own_request_ids=own_request_ids)


def api_error(status: int, method: str = "GET", path: str = "/") -> OktaApiError:
    return OktaApiError(status=status, method=method, path=path, error_code="E0000007", error_summary="x")

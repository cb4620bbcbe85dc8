"""Okta's rate limits, enforced the way Okta enforces them, as an aiohttp middleware.

Why this exists: remediator paces itself from `X-Rate-Limit-*` headers and must survive 429s; a
sandbox without Okta's limits would let the engine and its benchmarks lie about how long a real
incident response takes.

What is modelled (sources: ../shared/guide/okta-api.md, terraform-provider-okta
`okta/internal/apimutex/rate_limit_lines.go`, and the real headers recorded in the okta-sdk-python
cassettes under ../shared/okta-reference):

- Buckets and per-minute limits: `remediator.okta.buckets` (shared with the client, so both sides
  agree): Okta's own mapping, where factors, roles, lifecycle and `DELETE .../sessions` share the
  `users` bucket, `GET /users/{id}`, `GET /users/me`, logs, iam and groups have their own, and the
  rest falls in the `/api/v1` catch-all; limits from okta-api.md's published Enterprise/Workforce
  table, `iam` 200 for the org (recorded 2025 orgs report `X-Rate-Limit-Limit: 100` there, the
  token's share).
- The default 50% share: one token may use floor(limit / 2) of a bucket per window; all tokens
  together at most the bucket's limit. `X-Rate-Limit-Limit` shows the token's share, as the 2025
  recordings do (users bucket 600 → `Limit: 300`, counting down `Remaining: 299, 298, ...`).
  Clients are told apart by their Authorization header (`SSWS x` and `SSWSx` are the same token);
  bearer tokens count for the OAuth service app they were issued to, as Okta's per-app share does.
- Windows are per bucket and start at the bucket's first request (not aligned to clock minutes);
  `X-Rate-Limit-Reset` stays the same for every response of one window, as recorded.
- Concurrency: at most 75 requests in flight per org; one more gets 429 E0000047 with
  `X-Rate-Limit-Limit: 0` and `Remaining: 0` (its Reset only a suggestion: one second ahead).
- Rejected requests (429) do not consume the bucket.

Time and `time_scale`: the tenant clock advances in real time (contract.md), so a "minute" lasts
60 / time_scale real seconds *and* 60 / time_scale tenant seconds. All header values are in tenant
clock seconds: `Date` = floor(tenant now), `Reset` = ceil(window end in tenant time). So `Reset -
Date`, read in header seconds and slept in real seconds, is never shorter than the real wait and at
most two seconds longer; it is a whole number of seconds (>= 1), since headers carry no fractions.
The clock is the sandbox's own (`Tenant.clock`, found through the app at the first request), the one
the wire layer stamps `Date` from after the handler ran: a later `Date` only brings `Reset - Date`
closer to the true wait, never below it. Standalone (tests), this middleware stamps `Date` itself
from the clock reading it used for `Reset`.

`rate_limits="off"`: nothing is enforced (no concurrency cap either) and the headers stay plausible
without ever inviting a client to slow down: Enterprise share as Limit, `Remaining = Limit - 1`,
Reset one window ahead.
"""

from __future__ import annotations

import base64
import math
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

from aiohttp import web

from remediator.okta.buckets import PER_MINUTE, WINDOW_SECONDS, bucket_for
from remediator.sandbox.wire import TENANT
from remediator.timeutil import parse_time

__all__ = [
    "CONCURRENCY_LIMIT",
    "PER_MINUTE",
    "TOKEN_SHARE",
    "WINDOW_SECONDS",
    "Decision",
    "RateLimiter",
    "bucket_for",
    "okta_error_body",
    "ratelimit_middleware",
]

CONCURRENCY_LIMIT = 75
TOKEN_SHARE = 0.5
_RATE_LIMITED = ("E0000047", "API call exceeded rate limit due to too many requests.")


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict for one request and the header values that go with it."""

    allowed: bool
    limit: int
    remaining: int
    reset: int  # tenant epoch seconds


@dataclass(slots=True)
class _Window:
    end: float  # tenant epoch seconds (fractional)
    reset: int  # ceil(end): what every response of this window reports
    total: int = 0
    by_client: dict[str, int] = field(default_factory=dict)


class RateLimiter:
    """Fixed windows per bucket, starting at the bucket's first request; pure apart from `now`.

    `now()` returns the tenant clock as epoch seconds; tests inject a fake one.
    """

    def __init__(self, plan: str, *, time_scale: float = 1.0, now: Callable[[], float] = time.time) -> None:
        if plan not in PER_MINUTE and plan != "off":
            raise ValueError(f"rate limits must be off, enterprise or workforce, not {plan!r}")
        if not time_scale > 0:
            raise ValueError(f"time scale must be a positive number, not {time_scale!r}")
        self.enforce = plan != "off"
        self.limits = PER_MINUTE.get(plan, PER_MINUTE["enterprise"])
        self.shares = {bucket: int(limit * TOKEN_SHARE) for bucket, limit in self.limits.items()}
        self.window = WINDOW_SECONDS / time_scale
        self.now = now
        self._windows: dict[str, _Window] = {}

    def check(self, bucket: str, client: str, now: float | None = None) -> Decision:
        """Count one request of `client` against `bucket`, or refuse it."""
        if now is None:
            now = self.now()
        share = self.shares[bucket]
        if not self.enforce:
            return Decision(True, share, share - 1, math.ceil(now + self.window))
        window = self._windows.get(bucket)
        if window is None or now >= window.end:
            end = now + self.window
            window = self._windows[bucket] = _Window(end, math.ceil(end))
        used = window.by_client.get(client, 0)
        if used >= share or window.total >= self.limits[bucket]:
            return Decision(False, share, 0, window.reset)
        window.by_client[client] = used + 1
        window.total += 1
        return Decision(True, share, share - used - 1, window.reset)


def okta_error_body(code: str, summary: str) -> dict[str, Any]:
    """Okta's error body: errorLink repeats the code, errorId looks like Okta's `oae...` ids."""
    error_id = "oae" + base64.urlsafe_b64encode(os.urandom(16)).decode()[:22]
    return {"errorCode": code, "errorSummary": summary, "errorLink": code, "errorId": error_id, "errorCauses": []}


def _config_clock(config: Any) -> Callable[[], float]:
    """The tenant clock from `config.clock` (ISO 8601 start, advancing in real time), or real time.

    Only used until the first request shows the app's own tenant clock (see `_app_clock`).
    """
    start = getattr(config, "clock", None)
    if not start:
        return time.time
    offset = parse_time(start).timestamp() - time.time()
    return lambda: time.time() + offset


def _app_clock(app: web.Application) -> Callable[[], float] | None:
    """The sandbox's own tenant clock (`Tenant.clock.now()`), so Reset and Date share one time base."""
    if not isinstance(app, web.Application):
        return None
    tenant = app.get(TENANT)
    now = getattr(getattr(tenant, "clock", None), "now", None)
    if now is None:
        return None
    return lambda: now().timestamp()


def _oauth_client(app: web.Application, access_token: str) -> str:
    """The OAuth service app a sandbox access token was issued to (unknown tokens count on their own)."""
    tenant = app.get(TENANT) if isinstance(app, web.Application) else None
    issued = getattr(tenant, "access_tokens", {}).get(access_token) or {}
    client_id = (issued.get("client") or {}).get("client_id")
    return f"oauth:{client_id}" if client_id else "Bearer" + access_token


class _DateCache:
    """`Date` header text per whole second: formatting costs more than everything else here."""

    __slots__ = ("second", "text")

    def __init__(self) -> None:
        self.second = -1
        self.text = ""

    def __call__(self, second: int) -> str:
        if second != self.second:
            self.text = formatdate(second, usegmt=True)
            self.second = second
        return self.text


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def ratelimit_middleware(config: Any, *, now: Callable[[], float] | None = None) -> Any:
    """An aiohttp middleware enforcing `config.rate_limits` at `config.time_scale`.

    `config` is a `SandboxConfig` (rate_limits, time_scale, clock). Time comes from `now` if given,
    else from the app's tenant clock, else from `config.clock`.
    """
    limiter = RateLimiter(
        getattr(config, "rate_limits", "off") or "off",
        time_scale=float(getattr(config, "time_scale", 1.0) or 1.0),
        now=now or _config_clock(config),
    )
    clock = limiter.now
    clock_settled = now is not None
    date_text = _DateCache()
    enforce = limiter.enforce
    in_flight = 0

    def stamp(headers: Any, decision: Decision, second: int) -> None:
        headers["Date"] = date_text(second)
        headers["X-Rate-Limit-Limit"] = str(decision.limit)
        headers["X-Rate-Limit-Remaining"] = str(decision.remaining)
        headers["X-Rate-Limit-Reset"] = str(decision.reset)

    def refuse(decision: Decision, second: int) -> web.Response:
        resp = web.json_response(okta_error_body(*_RATE_LIMITED), status=429)
        resp.headers["x-okta-request-id"] = os.urandom(16).hex()
        stamp(resp.headers, decision, second)
        return resp

    @web.middleware
    async def rate_limits(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal in_flight, clock, clock_settled
        if not clock_settled:
            clock = limiter.now = _app_clock(request.app) or clock
            clock_settled = True
        current = clock()
        second = int(current)
        if enforce and in_flight >= CONCURRENCY_LIMIT:
            return refuse(Decision(False, 0, 0, second + 1), second)
        auth = request.headers.get("Authorization", "")
        client = _oauth_client(request.app, auth[7:]) if auth.startswith("Bearer ") else auth.replace(" ", "")
        decision = limiter.check(bucket_for(request.method, request.path), client, current)
        if not decision.allowed:
            return refuse(decision, second)
        in_flight += 1
        try:
            resp = await handler(request)
        except Exception as exc:
            # Okta errors raised by handlers (the sandbox's OktaHTTPError, aiohttp's HTTPException)
            # are rendered further out: hand them the headers this request earned.
            headers = getattr(exc, "headers", None)
            if hasattr(headers, "__setitem__"):
                stamp(headers, decision, second)
            raise
        finally:
            in_flight -= 1
        if not resp.prepared:
            stamp(resp.headers, decision, second)
        return resp

    rate_limits.limiter = limiter  # type: ignore[attr-defined]  # for tests and benchmarks
    return rate_limits

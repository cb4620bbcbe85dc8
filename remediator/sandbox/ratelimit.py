"""Okta's rate limits, enforced the way Okta enforces them, as an aiohttp middleware.

Why this exists: remediator paces itself from `X-Rate-Limit-*` headers and must survive 429s; a
sandbox without Okta's limits would let the engine and its benchmarks lie about how long a real
incident response takes.

What is modelled (sources: ../shared/guide/okta-api.md, terraform-provider-okta
`okta/internal/apimutex/rate_limit_lines.go`, and the real headers recorded in the okta-sdk-python
cassettes under ../shared/okta-reference):

- Buckets: Okta's own mapping (`bucket_for`). `GET/POST /api/v1/users` and every
  `/api/v1/users/{id}/<anything>` (factors, roles, lifecycle, `DELETE .../sessions`) share the
  `users` bucket; `GET /api/v1/users/{idOrLogin}` has `user_by_id`; `GET /api/v1/users/me` has
  `user_me`; `POST/PUT/DELETE /api/v1/users/{id}` have `user_write`; `/api/v1/groups*` `groups`
  except `GET/PUT/DELETE /api/v1/groups/{id}` (`group_by_id`); `GET /api/v1/logs` `logs`;
  `/api/v1/iam/*` `iam`; `POST /oauth2/v1/token` `oauth2_token`; all else the `/api/v1`
  `catch_all` (api-tokens, policies, idps, org/privacy...). The real mapping gives groups their own
  buckets; okta-api.md's shorter summary folds them into the catch-all: the real mapping wins.
- Limits per minute (`PER_MINUTE`): okta-api.md's published Enterprise/Workforce table. `iam` is
  200 for the org: recorded 2025 orgs report `X-Rate-Limit-Limit: 100` on `/api/v1/iam/*`, the
  token's 50% share. `groups`/`group_by_id`/`user_write` come from 2020 recordings (500, 1000, 600,
  recorded before the per-token share existed), doubled for Workforce like the published buckets.
  `oauth2_token` is not in our table; it gets the catch-all's values (an assumption).
- The default 50% share: one token may use floor(limit / 2) of a bucket per window; all tokens
  together at most the bucket's limit. `X-Rate-Limit-Limit` shows the token's share, as the 2025
  recordings do (users bucket 600 → `Limit: 300`, counting down `Remaining: 299, 298, ...`).
  Tokens are told apart by their Authorization header (`SSWS x` and `SSWSx` are the same token).
- Windows are per bucket and start at the bucket's first request (not aligned to clock minutes);
  `X-Rate-Limit-Reset` stays the same for every response of one window, as recorded.
- Concurrency: at most 75 requests in flight per org; one more gets 429 E0000047 with
  `X-Rate-Limit-Limit: 0` and `Remaining: 0` (its Reset only a suggestion: one second ahead).
- Rejected requests (429) do not consume the bucket.

Time and `time_scale`: the tenant clock advances in real time (contract.md), so a "minute" lasts
60 / time_scale real seconds *and* 60 / time_scale tenant seconds. All header values are in tenant
clock seconds: `Date` = floor(tenant now), `Reset` = ceil(window end in tenant time). So `Reset -
Date`, read in header seconds and slept in real seconds, is never shorter than the real wait and at
most about one second longer; it is a whole number of seconds (>= 1), since headers carry no
fractions. This middleware stamps `Date` itself from the same clock reading it used for `Reset`, so
the two are always consistent.

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
from datetime import datetime
from email.utils import formatdate
from typing import Any

from aiohttp import web

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

WINDOW_SECONDS = 60.0
CONCURRENCY_LIMIT = 75
TOKEN_SHARE = 0.5

PER_MINUTE: dict[str, dict[str, int]] = {
    "enterprise": {
        "users": 600, "user_by_id": 1000, "user_me": 1000, "user_write": 600,
        "groups": 500, "group_by_id": 1000, "logs": 50, "iam": 200,
        "oauth2_token": 600, "catch_all": 600,
    },
    "workforce": {
        "users": 600, "user_by_id": 2000, "user_me": 2000, "user_write": 600,
        "groups": 1000, "group_by_id": 2000, "logs": 120, "iam": 200,
        "oauth2_token": 1200, "catch_all": 1200,
    },
}

_RATE_LIMITED = ("E0000047", "API call exceeded rate limit due to too many requests.")


def bucket_for(method: str, path: str) -> str:
    """Okta's rate-limit bucket for a request (rate_limit_lines.go, reduced to what differs)."""
    if not path.startswith("/api/v1/"):
        if path.startswith("/oauth2/") and path.endswith("/v1/token"):
            return "oauth2_token"
        return "catch_all"
    rest = path[8:]
    if rest.startswith("users"):
        return _users_bucket(method, rest[5:])
    if rest.startswith("groups"):
        return _groups_bucket(method, rest[6:])
    if rest == "logs" or rest == "logs/":
        return "logs"
    if rest == "iam" or rest.startswith("iam/"):
        return "iam"
    return "catch_all"


def _users_bucket(method: str, tail: str) -> str:
    if tail in ("", "/"):
        return "users"
    if tail[0] != "/":
        return "catch_all"
    segment = tail[1:]
    if "/" in segment.rstrip("/"):
        return "users"  # /users/{id}/factors, /roles, /lifecycle/*, /sessions, ...
    segment = segment.rstrip("/")
    if method == "GET":
        return "user_me" if segment == "me" else "user_by_id"
    return "users" if segment == "me" else "user_write"


def _groups_bucket(method: str, tail: str) -> str:
    if tail in ("", "/"):
        return "groups"
    if tail[0] != "/":
        return "catch_all"
    segment = tail[1:].rstrip("/")
    if "/" not in segment and segment != "rules" and method in ("GET", "PUT", "DELETE"):
        return "group_by_id"
    return "groups"


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

    def share(self, bucket: str) -> int:
        """How many requests one token may make in one window of `bucket`."""
        return self.shares[bucket]

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


def _tenant_clock(config: Any) -> Callable[[], float]:
    """The tenant clock as epoch seconds, from whatever `config.clock` holds.

    Accepts an object with `now() -> datetime` or `time() -> float`, a callable returning either,
    an ISO 8601 string or datetime (the tenant's "now" at start, advancing in real time), or None
    (real time).
    """
    clock = getattr(config, "clock", None)
    if clock is None:
        return time.time
    for name in ("epoch", "time", "timestamp"):
        method = getattr(clock, name, None)
        if callable(method) and not isinstance(clock, datetime):
            return _as_epoch_fn(method)
    if hasattr(clock, "now") and callable(clock.now) and not isinstance(clock, datetime):
        return _as_epoch_fn(clock.now)
    if callable(clock):
        return _as_epoch_fn(clock)
    if isinstance(clock, str):
        from remediator.timeutil import parse_time

        clock = parse_time(clock)
    if isinstance(clock, datetime):
        offset = clock.timestamp() - time.time()
        return lambda: time.time() + offset
    raise TypeError(f"unsupported tenant clock: {type(clock).__name__}")


def _as_epoch_fn(fn: Callable[[], Any]) -> Callable[[], float]:
    sample = fn()
    if isinstance(sample, datetime):
        return lambda: fn().timestamp()
    return lambda: float(fn())


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

    `config` is a `SandboxConfig` (fields rate_limits, time_scale, clock); `now` overrides its clock.
    """
    limiter = RateLimiter(
        getattr(config, "rate_limits", "off") or "off",
        time_scale=float(getattr(config, "time_scale", 1.0) or 1.0),
        now=now or _tenant_clock(config),
    )
    clock = limiter.now
    date_text = _DateCache()
    enforce = limiter.enforce
    in_flight = 0

    def stamp(resp: web.StreamResponse, limit: int, remaining: int, reset: int, second: int) -> None:
        if resp.prepared:
            return
        headers = resp.headers
        headers["Date"] = date_text(second)
        headers["X-Rate-Limit-Limit"] = str(limit)
        headers["X-Rate-Limit-Remaining"] = str(remaining)
        headers["X-Rate-Limit-Reset"] = str(reset)

    def refuse(limit: int, reset: int, second: int) -> web.Response:
        resp = web.json_response(okta_error_body(*_RATE_LIMITED), status=429)
        resp.headers["x-okta-request-id"] = os.urandom(16).hex()
        stamp(resp, limit, 0, reset, second)
        return resp

    @web.middleware
    async def rate_limits(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal in_flight
        current = clock()
        second = int(current)
        if enforce and in_flight >= CONCURRENCY_LIMIT:
            return refuse(0, second + 1, second)
        auth = request.headers.get("Authorization", "")
        decision = limiter.check(bucket_for(request.method, request.path), auth.replace(" ", ""), current)
        if not decision.allowed:
            return refuse(decision.limit, decision.reset, second)
        in_flight += 1
        try:
            resp = await handler(request)
        except web.HTTPException as exc:
            stamp(exc, decision.limit, decision.remaining, decision.reset, second)
            raise
        finally:
            in_flight -= 1
        stamp(resp, decision.limit, decision.remaining, decision.reset, second)
        return resp

    rate_limits.limiter = limiter  # type: ignore[attr-defined]  # for tests and benchmarks
    return rate_limits


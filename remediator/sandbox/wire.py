"""Okta's wire conventions, shared by every route: error bodies, JSON responses with `Link` headers,
paging helpers, the tenant of a request, the wire middleware (request id, `Date` from the tenant
clock, rate-limit headers, Okta error bodies) and the `scope` a route needs. `app.py` assembles the routes.
"""

from __future__ import annotations

import json
import logging
import random
import string
from collections.abc import Callable, Iterable, Mapping
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from aiohttp.typedefs import Handler

from remediator.okta.buckets import bucket_for
from remediator.sandbox.config import SandboxConfig
from remediator.sandbox.store import Clock, Store

log = logging.getLogger(__name__)
_ID_CHARS = string.ascii_letters + string.digits + "-_"
_RNG = random.SystemRandom()


class OktaHTTPError(Exception):
    """Raised by handlers; rendered as Okta's error body by the wire middleware."""

    def __init__(self, status: int, code: str, summary: str, causes: Iterable[str] = (),
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{status} {code} {summary}")
        self.status, self.code, self.summary = status, code, summary
        self.causes = list(causes)
        self.headers = dict(headers or {})


def not_found(key: str, type_name: str) -> OktaHTTPError:
    return OktaHTTPError(404, "E0000007", f"Not found: Resource not found: {key} ({type_name})")


def validation_error(field: str, cause: str) -> OktaHTTPError:
    return OktaHTTPError(400, "E0000001", f"Api validation failed: {field}", [cause])


def status_error() -> OktaHTTPError:
    return OktaHTTPError(403, "E0000038", "This operation is not allowed in the user's current status.")


def new_request_id() -> str:
    return "".join(_RNG.choice(_ID_CHARS) for _ in range(27))


def error_body(code: str, summary: str, causes: Iterable[str] = ()) -> dict[str, Any]:
    return {"errorCode": code, "errorSummary": summary, "errorLink": code,
            "errorId": "oae" + "".join(_RNG.choice(_ID_CHARS) for _ in range(22)),
            "errorCauses": [{"errorSummary": c} for c in causes]}


def error_response(status: int, code: str, summary: str, causes: Iterable[str] = (),
                   headers: Mapping[str, str] | None = None) -> web.Response:
    """An Okta error response; public so that the rate-limit and fault middlewares answer alike."""
    return web.Response(status=status, text=json.dumps(error_body(code, summary, causes)),
                        content_type="application/json", headers=headers)


class Tenant:
    """Runtime context of one sandbox tenant, shared by every handler through `request.app[TENANT]`."""

    def __init__(self, store: Store, clock: Clock, config: SandboxConfig) -> None:
        self.store, self.clock, self.config = store, clock, config
        self.public_url = store.org_url
        self.access_tokens: dict[str, Any] = {}
        self.limits = _DefaultLimits()

    def to_public(self, text: str) -> str:
        """Objects keep the snapshot's org URL; on the wire their links point at this server."""
        if self.store.org_url and self.public_url != self.store.org_url:
            return text.replace(self.store.org_url, self.public_url)
        return text

    def to_internal(self, text: str) -> str:
        if self.store.org_url and self.public_url != self.store.org_url:
            return text.replace(self.public_url, self.store.org_url)
        return text


TENANT = web.AppKey("tenant", Tenant)
REQUEST_ID = web.RequestKey("request_id", str)


def tenant_of(request: web.Request) -> Tenant:
    return request.app[TENANT]


def json_response(request: web.Request, body: Any, *, status: int = 200,
                  next_params: Mapping[str, Any] | None = None, self_link: bool = False,
                  text: str | None = None) -> web.Response:
    """A JSON response with Okta's `Link` headers: `self`, then `next` last, as separate lines.

    `text` is the body already serialized (cached user pages), used instead of `body`.
    """
    tenant = tenant_of(request)
    response = web.Response(status=status, text=tenant.to_public(json.dumps(body) if text is None else text),
                            content_type="application/json")
    if self_link or next_params is not None:
        base = f"{tenant.public_url}{request.path}"
        response.headers.add("Link", f'<{base}{"?" + request.query_string if request.query_string else ""}>; '
                                     'rel="self"')
        if next_params is not None:
            response.headers.add("Link", f'<{base}?{urlencode(next_params)}>; rel="next"')
    return response


def by_id(items: Iterable[dict[str, Any]], item_id: str, type_name: str) -> dict[str, Any]:
    """The item with this id, or Okta's 404 naming it (`Not found: Resource not found: ID (Type)`)."""
    for item in items:
        if item.get("id") == item_id:
            return item
    raise not_found(item_id, type_name)


def id_cursor_page(request: web.Request, found: list[dict[str, Any]], limit: int) -> web.Response:
    """Page a list in its stored order with `after=<id of the last item seen>`, as Okta's small lists do."""
    after = request.query.get("after")
    if after:
        ids = [item.get("id") for item in found]
        found = found[ids.index(after) + 1:] if after in ids else []
    if len(found) > limit:
        params = {k: v for k, v in request.query.items() if k != "after"}
        params["after"] = found[limit - 1]["id"]
        return json_response(request, found[:limit], next_params=params)
    return json_response(request, found, self_link=True)


async def read_json(request: web.Request) -> Any:
    text = await request.text()
    if not text.strip():
        return None
    try:
        return json.loads(tenant_of(request).to_internal(text))
    except ValueError:
        raise OktaHTTPError(400, "E0000003", "The request body was not well-formed.") from None


def int_param(request: web.Request, name: str, default: int, maximum: int, minimum: int = 1) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise validation_error(name, f"{name}: The field must be an integer.") from None
    if value < minimum:
        raise validation_error(name, f"{name}: must be at least {minimum}.")
    return min(value, maximum)


class _DefaultLimits:
    """Plausible X-Rate-Limit-* headers when no rate-limit middleware decides them (limits off)."""

    LIMITS = {"users": 600, "user_by_id": 1000, "logs": 120, "iam": 600, "catch_all": 1200}

    def __init__(self) -> None:
        self.windows: dict[str, tuple[int, int]] = {}

    def headers(self, bucket: str, epoch: float) -> dict[str, str]:
        limit = self.LIMITS.get(bucket, 600)
        start, used = self.windows.get(bucket, (int(epoch), 0))
        if epoch >= start + 60:
            start, used = int(epoch), 0
        used += 1
        self.windows[bucket] = (start, used)
        return {"X-Rate-Limit-Limit": str(limit), "X-Rate-Limit-Remaining": str(max(limit - used, 0)),
                "X-Rate-Limit-Reset": str(start + 60)}


def bucket_of(method: str, path: str) -> str:
    """The rate-limit bucket of a request, as remediator's client knows Okta's (catch-all otherwise)."""
    try:
        return bucket_for(method, path)
    except (ValueError, KeyError):
        return "catch_all"


@web.middleware
async def wire_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    tenant = tenant_of(request)
    request_id = new_request_id()
    request[REQUEST_ID] = request_id
    try:
        response = await handler(request)
    except OktaHTTPError as err:
        response = error_response(err.status, err.code, err.summary, err.causes, err.headers)
    except web.HTTPMethodNotAllowed:
        response = error_response(405, "E0000022", "The endpoint does not support the provided HTTP method")
    except web.HTTPNotFound:
        response = error_response(404, "E0000007", f"Not found: Resource not found: {request.path} (Path)")
    except web.HTTPException as exc:
        response = error_response(exc.status, "E0000009", exc.reason or "Internal Server Error")
    except Exception:  # a sandbox bug must still answer like Okta, and be visible in the log
        log.exception("sandbox handler failed: %s %s", request.method, request.path)
        response = error_response(500, "E0000009", "Internal Server Error")
    now = tenant.clock.now()
    headers = response.headers
    headers["x-okta-request-id"] = request_id
    headers["Date"] = format_datetime(now, usegmt=True)
    if "X-Rate-Limit-Limit" not in headers:
        headers.update(tenant.limits.headers(bucket_of(request.method, request.path), now.timestamp()))
    return response


def scope(name: str) -> Callable[[Handler], Handler]:
    """Mark the OAuth scope a route needs (as the spec's `security` says); SSWS tokens have all."""
    def mark(handler: Handler) -> Handler:
        handler.okta_scope = name  # type: ignore[attr-defined]
        return handler
    return mark

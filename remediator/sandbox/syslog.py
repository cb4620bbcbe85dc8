"""The System Log: the event Okta records for every accepted write, and `GET /api/v1/logs`.

Paging semantics (okta-api.md): bounded queries (`until` given, or DESCENDING) are ordered by
`published` and their last page has no `next`; polling queries (no `until`, ASCENDING) always carry
`next`, even on an empty page, so a client can resume from it later. With delayed persistence on
(`SandboxConfig.log_delay`), a query sees only the events persisted by now, and a polling query's
`since` and order are the persistence time (the spec's `since`: "the lower time bound of the log
events `published` property for bounded queries or persistence time for polling queries"). A bounded
cursor is the position in the published-ordered list, a polling cursor the index in persistence order;
neither ever skips or repeats an event.
"""

from __future__ import annotations

import bisect
import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any

from aiohttp import web

from remediator.sandbox import scim
from remediator.sandbox.auth import PRINCIPAL
from remediator.sandbox.wire import (
    REQUEST_ID,
    OktaHTTPError,
    int_param,
    json_response,
    scope,
    tenant_of,
    validation_error,
)
from remediator.timeutil import format_time, parse_time

routes = web.RouteTableDef()
RETENTION_LIMIT = timedelta(days=180)
DEFAULT_WINDOW = timedelta(days=7)

# eventType -> (displayMessage, legacyEventType), as Okta records them.
EVENTS: dict[str, tuple[str, str | None]] = {
    "user.lifecycle.suspend": ("Suspend Okta user", "core.user.config.user_status.suspended"),
    "user.lifecycle.unsuspend": ("Unsuspend Okta user", "core.user.config.user_status.unsuspended"),
    # new lifecycle events: display messages from Okta's event-types.json; no legacy type was recorded
    "user.lifecycle.activate": ("Activate Okta user", None),
    "user.lifecycle.deactivate": ("Deactivate Okta user", None),
    "user.account.unlock_by_admin": ("User account unlock by admin", None),
    "group.user_membership.add": ("Add user to group membership", None),
    "group.user_membership.remove": ("Remove user from group membership", None),
    "user.account.expire_password": ("Expire user password", "core.user.config.password_update.expire"),
    "user.account.reset_password": ("Reset password for Okta user", "core.user.config.password_reset"),
    "user.mfa.factor.reset_all": ("Reset all factors for user", "core.user.factor.reset_all"),
    "user.mfa.factor.deactivate": ("Reset factor for user", "core.user.factor.deactivate"),
    "user.session.clear": ("Clear user session", "core.user.session.clear"),
    "user.account.privilege.revoke": ("User privilege revoke", "core.user.admin_privilege.revoked"),
    "user.account.privilege.grant": ("Grant user privilege", "core.user.admin_privilege.granted"),
    "group.privilege.grant": ("Group Privilege granted", "group.privilege.grant"),
    "group.privilege.revoke": ("Group privilege revoke", "core.group.admin_privilege.revoked"),
    "system.api_token.revoke": ("Revoke API token", "api.token.revoke"),
    "system.api_token.update": ("Update API token", None),
    "user.session.impersonation.grant": ("Enable impersonation grant", "core.user.impersonation.grant.enabled"),
    "user.session.impersonation.extend": ("Extend impersonation grant", "core.user.impersonation.grant.extended"),
    "user.session.impersonation.revoke": ("Revoke impersonation grant", "core.user.impersonation.grant.revoked"),
    "policy.lifecycle.update": ("Update policy", "core.policy.update"),
    "policy.rule.update": ("Update policy rule", "core.policy.rule.update"),
    "system.idp.lifecycle.deactivate": ("Deactivate identity provider", "core.idp.lifecycle.deactivate"),
    "application.lifecycle.activate": ("Activate application", "app.generic.config.app_activated"),
    "application.lifecycle.deactivate": ("Deactivate application", "app.generic.config.app_deactivated"),
    "zone.create": ("Network zone create", None),
    "zone.update": ("Network zone update", None),
    "zone.activate": ("Network zone activate", None),
    "zone.deactivate": ("Network zone deactivate", None),
    "zone.delete": ("Network zone delete", None),
    "security.threat.configuration.update": ("ThreatInsight configuration update", None),
    "security.authenticator.lifecycle.activate": ("Activate authenticator", None),
    "security.authenticator.lifecycle.deactivate": ("Deactivate authenticator", None),
    "system.log_stream.lifecycle.create": ("Create log stream", None),
    "system.log_stream.lifecycle.activate": ("Activate log stream", None),
    "system.log_stream.lifecycle.deactivate": ("Deactivate log stream", None),
    "security.attack_protection.settings.update": ("Attack protection settings update", None),
}


def _user_agent(raw: str) -> dict[str, Any]:
    low = raw.lower()
    browser = "UNKNOWN"
    for name in ("firefox", "chrome", "safari", "edge"):
        if name in low:
            browser = name.upper()
            break
    os_name = "Linux" if "linux" in low else "Mac OS X" if "mac os" in low else "Windows" if "windows" in low \
        else "Unknown"
    return {"rawUserAgent": raw, "os": os_name, "browser": browser}


#: Where the sandbox says its callers are: loopback has no place, but Okta always names one.
LOOPBACK_PLACE = {"city": "San Francisco", "state": "California", "country": "United States", "postalCode": "94107",
                  "geolocation": {"lat": 37.7697, "lon": -122.3933}}


def record(request: web.Request, event_type: str, targets: list[dict[str, Any]],
           debug: dict[str, Any] | None = None) -> dict[str, Any]:
    """Append the event for an accepted write; actor = the caller, requestId = the response's."""
    tenant = tenant_of(request)
    store = tenant.store
    principal = request[PRINCIPAL]
    request_id = request[REQUEST_ID]
    display, legacy = EVENTS[event_type]
    ip = request.remote or "127.0.0.1"
    geo = dict(LOOPBACK_PLACE)
    debug_data = {"requestId": request_id, "requestUri": request.path, "url": request.path_qs}
    debug_data.update(debug or {})
    event = {
        "actor": dict(principal.actor),
        "client": {"userAgent": _user_agent(request.headers.get("User-Agent", "")), "zone": "null",
                   "device": "Unknown", "id": principal.client_id, "ipAddress": ip, "geographicalContext": geo},
        "device": None,
        "authenticationContext": {"authenticationProvider": None, "credentialProvider": None,
                                  "credentialType": None, "issuer": None, "interface": None,
                                  "authenticationStep": 0, "externalSessionId": "trs" + request_id[:22],
                                  "rootSessionId": None},
        "displayMessage": display,
        "eventType": event_type,
        "outcome": {"result": "SUCCESS", "reason": None},
        "published": store.next_published(tenant.clock.now()),
        "securityContext": {"asNumber": None, "asOrg": None, "isp": None, "domain": None, "isProxy": None},
        "severity": "INFO",
        "debugContext": {"debugData": debug_data},
        "legacyEventType": legacy,
        "transaction": {"type": "WEB", "id": request_id, "detail": {}},
        "uuid": str(uuid.uuid4()),
        "version": "0",
        "request": {"ipChain": [{"ip": ip, "geographicalContext": geo, "version": "V4", "source": None}]},
        "target": targets,
    }
    store.append_log(event)
    return event


# ---- targets, in the shapes Okta records -----------------------------------------------------------

def user_target(user: dict[str, Any]) -> dict[str, Any]:
    profile = user.get("profile") or {}
    name = " ".join(p for p in (profile.get("firstName"), profile.get("lastName")) if p)
    return {"id": user["id"], "type": "User", "alternateId": profile.get("login") or "unknown",
            "displayName": name or "unknown", "detailEntry": None}


def named_target(obj_id: str, type_name: str, name: str | None, detail: dict[str, Any] | None = None,
                 alternate: str = "unknown") -> dict[str, Any]:
    return {"id": obj_id, "type": type_name, "alternateId": alternate, "displayName": name or "unknown",
            "detailEntry": detail}


# ---- GET /api/v1/logs ------------------------------------------------------------------------------

def _time_param(request: web.Request, name: str) -> str | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return format_time(parse_time(raw))
    except ValueError:
        raise validation_error(name, f"{name}: The date format is invalid. It must be in ISO 8601 format.") from None


def _indexed(node: scim.Node, by_type: Mapping[str, Sequence[int]]) -> Sequence[int] | None:
    """Positions that can match, from the eventType index; None when the filter needs a full scan."""
    if isinstance(node, scim.Compare) and node.path == ("eventType",) and node.op == "eq":
        return by_type.get(node.value, []) if isinstance(node.value, str) else []
    if isinstance(node, scim.Logical):
        left, right = _indexed(node.left, by_type), _indexed(node.right, by_type)
        if node.op == "and":
            known = [side for side in (left, right) if side is not None]
            return min(known, key=len) if known else None
        if left is not None and right is not None:
            return sorted(set(left) | set(right))
    return None


#: Okta's answers for bad System Log queries, from the System Log API reference, "Errors"
#: (developer.okta.com/docs/reference/api/system-log/#errors; okta-developer-docs
#: packages/@okta/vuepress-site/docs/reference/api/system-log/index.md).
SINCE_TOO_OLD = "Invalid parameter: The since parameter is over 180 days prior to the current day."
_NO_CONTAINS = frozenset({("debugContext", "debugData", "url"), ("debugContext", "debugData", "requestUri")})


def _refuse_unsupported(node: scim.Node) -> None:
    """`co` on the debug URL fields is refused with E0000031, as the reference shows."""
    if isinstance(node, scim.Compare) and node.op == "co" and node.path in _NO_CONTAINS:
        raise OktaHTTPError(400, "E0000031", "The supplied combination of operator and field is not currently "
                                             f"supported. Operator: co, Field: {'.'.join(node.path)}")
    if isinstance(node, scim.Logical):
        _refuse_unsupported(node.left)
        _refuse_unsupported(node.right)
    if isinstance(node, scim.Not):
        _refuse_unsupported(node.inner)


def _predicate(request: web.Request) -> tuple[Callable[[dict[str, Any]], bool] | None, Sequence[int] | None]:
    checks: list[Callable[[dict[str, Any]], bool]] = []
    candidates: Sequence[int] | None = None
    text = request.query.get("filter")
    if text:
        try:
            node = scim.parse(text)
        except scim.FilterError as err:
            raise OktaHTTPError(400, "E0000053", f"Invalid filter '{text}': {err}") from None
        _refuse_unsupported(node)
        checks.append(scim.compile_filter(node))
        candidates = _indexed(node, tenant_of(request).store.log_by_type)
    words = (request.query.get("q") or "").split()
    if words:
        if len(words) > 10 or any(len(w) > 40 for w in words):
            raise validation_error("q", "q: at most 10 keywords of at most 40 characters each.")
        lowered = [w.casefold() for w in words]
        checks.append(lambda e: all(w in json.dumps(e).casefold() for w in lowered))
    if not checks:
        return None, None
    return (lambda event: all(check(event) for check in checks)), candidates


def _positions(low: int, high: int, step: int, candidates: Sequence[int] | None) -> Iterator[int]:
    """Positions in [low, high), ascending (step 1) or descending (step -1), optionally from an index."""
    if candidates is None:
        yield from (range(low, high) if step == 1 else range(high - 1, low - 1, -1))
        return
    start, stop = bisect.bisect_left(candidates, low), bisect.bisect_left(candidates, high)
    yield from (candidates[i] for i in (range(start, stop) if step == 1 else range(stop - 1, start - 1, -1)))


@routes.get("/api/v1/logs")
@scope("okta.logs.read")
async def list_logs(request: web.Request) -> web.StreamResponse:
    tenant = tenant_of(request)
    store = tenant.store
    now = tenant.clock.now()
    order = (request.query.get("sortOrder") or "ASCENDING").upper()
    if order not in ("ASCENDING", "DESCENDING"):
        raise validation_error("sortOrder", "sortOrder: must be ASCENDING or DESCENDING.")
    since, until = _time_param(request, "since"), _time_param(request, "until")
    polling = until is None and order == "ASCENDING"
    upper = until or format_time(now)
    if since is None:
        since = format_time(parse_time(upper) - DEFAULT_WINDOW)
    if since < format_time(now - RETENTION_LIMIT):
        raise OktaHTTPError(400, "E0000053", SINCE_TOO_OLD)
    if until is not None and until < since:
        raise validation_error("until", "until: must be after since.")
    limit = int_param(request, "limit", 100, 1000, minimum=0)
    cursor = request.query.get("after")
    if cursor and not cursor.isdigit():
        raise OktaHTTPError(400, "E0000031", "Invalid search criteria.", ["Invalid cursor."])
    match, candidates = _predicate(request)
    now_key = format_time(now)
    params = {k: v for k, v in request.query.items() if k != "after"}
    if polling:
        low, high = store.persisted(since, now_key)
        if cursor:
            low = max(low, int(cursor))
        events, more_at = _page(store, range(low, high), store.persisted_at, match, limit, now_key)
        params["after"] = str(max(high, low) if more_at is None else more_at)
        return json_response(request, events, next_params=params)
    keys = store.log_keys
    low, high = bisect.bisect_left(keys, since), bisect.bisect_left(keys, upper)
    if cursor:
        if order == "ASCENDING":
            low = max(low, int(cursor))
        else:
            high = min(high, int(cursor) + 1)
    step = 1 if order == "ASCENDING" else -1
    events, more_at = _page(store, _positions(low, high, step, candidates), None, match, limit, now_key)
    if more_at is not None:
        params["after"] = str(more_at)
        return json_response(request, events, next_params=params)
    return json_response(request, events, self_link=True)


def _page(store: Any, indexes: Iterable[int], resolve: Callable[[int], int] | None,
          match: Callable[[dict[str, Any]], bool] | None, limit: int,
          now_key: str) -> tuple[list[dict[str, Any]], int | None]:
    """Up to `limit` persisted, matching events at `indexes` (`resolve` maps an index to a published position);
    and the index the next page starts at, None when exhausted. Events not persisted yet are invisible."""
    logs, visible = store.logs, store.visible
    events: list[dict[str, Any]] = []
    for index in indexes:
        position = resolve(index) if resolve else index
        if not visible(position, now_key):
            continue
        event = logs[position]
        if match is None or match(event):
            if len(events) >= limit:
                return events, index
            events.append(event)
    return events, None

"""Applications: list (`q`, `filter`, cursor paging), get by id, activate and deactivate.

Shapes and statuses follow the okta-sdk-python recordings (`test_applications_it/*`): the list is a bare
array paged with `after=<id>` (an unknown cursor answers 400 E0000029 "Invalid paging request."), and the
lifecycle operations answer 200 with `{}`. The first-party apps `saasure` (Admin Console) and
`okta_enduser` (Dashboard) are ordinary entries of the list; each names its app sign-on policy in
`_links.accessPolicy.href`, which is how a client finds those policies (never by their names).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from remediator.sandbox import scim, syslog
from remediator.sandbox.wire import (
    OktaHTTPError,
    by_id,
    int_param,
    json_response,
    scope,
    tenant_of,
)
from remediator.timeutil import format_time

routes = web.RouteTableDef()
#: The properties the spec lets `filter` name on apps (listApplications), each with `eq` only.
FILTERABLE = frozenset({"id", "status", "name", "credentials.signing.kid", "settings.slo.enabled"})
MAX_LIMIT = 200  # the spec's maximum for listApplications


def _invalid(cause: str) -> OktaHTTPError:
    return OktaHTTPError(400, "E0000031", "Invalid search criteria.", [cause])


def _filter(text: str) -> Callable[[dict[str, Any]], bool]:
    try:
        node = scim.parse(text)
    except scim.FilterError as err:
        raise _invalid(f"filter: {err}") from None
    for leaf in scim.walk(node):
        attr = ".".join(leaf.path)
        if attr not in FILTERABLE:
            raise _invalid(f"filter: the attribute {attr!r} cannot be filtered on")
        if not isinstance(leaf, scim.Compare) or leaf.op != "eq":
            raise _invalid(f"filter: only 'eq' is supported on {attr!r}")
    return scim.compile_filter(node)


def _query(text: str) -> Callable[[dict[str, Any]], bool]:
    prefix = text.casefold()
    return lambda app: any(str(app.get(k) or "").casefold().startswith(prefix) for k in ("name", "label"))


@routes.get("/api/v1/apps")
@scope("okta.apps.read")
async def list_apps(request: web.Request) -> web.StreamResponse:
    checks = []
    if request.query.get("filter"):
        checks.append(_filter(request.query["filter"]))
    if request.query.get("q"):
        checks.append(_query(request.query["q"]))
    found = [a for a in tenant_of(request).store.apps if all(check(a) for check in checks)]
    limit = int_param(request, "limit", MAX_LIMIT, MAX_LIMIT, minimum=-1)
    limit = MAX_LIMIT if limit <= 0 else limit  # the spec's default -1 means "the largest page"
    after = request.query.get("after")
    if after:
        ids = [a.get("id") for a in found]
        if after not in ids:
            raise OktaHTTPError(400, "E0000029", "Invalid paging request.", ["Invalid cursor."])
        found = found[ids.index(after) + 1:]
    if len(found) > limit:
        params = {k: v for k, v in request.query.items() if k != "after"}
        params["after"] = found[limit - 1]["id"]
        return json_response(request, found[:limit], next_params=params)
    return json_response(request, found, self_link=True)


def _app_or_404(request: web.Request) -> dict[str, Any]:
    return by_id(tenant_of(request).store.apps, request.match_info["appId"], "AppInstance")


@routes.get("/api/v1/apps/{appId}")
@scope("okta.apps.read")
async def get_app(request: web.Request) -> web.StreamResponse:
    return json_response(request, _app_or_404(request))


def app_target(app: dict[str, Any]) -> dict[str, Any]:
    """An app as System Log events name it (type AppInstance, its sign-on mode in `detailEntry`)."""
    return syslog.named_target(app["id"], "AppInstance", app.get("label"),
                               {"signOnModeType": app.get("signOnMode")}, alternate=app.get("label") or "unknown")


def _lifecycle(request: web.Request, status: str, event: str) -> web.Response:
    original = _app_or_404(request)
    if original.get("status") != status:  # activating an ACTIVE app changes (and logs) nothing
        app = {**original, "status": status, "lastUpdated": format_time(tenant_of(request).clock.now())}
        store = tenant_of(request).store
        store.apps = [app if a is original else a for a in store.apps]
        syslog.record(request, event, [app_target(app)])
    return json_response(request, {})


@routes.post("/api/v1/apps/{appId}/lifecycle/activate")
@scope("okta.apps.manage")
async def activate_app(request: web.Request) -> web.StreamResponse:
    return _lifecycle(request, "ACTIVE", "application.lifecycle.activate")


@routes.post("/api/v1/apps/{appId}/lifecycle/deactivate")
@scope("okta.apps.manage")
async def deactivate_app(request: web.Request) -> web.StreamResponse:
    return _lifecycle(request, "INACTIVE", "application.lifecycle.deactivate")

"""Users: list/search/filter/q with cursors, get by id/login/me, lifecycle, sessions, factors.

Listing semantics follow the spec's operation descriptions: a plain list and `q` omit DEPROVISIONED
users, `filter` and `search` include them; `filter` takes only `eq` (plus gt/ge/lt/le on lastUpdated)
on a few properties and compares case-sensitively; `search` takes any property with eq, sw, co
(co on name/email/login only), gt, ge, lt, le, pr, compares values case-insensitively and has no `ne`;
`q` is a prefix match on firstName, lastName or email, 10 results by default and no next page.
"""

from __future__ import annotations

import bisect
import re
import secrets
from collections.abc import Callable
from typing import Any

from aiohttp import web

from remediator.sandbox import scim, syslog
from remediator.sandbox.auth import PRINCIPAL
from remediator.sandbox.store import Store
from remediator.sandbox.wire import (
    OktaHTTPError,
    by_id,
    int_param,
    json_response,
    not_found,
    scope,
    status_error,
    tenant_of,
)
from remediator.timeutil import format_time

routes = web.RouteTableDef()
MAX_PAGE = 200
FILTER_ATTRS = frozenset({"status", "lastUpdated", "id", "profile.login", "profile.email", "profile.firstName",
                          "profile.lastName"})
CONTAINS_ATTRS = frozenset({"profile.firstName", "profile.lastName", "profile.email", "profile.login"})
SEARCH_TOP = frozenset({"id", "status", "created", "activated", "statusChanged", "lastUpdated", "passwordChanged",
                        "lastLogin", "type.id"})


def _invalid(cause: str) -> OktaHTTPError:
    return OktaHTTPError(400, "E0000031", "Invalid search criteria.", [cause])


Match = Callable[[dict[str, Any]], bool]


def _filter_predicate(text: str) -> tuple[Match, scim.Node]:
    try:
        node = scim.parse(text)
    except scim.FilterError as err:
        raise _invalid(f"filter: {err}") from None
    for leaf in scim.walk(node):
        attr = ".".join(leaf.path)
        op = leaf.op if isinstance(leaf, scim.Compare) else "pr"
        if attr not in FILTER_ATTRS:
            raise _invalid(f"filter: the attribute {attr!r} cannot be filtered on; use search")
        if op != "eq" and not (attr == "lastUpdated" and op in ("gt", "ge", "lt", "le")):
            raise _invalid(f"filter: the operator {op!r} is not supported on {attr!r}")
    if any(isinstance(n, scim.Not) for n in _nodes(node)):
        raise _invalid("filter: the 'not' operator is not supported")
    return scim.compile_filter(node), node


def _search_predicate(text: str) -> tuple[Match, scim.Node]:
    try:
        node = scim.parse(text)
    except scim.FilterError as err:
        raise _invalid(f"search: {err}") from None
    for leaf in scim.walk(node):
        attr = ".".join(leaf.path)
        if not (attr in SEARCH_TOP or attr.startswith("profile.") or attr.startswith("credentials.")):
            raise _invalid(f"search: unknown attribute {attr!r}")
        if isinstance(leaf, scim.Compare):
            if leaf.op == "ne":
                raise _invalid("search: the 'ne' operator is not supported; use 'lt ... or ... gt'")
            if leaf.op == "ew" or (leaf.op == "co" and attr not in CONTAINS_ATTRS):
                raise _invalid(f"search: the operator {leaf.op!r} is not supported on {attr!r}")
    return scim.compile_filter(node, ignore_case=True), node


def _candidates(store: Store, node: scim.Node) -> list[str] | None:
    """Ids that can match, from the id and login indexes (sorted); None when a scan is needed."""
    if isinstance(node, scim.Compare) and node.op == "eq" and isinstance(node.value, str):
        if node.path == ("id",):
            return [node.value] if node.value in store.users else []
        if node.path == ("profile", "login"):
            uid = store.logins.get(node.value.lower())
            return [uid] if uid else []
    if isinstance(node, scim.Logical):
        left, right = _candidates(store, node.left), _candidates(store, node.right)
        if node.op == "and":
            known = [side for side in (left, right) if side is not None]
            return min(known, key=len) if known else None
        if left is not None and right is not None:
            return sorted(set(left) | set(right))
    return None


def _nodes(node: scim.Node) -> list[scim.Node]:
    if isinstance(node, scim.Logical):
        return [node, *_nodes(node.left), *_nodes(node.right)]
    if isinstance(node, scim.Not):
        return [node, *_nodes(node.inner)]
    return [node]


def _q_predicate(text: str) -> Callable[[dict[str, Any]], bool]:
    prefix = text.casefold()

    def match(user: dict[str, Any]) -> bool:
        if user.get("status") == "DEPROVISIONED":
            return False
        profile = user.get("profile") or {}
        return any(isinstance(profile.get(k), str) and profile[k].casefold().startswith(prefix)
                   for k in ("firstName", "lastName", "email"))
    return match


def _not_deprovisioned(user: dict[str, Any]) -> bool:
    return user.get("status") != "DEPROVISIONED"


def page_of_users(store: Store, match: Match, after: str | None, limit: int,
                  candidates: list[str] | None = None) -> tuple[list[dict[str, Any]], bool]:
    """Up to `limit` matching users after the cursor id, in id order, and whether more follow."""
    ids, users = (store.user_ids if candidates is None else candidates), store.users
    start = bisect.bisect_right(ids, after) if after else 0
    page: list[dict[str, Any]] = []
    plain = match is _not_deprovisioned  # the plain list: decided on the stored status, nothing opened
    for index in range(start, len(ids)):
        uid = ids[index]
        if plain:
            if store.user_status(uid) == "DEPROVISIONED":
                continue
            user = None
        else:
            user = users[uid]
            if not match(user):
                continue
        if len(page) == limit:
            return page, True
        page.append(users[uid] if user is None else user)
    return page, False


@routes.get("/api/v1/users")
@scope("okta.users.read")
async def list_users(request: web.Request) -> web.StreamResponse:
    store = tenant_of(request).store
    query = request.query
    candidates = None
    if query.get("search"):
        match, node = _search_predicate(query["search"])
        candidates = _candidates(store, node)
    elif query.get("filter"):
        match, node = _filter_predicate(query["filter"])
        candidates = _candidates(store, node)
    elif query.get("q"):
        limit = int_param(request, "limit", 10, MAX_PAGE)
        page, _ = page_of_users(store, _q_predicate(query["q"]), None, limit)
        return json_response(request, page, self_link=True)
    else:
        match = _not_deprovisioned
    limit = int_param(request, "limit", MAX_PAGE, MAX_PAGE)
    page, more = page_of_users(store, match, query.get("after"), limit, candidates)
    text = store.users_json(page)
    if more:
        params = {k: v for k, v in query.items() if k != "after"}
        params["after"] = page[-1]["id"]
        params["limit"] = str(limit)
        return json_response(request, None, text=text, next_params=params)
    return json_response(request, None, text=text, self_link=True)


def user_or_404(request: web.Request, key: str | None = None) -> dict[str, Any]:
    store = tenant_of(request).store
    key = key if key is not None else request.match_info["id"]
    if key == "me":
        principal = request[PRINCIPAL]
        user = store.users.get(principal.user_id) if principal.user_id else None
    else:
        user = store.find_user(key)
    if user is None:
        raise not_found(key, "User")
    return user


@routes.get("/api/v1/users/{id}")
@scope("okta.users.read")
async def get_user(request: web.Request) -> web.StreamResponse:
    return json_response(request, user_or_404(request))


_ACTION_LINKS = {  # lifecycle links by status, as the recorded GET /users/{id} responses carry them
    "ACTIVE": ("suspend", "resetPassword", "expirePassword", "forgotPassword", "changePassword",
               "changeRecoveryQuestion", "deactivate"),
    "SUSPENDED": ("unsuspend", "deactivate"),
}
_LIFECYCLE_LINKS = frozenset({"suspend", "unsuspend", "activate", "reactivate", "deactivate", "resetPassword",
                              "expirePassword", "forgotPassword", "changePassword", "changeRecoveryQuestion",
                              "unlock"})
_LINK_PATHS = {"forgotPassword": "credentials/forgot_password", "changePassword": "credentials/change_password",
               "changeRecoveryQuestion": "credentials/change_recovery_question"}


def _relink(store: Store, user: dict[str, Any]) -> None:
    """Full user objects (GET by id) carry the actions their status allows; list entries only `self`."""
    links = user.get("_links")
    if not isinstance(links, dict) or not _LIFECYCLE_LINKS & set(links):
        return
    actions = _ACTION_LINKS.get(user.get("status", ""), _ACTION_LINKS["ACTIVE"])
    kept = {k: v for k, v in links.items() if k not in _LIFECYCLE_LINKS}
    for action in actions:
        path = _LINK_PATHS.get(action) or "lifecycle/" + "_".join(
            part.lower() for part in re.findall(r"[a-z]+|[A-Z][a-z]*", action))
        kept[action] = {"href": f"{store.org_url}/api/v1/users/{user['id']}/{path}", "method": "POST"}
    user["_links"] = kept


def _touch(request: web.Request, user: dict[str, Any], status: str | None = None) -> dict[str, Any]:
    """Write a changed copy of the user (objects may be shared with a snapshot dict: never edit in place)."""
    store = tenant_of(request).store
    now = format_time(tenant_of(request).clock.now())
    changed = dict(user)
    if status is not None and user.get("status") != status:
        changed["status"] = status
        changed["statusChanged"] = now
        _relink(store, changed)
    changed["lastUpdated"] = now
    store.add_user(changed)
    return changed


@routes.post("/api/v1/users/{id}/lifecycle/suspend")
@scope("okta.users.manage")
async def suspend(request: web.Request) -> web.StreamResponse:
    return _transition(request, "ACTIVE", "SUSPENDED", "user.lifecycle.suspend")


@routes.post("/api/v1/users/{id}/lifecycle/unsuspend")
@scope("okta.users.manage")
async def unsuspend(request: web.Request) -> web.StreamResponse:
    return _transition(request, "SUSPENDED", "ACTIVE", "user.lifecycle.unsuspend")


def _transition(request: web.Request, required: str, status: str, event: str) -> web.Response:
    """A lifecycle call allowed from one status only (else 403 E0000038), logged as Okta logs it."""
    user = user_or_404(request)
    if user.get("status") != required:
        raise status_error()
    _touch(request, user, status)
    syslog.record(request, event, [syslog.user_target(user)])
    return json_response(request, {})


@routes.post("/api/v1/users/{id}/lifecycle/deactivate")
@scope("okta.users.manage")
async def deactivate(request: web.Request) -> web.StreamResponse:
    """Any status but DEPROVISIONED (spec: deactivateUser); a real 2025 recording answers 200 `{}`."""
    user = user_or_404(request)
    if user.get("status") == "DEPROVISIONED":
        raise status_error()
    _touch(request, user, "DEPROVISIONED")
    syslog.record(request, "user.lifecycle.deactivate", [syslog.user_target(user)])
    return json_response(request, {})


@routes.post("/api/v1/users/{id}/lifecycle/activate")
@scope("okta.users.manage")
async def activate(request: web.Request) -> web.StreamResponse:
    """STAGED or DEPROVISIONED only (spec: activateUser). A user with a password becomes ACTIVE, one
    without stays PROVISIONED until the welcome flow; `sendEmail=false` returns the activation link
    (recorded: `{"activationUrl", "activationToken"}`)."""
    user = user_or_404(request)
    if user.get("status") not in ("STAGED", "DEPROVISIONED"):
        raise status_error()
    has_password = "password" in (user.get("credentials") or {})
    changed = _touch(request, user, "ACTIVE" if has_password else "PROVISIONED")
    if changed["status"] == "ACTIVE":
        changed["activated"] = changed["statusChanged"]
    syslog.record(request, "user.lifecycle.activate", [syslog.user_target(user)])
    if request.query.get("sendEmail", "true").lower() != "false":
        return json_response(request, {})
    token = secrets.token_urlsafe(15)
    return json_response(request, {"activationUrl": f"{tenant_of(request).store.org_url}/welcome/{token}",
                                   "activationToken": token})


@routes.post("/api/v1/users/{id}/lifecycle/unlock")
@scope("okta.users.manage")
async def unlock(request: web.Request) -> web.StreamResponse:
    """LOCKED_OUT -> ACTIVE; otherwise the recorded 403 E0000032 "Unlock is not allowed for this user."."""
    user = user_or_404(request)
    if user.get("status") != "LOCKED_OUT":
        raise OktaHTTPError(403, "E0000032", "Unlock is not allowed for this user.", ["The user is not locked out."])
    _touch(request, user, "ACTIVE")
    syslog.record(request, "user.account.unlock_by_admin", [syslog.user_target(user)])
    return json_response(request, {})


_PASSWORD_STATUSES = frozenset({"ACTIVE", "PASSWORD_EXPIRED", "RECOVERY", "LOCKED_OUT"})


@routes.post("/api/v1/users/{id}/lifecycle/expire_password")
@scope("okta.users.manage")
async def expire_password(request: web.Request) -> web.StreamResponse:
    user = user_or_404(request)
    if user.get("status") not in _PASSWORD_STATUSES:
        raise status_error()
    user = _touch(request, user, "PASSWORD_EXPIRED")
    syslog.record(request, "user.account.expire_password", [syslog.user_target(user)])
    return json_response(request, user)


@routes.post("/api/v1/users/{id}/lifecycle/reset_password")
@scope("okta.users.manage")
async def reset_password(request: web.Request) -> web.StreamResponse:
    user = user_or_404(request)
    if user.get("status") not in _PASSWORD_STATUSES | {"PROVISIONED"}:
        raise status_error()
    send_email = request.query.get("sendEmail", "true").lower() != "false"
    _touch(request, user, "RECOVERY")
    syslog.record(request, "user.account.reset_password", [syslog.user_target(user)])
    if send_email:
        return json_response(request, {})
    link = f"{tenant_of(request).store.org_url}/reset_password/{secrets.token_urlsafe(15)}"
    return json_response(request, {"resetPasswordUrl": link})


@routes.post("/api/v1/users/{id}/lifecycle/reset_factors")
@scope("okta.users.manage")
async def reset_factors(request: web.Request) -> web.StreamResponse:
    user = user_or_404(request)
    if user.get("status") in ("DEPROVISIONED", "STAGED"):
        raise status_error()
    store = tenant_of(request).store
    if user["id"] in store.factors:
        store.factors[user["id"]] = []
    _touch(request, user)
    syslog.record(request, "user.mfa.factor.reset_all", [syslog.user_target(user)])
    return json_response(request, {})


@routes.delete("/api/v1/users/{id}/sessions")
@scope("okta.users.manage")
async def clear_sessions(request: web.Request) -> web.StreamResponse:
    user = user_or_404(request)
    oauth_tokens = request.query.get("oauthTokens", "false").lower() == "true"
    forget_devices = request.query.get("forgetDevices", "true").lower() != "false"  # spec: default true
    syslog.record(request, "user.session.clear", [syslog.user_target(user)],
                  {"revokeOauthTokens": str(oauth_tokens).lower(), "forgetDevices": str(forget_devices).lower()})
    return web.Response(status=204)


# ---- factors ---------------------------------------------------------------------------------------

@routes.get("/api/v1/users/{id}/factors")
@scope("okta.users.read")
async def list_factors(request: web.Request) -> web.StreamResponse:
    user = user_or_404(request)
    return json_response(request, tenant_of(request).store.factors.get(user["id"], []))


def _factor_or_404(request: web.Request, user: dict[str, Any]) -> dict[str, Any]:
    factors = tenant_of(request).store.factors.get(user["id"], [])
    return by_id(factors, request.match_info["factorId"], "UserFactor")


@routes.get("/api/v1/users/{id}/factors/{factorId}")
@scope("okta.users.read")
async def get_factor(request: web.Request) -> web.StreamResponse:
    user = user_or_404(request)
    return json_response(request, _factor_or_404(request, user))


@routes.delete("/api/v1/users/{id}/factors/{factorId}")
@scope("okta.users.manage")
async def unenroll_factor(request: web.Request) -> web.StreamResponse:
    user = user_or_404(request)
    factor = _factor_or_404(request, user)
    store = tenant_of(request).store
    store.factors[user["id"]] = [f for f in store.factors[user["id"]] if f.get("id") != factor.get("id")]
    syslog.record(request, "user.mfa.factor.deactivate", [syslog.user_target(user)],
                  {"factor": factor.get("factorType"), "factorId": factor.get("id")})
    return web.Response(status=204)


_ENROLLMENT_KINDS = {"sms": ("phone", "phone_number"), "call": ("phone", "phone_number"),
                     "push": ("app", "okta_verify"), "token:software:totp": ("app", "okta_verify"),
                     "webauthn": ("security_key", "webauthn"), "email": ("email", "okta_email"),
                     "question": ("security_question", "security_question"), "token:hotp": ("app", "custom_otp")}


@routes.get("/api/v1/users/{id}/authenticator-enrollments")
@scope("okta.users.read")
async def list_enrollments(request: web.Request) -> web.StreamResponse:
    """Derived from the user's factors: the same enrollments seen through the authenticator model."""
    user = user_or_404(request)
    out = []
    for factor in tenant_of(request).store.factors.get(user["id"], []):
        kind, key = _ENROLLMENT_KINDS.get(factor.get("factorType", ""), ("app", "custom_app"))
        out.append({"id": factor.get("id"), "type": kind, "key": key, "status": factor.get("status"),
                    "name": factor.get("vendorName") or factor.get("provider"),
                    "created": factor.get("created"), "lastUpdated": factor.get("lastUpdated"),
                    "profile": factor.get("profile") or {}, "_links": {}})
    return json_response(request, out)


@routes.get("/api/v1/users/{id}/groups")
@scope("okta.users.read")
async def list_user_groups(request: web.Request) -> web.StreamResponse:
    user = user_or_404(request)
    store = tenant_of(request).store
    groups = [store.groups[g] for g in store.user_groups.get(user["id"], []) if g in store.groups]
    return json_response(request, groups, self_link=True)

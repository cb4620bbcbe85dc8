"""The tenant snapshot format (contract.md) to and from the sandbox store.

Loading keeps every object as given and remembers which keys were present, so that
snapshot -> serve -> snapshot with no writes gives an equal document (only `taken_at` moves).

Copy-on-write, for 100,000 users and 1,000,000 events in seconds: the store takes the caller's
objects without copying and never edits an object or a loaded container in place; a write
replaces the object (and the list holding it). `dump` deep-copies everything except System Log
events, which are immutable once published and are shared (treat them as read-only).
"""

from __future__ import annotations

import gc
import pickle
import random
from typing import Any

from remediator.sandbox.eventlog import EventLog
from remediator.sandbox.rows import RowMap, raw_values
from remediator.sandbox.store import Store, new_id
from remediator.timeutil import format_time, utcnow

FORMAT = "remediator.tenant-snapshot/1"
_LIST_KEYS = ("support_cases", "users", "groups", "policies", "api_tokens", "idps", "apps", "oauth_clients",
              "network_zones", "authenticators", "log_streams", "logs")
_MAP_KEYS = ("group_members", "user_roles", "group_roles", "factors", "policy_rules", "settings")
_HEADER_KEYS = ("format", "taken_at", "org_url", "operator", "okta_support")
FREEZE_ABOVE = 20_000
OKTA_SUPPORT_APIS = ("current", "2021")
KNOWN = frozenset(_LIST_KEYS + _MAP_KEYS + _HEADER_KEYS)


class SnapshotError(ValueError):
    """The document is not a tenant snapshot the sandbox can serve."""


def load(data: dict[str, Any], *, copy_data: bool = False) -> Store:
    """Build a store from a snapshot dict; the dict is not modified (see copy-on-write above)."""
    # Building indexes over millions of objects triggers the cyclic GC again and again for nothing,
    # and afterwards every full collection would walk the whole tenant: freeze it out of the GC's sight
    # (the objects are long-lived and acyclic; writes replace them, the old ones are freed by refcount).
    paused = gc.isenabled()
    gc.disable()
    try:
        store = _load(data, copy_data)
        if len(store.users) + len(store.logs) > FREEZE_ABOVE:  # small tenants: not worth pinning the heap
            gc.freeze()
        return store
    finally:
        if paused:
            gc.enable()


def _load(data: dict[str, Any], copy_data: bool) -> Store:
    if not isinstance(data, dict):
        raise SnapshotError("a snapshot is a JSON object")
    fmt = data.get("format", FORMAT)
    if fmt != FORMAT:
        raise SnapshotError(f"unknown snapshot format {fmt!r} (expected {FORMAT!r})")
    if copy_data:
        data = _clone(data)
    store = Store()
    store.present = set(data)
    store.extra = _clone({k: v for k, v in data.items() if k not in KNOWN})
    store.header = {k: data[k] for k in ("format", "taken_at") if k in data}
    store.org_url = (data.get("org_url") or "").rstrip("/")
    org: dict[str, Any] = data["org"] if isinstance(data.get("org"), dict) else {}
    store.org_id = org.get("id") or new_id("00o", random.Random(store.org_url))
    store.okta_support = dict(data.get("okta_support") or {"support": "DISABLED", "expiration": None})
    store.okta_support_api = org.get("okta_support_api") or "current"
    if store.okta_support_api not in OKTA_SUPPORT_APIS:
        raise SnapshotError(f"org.okta_support_api must be one of {', '.join(OKTA_SUPPORT_APIS)}: "
                            f"{store.okta_support_api!r}")
    store.support_cases = list(data.get("support_cases") or [])
    users = {}
    for user in raw_values(data.get("users") or []):  # compact rows (a generated tenant's) stay rows
        uid = user.get("id") if isinstance(user, dict) else getattr(user, "id", None)
        if not isinstance(uid, str):
            raise SnapshotError(f"a user without an id: {str(user)[:80]}")
        users[uid] = user
    store.users = RowMap(users)
    store.reindex_users()
    store.groups = {g["id"]: g for g in data.get("groups") or []}
    store.group_members = dict(data.get("group_members") or {})
    store.reindex_groups()
    store.user_roles = dict(data.get("user_roles") or {})
    store.group_roles = dict(data.get("group_roles") or {})
    store.factors = RowMap(data.get("factors") or {})
    store.policies = list(data.get("policies") or [])
    store.policy_rules = dict(data.get("policy_rules") or {})
    store.api_tokens = list(data.get("api_tokens") or [])
    store.idps = list(data.get("idps") or [])
    store.apps = list(data.get("apps") or [])
    store.oauth_clients = list(data.get("oauth_clients") or [])
    store.network_zones = list(data.get("network_zones") or [])
    store.authenticators = list(data.get("authenticators") or [])
    store.log_streams = list(data.get("log_streams") or [])
    store.settings = dict(data.get("settings") or {})
    store.logs = EventLog(data.get("logs") or [])
    store.reindex_logs()
    operator = data.get("operator")
    if not isinstance(operator, str) or operator not in store.users:
        raise SnapshotError(f"the snapshot's operator {operator!r} is not one of its users")
    store.operator = operator
    return store


def dump(store: Store, *, taken_at: str | None = None) -> dict[str, Any]:
    """The store as a snapshot document (deep copies, safe to keep and mutate)."""
    out: dict[str, Any] = {"format": store.header.get("format", FORMAT),
                           "taken_at": taken_at or format_time(utcnow()),
                           "org_url": store.org_url, "operator": store.operator,
                           "okta_support": store.okta_support}
    values: dict[str, Any] = {
        "support_cases": store.support_cases, "users": list(store.users.values()),
        "groups": list(store.groups.values()), "group_members": store.group_members,
        "user_roles": store.user_roles, "group_roles": store.group_roles, "factors": store.factors,
        "policies": store.policies, "policy_rules": store.policy_rules, "api_tokens": store.api_tokens,
        "idps": store.idps, "apps": store.apps, "oauth_clients": store.oauth_clients,
        "network_zones": store.network_zones, "authenticators": store.authenticators, "log_streams": store.log_streams,
        "settings": store.settings, "logs": store.logs,
    }
    for key, value in values.items():
        if value or key in store.present:
            out[key] = value
    if "okta_support" not in store.present and store.okta_support == {"support": "DISABLED", "expiration": None}:
        del out["okta_support"]
    out.update(store.extra)
    logs = out.pop("logs", None)
    out = _clone(out)
    if logs is not None:
        out["logs"] = list(logs)
    return out


def _clone(value: Any) -> Any:
    """A deep copy of JSON-like data, several times faster than copy.deepcopy."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        if paused:
            gc.enable()


def minimal(org_url: str = "https://sandbox.okta.com", clock: str | None = None) -> dict[str, Any]:
    """A tenant with one active super admin (the operator), for `Sandbox()` without a snapshot."""
    when = clock or format_time(utcnow())
    uid = "00u1sandboxOperator0"
    user = {
        "id": uid, "status": "ACTIVE", "created": when, "activated": when, "statusChanged": when,
        "lastLogin": None, "lastUpdated": when, "passwordChanged": when, "type": {"id": "oty1sandboxUserType0"},
        "profile": {"firstName": "Sandbox", "lastName": "Operator", "mobilePhone": None, "secondEmail": None,
                    "login": "operator@sandbox.example", "email": "operator@sandbox.example"},
        "credentials": {"password": {}, "provider": {"type": "OKTA", "name": "OKTA"}},
        "_links": {"self": {"href": f"{org_url}/api/v1/users/{uid}"}},
    }
    role = {"id": "ra1sandboxSuperAdmin", "label": "Super Administrator", "type": "SUPER_ADMIN", "status": "ACTIVE",
            "created": when, "lastUpdated": when, "assignmentType": "USER",
            "_links": {"assignee": {"href": f"{org_url}/api/v1/users/{uid}"}}}
    return {"format": FORMAT, "taken_at": when, "org_url": org_url, "operator": uid,
            "okta_support": {"support": "DISABLED", "expiration": None},
            "users": [user], "user_roles": {uid: [role]}}

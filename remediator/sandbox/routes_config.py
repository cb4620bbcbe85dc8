"""Org configuration: network zones, ThreatInsight, authenticators, log streams and the org's singletons.

Shapes and rules, from ../shared/okta-reference:
- zones (`okta-sdk-python` cassettes `test_network_zone_it/*`, spec `NetworkZone`): whole-second times,
  `_links` with `deactivate` or `activate` by status; POST creates (IP needs gateways or proxies,
  DYNAMIC_V2 one of asns, locations, ipServiceCategories), PUT replaces keeping the type; deleting a
  zone that is ACTIVE or used by a policy is refused (spec `deleteNetworkZone` notes);
- ThreatInsight (`test_threat_insight_it/*`): `created`/`lastUpdated` as `YYYY-MM-DD hh:mm:ss`, POST updates;
- authenticators (`test_authenticators_it/*`): lifecycle activate/deactivate answer the authenticator;
  deactivating one that an enrollment policy still enables is 403 E0000148 (error-codes.json);
- log streams (`test_log_stream_it/*`): a 404 names `(AppInstance)`; lifecycle answers 200;
- singletons (`settings`, keyed by the path that reads them): `user-lockout-settings` is recorded
  (`test_attack_protection_it`), the Admin Console settings, `autoAssignAdminAppSetting` and
  `clientPrivilegesSetting` come from the spec (their operations, schemas and defaults).

Events are Okta's catalog names (event-types.json): `zone.*`, `security.threat.configuration.update`,
`security.authenticator.lifecycle.*`, `system.log_stream.lifecycle.*`,
`security.attack_protection.settings.update`. The catalog names none for the Admin Console session,
auto-assign or client-privileges settings, so those writes record nothing.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from remediator.sandbox import scim, syslog
from remediator.sandbox.store import Store, new_id
from remediator.sandbox.wire import (
    OktaHTTPError,
    by_id,
    id_cursor_page,
    int_param,
    json_response,
    not_found,
    read_json,
    scope,
    tenant_of,
    validation_error,
)
from remediator.timeutil import format_time

routes = web.RouteTableDef()

THREATS = "/api/v1/threats/configuration"
ADMIN_CONSOLE = "/api/v1/first-party-app-settings/admin-console"
AUTO_ASSIGN = "/api/v1/org/settings/autoAssignAdminAppSetting"
CLIENT_PRIVILEGES = "/api/v1/org/settings/clientPrivilegesSetting"
LOCKOUT = "/attack-protection/api/v1/user-lockout-settings"
#: What each singleton reads as when the snapshot does not hold it (the spec's defaults and examples).
DEFAULTS: dict[str, dict[str, Any]] = {
    THREATS: {"action": "none", "excludeZones": []},
    ADMIN_CONSOLE: {"sessionIdleTimeoutMinutes": 15, "sessionMaxLifetimeMinutes": 720},
    AUTO_ASSIGN: {"autoAssignAdminAppSetting": True},
    CLIENT_PRIVILEGES: {"clientPrivilegesSetting": True},
    LOCKOUT: {"preventBruteForceLockoutFromUnknownDevices": False},
}
ZONE_TYPES = frozenset({"IP", "DYNAMIC", "DYNAMIC_V2"})
ZONE_USAGES = frozenset({"POLICY", "BLOCKLIST"})
THREAT_ACTIONS = frozenset({"none", "audit", "block"})
LOG_STREAM_TYPES = frozenset({"aws_eventbridge", "splunk_cloud_logstreaming"})
ALLOW_RW = {"allow": ["GET", "PUT", "DELETE"]}


def _now(request: web.Request) -> str:
    """Okta writes these objects' times in whole seconds (`…:10.000Z`)."""
    return format_time(tenant_of(request).clock.now().replace(microsecond=0))


def setting(store: Store, path: str) -> dict[str, Any]:
    """A singleton as stored, or Okta's default for it."""
    return dict(store.settings.get(path) or DEFAULTS[path])


def _body_object(body: Any, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise validation_error(what, f"{what}: The request body must be a JSON object.")
    return body


# ---- network zones ---------------------------------------------------------------------------------

def _zone_links(store: Store, zone: dict[str, Any]) -> dict[str, Any]:
    base = f"{store.org_url}/api/v1/zones/{zone['id']}"
    action = "deactivate" if zone.get("status") == "ACTIVE" else "activate"
    return {"self": {"href": base, "hints": ALLOW_RW},
            action: {"href": f"{base}/lifecycle/{action}", "hints": {"allow": ["POST"]}}}


def _zone_or_404(request: web.Request) -> dict[str, Any]:
    return by_id(tenant_of(request).store.network_zones, request.match_info["zoneId"], "NetworkZone")


def _zone_target(zone: dict[str, Any]) -> dict[str, Any]:
    return syslog.named_target(zone["id"], "NetworkZone", zone.get("name"))


def _replace_zone(request: web.Request, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
    store = tenant_of(request).store
    new["_links"] = _zone_links(store, new)
    if old is None:
        store.network_zones = [*store.network_zones, new]
    else:
        store.network_zones = [new if z is old else z for z in store.network_zones]


def zones_in_use(store: Store) -> dict[str, list[str]]:
    """Zone id -> the policies and rules (by name) whose network conditions name it."""
    used: dict[str, list[str]] = {}
    owners = [(p, p.get("name")) for p in store.policies]
    owners += [(r, f"{p.get('name')} / {r.get('name')}") for p in store.policies
               for r in store.policy_rules.get(p["id"], [])]
    for obj, label in owners:
        network = ((obj.get("conditions") or {}).get("network")) or {}
        for zone_id in [*(network.get("include") or []), *(network.get("exclude") or [])]:
            used.setdefault(str(zone_id), []).append(str(label))
    return used


def _check_zone(request: web.Request, body: dict[str, Any], old: dict[str, Any] | None) -> None:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise validation_error("name", "name: The field cannot be left blank.")
    if len(name) > 128:
        raise validation_error("name", "name: The field must be at most 128 characters.")
    kind = body.get("type")
    if kind not in ZONE_TYPES:
        raise validation_error("type", f"type: Invalid network zone type {kind!r}.")
    if old is not None and kind != old.get("type"):
        raise validation_error("type", "type: The type of a network zone cannot be changed.")
    if body.get("usage", "POLICY") not in ZONE_USAGES:
        raise validation_error("usage", f"usage: Invalid usage {body.get('usage')!r}.")
    if body.get("status", "ACTIVE") not in ("ACTIVE", "INACTIVE"):
        raise validation_error("status", f"status: Invalid status {body.get('status')!r}.")
    others = [z for z in tenant_of(request).store.network_zones if z is not old]
    if any(str(z.get("name", "")).casefold() == name.casefold() for z in others):
        raise validation_error("name", f"name: A network zone named {name!r} already exists.")
    if kind == "IP" and not (body.get("gateways") or body.get("proxies")):
        raise validation_error("gateways", "gateways: An IP zone needs gateways or proxies.")
    if kind == "DYNAMIC_V2" and not any(_has_values(body.get(k)) for k in ("asns", "locations",
                                                                           "ipServiceCategories")):
        raise validation_error("ipServiceCategories",
                               "An enhanced dynamic zone needs asns, locations or ipServiceCategories.")
    for key in ("gateways", "proxies"):
        for address in body.get(key) or []:
            if not isinstance(address, dict) or address.get("type") not in ("CIDR", "RANGE") \
                    or not isinstance(address.get("value"), str):
                raise validation_error(key, f"{key}: each address is {{type: CIDR|RANGE, value}}.")


def _has_values(value: Any) -> bool:
    if isinstance(value, dict):
        return any(value.get(k) for k in ("include", "exclude"))
    return bool(value)


@routes.get("/api/v1/zones")
@scope("okta.networkZones.read")
async def list_zones(request: web.Request) -> web.StreamResponse:
    found = tenant_of(request).store.network_zones
    text = request.query.get("filter")
    if text:
        try:
            node = scim.parse(text)
        except scim.FilterError as err:
            raise OktaHTTPError(400, "E0000031", "Invalid search criteria.", [f"filter: {err}"]) from None
        if any(c.path[0] not in ("id", "usage", "system") for c in scim.walk(node)):
            raise OktaHTTPError(400, "E0000031", "Invalid search criteria.",
                                ["filter: only id, usage and system can be filtered on."])
        match = scim.compile_filter(node)
        found = [z for z in found if match(z)]
    return id_cursor_page(request, found, int_param(request, "limit", 1000, 1000))


@routes.get("/api/v1/zones/{zoneId}")
@scope("okta.networkZones.read")
async def get_zone(request: web.Request) -> web.StreamResponse:
    return json_response(request, _zone_or_404(request))


@routes.post("/api/v1/zones")
@scope("okta.networkZones.manage")
async def create_zone(request: web.Request) -> web.StreamResponse:
    body = _body_object(await read_json(request), "zone")
    _check_zone(request, body, None)
    now = _now(request)
    zone = {"type": body["type"], "id": new_id("nzo"), "name": body["name"], "status": body.get("status", "ACTIVE"),
            "usage": body.get("usage", "POLICY"), "created": now, "lastUpdated": now, "system": False}
    if body["type"] == "IP":
        zone.update(gateways=body.get("gateways") or None, proxies=body.get("proxies") or None)
    else:
        for key in ("locations", "asns", "ipServiceCategories", "proxyType"):
            if key in body:
                zone[key] = body[key]
    _replace_zone(request, None, zone)
    syslog.record(request, "zone.create", [_zone_target(zone)])
    return json_response(request, zone)


@routes.put("/api/v1/zones/{zoneId}")
@scope("okta.networkZones.manage")
async def replace_zone(request: web.Request) -> web.StreamResponse:
    old = _zone_or_404(request)
    body = _body_object(await read_json(request), "zone")
    _check_zone(request, {**body, "type": body.get("type", old.get("type"))}, old)
    new = {k: v for k, v in body.items() if k not in ("_links",)}
    for key in ("id", "type", "created", "system"):
        if key in old:
            new[key] = old[key]
    new.setdefault("status", old.get("status"))
    new.setdefault("usage", old.get("usage", "POLICY"))
    new["lastUpdated"] = _now(request)
    _replace_zone(request, old, new)
    syslog.record(request, "zone.update", [_zone_target(new)])
    return json_response(request, new)


async def _zone_status(request: web.Request, status: str, event: str) -> web.StreamResponse:
    old = _zone_or_404(request)
    new = {**old, "status": status, "lastUpdated": _now(request)}
    _replace_zone(request, old, new)
    syslog.record(request, event, [_zone_target(new)])
    return json_response(request, new)


@routes.post("/api/v1/zones/{zoneId}/lifecycle/activate")
@scope("okta.networkZones.manage")
async def activate_zone(request: web.Request) -> web.StreamResponse:
    return await _zone_status(request, "ACTIVE", "zone.activate")


@routes.post("/api/v1/zones/{zoneId}/lifecycle/deactivate")
@scope("okta.networkZones.manage")
async def deactivate_zone(request: web.Request) -> web.StreamResponse:
    return await _zone_status(request, "INACTIVE", "zone.deactivate")


@routes.delete("/api/v1/zones/{zoneId}")
@scope("okta.networkZones.manage")
async def delete_zone(request: web.Request) -> web.StreamResponse:
    zone = _zone_or_404(request)
    store = tenant_of(request).store
    if zone.get("status") == "ACTIVE":
        raise validation_error("status", "status: An ACTIVE network zone cannot be deleted; deactivate it first.")
    users = zones_in_use(store).get(zone["id"])
    if users:
        raise validation_error("id", f"The network zone is used by: {', '.join(users)}.")
    store.network_zones = [z for z in store.network_zones if z is not zone]
    syslog.record(request, "zone.delete", [_zone_target(zone)])
    return web.Response(status=204)


# ---- ThreatInsight ---------------------------------------------------------------------------------

def _threat_time(request: web.Request) -> str:
    """Real ThreatInsight answers write times as `2021-06-14 14:58:03` (test_threat_insight_it)."""
    return tenant_of(request).clock.now().strftime("%Y-%m-%d %H:%M:%S")


def _threats_view(request: web.Request) -> dict[str, Any]:
    store = tenant_of(request).store
    view = setting(store, THREATS)
    view.setdefault("excludeZones", [])
    if "created" not in view:  # Okta's default configuration dates from the org's creation
        since = str((store.users.get(store.operator) or {}).get("created") or "")
        view["created"] = view["lastUpdated"] = since[:19].replace("T", " ") or None
    view["_links"] = {"self": {"href": f"{store.org_url}{THREATS}", "hints": {"allow": ["GET", "POST"]}}}
    return view


@routes.get(THREATS)
@scope("okta.threatInsights.read")
async def get_threats(request: web.Request) -> web.StreamResponse:
    return json_response(request, _threats_view(request))


@routes.post(THREATS)
@scope("okta.threatInsights.manage")
async def update_threats(request: web.Request) -> web.StreamResponse:
    body = _body_object(await read_json(request), "configuration")
    if body.get("action") not in THREAT_ACTIONS:
        raise validation_error("action", f"action: must be none, audit or block, got {body.get('action')!r}.")
    zones = body.get("excludeZones") or []
    known = {z["id"] for z in tenant_of(request).store.network_zones}
    unknown = [z for z in zones if z not in known]
    if not isinstance(zones, list) or unknown:
        raise validation_error("excludeZones", f"excludeZones: not network zone ids: {unknown}.")
    store = tenant_of(request).store
    current = setting(store, THREATS)
    now = _threat_time(request)
    store.settings = {**store.settings, THREATS: {**current, "action": body["action"], "excludeZones": list(zones),
                                                  "created": current.get("created") or now, "lastUpdated": now}}
    syslog.record(request, "security.threat.configuration.update",
                  [syslog.named_target(store.org_id, "ThreatInsightConfiguration", "ThreatInsight")],
                  {"action": body["action"]})
    return json_response(request, _threats_view(request))


# ---- authenticators --------------------------------------------------------------------------------

def _authenticator_or_404(request: web.Request) -> dict[str, Any]:
    return by_id(tenant_of(request).store.authenticators, request.match_info["authenticatorId"], "Authenticator")


def enrolled_by(store: Store, key: str) -> list[str]:
    """Names of the ACTIVE enrollment policies that still let users enroll the authenticator `key`."""
    names = []
    for policy in store.policies:
        if policy.get("type") != "MFA_ENROLL" or policy.get("status", "ACTIVE") != "ACTIVE":
            continue
        for item in (policy.get("settings") or {}).get("authenticators") or []:
            if item.get("key") == key and (item.get("enroll") or {}).get("self") in ("OPTIONAL", "REQUIRED"):
                names.append(str(policy.get("name")))
    return names


def _authenticator_links(store: Store, auth: dict[str, Any]) -> dict[str, Any]:
    links = dict(auth.get("_links") or {})
    base = f"{store.org_url}/api/v1/authenticators/{auth['id']}"
    links.pop("activate", None)
    links.pop("deactivate", None)
    action = "deactivate" if auth.get("status") == "ACTIVE" else "activate"
    links[action] = {"href": f"{base}/lifecycle/{action}", "hints": {"allow": ["POST"]}}
    return links


@routes.get("/api/v1/authenticators")
@scope("okta.authenticators.read")
async def list_authenticators(request: web.Request) -> web.StreamResponse:
    return json_response(request, tenant_of(request).store.authenticators)


@routes.get("/api/v1/authenticators/{authenticatorId}")
@scope("okta.authenticators.read")
async def get_authenticator(request: web.Request) -> web.StreamResponse:
    return json_response(request, _authenticator_or_404(request))


async def _authenticator_status(request: web.Request, status: str) -> web.StreamResponse:
    old = _authenticator_or_404(request)
    store = tenant_of(request).store
    if status == "INACTIVE":
        policies = enrolled_by(store, str(old.get("key")))
        if policies:
            raise OktaHTTPError(403, "E0000148", "Cannot modify/disable this authenticator because it is enabled "
                                f"in one or more policies. {', '.join(policies)}")
    new = {**old, "status": status, "lastUpdated": _now(request)}
    new["_links"] = _authenticator_links(store, new)
    store.authenticators = [new if a is old else a for a in store.authenticators]
    event = "security.authenticator.lifecycle." + ("activate" if status == "ACTIVE" else "deactivate")
    syslog.record(request, event, [syslog.named_target(new["id"], "Authenticator", new.get("name"),
                                                       alternate=str(new.get("key")))])
    return json_response(request, new)


@routes.post("/api/v1/authenticators/{authenticatorId}/lifecycle/activate")
@scope("okta.authenticators.manage")
async def activate_authenticator(request: web.Request) -> web.StreamResponse:
    return await _authenticator_status(request, "ACTIVE")


@routes.post("/api/v1/authenticators/{authenticatorId}/lifecycle/deactivate")
@scope("okta.authenticators.manage")
async def deactivate_authenticator(request: web.Request) -> web.StreamResponse:
    return await _authenticator_status(request, "INACTIVE")


# ---- log streams -----------------------------------------------------------------------------------

def _stream_or_404(request: web.Request) -> dict[str, Any]:
    stream_id = request.match_info["logStreamId"]
    for stream in tenant_of(request).store.log_streams:
        if stream.get("id") == stream_id:
            return stream
    raise not_found(stream_id, "AppInstance")  # as the recordings name it (test_log_stream_error_handling)


def _stream_links(store: Store, stream: dict[str, Any]) -> dict[str, Any]:
    base = f"{store.org_url}/api/v1/logStreams/{stream['id']}"
    action = "deactivate" if stream.get("status") == "ACTIVE" else "activate"
    return {"self": {"href": base, "method": "GET"},
            action: {"href": f"{base}/lifecycle/{action}", "method": "POST"}}


def _stream_target(stream: dict[str, Any]) -> dict[str, Any]:
    return syslog.named_target(stream["id"], "LogStream", stream.get("name"), {"type": stream.get("type")})


@routes.get("/api/v1/logStreams")
@scope("okta.logStreams.read")
async def list_log_streams(request: web.Request) -> web.StreamResponse:
    found = tenant_of(request).store.log_streams
    return id_cursor_page(request, found, int_param(request, "limit", 20, 200))


@routes.get("/api/v1/logStreams/{logStreamId}")
@scope("okta.logStreams.read")
async def get_log_stream(request: web.Request) -> web.StreamResponse:
    return json_response(request, _stream_or_404(request))


@routes.post("/api/v1/logStreams")
@scope("okta.logStreams.manage")
async def create_log_stream(request: web.Request) -> web.StreamResponse:
    body = _body_object(await read_json(request), "logStream")
    if body.get("type") not in LOG_STREAM_TYPES:
        raise validation_error("type", f"type: must be one of {sorted(LOG_STREAM_TYPES)}.")
    if not isinstance(body.get("name"), str) or not body["name"].strip():
        raise validation_error("name", "name: The field cannot be left blank.")
    settings = body.get("settings")
    needed = ("accountId", "eventSourceName", "region") if body["type"] == "aws_eventbridge" else ("edition", "host",
                                                                                                   "token")
    missing = [k for k in needed if not isinstance(settings, dict) or not settings.get(k)]
    if missing or not isinstance(settings, dict):
        raise OktaHTTPError(400, "E0000176", "Failed to create LogStreaming event source. "
                            f"settings: missing {', '.join(missing)}.")
    store = tenant_of(request).store
    if any(s.get("name") == body["name"] for s in store.log_streams):
        raise validation_error("name", f"name: A log stream named {body['name']!r} already exists.")
    now = _now(request)
    shown = {k: v for k, v in settings.items() if k != "token"}  # Okta never returns the Splunk HEC token
    stream = {"id": new_id("0oa"), "type": body["type"], "name": body["name"], "lastUpdated": now, "created": now,
              "status": "ACTIVE", "settings": shown}
    stream["_links"] = _stream_links(store, stream)
    store.log_streams = [*store.log_streams, stream]
    syslog.record(request, "system.log_stream.lifecycle.create", [_stream_target(stream)])
    return json_response(request, stream)


async def _stream_status(request: web.Request, status: str) -> web.StreamResponse:
    old = _stream_or_404(request)
    store = tenant_of(request).store
    new = {**old, "status": status, "lastUpdated": _now(request)}
    new["_links"] = _stream_links(store, new)
    store.log_streams = [new if s is old else s for s in store.log_streams]
    event = "system.log_stream.lifecycle." + ("activate" if status == "ACTIVE" else "deactivate")
    syslog.record(request, event, [_stream_target(new)])
    return web.Response(status=200)  # an empty 200, as recorded (test_create_aws_log_stream)


@routes.post("/api/v1/logStreams/{logStreamId}/lifecycle/activate")
@scope("okta.logStreams.manage")
async def activate_log_stream(request: web.Request) -> web.StreamResponse:
    return await _stream_status(request, "ACTIVE")


@routes.post("/api/v1/logStreams/{logStreamId}/lifecycle/deactivate")
@scope("okta.logStreams.manage")
async def deactivate_log_stream(request: web.Request) -> web.StreamResponse:
    return await _stream_status(request, "INACTIVE")


# ---- org singletons --------------------------------------------------------------------------------

def _set(request: web.Request, path: str, value: dict[str, Any]) -> dict[str, Any]:
    store = tenant_of(request).store
    store.settings = {**store.settings, path: value}
    return value


def _boolean(body: dict[str, Any], key: str) -> bool:
    if not isinstance(body.get(key), bool):
        raise validation_error(key, f"{key}: must be true or false.")
    return bool(body[key])


@routes.get("/api/v1/first-party-app-settings/{appName}")
@scope("okta.apps.read")
async def get_first_party(request: web.Request) -> web.StreamResponse:
    if request.match_info["appName"] != "admin-console":
        raise not_found(request.match_info["appName"], "FirstPartyApp")
    return json_response(request, setting(tenant_of(request).store, ADMIN_CONSOLE))


@routes.put("/api/v1/first-party-app-settings/{appName}")
@scope("okta.apps.manage")
async def replace_first_party(request: web.Request) -> web.StreamResponse:
    if request.match_info["appName"] != "admin-console":
        raise not_found(request.match_info["appName"], "FirstPartyApp")
    body = _body_object(await read_json(request), "settings")
    value = setting(tenant_of(request).store, ADMIN_CONSOLE)
    for key, high in (("sessionIdleTimeoutMinutes", 720), ("sessionMaxLifetimeMinutes", 10080)):
        if key in body:
            minutes = body[key]
            if isinstance(minutes, bool) or not isinstance(minutes, int) or not 5 <= minutes <= high:
                raise validation_error(key, f"{key}: must be a whole number from 5 to {high}.")
            value[key] = minutes
    if value["sessionIdleTimeoutMinutes"] > value["sessionMaxLifetimeMinutes"]:
        raise validation_error("sessionIdleTimeoutMinutes",
                               "sessionIdleTimeoutMinutes: cannot be more than sessionMaxLifetimeMinutes.")
    return json_response(request, _set(request, ADMIN_CONSOLE, value))


@routes.get(AUTO_ASSIGN)
@scope("okta.orgs.read")
async def get_auto_assign(request: web.Request) -> web.StreamResponse:
    return json_response(request, setting(tenant_of(request).store, AUTO_ASSIGN))


@routes.post(AUTO_ASSIGN)
@scope("okta.orgs.manage")
async def update_auto_assign(request: web.Request) -> web.StreamResponse:
    body = _body_object(await read_json(request), "setting")
    value = {"autoAssignAdminAppSetting": _boolean(body, "autoAssignAdminAppSetting")}
    return json_response(request, _set(request, AUTO_ASSIGN, value))


@routes.get(CLIENT_PRIVILEGES)
@scope("okta.orgs.read")
async def get_client_privileges(request: web.Request) -> web.StreamResponse:
    return json_response(request, setting(tenant_of(request).store, CLIENT_PRIVILEGES))


@routes.put(CLIENT_PRIVILEGES)
@scope("okta.orgs.manage")
async def put_client_privileges(request: web.Request) -> web.StreamResponse:
    body = _body_object(await read_json(request), "setting")
    value = {"clientPrivilegesSetting": _boolean(body, "clientPrivilegesSetting")}
    return json_response(request, _set(request, CLIENT_PRIVILEGES, value))


@routes.get(LOCKOUT)
@scope("okta.orgs.read")
async def get_lockout(request: web.Request) -> web.StreamResponse:
    return json_response(request, setting(tenant_of(request).store, LOCKOUT))


@routes.put(LOCKOUT)
@scope("okta.orgs.manage")
async def put_lockout(request: web.Request) -> web.StreamResponse:
    body = _body_object(await read_json(request), "settings")
    key = "preventBruteForceLockoutFromUnknownDevices"
    value = _set(request, LOCKOUT, {key: _boolean(body, key)})
    store = tenant_of(request).store
    target = syslog.named_target(store.org_id, "UserLockoutSettings", "User lockout settings")
    syslog.record(request, "security.attack_protection.settings.update", [target], {key: value[key]})
    return json_response(request, value)

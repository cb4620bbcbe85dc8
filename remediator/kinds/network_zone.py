"""`okta.network_zone`: a network zone exists, by name, with the declared status and values.

A zone is found by its name (Okta keeps names unique, without regard to case). When it does not exist
and `type` is given, it is created (`POST /api/v1/zones`) with the declared values; without `type` that
is a finding, since Okta needs one. An existing zone whose declared values differ is replaced
(`PUT /api/v1/zones/{id}`, the type kept: Okta cannot change it), and its status is changed through its
lifecycle (`POST .../lifecycle/activate|deactivate`): one write per change.

A zone that policy rules name in their network conditions is never deactivated by automation: Okta
allows it, but every rule that uses it silently changes meaning ("when the user is in zone X" stops
matching), which may open or close access to everyone. That is a finding naming the rules.

Addresses are written as Okta's CIDR (`10.0.0.0/8`) or range (`1.2.3.4-1.2.3.9`) strings;
`ip_service_categories` (enhanced dynamic zones, `DYNAMIC_V2`) is the list of IP services to include,
e.g. `[ALL_ANONYMIZERS]` for the STIG's anonymizer block list (V-279692).
"""

from __future__ import annotations

import asyncio
from typing import Any

from remediator.errors import InputError, OktaApiError
from remediator.facts import POLICIES, RULES, ZONES
from remediator.facts import endpoints as ep
from remediator.kinds import lifecycle
from remediator.kinds.base import Applied, Kind, TenantContext, Verdict, register
from remediator.plan import Change, Finding, NoOp, Target

ZONE_FIELDS = ("id", "name", "type", "status", "usage", "system", "gateways", "proxies", "ipServiceCategories")
#: Policy types whose rules may name zones in `conditions.network`.
ZONE_POLICY_TYPES = ("OKTA_SIGN_ON", "ACCESS_POLICY", "PASSWORD", "MFA_ENROLL", "IDP_DISCOVERY")
ADDRESSES = {"type": "array", "items": {"type": "string", "pattern": r"^[0-9A-Fa-f:.]+(/\d{1,3}|-[0-9A-Fa-f:.]+)?$"},
             "description": "CIDR (10.0.0.0/8) or range (1.2.3.4-1.2.3.9) strings"}


def _address(value: str) -> dict[str, str]:
    return {"type": "RANGE" if "-" in value else "CIDR", "value": value}


def _values(addresses: Any) -> list[str] | None:
    if not addresses:
        return None
    return sorted(str(a.get("value")) for a in addresses if isinstance(a, dict))


def _target(name: str, zone: dict[str, Any] | None) -> Target:
    return Target(type="network_zone", id=str(zone["id"]) if zone else f"name:{name}", label=name)


@register
class NetworkZone(Kind):
    """A network zone exists, by name, with the declared status and values (created when `type` is given).

    Example::

        - name: Anonymizers are blocked
          okta.network_zone:
            name: Block anonymizers
            status: ACTIVE
            type: DYNAMIC_V2
            usage: BLOCKLIST
            ip_service_categories: [ALL_ANONYMIZERS]
    """

    name = "okta.network_zone"
    schema = {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 128},
            "status": {"enum": ["ACTIVE", "INACTIVE"], "default": "ACTIVE"},
            "type": {"enum": ["IP", "DYNAMIC_V2"], "description": "needed to create the zone"},
            "usage": {"enum": ["POLICY", "BLOCKLIST"]},
            "gateways": ADDRESSES,
            "proxies": ADDRESSES,
            "ip_service_categories": {"type": "array", "items": {"type": "string", "pattern": "^[A-Z0-9_]+$"},
                                      "minItems": 1, "description": "IP services to include (DYNAMIC_V2)"},
        },
        "additionalProperties": False,
    }
    facts = (ZONES, ep.ZONE, POLICIES, RULES)
    writes = (ep.CREATE_ZONE, ep.REPLACE_ZONE, ep.ACTIVATE_ZONE, ep.DEACTIVATE_ZONE)

    def _declared(self) -> dict[str, Any]:
        """The declared values in Okta's terms, compared as `_view` shows a zone."""
        a = self.args
        out: dict[str, Any] = {}
        if "usage" in a:
            out["usage"] = a["usage"]
        for arg in ("gateways", "proxies"):
            if arg in a:
                out[arg] = sorted(a[arg]) or None
        if "ip_service_categories" in a:
            out["ipServiceCategories"] = sorted(a["ip_service_categories"])
        return out

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        zones = [_view(z) for z in await ctx.reads.zones()]
        observed: dict[str, Any] = {"zones": zones}
        zone = _find(zones, self.args["name"])
        if zone and self.args.get("status", "ACTIVE") == "INACTIVE" and zone.get("status") == "ACTIVE":
            observed["used_by"] = await _rules_using(ctx, zone["id"])
        return observed

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        name, status = self.args["name"], self.args.get("status", "ACTIVE")
        zone = _find(observed.get("zones", []), name)
        if zone is None:
            return [self._create(name, status)]
        name = str(zone.get("name"))
        target = _target(name, zone)
        # it exists: nothing to create; its type, values and status are decided below
        out: list[Change | Finding | NoOp] = [
            self.no_op(f"network zone {zone.get('name')!r} exists ({zone.get('type')}, {zone.get('status')})", target)]
        if "type" in self.args and zone.get("type") != self.args["type"]:
            out.append(self.finding("medium", f"network zone {name!r} is {zone.get('type')}, not {self.args['type']}: "
                                    "Okta cannot change a zone's type; replace it by hand", target, {"zone": zone}))
        declared = self._declared()
        before = {k: zone.get(k) for k, v in declared.items() if zone.get(k) != v}
        if before:
            out.append(self.change("replace_zone", target, before, {k: declared[k] for k in before},
                                   f"network zone {name!r} differs from what is declared in "
                                   f"{', '.join(before)}."))
        if zone.get("status") != status:
            used = observed.get("used_by") or []
            if status == "INACTIVE" and used:
                out.append(self.finding("high", f"network zone {name!r} is used by {len(used)} policy rule(s): "
                                        "deactivating it would change what they mean; change them first",
                                        target, {"rules": used}))
            else:
                action = "activate" if status == "ACTIVE" else "deactivate"
                out.append(self.change(action, target, {"status": zone.get("status")}, {"status": status},
                                       f"network zone {name!r} is {zone.get('status')}; it must be {status}."))
        return out

    def _create(self, name: str, status: str) -> Change | Finding:
        if "type" not in self.args:
            return self.finding("medium", f"network zone {name!r} does not exist: give its `type` to create it",
                                _target(name, None), {})
        return self.change("create", _target(name, None), {"exists": False}, {"exists": True, "zone": self._body()},
                           f"network zone {name!r} does not exist; create it ({self.args['type']}, {status}).")

    # apply ------------------------------------------------------------------------------------
    def _body(self) -> dict[str, Any]:
        a = self.args
        body: dict[str, Any] = {"type": a["type"], "name": a["name"], "status": a.get("status", "ACTIVE")}
        if "usage" in a:
            body["usage"] = a["usage"]
        for arg in ("gateways", "proxies"):
            if a.get(arg):
                body[arg] = [_address(v) for v in a[arg]]
        if "ip_service_categories" in a:
            body["ipServiceCategories"] = {"include": list(a["ip_service_categories"]), "exclude": []}
        return body

    def verdict(self, change: Change, current: dict[str, Any]) -> Verdict:
        if change.action == "create":  # `after` also carries the zone to create, which no read returns as such
            return "done" if current.get("exists") else "pending"
        return super().verdict(change, current)

    async def current(self, ctx: TenantContext, change: Change) -> dict[str, Any]:
        if change.action == "create":
            return {"exists": await _exists(ctx, change.target.label or "")}
        view = _view((await ctx.reads.fresh(ep.ZONE, change.target.id)).body or {})
        return {k: view.get(k) for k in change.before}

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        if change.action == "create":
            return await self._post(ctx, change)
        zone_id = change.target.id
        if change.action in lifecycle.ACTIONS:
            write = ep.ACTIVATE_ZONE if change.action == "activate" else ep.DEACTIVATE_ZONE
            return await lifecycle.set_status(ctx, ep.ZONE, write, zone_id)
        if change.action != "replace_zone":
            raise InputError(f"{self.name}: the plan names an action this kind does not make: {change.action!r}")
        current = (await ctx.reads.fresh(ep.ZONE, zone_id)).body or {}
        body = {k: v for k, v in current.items() if k != "_links"}
        for key, value in change.after.items():
            if key in ("gateways", "proxies"):
                body[key] = [_address(v) for v in value] if value else None
            elif key == "ipServiceCategories":
                body[key] = {**(body.get(key) or {"exclude": []}), "include": list(value)}
            else:
                body[key] = value
        resp = await ep.REPLACE_ZONE.send(ctx.client, zone_id, json=body)
        return Applied(request_id=resp.request_id, detail={"changed": sorted(change.after)})

    async def _post(self, ctx: TenantContext, change: Change) -> Applied:
        name = change.target.label or ""

        async def created() -> Any:
            resp = await ctx.reads.fresh(ep.ZONES, params={"limit": 1000})
            return resp if _find([_view(z) for z in resp.body or []], name) else None

        resp = await ep.CREATE_ZONE.send(ctx.client, json=change.after["zone"], recheck=created)
        return Applied(request_id=resp.request_id, detail={"id": (resp.body or {}).get("id")})


def _view(zone: dict[str, Any]) -> dict[str, Any]:
    """A zone as the kind compares it: addresses as sorted strings, categories as the sorted include list."""
    view = {k: zone.get(k) for k in ZONE_FIELDS if k in zone}
    for key in ("gateways", "proxies"):
        if key in view:
            view[key] = _values(view[key])
    categories = view.get("ipServiceCategories")
    if isinstance(categories, dict):
        view["ipServiceCategories"] = sorted(categories.get("include") or [])
    return view


async def _exists(ctx: TenantContext, name: str) -> bool:
    zones = (await ctx.reads.fresh(ep.ZONES, params={"limit": 1000})).body or []
    return _find([_view(z) for z in zones], name) is not None


def _find(zones: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((z for z in zones if str(z.get("name", "")).casefold() == name.casefold()), None)


async def _rules_using(ctx: TenantContext, zone_id: str) -> list[str]:
    """`policy / rule` names of the rules whose network conditions include or exclude the zone."""
    policies = [p for t in ZONE_POLICY_TYPES for p in await _policies(ctx, t)]
    rules = await asyncio.gather(*(ctx.reads.rules(p["id"]) for p in policies))
    used = []
    for policy, rs in zip(policies, rules, strict=True):
        for rule in rs:
            network = (rule.get("conditions") or {}).get("network") or {}
            if zone_id in [*(network.get("include") or []), *(network.get("exclude") or [])]:
                used.append(f"{policy.get('name')} / {rule.get('name')}")
    return used


async def _policies(ctx: TenantContext, type_: str) -> list[dict[str, Any]]:
    try:
        return await ctx.reads.policies(type_)
    except OktaApiError as exc:
        if exc.status in (400, 403):  # a policy type this org's edition does not have
            return []
        raise

"""`okta.threat_insight`: ThreatInsight acts on requests from suspicious IPs as declared.

Okta scores every sign-in's IP; `action` says what it does with a suspicious one: `none` (off), `audit`
(a `security.threat.detected` event) or `block` (and refuse the request). `exempt_zones` names the network
zones whose IPs are never logged nor blocked (the org's own egress, a scanner); when given it is the exact
list, when left out the current exemptions stay. A zone named there that does not exist is a finding and
leaves the exemptions as they are: exempting a guess is worse than exempting nothing new.

One change, one write: `POST /api/v1/threats/configuration` with the whole configuration.
"""

from __future__ import annotations

from typing import Any

from remediator.errors import InputError
from remediator.facts import ZONES
from remediator.facts import endpoints as ep
from remediator.kinds.base import Applied, Kind, TenantContext, register
from remediator.plan import Change, Finding, NoOp, Target

TARGET = Target(type="threat_insight", id="org", label="ThreatInsight")


def _config(body: dict[str, Any]) -> dict[str, Any]:
    return {"action": body.get("action"), "excludeZones": sorted(body.get("excludeZones") or [])}


@register
class ThreatInsight(Kind):
    """ThreatInsight configured: what it does with suspicious IPs, and which zones it leaves alone.

    Example::

        - name: ThreatInsight blocks suspicious IPs
          okta.threat_insight:
            action: block
            exempt_zones: [Corporate egress]
    """

    name = "okta.threat_insight"
    schema = {
        "type": "object",
        "required": ["action"],
        "properties": {
            "action": {"enum": ["none", "audit", "block"],
                       "description": "none: off; audit: log suspicious requests; block: log and refuse them"},
            "exempt_zones": {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True,
                             "description": "names of the network zones ThreatInsight ignores (the exact list)"},
        },
        "additionalProperties": False,
    }
    facts = (ep.THREAT_INSIGHT, ZONES)
    writes = (ep.UPDATE_THREAT_INSIGHT,)

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        observed: dict[str, Any] = {"config": _config(await ctx.reads.setting(ep.THREAT_INSIGHT))}
        if "exempt_zones" in self.args:
            observed["zones"] = [{"id": z.get("id"), "name": z.get("name")} for z in await ctx.reads.zones()]
        return observed

    def _wanted_zones(self, observed: dict[str, Any]) -> tuple[list[str] | None, list[str]]:
        """The zone ids to exempt (None: leave as is) and the names that match no zone."""
        if "exempt_zones" not in self.args:
            return None, []
        by_name = {str(z.get("name", "")).casefold(): z["id"] for z in observed.get("zones", [])}
        missing = [n for n in self.args["exempt_zones"] if n.casefold() not in by_name]
        if missing:
            return None, missing
        return sorted(by_name[n.casefold()] for n in self.args["exempt_zones"]), []

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        config = observed["config"]
        zones, missing = self._wanted_zones(observed)
        out: list[Change | Finding | NoOp] = []
        for name in missing:
            known = [z.get("name") for z in observed.get("zones", [])]
            out.append(self.finding("high", f"ThreatInsight exempt zone {name!r} does not exist: exemptions left "
                                    "as they are", TARGET, {"zones": known}))
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        if config["action"] != self.args["action"]:
            before["action"], after["action"] = config["action"], self.args["action"]
        else:
            out.append(self.no_op(f"ThreatInsight action is already {config['action']!r}", TARGET))
        if zones is not None and config["excludeZones"] != zones:
            before["excludeZones"], after["excludeZones"] = config["excludeZones"], zones
        elif zones is not None:
            out.append(self.no_op(f"ThreatInsight already exempts exactly {len(zones)} zone(s)", TARGET))
        if after:
            why = []
            if "action" in after:
                why.append(f"its action is {config['action']!r}, not {self.args['action']!r}")
            if "excludeZones" in after:
                why.append(f"it exempts {len(config['excludeZones'])} zone(s) instead of "
                           f"{', '.join(self.args['exempt_zones']) or 'none'}")
            out.append(self.change("update_configuration", TARGET, before, after,
                                   f"ThreatInsight is not as declared: {'; '.join(why)}."))
        return out

    async def current(self, ctx: TenantContext, change: Change) -> dict[str, Any]:
        config = _config((await ctx.reads.fresh(ep.THREAT_INSIGHT)).body or {})
        return {k: config[k] for k in change.before}

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        if change.action != "update_configuration":
            raise InputError(f"{self.name}: the plan names an action this kind does not make: {change.action!r}")
        config = _config((await ctx.reads.fresh(ep.THREAT_INSIGHT)).body or {})
        body = {**config, **change.after}

        async def in_effect() -> Any:
            resp = await ctx.reads.fresh(ep.THREAT_INSIGHT)
            now = _config(resp.body or {})
            return resp if all(now[k] == v for k, v in change.after.items()) else None

        resp = await ep.UPDATE_THREAT_INSIGHT.send(ctx.client, json=body, recheck=in_effect)
        return Applied(request_id=resp.request_id, detail=_config(resp.body or {}))

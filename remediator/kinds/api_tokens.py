"""`okta.api_tokens`: no API token created after a date unless allowed.

An API token acts with its owner's admin rights until revoked, so one made by an attacker outlives every
password reset. Tokens created at or after `created_after` whose name or id is not in `allow` are revoked
(`DELETE /api/v1/api-tokens/{id}`) or, with `action: report`, reported (high). A token owned by the token
owner itself (the user remediator acts as) is never revoked automatically: it may be the very token this
run uses, and cutting it mid-run would leave the tenant half-remediated; it is a finding for a person.

With `network` (DISA STIG V1R2 OKTA-APP-003240 "Okta API tokens must be configured with Network Zones to
restrict authorization from known networks"), every token that is kept must be usable only from the
named zones: `{connection: ZONE, include: [zone names]}` (or `{connection: ANYWHERE}`). The zones are
read by name (`GET /api/v1/zones`), and a token whose network differs is updated with `PUT
/api/v1/api-tokens/{id}` (Okta's upsertApiToken; the body is the token's name, owner and network, as the
recordings show). The token owner's own tokens are reported instead: restricting the token this run
uses to zones it may not be calling from would cut the run off.
"""

from __future__ import annotations

from typing import Any

from remediator.errors import InputError, OktaApiError
from remediator.facts import API_TOKENS, ME, ZONES
from remediator.facts import endpoints as ep
from remediator.kinds.base import Applied, Kind, TenantContext, register
from remediator.kinds.common import DATE_TIME, at_or_after, login, okta_time
from remediator.plan import Change, Finding, NoOp, Target
from remediator.timeutil import parse_time

TOKEN_FIELDS = ("id", "name", "userId", "clientName", "created", "expiresAt", "lastUpdated", "network")
_NAMES = {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}
NETWORK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["connection"],
    "properties": {"connection": {"enum": ["ZONE", "ANYWHERE"]},
                   "include": {**_NAMES, "description": "names of the network zones the tokens may be used from"}},
    "if": {"properties": {"connection": {"const": "ZONE"}}},
    "then": {"required": ["include"]},
    "additionalProperties": False,
    "description": "where every kept token may be used from (STIG: restrict tokens to known zones)",
}


def network_of(token: dict[str, Any]) -> dict[str, Any]:
    """A token's network condition in one comparable shape (Okta omits empty lists)."""
    net = token.get("network") or {}
    return {"connection": net.get("connection") or "ANYWHERE", "include": sorted(net.get("include") or []),
            "exclude": sorted(net.get("exclude") or [])}


def _target(token: dict[str, Any]) -> Target:
    return Target(type="api_token", id=str(token["id"]), label=token.get("name"))


@register
class ApiTokens(Kind):
    """No API token created after `created_after` unless allowed (by name or id); revoke or report.

    Example::

        - name: No API token created since the breach
          okta.api_tokens:
            created_after: "2022-01-21T00:00:00Z"
            allow: [terraform-prod]
            action: revoke
        - name: API tokens usable only from the corporate network
          okta.api_tokens:
            network: {connection: ZONE, include: [Office egress]}
    """

    name = "okta.api_tokens"
    schema = {
        "type": "object",
        "anyOf": [{"required": ["created_after"]}, {"required": ["network"]}],
        "properties": {
            "created_after": {**DATE_TIME, "description": "tokens created at or after this are suspect"},
            "network": NETWORK_SCHEMA,
            "allow": {"type": "array", "items": {"type": "string", "minLength": 1}, "default": [],
                      "description": "token names or ids known to be legitimate"},
            "action": {"enum": ["revoke", "report"], "default": "revoke"},
        },
        "additionalProperties": False,
    }
    facts = (API_TOKENS, ME, ZONES, ep.API_TOKEN)
    writes = (ep.REVOKE_API_TOKEN, ep.REPLACE_API_TOKEN)

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        tokens = await ctx.reads.api_tokens()
        me = await ctx.reads.me()
        observed = {"tokens": [{k: t.get(k) for k in TOKEN_FIELDS if k in t} for t in tokens],
                    "token_owner": {"id": me.get("id"), "login": login(me)}}
        if self.args.get("network"):
            observed["zones"] = [{k: z.get(k) for k in ("id", "name", "type", "status")}
                                 for z in await ctx.reads.zones()]
        return observed

    def _allowed(self, token: dict[str, Any]) -> bool:
        allow = {str(x).lower() for x in self.args.get("allow", [])}
        return str(token.get("name", "")).lower() in allow or str(token.get("id", "")).lower() in allow

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        revocations = self._revocations(observed)
        revoked = {c.target.id for c in revocations if isinstance(c, Change)}
        networks = self._networks(observed, revoked)
        decided = [i for i in (*revocations, *networks) if not isinstance(i, NoOp)]
        # plan -v has always given the network's reasons before the revocations'
        return [*decided, *(i for i in (*networks, *revocations) if isinstance(i, NoOp))]

    def _wanted(self, observed: dict[str, Any]) -> dict[str, Any] | None:
        """The network condition `network` asks for, with zone ids; None when a named zone does not exist."""
        want = self.args["network"]
        by_name = {str(z.get("name")).lower(): z for z in observed.get("zones", [])}
        names = want.get("include") or [] if want["connection"] == "ZONE" else []
        if any(n.lower() not in by_name for n in names):
            return None
        return {"connection": want["connection"], "include": sorted(str(by_name[n.lower()]["id"]) for n in names),
                "exclude": []}

    def _networks(self, observed: dict[str, Any], revoked: set[str]) -> list[Change | Finding | NoOp]:
        want = self.args.get("network")
        if not want:
            return []
        wanted = self._wanted(observed)
        names = want.get("include") or [] if want["connection"] == "ZONE" else []
        if wanted is None:
            zones = {str(z.get("name")).lower() for z in observed.get("zones", [])}
            missing = [n for n in names if n.lower() not in zones]
            title = f"network zone(s) not found: {', '.join(missing)}: API tokens left as they are"
            return [self.finding("medium", title, None, {"missing": missing, "zones": sorted(zones)}),
                    self.no_op("a network zone of `network` does not exist")]
        where = f"only from {', '.join(names)}" if names else "from anywhere"
        owner = (observed.get("token_owner") or {}).get("id")
        out: list[Change | Finding | NoOp] = []
        tokens, restricted = observed.get("tokens", []), 0
        for token in tokens:
            now = network_of(token)
            if now == wanted:
                restricted += 1
                continue
            if token["id"] in revoked:
                continue
            if owner and token.get("userId") == owner:
                title = f"API token {token.get('name')!r} of the token owner: make it usable {where} by hand"
                out.append(self.finding("high", title, _target(token),
                                        {"network": now, "wanted": wanted,
                                         "why": "it may be the token this run uses, from outside those zones"}))
                continue
            out.append(self.change("restrict_network", _target(token), {"network": now}, {"network": wanted},
                                   f"API token {token.get('name')!r} may be used from {now['connection']}"
                                   f"{' ' + ', '.join(now['include']) if now['include'] else ''}: "
                                   f"make it usable {where} (STIG: tokens restricted to known network zones)."))
        out.append(self.no_op(f"{restricted} of {len(tokens)} API token(s) already have the wanted network condition"))
        return out

    def _revocations(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        if not self.args.get("created_after"):
            return []
        since = okta_time(self.args["created_after"])
        created_after = parse_time(self.args["created_after"])
        owner = observed.get("token_owner") or {}
        out: list[Change | Finding | NoOp] = []
        tokens, older = observed.get("tokens", []), 0
        for token in tokens:
            if not at_or_after(token.get("created"), created_after):
                older += 1
                continue
            if self._allowed(token):
                out.append(self.no_op(f"API token {token.get('name')!r}: created {token.get('created')} but allowed",
                                      _target(token)))
                continue
            name = repr(token.get("name"))
            head = f"API token {name} (owner {token.get('userId')}) was created {token.get('created')}, after {since}"
            if owner.get("id") and token.get("userId") == owner["id"]:
                out.append(self.finding(
                    "high", f"API token {name} of the token owner created after {since}: review it by hand",
                    _target(token),
                    {"token": token, "why": "it may be the token remediator runs with: never revoked automatically"},
                ))
            elif self.args.get("action", "revoke") == "report":
                out.append(self.finding("high", f"API token {token.get('name')!r} created after {since}",
                                        _target(token), {"token": token}))
            else:
                out.append(self.change("revoke", _target(token), {"status": "ACTIVE"}, {"status": "REVOKED"},
                                       f"{head}: revoke it, so that a token made during the compromise stops working."))
        out.append(self.no_op(f"{older} of {len(tokens)} API token(s) were created before {since}"))
        return out

    async def current(self, ctx: TenantContext, change: Change) -> dict[str, Any]:
        try:
            token = (await ctx.reads.fresh(ep.API_TOKEN, change.target.id)).body or {}
        except OktaApiError as exc:
            if exc.status == 404:
                return {"status": "REVOKED", "network": None}
            raise
        if change.action == "restrict_network":
            return {"network": network_of(token)}
        return {"status": "ACTIVE"}

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        if change.action == "restrict_network":
            return await self._restrict(ctx, change)
        if change.action != "revoke":
            raise InputError(f"{self.name}: the plan names an action this kind does not make: {change.action!r}")
        try:
            resp = await ep.REVOKE_API_TOKEN.send(ctx.client, change.target.id)
        except OktaApiError as exc:
            if exc.status != 404:
                raise
            return Applied(request_id=None, detail={"already": "revoked"})  # a retried DELETE that had worked
        return Applied(request_id=resp.request_id)

    async def _restrict(self, ctx: TenantContext, change: Change) -> Applied:
        """PUT the token back with the planned network (upsertApiToken needs its name; body as recorded).

        A token revoked since the plan (by another state of the same playbook, which also plans before
        anything applies) answers 404: nobody can use it from anywhere, so its network needs nothing."""
        try:
            token = (await ctx.reads.fresh(ep.API_TOKEN, change.target.id)).body or {}
            network = {k: v for k, v in change.after["network"].items() if v or k == "connection"}
            body = {k: token[k] for k in ("name", "userId", "clientName", "created") if k in token}
            resp = await ep.REPLACE_API_TOKEN.send(ctx.client, change.target.id, json={**body, "network": network})
        except OktaApiError as exc:
            if exc.status != 404:
                raise
            return Applied(request_id=None, detail={"not_needed": "the token no longer exists (revoked)"})
        return Applied(request_id=resp.request_id, detail={"network": (resp.body or {}).get("network")})

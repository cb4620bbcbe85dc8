"""`okta.api_tokens`: no API token created after a date unless allowed.

An API token acts with its owner's admin rights until revoked, so one made by an attacker outlives every
password reset. Tokens created at or after `created_after` whose name or id is not in `allow` are revoked
(`DELETE /api/v1/api-tokens/{id}`) or, with `action: report`, reported (high). A token owned by the token
owner itself (the user remediator acts as) is never revoked automatically: it may be the very token this
run uses, and cutting it mid-run would leave the tenant half-remediated; it is a finding for a person.
"""

from __future__ import annotations

from typing import Any

from remediator.errors import InputError, OktaApiError
from remediator.facts import API_TOKENS, ME
from remediator.facts import endpoints as ep
from remediator.kinds.base import Applied, Kind, TenantContext, register
from remediator.kinds.common import DATE_TIME, at_or_after, login, okta_time
from remediator.plan import Change, Finding, Target
from remediator.timeutil import parse_time

TOKEN_FIELDS = ("id", "name", "userId", "clientName", "created", "expiresAt", "lastUpdated")


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
    """

    name = "okta.api_tokens"
    schema = {
        "type": "object",
        "required": ["created_after"],
        "properties": {
            "created_after": {**DATE_TIME, "description": "tokens created at or after this are suspect"},
            "allow": {"type": "array", "items": {"type": "string", "minLength": 1}, "default": [],
                      "description": "token names or ids known to be legitimate"},
            "action": {"enum": ["revoke", "report"], "default": "revoke"},
        },
        "additionalProperties": False,
    }
    facts = (API_TOKENS, ME, ep.API_TOKEN)
    writes = (ep.REVOKE_API_TOKEN,)

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        tokens = await ctx.reads.api_tokens()
        me = await ctx.reads.me()
        return {"tokens": [{k: t.get(k) for k in TOKEN_FIELDS} for t in tokens],
                "token_owner": {"id": me.get("id"), "login": login(me)}}

    def _allowed(self, token: dict[str, Any]) -> bool:
        allow = {str(x).lower() for x in self.args.get("allow", [])}
        return str(token.get("name", "")).lower() in allow or str(token.get("id", "")).lower() in allow

    def _suspects(self, observed: dict[str, Any]) -> list[dict[str, Any]]:
        since = parse_time(self.args["created_after"])
        return [t for t in observed.get("tokens", []) if at_or_after(t.get("created"), since) and not self._allowed(t)]

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding]:
        since = okta_time(self.args["created_after"])
        owner = observed.get("token_owner") or {}
        out: list[Change | Finding] = []
        for token in self._suspects(observed):
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
        return out

    def explain(self, observed: dict[str, Any]) -> list[str]:
        since = parse_time(self.args["created_after"])
        tokens = observed.get("tokens", [])
        notes = [f"API token {t.get('name')!r}: created {t.get('created')} but allowed"
                 for t in tokens if at_or_after(t.get("created"), since) and self._allowed(t)]
        older = sum(1 for t in tokens if not at_or_after(t.get("created"), since))
        since_text = okta_time(self.args["created_after"])
        notes.append(f"{older} of {len(tokens)} API token(s) were created before {since_text}")
        return notes

    async def current(self, ctx: TenantContext, change: Change) -> dict[str, Any]:
        try:
            await ctx.reads.fresh(ep.API_TOKEN, change.target.id)
        except OktaApiError as exc:
            if exc.status == 404:
                return {"status": "REVOKED"}
            raise
        return {"status": "ACTIVE"}

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        if change.action != "revoke":
            raise InputError(f"{self.name}: the plan names an action this kind does not make: {change.action!r}")
        try:
            resp = await ep.REVOKE_API_TOKEN.send(ctx.client, change.target.id)
        except OktaApiError as exc:
            if exc.status != 404:
                raise
            return Applied(request_id=None, detail={"already": "revoked"})  # a retried DELETE that had worked
        return Applied(request_id=resp.request_id)

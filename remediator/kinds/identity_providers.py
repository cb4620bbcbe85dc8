"""`okta.identity_providers`: no identity provider created after a date is active unless allowed.

A rogue IdP lets whoever controls it sign in as any user it can map (the 2023 cross-tenant impersonation
technique). Every IdP created at or after `created_after` is a finding, whatever its status: high when
active and not allowed, medium when inactive, info when allowed. With `action: deactivate` an active one
is also deactivated (`POST /idps/{id}/lifecycle/deactivate`); the default, `report`, changes nothing,
because an IdP may carry a business's real logins and deactivating it is a decision for a person.
"""

from __future__ import annotations

from typing import Any

from remediator.errors import InputError
from remediator.facts import IDPS
from remediator.facts import endpoints as ep
from remediator.kinds.base import Applied, Kind, TenantContext, register
from remediator.kinds.common import DATE_TIME, at_or_after, okta_time
from remediator.plan import Change, Finding, NoOp, Target
from remediator.timeutil import parse_time

IDP_FIELDS = ("id", "name", "type", "status", "created", "lastUpdated", "issuerMode")


def _target(idp: dict[str, Any]) -> Target:
    return Target(type="idp", id=str(idp["id"]), label=idp.get("name"))


@register
class IdentityProviders(Kind):
    """Identity providers created after `created_after` reported, or deactivated unless allowed.

    Example::

        - name: Identity providers created since the breach reviewed
          okta.identity_providers:
            created_after: "2022-01-21T00:00:00Z"
            allow: [Corporate Azure AD]
            action: report
    """

    name = "okta.identity_providers"
    schema = {
        "type": "object",
        "required": ["created_after"],
        "properties": {
            "created_after": {**DATE_TIME, "description": "IdPs created at or after this are suspect"},
            "allow": {"type": "array", "items": {"type": "string", "minLength": 1}, "default": [],
                      "description": "IdP names or ids known to be legitimate"},
            "action": {"enum": ["deactivate", "report"], "default": "report"},
        },
        "additionalProperties": False,
    }
    facts = (IDPS, ep.IDP)
    writes = (ep.DEACTIVATE_IDP,)

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        return {"idps": [{k: i.get(k) for k in IDP_FIELDS if k in i} for i in await ctx.reads.idps()]}

    def _allowed(self, idp: dict[str, Any]) -> bool:
        allow = {str(x).lower() for x in self.args.get("allow", [])}
        return str(idp.get("name", "")).lower() in allow or str(idp.get("id", "")).lower() in allow

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        since = parse_time(self.args["created_after"])
        text = okta_time(self.args["created_after"])
        out: list[Change | Finding | NoOp] = []
        idps, older = observed.get("idps", []), 0
        for idp in idps:
            if not at_or_after(idp.get("created"), since):
                older += 1  # before the breach: nothing to review
                continue
            active, allowed = idp.get("status") == "ACTIVE", self._allowed(idp)
            severity = "info" if allowed else ("high" if active else "medium")
            out.append(self.finding(
                severity, f"identity provider {idp.get('name')!r} ({idp.get('type')}) created after {text}",
                _target(idp), {"idp": idp, "allowed": allowed},
            ))
            if active and not allowed and self.args.get("action", "report") == "deactivate":
                out.append(self.change(
                    "deactivate", _target(idp), {"status": "ACTIVE"}, {"status": "INACTIVE"},
                    f"identity provider {idp.get('name')!r} ({idp.get('type')}) was created {idp.get('created')}, "
                    f"after {text}, and is ACTIVE: deactivate it so that nobody signs in through it.",
                ))
        out.append(self.no_op(f"{older} of {len(idps)} identity provider(s) were created before {text}"))
        return out

    async def current(self, ctx: TenantContext, change: Change) -> dict[str, Any]:
        idp = (await ctx.reads.fresh(ep.IDP, change.target.id)).body
        return {"status": (idp or {}).get("status")}

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        if change.action != "deactivate":
            raise InputError(f"{self.name}: the plan names an action this kind does not make: {change.action!r}")
        idp_id = change.target.id

        async def inactive() -> Any:
            resp = await ctx.reads.fresh(ep.IDP, idp_id)
            return resp if (resp.body or {}).get("status") == "INACTIVE" else None

        resp = await ep.DEACTIVATE_IDP.send(ctx.client, idp_id, recheck=inactive)
        return Applied(request_id=resp.request_id, detail={"status": (resp.body or {}).get("status")})

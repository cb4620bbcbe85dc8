"""`okta.support_access`: Okta Support cannot reach the tenant.

Two models coexist at Okta: the org-level grant (`/org/privacy/oktaSupport`, 8 h, extendable; its
revoke is deprecated since 2025.01 but still what a tenant on that model needs) and per-case
impersonation (`/oktaSupport/cases`). Both are closed: the org grant revoked, every case whose
impersonation is ENABLED set to DISABLED. A case whose impersonation is REQUESTED is not a grant yet;
declining it is a decision for a person, so it is reported (high), not changed.
"""

from __future__ import annotations

from typing import Any

from remediator.errors import InputError, OktaApiError
from remediator.facts import SUPPORT, SUPPORT_CASES, support_cases_of
from remediator.facts import endpoints as ep
from remediator.kinds.base import Applied, Kind, TenantContext, register
from remediator.plan import Change, Finding, Target

ORG_TARGET = Target(type="okta_support", id="org", label="Okta Support access (org level)")
IMPERSONATION = "impersonation.status"


def _case_target(case: dict[str, Any]) -> Target:
    return Target(type="support_case", id=str(case.get("caseNumber")), label=case.get("subject"))


def _impersonation(case: dict[str, Any]) -> dict[str, Any]:
    return case.get("impersonation") or {}


@register
class SupportAccess(Kind):
    """Okta Support cannot reach the tenant: org-level access DISABLED, no case with impersonation ENABLED.

    Changes: `revoke` (POST /org/privacy/oktaSupport/revoke) and, per case, `disable_case_impersonation`
    (PATCH /org/privacy/oktaSupport/cases/{caseNumber}). Findings: each case whose impersonation is
    REQUESTED (high: decline it in the Admin Console).

    Example::

        - name: Okta Support cannot reach the tenant
          okta.support_access: {enabled: false}
    """

    name = "okta.support_access"
    schema = {
        "type": "object",
        "properties": {
            "enabled": {"const": False, "description": "false: Okta Support must not be able to reach the tenant"}
        },
        "additionalProperties": False,
    }
    facts = (SUPPORT, SUPPORT_CASES, ep.ORG_SUPPORT, ep.SUPPORT_CASES)
    writes = (ep.REVOKE_SUPPORT, ep.UPDATE_SUPPORT_CASE)

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        try:
            support = await ctx.reads.support()
        except OktaApiError as exc:
            if exc.status != 404:
                raise
            support = None  # a tenant without the org-level model: only cases remain
        cases = await ctx.reads.support_cases()
        return {
            "support": None if support is None else {k: support.get(k) for k in ("support", "expiration")},
            "cases": [
                {"caseNumber": c.get("caseNumber"), "subject": c.get("subject"), "impersonation": _impersonation(c)}
                for c in cases
            ],
        }

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding]:
        out: list[Change | Finding] = []
        support = observed.get("support")
        if support is not None and support.get("support") != "DISABLED":
            until = f" until {support['expiration']}" if support.get("expiration") else ""
            out.append(self.change(
                "revoke", ORG_TARGET, {"support": support.get("support")}, {"support": "DISABLED"},
                f"Okta Support access is {support.get('support')}{until}: Okta Support staff can sign in to the "
                "tenant as an admin; revoke it.",
            ))
        for case in observed.get("cases", []):
            status = _impersonation(case).get("status")
            if status == "ENABLED":
                until = _impersonation(case).get("expiration")
                out.append(self.change(
                    "disable_case_impersonation", _case_target(case), {IMPERSONATION: "ENABLED"},
                    {IMPERSONATION: "DISABLED"},
                    f"support case {case.get('caseNumber')} lets Okta Support impersonate users"
                    f"{f' until {until}' if until else ''}; disable it.",
                ))
            elif status == "REQUESTED":
                out.append(self.finding(
                    "high", f"Okta Support requests impersonation on case {case.get('caseNumber')}: decline it",
                    _case_target(case), {"case": case},
                ))
        return out

    def explain(self, observed: dict[str, Any]) -> list[str]:
        """Why nothing needs doing, for what is already in the desired state (pure, like `diff`)."""
        notes = []
        support = observed.get("support")
        if support is None:
            notes.append("the org-level Okta Support setting does not exist on this tenant (per-case access only)")
        elif support.get("support") == "DISABLED":
            notes.append("org-level Okta Support access is already DISABLED")
        cases = observed.get("cases", [])
        if not any(_impersonation(c).get("status") in ("ENABLED", "REQUESTED") for c in cases):
            notes.append(f"no support case has impersonation ENABLED or REQUESTED ({len(cases)} cases)")
        return notes

    async def current(self, ctx: TenantContext, change: Change) -> dict[str, Any]:
        if change.action == "revoke":
            body = (await ctx.reads.fresh(ep.ORG_SUPPORT)).body
            return {"support": (body or {}).get("support")}
        case = await self._case(ctx, change.target.id)
        return {IMPERSONATION: _impersonation(case).get("status") if case else None}

    async def _case(self, ctx: TenantContext, number: str) -> dict[str, Any] | None:
        cases = support_cases_of((await ctx.reads.fresh(ep.SUPPORT_CASES)).body)
        return next((c for c in cases if str(c.get("caseNumber")) == number), None)

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        if change.action == "revoke":
            async def revoked() -> Any:
                resp = await ctx.reads.fresh(ep.ORG_SUPPORT)
                return resp if (resp.body or {}).get("support") == "DISABLED" else None

            resp = await ep.REVOKE_SUPPORT.send(ctx.client, recheck=revoked)
            return Applied(request_id=resp.request_id, detail={"support": (resp.body or {}).get("support")})
        if change.action == "disable_case_impersonation":
            number = change.target.id

            async def disabled() -> Any:
                resp = await ctx.reads.fresh(ep.SUPPORT_CASES)
                case = next((c for c in support_cases_of(resp.body) if str(c.get("caseNumber")) == number), None)
                return resp if case and _impersonation(case).get("status") == "DISABLED" else None

            resp = await ep.UPDATE_SUPPORT_CASE.send(
                ctx.client, number, json={"impersonation": {"status": "DISABLED"}}, recheck=disabled
            )
            status = _impersonation(resp.body or {}).get("status")
            return Applied(request_id=resp.request_id, detail={IMPERSONATION: status})
        raise InputError(f"{self.name}: the plan names an action this kind does not make: {change.action!r}")

"""`okta.support_access`: Okta Support cannot reach the tenant.

Okta's current model is per case: `PATCH /org/privacy/oktaSupport/cases/{caseNumber}` with
`{"impersonation": {"status": "DISABLED"}}` closes a case, and `GET /org/privacy/oktaSupport` reports
`ENABLED` with that `caseNumber` while a case grants impersonation (the spec's example
orgSupportSettingsWithCaseNumberResponse), so closing the case closes the org-level state too.

The org-level grant/extend/revoke were retired in 2025.01: the spec documents only a 301 for them. An
org still on that model advertises `_links.revoke` in its `GET`; only then is `revoke` planned. Where
the org-level state is ENABLED without a case and the org offers no revoke (or an earlier run's revoke
was answered with a redirect, from the journal), nothing can change it through the API: that is a
finding for a person (the Admin Console), never a call that would only be answered 301.

A case whose impersonation is REQUESTED is not a grant yet; declining it is a decision for a person
(high finding). A case APPROVED for self-assigned access (`selfAssigned.status`: the Okta Support
engineer who created the case may reach the tenant) is reported (high): the spec's SelfAssignedStatus
(APPROVED, NOT_REQUIRED, REQUESTED) has no value that withdraws an approval, so no PATCH can undo it.
"""

from __future__ import annotations

from typing import Any

from remediator.errors import InputError, OktaApiError
from remediator.facts import SUPPORT, SUPPORT_CASES, support_cases_of
from remediator.facts import endpoints as ep
from remediator.kinds.base import Applied, Kind, TenantContext, register
from remediator.plan import Change, Finding, NoOp, Target

ORG_TARGET = Target(type="okta_support", id="org", label="Okta Support access (org level)")
IMPERSONATION = "impersonation.status"
CASE_FIELDS = ("caseNumber", "subject", "impersonation")
RETIRED = ("the org-level grant/extend/revoke were retired in 2025.01 (the spec documents only a 301 for "
           "POST /api/v1/org/privacy/oktaSupport/revoke)")


def revoke_answered_redirect(records: Any) -> bool:
    """Whether an earlier run's org-level revoke was answered with a redirect (the retired endpoint)."""
    return any(((r.get("change") or {}).get("kind"), (r.get("change") or {}).get("action"), r.get("result"))
               == ("okta.support_access", "revoke", "failed") and " -> HTTP 3" in str(r.get("error") or "")
               for r in records)


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
        observed: dict[str, Any] = {
            "support": None if support is None else {
                **{k: support.get(k) for k in ("support", "expiration", "caseNumber")},
                "revocable": "revoke" in (support.get("_links") or {})},
            "cases": [{**{k: c.get(k) for k in ("caseNumber", "subject")}, "impersonation": _impersonation(c),
                       **({"selfAssigned": c["selfAssigned"]} if c.get("selfAssigned") else {})} for c in cases],
        }
        if revoke_answered_redirect(ctx.journal_events):
            observed["revoke_retired"] = True
        return observed

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        out: list[Change | Finding | NoOp] = list(self._org_level(observed))
        cases = observed.get("cases", [])
        for case in cases:
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
                    _case_target(case), {"case": {k: case.get(k) for k in CASE_FIELDS}},
                ))
            out += self._self_assigned(case)
        if not any(_impersonation(c).get("status") in ("ENABLED", "REQUESTED") for c in cases):
            out.append(self.no_op(f"no support case has impersonation ENABLED or REQUESTED ({len(cases)} cases)"))
        return out

    def _org_level(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        support = observed.get("support")
        if support is None:
            return [self.no_op("the org-level Okta Support setting does not exist on this tenant (per-case access "
                               "only)", ORG_TARGET)]
        if support.get("support") == "DISABLED":
            return [self.no_op("org-level Okta Support access is already DISABLED", ORG_TARGET)]
        until = f" until {support['expiration']}" if support.get("expiration") else ""
        number = support.get("caseNumber")
        if number:
            # no revoke of its own: closing the case closes the org-level access (the case's own change, or a
            # person in the Admin Console when this token cannot read the case)
            through = self.no_op(f"org-level Okta Support access comes from case {number}: closing the case "
                                 "closes it", ORG_TARGET)
            case = next((c for c in observed.get("cases", []) if str(c.get("caseNumber")) == str(number)), None)
            if case is not None and _impersonation(case).get("status") == "ENABLED":
                return [through]
            return [through, self.finding(
                "high", f"Okta Support access is {support.get('support')}{until} through case {number}, which is "
                "not among the cases this token can read: close it in the Admin Console", ORG_TARGET,
                {"support": {k: support.get(k) for k in ("support", "expiration", "caseNumber")}})]
        if support.get("revocable") and not observed.get("revoke_retired"):
            return [self.change(
                "revoke", ORG_TARGET, {"support": support.get("support")}, {"support": "DISABLED"},
                f"Okta Support access is {support.get('support')}{until}: Okta Support staff can sign in to the "
                "tenant as an admin; revoke it.",
            )]
        why = ("an earlier run's revoke was answered with a redirect: " if observed.get("revoke_retired")
               else "this org's Okta Support settings offer no revoke link: ") + RETIRED
        return [self.finding(
            "high", f"org-level Okta Support access is {support.get('support')}{until} and cannot be revoked "
            "through the API: revoke it in the Admin Console (Settings > Account > Okta Support access)", ORG_TARGET,
            {"support": {k: support.get(k) for k in ("support", "expiration")}, "why": why})]

    def _self_assigned(self, case: dict[str, Any]) -> list[Finding]:
        status = (case.get("selfAssigned") or {}).get("status")
        number = case.get("caseNumber")
        if status == "APPROVED":
            return [self.finding(
                "high", f"case {number} is APPROVED for self-assigned Okta Support access: withdraw the approval "
                "in the Admin Console", _case_target(case),
                {"case": case, "why": "the Okta Support engineer who created and assigned the case may reach the "
                                      "tenant; the spec's SelfAssignedStatus (APPROVED, NOT_REQUIRED, REQUESTED) has "
                                      "no value that withdraws an approval, so no PATCH can undo it"})]
        if status == "REQUESTED":
            return [self.finding(
                "medium", f"Okta Support asks approval of self-assigned case {number}: do not approve it",
                _case_target(case), {"case": case})]
        return []

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

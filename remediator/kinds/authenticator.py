"""`okta.authenticator`: an authenticator (by key: `okta_verify`, `phone_number`, `okta_email`, ...) has a status.

SMS and voice can be intercepted (SIM swap) and a help desk can be talked into re-enrolling them, so a
response often turns `phone_number` off. Okta refuses to deactivate an authenticator that an enrollment
policy still offers (403 E0000148, "Cannot modify/disable this authenticator because it is enabled in one
or more policies"): in that case the kind reports the policies (high) instead of planning a write that
would fail, so the responder changes them first (`okta.policy` with
`settings.authenticators[key=phone_number].enroll.self: NOT_ALLOWED`, in the same playbook, before it).
"""

from __future__ import annotations

from typing import Any

from remediator.errors import InputError
from remediator.facts import AUTHENTICATORS, POLICIES
from remediator.facts import endpoints as ep
from remediator.kinds import lifecycle
from remediator.kinds.base import Applied, Kind, TenantContext, register
from remediator.plan import Change, Finding, NoOp, Target

FIELDS = ("id", "key", "name", "type", "status")


def _target(auth: dict[str, Any]) -> Target:
    return Target(type="authenticator", id=str(auth["id"]), label=str(auth.get("key")))


def enrolling_policies(policies: list[dict[str, Any]], key: str) -> list[str]:
    """Names of the ACTIVE enrollment policies that still let users enroll `key` (OPTIONAL or REQUIRED)."""
    names = []
    for policy in policies:
        if policy.get("status", "ACTIVE") != "ACTIVE":
            continue
        for item in (policy.get("settings") or {}).get("authenticators") or []:
            if item.get("key") == key and (item.get("enroll") or {}).get("self") in ("OPTIONAL", "REQUIRED"):
                names.append(str(policy.get("name")))
    return names


@register
class Authenticator(Kind):
    """An authenticator, by key, is ACTIVE or INACTIVE (a finding while a policy still offers it).

    Example::

        - name: Security keys and biometrics can be used
          okta.authenticator:
            key: webauthn
            status: ACTIVE
    """

    name = "okta.authenticator"
    schema = {
        "type": "object",
        "required": ["key", "status"],
        "properties": {
            "key": {"type": "string", "minLength": 1, "pattern": "^[a-z0-9_]+$",
                    "description": "okta_verify, phone_number, okta_email, security_question, webauthn, ..."},
            "status": {"enum": ["ACTIVE", "INACTIVE"]},
        },
        "additionalProperties": False,
    }
    facts = (AUTHENTICATORS, ep.AUTHENTICATOR, POLICIES)
    writes = (ep.ACTIVATE_AUTHENTICATOR, ep.DEACTIVATE_AUTHENTICATOR)

    @classmethod
    def check(cls, args: dict[str, Any]) -> tuple[tuple[Any, ...], str] | None:
        if args["key"] == "okta_password" and args["status"] == "INACTIVE":
            # real orgs list the password authenticator with no lifecycle links (test_list_authenticators)
            return ("status",), "'status': the password authenticator has no lifecycle: Okta cannot deactivate it"
        return None

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        observed: dict[str, Any] = {
            "authenticators": [{k: a.get(k) for k in FIELDS} for a in await ctx.reads.authenticators()]}
        if self.args["status"] == "INACTIVE":
            observed["enroll_policies"] = [{k: p.get(k) for k in ("id", "name", "status", "settings")}
                                           for p in await ctx.reads.policies("MFA_ENROLL")]
        return observed

    def _find(self, observed: dict[str, Any]) -> dict[str, Any] | None:
        return next((a for a in observed.get("authenticators", []) if a.get("key") == self.args["key"]), None)

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        key, status = self.args["key"], self.args["status"]
        auth = self._find(observed)
        if auth is None:
            absent = self.no_op(f"authenticator {key!r} is not set up in this org")
            if status == "INACTIVE":
                return [absent]
            return [absent, self.finding("medium", f"authenticator {key!r} is not set up in this org: add it by hand",
                                         None, {"keys": [a.get("key") for a in observed.get("authenticators", [])]})]
        if auth.get("status") == status:
            return [self.no_op(f"authenticator {key!r} is already {status}", _target(auth))]
        if status == "INACTIVE":
            policies = enrolling_policies(observed.get("enroll_policies", []), key)
            if policies:
                return [self.finding("high", f"authenticator {key!r} is still offered by {len(policies)} enrollment "
                                     "policy(ies): Okta refuses to deactivate it until they stop offering it",
                                     _target(auth), {"policies": policies})]
        action = "activate" if status == "ACTIVE" else "deactivate"
        return [self.change(action, _target(auth), {"status": auth.get("status")}, {"status": status},
                            f"authenticator {key!r} is {auth.get('status')}; it must be {status}.")]

    async def current(self, ctx: TenantContext, change: Change) -> dict[str, Any]:
        return await lifecycle.status_of(ctx, ep.AUTHENTICATOR, change.target.id)

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        if change.action not in lifecycle.ACTIONS:
            raise InputError(f"{self.name}: the plan names an action this kind does not make: {change.action!r}")
        write = ep.ACTIVATE_AUTHENTICATOR if change.action == "activate" else ep.DEACTIVATE_AUTHENTICATOR
        return await lifecycle.set_status(ctx, ep.AUTHENTICATOR, write, change.target.id)

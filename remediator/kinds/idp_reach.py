"""`okta.idp_reach`: no active identity provider can link, provision or be routed to the org's admins.

The 2023 cross-tenant impersonation: an attacker's IdP signs in as whichever Okta user it can match. What
decides whom it reaches, as `GET /api/v1/idps` and the IdP routing policies show it (Okta's spec,
`IdentityProviderPolicy`, `PolicyAccountLink`, `ProvisioningGroups`, `IdpPolicyRuleAction`):

- `policy.accountLink`: `action: AUTO` links an IdP user to an existing Okta user; without
  `filter.groups.include` any user, admins included, and with it only members of those groups;
- `policy.provisioning.groups`: `ASSIGN` adds its users to `assignments`, `APPEND`/`SYNC` to the groups of
  `filter` (an allowlist): a group holding an admin role there makes every IdP user an admin;
- routing rules (policies of type `IDP_DISCOVERY`): an active rule whose `actions.idp.providers` names an
  IdP other than `OKTA` sends whoever its `userIdentifier` matches there; without that condition, everyone.

An admin group is a group holding an admin role (`GET /groups/{id}/roles`), read only for the groups the
IdPs name. A routing rule's identifier patterns are tried against the admins' logins; a pattern the API
gives but we cannot evaluate (`EXPRESSION`, `ATTRIBUTE` on a profile attribute) and dynamic provider
selection are findings "cannot tell", for a person to review. Everything here is a finding: what to change
on a federation is a decision for a person; `okta.identity_providers` deactivates new IdPs.
"""

from __future__ import annotations

from typing import Any

from remediator.errors import OktaApiError
from remediator.facts import ADMINS, GROUP, GROUP_ROLES, IDPS, POLICIES, RULES
from remediator.kinds.base import Kind, TenantContext, register
from remediator.plan import Change, Finding, NoOp, Target

#: `ProvisioningGroups.action` values that put IdP users into Okta groups, and where those groups are named.
_PROVISIONING = {"ASSIGN": ("assignments",), "APPEND": ("filter",), "SYNC": ("filter",)}
_PATTERNS = {"EQUALS", "STARTS_WITH", "SUFFIX", "CONTAINS"}


def _idp_target(idp: dict[str, Any]) -> Target:
    return Target(type="idp", id=str(idp.get("id")), label=idp.get("name"))


def _get(obj: Any, *keys: str) -> Any:
    for key in keys:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def linked_groups(idp: dict[str, Any]) -> list[str]:
    return list(_get(idp, "policy", "accountLink", "filter", "groups", "include") or [])


def provisioned_groups(idp: dict[str, Any]) -> list[str]:
    groups = _get(idp, "policy", "provisioning", "groups") or {}
    return [g for key in _PROVISIONING.get(str(groups.get("action")), ()) for g in groups.get(key) or []]


def matches(pattern: dict[str, Any], login: str) -> bool:
    """Whether an identifier pattern (`UserIdentifierConditionEvaluatorPattern`) matches a login, ignoring case."""
    kind, value, login = pattern.get("matchType"), str(pattern.get("value") or "").lower(), login.lower()
    return {"EQUALS": login == value, "STARTS_WITH": login.startswith(value), "SUFFIX": login.endswith(value),
            "CONTAINS": value in login}.get(str(kind), False)


@register
class IdpReach(Kind):
    """Active IdPs that can auto-link, provision into or be routed to admins are findings.

    Example::

        - name: No identity provider can reach admin groups
          okta.idp_reach: {}
    """

    name = "okta.idp_reach"
    schema = {
        "type": "object",
        "properties": {
            "allow": {"type": "array", "items": {"type": "string", "minLength": 1}, "default": [],
                      "description": "IdP names or ids whose reach is reviewed and accepted (reported as info)"},
        },
        "additionalProperties": False,
    }
    facts = (IDPS, GROUP, GROUP_ROLES, POLICIES, RULES, ADMINS)

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        idps = [{k: i.get(k) for k in ("id", "name", "type", "status", "policy")} for i in await ctx.reads.idps()]
        routing = []
        for policy in await ctx.reads.policies("IDP_DISCOVERY"):
            if policy.get("status") != "ACTIVE":
                continue
            for rule in await ctx.reads.rules(str(policy["id"])):
                routing.append({"policy": policy.get("name"), "policy_id": policy.get("id"),
                                **{k: rule.get(k) for k in ("id", "name", "status", "conditions", "actions")}})
        groups: dict[str, Any] = {}
        for gid in sorted({g for i in idps if i.get("status") == "ACTIVE"
                           for g in linked_groups(i) + provisioned_groups(i)}):
            groups[gid] = await self._group(ctx, gid)
        admins = []
        if any(self._external(r) for r in routing):
            admins = [{"login": a.login, "roles": sorted({str(r.get("type")) for r in a.roles})}
                      for a in await ctx.reads.admins()]
        return {"idps": idps, "groups": groups, "routing": routing, "admins": admins}

    @staticmethod
    async def _group(ctx: TenantContext, gid: str) -> dict[str, Any]:
        try:
            group = await ctx.reads.group(gid)
        except OktaApiError as err:
            if err.status != 404:
                raise
            return {"name": None, "roles": []}  # a deleted group: nobody reaches it
        roles = await ctx.reads.group_roles(gid)
        return {"name": _get(group, "profile", "name"), "roles": sorted({str(r.get("type")) for r in roles})}

    @staticmethod
    def _external(rule: dict[str, Any]) -> list[dict[str, Any]]:
        if rule.get("status") != "ACTIVE":
            return []
        return [p for p in _get(rule, "actions", "idp", "providers") or [] if p.get("type") != "OKTA"]

    def _severity(self, *names: Any) -> str:
        allow = {str(x).lower() for x in self.args.get("allow", [])}
        return "info" if any(str(n).lower() in allow for n in names if n) else "high"

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        out: list[Change | Finding | NoOp] = []
        groups, idps = observed.get("groups", {}), observed.get("idps", [])
        for idp in idps:
            if idp.get("status") != "ACTIVE":
                out.append(self.no_op(f"identity provider {idp.get('name')!r} is {idp.get('status')}",
                                      _idp_target(idp)))
                continue
            out.extend(self._idp(idp, groups) or [self.no_op(
                f"identity provider {idp.get('name')!r} links no admin (accountLink "
                f"{_get(idp, 'policy', 'accountLink', 'action')}, groups {linked_groups(idp)}) and provisions into "
                "no group holding an admin role", _idp_target(idp))])
        by_id = {str(i.get("id")): i for i in idps}
        for rule in observed.get("routing", []):
            out.extend(self._route(rule, by_id, observed.get("admins", [])))
        if not idps and not observed.get("routing"):
            out.append(self.no_op("no identity provider and no IdP routing rule"))
        return out

    def _idp(self, idp: dict[str, Any], groups: dict[str, Any]) -> list[Finding]:
        out = []
        who = f"identity provider {idp.get('name')!r} ({idp.get('type')})"
        link = _get(idp, "policy", "accountLink") or {}
        severity = self._severity(idp.get("name"), idp.get("id"))
        evidence = {"idp": {k: idp.get(k) for k in ("id", "name", "type", "status")}}
        admin = [{"id": g, **groups[g]} for g in linked_groups(idp) if (groups.get(g) or {}).get("roles")]
        if link.get("action") == "AUTO" and not linked_groups(idp):
            out.append(self.finding(severity, f"{who} links any Okta user, admins included (accountLink AUTO "
                                              "without a group filter)", _idp_target(idp),
                                    {**evidence, "accountLink": link}))
        elif link.get("action") == "AUTO" and admin:
            out.append(self.finding(severity, f"{who} links members of admin group(s) "
                                              f"{', '.join(repr(g['name']) for g in admin)}", _idp_target(idp),
                                    {**evidence, "accountLink": link, "admin_groups": admin}))
        provisioning = _get(idp, "policy", "provisioning", "groups") or {}
        admin = [{"id": g, **groups[g]} for g in provisioned_groups(idp) if (groups.get(g) or {}).get("roles")]
        if admin:
            out.append(self.finding(severity, f"{who} provisions its users into admin group(s) "
                                              f"{', '.join(repr(g['name']) for g in admin)} "
                                              f"(groups {provisioning.get('action')})", _idp_target(idp),
                                    {**evidence, "provisioning_groups": provisioning, "admin_groups": admin}))
        return out

    def _route(self, rule: dict[str, Any], idps: dict[str, Any],
               admins: list[dict[str, Any]]) -> list[Finding | NoOp]:
        external = self._external(rule)
        target = Target(type="policy_rule", id=f"{rule.get('policy_id')}/{rule.get('id')}",
                        label=f"{rule.get('policy')}: {rule.get('name')}")
        if not external:
            why = "sends to Okta" if rule.get("status") == "ACTIVE" else f"is {rule.get('status')}"
            return [self.no_op(f"routing rule {rule.get('name')!r} {why}", target)]
        names = [p.get("name") or (idps.get(str(p.get("id"))) or {}).get("name") or p.get("id") for p in external]
        where = f"routing rule {rule.get('name')!r} sends"
        to = f"to identity provider(s) {', '.join(repr(n) for n in names)}"
        severity = self._severity(*names, *(p.get("id") for p in external))
        evidence: dict[str, Any] = {"rule": {k: rule.get(k) for k in ("id", "name", "policy", "policy_id")},
                                    "providers": external, "conditions": rule.get("conditions")}
        ident = _get(rule, "conditions", "userIdentifier") or {}
        patterns = ident.get("patterns") or []
        if _get(rule, "actions", "idp", "idpSelectionType") == "DYNAMIC":
            return [self.finding("medium", f"{where} users {to} chosen by an expression: cannot tell whether it "
                                           "reaches admins", target, evidence)]
        if not patterns:
            return [self.finding(severity, f"{where} everyone, admins included, {to}", target, evidence)]
        if ident.get("type") != "IDENTIFIER" or any(p.get("matchType") not in _PATTERNS for p in patterns):
            return [self.finding("medium", f"{where} users matched by {ident.get('type')} "
                                           f"{ident.get('attribute') or ''} patterns {to}: cannot tell whether "
                                           "they match admins", target, evidence)]
        reached = [a for a in admins if any(matches(p, str(a.get("login", ""))) for p in patterns)]
        if not reached:
            return [self.no_op(f"{where} only logins matching {[p.get('value') for p in patterns]} {to}, no admin's "
                               "among them", target)]
        return [self.finding(severity, f"{where} {len(reached)} admin(s) {to}", target,
                             {**evidence, "admins": reached})]

"""`okta.policy_rule`: the selected rules of a policy have the declared values.

The policy is named by `{type, name}`, or by the app whose sign-in policy it is: `{app: saasure}` (the
Admin Console), `{app: okta_enduser}` (the Dashboard) or `{app: <an app's label>}`, since an app sign-in
policy is known to admins by its app. `rule` is a rule's name or `"*"` for all of the policy's rules;
`set` maps dotted paths to values, checked by `validate` as for `okta.policy` (kinds/policy_model.py).

System (default) rules keep what Okta keeps read-only: their `conditions` (a rule named "Default Rule"
or "Catch-all Rule" is refused by `validate`), `usePersistentCookie` on the default global session rule
and the whole default rule of the default enrollment policy. When `rule: "*"` selects such a rule, its
read-only paths are a finding and its other paths still change. Each rule that differs is one change:
re-read and replaced whole (`PUT /api/v1/policies/{policyId}/rules/{ruleId}`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from remediator.errors import InputError
from remediator.facts import APPS, POLICIES, RULES
from remediator.facts import endpoints as ep
from remediator.kinds import policies
from remediator.kinds.base import Applied, Kind, TenantContext, register
from remediator.kinds.paths import get_path
from remediator.kinds.policy_model import (
    PERSISTENT_COOKIE,
    POLICY_TYPES,
    READ_ONLY_TYPES,
    SYSTEM_RULE_NAMES,
    rule_tree,
    system_rule_problem,
)
from remediator.plan import Change, Finding, NoOp, Target

POLICY_FIELDS = ("id", "name", "type", "status", "system")
RULE_FIELDS = ("id", "name", "type", "status", "priority", "system", "conditions", "actions")
DEFAULT_POLICY = "Default Policy"
FIRST_PARTY_APPS = frozenset({"saasure", "okta_enduser"})
BY_TYPE = {"type": "object", "required": ["type", "name"], "additionalProperties": False,
           "properties": {"type": {"enum": list(POLICY_TYPES)}, "name": {"type": "string", "minLength": 1}}}
BY_APP = {"type": "object", "required": ["app"], "additionalProperties": False,
          "properties": {"app": {"type": "string", "minLength": 1,
                                 "description": "saasure (Admin Console), okta_enduser (Dashboard) or an app's label"}}}


async def _app_policies(ctx: TenantContext, app: str) -> list[dict[str, Any]]:
    """The sign-in policy of the app named `app` (saasure, okta_enduser) or labelled so (without case).

    Okta names it in the app's `_links.accessPolicy.href`; the policy is then one of the ACCESS_POLICY list.
    """
    if app in FIRST_PARTY_APPS:
        apps = await ctx.reads.apps(filter_=f'name eq "{app}"')
    else:
        apps = [a for a in await ctx.reads.apps(q=app) if str(a.get("label", "")).casefold() == app.casefold()]
    ids = {_policy_id(a) for a in apps} - {None}
    if not ids:
        return []
    return [p for p in await ctx.reads.policies("ACCESS_POLICY") if p.get("id") in ids]


def _policy_id(app: dict[str, Any]) -> str | None:
    href = (((app.get("_links") or {}).get("accessPolicy")) or {}).get("href")
    return str(href).rstrip("/").rsplit("/", 1)[-1] if href else None


def _target(policy: dict[str, Any], rule: dict[str, Any]) -> Target:
    return Target(type="policy_rule", id=f"{policy['id']}/{rule['id']}",
                  label=f"{policy.get('name')} / {rule.get('name')}")


def _static_problem(policy: dict[str, Any], rule: str, path: str) -> str | None:
    """What `validate` can tell from the names alone: a default rule's read-only paths."""
    if rule not in SYSTEM_RULE_NAMES:
        return None
    ptype = policy.get("type")
    default = policy.get("name") == DEFAULT_POLICY
    if ptype is None:  # {app: ...}: an app sign-in policy, never a default policy
        ptype, default = "ACCESS_POLICY", False
    if path != PERSISTENT_COOKIE and not path.startswith("conditions") and not (ptype == "MFA_ENROLL" and default):
        return None
    return system_rule_problem(ptype, default, path)


@register
class PolicyRule(Kind):
    """Rules of a policy (by type and name, or by app), by name or all of them, have the values of `set`.

    Example::

        - name: The Admin Console needs two factors
          okta.policy_rule:
            policy: {app: saasure}
            rule: "*"
            set:
              actions.appSignOn.verificationMethod.factorMode: 2FA
        - name: Global sessions need a second factor
          okta.policy_rule:
            policy: {type: OKTA_SIGN_ON, name: Default Policy}
            rule: Default Rule
            set:
              actions.signon.requireFactor: true
              actions.signon.factorPromptMode: ALWAYS
    """

    name = "okta.policy_rule"
    folds = frozenset({"replace_rule"})
    schema = {
        "type": "object",
        "required": ["policy", "rule", "set"],
        "properties": {
            "policy": {"description": "a policy as {type, name}, or an app's sign-in policy as {app}",
                       "oneOf": [BY_TYPE, BY_APP]},
            "rule": policies.NAME_SCHEMA,
            "set": policies.SET_SCHEMA,
        },
        "additionalProperties": False,
    }
    facts = (POLICIES, RULES, APPS, ep.POLICY_RULE)
    writes = (ep.REPLACE_POLICY_RULE,)

    @classmethod
    def check(cls, args: dict[str, Any]) -> tuple[tuple[Any, ...], str] | None:
        policy = args["policy"]
        ptype = policy.get("type", "ACCESS_POLICY")
        if ptype in READ_ONLY_TYPES:
            return ("policy", "type"), f"{ptype} policies are read-only (Okta's spec)"
        found = policies.check_set(rule_tree(ptype), args.get("set"))
        if found is not None:
            return found
        for path in args.get("set") or {}:
            why = _static_problem(policy, args["rule"], str(path))
            if why is not None:
                return ("set", path), f"'set.{path}': {why}"
        return None

    # read -------------------------------------------------------------------------------------
    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        wanted = self.args["policy"]
        if "app" in wanted:
            found = await _app_policies(ctx, wanted["app"])
        else:
            found = [p for p in await ctx.reads.policies(wanted["type"]) if p.get("name") == wanted["name"]]
        rules = await asyncio.gather(*(ctx.reads.rules(p["id"]) for p in found))
        return {"policies": [{**{k: p[k] for k in POLICY_FIELDS if k in p},
                              "rules": [{k: r[k] for k in RULE_FIELDS if k in r} for r in rs]}
                             for p, rs in zip(found, rules, strict=True)]}

    # diff -------------------------------------------------------------------------------------
    def _rules(self, policy: dict[str, Any]) -> list[dict[str, Any]]:
        name = self.args["rule"]
        return [r for r in policy.get("rules", []) if name == "*" or r.get("name") == name]

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        found = observed.get("policies", [])
        if not found:
            return [self.finding("medium", f"no policy {self._policy_label()}", None, {})]
        out: list[Change | Finding | NoOp] = []
        for policy in found:
            rules = self._rules(policy)
            if not rules and self.args["rule"] != "*":
                out.append(self.finding("medium", f"policy {policy.get('name')!r} has no rule named "
                                        f"{self.args['rule']!r}", None,
                                        {"rules": [r.get("name") for r in policy.get("rules", [])]}))
            for rule in rules:
                out += self._one(policy, rule)
        return out

    def _policy_label(self) -> str:
        wanted = self.args["policy"]
        return f"for app {wanted['app']!r}" if "app" in wanted else f"{wanted['type']} {wanted['name']!r}"

    def _one(self, policy: dict[str, Any], rule: dict[str, Any]) -> list[Change | Finding | NoOp]:
        wanted = dict(self.args["set"])
        refused = {}
        if rule.get("system"):
            for path in list(wanted):
                why = system_rule_problem(str(policy.get("type")), bool(policy.get("system")), path)
                if why is not None:
                    if get_path(rule, path) != wanted[path]:
                        refused[path] = why
                    del wanted[path]
        before, after = policies.differences(rule, wanted)
        if not refused and not after:
            return [self.no_op(f"rule {rule.get('name')!r} of {policy.get('name')!r} already has the declared values",
                               _target(policy, rule))]
        out: list[Change | Finding | NoOp] = []
        if refused:
            out.append(self.finding("medium", f"rule {rule.get('name')!r} of {policy.get('name')!r} is a system rule: "
                                    f"{', '.join(refused)} left as they are (read-only)", _target(policy, rule),
                                    {"read_only": refused}))
        if after:
            out.append(self.change("replace_rule", _target(policy, rule), before, after,
                                   f"rule {rule.get('name')!r} of {policy.get('name')!r}: "
                                   f"{policies.shown(before, after)}."))
        return out

    # apply ------------------------------------------------------------------------------------
    def _ids(self, change: Change) -> tuple[str, str]:
        if change.action != "replace_rule" or "/" not in change.target.id:
            raise InputError(f"{self.name}: the plan names an action this kind does not make: {change.action!r}")
        policy_id, rule_id = change.target.id.split("/", 1)
        return policy_id, rule_id

    async def current(self, ctx: TenantContext, change: Change) -> dict[str, Any]:
        return await policies.current(ctx, ep.POLICY_RULE, self._ids(change), change.before)

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        return await policies.replace(ctx, ep.POLICY_RULE, ep.REPLACE_POLICY_RULE, self._ids(change), change.after)

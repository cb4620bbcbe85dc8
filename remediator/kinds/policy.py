"""`okta.policy`: the selected policies of a type have the declared values.

`type` is Okta's policy type, `name` a policy's name or `"*"` for every policy of the type, and `set`
maps dotted paths (`settings.password.lockout.maxAttempts`, or with a list selector
`settings.authenticators[key=okta_verify].enroll.self`) to the values they must have. Every path is
checked by `validate` against what Okta lets a client set on that type (kinds/policy_model.py): an
unknown or read-only attribute is refused with its file and line, before any tenant is read. Each
policy that differs is one change: its policy re-read and replaced whole (`PUT /api/v1/policies/{id}`).
A named policy that does not exist is a finding. A path under an object only some editions have
(`settings.password.breachedProtection`, `policy_model.EDITION_FEATURES`) on a policy read without that
object is a finding "not available in this org's edition", not a write that the org would refuse.
"""

from __future__ import annotations

from typing import Any

from remediator.errors import InputError
from remediator.facts import POLICIES
from remediator.facts import endpoints as ep
from remediator.kinds import policies
from remediator.kinds.base import Applied, Kind, TenantContext, register
from remediator.kinds.paths import get_path
from remediator.kinds.policy_model import EDITION_FEATURES, POLICY_TYPES, READ_ONLY_TYPES, policy_tree
from remediator.plan import Change, Finding, NoOp, Target

FIELDS = ("id", "name", "type", "status", "priority", "system", "description", "conditions", "settings")


def _target(policy: dict[str, Any]) -> Target:
    return Target(type="policy", id=str(policy["id"]), label=f"{policy.get('type')}: {policy.get('name')}")


@register
class Policy(Kind):
    """Policies of a type, by name or all of them, have the values of `set` (dotted paths).

    Example::

        - name: Passwords lock out after three attempts
          okta.policy:
            type: PASSWORD
            name: "*"
            set:
              settings.password.lockout.maxAttempts: 3
              settings.password.complexity.minLength: 15
    """

    name = "okta.policy"
    folds = frozenset({"replace_policy"})
    schema = {
        "type": "object",
        "required": ["type", "name", "set"],
        "properties": {
            "type": {"enum": list(POLICY_TYPES)},
            "name": policies.NAME_SCHEMA,
            "set": policies.SET_SCHEMA,
        },
        "additionalProperties": False,
    }
    facts = (POLICIES, ep.POLICY)
    writes = (ep.REPLACE_POLICY,)

    @classmethod
    def check(cls, args: dict[str, Any]) -> tuple[tuple[Any, ...], str] | None:
        if args["type"] in READ_ONLY_TYPES:
            return ("type",), f"{args['type']} policies are read-only (Okta's spec)"
        return policies.check_set(policy_tree(args["type"]), args.get("set"))

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        found = await ctx.reads.policies(self.args["type"])
        return {"policies": [{k: p[k] for k in FIELDS if k in p} for p in found]}

    def _selected(self, observed: dict[str, Any]) -> list[dict[str, Any]]:
        name = self.args["name"]
        return [p for p in observed.get("policies", []) if name == "*" or p.get("name") == name]

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        selected = self._selected(observed)
        if not selected:
            none = self.no_op(f"no {self.args['type']} policy to check")
            if self.args["name"] == "*":
                return [none]
            return [none, self.finding("medium", f"no {self.args['type']} policy named {self.args['name']!r}", None,
                                       {"policies": [p.get("name") for p in observed.get("policies", [])]})]
        out: list[Change | Finding | NoOp] = []
        for policy in selected:
            wanted, missing = self._available(policy)
            out.extend(missing)
            before, after = policies.differences(policy, wanted)
            if after:
                out.append(self.change("replace_policy", _target(policy), before, after,
                                       f"{policy.get('type')} policy {policy.get('name')!r}: "
                                       f"{policies.shown(before, after)}."))
            elif not missing:
                out.append(self.no_op(f"{self.args['type']} policy {policy.get('name')!r} already has the declared "
                                      "values", _target(policy)))
        return out

    def _available(self, policy: dict[str, Any]) -> tuple[dict[str, Any], list[Change | Finding | NoOp]]:
        """The paths of `set` this policy can take, and a finding per edition feature it was read without."""
        wanted: dict[str, Any] = dict(self.args["set"])
        findings: list[Change | Finding | NoOp] = []
        for feature, label in EDITION_FEATURES.get(str(policy.get("type")), {}).items():
            under = sorted(p for p in wanted if p == feature or p.startswith(feature + "."))
            if not under or get_path(policy, feature) is not None:
                continue
            for path in under:
                del wanted[path]
            findings.append(self.finding(
                "medium", f"{policy.get('type')} policy {policy.get('name')!r}: {label} is not available in this "
                          "org's edition", _target(policy),
                {"policy": policy.get("name"), "missing": feature, "paths": under}))
        return wanted, findings

    async def current(self, ctx: TenantContext, change: Change) -> dict[str, Any]:
        return await policies.current(ctx, ep.POLICY, (change.target.id,), change.before)

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        if change.action != "replace_policy":
            raise InputError(f"{self.name}: the plan names an action this kind does not make: {change.action!r}")
        return await policies.replace(ctx, ep.POLICY, ep.REPLACE_POLICY, (change.target.id,), change.after)

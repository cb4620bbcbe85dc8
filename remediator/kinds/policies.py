"""What `okta.policy` and `okta.policy_rule` share: `set` checked against the model, the diff of one object, the PUT.

A change replaces the whole policy or rule (`PUT`, as Okta requires), after re-reading it, and shows in
before/after only the paths it sets, so a saved plan applies exactly what was reviewed.
"""

from __future__ import annotations

import json
from typing import Any

from remediator.facts import Endpoint
from remediator.kinds.base import Applied, TenantContext
from remediator.kinds.paths import get_path, set_path
from remediator.kinds.policy_model import problem

#: The keys of `set` are paths and its values Okta's: the map is open here, and every path is checked by
#: the kind's `check` against policy_model (unknown and read-only attributes refused with their line).
SET_SCHEMA: dict[str, Any] = {
    "type": "object", "minProperties": 1, "propertyNames": {"minLength": 1}, "additionalProperties": True,
    "description": "dotted paths (with [key=value] to pick a list item) and the values they must have",
}
NAME_SCHEMA: dict[str, Any] = {"type": "string", "minLength": 1, "description": 'a name, or "*" for every one'}


def check_set(tree: dict[str, Any], paths: Any) -> tuple[tuple[Any, ...], str] | None:
    """The first path of `set` the model refuses, as (("set", path), message), or None."""
    for path in paths or {}:
        found = problem(tree, str(path))
        if found is not None:
            return ("set", path), f"'set.{path}': {found}"
    return None


def differences(obj: dict[str, Any], wanted: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after) for the paths of `wanted` whose value in `obj` differs."""
    before = {p: get_path(obj, p) for p, v in wanted.items() if get_path(obj, p) != v}
    return before, {p: wanted[p] for p in before}


def shown(before: dict[str, Any], after: dict[str, Any]) -> str:
    return "; ".join(f"{p} is {json.dumps(before[p])}, not {json.dumps(after[p])}" for p in before)


async def replace(ctx: TenantContext, read: Endpoint, write: Endpoint, ids: tuple[str, ...],
                  after: dict[str, Any]) -> Applied:
    """Re-read the object, set the paths of `after`, and PUT it whole (the one write of the change)."""
    body = (await ctx.reads.fresh(read, *ids)).body or {}
    for path, value in after.items():
        body = set_path(body, path, value)
    body.pop("_links", None)
    body.pop("_embedded", None)
    resp = await write.send(ctx.client, *ids, json=body)
    return Applied(request_id=resp.request_id, detail={"changed": sorted(after)})


async def current(ctx: TenantContext, read: Endpoint, ids: tuple[str, ...], paths: Any) -> dict[str, Any]:
    body = (await ctx.reads.fresh(read, *ids)).body or {}
    return {p: get_path(body, p) for p in paths}

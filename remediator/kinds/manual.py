"""`manual`: the steps only people can carry out, each reported until someone acknowledges it.

Acknowledgements are journal records written by `remediator ack TENANT STEP --by NAME --note TEXT`
(`{"type": "ack", "tenant", "step", "by", "note", "time"}`); the engine hands this tenant's records to
the kind as `ctx.journal_events`, so reading needs no request to the tenant. The kind never writes.
"""

from __future__ import annotations

from typing import Any

from remediator.kinds.base import Kind, TenantContext, register
from remediator.plan import Change, Finding, NoOp, Target


def acknowledgements(records: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The latest acknowledgement per step id."""
    acks: dict[str, dict[str, Any]] = {}
    for record in records:
        if record.get("type") == "ack" and record.get("step"):
            acks[str(record["step"])] = {k: record.get(k) for k in ("by", "note", "time")}
    return acks


@register
class Manual(Kind):
    """Steps only people can do: each is a finding until acknowledged with `remediator ack`.

    Example::

        - name: Steps only people can do
          manual:
            steps:
              - {id: third-party-risk, title: "Review third parties with access to Okta", owner: security}
              - {id: breach-notification, title: "Draft the breach notification with legal", owner: legal}
    """

    name = "manual"
    schema = {
        "type": "object",
        "required": ["steps"],
        "properties": {
            "steps": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["id", "title"],
                    "properties": {
                        "id": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                               "description": "what `remediator ack TENANT STEP` names"},
                        "title": {"type": "string", "minLength": 1},
                        "owner": {"type": "string", "minLength": 1},
                    },
                    "additionalProperties": False,
                },
            }
        },
        "additionalProperties": False,
    }
    # Reads nothing from Okta (the journal only), writes nothing: it needs no scope.

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        return {"tenant": ctx.name, "acks": acknowledgements(ctx.journal_events)}

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        acks = observed.get("acks", {})
        tenant = observed.get("tenant", "TENANT")
        out: list[Change | Finding | NoOp] = []
        for step in self.args.get("steps", []):
            target = Target(type="manual_step", id=step["id"], label=step["title"])
            if (ack := acks.get(step["id"])) is not None:
                out.append(self.no_op(f"{step['id']}: acknowledged by {ack.get('by')} at {ack.get('time')}"
                                      f": {ack.get('note')}", target))
                continue
            out.append(self.finding(
                "medium", f"manual step not acknowledged yet: {step['title']}", target,
                {"owner": step.get("owner"),
                 "acknowledge": f"remediator ack {tenant} {step['id']} --by NAME --note TEXT"},
            ))
        return out

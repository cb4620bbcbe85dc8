"""The one write of an object whose status changes through `POST {object}/lifecycle/{activate|deactivate}`.

Zones, authenticators, log streams and apps share it. The POST is retried only when a fresh read shows
the status not yet changed, so an interrupted apply never repeats an effective write.
"""

from __future__ import annotations

from typing import Any

from remediator.facts import Endpoint
from remediator.kinds.base import Applied, TenantContext

ACTIONS = {"activate": "ACTIVE", "deactivate": "INACTIVE"}


async def set_status(ctx: TenantContext, read: Endpoint, write: Endpoint, object_id: str) -> Applied:
    """`write` is the object's activate or deactivate endpoint; `read` GETs the object by id."""
    wanted = ACTIONS[write.template.rsplit("/", 1)[-1]]

    async def in_effect() -> Any:
        resp = await ctx.reads.fresh(read, object_id)
        return resp if (resp.body or {}).get("status") == wanted else None

    resp = await write.send(ctx.client, object_id, recheck=in_effect)
    return Applied(request_id=resp.request_id, detail={"status": wanted})


async def status_of(ctx: TenantContext, read: Endpoint, object_id: str) -> dict[str, Any]:
    """`{"status": ...}` of the object now (for stale checks)."""
    return {"status": ((await ctx.reads.fresh(read, object_id)).body or {}).get("status")}

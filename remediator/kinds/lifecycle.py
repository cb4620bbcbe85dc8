"""The one write of an object whose status changes through `POST {path}/lifecycle/{activate|deactivate}`.

Zones, authenticators, log streams and apps share it. The POST is retried only when a re-read shows the
status not yet changed, so an interrupted apply never repeats an effective write.
"""

from __future__ import annotations

from typing import Any

from remediator.kinds.base import Applied, TenantContext

ACTIONS = {"activate": "ACTIVE", "deactivate": "INACTIVE"}


async def set_status(ctx: TenantContext, path: str, action: str) -> Applied:
    """`action` is "activate" or "deactivate"; `path` is the object's own path (`/api/v1/zones/nzo…`)."""
    wanted = ACTIONS[action]

    async def in_effect() -> Any:
        resp = await ctx.client.get(path)
        return resp if (resp.body or {}).get("status") == wanted else None

    resp = await ctx.client.request("POST", f"{path}/lifecycle/{action}", recheck=in_effect)
    return Applied(request_id=resp.request_id, detail={"status": wanted})


async def status_of(ctx: TenantContext, path: str) -> dict[str, Any]:
    """`{"status": ...}` of the object now (for stale checks)."""
    return {"status": ((await ctx.client.get_json(path)) or {}).get("status")}

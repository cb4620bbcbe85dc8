"""Running one kind against a sandbox tenant through the real client: plan, apply, plan again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from remediator.facts import TenantReads
from remediator.kinds import REGISTRY
from remediator.kinds.base import Kind, TenantContext
from remediator.okta.auth import SswsAuth
from remediator.okta.client import OktaClient
from remediator.plan import Change, Finding
from remediator.timeutil import format_time, utcnow


@asynccontextmanager
async def tenant(sandbox: Any, *, break_glass: tuple[str, ...] = (),
                 journal: tuple[dict[str, Any], ...] = ()) -> AsyncIterator[TenantContext]:
    """A fresh context (fresh reads) on the sandbox, as one run of remediator would have."""
    async with OktaClient(sandbox.org_url, SswsAuth(sandbox.token), tenant="sandbox", max_retries=1) as client:
        yield TenantContext(name="sandbox", client=client, reads=TenantReads(client),
                            protected_logins=frozenset(x.lower() for x in break_glass), journal_events=journal)


async def plan(sandbox: Any, kind_name: str, args: dict[str, Any], **ctx: Any) -> tuple[list[Change], list[Finding]]:
    async with tenant(sandbox, **ctx) as context:
        kind: Kind = REGISTRY[kind_name]("live", args)
        out = kind.diff(await kind.read(context))
    return [c for c in out if isinstance(c, Change)], [f for f in out if isinstance(f, Finding)]


async def apply(sandbox: Any, kind_name: str, args: dict[str, Any], changes: list[Change], **ctx: Any) -> list[Any]:
    """Check each change is pending, apply it (as the engine does from a saved plan), then check in a
    later run (fresh reads, fresh kind, the journal of this run as the engine keeps it) that every change
    is done, so a rerun would skip it. The journal matters: Okta may persist a write's event late."""
    applied = []
    async with tenant(sandbox, **ctx) as context:
        kind: Kind = REGISTRY[kind_name]("live", args)
        for change in changes:
            assert kind.verdict(change, await kind.current(context, change)) == "pending", change
            applied.append(await kind.apply_all(context, change))
    records = tuple({"tenant": "sandbox", "change": c.to_json(), "result": "applied", "request_id": a.request_id,
                     "detail": a.detail, "time": format_time(utcnow())} for c, a in zip(changes, applied, strict=True))
    ctx = {**ctx, "journal": (*ctx.get("journal", ()), *records)}
    async with tenant(sandbox, **ctx) as context:
        kind = REGISTRY[kind_name]("live", {})
        for change in changes:
            assert kind.verdict(change, await kind.current(context, change)) == "done", change
    return applied

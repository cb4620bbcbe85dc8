"""Applying: guardrails first, then each change journalled before and after its one write.

From a saved plan every change is re-read first: if any target moved since it was planned the
tenant's plan is refused as stale and nothing is written; a change already in effect (an earlier,
interrupted run made it) is skipped, so a rerun never repeats a write.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from remediator.engine.session import RunSettings, TenantSession, scopes_of
from remediator.errors import RemediatorError
from remediator.guardrails import check_max_changes
from remediator.journal import Journal, tenant_lock
from remediator.kinds import REGISTRY
from remediator.kinds.base import Kind
from remediator.plan import Change, Plan, TenantPlan

log = logging.getLogger(__name__)


@dataclass
class TenantRecap:
    """Ansible-style recap of one tenant: states ok, changes made, failed, skipped."""

    name: str
    ok: int = 0
    changed: int = 0
    failed: int = 0
    skipped: int = 0
    error: str | None = None
    results: list[dict[str, Any]] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return self.failed == 0 and self.error is None


@dataclass
class ApplyOutcome:
    recaps: list[TenantRecap]

    @property
    def exit_code(self) -> int:
        return 0 if all(r.success for r in self.recaps) else 1


async def apply_plan(
    plan: Plan,
    specs: Mapping[str, Any],
    settings: RunSettings,
    journal: Journal,
    *,
    saved: bool,
    args: Mapping[str, Mapping[str, tuple[str, dict[str, Any]]]] | None = None,
    max_changes: Mapping[str, int | None] | None = None,
    variables: Mapping[str, dict[str, Any]] | None = None,
    client_factory: Callable[..., Any] | None = None,
) -> ApplyOutcome:
    """Apply every tenant's changes, tenants concurrently (at most `settings.forks`)."""
    gate = asyncio.Semaphore(max(1, settings.forks))

    async def one(tenant: TenantPlan) -> TenantRecap:
        async with gate:
            limit = settings.max_changes
            if limit is None and max_changes:
                limit = max_changes.get(tenant.name)
            return await _apply_tenant(
                tenant,
                specs.get(tenant.name),
                settings,
                journal,
                plan=plan,
                saved=saved,
                args=(args or {}).get(tenant.name, {}),
                limit=limit,
                variables=(variables or {}).get(tenant.name, {}),
                client_factory=client_factory,
            )

    recaps = await asyncio.gather(*(one(t) for t in plan.tenants))
    return ApplyOutcome(recaps=list(recaps))


async def _apply_tenant(
    tenant: TenantPlan,
    spec: Any,
    settings: RunSettings,
    journal: Journal,
    *,
    plan: Plan,
    saved: bool,
    args: Mapping[str, tuple[str, dict[str, Any]]],
    limit: int | None,
    variables: dict[str, Any],
    client_factory: Callable[..., Any] | None,
) -> TenantRecap:
    recap = TenantRecap(name=tenant.name)
    if tenant.status != "ok":
        recap.error = tenant.error or "tenant could not be planned"
        return recap
    if spec is None:
        recap.error = f"tenant {tenant.name!r} of the plan is not in the inventory"
        return recap
    states = {c.state for c in tenant.changes}
    recap.ok = len({s for s in args} - states) if args else 0
    if not tenant.changes:
        return recap
    base = {"type": "change", "tenant": tenant.name, "org_url": tenant.org_url, "playbook": plan.playbook.to_json()}
    try:
        check_max_changes(tenant.name, tenant.changes, limit)
        scopes = scopes_of({c.kind for c in tenant.changes})
        async with TenantSession(spec, settings, variables=variables, client_factory=client_factory,
                                 scopes=scopes) as session:
            kinds = _kinds_for(tenant.changes, args)
            changes = list(tenant.changes)
            base["org_id"] = session.org_id
            # one writer per tenant: held from before the re-reads to the last write, so that a second
            # apply of the same plan re-reads after the first one's writes and finds them in effect
            async with tenant_lock(journal.path, spec.org_url, session.org_id, wait=settings.lock_wait,
                                   notify=settings.on_lock_wait):
                if saved:
                    changes = await _recheck(changes, kinds, session, journal, base, recap)
                await _write_all(changes, kinds, session, journal, base, recap, settings.writes_per_tenant)
    except RemediatorError as exc:
        recap.error = str(exc)
        journal.append({**base, "type": "tenant_error", "result": "failed", "error": str(exc)})
    except Exception as exc:  # isolation boundary: one tenant's bug must not stop the others
        log.exception("tenant %s failed", tenant.name)
        recap.error = f"internal error: {type(exc).__name__}: {exc}"
        journal.append({**base, "type": "tenant_error", "result": "failed", "error": recap.error})
    return recap


def _kinds_for(changes: tuple[Change, ...], args: Mapping[str, tuple[str, dict[str, Any]]]) -> dict[str, Kind]:
    kinds: dict[str, Kind] = {}
    for change in changes:
        if change.state in kinds:
            continue
        kind_name, kind_args = args.get(change.state, (change.kind, {}))
        if kind_name != change.kind or change.kind not in REGISTRY:
            kind_name, kind_args = change.kind, {}
        cls = REGISTRY.get(kind_name)
        if cls is None:
            raise RemediatorError(f"the plan names a kind this remediator does not know: {change.kind!r}")
        kinds[change.state] = cls(change.state, kind_args)
    return kinds


async def _recheck(
    changes: list[Change],
    kinds: dict[str, Kind],
    session: TenantSession,
    journal: Journal,
    base: dict[str, Any],
    recap: TenantRecap,
) -> list[Change]:
    """Re-read every target; refuse the whole tenant if any moved; drop those already in effect."""
    verdicts = await asyncio.gather(*(_verdict(kinds[c.state], c, session) for c in changes))
    stale = [(c, cur) for c, (v, cur) in zip(changes, verdicts, strict=True) if v == "stale"]
    if stale:
        for change, current in stale:
            _record(journal, base, recap, change, "stale", current=current,
                    error="target changed since the plan was made")
        recap.failed += len(stale)
        recap.skipped += len(changes) - len(stale)
        recap.error = (
            f"{len(stale)} change(s) stale: the tenant moved since the plan was made; nothing was written "
            "(plan again)"
        )
        return []
    pending = []
    for change, (verdict, _current) in zip(changes, verdicts, strict=True):
        if verdict == "done":
            _record(journal, base, recap, change, "skipped", note="already in effect")
            recap.skipped += 1
        else:
            pending.append(change)
    return pending


async def _verdict(kind: Kind, change: Change, session: TenantSession) -> tuple[str, dict[str, Any]]:
    current = await kind.current(session.ctx, change)  # type: ignore[arg-type]
    return kind.verdict(change, current), current


async def _write_all(
    changes: list[Change],
    kinds: dict[str, Kind],
    session: TenantSession,
    journal: Journal,
    base: dict[str, Any],
    recap: TenantRecap,
    width: int,
) -> None:
    """States in playbook order; the changes of one state concurrently (the client paces them)."""
    by_state: dict[str, list[Change]] = {}
    for change in changes:
        by_state.setdefault(change.state, []).append(change)
    gate = asyncio.Semaphore(max(1, width))

    async def write(change: Change) -> str:
        async with gate:
            return await _write_one(change, kinds[change.state], session, journal, base, recap)

    for group in by_state.values():
        outcomes = Counter(await asyncio.gather(*(write(c) for c in group)))
        recap.changed += outcomes["applied"]
        recap.failed += outcomes["failed"]


async def _write_one(
    change: Change, kind: Kind, session: TenantSession, journal: Journal, base: dict[str, Any], recap: TenantRecap
) -> str:
    journal.append({**base, "change": change.to_json(), "result": "pending", "request_id": None, "error": None})
    try:
        applied = await kind.apply(session.ctx, change)  # type: ignore[arg-type]
    except RemediatorError as exc:
        _record(journal, base, recap, change, "failed", request_id=getattr(exc, "request_id", None), error=str(exc))
        return "failed"
    _record(journal, base, recap, change, "applied", request_id=applied.request_id, detail=applied.detail)
    return "applied"


def _record(
    journal: Journal, base: dict[str, Any], recap: TenantRecap, change: Change, result: str, **extra: Any
) -> None:
    """A change's outcome, in the journal (with everything said about it) and in the tenant's recap."""
    journal.append({**base, "change": change.to_json(), "result": result, "error": None, **extra})
    summary = {"change": change.id, "result": result}
    summary.update({k: extra[k] for k in ("request_id", "error") if extra.get(k)})
    recap.results.append(summary)

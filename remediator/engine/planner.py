"""Planning: read each tenant, diff every state, apply the guardrails. Never writes to a tenant."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from remediator.engine.session import RunSettings, TenantSession, scopes_of
from remediator.errors import RemediatorError
from remediator.guardrails import Protected, is_lockout, protect
from remediator.kinds import REGISTRY
from remediator.plan import Change, Finding, Plan, PlaybookRef, TenantPlan
from remediator.timeutil import format_time, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TenantJob:
    """A tenant with its playbook rendered for it (rendering happens before any request)."""

    spec: Any
    rendered: Any  # remediator.playbook.RenderedPlaybook


@dataclass
class PlannedRun:
    """A plan plus what applying it from the playbook needs: each state's arguments per tenant."""

    plan: Plan
    args: dict[str, dict[str, tuple[str, dict[str, Any]]]] = field(default_factory=dict)
    #: per tenant, per state: why what is already right needs nothing (shown with --verbose)
    notes: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    max_changes: dict[str, int | None] = field(default_factory=dict)


async def plan_all(
    playbook_ref: PlaybookRef,
    jobs: Sequence[TenantJob],
    settings: RunSettings,
    *,
    client_factory: Callable[..., Any] | None = None,
) -> PlannedRun:
    """Plan every tenant concurrently (at most `settings.forks` at once)."""
    gate = asyncio.Semaphore(max(1, settings.forks))

    async def one(job: TenantJob) -> tuple[TenantPlan, dict[str, list[str]]]:
        async with gate:
            notes: dict[str, list[str]] = {}
            return await plan_tenant(job, settings, client_factory=client_factory, notes=notes), notes

    results = await asyncio.gather(*(one(job) for job in jobs))
    plan = Plan(created_at=format_time(utcnow()), playbook=playbook_ref, tenants=tuple(t for t, _ in results))
    run = PlannedRun(plan=plan, notes={t.name: notes for t, notes in results})
    for job in jobs:
        run.args[job.spec.name] = {s.name: (s.kind, s.args) for s in job.rendered.states}
        run.max_changes[job.spec.name] = job.rendered.max_changes
    return run


async def plan_tenant(
    job: TenantJob,
    settings: RunSettings,
    *,
    client_factory: Callable[..., Any] | None = None,
    notes: dict[str, list[str]] | None = None,
) -> TenantPlan:
    """Read, diff and guard one tenant; `notes` (if given) receives each state's "nothing to do" reasons."""
    spec = job.spec
    try:
        kinds_used = {s.kind for s in job.rendered.states if s.when}
        async with TenantSession(
            spec, settings, variables=job.rendered.variables, client_factory=client_factory,
            scopes=scopes_of(kinds_used),
        ) as session:
            assert session.ctx is not None
            kinds = [REGISTRY[s.kind](s.name, s.args) for s in job.rendered.states if s.when]
            outcomes = await asyncio.gather(*(_read_and_diff(kind, session) for kind in kinds))
            results = [items for items, _ in outcomes]
            if notes is not None:
                notes.update({kind.state: why for kind, (_, why) in zip(kinds, outcomes, strict=True) if why})
            changes = [item for items in results for item in items if isinstance(item, Change)]
            findings = [item for items in results for item in items if isinstance(item, Finding)]
            changes = drop_covered_session_clears(changes)
            changes, guarded = await _guard(changes, session)
            return TenantPlan(
                name=spec.name,
                org_url=spec.org_url,
                changes=tuple(changes),
                findings=tuple(findings + guarded),
            )
    except RemediatorError as exc:
        return TenantPlan(name=spec.name, org_url=spec.org_url, status="error", error=str(exc))
    except Exception as exc:  # isolation boundary: one tenant's bug must not stop the others
        log.exception("tenant %s failed", spec.name)
        return TenantPlan(
            name=spec.name, org_url=spec.org_url, status="error", error=f"internal error: {type(exc).__name__}: {exc}"
        )


def ends_sessions(change: Change) -> bool:
    """A suspend, or a password change that says it revokes sessions, ends the user's sessions too."""
    return change.target.type == "user" and (change.action == "suspend" or change.after.get("sessions_revoked") is True)


def drop_covered_session_clears(changes: list[Change]) -> list[Change]:
    """Kinds plan independently, so two may end the same user's sessions; make that write once.

    A `clear_sessions` change for a user whose sessions another change of the same plan ends is
    dropped: the other change's reason says so, and the next plan finds the sessions cleared.
    """
    covered = {c.target.id for c in changes if ends_sessions(c)}
    return [c for c in changes if not (c.action == "clear_sessions" and c.target.id in covered)]


async def _read_and_diff(kind: Any, session: TenantSession) -> tuple[list[Change | Finding], list[str]]:
    observed = await kind.read(session.ctx)
    return list(kind.diff(observed)), list(kind.explain(observed))


async def _guard(changes: list[Change], session: TenantSession) -> tuple[list[Change], list[Finding]]:
    """Second line of defence against locking out the operator, break-glass or the last super admin."""
    if not any(is_lockout(c) for c in changes):
        return changes, []
    assert session.ctx is not None
    reads = session.ctx.reads
    me = await reads.me()
    admins = await reads.admins()
    active_supers = frozenset(
        a.user["id"]
        for a in admins
        if a.user.get("status") == "ACTIVE"
        and any(r.get("type") == "SUPER_ADMIN" and r.get("status", "ACTIVE") == "ACTIVE" for r in a.roles)
    )
    operator_login = str((me.get("profile") or {}).get("login", "")).lower()
    protected = Protected(
        user_ids=frozenset({me["id"]} if me.get("id") else ()),  # a service app owns no user account
        logins=session.ctx.protected_logins | ({operator_login} if operator_login else frozenset()),
        active_super_admins=active_supers,
    )
    return protect(changes, protected)

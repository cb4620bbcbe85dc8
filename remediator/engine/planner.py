"""Planning: read each tenant, decide every state, apply the guardrails. Never writes to a tenant.

`decide` is the one derivation of what a tenant needs: planning records it in the plan, and applying
calls it again, with the plan's own states, just before writing (see `applier`). Applying passes the
planned changes: the kinds that opt in (`Kind.targeted`) and the guardrails then re-read only what those
changes' targets need (`remediator.facts.TargetedReads`, whose docstring says why that is enough).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Coroutine, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from remediator import progress, triage
from remediator.engine.heap import fewer_collections
from remediator.engine.session import PlanSettings, TenantSession, scopes_of
from remediator.errors import RemediatorError
from remediator.facts import TargetedReads, TenantReads
from remediator.guardrails import DEFAULT_MAX_CHANGES, Protected, is_lockout, protect
from remediator.kinds import REGISTRY
from remediator.kinds.base import Kind, TenantContext
from remediator.plan import Change, Finding, NoOp, Plan, PlannedState, PlaybookRef, TenantPlan
from remediator.playbook import render_states
from remediator.timeutil import format_time, utcnow
from remediator.validation import SECRET_KEYS

T = TypeVar("T")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TenantJob:
    """A tenant with its playbook rendered for it (rendering happens before any request)."""

    spec: Any
    rendered: Any  # remediator.playbook.RenderedPlaybook


@dataclass
class Decision:
    """What one tenant needs now: guarded changes, findings, and why the rest needs nothing."""

    changes: list[Change]
    findings: list[Finding]
    notes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: keys of changes a guardrail turned into findings (protected accounts, last super admin)
    guarded: frozenset[tuple[str, ...]] = frozenset()


def jobs_for(playbook: Any, tenants: Iterable[Any], extra_vars: dict[str, Any],
             tags: set[str] | None = None) -> list[TenantJob]:
    """Render the playbook for every tenant first, so that bad input fails before any request."""
    return [TenantJob(spec, render_states(playbook, spec.vars, extra_vars, tags=tags)) for spec in tenants]


def playbook_ref(playbook: Any) -> PlaybookRef:
    """Which playbook a plan comes from: path, SHA-256, git commit when there is one."""
    return PlaybookRef(path=str(playbook.path), sha256=playbook.sha256, git=playbook.git_info())


async def plan(jobs: Sequence[TenantJob], settings: PlanSettings) -> Plan:
    """Plan every tenant concurrently (at most `settings.forks` at once)."""
    gate = asyncio.Semaphore(max(1, settings.forks))

    async def one(job: TenantJob) -> TenantPlan:
        async with gate:
            progress.tenant_started(job.spec.name)
            try:
                return await plan_tenant(job, settings)
            finally:
                progress.tenant_done(job.spec.name)

    progress.tenants(len(jobs))
    with fewer_collections():
        tenants = await asyncio.gather(*(one(job) for job in jobs))
    return Plan(created_at=format_time(utcnow()), playbook=settings.playbook, tenants=tuple(tenants))


def planned_states(job: TenantJob) -> tuple[PlannedState, ...]:
    """The states that apply to this tenant (`when` true), with their rendered arguments."""
    return tuple(PlannedState(s.name, s.kind, _plain(s.args), tuple(s.tags)) for s in job.rendered.states if s.when)


async def plan_tenant(job: TenantJob, settings: PlanSettings) -> TenantPlan:
    """Read, decide and guard one tenant; its failure is recorded in its plan, never raised."""
    spec, variables = job.spec, job.rendered.variables
    states = planned_states(job)
    limit = job.rendered.max_changes
    empty = TenantPlan(
        name=spec.name, org_url=spec.org_url, states=states,
        max_changes=DEFAULT_MAX_CHANGES if limit is None else limit,
        protected_logins=protected_logins(variables), vars=public_vars(variables),
    )
    try:
        async with TenantSession(spec, settings, variables=variables, protected_logins=empty.protected_logins,
                                 scopes=scopes_of(s.kind for s in states)) as session:
            assert session.org is not None
            decision = await decide(kinds_of(states), session)
            assert session.ctx is not None
            findings = triage.mark(decision.findings, triage.active_acks(session.ctx.journal_events, utcnow()))
            return _replace(empty, org_id=session.org.id, changes=tuple(decision.changes),
                            findings=findings, notes=decision.notes)
    except RemediatorError as exc:
        return _replace(empty, status="error", error=str(exc))
    except Exception as exc:  # isolation boundary: one tenant's bug must not stop the others
        log.exception("tenant %s failed", spec.name)
        return _replace(empty, status="error", error=f"internal error: {type(exc).__name__}: {exc}")


def _replace(tenant: TenantPlan, **changes: Any) -> TenantPlan:
    return replace(tenant, **changes)


def kinds_of(states: Iterable[PlannedState]) -> list[Kind]:
    return [REGISTRY[s.kind](s.name, s.args) for s in states]


async def decide(kinds: Sequence[Kind], session: TenantSession, planned: Sequence[Change] | None = None) -> Decision:
    """Read and diff every kind, make a user's session-ending write once, then apply the guardrails.

    `planned`: re-deciding these changes of a saved plan (apply), not planning: the kinds that opt in and
    the guardrails read only what those changes' targets need (`targeted_reads`)."""
    outcomes = await _all_or_none([_read_and_diff(kind, session, _context(kind, session, planned))
                                   for kind in kinds])
    items = [item for found, _ in outcomes for item in found]
    notes = {kind.state: tuple(why) for kind, (_, why) in zip(kinds, outcomes, strict=True) if why}
    changes = drop_covered_session_clears([i for i in items if isinstance(i, Change)])
    findings = [i for i in items if isinstance(i, Finding)]
    kept, guarded = await _guard(changes, session, targeted_reads(session, planned))
    kept_ids = {c.id for c in kept}
    return Decision(changes=kept, findings=findings + guarded, notes=notes,
                    guarded=frozenset(c.key for c in changes if c.id not in kept_ids))


def protected_logins(variables: dict[str, Any]) -> tuple[str, ...]:
    """The `break_glass` logins, lower case, sorted: automation never suspends, resets or strips them."""
    value = variables.get("break_glass") or []
    items = [value] if isinstance(value, str) else value
    return tuple(sorted({str(x).lower() for x in items}))


def public_vars(variables: dict[str, Any]) -> dict[str, Any]:
    """The tenant's variables without any whose name (or a key inside it) names a secret."""
    return {k: _plain(v) for k, v in variables.items() if not _names_secret(k) and not _holds_secret(v)}


def _names_secret(key: Any) -> bool:
    return str(key).lower().replace("_", "").replace("-", "").replace(" ", "") in SECRET_KEYS


def _holds_secret(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_names_secret(k) or _holds_secret(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_secret(v) for v in value)
    return False


def _plain(value: Any) -> Any:
    """JSON values only (YAML may give dates): what the plan document can carry exactly."""
    return json.loads(json.dumps(value, default=str))


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


def targeted_reads(session: TenantSession, planned: Sequence[Change] | None,
                   state: str | None = None) -> TenantReads | None:
    """The session's reads narrowed to the users `planned` targets (those of `state` only, if given), or None
    when planning (no `planned`: everything is read in full)."""
    if planned is None:
        return None
    assert session.ctx is not None
    users = {c.target.id for c in planned if c.target.type == "user"}
    mine = users if state is None else {c.target.id for c in planned if c.target.type == "user" and c.state == state}
    return TargetedReads(session.ctx.reads, mine, users)


def _context(kind: Kind, session: TenantSession, planned: Sequence[Change] | None) -> TenantContext:
    """What `kind` reads through: the session's context, narrowed at apply for a kind that opts in."""
    assert session.ctx is not None
    narrow = targeted_reads(session, planned, kind.state) if kind.targeted else None
    return session.ctx if narrow is None else replace(session.ctx, reads=narrow)


async def _all_or_none(coros: Sequence[Coroutine[Any, Any, T]]) -> list[T]:
    """Every result, or the first error once the others are cancelled: a read left running would go on
    after the session closed its client (and open an HTTP session nobody closes)."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def _read_and_diff(kind: Kind, session: TenantSession,
                         ctx: TenantContext | None = None) -> tuple[list[Change | Finding], list[str]]:
    """The kind's decision on what it read (through `ctx`, the session's by default): changes and findings, and
    the reasons of its no-ops (`plan -v`)."""
    tenant = session.spec.name
    progress.state_started(tenant, kind.state)
    try:
        observed = await kind.read(ctx or session.ctx)  # type: ignore[arg-type]
    finally:
        progress.state_done(tenant, kind.state)
    items = list(kind.diff(observed))
    decided = [i for i in items if isinstance(i, Change | Finding)]
    return decided, [i.reason for i in items if isinstance(i, NoOp)]


async def _guard(changes: list[Change], session: TenantSession,
                 reads: TenantReads | None = None) -> tuple[list[Change], list[Finding]]:
    """Second line of defence against locking out the operator, break-glass or the last super admin."""
    if not any(is_lockout(c) for c in changes):
        return changes, []
    return protect(changes, await protection(session, changes, reads))


async def protection(session: TenantSession, changes: Iterable[Change] = (),
                     reads: TenantReads | None = None) -> Protected:
    """Who must not be locked out now: the token owner, `break_glass` logins, the active super admins, and
    the service app remediator runs as. The users are read only when `changes` (default: any) touch a user,
    so that a playbook that changes only apps needs no user or role scope. `reads`: the session's, unless
    apply narrowed them to a plan's targets (`targeted_reads`)."""
    assert session.ctx is not None
    client_id = getattr(session.client, "client_id", None)
    changes = list(changes)
    if changes and not any(is_lockout(c) and c.target.type == "user" for c in changes):
        return Protected(app_ids=frozenset({client_id} if client_id else ()))
    reads = reads or session.ctx.reads
    me = await reads.me()
    active_supers = await reads.active_super_admins()
    operator_login = str((me.get("profile") or {}).get("login", "")).lower()
    return Protected(
        app_ids=frozenset({client_id} if client_id else ()),  # a service app: the app is the operator
        user_ids=frozenset({me["id"]} if me.get("id") else ()),  # a service app owns no user account
        logins=session.ctx.protected_logins | ({operator_login} if operator_login else frozenset()),
        active_super_admins=active_supers,
    )

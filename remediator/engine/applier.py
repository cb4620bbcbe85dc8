"""Applying a plan (a saved file, or one just made from a playbook: the same path), tenant by tenant.

1. The plan is untrusted input: every state's kind is known and its arguments valid, every change
   belongs to a declared state of its kind, no change twice, ids match their content; `max_changes`
   (the plan's, or the operator's `--max-changes`) holds.
2. The org: the inventory tenant's URL and the org id Okta reports are those the plan was made for.
   Protected logins are the plan's and, in case they grew since, the inventory's `break_glass`.
3. Re-decide: the states with planned changes are read and diffed again with their planned arguments
   and guarded again (token owner, `break_glass`, last active super admin). A planned change is
   written only if the fresh decision holds it unchanged (same action, target, before and after).
   Since a change can only be kept or dropped here, never added, the kinds that opt in and the
   guardrails re-read only what the planned targets need (each target user by id, its roles, and one
   super admin the plan does not touch: `remediator.facts.TargetedReads`), not the whole population.
   One missing from it is skipped when already in effect (an earlier, interrupted run made it) and
   otherwise stale: then the tenant's plan is refused whole and nothing is written.
4. Write: states in plan order, each change journalled `pending` before its writes and with its
   result after; a change that makes several writes journals each (`type: step`), so a rerun
   completes the ones an interrupted run did not make. Changes of a folding action (`Kind.folds`: PUT
   an object whole) on one target from several states are one write, the first, with every state's paths.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from remediator.engine.planner import Decision, decide, protected_logins, protection, targeted_reads
from remediator.engine.session import ApplySettings, TenantSession, scopes_of
from remediator.errors import PlaybookError, RemediatorError
from remediator.guardrails import DEFAULT_MAX_CHANGES, Protected, check_max_changes, is_lockout
from remediator.journal import Journal, tenant_lock
from remediator.kinds import REGISTRY
from remediator.kinds.base import Kind
from remediator.plan import Change, Plan, TenantPlan
from remediator.validation import describe, validator

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
class Recap:
    """What `apply` did, per tenant of the plan."""

    tenants: list[TenantRecap]

    @property
    def exit_code(self) -> int:
        return 0 if all(r.success for r in self.tenants) else 1


@dataclass(frozen=True)
class _Todo:
    change: Change
    resume: tuple[str, ...] | None = None  # the further writes still to make of a change already in effect
    write_as: Change | None = None  # this change with the paths of the later ones folded into it (`Kind.folds`)
    leader: str | None = None  # the id of the earlier change whose one write makes this one too


async def apply(plan: Plan, tenants: Sequence[Any], journal: Journal, settings: ApplySettings) -> Recap:
    """Apply every tenant's changes, tenants concurrently (at most `settings.forks`); `tenants` are the
    inventory's, matched to the plan's by name and then checked by org."""
    specs = {t.name: t for t in tenants}
    gate = asyncio.Semaphore(max(1, settings.forks))

    async def one(tenant: TenantPlan) -> TenantRecap:
        async with gate:
            return await _apply_tenant(tenant, specs.get(tenant.name), plan, journal, settings)

    return Recap(tenants=list(await asyncio.gather(*(one(t) for t in plan.tenants))))


class _Run:
    """One tenant's apply: its journal records and its recap, kept together."""

    def __init__(self, tenant: TenantPlan, plan: Plan, journal: Journal,
                 on_result: Callable[[str, Change, str, dict[str, Any]], None] | None = None) -> None:
        self.journal = journal
        self.on_result = on_result
        self.recap = TenantRecap(name=tenant.name)
        self.base = {"type": "change", "tenant": tenant.name, "org_url": tenant.org_url, "org_id": tenant.org_id,
                     "playbook": plan.playbook.to_json()}
        self.history: tuple[dict[str, Any], ...] = ()

    def record(self, change: Change, result: str, **extra: Any) -> None:
        """A change's outcome, in the journal (with everything said about it) and in the recap."""
        self.journal.append({**self.base, "change": change.to_json(), "result": result, "error": None, **extra})
        summary = {"change": change.id, "result": result}
        summary.update({k: extra[k] for k in ("request_id", "error") if extra.get(k)})
        self.recap.results.append(summary)
        if self.on_result is not None:
            self.on_result(self.recap.name, change, result, extra)

    def step(self, change: Change, step: str, result: str, **extra: Any) -> None:
        """One write of a change that makes several. No `change` and no `result` key: it is not the change's
        outcome (readers that count changes by `result` never see it); `step_result` says how it went."""
        self.journal.append({**self.base, "type": "step", "change_id": change.id, "step": step,
                             "step_result": result, "request_id": None, "error": None, **extra})

    def steps_to_resume(self, kind: Kind, change: Change) -> tuple[str, ...]:
        """The further writes of a change in effect that an earlier run began and did not finish."""
        ours = [r for r in self.history if (r.get("change") or {}).get("id") == change.id
                or r.get("change_id") == change.id]
        if not ours or any(r.get("change") and r.get("result") == "applied" for r in ours):
            return ()
        done = {r.get("step") for r in ours if r.get("type") == "step" and r.get("step_result") == "applied"}
        return tuple(s for s in kind.follow_ups(change) if s not in done)


async def _apply_tenant(
    tenant: TenantPlan, spec: Any, plan: Plan, journal: Journal, settings: ApplySettings
) -> TenantRecap:
    run = _Run(tenant, plan, journal, settings.on_result)
    recap = run.recap
    if tenant.status != "ok":
        recap.error = tenant.error or "tenant could not be planned"
        return recap
    if spec is None:
        recap.error = f"tenant {tenant.name!r} of the plan is not in the inventory"
        return recap
    recap.ok = len({s.name for s in tenant.states} - {c.state for c in tenant.changes})
    if not tenant.changes:
        return recap
    try:
        kinds = checked_kinds(tenant)
        _check_org_url(tenant, spec)
        limit = settings.max_changes if settings.max_changes is not None else tenant.max_changes
        check_max_changes(tenant.name, tenant.changes, DEFAULT_MAX_CHANGES if limit is None else limit)
        protected = {*tenant.protected_logins, *protected_logins(getattr(spec, "vars", None) or {})}
        async with TenantSession(spec, settings, variables=tenant.vars, protected_logins=protected,
                                 scopes=scopes_of(k.name for k in kinds.values())) as session:
            assert session.org is not None and session.ctx is not None
            why = session.org.differs(tenant.org_url, tenant.org_id)
            if why:
                raise PlaybookError(f"the plan is not for this org: {why}; nothing was written", where=tenant.name)
            # one writer per tenant: held from before the re-reads to the last write, so that a second
            # apply of the same plan re-reads after the first one's writes and finds them in effect
            async with tenant_lock(journal.path, spec.org_url, session.org_id, wait=settings.lock_wait,
                                   notify=settings.on_lock_wait):
                session.reload_journal()
                run.history = session.ctx.journal_events
                todo = await _redecide(tenant, kinds, session, run)
                await _write_all(tenant, todo, kinds, session, run, settings.writes_per_tenant)
    except RemediatorError as exc:
        recap.error = str(exc)
        journal.append({**run.base, "type": "tenant_error", "result": "failed", "error": str(exc)})
    except Exception as exc:  # isolation boundary: one tenant's bug must not stop the others
        log.exception("tenant %s failed", tenant.name)
        recap.error = f"internal error: {type(exc).__name__}: {exc}"
        journal.append({**run.base, "type": "tenant_error", "result": "failed", "error": recap.error})
    return recap


def checked_kinds(tenant: TenantPlan) -> dict[str, Kind]:
    """The kinds of the states that have planned changes, built from the plan's own arguments, after
    checking everything the plan claims about them (a plan document is untrusted input)."""
    where = f"plan: tenant {tenant.name}"
    declared: dict[str, Any] = {}
    for state in tenant.states:
        if state.name in declared:
            raise PlaybookError(f"state {state.name!r} is declared twice", where=where)
        cls = REGISTRY.get(state.kind)
        if cls is None:
            raise PlaybookError(f"state {state.name!r}: unknown kind {state.kind!r}", where=where)
        error = next(iter(validator(cls.schema).iter_errors(state.args)), None)
        if error is not None:
            raise PlaybookError(f"state {state.name!r}: {state.kind}: {describe(error)}", where=where)
        declared[state.name] = state
    seen: set[tuple[str, ...]] = set()
    for change in tenant.changes:
        planned = declared.get(change.state)
        if planned is None or planned.kind != change.kind:
            raise PlaybookError(f"change {change.id}: no state {change.state!r} of kind {change.kind!r} in the plan",
                                where=where)
        if change.id != replace(change, id="").id:
            raise PlaybookError(f"change {change.id}: its id does not match its state, action and target "
                                "(edited?)", where=where)
        if change.key in seen:
            raise PlaybookError(f"change {change.id} is planned twice", where=where)
        seen.add(change.key)
        if change.local != REGISTRY[change.kind].local:
            raise PlaybookError(f"change {change.id}: 'local' is wrong for {change.kind}", where=where)
    names = {c.state for c in tenant.changes}
    return {s.name: REGISTRY[s.kind](s.name, s.args) for s in tenant.states if s.name in names}


def _check_org_url(tenant: TenantPlan, spec: Any) -> None:
    if tenant.org_url.rstrip("/").lower() != str(spec.org_url).rstrip("/").lower():
        raise PlaybookError(f"the plan is not for this org: it was made for {tenant.org_url}, the inventory's "
                            f"tenant is {spec.org_url}; nothing was written", where=tenant.name)
    if tenant.org_id is None:
        raise PlaybookError("the plan does not say which org it was made for (org_id); nothing was written",
                            where=tenant.name)


async def _redecide(tenant: TenantPlan, kinds: Mapping[str, Kind], session: TenantSession, run: _Run) -> list[_Todo]:
    """Decide again now; keep the planned changes the decision still holds, refuse the tenant on any other."""
    ordered = [kinds[s.name] for s in tenant.states if s.name in kinds]
    decision = await decide(ordered, session, tenant.changes)
    fresh = {c.key: c for c in decision.changes}
    todo: list[_Todo] = []
    doubtful: list[Change] = []
    for change in tenant.changes:
        now = fresh.get(change.key)
        if now is not None and kinds[change.state].same_change(change, now):
            todo.append(_Todo(change))
        else:
            doubtful.append(change)
    verdicts = await asyncio.gather(*(_verdict(kinds[c.state], c, session) for c in doubtful))
    guard = (await protection(session, doubtful, targeted_reads(session, tenant.changes))
             if any(is_lockout(c) for c in doubtful) else None)
    stale: list[tuple[Change, dict[str, Any], str]] = []
    done: list[Change] = []
    for change, (verdict, current) in zip(doubtful, verdicts, strict=True):
        if verdict == "done":
            resume = run.steps_to_resume(kinds[change.state], change)
            if resume:
                todo.append(_Todo(change, resume))
            else:
                done.append(change)
        else:
            stale.append((change, current, _why_stale(change, fresh.get(change.key), decision, guard)))
    if stale:
        for change, current, why in stale:
            run.record(change, "stale", current=current, error=why)
        run.recap.failed += len(stale)
        run.recap.skipped += len(tenant.changes) - len(stale)
        run.recap.error = (f"{len(stale)} change(s) stale: {stale[0][2]}; nothing was written (plan again)")
        return []
    for change in done:
        run.record(change, "skipped", note="already in effect")
        run.recap.skipped += 1
    return todo


def _why_stale(change: Change, fresh: Change | None, decision: Decision, guard: Protected | None) -> str:
    what = f"{change.action} {change.target.label or change.target.id}"
    if change.key in decision.guarded or (guard is not None and is_lockout(change) and _guarded(change, guard)):
        return (f"{what}: a guardrail protects this account (the token owner, a break_glass login or the last "
                "active super admin)")
    if fresh is not None:
        return f"{what}: the tenant now calls for another change"
    found = next((f for f in decision.findings if f.state == change.state and f.target is not None
                  and f.target.type == change.target.type and f.target.id == change.target.id), None)
    if found is not None:
        return f"{what}: the state now finds, instead of a change: {found.title}"
    return f"{what}: the target changed since the plan was made"


def _guarded(change: Change, guard: Protected) -> bool:
    supers = guard.active_super_admins or frozenset()
    return bool(guard.covers(change) or guard.user_ids & {change.target.id}
                or (change.target.id in supers and len(supers) == 1))


async def _verdict(kind: Kind, change: Change, session: TenantSession) -> tuple[str, dict[str, Any]]:
    try:
        current = await kind.current(session.ctx, change)  # type: ignore[arg-type]
    except NotImplementedError:
        return "stale", {}
    return kind.verdict(change, current), current


async def _write_all(
    tenant: TenantPlan, todo: list[_Todo], kinds: Mapping[str, Kind], session: TenantSession, run: _Run, width: int
) -> None:
    """States in plan order; the changes of one state concurrently (the client paces them)."""
    by_state: dict[str, list[_Todo]] = {s.name: [] for s in tenant.states}
    for item in todo:
        by_state[item.change.state].append(item)
    by_state = _fold(by_state, kinds)
    gate = asyncio.Semaphore(max(1, width))
    written: dict[str, str | None] = {}  # a leader's change id -> its request id once applied

    async def write(item: _Todo) -> str:
        if item.leader is not None and item.leader in written:
            run.record(item.change, "applied", request_id=written[item.leader],
                       detail={"written_with": item.leader})
            return "applied"
        async with gate:
            outcome = await _write_one(item, kinds[item.change.state], session, run)
        if outcome == "applied":
            written[item.change.id] = next((r.get("request_id") for r in reversed(run.recap.results)
                                            if r["change"] == item.change.id), None)
        return outcome

    for group in by_state.values():
        outcomes = Counter(await asyncio.gather(*(write(item) for item in group)))
        run.recap.changed += outcomes["applied"]
        run.recap.failed += outcomes["failed"]


def _fold(by_state: dict[str, list[_Todo]], kinds: Mapping[str, Kind]) -> dict[str, list[_Todo]]:
    """Changes of a folding action (`Kind.folds`) on one target, from several states: the first one writes
    every state's paths at once (the later ones' values win, as if written in turn), and the later ones are
    made by that write. Okta replaces the whole object on each PUT, so one PUT is the same end-state with
    one write instead of several (the STIG playbook has one state per rule, several on one password policy).
    If the first write fails, each later change is written on its own."""
    leaders: dict[tuple[str, str, str, str], _Todo] = {}
    merged: dict[str, dict[str, Any]] = {}
    out: dict[str, list[_Todo]] = {}
    for name, group in by_state.items():
        out[name] = []
        for item in group:
            change = item.change
            if item.resume is not None or change.action not in kinds[change.state].folds:
                out[name].append(item)
                continue
            where = (change.kind, change.action, change.target.type, change.target.id)
            leader = leaders.get(where)
            if leader is None:
                leaders[where] = item
                merged[change.id] = dict(change.after)
                out[name].append(item)
            else:
                merged[leader.change.id].update(change.after)
                out[name].append(replace(item, leader=leader.change.id))
    for name, group in out.items():
        out[name] = [replace(i, write_as=replace(i.change, after=merged[i.change.id]))
                     if i.leader is None and i.change.id in merged and merged[i.change.id] != i.change.after
                     else i for i in group]
    return out


async def _write_one(item: _Todo, kind: Kind, session: TenantSession, run: _Run) -> str:
    change, ctx = item.change, session.ctx
    request_id, detail = None, {}
    if item.resume is None:
        run.journal.append({**run.base, "change": change.to_json(), "result": "pending", "request_id": None,
                            "error": None})
        try:
            applied = await kind.apply(ctx, item.write_as or change)  # type: ignore[arg-type]
        except RemediatorError as exc:
            run.record(change, "failed", request_id=getattr(exc, "request_id", None), error=str(exc))
            return "failed"
        request_id, detail = applied.request_id, dict(applied.detail)
        steps = () if detail.get("not_needed") else kind.follow_ups(change)
        if steps:
            run.step(change, change.action, "applied", request_id=request_id)
    else:
        steps = item.resume
        detail["resumed"] = list(steps)
    for step in steps:
        run.step(change, step, "pending")
        try:
            done = await kind.follow_up(ctx, change, step)  # type: ignore[arg-type]
        except RemediatorError as exc:
            run.step(change, step, "failed", request_id=getattr(exc, "request_id", None), error=str(exc))
            run.record(change, "failed", request_id=request_id, detail=detail, error=f"{step}: {exc}")
            return "failed"
        run.step(change, step, "applied", request_id=done.request_id)
        detail[f"{step}_request_id"] = done.request_id
    run.record(change, "applied", request_id=request_id, detail=detail)
    return "applied"

"""What a kind is: one kind of desired end-state, with its schema, scopes, read, pure diff and apply.

A kind never checks a dry-run flag. The engine calls `read` (I/O, read-only), then `diff`
(pure: the kind's arguments and the observed state in, changes and findings out), and, only when
applying, `current` (re-read one change's target) and `apply` (the one write of one change).

Kinds register themselves by name with `@register`. The registry is what the playbook JSON Schema
is generated from (`schemas/playbook.schema.json`) and what tests walk: every kind must declare a
closed argument schema, the facts it reads and the writes it makes (`remediator.facts`: its OAuth
scopes are derived from them, never typed by hand), and a docstring example that validates.

Example of a kind's docstring example block (the loader extracts the YAML after `Example::`)::

    Example::

        - name: Okta Support cannot reach the tenant
          okta.support_access: {enabled: false}
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from remediator.facts import Endpoint, Readable, derive_scopes
from remediator.plan import Change, Finding, NoOp

if TYPE_CHECKING:
    from remediator.facts import TenantReads
    from remediator.okta.client import OktaClient
    from remediator.org import OrgIdentity


Verdict = Literal["pending", "done", "stale"]


@dataclass(frozen=True)
class Applied:
    """What one write did: Okta's request id (to match the tenant's System Log) and any detail."""

    request_id: str | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class TenantContext:
    """Everything a kind may use for one tenant during one run.

    `reads` is shared by every kind of the run so that no endpoint is read twice (admin list,
    roles, users by id, the token owner). `protected_logins` are `break_glass` logins; the token
    owner is `reads.me()`. `own_request_ids` are the request ids of remediator's own writes on this
    tenant, from the journal, so that a hunt can leave them out. `journal_events` are the journal
    records of this tenant (for evidence such as "sessions were cleared by an earlier run").
    `org` is the tenant's identity (org URL and Okta's org id), read once when the session opens.
    """

    name: str
    client: OktaClient
    reads: TenantReads
    protected_logins: frozenset[str] = frozenset()
    own_request_ids: frozenset[str] = frozenset()
    journal_events: tuple[dict[str, Any], ...] = ()
    vars: dict[str, Any] = field(default_factory=dict)
    org: OrgIdentity | None = None
    #: `--wait-lock`: how long a write waits for another writer's lock (an evidence directory's), and who is told
    lock_wait: float = 0.0
    on_lock_wait: Callable[[str], None] | None = None


class Kind(ABC):
    """Base of every kind. Subclasses set `name`, `schema`, `facts`, `writes` and implement the four steps."""

    name: ClassVar[str]
    schema: ClassVar[dict[str, Any]]
    #: What the kind reads: facts of `ctx.reads`, and endpoints it reads `fresh` (stale checks, rechecks).
    facts: ClassVar[tuple[Readable, ...]] = ()
    #: The writes the kind may make; empty for a kind that never plans changes.
    writes: ClassVar[tuple[Endpoint, ...]] = ()
    #: Derived by `register` from `facts` and `writes`: the OAuth scopes a service app needs for it.
    scopes: ClassVar[tuple[str, ...]] = ()
    #: True when the kind's changes write only local files (the evidence archive), never the tenant.
    local: ClassVar[bool] = False
    #: True when re-deciding a planned change needs only what the facts say of its own target (plus the
    #: non-user facts, the token owner and the active super admins): apply then gives `read` the reads
    #: narrowed to the state's planned user targets (`remediator.facts.TargetedReads`), not every admin.
    targeted: ClassVar[bool] = False
    #: Actions that set paths of one object and PUT it whole (`after` maps paths to values): two states'
    #: changes of such an action on one target are made as one write (the first, with both states' paths).
    folds: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, state: str, args: dict[str, Any]) -> None:
        self.state = state
        self.args = args

    @classmethod
    def check(cls, args: dict[str, Any]) -> tuple[tuple[Any, ...], str] | None:
        """Pure: what the schema cannot say about arguments it accepts (a read-only path in `set`...).

        `validate` calls it on rendered arguments: (where in `args`, one-line message), or None.
        """
        return None

    @abstractmethod
    async def read(self, ctx: TenantContext) -> Any:
        """Read what `diff` needs. Read-only; use `ctx.reads` for anything other kinds read too."""

    @abstractmethod
    def diff(self, observed: Any) -> Sequence[Change | Finding | NoOp]:
        """Pure: from the arguments and the observed state, for each object looked at, a change, a finding or a
        no-op (`self.no_op`), each with its reason and decided in the same branch."""

    def explain(self, observed: Any) -> list[str]:
        """Why what is already in the desired state needs nothing (verbose output): the reasons of `diff`'s
        no-ops. Not overridden (`register` refuses it): a second derivation could drift from `diff`."""
        return [item.reason for item in self.diff(observed) if isinstance(item, NoOp)]

    async def current(self, ctx: TenantContext, change: Change) -> dict[str, Any]:
        """Re-read `change.target` now, projected on the keys of `change.before` (for stale checks)."""
        raise NotImplementedError(f"{self.name} plans no changes")

    def verdict(self, change: Change, current: dict[str, Any]) -> Verdict:
        """Is the change still to do (`pending`), already in effect (`done`), or did its target move (`stale`)?"""
        if all(current.get(k) == v for k, v in change.after.items()):
            return "done"
        if current == change.before:
            return "pending"
        return "stale"

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        """Make the first write of `change`. The engine has re-decided it and checked the guardrails."""
        raise NotImplementedError(f"{self.name} plans no changes")

    def follow_ups(self, change: Change) -> tuple[str, ...]:
        """The further writes of `change` after `apply`'s, in order (e.g. `clear_sessions` after a reset).

        The engine journals each one, so a run interrupted between them is completed by the next.
        """
        return ()

    async def follow_up(self, ctx: TenantContext, change: Change, step: str) -> Applied:
        """Make the further write `step` (one of `follow_ups(change)`); idempotent."""
        raise NotImplementedError(f"{self.name}: no further write {step!r}")

    async def apply_all(self, ctx: TenantContext, change: Change) -> Applied:
        """Every write of `change` at once, without journalling between them (for tests and tools)."""
        applied = await self.apply(ctx, change)
        detail = dict(applied.detail)
        for step in () if detail.get("not_needed") else self.follow_ups(change):
            detail[f"{step}_request_id"] = (await self.follow_up(ctx, change, step)).request_id
        return Applied(applied.request_id, detail)

    def same_change(self, planned: Change, fresh: Change) -> bool:
        """Does the fresh decision still call for `planned` exactly (`fresh` has the same key)?"""
        return planned.before == fresh.before and planned.after == fresh.after

    # helpers for subclasses -------------------------------------------------------------
    def change(self, action: str, target: Any, before: dict[str, Any], after: dict[str, Any], reason: str) -> Change:
        return Change(state=self.state, kind=self.name, action=action, target=target,
                      before=before, after=after, reason=reason, local=self.local)

    def no_op(self, reason: str, target: Any = None) -> NoOp:
        return NoOp(state=self.state, kind=self.name, reason=reason, target=target)

    def finding(self, severity: Any, title: str, target: Any = None, evidence: dict[str, Any] | None = None) -> Finding:
        return Finding(state=self.state, kind=self.name, severity=severity, title=title,
                       target=target, evidence=evidence or {})


def makes_changes(kind: type[Kind]) -> bool:
    """Whether a kind may plan changes (it implements `apply`); the three-step test applies to it."""
    return kind.apply is not Kind.apply


REGISTRY: dict[str, type[Kind]] = {}


def register(cls: type[Kind]) -> type[Kind]:
    """Class decorator: derive the kind's scopes and add it to the registry under its `name`."""
    if cls.name in REGISTRY and REGISTRY[cls.name] is not cls:
        raise ValueError(f"kind {cls.name!r} registered twice")
    if "scopes" in vars(cls) and cls.scopes != derive_scopes(cls.facts, cls.writes):
        raise TypeError(f"kind {cls.name!r}: scopes are derived from `facts` and `writes`, not typed by hand")
    if cls.explain is not Kind.explain:
        raise TypeError(f"kind {cls.name!r} overrides explain: `diff` yields its no-ops (`self.no_op`) instead")
    cls.scopes = derive_scopes(cls.facts, cls.writes)
    REGISTRY[cls.name] = cls
    return cls

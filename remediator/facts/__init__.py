"""The facts layer: every request remediator makes to a tenant is declared here, with its OAuth scope.

- `endpoints.py`: each operation (method, the spec's path template, the scope its `security` names).
- `reads.py`: `TenantReads`, one per tenant per run: each public method is a fact, paged and memoised
  (no endpoint read twice in a run), with a `Fact` constant listing the endpoints it calls;
  `fresh(endpoint, ...)` is the uncached GET for stale checks and rechecks. `TargetedReads` is the same
  facts narrowed to the users a saved plan targets, what apply re-reads to re-decide them.

A kind declares what it reads and writes, never its scopes::

    facts = (ADMINS, ME, ep.USER)          # Facts, and Endpoints it reads `fresh`
    writes = (ep.SUSPEND_USER, ep.CLEAR_SESSIONS)

and `register` derives `Kind.scopes` with `derive_scopes` (a lockout write adds what the engine's
guardrails read). A run needs its kinds' scopes plus `SESSION`'s (what every run reads):
`remediator.kinds.scopes_of`, which `remediator validate PLAYBOOK --scopes` prints.

To add a fact: declare its endpoint(s) in `endpoints.py` (copy the scope from the operation's
`security` in Okta's OpenAPI spec), add a method to `TenantReads` that reads through `_once` and
`_list`/`_json`, and a `Fact` constant naming the endpoints it calls; then list that constant in the
`facts` of each kind that reads it. `tests/facts/test_scopes.py` checks every endpoint against the spec
and runs every kind with exactly its derived scopes.
"""

from __future__ import annotations

from collections.abc import Iterable

from remediator.facts import endpoints
from remediator.facts.endpoints import Endpoint
from remediator.facts.reads import (
    ACTIVE_SUPER_ADMINS,
    ADMINS,
    API_TOKENS,
    APPS,
    AUTHENTICATORS,
    EVENTS,
    FACTORS,
    GROUP,
    GROUP_MEMBERS,
    GROUP_NAMED,
    GROUP_ROLES,
    GROUPS,
    GUARDRAILS,
    IDPS,
    LOG_PAGES,
    LOG_STREAMS,
    ME,
    ORG,
    POLICIES,
    ROLES,
    RULES,
    SESSION,
    SUPPORT,
    SUPPORT_CASES,
    USER,
    USER_BY_LOGIN,
    USERS,
    ZONES,
    Admin,
    Fact,
    TargetedReads,
    TenantReads,
    is_active_super_admin,
    role_group_id,
    support_cases_of,
)

Readable = Fact | Endpoint


def derive_scopes(facts: Iterable[Readable], writes: Iterable[Endpoint]) -> tuple[str, ...]:
    """The OAuth scopes needed to read `facts` and make `writes`, sorted."""
    writes = tuple(writes)
    reads = [*facts, GUARDRAILS] if any(w.lockout for w in writes) else list(facts)
    return tuple(sorted({s for r in reads for s in r.scopes} | {w.scope for w in writes}))


__all__ = [
    "ACTIVE_SUPER_ADMINS",
    "ADMINS",
    "API_TOKENS",
    "APPS",
    "AUTHENTICATORS",
    "EVENTS",
    "FACTORS",
    "GROUP",
    "GROUPS",
    "GROUP_MEMBERS",
    "GROUP_NAMED",
    "GROUP_ROLES",
    "GUARDRAILS",
    "IDPS",
    "LOG_PAGES",
    "LOG_STREAMS",
    "ME",
    "ORG",
    "POLICIES",
    "ROLES",
    "RULES",
    "SESSION",
    "SUPPORT",
    "SUPPORT_CASES",
    "USER",
    "USERS",
    "USER_BY_LOGIN",
    "ZONES",
    "Admin",
    "Endpoint",
    "Fact",
    "Readable",
    "TargetedReads",
    "TenantReads",
    "derive_scopes",
    "endpoints",
    "is_active_super_admin",
    "role_group_id",
    "support_cases_of",
]

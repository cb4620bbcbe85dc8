"""Guardrails: pure checks between a plan and its first write.

The kinds already keep protected accounts out of their changes; these checks are the engine's
second line of defence, applied to every kind's output, so that a bug in one kind cannot lock a
responder out of their own tenant:

- the token owner (the operator) and `break_glass` logins are never suspended, reset or stripped;
- the OAuth 2.0 service app remediator authenticates as is never deactivated (no user stands behind
  its token, so the app is the operator);
- the last active SUPER_ADMIN is never suspended, reset or stripped;
- a tenant whose plan exceeds `max_changes` stops before its first write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from remediator.errors import GuardrailError
from remediator.plan import Change, Finding

#: Actions that take an account away from whoever uses it.
LOCKOUT_ACTIONS = frozenset(
    {
        "suspend",
        "reset_password",
        "expire_password",
        "unassign_role",
        "reset_factors",
        "unenroll_factor",
        "deactivate_user",
    }
)

#: Actions that take an OAuth 2.0 app away from whoever authenticates as it (remediator's own service app).
APP_LOCKOUT_ACTIONS = frozenset({"deactivate", "deactivate_app", "delete", "delete_app"})

DEFAULT_MAX_CHANGES = 250


@dataclass(frozen=True)
class Protected:
    """Who must never be locked out: ids and logins, plus the active super admins' ids."""

    user_ids: frozenset[str] = frozenset()
    logins: frozenset[str] = frozenset()
    active_super_admins: frozenset[str] | None = None  # None: not known (no lockout change planned)
    #: the OAuth 2.0 service app remediator authenticates as (no user stands behind its token)
    app_ids: frozenset[str] = frozenset()

    def covers(self, change: Change) -> bool:
        target = change.target
        if target.type == "app":
            return target.id in self.app_ids
        return target.type == "user" and (
            target.id in self.user_ids or (target.label or "").lower() in {login.lower() for login in self.logins}
        )


def is_lockout(change: Change) -> bool:
    """A change that takes away an account someone (or remediator itself) signs in with."""
    if change.target.type == "app":
        return change.action in APP_LOCKOUT_ACTIONS
    return change.target.type == "user" and change.action in LOCKOUT_ACTIONS


def protect(
    changes: Sequence[Change], protected: Protected
) -> tuple[list[Change], list[Finding]]:
    """Turn every lockout change against a protected account into a finding; keep the rest."""
    kept: list[Change] = []
    findings: list[Finding] = []
    for change in changes:
        if is_lockout(change) and protected.covers(change):
            findings.append(
                Finding(
                    state=change.state,
                    kind=change.kind,
                    severity="high",
                    title=f"protected account: {change.action} by hand: {change.target.label or change.target.id}",
                    target=change.target,
                    evidence={"planned": change.to_json(),
                              "why": "remediator's own service app" if change.target.type == "app"
                              else "token owner or break_glass account"},
                )
            )
        else:
            kept.append(change)
    if protected.active_super_admins is not None:
        kept, more = _keep_last_super_admin(kept, protected.active_super_admins)
        findings.extend(more)
    return kept, findings


def _keep_last_super_admin(
    changes: list[Change], active_super_admins: frozenset[str]
) -> tuple[list[Change], list[Finding]]:
    hit = {c.target.id for c in changes if is_lockout(c) and c.target.id in active_super_admins}
    if not active_super_admins or active_super_admins - hit:
        return changes, []
    findings = [
        Finding(
            state=c.state,
            kind=c.kind,
            severity="critical",
            title=f"would lock out the last active super admin: {c.target.label or c.target.id}",
            target=c.target,
            evidence={"planned": c.to_json(), "active_super_admins": sorted(active_super_admins)},
        )
        for c in changes
        if is_lockout(c) and c.target.id in active_super_admins
    ]
    kept = [c for c in changes if not (is_lockout(c) and c.target.id in active_super_admins)]
    return kept, findings


def check_max_changes(tenant: str, changes: Iterable[Change], limit: int | None) -> None:
    """Stop a tenant before its first write when its plan is larger than the playbook allows."""
    count = sum(1 for _ in changes)
    limit = DEFAULT_MAX_CHANGES if limit is None else limit
    if count > limit:
        raise GuardrailError(
            f"{tenant}: {count} changes planned, more than max_changes={limit}; nothing was written "
            "(raise max_changes in the playbook or with --max-changes after reviewing the plan)"
        )

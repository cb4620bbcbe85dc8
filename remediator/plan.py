"""The plan as a document: changes and findings per tenant, immutable, JSON round-trip, versioned.

The JSON layout is the outside contract (`plan --json`, `plan --out`, `apply PLAN.json`): format "2"
carries, per tenant, everything `apply` needs besides credentials (the org, the rendered states with
their arguments, `max_changes`, the protected logins, the variables that are not secrets), so that
applying a saved plan keeps every guardrail. A plan read from a file is untrusted input: it is
checked against `PLAN_SCHEMA` (published as `schemas/plan.schema.json`) before anything uses it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import jsonschema

from remediator import __version__
from remediator.errors import PlaybookError

FORMAT_VERSION = "2"
SEVERITIES = ("critical", "high", "medium", "low", "info")
Severity = Literal["critical", "high", "medium", "low", "info"]


@dataclass(frozen=True)
class Target:
    """What a change or finding is about: `{"type": "user", "id": "00u…", "label": "a@acme.com"}`."""

    type: str
    id: str
    label: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "label": self.label}


def _stable_id(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Change:
    """One write a kind would make: `before` is what was observed, `after` what it will be."""

    state: str
    kind: str
    action: str
    target: Target
    before: dict[str, Any]
    after: dict[str, Any]
    reason: str
    id: str = ""
    #: True when the change writes only local files (extending the evidence archive), never the tenant
    local: bool = False

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", _stable_id(*self.key))

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """What the change is about, whatever its values: state, kind, action and target."""
        return (self.state, self.kind, self.action, self.target.type, self.target.id)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.id,
            "state": self.state,
            "kind": self.kind,
            "action": self.action,
            "target": self.target.to_json(),
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
        }
        if self.local:
            doc["local"] = True
        return doc

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Change:
        return cls(
            id=data["id"],
            state=data["state"],
            kind=data["kind"],
            action=data["action"],
            target=Target(**data["target"]),
            before=data.get("before") or {},
            after=data.get("after") or {},
            reason=data.get("reason", ""),
            local=data.get("local", False) is True,
        )


@dataclass(frozen=True)
class Finding:
    """Something a responder must know or do by hand, with the evidence that shows it."""

    state: str
    kind: str
    severity: Severity
    title: str
    target: Target | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    #: who accepted exactly this finding (`remediator ack`): {by, note, time, expires}; None when open
    acknowledged: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity {self.severity!r} is not one of {SEVERITIES}")
        if not self.id:
            # the evidence is part of the id: an acknowledgement covers exactly what was reviewed, and a
            # new event or grant behind the same finding makes it another finding, open again
            tid = self.target.id if self.target else ""
            evidence = json.dumps(self.evidence, sort_keys=True, separators=(",", ":"), default=str)
            object.__setattr__(self, "id", _stable_id(self.state, self.kind, self.title, tid, evidence))

    def to_json(self) -> dict[str, Any]:
        doc = {
            "id": self.id,
            "state": self.state,
            "kind": self.kind,
            "severity": self.severity,
            "title": self.title,
            "target": self.target.to_json() if self.target else None,
            "evidence": self.evidence,
        }
        if self.acknowledged is not None:
            doc["acknowledged"] = self.acknowledged
        return doc

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        target = data.get("target")
        return cls(
            id=data["id"],
            state=data["state"],
            kind=data["kind"],
            severity=data["severity"],
            title=data["title"],
            target=Target(**target) if target else None,
            evidence=data.get("evidence") or {},
            acknowledged=data.get("acknowledged") if isinstance(data.get("acknowledged"), dict) else None,
        )


@dataclass(frozen=True)
class NoOp:
    """Something a kind looked at that needs nothing, and why: shown with `plan -v`, never in the document."""

    state: str
    kind: str
    reason: str
    target: Target | None = None


@dataclass(frozen=True)
class PlannedState:
    """One state as rendered for the tenant: what `apply` re-decides with."""

    name: str
    kind: str
    args: dict[str, Any]
    tags: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "args": self.args, "tags": list(self.tags)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlannedState:
        return cls(name=data["name"], kind=data["kind"], args=data["args"], tags=tuple(data.get("tags") or ()))


@dataclass(frozen=True)
class TenantPlan:
    name: str
    org_url: str
    status: Literal["ok", "error"] = "ok"
    error: str | None = None
    changes: tuple[Change, ...] = ()
    findings: tuple[Finding, ...] = ()
    org_id: str | None = None
    states: tuple[PlannedState, ...] = ()
    max_changes: int | None = None
    protected_logins: tuple[str, ...] = ()
    vars: dict[str, Any] = field(default_factory=dict)
    #: per state, why what is already right needs nothing (shown with --verbose; not in the document)
    notes: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)

    @property
    def tenant_changes(self) -> tuple[Change, ...]:
        """The changes that write to the tenant (not the local-only ones)."""
        return tuple(c for c in self.changes if not c.local)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "org_url": self.org_url,
            "org_id": self.org_id,
            "status": self.status,
            "error": self.error,
            "states": [s.to_json() for s in self.states],
            "max_changes": self.max_changes,
            "protected_logins": list(self.protected_logins),
            "vars": self.vars,
            "changes": [c.to_json() for c in self.changes],
            "findings": [f.to_json() for f in self.findings],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TenantPlan:
        return cls(
            name=data["name"],
            org_url=data["org_url"],
            org_id=data.get("org_id"),
            status=data.get("status", "ok"),
            error=data.get("error"),
            states=tuple(PlannedState.from_json(s) for s in data.get("states", [])),
            max_changes=data.get("max_changes"),
            protected_logins=tuple(data.get("protected_logins", [])),
            vars=data.get("vars") or {},
            changes=tuple(Change.from_json(c) for c in data.get("changes", [])),
            findings=tuple(Finding.from_json(f) for f in data.get("findings", [])),
        )


@dataclass(frozen=True)
class PlaybookRef:
    """Which playbook a plan came from, so a journal can name it."""

    path: str
    sha256: str
    git: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "git": self.git}


@dataclass(frozen=True)
class Plan:
    created_at: str
    playbook: PlaybookRef
    tenants: tuple[TenantPlan, ...]
    format_version: str = FORMAT_VERSION
    remediator_version: str = __version__

    @property
    def has_changes(self) -> bool:
        """Changes to a tenant are pending (local-only changes do not count: `--detailed-exitcode`)."""
        return any(t.tenant_changes for t in self.tenants)

    @property
    def has_local_changes(self) -> bool:
        return any(c.local for t in self.tenants for c in t.changes)

    @property
    def has_errors(self) -> bool:
        return any(t.status == "error" for t in self.tenants)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "created_at": self.created_at,
            "remediator_version": self.remediator_version,
            "playbook": self.playbook.to_json(),
            "tenants": [t.to_json() for t in self.tenants],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, data: Any, where: str = "plan") -> Plan:
        """Read a plan document, checked against `PLAN_SCHEMA` first (a plan file is untrusted input)."""
        version = data.get("format_version") if isinstance(data, dict) else None
        if version == "1":
            raise PlaybookError(
                'a plan of format_version "1" does not carry its states, arguments and guardrails, so it '
                "cannot be applied safely: plan again with this remediator (plan --out)", where=where)
        if version != FORMAT_VERSION:
            raise PlaybookError(f"not a remediator plan of format_version {FORMAT_VERSION!r}", where=where)
        error = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(data))
        if error is not None:
            place = "/".join(str(p) for p in error.absolute_path) or "(document)"
            raise PlaybookError(f"malformed plan at {place}: {error.message[:200]}", where=where)
        names = [t["name"] for t in data["tenants"]]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise PlaybookError(f"malformed plan: tenant {twice[0]!r} appears twice", where=where)
        pb = data["playbook"]
        return cls(
            format_version=data["format_version"],
            created_at=data["created_at"],
            remediator_version=data.get("remediator_version", ""),
            playbook=PlaybookRef(path=pb["path"], sha256=pb["sha256"], git=pb.get("git")),
            tenants=tuple(TenantPlan.from_json(t) for t in data["tenants"]),
        )


_TARGET: dict[str, Any] = {
    "type": "object", "required": ["type", "id"], "additionalProperties": False,
    "properties": {"type": {"type": "string", "minLength": 1}, "id": {"type": "string", "minLength": 1},
                   "label": {"type": ["string", "null"]}},
}
_ID = {"type": "string", "minLength": 1}
_CHANGE: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "state", "kind", "action", "target", "before", "after", "reason"],
    "properties": {
        "id": _ID, "state": _ID, "kind": _ID, "action": _ID, "target": _TARGET,
        "before": {"type": "object"}, "after": {"type": "object"}, "reason": {"type": "string"},
        "local": {"type": "boolean", "description": "the change writes only local files, never the tenant"},
    },
}
_FINDING: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "state", "kind", "severity", "title", "target", "evidence"],
    "properties": {
        "id": _ID, "state": _ID, "kind": _ID, "severity": {"enum": list(SEVERITIES)}, "title": {"type": "string"},
        "target": {"anyOf": [{"type": "null"}, _TARGET]}, "evidence": {"type": "object"},
        "acknowledged": {"type": "object", "description": "who accepted this finding: by, note, time, expires",
                         "properties": {"by": {"type": ["string", "null"]}, "note": {"type": ["string", "null"]},
                                        "time": {"type": ["string", "null"]}, "expires": {"type": ["string", "null"]}}},
    },
}
_STATE: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["name", "kind", "args", "tags"],
    "properties": {"name": _ID, "kind": _ID, "args": {"type": "object"},
                   "tags": {"type": "array", "items": {"type": "string"}}},
}
_TENANT: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "required": ["name", "org_url", "org_id", "status", "error", "states", "max_changes", "protected_logins",
                 "vars", "changes", "findings"],
    "properties": {
        "name": _ID,
        "org_url": {"type": "string", "pattern": "^https?://[^/]+$"},
        "org_id": {"type": ["string", "null"], "description": "Okta's org id (GET /api/v1/org), null if unread"},
        "status": {"enum": ["ok", "error"]},
        "error": {"type": ["string", "null"]},
        "states": {"type": "array", "items": _STATE, "description": "the rendered states, in order"},
        "max_changes": {"type": ["integer", "null"], "minimum": 0},
        "protected_logins": {"type": "array", "items": {"type": "string"},
                             "description": "break_glass logins: never suspended, reset or stripped"},
        "vars": {"type": "object", "description": "the tenant's variables, secrets left out"},
        "changes": {"type": "array", "items": _CHANGE},
        "findings": {"type": "array", "items": _FINDING},
    },
}
#: The JSON Schema of a plan document of format "2" (contract.md), published as schemas/plan.schema.json.
PLAN_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "remediator plan",
    "type": "object",
    "additionalProperties": False,
    "required": ["format_version", "created_at", "remediator_version", "playbook", "tenants"],
    "properties": {
        "format_version": {"const": FORMAT_VERSION},
        "created_at": {"type": "string", "minLength": 1},
        "remediator_version": {"type": "string"},
        "playbook": {
            "type": "object", "additionalProperties": False, "required": ["path", "sha256", "git"],
            "properties": {"path": {"type": "string"}, "sha256": {"type": "string"},
                           "git": {"anyOf": [{"type": "null"}, {"type": "object"}]}},
        },
        "tenants": {"type": "array", "items": _TENANT},
    },
}
_VALIDATOR = jsonschema.Draft202012Validator(PLAN_SCHEMA)


def merge_plans(plans: Sequence[tuple[str, Plan]], order: Sequence[str] | None = None) -> Plan:
    """One plan from the plans of several shards (`(where, plan)` pairs, `where` naming each in errors).

    They must come from one playbook (same SHA-256) and hold each tenant once. The tenants follow
    `order` (the inventory's names) when given, else the order of the plans and of their tenants. The
    merged plan was made when its oldest part was."""
    if not plans:
        raise PlaybookError("no plan to merge", where="merge")
    first_where, first = plans[0]
    seen: dict[str, str] = {}
    tenants: list[TenantPlan] = []
    for where, plan in plans:
        if plan.playbook.sha256 != first.playbook.sha256:
            raise PlaybookError(f"comes from another playbook than {first_where} "
                                f"(sha256 {plan.playbook.sha256[:12]} vs {first.playbook.sha256[:12]})", where=where)
        for tenant in plan.tenants:
            if tenant.name in seen:
                raise PlaybookError(f"tenant {tenant.name!r} is also in {seen[tenant.name]}", where=where)
            seen[tenant.name] = where
            tenants.append(tenant)
    if order is not None:
        rank = {name: i for i, name in enumerate(order)}
        missing = [t.name for t in tenants if t.name not in rank]
        if missing:
            raise PlaybookError(f"tenant {missing[0]!r} is not in the inventory", where=seen[missing[0]])
        tenants.sort(key=lambda t: rank[t.name])
    return Plan(created_at=min(p.created_at for _, p in plans), playbook=first.playbook, tenants=tuple(tenants),
                remediator_version=first.remediator_version)

"""The plan as a document: changes and findings per tenant, immutable, JSON round-trip, versioned.

The JSON layout is the outside contract (`plan --json`, `plan --out`, `apply PLAN.json`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from remediator.errors import PlaybookError

FORMAT_VERSION = "1"
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

    def __post_init__(self) -> None:
        if not self.id:
            key = (self.state, self.kind, self.action, self.target.type, self.target.id)
            object.__setattr__(self, "id", _stable_id(*key))

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "kind": self.kind,
            "action": self.action,
            "target": self.target.to_json(),
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
        }

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

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity {self.severity!r} is not one of {SEVERITIES}")
        if not self.id:
            tid = self.target.id if self.target else ""
            object.__setattr__(self, "id", _stable_id(self.state, self.kind, self.title, tid))

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "kind": self.kind,
            "severity": self.severity,
            "title": self.title,
            "target": self.target.to_json() if self.target else None,
            "evidence": self.evidence,
        }

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
        )


@dataclass(frozen=True)
class TenantPlan:
    name: str
    org_url: str
    status: Literal["ok", "error"] = "ok"
    error: str | None = None
    changes: tuple[Change, ...] = ()
    findings: tuple[Finding, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "org_url": self.org_url,
            "status": self.status,
            "error": self.error,
            "changes": [c.to_json() for c in self.changes],
            "findings": [f.to_json() for f in self.findings],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TenantPlan:
        return cls(
            name=data["name"],
            org_url=data["org_url"],
            status=data.get("status", "ok"),
            error=data.get("error"),
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

    @property
    def has_changes(self) -> bool:
        return any(t.changes for t in self.tenants)

    @property
    def has_errors(self) -> bool:
        return any(t.status == "error" for t in self.tenants)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "created_at": self.created_at,
            "playbook": self.playbook.to_json(),
            "tenants": [t.to_json() for t in self.tenants],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, data: dict[str, Any], where: str = "plan") -> Plan:
        if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
            raise PlaybookError(
                f"not a remediator plan of format_version {FORMAT_VERSION!r}", where=where
            )
        try:
            pb = data["playbook"]
            return cls(
                format_version=data["format_version"],
                created_at=data["created_at"],
                playbook=PlaybookRef(path=pb["path"], sha256=pb["sha256"], git=pb.get("git")),
                tenants=tuple(TenantPlan.from_json(t) for t in data["tenants"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PlaybookError(f"malformed plan: {exc}", where=where) from None


def to_dict(obj: Any) -> Any:
    """Dataclass to plain JSON-able dict (for tests and reports)."""
    return asdict(obj)

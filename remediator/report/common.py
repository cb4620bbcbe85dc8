"""Small formatting helpers shared by the terminal and Markdown reports."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from remediator.plan import SEVERITIES, Finding, Plan, Target


def compact(value: Any, limit: int = 160) -> str:
    """A one-line JSON rendering of a before/after value, cut at `limit` characters."""
    text = json.dumps(value, sort_keys=True, separators=(", ", ": "), default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def target_label(target: Target | None) -> str:
    if target is None:
        return "tenant"
    return f"{target.type} {target.label or target.id}"


def by_severity(findings: tuple[Finding, ...] | list[Finding]) -> list[Finding]:
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(findings, key=lambda f: (order[f.severity], f.state, f.title))


def severity_counts(findings: tuple[Finding, ...] | list[Finding]) -> str:
    counts: Counter[str] = Counter(f.severity for f in findings)
    parts = [f"{counts[s]} {s}" for s in SEVERITIES if counts[s]]
    return ", ".join(parts) if parts else "none"


def summary_line(plan: Plan) -> str:
    changes = sum(len(t.tenant_changes) for t in plan.tenants)
    local = sum(len(t.changes) - len(t.tenant_changes) for t in plan.tenants)
    findings = [f for t in plan.tenants for f in t.findings]
    failed = sum(t.status != "ok" for t in plan.tenants)
    line = f"Plan: {len(plan.tenants)} tenant(s), {changes} change(s) to make"
    if local:
        line += f" and {local} to local files only"
    line += f", {len(findings)} finding(s) ({severity_counts(findings)})"
    if failed:
        line += f", {failed} tenant(s) could not be planned"
    return line


def outcomes_by_change(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The last journal record with an outcome (not `pending`) for each change id."""
    results: dict[str, dict[str, Any]] = {}
    for record in records:
        change = record.get("change") or {}
        if record.get("result") != "pending" and change.get("id"):
            results[change["id"]] = record
    return results


def acknowledgements(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Manual steps and findings someone acknowledged, as journalled."""
    return [r for r in records if r.get("type") == "ack"]


@dataclass(frozen=True)
class EvidenceSummary:
    """What a tenant's evidence manifest says: where it is, the range covered, its chunks."""

    manifest: Path
    covered: Any
    chunks: list[tuple[Any, Any, Any]]  # (file, events, sha256)


def evidence_summary(evidence_dir: str | Path | None, tenant: str) -> EvidenceSummary | None:
    """The manifest of `evidence_dir/<tenant>`, or None when there is none (or it cannot be read)."""
    if evidence_dir is None:
        return None
    manifest = Path(evidence_dir) / tenant / "manifest.json"
    try:
        data = json.loads(manifest.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    chunks = [(c.get("file"), c.get("events", c.get("count")), c.get("sha256"))
              for c in data.get("chunks") or () if isinstance(c, dict)]
    return EvidenceSummary(manifest, data.get("covered") or data.get("range"), chunks)


def evidence_dirs(plan: Plan) -> dict[str, str]:
    """Where each tenant's System Log archive goes (its archive state's `dir`), for the evidence section."""
    return {t.name: str(s.args["dir"]) for t in plan.tenants for s in t.states
            if s.kind == "okta.system_log_archive" and s.args.get("dir")}

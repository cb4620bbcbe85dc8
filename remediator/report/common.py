"""Small formatting helpers shared by the terminal and Markdown reports."""

from __future__ import annotations

import json
from collections import Counter
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
    counts = Counter(f.severity for f in findings)
    parts = [f"{counts[s]} {s}" for s in SEVERITIES if counts[s]]
    return ", ".join(parts) if parts else "none"


def summary_line(plan: Plan) -> str:
    changes = sum(len(t.changes) for t in plan.tenants)
    findings = [f for t in plan.tenants for f in t.findings]
    failed = sum(t.status != "ok" for t in plan.tenants)
    line = (
        f"Plan: {len(plan.tenants)} tenant(s), {changes} change(s) to make, "
        f"{len(findings)} finding(s) ({severity_counts(findings)})"
    )
    if failed:
        line += f", {failed} tenant(s) could not be planned"
    return line

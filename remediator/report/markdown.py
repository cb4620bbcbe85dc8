"""A Markdown report to attach to the incident record: what was found, changed, preserved, acknowledged."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from remediator.journal import of_tenant
from remediator.plan import Plan
from remediator.report.common import (
    acknowledgements,
    by_severity,
    compact,
    evidence_summary,
    outcomes_by_change,
    summary_line,
    target_label,
)
from remediator.report.timeline import mermaid_gantt, tenant_timeline


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _row(*cells: Any) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def markdown_report(
    plan: Plan,
    *,
    title: str = "remediator report",
    recaps: Sequence[Any] | None = None,
    journal_records: Sequence[dict[str, Any]] = (),
    evidence_dirs: Mapping[str, str | Path] | None = None,
) -> str:
    """Per tenant: changes (made, with time and request id, when applied), findings with evidence,
    the evidence manifest and the manual steps with who acknowledged them."""
    lines = [f"# {title}", "", f"Playbook `{plan.playbook.path}` (sha256 `{plan.playbook.sha256[:12]}`), "
             f"planned {plan.created_at}.", "", summary_line(plan), ""]
    recap_by_name = {r.name: r for r in recaps or ()}
    for tenant in plan.tenants:
        lines += [f"## {tenant.name}", "", f"Org: {tenant.org_url}", ""]
        if tenant.status != "ok":
            lines += [f"**Could not be planned:** {_cell(tenant.error)}", ""]
            continue
        records = of_tenant(journal_records, tenant.name, tenant.org_url)  # keyed by org, not name
        lines += _compliance_section(tenant, records)
        lines += _timeline_section(tenant, records)
        lines += _changes_section(tenant.changes, records, recap_by_name.get(tenant.name))
        lines += _findings_section(tenant.findings)
        lines += _hunt_events_section(tenant.findings)
        lines += _evidence_section((evidence_dirs or {}).get(tenant.name), tenant.name)
        lines += _acks_section(records)
    return "\n".join(lines).rstrip() + "\n"


def _changes_section(changes: Sequence[Any], records: Sequence[dict[str, Any]], recap: Any) -> list[str]:
    out = ["### Changes", ""]
    if not changes:
        return [*out, "None needed.", ""]
    results = outcomes_by_change(records)
    out += ["| state | action | target | before → after | reason | result | time | request id |",
            "|---|---|---|---|---|---|---|---|"]
    for c in changes:
        rec = results.get(c.id, {})
        before_after = f"`{compact(c.before, 80)}` → `{compact(c.after, 80)}`"
        out.append(_row(c.state, c.action, target_label(c.target), before_after, c.reason,
                        rec.get("result", "planned"), rec.get("time", ""), rec.get("request_id") or ""))
    if recap is not None:
        out += ["", f"Recap: ok={recap.ok} changed={recap.changed} failed={recap.failed} skipped={recap.skipped}"]
    return [*out, ""]


#: a state or manual step named by a STIG rule id (`V-273194 ...`) is a row of the compliance table
RULE_ID = re.compile(r"^(V-\d{6})\b\s*(.*)$")


def _compliance_section(tenant: Any, records: Sequence[dict[str, Any]]) -> list[str]:
    """For baselines whose states are named by rule id (the DISA STIG playbook): rule, title, status
    (compliant, changed, to change, finding, manual, acknowledged)."""
    done = outcomes_by_change(records)
    acked = {str(a.get("step")): a for a in acknowledgements(records)}
    rows: list[tuple[str, str, str]] = []
    for state in tenant.states:
        match = RULE_ID.match(state.name)
        if state.kind == "manual":
            for step in state.args.get("steps") or ():
                step_id = str(step.get("id", ""))
                if RULE_ID.match(step_id):
                    who = acked.get(step_id)
                    rows.append((step_id, str(step.get("title", "")),
                                 f"manual, acknowledged by {who.get('by')}" if who else "manual"))
            continue
        if not match:
            continue
        changes = [c for c in tenant.changes if c.state == state.name]
        findings = [f for f in tenant.findings if f.state == state.name]
        if changes:
            status = "changed" if all((done.get(c.id) or {}).get("result") == "applied" for c in changes) \
                else "to change"
        elif findings:
            status = "finding: " + "; ".join(f.title for f in findings)
        else:
            status = "compliant"
        rows.append((match.group(1), match.group(2), status))
    if not rows:
        return []
    out = ["### Compliance", "", "| rule | title | status |", "|---|---|---|"]
    out += [_row(*row) for row in sorted(rows)]
    return [*out, ""]


def _timeline_section(tenant: Any, records: Sequence[dict[str, Any]]) -> list[str]:
    block = mermaid_gantt(f"{tenant.name}: attacker and response", tenant_timeline(tenant, records))
    return ["### Timeline", "", *block, ""] if block else []


def _findings_section(findings: Sequence[Any]) -> list[str]:
    out = ["### Findings", ""]
    if not findings:
        return [*out, "None.", ""]
    out += ["| severity | state | finding | target | evidence |", "|---|---|---|---|---|"]
    for f in by_severity(list(findings)):
        out.append(_row(f.severity, f.state, f.title, target_label(f.target), f"`{compact(f.evidence, 200)}`"))
    return [*out, ""]


def _hunt_events_section(findings: Sequence[Any]) -> list[str]:
    """Every event behind each hunt finding (a finding groups a rule's events by actor)."""
    groups = [f for f in by_severity(list(findings)) if f.evidence.get("events")]
    if not groups:
        return []
    out = ["### Hunt events", "", "| finding | published | event type | uuid |", "|---|---|---|---|"]
    for f in groups:
        for e in f.evidence["events"]:
            out.append(_row(f.title, e.get("published", ""), e.get("eventType", ""), f"`{e.get('uuid')}`"))
    return [*out, ""]


def _evidence_section(evidence_dir: str | Path | None, tenant: str) -> list[str]:
    summary = evidence_summary(evidence_dir, tenant)
    if summary is None:
        return []
    out = ["### Evidence", "", f"Manifest `{summary.manifest}`; range covered: {_cell(summary.covered)}", "",
           "| chunk | events | sha256 |", "|---|---|---|"]
    for file, events, sha in summary.chunks:
        out.append(_row(file, events, f"`{sha}`"))
    return [*out, ""]


def _acks_section(records: Sequence[dict[str, Any]]) -> list[str]:
    acks = acknowledgements(records)
    if not acks:
        return []
    out = ["### Manual steps acknowledged", "", "| step | by | when | note |", "|---|---|---|---|"]
    for a in acks:
        out.append(_row(a.get("step"), a.get("by"), a.get("time"), a.get("note", "")))
    return [*out, ""]

"""One time axis for the attacker's actions and the response: hunt findings and remediator's own writes.

Pure: a plan (its hunt findings) and journal records in, marks out. The HTML report draws the marks
as an SVG chart and the Markdown report as a Mermaid `gantt` block (git forges draw it), so both
tell the same story from the same data.

A hunt finding is one mark. When the hunt groups events (one finding per rule and actor) its
evidence carries `first_seen`, `last_seen` and `count`; a single-event finding carries `published`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from remediator.plan import Finding, TenantPlan
from remediator.timeutil import parse_time

HUNT_KIND = "okta.system_log_hunt"
WRITE_RESULTS = ("applied", "failed")


@dataclass(frozen=True)
class Mark:
    """One point (or span) on the timeline: an attacker trace or one of remediator's writes."""

    lane: str  # "attacker" | "response"
    start: datetime
    end: datetime
    label: str
    severity: str  # a finding's severity; "applied" or "failed" for a write
    count: int = 1
    ref: str = ""  # finding id or request id


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None


def finding_mark(finding: Finding) -> Mark | None:
    """A hunt finding as a mark, from its evidence's times; None when it carries no time."""
    ev = finding.evidence
    start = _when(ev.get("first_seen")) or _when(ev.get("published"))
    if start is None:
        return None
    end = _when(ev.get("last_seen")) or start
    raw_count = ev.get("count")
    count = raw_count if isinstance(raw_count, int) else 1
    return Mark("attacker", start, max(start, end), finding.title, finding.severity, count, finding.id)


def write_marks(records: Iterable[dict[str, Any]], tenant: str) -> list[Mark]:
    """remediator's writes on `tenant` that reached an outcome (applied or failed), from the journal."""
    marks = []
    for record in records:
        if record.get("tenant") != tenant or record.get("result") not in WRITE_RESULTS:
            continue
        when = _when(record.get("time"))
        change = record.get("change") or {}
        if when is None or not change:
            continue
        target = change.get("target") or {}
        label = f"{change.get('action', 'write')} {target.get('label') or target.get('id') or ''}".strip()
        marks.append(Mark("response", when, when, label, str(record["result"]), 1, str(record.get("request_id") or "")))
    return marks


def tenant_timeline(tenant: TenantPlan, records: Sequence[dict[str, Any]] = ()) -> list[Mark]:
    """The tenant's hunt findings and its journalled writes, oldest first."""
    marks = [m for f in tenant.findings if f.kind == HUNT_KIND and (m := finding_mark(f)) is not None]
    marks += write_marks(records, tenant.name)
    return sorted(marks, key=lambda m: (m.start, m.lane, m.label))


_MERMAID_UNSAFE = re.compile(r"[:#;\n\r`]")


def _mermaid_text(text: str, limit: int = 80) -> str:
    text = _MERMAID_UNSAFE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mermaid_gantt(title: str, marks: Sequence[Mark]) -> list[str]:
    """A Mermaid gantt block: a section per lane, a milestone per mark (a bar when it spans time)."""
    if not marks:
        return []
    lines = ["```mermaid", "gantt", f"    title {_mermaid_text(title)}", "    dateFormat YYYY-MM-DDTHH:mm:ss",
             "    axisFormat %m-%d %H:%M"]
    for lane, heading in (("attacker", "Attacker (hunt findings)"), ("response", "Response (remediator's writes)")):
        lane_marks = [m for m in marks if m.lane == lane]
        if not lane_marks:
            continue
        lines.append(f"    section {heading}")
        for m in lane_marks:
            label = _mermaid_text(m.label + (f" ×{m.count}" if m.count > 1 else ""))
            tags = "crit, " if m.severity in ("critical", "high", "failed") else ""
            start = m.start.strftime("%Y-%m-%dT%H:%M:%S")
            seconds = max(0, int((m.end - m.start).total_seconds()))
            if seconds:
                lines.append(f"    {label} :{tags}{start}, {seconds}s")
            else:
                lines.append(f"    {label} :milestone, {tags}{start}, 0s")
    lines.append("```")
    return lines

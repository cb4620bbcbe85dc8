"""One self-contained HTML report: no external asset, no script, works offline and prints.

Per tenant: a summary, a timeline (SVG drawn here: the attacker's actions from the hunt and the
response's writes from the journal on one time axis), the changes with their request ids, the
findings with their evidence, the evidence manifest and the acknowledged manual steps.

A Content-Security-Policy of `default-src 'none'` (inline styles only) makes "nothing is loaded over
the network" hold even if an attacker-controlled string (a display message, a user's name) in the
System Log looked like markup: every value is escaped, and the browser would refuse to fetch anyway.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from itertools import pairwise
from pathlib import Path
from typing import Any

from remediator.journal import of_tenant
from remediator.plan import Plan, TenantPlan
from remediator.report.common import (
    acknowledgements,
    by_severity,
    compact,
    evidence_summary,
    outcomes_by_change,
    severity_counts,
    summary_line,
    target_label,
)
from remediator.report.timeline import Mark, tenant_timeline

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1100px;
  color:#1b1f24;padding:0 1rem}
h1{font-size:1.6rem}h2{border-bottom:2px solid #d0d7de;padding-bottom:.2rem;margin-top:2.5rem}
h3{margin-top:1.6rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0;font-size:13px}
th,td{border:1px solid #d0d7de;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;overflow-wrap:anywhere}
td{overflow-wrap:anywhere}td:nth-child(4){min-width:16rem}
.sev{font-weight:600;text-transform:uppercase;font-size:11px;padding:.1rem .35rem;border-radius:3px;color:#fff}
.sev-critical{background:#a40e26}.sev-high{background:#d1242f}.sev-medium{background:#bc4c00}
.sev-low{background:#6e7781}.sev-info{background:#8c959f}
.summary{display:flex;gap:1rem;flex-wrap:wrap;margin:.5rem 0}
.summary div{border:1px solid #d0d7de;border-radius:6px;padding:.5rem .8rem;min-width:8rem}
.summary b{display:block;font-size:1.3rem}
svg.timeline{width:100%;height:auto;border:1px solid #d0d7de;border-radius:6px;background:#fff}
.mark.attacker.sev-critical{fill:#a40e26}.mark.attacker.sev-high{fill:#d1242f}
.mark.attacker.sev-medium{fill:#bc4c00}.mark.attacker{fill:#6e7781}
.mark.response{fill:#1a7f37}.mark.response.sev-failed{fill:#cf222e}
.axis{stroke:#8c959f;stroke-width:1}.tick{font-size:10px;fill:#57606a}.lane{font-size:11px;fill:#1b1f24}
.error{color:#a40e26;font-weight:600}
@media print{body{margin:0;max-width:none}h2{page-break-before:always}h2:first-of-type{page-break-before:auto}
  svg.timeline{border:none}}
"""

WIDTH, LEFT, RIGHT, BREAK = 960, 150, 20, 28
LANES = (("attacker", "Attacker (hunt)"), ("response", "Response (writes)"))


def html_report(
    plan: Plan,
    *,
    title: str = "remediator report",
    recaps: Sequence[Any] | None = None,
    journal_records: Sequence[dict[str, Any]] = (),
    evidence_dirs: Mapping[str, str | Path] | None = None,
) -> str:
    """The whole report as one HTML document (the same content as the Markdown report, plus a chart)."""
    recap_by_name = {r.name: r for r in recaps or ()}
    body = [
        f"<h1>{escape(title)}</h1>",
        f"<p>Playbook <code>{escape(str(plan.playbook.path))}</code> (sha256 "
        f"<code>{escape(plan.playbook.sha256[:12])}</code>), planned {escape(plan.created_at)}.</p>",
        f"<p>{escape(summary_line(plan))}</p>",
    ]
    for tenant in plan.tenants:
        records = of_tenant(journal_records, tenant.name, tenant.org_url)  # keyed by org, not name
        body += _tenant(tenant, records, recap_by_name.get(tenant.name), (evidence_dirs or {}).get(tenant.name))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _tenant(tenant: TenantPlan, records: list[dict[str, Any]], recap: Any, evidence_dir: Any) -> list[str]:
    out = [f"<section class=\"tenant\" id=\"tenant-{escape(tenant.name)}\">",
           f"<h2>{escape(tenant.name)}</h2>", f"<p>Org: <code>{escape(tenant.org_url)}</code></p>"]
    if tenant.status != "ok":
        return [*out, f"<p class=\"error\">Could not be planned: {escape(str(tenant.error))}</p>", "</section>"]
    out += _summary(tenant, recap)
    marks = tenant_timeline(tenant, records)
    out += ["<h3>Timeline</h3>", timeline_svg(marks) if marks else "<p>No hunt finding and no write to show.</p>"]
    out += _changes(tenant, records)
    out += _findings(tenant)
    out += _evidence(evidence_dir, tenant.name)
    out += _acks(records)
    return [*out, "</section>"]


def _summary(tenant: TenantPlan, recap: Any) -> list[str]:
    boxes = [("changes planned", len(tenant.changes)), ("findings", len(tenant.findings))]
    if recap is not None:
        boxes += [("changed", recap.changed), ("failed", recap.failed), ("skipped", recap.skipped)]
    cells = "".join(f"<div><b>{n}</b>{escape(label)}</div>" for label, n in boxes)
    return [f"<div class=\"summary\">{cells}</div>",
            f"<p>Findings by severity: {escape(severity_counts(list(tenant.findings)))}</p>"]


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _changes(tenant: TenantPlan, records: list[dict[str, Any]]) -> list[str]:
    if not tenant.changes:
        return ["<h3>Changes</h3>", "<p>None needed.</p>"]
    results = outcomes_by_change(records)
    rows = []
    for c in tenant.changes:
        rec = results.get(c.id, {})
        rows.append([
            escape(c.state), escape(c.action), escape(target_label(c.target)),
            f"<code>{escape(compact(c.before, 120))}</code> → <code>{escape(compact(c.after, 120))}</code>",
            escape(c.reason), escape(str(rec.get("result", "planned"))), escape(str(rec.get("time", ""))),
            f"<code>{escape(str(rec.get('request_id') or ''))}</code>",
        ])
    headers = ("state", "action", "target", "before → after", "reason", "result", "time", "request id")
    return ["<h3>Changes</h3>", _table(headers, rows)]


def _findings(tenant: TenantPlan) -> list[str]:
    if not tenant.findings:
        return ["<h3>Findings</h3>", "<p>None.</p>"]
    rows = []
    for f in by_severity(list(tenant.findings)):
        evidence = escape(json.dumps(f.evidence, indent=1, sort_keys=True, default=str))
        rows.append([
            f"<span class=\"sev sev-{escape(f.severity)}\">{escape(f.severity)}</span>", escape(f.state),
            escape(f.title), escape(target_label(f.target)),
            f"<details><summary>evidence</summary><pre><code>{evidence}</code></pre></details>",
        ])
    return ["<h3>Findings</h3>", _table(("severity", "state", "finding", "target", "evidence"), rows)]


def _evidence(evidence_dir: Any, tenant: str) -> list[str]:
    summary = evidence_summary(evidence_dir, tenant)
    if summary is None:
        return []
    rows = [[escape(str(f)), escape(str(n)), f"<code>{escape(str(sha))}</code>"] for f, n, sha in summary.chunks]
    return ["<h3>Evidence</h3>",
            f"<p>Manifest <code>{escape(str(summary.manifest))}</code>; range covered: "
            f"<code>{escape(compact(summary.covered, 200))}</code></p>",
            _table(("chunk", "events", "sha256"), rows)]


def _acks(records: list[dict[str, Any]]) -> list[str]:
    acks = acknowledgements(records)
    if not acks:
        return []
    rows = [[escape(str(a.get(k, "") or "")) for k in ("step", "by", "time", "note")] for a in acks]
    return ["<h3>Manual steps acknowledged</h3>", _table(("step", "by", "when", "note"), rows)]


@dataclass(frozen=True)
class _Segment:
    """A stretch of the time axis drawn linearly; long empty gaps between stretches are cut out."""

    lo: datetime
    hi: datetime
    x0: float
    x1: float

    def x(self, t: datetime) -> float:
        return self.x0 + (self.x1 - self.x0) * (t - self.lo).total_seconds() / (self.hi - self.lo).total_seconds()


def _segments(times: Sequence[datetime], left: float, right: float) -> list[_Segment]:
    """Split the axis where nothing happens for more than a quarter of the whole span (an attack in
    January and its response in March would otherwise squeeze each into a dot), then share the width."""
    times = sorted(times)
    span = (times[-1] - times[0]).total_seconds()
    groups: list[list[datetime]] = [[times[0]]]
    for prev, t in pairwise(times):
        if span and (t - prev).total_seconds() > span / 4:
            groups.append([])
        groups[-1].append(t)
    bounds = []
    for g in groups:
        pad = max(timedelta(minutes=1), (g[-1] - g[0]) * 0.05)
        bounds.append((g[0] - pad, g[-1] + pad))
    lengths = [(hi - lo).total_seconds() for lo, hi in bounds]
    floor = 0.2 * sum(lengths)
    weights = [max(n, floor) for n in lengths]
    avail = right - left - BREAK * (len(bounds) - 1)
    out, x = [], left
    for (lo, hi), w in zip(bounds, weights, strict=True):
        width = avail * w / sum(weights)
        out.append(_Segment(lo, hi, x, x + width))
        x += width + BREAK
    return out


def timeline_svg(marks: Sequence[Mark]) -> str:
    """An inline SVG: one lane per side, one mark per hunt finding (group) or write, a shared time axis
    (with cut-out gaps, drawn as breaks, where long stretches pass with nothing to show)."""
    segments = _segments([t for m in marks for t in (m.start, m.end)], LEFT, WIDTH - RIGHT)

    def x(t: datetime) -> float:
        seg = next((s for s in segments if s.lo <= t <= s.hi), segments[-1])
        return seg.x(t)

    height = 40 + 50 * len(LANES) + 30
    axis_y = 40 + 50 * len(LANES)
    parts = [f"<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" "
             f"role=\"img\" aria-label=\"Timeline of the attacker's actions and the response\">"]
    for i, (lane, label) in enumerate(LANES):
        y = 40 + 50 * i
        parts.append(f"<text class=\"lane\" x=\"8\" y=\"{y + 4}\">{escape(label)}</text>")
        for seg in segments:
            parts.append(f"<line class=\"axis\" x1=\"{seg.x0:.1f}\" y1=\"{y}\" x2=\"{seg.x1:.1f}\" y2=\"{y}\"/>")
        for m in (m for m in marks if m.lane == lane):
            parts.append(_mark_svg(m, x, y))
    for seg in segments:
        parts.append(f"<line class=\"axis\" x1=\"{seg.x0:.1f}\" y1=\"{axis_y}\" x2=\"{seg.x1:.1f}\" "
                     f"y2=\"{axis_y}\"/>")
        width, mid = seg.x1 - seg.x0, seg.lo + (seg.hi - seg.lo) / 2
        ticks = [mid] if width < 240 else [seg.lo, seg.hi] if width < 400 else [seg.lo, mid, seg.hi]
        for j, t in enumerate(ticks):
            anchor = "middle" if len(ticks) == 1 else ("start", "middle", "end")[min(j, 1) if j < len(ticks) - 1 else 2]
            parts.append(f"<text class=\"tick\" x=\"{seg.x(t):.1f}\" y=\"{axis_y + 16}\" text-anchor=\"{anchor}\">"
                         f"{t.strftime('%Y-%m-%d %H:%M')}</text>")
    for a, b in pairwise(segments):
        gap_x = (a.x1 + b.x0) / 2
        parts.append(f"<text class=\"tick\" x=\"{gap_x:.1f}\" y=\"{axis_y + 4}\" text-anchor=\"middle\">≈</text>")
    parts.append("</svg>")
    return "".join(parts)


def _mark_svg(m: Mark, x: Any, y: int) -> str:
    cls = f"mark {m.lane} sev-{escape(m.severity)}"
    when = m.start.strftime("%Y-%m-%dT%H:%M:%SZ")
    if m.end > m.start:
        when += " – " + m.end.strftime("%Y-%m-%dT%H:%M:%SZ")
    tip = escape(f"{m.label}" + (f" ({m.count} events)" if m.count > 1 else "") + f" · {when}")
    data = f" data-ref=\"{escape(m.ref)}\" data-count=\"{m.count}\""
    x0, x1 = x(m.start), x(m.end)
    if x1 - x0 >= 4:
        return (f"<rect class=\"{cls}\"{data} x=\"{x0:.1f}\" y=\"{y - 7}\" width=\"{x1 - x0:.1f}\" height=\"14\" "
                f"rx=\"3\"><title>{tip}</title></rect>")
    radius = 6 if m.lane == "attacker" else 5
    return f"<circle class=\"{cls}\"{data} cx=\"{x0:.1f}\" cy=\"{y}\" r=\"{radius}\"><title>{tip}</title></circle>"


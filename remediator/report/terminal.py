"""The plan and the recap as a responder reads them at a glance, in a terminal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape

from remediator.plan import Change, Finding, Plan, TenantPlan
from remediator.report.common import by_severity, compact, severity_counts, summary_line, target_label

SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}
ACTION_STYLE = "bold yellow"


def render_plan(
    plan: Plan,
    console: Console,
    *,
    verbose: bool = False,
    show_acked: bool = False,
) -> None:
    """Per tenant, per state (in the playbook's order): changes, then findings by severity; with
    `verbose`, the evidence of findings and why what is already right needs nothing (the plan's notes).
    Changes to local files only (the evidence archive) are marked apart from changes to the tenant.
    Acknowledged findings are collapsed into one line per tenant unless `show_acked`."""
    for tenant in plan.tenants:
        why = tenant.notes if verbose else {}
        _render_tenant(tenant, console, verbose=verbose, state_order=[s.name for s in tenant.states], notes=why,
                       show_acked=show_acked)
    console.print(f"[bold]{escape(summary_line(plan))}[/bold]")


def _render_tenant(
    tenant: TenantPlan,
    console: Console,
    *,
    verbose: bool,
    state_order: Sequence[str],
    notes: Mapping[str, Sequence[str]],
    show_acked: bool = False,
) -> None:
    console.rule(f"[bold]{escape(tenant.name)}[/bold]  {escape(tenant.org_url)}")
    if tenant.status != "ok":
        console.print(f"  [bold red]error[/bold red]: {escape(tenant.error or 'unknown error')}")
        return
    states: dict[str, list[Change | Finding]] = {name: [] for name in state_order}
    acked = [f for f in tenant.findings if f.acknowledged]
    shown = tenant.findings if show_acked else tuple(f for f in tenant.findings if not f.acknowledged)
    items: list[Change | Finding] = [*tenant.changes, *by_severity(shown)]
    for item in items:
        states.setdefault(item.state, []).append(item)
    for state in notes:
        states.setdefault(state, [])
    states = {name: items for name, items in states.items() if items or notes.get(name)}
    if not states:
        console.print("  [green]nothing to change, nothing found[/green]")
    for state, items in states.items():
        console.print(f"  [bold]{escape(state)}[/bold]")
        for note in notes.get(state, ()):
            console.print(f"    [green]✓[/green] [dim]{escape(note)}[/dim]")
        for item in items:
            if isinstance(item, Change):
                where = " [dim](local files only, not the tenant)[/dim]" if item.local else ""
                console.print(
                    f"    [{ACTION_STYLE}]~ {escape(item.action)}[/{ACTION_STYLE}] {escape(target_label(item.target))}"
                    + where
                )
                console.print(f"        {escape(compact(item.before))} [bold]→[/bold] {escape(compact(item.after))}")
                console.print(f"        [dim]because {escape(item.reason)}[/dim]")
            else:
                style = SEVERITY_STYLE[item.severity]
                console.print(f"    [{style}]! {item.severity}[/{style}] {escape(item.title)}")
                if item.acknowledged:
                    ack = item.acknowledged
                    console.print(f"        [dim]acknowledged by {escape(str(ack.get('by')))} at "
                                  f"{escape(str(ack.get('time')))}: {escape(str(ack.get('note') or ''))}[/dim]")
                if verbose and item.evidence:
                    console.print(f"        [dim]{escape(compact(item.evidence, 400))}[/dim]")
    if acked and not show_acked:
        console.print(f"  [dim]{len(acked)} acknowledged finding(s) ({severity_counts(acked)}) hidden: "
                      "--show-acked shows them[/dim]")
    local = len(tenant.changes) - len(tenant.tenant_changes)
    counted = f"{len(tenant.tenant_changes)} change(s)" + (f" and {local} to local files only" if local else "")
    console.print(f"  {counted}, {len(tenant.findings)} finding(s) ({severity_counts(tenant.findings)})")


def render_recap(recaps: Sequence[Any], console: Console) -> None:
    console.rule("[bold]recap[/bold]")
    for recap in recaps:
        color = "green" if recap.success else "red"
        console.print(
            f"[{color}]{escape(recap.name):<24}[/{color}] ok={recap.ok} changed={recap.changed} "
            f"failed={recap.failed} skipped={recap.skipped}"
        )
        if recap.error:
            console.print(f"    [red]{escape(recap.error)}[/red]")


RESULT_WORDS = {"applied": "changed", "failed": "failed", "skipped": "ok", "stale": "stale"}


def result_line(tenant: str, change: Any, result: str, detail: Mapping[str, Any]) -> str:
    """One change's outcome as it completes, Ansible-style: `changed: [acme] suspend user eve@acme.com
    (request id …)`, `failed: [acme] … : Okta's error summary`."""
    line = f"{RESULT_WORDS.get(result, result)}: [{tenant}] {change.action} {target_label(change.target)}"
    if result == "applied" and detail.get("request_id"):
        line += f" (request id {detail['request_id']})"
    if result == "skipped":
        line += f" ({detail.get('note') or 'already in effect'})"
    if detail.get("error"):
        line += f": {detail['error']}"
    return line

"""validate, plan, apply: the commands that read playbooks and talk to tenants."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from remediator import progress
from remediator.cli.app import app
from remediator.engine import ApplySettings, PlanSettings, jobs_for, playbook_ref
from remediator.engine import apply as engine_apply
from remediator.engine import plan as engine_plan
from remediator.errors import InputError, PlaybookError
from remediator.inventory import default_tenant, load_inventory, select
from remediator.journal import DEFAULT_PATH, Journal, read_records
from remediator.notify import FORMATS, check_url, send
from remediator.okta.client import DEFAULT_DEADLINE, DEFAULT_TIMEOUT
from remediator.plan import SEVERITIES, Plan
from remediator.playbook import load_playbook, parse_extra_vars, playbook_scopes, validate_paths
from remediator.report import evidence_dirs, render_plan, render_recap, render_report
from remediator.report.terminal import result_line
from remediator.shard import in_shard, parse_shard
from remediator.triage import open_findings

InventoryOpt = Annotated[Path | None, typer.Option("-i", "--inventory", help="Inventory YAML (tenants).")]
LimitOpt = Annotated[str | None, typer.Option("--limit", help="Tenants by name, tag or glob, comma-separated.")]
ExtraOpt = Annotated[list[str] | None, typer.Option("-e", "--extra-vars", help="KEY=VALUE (VALUE is YAML).")]
TagsOpt = Annotated[str | None, typer.Option("--tags", help="Only states with one of these tags (comma-separated).")]
ShardOpt = Annotated[str | None, typer.Option("--shard", metavar="K/N",
                                             help="Only this runner's share of the tenants (K of N).")]
NotifyOpt = Annotated[str | None, typer.Option(
    "--notify", metavar="URL", envvar="REMEDIATOR_NOTIFY_URL", show_default=False,
    help="Post the recap and new critical/high findings to this webhook (or env:VAR; never printed).")]
NotifyFormatOpt = Annotated[str, typer.Option("--notify-format", help="json, or slack (Slack-compatible).")]
FailOnOpt = Annotated[str | None, typer.Option(
    "--fail-on", metavar="SEVERITY",
    help="With --detailed-exitcode, also exit 2 for an unacknowledged finding of this severity or above.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")]
ForksOpt = Annotated[int, typer.Option("--forks", min=1, help="Tenants run concurrently.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of the terminal rendering.")]
JournalOpt = Annotated[Path, typer.Option("--journal", help="Journal file (JSON Lines, hash-chained).")]
ReportOpt = Annotated[Path | None, typer.Option("--report", help="Report file: Markdown, or HTML for .html.")]
TimeoutOpt = Annotated[float, typer.Option("--timeout", metavar="SECONDS", min=0.001,
                                           help="Longest one request may take; a request meets two at most.")]
DeadlineOpt = Annotated[float, typer.Option("--deadline", metavar="SECONDS", min=0.001,
                                            help="Longest one tenant may take; the others go on.")]


def _console() -> Console:
    return Console(stderr=False, highlight=False, soft_wrap=True)


def _say(message: str) -> None:
    """Progress a user must see even with --json (waiting for another writer): on stderr."""
    typer.echo(message, err=True)


def _tenants(inventory: Path | None, limit: str | None, shard: str | None = None) -> list[Any]:
    tenants = select(load_inventory(inventory) if inventory else [default_tenant()], limit)
    if shard is None:
        return tenants
    k, n = parse_shard(shard)
    return in_shard(tenants, k, n)


def _jobs(playbook: Any, tenants: list[Any], extra: list[str] | None, tags: str | None) -> list[Any]:
    tag_set = {t.strip() for t in tags.split(",") if t.strip()} if tags else None
    return jobs_for(playbook, tenants, parse_extra_vars(extra or []), tag_set)


def _write(path: Path, text: str, what: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    except OSError as exc:
        raise InputError(f"cannot write the {what}: {exc.strerror}", where=str(path)) from None


@app.command()
def validate(
    playbooks: Annotated[list[Path], typer.Argument(help="Playbook files.")],
    inventory: InventoryOpt = None,
    scopes: Annotated[bool, typer.Option(
        "--scopes", help="Print the OAuth scopes a service app needs for these playbooks, one per line.")] = False,
) -> None:
    """Check playbooks (and an inventory) without touching any tenant."""
    lines = playbook_scopes(playbooks, inventory) if scopes else validate_paths(playbooks, inventory)
    for line in lines:
        typer.echo(line)


@app.command()
def plan(
    playbook: Annotated[Path, typer.Argument(help="Playbook file.")],
    inventory: InventoryOpt = None,
    limit: LimitOpt = None,
    extra_vars: ExtraOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Save the plan (JSON) for `apply PLAN.json`.")] = None,
    as_json: JsonOpt = False,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 2 when changes are pending.")
    ] = False,
    tags: TagsOpt = None,
    forks: ForksOpt = 10,
    journal: JournalOpt = DEFAULT_PATH,
    report: ReportOpt = None,
    shard: ShardOpt = None,
    notify: NotifyOpt = None,
    notify_format: NotifyFormatOpt = "json",
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Show findings' evidence.")] = False,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT,
    deadline: DeadlineOpt = DEFAULT_DEADLINE,
    ignore_journal: Annotated[bool, typer.Option(
        "--ignore-journal", help="Plan without the journal's records of earlier runs (when it does not verify).",
    )] = False,
    fail_on: FailOnOpt = None,
    show_acked: Annotated[bool, typer.Option("--show-acked", help="Show acknowledged findings in full.")] = False,
    quiet: QuietOpt = False,
) -> int:
    """Read each tenant and show what would change and what was found. Never writes to a tenant."""
    notify_url = _notify_url(notify, notify_format)
    check_fail_on(fail_on)
    pb = load_playbook(playbook)
    jobs = _jobs(pb, _tenants(inventory, limit, shard), extra_vars, tags)
    settings = PlanSettings(forks=forks, journal_path=journal, client_options=_time_limits(timeout, deadline),
                            ignore_journal=ignore_journal, playbook=playbook_ref(pb))
    with _progress(as_json=as_json, quiet=quiet):
        plan_doc = asyncio.run(engine_plan(jobs, settings))
    emit_plan(plan_doc, as_json=as_json, out=out, report=report, verbose=verbose, show_acked=show_acked)
    if notify_url is not None:
        send(notify_url, notify_format, plan_doc, command="plan")
    return plan_exit_code(plan_doc, detailed_exitcode=detailed_exitcode, fail_on=fail_on)


def check_fail_on(fail_on: str | None) -> None:
    if fail_on is not None and fail_on not in SEVERITIES:
        raise InputError(f"must be one of {', '.join(SEVERITIES)}, not {fail_on!r}", where="--fail-on")


def plan_exit_code(plan_doc: Plan, *, detailed_exitcode: bool, fail_on: str | None) -> int:
    """1 when a tenant could not be planned; with --detailed-exitcode, 2 when changes to a tenant are
    pending (local-only changes do not count) or, with --fail-on, an open finding of that severity or
    above remains; else 0."""
    if plan_doc.has_errors:
        return 1
    if not detailed_exitcode:
        return 0
    return 2 if plan_doc.has_changes or (fail_on is not None and open_findings(plan_doc, fail_on)) else 0


def _progress(*, as_json: bool, quiet: bool) -> Any:
    """Progress on stderr when a person watches a terminal; nothing with --json, --quiet, in CI or piped."""
    return progress.reporting(progress.RichReporter() if progress.wanted(as_json=as_json, quiet=quiet)
                              else progress.Reporter())


def _time_limits(timeout: float, deadline: float) -> dict[str, Any]:
    """The client's time limits: per request (`--timeout`) and per tenant (`--deadline`)."""
    return {"timeout": timeout, "deadline": deadline}


def _notify_url(notify: str | None, fmt: str) -> str | None:
    """The webhook URL, checked before any tenant is touched (`env:VAR` reads it from the environment)."""
    import os

    if fmt not in FORMATS:
        raise InputError(f"must be one of {', '.join(FORMATS)}, not {fmt!r}", where="--notify-format")
    if notify is None:
        return None
    if notify.startswith("env:"):
        value = os.environ.get(notify[4:])
        if not value:
            raise InputError(f"environment variable {notify[4:]} is not set", where="--notify")
        notify = value
    return check_url(notify)


def emit_plan(
    plan_doc: Plan,
    *,
    as_json: bool,
    out: Path | None,
    report: Path | None,
    verbose: bool = False,
    show_acked: bool = False,
    title: str = "remediator plan",
) -> None:
    """Save the plan (`--out`), write its report (`--report`), print it (JSON or for a terminal)."""
    if out is not None:
        _write(out, plan_doc.dumps(), "plan")
    if report is not None:
        _write(report, render_report(report, plan_doc, title=title), "report")
    if as_json:
        sys.stdout.write(plan_doc.dumps())
    else:
        render_plan(plan_doc, _console(), verbose=verbose, show_acked=show_acked)


def load_saved_plan(path: Path) -> Plan:
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise InputError(f"cannot read the plan: {exc.strerror}", where=str(path)) from None
    except json.JSONDecodeError as exc:
        raise PlaybookError(f"not JSON: {exc.msg}", where=f"{path}:{exc.lineno}") from None
    except ValueError as exc:  # an integer beyond Python's 4,300-digit limit
        raise PlaybookError(f"not a plan: {' '.join(str(exc).split()[:12])}", where=str(path)) from None
    return Plan.from_json(data, where=str(path))


def _is_saved_plan(path: Path) -> bool:
    return path.suffix.lower() == ".json"


@app.command()
def apply(
    source: Annotated[
        Path, typer.Argument(metavar="PLAYBOOK|PLAN.json", help="A playbook, or a plan saved by plan --out.")
    ],
    inventory: InventoryOpt = None,
    limit: LimitOpt = None,
    extra_vars: ExtraOpt = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: JsonOpt = False,
    journal: JournalOpt = DEFAULT_PATH,
    tags: TagsOpt = None,
    forks: ForksOpt = 10,
    max_changes: Annotated[int | None, typer.Option("--max-changes", min=0, help="Override max_changes.")] = None,
    report: ReportOpt = None,
    shard: ShardOpt = None,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT,
    deadline: DeadlineOpt = DEFAULT_DEADLINE,
    notify: NotifyOpt = None,
    notify_format: NotifyFormatOpt = "json",
    wait_lock: Annotated[float, typer.Option(
        "--wait-lock", min=0, metavar="SECONDS",
        help="When another apply is writing to a tenant or its evidence directory, wait this long for it "
             "(default: exit 1 at once).",
    )] = 0.0,
    quiet: QuietOpt = False,
) -> int:
    """Apply a playbook (plan, show, confirm, apply) or exactly a saved plan (reviewed already: no question)."""
    notify_url = _notify_url(notify, notify_format)
    lines: list[str] = []

    def on_result(tenant: str, change: Any, result: str, detail: dict[str, Any]) -> None:
        lines.append(result_line(tenant, change, result, detail))
        if not as_json:  # as it happens on a terminal; with --json, in the final document
            with progress.current().printing():
                _console().print(escape(lines[-1]))

    settings = ApplySettings(forks=forks, journal_path=journal, max_changes=max_changes,
                             client_options=_time_limits(timeout, deadline), lock_wait=wait_lock, on_lock_wait=_say,
                             on_result=on_result)
    tenants = _tenants(inventory, limit, shard)
    saved = _is_saved_plan(source)
    if saved:
        if extra_vars:
            raise InputError("-e applies to playbooks; a saved plan is applied exactly as planned", where="-e")
        full = load_saved_plan(source)
        names = {t.name for t in tenants}
        plan_doc = replace(full, tenants=tuple(t for t in full.tenants if t.name in names))
        if not plan_doc.tenants:
            raise InputError("no tenant of the plan is selected by the inventory/--limit", where=str(source))
    else:
        pb = load_playbook(source)
        jobs = _jobs(pb, tenants, extra_vars, tags)
        with _progress(as_json=as_json, quiet=quiet):
            plan_doc = asyncio.run(engine_plan(jobs, PlanSettings(forks=forks, journal_path=journal,
                                                                  client_options=settings.client_options,
                                                                  playbook=playbook_ref(pb))))
    if not as_json:
        render_plan(plan_doc, _console())
    if plan_doc.has_changes and not yes and not saved:  # a saved plan was reviewed already
        if not sys.stdin.isatty():
            raise InputError("there is no terminal to confirm on: review the plan, then run again with --yes",
                             where="apply")
        if not typer.confirm("Apply these changes?", default=False):
            typer.echo("nothing applied")
            return 1 if plan_doc.has_errors else 0
    with _progress(as_json=as_json, quiet=quiet):
        recap = asyncio.run(engine_apply(plan_doc, tenants, Journal(journal), settings))
    if report is not None:
        records = list(read_records(journal))
        _write(report, render_report(report, plan_doc, title="remediator apply", recaps=recap.tenants,
                                     journal_records=records, evidence_dirs=evidence_dirs(plan_doc)), "report")
    if as_json:
        doc = {"plan": plan_doc.to_json(), "lines": lines, "recap": [_recap_json(r) for r in recap.tenants]}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        render_recap(recap.tenants, _console())
    if notify_url is not None:
        send(notify_url, notify_format, plan_doc, recap.tenants, command="apply")
    return 1 if plan_doc.has_errors else recap.exit_code


def _recap_json(recap: Any) -> dict[str, Any]:
    return {"name": recap.name, "ok": recap.ok, "changed": recap.changed, "failed": recap.failed,
            "skipped": recap.skipped, "error": recap.error, "results": recap.results}

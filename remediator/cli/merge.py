"""merge: one plan from the plans of several runners (`--shard K/N`), for one report and one exit code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from remediator.cli.app import app
from remediator.cli.run import (
    FailOnOpt,
    InventoryOpt,
    JsonOpt,
    ReportOpt,
    _console,
    _load_saved_plan,
    _write,
)
from remediator.errors import InputError
from remediator.plan import SEVERITIES, merge_plans
from remediator.report import render_plan, render_report
from remediator.triage import open_findings


@app.command()
def merge(
    plans: Annotated[list[Path], typer.Argument(metavar="PLAN.json...", help="Plans saved by plan --out.")],
    inventory: InventoryOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Save the merged plan (JSON).")] = None,
    as_json: JsonOpt = False,
    report: ReportOpt = None,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 2 when changes are pending.")
    ] = False,
    fail_on: FailOnOpt = None,
) -> int:
    """Join the plans of several shards into one (tenants in the inventory's order with -i)."""
    if fail_on is not None and fail_on not in SEVERITIES:
        raise InputError(f"must be one of {', '.join(SEVERITIES)}, not {fail_on!r}", where="--fail-on")
    order = None
    if inventory is not None:
        from remediator.inventory import load_inventory

        order = [t.name for t in load_inventory(inventory)]
    merged = merge_plans([(str(p), _load_saved_plan(p)) for p in plans], order)
    if out is not None:
        _write(out, merged.dumps(), "plan")
    if report is not None:
        _write(report, render_report(report, merged, title="remediator plan (merged)"), "report")
    if as_json:
        sys.stdout.write(merged.dumps())
    else:
        render_plan(merged, _console())
    if merged.has_errors:
        return 1
    if not detailed_exitcode:
        return 0
    return 2 if merged.has_changes or (fail_on is not None and open_findings(merged, fail_on)) else 0

"""merge: one plan from the plans of several runners (`--shard K/N`), for one report and one exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from remediator.cli.app import app
from remediator.cli.run import (
    FailOnOpt,
    InventoryOpt,
    JsonOpt,
    ReportOpt,
    check_fail_on,
    emit_plan,
    load_saved_plan,
    plan_exit_code,
)
from remediator.inventory import load_inventory
from remediator.plan import merge_plans


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
    check_fail_on(fail_on)
    order = None
    if inventory is not None:
        order = [t.name for t in load_inventory(inventory)]
    merged = merge_plans([(str(p), load_saved_plan(p)) for p in plans], order)
    emit_plan(merged, as_json=as_json, out=out, report=report, title="remediator plan (merged)")
    return plan_exit_code(merged, detailed_exitcode=detailed_exitcode, fail_on=fail_on)

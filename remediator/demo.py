"""`remediator demo`: a whole response rehearsed on a sandbox tenant, in one command.

It starts a sandbox seeded with a scenario (default `lapsus-2022`) in-process, then runs the shipped
playbook that scenario rehearses through the same code paths as `plan` and `apply --yes` against it: plan, apply, and a
second plan that must be empty. Needs no network and no credentials; writes only under `workdir`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from remediator import shipped
from remediator.engine import ApplySettings, PlanSettings, apply, jobs_for, plan, playbook_ref
from remediator.evidence import evidence_dir
from remediator.inventory import load_inventory
from remediator.journal import Journal, verify
from remediator.kinds.system_log_archive import SETTLE
from remediator.playbook import load_playbook, parse_extra_vars
from remediator.report import render_plan, render_recap
from remediator.timeutil import format_time

TOKEN_ENV = "REMEDIATOR_DEMO_TOKEN"
PLAYBOOK = "okta-lapsus-2022.yml"


def shipped_playbook(name: str = PLAYBOOK) -> Path:
    """The shipped playbook (in the source tree or the installed package alike)."""
    return shipped.playbook(name)


def run_demo(console: Console, *, users: int = 2000, workdir: Path = Path(".remediator/demo"),
             scenario: str = "lapsus-2022") -> int:
    from remediator.sandbox import Sandbox
    from remediator.sandbox.scenarios import scenario as find_scenario

    shipped = find_scenario(scenario).playbook

    workdir.mkdir(parents=True, exist_ok=True)
    journal_path = workdir / "journal.jsonl"
    journal_path.unlink(missing_ok=True)
    # each demo is a new sandbox org (a new port): its evidence starts afresh, as its journal does,
    # since an evidence directory made for another org is refused
    shutil.rmtree(evidence_dir(workdir / "evidence", "sandbox"), ignore_errors=True)
    playbook = load_playbook(shipped_playbook(shipped))
    console.print(f"[bold]Starting a sandbox tenant[/bold] (scenario {scenario}, {users} users, playbook {shipped})…")
    with Sandbox(scenario=scenario, users=users, seed=1) as sandbox:
        planted = (sandbox.snapshot().get("scenario") or {}).get("planted", {})
        inventory = _write_inventory(workdir, sandbox.org_url, planted)
        os.environ[TOKEN_ENV] = sandbox.token
        spec = load_inventory(inventory)[0]
        # a fixed end the archive can claim at once: Okta may still persist events of the last `SETTLE` seconds
        settled = format_time(sandbox.now() - timedelta(seconds=SETTLE + 5))  # + `Date`'s whole seconds
        extra = parse_extra_vars([f"evidence_until={settled}"])
        jobs = jobs_for(playbook, [spec], extra)
        planning = PlanSettings(journal_path=journal_path, playbook=playbook_ref(playbook))

        console.rule("[bold]1. plan[/bold]")
        first = asyncio.run(plan(jobs, planning))
        render_plan(first, console)
        console.rule("[bold]2. apply --yes[/bold]")
        outcome = asyncio.run(apply(first, [spec], Journal(journal_path), ApplySettings(journal_path=journal_path)))
        render_recap(outcome.tenants, console)
        console.rule("[bold]3. plan again[/bold]")
        second = asyncio.run(plan(jobs, planning))
        render_plan(second, console)
    report = verify(journal_path)
    console.print(f"journal {journal_path}: chain verified, {report.records} records, {report.applied} writes")
    console.print(f"evidence under {workdir / 'evidence'}; `remediator evidence verify {workdir / 'evidence'}`")
    if first.has_errors or second.has_errors or outcome.exit_code or second.has_changes:
        console.print("[bold red]the demo did not converge[/bold red]")
        return 1
    console.print("[bold green]converged: the second plan has nothing to change[/bold green]")
    return 0


def _write_inventory(workdir: Path, org_url: str, planted: dict[str, Any]) -> Path:
    break_glass = [planted["break_glass_login"]] if planted.get("break_glass_login") else []
    inventory = {
        "tenants": {
            "sandbox": {
                "org_url": org_url,
                "token_env": TOKEN_ENV,
                "tags": ["demo"],
                "vars": {"break_glass": break_glass, "evidence_dir": str(workdir / "evidence")},
            }
        }
    }
    path = workdir / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    return path

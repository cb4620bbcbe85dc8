"""snapshot, sandbox serve, evidence verify, journal verify, ack, demo.

The sandbox (and the demo, which starts one) is imported by the commands that start it only: no other
command loads the emulated tenant.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from remediator.cli.app import RemediatorGroup, app
from remediator.cli.run import _tenants
from remediator.errors import InputError
from remediator.evidence import verify_evidence
from remediator.inventory import load_inventory
from remediator.journal import DEFAULT_PATH, Journal, verify
from remediator.snapshot import take_snapshot
from remediator.timeutil import format_time, parse_time

sandbox_app = typer.Typer(cls=RemediatorGroup, help="The sandbox tenant: a local emulation of the Okta API.")
evidence_app = typer.Typer(cls=RemediatorGroup, help="Evidence preserved by okta.system_log_archive.")
journal_app = typer.Typer(cls=RemediatorGroup, help="The journal of every write remediator attempted.")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(evidence_app, name="evidence")
app.add_typer(journal_app, name="journal")


@app.command()
def snapshot(
    out: Annotated[Path, typer.Option("--out", help="Where to write the tenant snapshot (JSON).")],
    inventory: Annotated[Path | None, typer.Option("-i", "--inventory", help="Inventory YAML.")] = None,
    limit: Annotated[str | None, typer.Option("--limit", help="The one tenant to snapshot.")] = None,
    logs_since: Annotated[str | None, typer.Option("--logs-since", help="Also copy the System Log since.")] = None,
) -> int:
    """Read one tenant's state into the snapshot format that `sandbox serve --snapshot` loads."""
    tenants = _tenants(inventory, limit)
    if len(tenants) != 1:
        raise InputError(f"snapshot takes one tenant, {len(tenants)} selected (use --limit NAME)", where="--limit")
    if logs_since is not None:
        try:
            parse_time(logs_since)
        except ValueError as exc:
            raise InputError(str(exc), where="--logs-since") from None
    data = asyncio.run(take_snapshot(tenants[0], logs_since=logs_since))
    try:
        out.write_text(json.dumps(data, indent=1) + "\n")
    except OSError as exc:
        raise InputError(f"cannot write the snapshot: {exc.strerror}", where=str(out)) from None
    typer.echo(f"{tenants[0].name}: snapshot written to {out} ({len(data.get('users', []))} users)")
    return 0


@sandbox_app.command("serve")
def sandbox_serve(
    scenario: Annotated[str | None, typer.Option(
        "--scenario", help="Generate a tenant: lapsus-2022, support-har-2023, …")] = None,
    snapshot_file: Annotated[Path | None, typer.Option("--snapshot", help="Serve this tenant snapshot.")] = None,
    users: Annotated[int, typer.Option("--users", min=1, max=1_000_000, help="Scenario size.")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Scenario and faults seed.")] = 1,
    clock: Annotated[str | None, typer.Option("--clock", help="The tenant's now at start (ISO 8601).")] = None,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="0 picks a free port.")] = 0,
    token: Annotated[str | None, typer.Option("--token", help="The operator's API token (random if absent).")] = None,
    ready_file: Annotated[Path | None, typer.Option("--ready-file", help="Written once requests are accepted.")] = None,
    rate_limits: Annotated[str, typer.Option("--rate-limits", help="off, enterprise or workforce.")] = "off",
    time_scale: Annotated[float, typer.Option("--time-scale", min=0.001, help="A 'minute' lasts 60/X s.")] = 1.0,
    faults: Annotated[str | None, typer.Option("--faults", help="e.g. 500:0.02,reset:0.01,latency:20ms")] = None,
    log_delay: Annotated[float | None, typer.Option(
        "--log-delay", min=0, help="Some System Log events persist up to this many seconds late (0: off; "
                                   "default: the scenario's, off for snapshots).")] = None,
    log_events: Annotated[int | None, typer.Option(
        "--log-events", min=0, max=10_000_000, help="Size of the scenario's generated System Log (default: 20 "
                                                    "events per user, within 2,000..200,000).")] = None,
) -> int:
    """Serve a sandbox tenant on 127.0.0.1 until SIGTERM/SIGINT.

    Once ready, one line on stderr gives its size, time to ready and peak RSS (the memory benchmark's figure)."""
    from remediator.sandbox.server import run_serve

    if (scenario is None) == (snapshot_file is None):
        raise InputError("give exactly one of --scenario NAME or --snapshot FILE", where="sandbox serve")
    if log_events is not None and snapshot_file is not None:
        raise InputError("sizes a generated scenario's System Log; a snapshot brings its own", where="--log-events")
    if rate_limits not in ("off", "enterprise", "workforce"):
        raise InputError(f"must be off, enterprise or workforce, not {rate_limits!r}", where="--rate-limits")
    if clock is not None:
        try:
            parse_time(clock)
        except ValueError as exc:
            raise InputError(str(exc), where="--clock") from None
    if faults:
        from remediator.sandbox.faults import parse_faults

        try:
            parse_faults(faults)
        except ValueError as exc:
            raise InputError(str(exc), where="--faults") from None
    return run_serve(
        scenario=scenario,
        snapshot=snapshot_file,
        users=users,
        seed=seed,
        clock=clock,
        port=port,
        token=token,
        ready_file=ready_file,
        rate_limits=rate_limits,
        time_scale=time_scale,
        faults=faults,
        log_delay=log_delay,
        log_events=log_events,
        announce=lambda line: typer.echo(line, err=True),
    )


@evidence_app.command("verify")
def evidence_verify(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Evidence directory.")],
    journal: Annotated[Path | None, typer.Option(
        "--journal", help="Also check each manifest against the last archive write this journal recorded.")] = None,
) -> int:
    """Recompute every chunk's hash, count and range against the manifests; exit 1 on any mismatch."""
    for line in verify_evidence(directory, journal=journal):
        typer.echo(line)
    return 0


@journal_app.command("verify")
def journal_verify(
    path: Annotated[Path, typer.Argument(metavar="[PATH]", help="Journal file.")] = DEFAULT_PATH,
    head: Annotated[str | None, typer.Option(
        "--head", help="A head hash printed by an earlier verify and kept elsewhere: the chain must contain it.",
    )] = None,
) -> int:
    """Check the journal's hash chain (and a head kept elsewhere); exit 1 naming the first broken record.

    Keep the printed head outside this machine (the incident ticket): `--head` then catches a journal
    cut short, or re-chained after a forged line, which a chain alone cannot show.
    """
    result = verify(path, head=head.strip().lower() if head else None)
    typer.echo(f"{path}: ok: {result.records} records, {result.runs} run(s), {result.applied} write(s) applied, "
               f"head {result.head}")
    return 0


@app.command()
def ack(
    tenant: Annotated[str, typer.Argument(help="Tenant name.")],
    step: Annotated[str, typer.Argument(metavar="STEP|FINDING_ID",
                                        help="A manual step's id, or a finding's id (from the plan).")],
    by: Annotated[str, typer.Option("--by", help="Who did it, or who accepts the finding.")],
    note: Annotated[str, typer.Option("--note", help="What was done or why it is accepted.")] = "",
    expires: Annotated[str | None, typer.Option("--expires", help="Date (ISO 8601) the acceptance ends.")] = None,
    journal: Annotated[Path, typer.Option("--journal", help="Journal file.")] = DEFAULT_PATH,
    inventory: Annotated[Path | None, typer.Option(
        "-i", "--inventory", help="Inventory: records the tenant's org, so the acknowledgement is its org's.",
    )] = None,
) -> int:
    """Acknowledge a manual step done, or accept a finding (later plans show it collapsed until its
    evidence changes or the acknowledgement expires); recorded in the journal."""
    if not by.strip():
        raise InputError("must name who did the step or accepts the finding", where="--by")
    if not step.strip():
        raise InputError("names no step and no finding", where="ack")
    record = {"type": "ack", "tenant": tenant, "step": step, "by": by, "note": note}
    if expires is not None:
        try:
            record["expires"] = format_time(parse_time(expires))
        except ValueError as exc:
            raise InputError(str(exc), where="--expires") from None
    if inventory is not None:
        specs = {t.name: t for t in load_inventory(inventory)}
        if tenant not in specs:
            raise InputError(f"no tenant {tenant!r} in the inventory", where=str(inventory))
        record["org_url"] = specs[tenant].org_url
    if journal.exists():
        verify(journal)  # never extend a journal that does not verify
    Journal(journal).append(record)
    until = f" until {record['expires']}" if expires is not None else ""
    typer.echo(f"{tenant}: {step!r} acknowledged by {by}{until}")
    return 0


@app.command()
def demo(
    users: Annotated[int, typer.Option("--users", min=40, max=100_000, help="Size of the sandbox org.")] = 2000,
    workdir: Annotated[Path, typer.Option("--workdir", help="Where the journal and evidence go.")] = Path(
        ".remediator/demo"
    ),
    scenario: Annotated[str, typer.Option(
        "--scenario", help="The scenario, rehearsed with its playbook: lapsus-2022, support-har-2023, …",
    )] = "lapsus-2022",
) -> int:
    """Rehearse a shipped response on its sandbox tenant: plan, apply, and a second plan that is empty."""
    from remediator.demo import run_demo

    return run_demo(Console(highlight=False, soft_wrap=True), users=users, workdir=workdir, scenario=scenario)


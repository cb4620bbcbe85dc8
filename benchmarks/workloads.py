"""One benchmark workload, run by remediator's engine in this process (run.py starts one per workload).

Why a process per workload: the client's peak RSS (`ru_maxrss`) and CPU time are then the workload's
own, and the sandbox's CPU is measured in its own process.

    python benchmarks/workloads.py plan    --ready R [--tenant 0] [--apply] [--dup-check] [--repeat-check]
                                           [--playbook playbooks/X.yml]
    python benchmarks/workloads.py multi   --ready R --tenants N
    python benchmarks/workloads.py archive --ready R --dir D
    python benchmarks/workloads.py hunt    --dir D --tenant-name t00
    python benchmarks/workloads.py shard   --ready R --count N [--shards 4]

Prints one JSON object on stdout. Only talks to the org URLs of the ready file (127.0.0.1).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.playbook_model import EXCLUDED_KINDS  # noqa: E402
from remediator.engine import ApplySettings, PlanSettings, TenantJob, apply, jobs_for, plan, playbook_ref  # noqa: E402
from remediator.inventory import TenantSpec  # noqa: E402
from remediator.journal import Journal  # noqa: E402
from remediator.kinds import REGISTRY  # noqa: E402
from remediator.okta.client import OktaClient, is_loopback  # noqa: E402
from remediator.playbook import load_playbook, parse_extra_vars, render_states  # noqa: E402

PLAYBOOK = ROOT / "playbooks" / "okta-lapsus-2022.yml"
#: Every state of the playbook except the evidence archive and the hunt (measured on their own).
PLAN_TAGS = {"contain", "review", "harden", "manual"}
WRITE_EVENTS = {
    "user.lifecycle.suspend", "user.account.reset_password", "user.account.expire_password",
    "user.session.clear", "user.account.privilege.revoke", "group.privilege.revoke", "system.api_token.revoke",
    "user.session.impersonation.revoke", "policy.lifecycle.update", "policy.rule.update",
    "system.idp.lifecycle.deactivate", "application.lifecycle.deactivate", "user.mfa.factor.deactivate",
    "system.api_token.update", "zone.create", "zone.update", "zone.activate", "zone.deactivate",
    "security.threat.configuration.update", "security.attack_protection.settings.update",
}


def usage() -> dict[str, float]:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu_s": ru.ru_utime + ru.ru_stime, "maxrss_mb": ru.ru_maxrss / 1024}


TICKS = os.sysconf("SC_CLK_TCK")


def machine_busy_s() -> float:
    """CPU seconds every process of the machine has spent so far (/proc/stat: all but idle and iowait)."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICKS


def process_cpu_s(pid: int) -> float:
    """utime + stime of another process (the sandbox), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:13]) / TICKS


class Recorder:
    """Keeps every client and what the rate-limit headers said, for the windows analysis."""

    def __init__(self) -> None:
        self.clients: list[OktaClient] = []
        self.responses: list[tuple[float, str, int | None, str | None, str | None]] = []

    def factory(self, org_url: str, auth: Any, **kwargs: Any) -> OktaClient:
        from yarl import URL

        if not is_loopback(URL(org_url).host):
            raise SystemExit(f"refusing a non-loopback org URL {org_url}")
        client = OktaClient(org_url, auth, **kwargs)
        release = client.pacer.release
        responses = self.responses

        def traced(ticket: Any, status: int | None, headers: Any) -> None:
            reset = headers.get("X-Rate-Limit-Reset") if headers is not None else None
            remaining = headers.get("X-Rate-Limit-Remaining") if headers is not None else None
            responses.append((time.monotonic(), ticket.bucket, status, reset, remaining))
            release(ticket, status, headers)

        client.pacer.release = traced  # type: ignore[method-assign]
        self.clients.append(client)
        return client

    def reset(self) -> None:
        self.clients.clear()
        self.responses.clear()

    def stats(self) -> dict[str, Any]:
        calls: Counter[str] = Counter()
        out = {"requests": 0, "throttled": 0, "retries": 0, "bytes_received": 0, "throttle_wait": 0.0}
        waited: Counter[str] = Counter()
        for client in self.clients:
            s = client.stats
            calls.update(s.calls)
            out["requests"] += s.requests
            out["throttled"] += s.throttled
            out["retries"] += s.retries
            out["bytes_received"] += s.bytes_received
            out["throttle_wait"] += s.throttle_wait
            for bucket, state in client.pacer.buckets.items():
                waited[bucket] += state.waited
        out["calls"] = dict(calls)
        out["throttle_wait"] = round(out["throttle_wait"], 3)
        out["windows"] = self.windows()
        return out

    def windows(self) -> dict[str, Any]:
        """Per bucket: windows used, and how long each new window started after the previous one's
        first response (minus the window length: the idle time between windows)."""
        by_bucket: dict[str, list[tuple[float, str]]] = {}
        for t, bucket, status, reset, _ in self.responses:
            if reset is not None and status != 429:
                by_bucket.setdefault(bucket, []).append((t, reset))
        out: dict[str, Any] = {}
        for bucket, items in by_bucket.items():
            firsts: dict[str, float] = {}
            for t, reset in items:
                firsts.setdefault(reset, t)
            starts = sorted(firsts.values())
            out[bucket] = {"windows": len(starts), "responses": len(items),
                           "starts": [round(s - starts[0], 3) for s in starts[:400]]}
        return out


def spec_for(tenant: dict[str, Any], index: int) -> TenantSpec:
    env = f"BENCH_TOKEN_{index}"
    os.environ[env] = tenant["token"]
    glass = [tenant["break_glass_login"]] if tenant.get("break_glass_login") else []
    return TenantSpec(name=tenant["name"], org_url=tenant["org_url"], token_env=env,
                      vars={"break_glass": glass, "evidence_dir": os.environ.get("BENCH_EVIDENCE", "evidence")})


def without_measured_apart(jobs: list[TenantJob]) -> list[TenantJob]:
    """The jobs without their archive and hunt states (measured on their own rows)."""
    out = []
    for job in jobs:
        rendered = job.rendered
        states = tuple(s for s in rendered.states if s.kind not in EXCLUDED_KINDS)
        out.append(TenantJob(job.spec, type(rendered)(states, rendered.variables, rendered.max_changes)))
    return out


def planned_writes(plan: Any) -> dict[str, int]:
    """The writes the plan's changes name, by "kind:action" and "kind:action/step" for each follow-up step (the
    apply model's input: what the apply was asked to do, not what it did)."""
    writes: Counter[str] = Counter()
    for t in plan.tenants:
        for c in t.changes:
            key = f"{c.kind}:{c.action}"
            writes[key] += 1
            writes.update(f"{key}/{step}" for step in REGISTRY[c.kind](c.state, {}).follow_ups(c))
    return dict(writes)


def summarize_plan(plan: Any) -> dict[str, Any]:
    tenants = []
    for t in plan.tenants:
        actions = Counter(f"{c.kind}:{c.action}" for c in t.changes)
        tenants.append({"name": t.name, "status": t.status, "error": t.error, "changes": len(t.changes),
                        "findings": len(t.findings), "actions": dict(actions)})
    return {"tenants": tenants[:3], "errors": sum(1 for t in plan.tenants if t.status != "ok"),
            "changes": sum(len(t.changes) for t in plan.tenants)}


async def run_plan(args: argparse.Namespace) -> dict[str, Any]:
    ready = json.loads(Path(args.ready).read_text())
    picked = ready["tenants"][args.tenant: args.tenant + args.count]
    playbook = load_playbook(Path(args.playbook) if args.playbook else PLAYBOOK)

    def jobs_of(chosen: list[TenantSpec]) -> list[TenantJob]:
        if args.playbook:  # any playbook: every state but the archive and the hunt, whatever its tags
            return without_measured_apart(jobs_for(playbook, chosen, extra))
        return jobs_for(playbook, chosen, extra, PLAN_TAGS)

    work = Path(tempfile.mkdtemp(prefix="bench-plan-"))
    rec = Recorder()
    common = {"journal_path": work / "journal.jsonl", "forks": max(10, len(picked)), "client_factory": rec.factory}
    settings = PlanSettings(**common, playbook=playbook_ref(playbook))
    specs = [spec_for(t, i) for i, t in enumerate(picked)]
    extra = parse_extra_vars([])
    result: dict[str, Any] = {"tenants": len(specs)}

    if args.single_first and len(specs) > 1:
        # one tenant alone first (a different tenant of the same shape, so no read is warm)
        jobs = jobs_of(specs[:1])
        t0 = time.perf_counter()
        await plan(jobs, settings)
        result["single_wall_s"] = round(time.perf_counter() - t0, 3)
        result["single_stats"] = {k: v for k, v in rec.stats().items() if k != "windows"}
        rec.reset()
        specs = specs[1:]

    jobs = jobs_of(specs)
    # what the whole machine and the sandbox spent meanwhile: the CPU other work took is CPU this run
    # could not have (report.py's multi.cpu_bound counts only the cores left to it)
    busy0, box0 = machine_busy_s(), process_cpu_s(ready["pid"])
    cpu0 = usage()["cpu_s"]
    t0 = time.perf_counter()
    planned = await plan(jobs, settings)
    result["plan_wall_s"] = round(time.perf_counter() - t0, 3)
    result["plan_cpu_s"] = round(usage()["cpu_s"] - cpu0, 3)
    result["plan_sandbox_cpu_s"] = round(process_cpu_s(ready["pid"]) - box0, 3)
    result["plan_machine_busy_s"] = round(machine_busy_s() - busy0, 3)
    result["plan_stats"] = rec.stats()
    result["plan"] = summarize_plan(planned)
    result["plan_tenants"] = len(specs)
    if args.playbook:  # the model's inputs: the states as rendered, the writes the changes name
        result["states"] = [[s.kind, s.args, s.name] for s in planned.tenants[0].states]
        result["changes"] = [[c.state, c.kind, c.action, c.target.type, c.target.id]
                             for c in planned.tenants[0].changes]
        result["writes_planned"] = planned_writes(planned)
    if args.apply:
        rec.reset()
        start_now = None
        if args.pause_before_apply:
            await asyncio.sleep(60.0 / ready["time_scale"])  # the apply starts in fresh windows
        if args.dup_check:
            start_now = await tenant_now(specs[0])
        cpu0 = usage()["cpu_s"]
        t0 = time.perf_counter()
        outcome = await apply(planned, specs, Journal(settings.journal_path), ApplySettings(**common))
        result["apply_wall_s"] = round(time.perf_counter() - t0, 3)
        result["apply_cpu_s"] = round(usage()["cpu_s"] - cpu0, 3)
        result["apply_stats"] = rec.stats()
        result["apply_recap"] = [{"name": r.name, "changed": r.changed, "failed": r.failed, "error": r.error}
                                 for r in outcome.tenants]
        if args.dup_check and start_now is not None:
            result["writes"] = await write_events(specs[0], start_now, ready["time_scale"],
                                                  wait=args.pause_before_apply)
        if args.repeat_check:
            rec.reset()
            again = await plan(jobs, settings)
            result["second_plan"] = summarize_plan(again)
    result.update({k: round(v, 1) for k, v in usage().items()})
    return result


async def tenant_now(spec: TenantSpec) -> str:
    from remediator.inventory import resolve_auth
    from remediator.timeutil import format_time

    async with OktaClient(spec.org_url, resolve_auth(spec), tenant=spec.name) as client:
        await client.get("/api/v1/logs", {"limit": 1, "sortOrder": "DESCENDING"})
        return format_time(client.server_now())


async def write_events(spec: TenantSpec, since: str, time_scale: float, *, wait: bool = True) -> dict[str, Any]:
    """The write events the apply left in the System Log, and any (eventType, target) seen twice."""
    from remediator.inventory import resolve_auth

    if wait:
        await asyncio.sleep(60.0 / time_scale)  # a fresh logs window: the measured runs never share one
    seen: Counter[tuple[str, str]] = Counter()
    total = 0
    async with OktaClient(spec.org_url, resolve_auth(spec), tenant=spec.name) as client:
        params = {"since": since, "until": "2100-01-01T00:00:00.000Z", "limit": 1000, "sortOrder": "ASCENDING"}
        async for event in client.paginate("/api/v1/logs", params):
            if event.get("eventType") not in WRITE_EVENTS:
                continue
            total += 1
            target = ",".join(sorted(str(t.get("id")) for t in event.get("target") or ()))
            seen[(event["eventType"], target)] += 1
    repeated = {f"{k[0]} {k[1]}": n for k, n in seen.items() if n > 1}
    by_type = Counter(k[0] for k in seen.elements())
    return {"events": total, "by_type": dict(by_type), "repeated": len(repeated),
            "repeated_examples": dict(list(repeated.items())[:5])}


async def run_archive(args: argparse.Namespace) -> dict[str, Any]:
    """Plan + apply of the archive state alone over the whole log (since its first event, until now)."""
    from remediator.inventory import resolve_auth

    ready = json.loads(Path(args.ready).read_text())
    tenant = ready["tenants"][args.tenant]
    os.environ["BENCH_EVIDENCE"] = args.dir
    spec = spec_for(tenant, 0)
    playbook = load_playbook(PLAYBOOK)
    async with OktaClient(spec.org_url, resolve_auth(spec), tenant=spec.name) as probe:
        first = await probe.get_json("/api/v1/logs", {"since": "2021-12-23T00:00:00.000Z", "limit": 1,
                                                       "sortOrder": "ASCENDING",
                                                       "until": "2100-01-01T00:00:00.000Z"})
    since = first[0]["published"]
    await asyncio.sleep(60.0 / ready["time_scale"])  # let the probe's window pass
    extra = parse_extra_vars([f"evidence_since={since}"])
    rendered = render_states(playbook, spec.vars, extra, tags={"evidence"})
    states = tuple(s for s in rendered.states if s.kind == "okta.system_log_archive")
    rendered = type(rendered)(states, rendered.variables, rendered.max_changes)
    work = Path(tempfile.mkdtemp(prefix="bench-archive-"))
    rec = Recorder()
    common = {"journal_path": work / "journal.jsonl", "client_factory": rec.factory}
    jobs = [TenantJob(spec, rendered)]
    t0 = time.perf_counter()
    cpu0 = usage()["cpu_s"]
    planned = await plan(jobs, PlanSettings(**common, playbook=playbook_ref(playbook)))
    outcome = await apply(planned, [spec], Journal(work / "journal.jsonl"), ApplySettings(**common))
    wall = time.perf_counter() - t0
    recap = outcome.tenants[0]
    detail = next((r for r in recap.results if r.get("result") == "applied"), {})
    from remediator.evidence import load_manifest, tenant_dir

    directory = tenant_dir(args.dir, spec.name)
    manifest = load_manifest(directory)
    events = manifest.events if manifest else 0
    measured = usage()  # before the ground-truth check, which loads every event's time
    return {"wall_s": round(wall, 3), "cpu_s": round(measured["cpu_s"] - cpu0, 3), "events": events,
            "since": since, "stats": rec.stats(), "plan": summarize_plan(planned),
            "exact": exactly_once(directory, Path(args.ready + ".published")),
            "recap": {"changed": recap.changed, "failed": recap.failed, "error": recap.error,
                      "request_id": detail.get("request_id")},
            "maxrss_mb": round(measured["maxrss_mb"], 1)}


def exactly_once(directory: Path, published: Path) -> dict[str, Any]:
    """The archive against the sandbox's ground truth: `verify_evidence` (hashes, ranges, each uuid once), and
    the number of events it holds in its covered range against the number the sandbox published there."""
    import bisect

    from remediator.errors import VerifyError
    from remediator.evidence import load_manifest, verify_evidence

    manifest = load_manifest(directory)
    if manifest is None or manifest.covered is None:
        return {"verified": False, "error": "no archive"}
    try:
        verify_evidence(directory)
        verified, error = True, None
    except VerifyError as exc:
        verified, error = False, str(exc)[:500]
    keys = published.read_text().split()
    since, until = manifest.covered["since"], manifest.covered["until"]
    truth = bisect.bisect_left(keys, until) - bisect.bisect_left(keys, since)
    # the apply's own writes (none here) would add events the file does not know: the archive is read-only
    return {"verified": verified, "error": error, "covered": [since, until], "in_covered": truth,
            "archived": manifest.events, "pending": manifest.pending.events if manifest.pending else 0,
            "late": sum(c.events for c in manifest.late), "settle_s": manifest.settle_seconds}


def run_hunt(args: argparse.Namespace) -> dict[str, Any]:
    """Every built-in rule pack over the archive, on one core (CPU time of this process): the scan, then the
    rules and the correlation rules over what it kept, in time order (what the hunt's diff does)."""
    from remediator.evidence import load_manifest, tenant_dir
    from remediator.hunt import Engine, load_rule_set
    from remediator.hunt.rules import BUILTIN
    from remediator.kinds.system_log_hunt import evaluate

    directory = tenant_dir(args.dir, args.tenant_name)
    manifest = load_manifest(directory)
    if manifest is None or manifest.covered is None:
        raise SystemExit(f"no archive under {directory}")
    rule_set = load_rule_set(sorted(BUILTIN))
    engine = Engine(rule_set.rules, correlations=rule_set.correlations)
    since, until = manifest.covered["since"], manifest.covered["until"]
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    kept = sorted(engine.scan_archive(directory, manifest, since, until), key=lambda e: (e["published"], e["uuid"]))
    hunted = evaluate(engine, kept, {}, since, until, frozenset())
    hits = len(hunted.uuids())
    cpu = time.process_time() - cpu0
    return {"events": manifest.events, "hits": hits, "cpu_s": round(cpu, 3),
            "wall_s": round(time.perf_counter() - t0, 3), "maxrss_mb": round(usage()["maxrss_mb"], 1)}


async def run_shards(args: argparse.Namespace) -> dict[str, Any]:
    """The tenants planned unsharded, then each `--shard K/N` of them alone, one after the other (as N
    runners on N machines would, each with the whole of this one): each shard's wall against the whole."""
    from remediator.shard import in_shard

    ready = json.loads(Path(args.ready).read_text())
    picked = ready["tenants"][: args.count]
    playbook = load_playbook(PLAYBOOK)
    work = Path(tempfile.mkdtemp(prefix="bench-shard-"))
    specs = [spec_for(t, i) for i, t in enumerate(picked)]
    extra = parse_extra_vars([])

    async def timed(chosen: list[TenantSpec], label: str) -> float:
        settings = PlanSettings(journal_path=work / f"{label}.jsonl", forks=max(10, len(chosen)),
                                playbook=playbook_ref(playbook))
        t0 = time.perf_counter()
        planned = await plan(jobs_for(playbook, chosen, extra, PLAN_TAGS), settings)
        wall = time.perf_counter() - t0
        if any(t.status != "ok" for t in planned.tenants):
            raise SystemExit(f"shard run {label}: a tenant in error")
        return wall

    whole = await timed(specs, "all")
    shards = []
    for k in range(1, args.shards + 1):
        chosen = in_shard(specs, k, args.shards)
        shards.append({"shard": f"{k}/{args.shards}", "tenants": len(chosen),
                       "wall_s": round(await timed(chosen, f"shard{k}") if chosen else 0.0, 3)})
    return {"tenants": len(specs), "shards": shards, "unsharded_wall_s": round(whole, 3)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="one benchmark workload")
    p.add_argument("workload", choices=["plan", "multi", "archive", "hunt", "shard"])
    p.add_argument("--ready")
    p.add_argument("--tenant", type=int, default=0)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--apply", action="store_true")
    p.add_argument("--dup-check", action="store_true")
    p.add_argument("--repeat-check", action="store_true")
    p.add_argument("--single-first", action="store_true")
    p.add_argument("--pause-before-apply", action="store_true")
    p.add_argument("--playbook", help="plan this playbook (all but its archive and hunt states), not LAPSUS$'s")
    p.add_argument("--dir")
    p.add_argument("--tenant-name", default="t00")
    p.add_argument("--shards", type=int, default=4)
    args = p.parse_args(argv)
    if args.workload == "hunt":
        result = run_hunt(args)
    elif args.workload == "archive":
        result = asyncio.run(run_archive(args))
    elif args.workload == "shard":
        result = asyncio.run(run_shards(args))
    else:
        result = asyncio.run(run_plan(args))
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

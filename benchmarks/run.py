"""Benchmarks at incident scale (issue 5): remediator against the rate-limit floor and a naive baseline.

    python benchmarks/run.py            # full: 100,000 users, 1,000,000 events, 50 tenants (< 10 min)
    python benchmarks/run.py --quick    # CI: 1,000 users, 50,000 events, 10 tenants (< 1 min)
    python benchmarks/run.py --only playbooks   # just the plan (and apply) of each shipped playbook
    python benchmarks/run.py --only plan_apply   # just the plan and apply of the main tenant (a few minutes)
    python benchmarks/run.py --fleet 500x2000   # full, and issue 14's fleet row (its own sandbox, minutes, GBs)
    python benchmarks/run.py --only shard       # just the --shard K/4 row (51 tenants at full size)
    python benchmarks/run.py --only fleet --fleet 500x2000   # just the fleet rows

Starts the sandboxes (lapsus-2022 scenario, Enterprise limits with the default 50% token share,
25 ms injected latency, `--time-scale`) in their own processes (benchmarks/serve.py), runs every
workload in its own client process (benchmarks/workloads.py, benchmarks/naive_baseline.py), measures
the sandbox's CPU from /proc, compares each workload with its floor (benchmarks/model.py), writes
benchmarks/results/<date>[-quick].json, and, for a full run, the table in benchmarks/README.md.
Each shipped playbook (issue 14) is also planned, and each incident playbook's plan applied, on a
tenant of its own scenario at `playbook_users` (`PLAYBOOKS`), against `benchmarks/playbook_model.py`.

Exit status: 0 if every gated target holds (full run: the target; --quick: the target with 50% slack),
1 otherwise, 2 if the benchmark itself could not run. Sandboxes are stopped on every path.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import model  # noqa: E402
from benchmarks.report import render_table, targets, update_readme  # noqa: E402

HERE = ROOT / "benchmarks"
PYTHON = sys.executable
LATENCY = "latency:25ms"
FLEET_LATENCY = "latency:100ms"  # issue 14's fleet row: hundreds of tenants at a real Okta round trip
READY_TIMEOUT = 420.0
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Sizes:
    users: int
    events: int
    naive_users: int
    tenants: int
    tenant_users: int
    naive_budget_s: float
    time_scale: float
    worker_timeout: float
    playbook_users: int
    playbook_events: int


FULL = Sizes(users=100_000, events=1_000_000, naive_users=10_000, tenants=50, tenant_users=2_000,
             naive_budget_s=30.0, time_scale=10.0, worker_timeout=480.0, playbook_users=100_000,
             playbook_events=100_000)
QUICK = Sizes(users=1_000, events=50_000, naive_users=1_000, tenants=10, tenant_users=200,
              naive_budget_s=3.0, time_scale=20.0, worker_timeout=60.0, playbook_users=1_000,
              playbook_events=10_000)

#: Each shipped playbook, the scenario it is rehearsed on, and whether its plan is applied (incident playbooks;
#: the STIG is a baseline). Playbooks sharing a scenario share its tenant, in this order: the STIG's plan
#: writes nothing, so LAPSUS$'s plan after it sees the tenant as generated.
PLAYBOOKS = (
    ("disa-okta-idaas-stig.yml", "lapsus-2022", False),
    ("okta-lapsus-2022.yml", "lapsus-2022", True),
    ("okta-support-har-2023.yml", "support-har-2023", True),
    ("okta-cross-tenant-impersonation-2023.yml", "cross-tenant-2023", True),
    ("okta-credential-stuffing-2024.yml", "credential-stuffing-2024", True),
)


class BenchError(Exception):
    """The benchmark could not run (a sandbox or a worker failed): exit 2."""


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (and its reaped children), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / TICKS


def peak_rss_mb(pid: int) -> float:
    """Peak resident set size of a running process (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Sandboxes:
    """The sandbox processes of one run; `stop()` ends exactly those (by pid), on every path."""

    def __init__(self, work: Path, time_scale: float) -> None:
        self.work = work
        self.time_scale = time_scale
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *, users: int, tenants: int = 1, events: int | None = None,
              break_glass: bool = False, latency: str = LATENCY, scenarios: tuple[str, ...] = (),
              log_delay: float | None = None) -> None:
        cmd = [PYTHON, str(HERE / "serve.py"), "--ready-file", str(self.work / f"{name}.json"),
               "--tenants", str(tenants), "--users", str(users), "--rate-limits", "enterprise",
               "--time-scale", str(self.time_scale), "--faults", latency]
        if scenarios:
            cmd += ["--scenario", *scenarios]
        if log_delay is not None:
            cmd += ["--log-delay", str(log_delay)]
        if events is not None:
            cmd += ["--log-events", str(events)]
        if break_glass:
            cmd.append("--break-glass")
        log = open(self.work / f"{name}.log", "wb")  # noqa: SIM115  # closed with the process
        self.procs[name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=child_env())

    def ready(self, name: str, timeout: float = READY_TIMEOUT) -> dict[str, Any]:
        path = self.work / f"{name}.json"
        deadline = time.monotonic() + timeout
        proc = self.procs[name]
        while time.monotonic() < deadline:
            if path.exists():
                return json.loads(path.read_text())
            if proc.poll() is not None:
                tail = (self.work / f"{name}.log").read_text(errors="replace")[-2000:]
                raise BenchError(f"sandbox {name} exited with {proc.returncode}: {tail}")
            time.sleep(0.2)
        raise BenchError(f"sandbox {name} not ready after {timeout:.0f}s")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        env.pop(name, None)
    env["NO_PROXY"] = "127.0.0.1,localhost"
    return env


def run_worker(cmd: list[str], timeout: float, env: dict[str, str] | None = None) -> dict[str, Any]:
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, env=env or child_env(), check=False)
    except subprocess.TimeoutExpired:
        raise BenchError(f"worker timed out after {timeout:.0f}s: {' '.join(cmd[1:3])}") from None
    if done.returncode != 0:
        raise BenchError(f"worker failed ({done.returncode}): {' '.join(cmd[1:3])}: "
                         f"{done.stderr.decode(errors='replace')[-3000:]}")
    lines = [line for line in done.stdout.decode().splitlines() if line.startswith("{")]
    if not lines:
        raise BenchError(f"worker printed no result: {' '.join(cmd[1:3])}")
    return json.loads(lines[-1])


def measured(pid: int, fn: Any) -> tuple[dict[str, Any], float, float]:
    """Run fn(); return its result, its wall time, and the sandbox's CPU seconds meanwhile."""
    c0, t0 = cpu_seconds(pid), time.perf_counter()
    result = fn()
    return result, time.perf_counter() - t0, cpu_seconds(pid) - c0


def workload(script: str, *args: str) -> list[str]:
    return [PYTHON, str(HERE / script), *args]


PLAYBOOK_SCENARIOS = tuple(dict.fromkeys(s for _, s, _ in PLAYBOOKS))


def start_playbook_boxes(boxes: Sandboxes, sizes: Sizes) -> None:
    """One sandbox process, one tenant per scenario the shipped playbooks are rehearsed on; System Log persisted
    at once (the archive's delayed persistence is measured on its own), so every write of an apply is readable."""
    boxes.start("playbooks", users=sizes.playbook_users, events=sizes.playbook_events, scenarios=PLAYBOOK_SCENARIOS,
                log_delay=0)


def bench_playbooks(boxes: Sandboxes, sizes: Sizes, work: Path, quick: bool) -> dict[str, Any]:
    """Plan each shipped playbook (all but its archive and hunt) on its scenario's tenant; apply the incident
    playbooks' plans, check no write is repeated in the System Log, and plan again (converged).

    A full run measures them one after the other; --quick runs the tenants side by side (each tenant's
    playbooks in turn), since at its size no wall ratio is gated and CI's minute is short."""
    ready = boxes.ready("playbooks")
    pid = ready["pid"]

    def one(playbook: str, scenario: str, applied: bool) -> dict[str, Any]:
        tenant = PLAYBOOK_SCENARIOS.index(scenario)
        args = ["plan", "--ready", str(work / "playbooks.json"), "--tenant", str(tenant),
                "--playbook", str(ROOT / "playbooks" / playbook)]
        if applied:
            args += ["--apply", "--dup-check", "--repeat-check"] + ([] if quick else ["--pause-before-apply"])
        res, wall, cpu = measured(pid, lambda: run_worker(workload("workloads.py", *args), sizes.worker_timeout))
        return {**res, "scenario": scenario, "applied": applied, "process_wall_s": round(wall, 2),
                "sandbox_cpu_s": None if quick else round(cpu, 2), "counts": ready["tenants"][tenant]["counts"],
                "generate_s": ready["generate_s"], "load": os.getloadavg()}

    def tenant_runs(scenario: str) -> dict[str, Any]:
        out = {}
        for i, (playbook, used, applied) in enumerate(p for p in PLAYBOOKS if p[1] == scenario):
            if i and not quick:
                time.sleep(model.WINDOW_SECONDS / sizes.time_scale)  # the same tenant: start in fresh windows
            out[playbook] = one(playbook, used, applied)
        return out

    results: dict[str, Any] = {}
    if quick:
        with ThreadPoolExecutor(len(PLAYBOOK_SCENARIOS)) as pool:
            for done in pool.map(tenant_runs, PLAYBOOK_SCENARIOS):
                results.update(done)
    else:
        for scenario in PLAYBOOK_SCENARIOS:
            results.update(tenant_runs(scenario))
    return {p: results[p] for p, _, _ in PLAYBOOKS}


def plan_apply(sizes: Sizes, ready: dict[str, Any], ready_file: str) -> dict[str, Any]:
    """(a) plan and (c) apply of the main tenant, with the checks of the apply (repeated writes, second plan)."""
    res, wall, cpu = measured(ready["pid"], lambda: run_worker(
        workload("workloads.py", "plan", "--ready", ready_file, "--apply", "--dup-check", "--repeat-check",
                 "--pause-before-apply"), sizes.worker_timeout))
    return {**res, "sandbox_cpu_s": round(cpu, 2), "process_wall_s": round(wall, 2),
            "numbers": ready["tenants"][0]["numbers"]}


def bench_plan_apply(sizes: Sizes, work: Path, out: dict[str, Any]) -> dict[str, Any]:
    """`--only plan_apply`: the main tenant's sandbox alone, its plan and apply (the rows of report.py's (a), (c))."""
    boxes = Sandboxes(work, sizes.time_scale)
    try:
        t_setup = time.perf_counter()
        boxes.start("main", users=sizes.users, events=sizes.events, break_glass=True)
        ready = boxes.ready("main")
        out["setup_s"] = round(time.perf_counter() - t_setup, 1)
        out["sandboxes"] = {"main": {"rss_mb": ready["rss_mb"], "generate_s": ready["generate_s"], "tenants": 1}}
        out["log_delay"] = ready.get("log_delay")
        out["load_before"] = os.getloadavg()
        out["plan_apply"] = plan_apply(sizes, ready, str(work / "main.json"))
        out["load_after"] = os.getloadavg()
    finally:
        boxes.stop()
    return out


def bench(sizes: Sizes, work: Path, quick: bool, out: dict[str, Any],
          fleet: tuple[int, int] | None = None, only: str | None = None) -> dict[str, Any]:
    """Every workload in turn (or `only` one); `out` holds what was measured so far, even when one fails."""
    ts = sizes.time_scale
    window = model.WINDOW_SECONDS / ts
    boxes = Sandboxes(work, ts)
    out |= {"time_scale": ts, "window_s": window, "latency": LATENCY, "quick": quick,
                           "sizes": sizes.__dict__, "machine": {"cpus": os.cpu_count()}}
    if only == "plan_apply":
        return bench_plan_apply(sizes, work, out)
    if only == "playbooks":
        try:
            out["load_before"] = os.getloadavg()
            start_playbook_boxes(boxes, sizes)
            out["playbooks"] = bench_playbooks(boxes, sizes, work, quick)
            out["load_after"] = os.getloadavg()
        finally:
            boxes.stop()
        return out
    if only in ("shard", "fleet"):
        return bench_only(sizes, work, out, only, fleet)
    try:
        t_setup = time.perf_counter()
        if quick:  # small tenants: generated while the others are (a full run starts them once those are done)
            start_playbook_boxes(boxes, sizes)
        boxes.start("main", users=sizes.users, events=sizes.events, break_glass=True)
        boxes.start("naive", users=sizes.naive_users, events=2_000)
        boxes.start("multi", users=sizes.tenant_users, tenants=sizes.tenants + 1, events=2_000)
        ready = {name: boxes.ready(name) for name in ("naive", "multi", "main")}
        out["setup_s"] = round(time.perf_counter() - t_setup, 1)
        out["sandboxes"] = {name: {"rss_mb": r["rss_mb"], "generate_s": r["generate_s"],
                                   "tenants": len(r["tenants"])} for name, r in ready.items()}
        out["log_delay"] = ready["main"].get("log_delay")
        files = {name: str(work / f"{name}.json") for name in ready}
        main_pid, naive_pid, multi_pid = (ready[n]["pid"] for n in ("main", "naive", "multi"))
        out["load_before"] = os.getloadavg()

        # (b) remediator at the naive baseline's size, then the naive baseline on the same tenant
        rem, wall, cpu = measured(naive_pid, lambda: run_worker(
            workload("workloads.py", "plan", "--ready", files["naive"]), sizes.worker_timeout))
        out["equal_size"] = {"remediator": rem, "sandbox_cpu_s": round(cpu, 2), "process_wall_s": round(wall, 2),
                             "numbers": ready["naive"]["tenants"][0]["numbers"]}
        time.sleep(window)
        env = child_env()
        env["BENCH_NAIVE_TOKEN"] = ready["naive"]["tenants"][0]["token"]
        naive, wall, cpu = measured(naive_pid, lambda: run_worker(
            workload("naive_baseline.py", "--org-url", ready["naive"]["tenants"][0]["org_url"],
                     "--token-env", "BENCH_NAIVE_TOKEN", "--budget-s", str(sizes.naive_budget_s)),
            sizes.worker_timeout + 120, env))
        out["naive"] = {**naive, "sandbox_cpu_s": round(cpu, 2), "process_wall_s": round(wall, 2)}

        # (a) plan and (c) apply of the 100,000-user tenant
        out["plan_apply"] = plan_apply(sizes, ready["main"], files["main"])

        # (d) archive of the whole log, (e) hunt over it
        evidence = work / "evidence"
        res, wall, cpu = measured(main_pid, lambda: run_worker(
            workload("workloads.py", "archive", "--ready", files["main"], "--dir", str(evidence)),
            sizes.worker_timeout))
        out["archive"] = {**res, "sandbox_cpu_s": round(cpu, 2), "process_wall_s": round(wall, 2)}
        out["hunt"] = run_worker(workload("workloads.py", "hunt", "--dir", str(evidence), "--tenant-name",
                                          ready["main"]["tenants"][0]["name"]), sizes.worker_timeout)

        # (f) many tenants at once, against one tenant alone
        res, wall, cpu = measured(multi_pid, lambda: run_worker(
            workload("workloads.py", "plan", "--ready", files["multi"], "--count", str(sizes.tenants + 1),
                     "--single-first"), sizes.worker_timeout))
        out["multi"] = {**res, "sandbox_cpu_s": round(cpu, 2), "process_wall_s": round(wall, 2)}

        # (g) the same tenants unsharded, then each of 4 shards alone (`--shard K/4`)
        out["shard"] = shard(sizes, ready["multi"], files["multi"])
        out["sandbox_peak_rss_mb"] = {name: round(peak_rss_mb(r["pid"]), 1) for name, r in ready.items()}

        # (i) each shipped playbook on its own scenario's tenant
        if not quick:
            start_playbook_boxes(boxes, sizes)
        out["playbooks"] = bench_playbooks(boxes, sizes, work, quick)

        if fleet:  # (h) hundreds of tenants at 100 ms latency: its own sandbox, started once the others are done
            out["fleet"] = run_fleet(sizes, work, boxes, fleet)
        out["load_after"] = os.getloadavg()
    finally:
        boxes.stop()
    return out


def shard(sizes: Sizes, ready: dict[str, Any], ready_file: str) -> dict[str, Any]:
    """(g) the multi-tenant sandbox's tenants planned unsharded, then each `--shard K/4` of them alone, as
    `remediator.shard` splits them today."""
    res, wall, cpu = measured(ready["pid"], lambda: run_worker(
        workload("workloads.py", "shard", "--ready", ready_file, "--count", str(sizes.tenants + 1),
                 "--shards", "4"), sizes.worker_timeout))
    return {**res, "sandbox_cpu_s": round(cpu, 2), "process_wall_s": round(wall, 2)}


def run_fleet(sizes: Sizes, work: Path, boxes: Sandboxes, fleet: tuple[int, int]) -> dict[str, Any]:
    """(h) `tenants` tenants of `users` users planned at once at 100 ms latency, after one of them alone."""
    tenants, users = fleet
    boxes.start("fleet", users=users, tenants=tenants + 1, events=2_000, latency=FLEET_LATENCY)
    ready = boxes.ready("fleet", timeout=READY_TIMEOUT * 2)
    res, wall, cpu = measured(ready["pid"], lambda: run_worker(
        workload("workloads.py", "plan", "--ready", str(work / "fleet.json"), "--count", str(tenants + 1),
                 "--single-first"), sizes.worker_timeout * 2))
    return {**res, "sandbox_cpu_s": round(cpu, 2), "process_wall_s": round(wall, 2), "latency": FLEET_LATENCY,
            "users": users, "generate_s": ready["generate_s"], "sandbox_rss_mb": ready["rss_mb"],
            "sandbox_peak_rss_mb": round(peak_rss_mb(ready["pid"]), 1)}


def bench_only(sizes: Sizes, work: Path, out: dict[str, Any], only: str,
               fleet: tuple[int, int] | None) -> dict[str, Any]:
    """`--only shard` (the multi-tenant sandbox alone, row (g)) or `--only fleet` (row (h), with `--fleet`)."""
    boxes = Sandboxes(work, sizes.time_scale)
    try:
        out["load_before"] = os.getloadavg()
        if only == "shard":
            boxes.start("multi", users=sizes.tenant_users, tenants=sizes.tenants + 1, events=2_000)
            ready = boxes.ready("multi")
            out["shard"] = shard(sizes, ready, str(work / "multi.json"))
        elif fleet:
            out["latency"] = FLEET_LATENCY  # the run's only workload: the header says its latency
            out["fleet"] = run_fleet(sizes, work, boxes, fleet)
        else:
            raise BenchError("--only fleet needs --fleet TENANTSxUSERS (issue 14: 500x2000)")
        out["load_after"] = os.getloadavg()
    finally:
        boxes.stop()
    return out


def parse_fleet(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    tenants, _, users = text.lower().partition("x")
    if not (tenants.isdigit() and users.isdigit()):
        raise SystemExit(f"error: --fleet: must be TENANTSxUSERS, e.g. 500x2000, not {text!r}")
    return int(tenants), int(users)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="CI size: 1,000 users, 50,000 events, under a minute")
    p.add_argument("--time-scale", type=float, default=None, help="a rate-limit minute lasts 60/X s")
    p.add_argument("--out", type=Path, default=None, help="results JSON (default benchmarks/results/<date>.json)")
    p.add_argument("--no-readme", action="store_true", help="do not rewrite the table in benchmarks/README.md")
    p.add_argument("--only", choices=["playbooks", "plan_apply", "shard", "fleet"], default=None,
                   help="run only this workload: playbooks = each shipped playbook's plan and apply; plan_apply = the "
                        "plan and apply of the main tenant (its own sandbox); shard = --shard K/4 over the "
                        "multi-tenant sandbox; fleet = --fleet's tenants at once")
    p.add_argument("--fleet", metavar="TENANTSxUSERS", default=None,
                   help="also plan that many tenants at once at 100 ms latency (issue 14: 500x2000; off by default: "
                        "minutes of generation and GBs of sandbox)")
    args = p.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.time_scale:
        sizes = Sizes(**{**sizes.__dict__, "time_scale": args.time_scale})
    started = time.perf_counter()
    raw: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="remediator-bench-") as tmp:
        try:
            bench(sizes, Path(tmp), args.quick, raw, fleet=parse_fleet(args.fleet), only=args.only)
        except BenchError as exc:
            sys.stderr.write(f"benchmark could not run: {exc}\n")
            partial = HERE / "results" / "partial.json" if args.out is None else args.out.with_suffix(".partial.json")
            partial.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(json.dumps({"error": str(exc), "raw": raw}, indent=1) + "\n")
            sys.stderr.write(f"what was measured: {partial}\n")
            return 2
    raw["total_wall_s"] = round(time.perf_counter() - started, 1)
    raw["date"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = targets(raw, quick=args.quick)
    result = {"rows": rows, "raw": raw}
    suffix = ("-quick" if args.quick else "") + (f"-{args.only}" if args.only else "")
    out = args.out or HERE / "results" / f"{raw['date'][:10]}{suffix}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    table = render_table(rows, raw)
    sys.stdout.write(table + f"\nresults: {out}\n")
    if not args.quick and not args.no_readme and not args.only:
        update_readme(HERE / "README.md", table)
    failed = [r["id"] for r in rows if r["gated"] and not r["gate_ok"]]
    if failed:
        sys.stdout.write(f"missed: {', '.join(failed)}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

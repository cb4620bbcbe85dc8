"""Sandbox tenants for the benchmarks, served from one separate process (so its CPU is measured apart).

Why not plain `remediator sandbox serve`: the archive workload needs a tenant with 1,000,000 System
Log events (the scenario's default is 20 per user), the 50-tenant workload needs 50 tenants without 50
Python processes on a 2-core machine, and the minimal-call model needs the scenario's own numbers,
which only the process that generated the tenant has. Everything else is the sandbox's own code
(`prepare`'s building blocks, `build_app`, the rate-limit and fault middlewares).

    python benchmarks/serve.py --ready-file F --tenants N --users U [--log-events E] \
        [--rate-limits enterprise] [--time-scale X] [--faults latency:25ms] [--break-glass] [--scenario S ...]

Writes F (JSON, mode 600) once every tenant accepts requests: {"pid", "rss_mb", "generate_s",
"tenants": [{"name", "org_url", "token", "break_glass_login", "numbers", "counts"}], "log_delay"}, and F.published
(the first tenant's events' `published`, one a line: the archive's ground truth). `numbers` are the
LAPSUS$ model's (`model.scenario_numbers`, lapsus-2022 only), `counts` every playbook's
(`playbook_model.tenant_counts`). `--scenario` serves another shipped scenario; given several, one tenant
each (same seed), in that order. Delayed persistence
is on by default (`--log-delay`, the lapsus-2022 scenario's 180 s for 20% of events). Serves on
127.0.0.1 until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.model import scenario_numbers  # noqa: E402
from benchmarks.playbook_model import tenant_counts  # noqa: E402
from remediator.sandbox.app import build_app  # noqa: E402
from remediator.sandbox.config import DEFAULT_LOG_DELAY, DEFAULT_LOG_DELAY_SHARE, SandboxConfig  # noqa: E402
from remediator.sandbox.scenarios import SCENARIOS  # noqa: E402
from remediator.sandbox.scenarios import load as generate_scenario  # noqa: E402
from remediator.sandbox.scenarios.lapsus_2022 import DEFAULT_CLOCK, generate  # noqa: E402
from remediator.sandbox.server import attach_url, default_middlewares, start_site  # noqa: E402
from remediator.sandbox.snapshot import load  # noqa: E402
from remediator.sandbox.store import Clock, random_token  # noqa: E402
from remediator.timeutil import parse_time  # noqa: E402


def rss_mb() -> float:
    """Current resident set size of this process (VmRSS), in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ready-file", required=True, type=Path)
    p.add_argument("--tenants", type=int, default=1)
    p.add_argument("--users", type=int, default=1000)
    p.add_argument("--log-events", type=int, default=None)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rate-limits", default="enterprise")
    p.add_argument("--time-scale", type=float, default=1.0)
    p.add_argument("--faults", default=None)
    p.add_argument("--break-glass", action="store_true", help="Publish the break-glass login as protected.")
    p.add_argument("--scenario", nargs="+", default=["lapsus-2022"], choices=sorted(SCENARIOS),
                   help="The shipped scenario every tenant is seeded with; several: one tenant each.")
    p.add_argument("--log-delay", type=float, default=DEFAULT_LOG_DELAY,
                   help="Delayed persistence: a share of events visible up to this many seconds late (0: off).")
    return p.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    built = []
    several = len(args.scenario) > 1
    scenarios: list[str] = []
    for i in range(len(args.scenario) if several else args.tenants):
        seed = args.seed if several else args.seed + i
        scenario = args.scenario[i] if several else args.scenario[0]
        lapsus = scenario == "lapsus-2022"
        clock = DEFAULT_CLOCK if lapsus else SCENARIOS[scenario].clock
        snap = (generate(args.users, seed, clock, log_events=args.log_events, compact=True) if lapsus
                else generate_scenario(scenario, args.users, seed, clock, log_events=args.log_events))
        glass = snap["scenario"]["planted"].get("break_glass_login")
        numbers = (scenario_numbers(snap, protected_logins=(glass,) if args.break_glass and glass else ())
                   .to_json() if lapsus else None)
        counts = tenant_counts(snap).to_json()
        config = SandboxConfig(rate_limits=args.rate_limits, time_scale=args.time_scale, faults=args.faults,
                               seed=seed, token=random_token(), clock=clock, log_delay=args.log_delay)
        store = load(snap)
        del snap
        if i == 0:  # ground truth for the archive's check: every event's `published`, in order
            published = args.ready_file.with_name(args.ready_file.name + ".published")
            published.write_text("\n".join(store.log_keys) + "\n")
        built.append((store, config, glass, numbers, counts))
        scenarios.append(scenario)
    generate_s = time.perf_counter() - started
    runners, tenants = [], []
    for i, (store, config, glass, numbers, counts) in enumerate(built):
        app = build_app(store, Clock(parse_time(config.clock or DEFAULT_CLOCK)), config, default_middlewares(config))
        runner, port = await start_site(app, 0)
        tenant = attach_url(app, port)
        runners.append(runner)
        tenants.append({"name": f"t{i:02d}", "org_url": tenant.public_url, "token": config.token,
                        "break_glass_login": glass, "numbers": numbers, "counts": counts,
                        "scenario": scenarios[i]})
    built.clear()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    ready = {"pid": os.getpid(), "rss_mb": round(rss_mb(), 1), "generate_s": round(generate_s, 2),
             "time_scale": args.time_scale, "tenants": tenants,
             "log_delay": {"max_s": args.log_delay, "share": DEFAULT_LOG_DELAY_SHARE if args.log_delay else 0}}
    tmp = args.ready_file.with_name(args.ready_file.name + ".tmp")
    tmp.write_text(json.dumps(ready))
    os.chmod(tmp, 0o600)
    tmp.replace(args.ready_file)
    try:
        await stop.wait()
    finally:
        for runner in runners:
            await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    asyncio.run(serve(parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The gap-free archive's trade-off, measured: Okta's polling cursor (what the archive does) against a
settling margin with an overlap re-read and uuid de-duplication (the alternative the issue allows).

An in-process sandbox (scenario `lapsus-2022`, delayed persistence: `--share` of events up to `--delay` s
late) receives `--rate` events a minute for `--hours` of tenant time (its clock is advanced, nothing
sleeps); the archive runs every `--every` minutes with its default settling margin. For each run it
records, from the sandbox's side (a middleware counts the `GET /api/v1/logs` requests): the archive's
calls, the lag of its claim behind the tenant's clock, the events read but not claimed yet (pending), the
late ones; and whether the claimed range equals the ground truth. For the alternative it counts, from the
same ground truth at the same instants, what a bounded re-read of `[claimed - overlap, now - margin)`
fetches: its calls, the events it reads twice, and those it would miss (persisted after the re-read
that covered their time).

    python benchmarks/archive_tradeoff.py --rate 600 --hours 2 --every 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aiohttp import web  # noqa: E402

from remediator.evidence import load_manifest  # noqa: E402
from remediator.kinds.system_log_archive import PAGE, SETTLE  # noqa: E402
from remediator.sandbox import Sandbox  # noqa: E402
from remediator.timeutil import format_time, parse_time  # noqa: E402
from tests.kinds import live  # noqa: E402


def counting() -> tuple[list[int], Any]:
    box = [0]

    @web.middleware
    async def count(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path == "/api/v1/logs":
            box[0] += 1
        return await handler(request)
    return box, count


def pages(n: int) -> int:
    return max(1, -(-n // PAGE))


async def run(args: argparse.Namespace) -> dict[str, Any]:
    calls, middleware = counting()
    rng = random.Random(args.seed)
    runs: list[dict[str, Any]] = []
    alt = {"calls": 0, "reread": 0, "missed": 0}
    with TemporaryDirectory() as tmp, Sandbox(scenario="lapsus-2022", users=40, log_delay=args.delay,
                                              middlewares=[middleware]) as sb:
        sb._call(lambda: sb.store.delay_persistence(args.seed, args.delay, args.share))
        start = format_time(sb.now() - args.margin_s)  # the archive can claim from its first run on
        state = {"since": start, "dir": tmp}
        uid = next(u for u, v in sb.store.users.items() if v["status"] == "ACTIVE" and u != sb.store.operator)
        alt_claimed, alt_seen = start, set()
        per_step = max(1, round(args.rate / 6))  # events every 10 s of tenant time
        for _ in range(int(args.hours * 60 / args.every)):
            async with live.tenant(sb) as ctx:
                for _step in range(args.every * 6):
                    for _ in range(rng.randint(per_step // 2, per_step * 3 // 2)):
                        status = sb.store.users[uid]["status"]
                        action = "suspend" if status == "ACTIVE" else "unsuspend"
                        await ctx.client.request("POST", f"/api/v1/users/{uid}/lifecycle/{action}")
                    sb.advance(10)
            before = calls[0]
            changes, _ = await live.plan(sb, "okta.system_log_archive", state)
            if changes:
                await live.apply(sb, "okta.system_log_archive", state, changes)
            m = load_manifest(Path(tmp) / "sandbox")
            assert m is not None and m.covered is not None
            now = format_time(sb.now())
            truth = [e for e in sb.logs if m.covered["since"] <= e["published"] < m.covered["until"]]
            visible = dict(zip((e["uuid"] for e in sb.logs), sb._call(lambda: list(sb.store.persistence.visible)),
                               strict=True))
            # the alternative at the same instant: bounded [claimed - overlap, now - margin), dedup by uuid
            lo = format_time(parse_time(alt_claimed) - args.overlap_s)
            hi = format_time(parse_time(now) - args.margin_s)
            fetched = [e for e in sb.logs if lo <= e["published"] < hi and visible[e["uuid"]] <= now]
            alt["calls"] += pages(len(fetched)) + 2  # + the tenant-clock probes of plan and apply, as the archive
            alt["reread"] += sum(1 for e in fetched if e["uuid"] in alt_seen)
            alt_seen.update(e["uuid"] for e in fetched)
            alt_claimed = max(alt_claimed, hi)
            runs.append({"calls": calls[0] - before, "lag_s": (parse_time(now) - parse_time(m.covered["until"]))
                         .total_seconds(), "pending": m.pending.events if m.pending else 0,
                         "late": sum(c.events for c in m.late), "exact": m.events == len(truth)})
        alt["missed"] = sum(1 for e in sb.logs if start <= e["published"] < alt_claimed and e["uuid"] not in alt_seen)
        events = sum(1 for e in sb.logs if e["published"] >= start)
    n = len(runs)
    return {"settings": vars(args), "events": events, "runs": n,
            "polling": {"calls_per_run": sum(r["calls"] for r in runs) / n,
                        "lag_s_mean": sum(r["lag_s"] for r in runs) / n, "lag_s_max": max(r["lag_s"] for r in runs),
                        "pending_mean": sum(r["pending"] for r in runs) / n, "late": runs[-1]["late"],
                        "exact_every_run": all(r["exact"] for r in runs)},
            "margin_overlap": {"calls_per_run": alt["calls"] / n, "lag_s": args.margin_s.total_seconds(),
                               "events_read_twice_per_run": alt["reread"] / n, "missed": alt["missed"]}}


def main(argv: list[str] | None = None) -> int:
    from datetime import timedelta

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rate", type=int, default=600, help="events a minute")
    p.add_argument("--hours", type=float, default=2)
    p.add_argument("--every", type=int, default=5, help="minutes between archive runs")
    p.add_argument("--delay", type=float, default=180, help="longest persistence delay, s")
    p.add_argument("--share", type=float, default=0.2, help="share of events persisted late")
    p.add_argument("--margin", type=int, default=SETTLE, help="the alternative's settling margin, s")
    p.add_argument("--overlap", type=int, default=180, help="the alternative's overlap re-read, s")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    args.margin_s, args.overlap_s = timedelta(seconds=args.margin), timedelta(seconds=args.overlap)
    result = asyncio.run(run(args))
    result["settings"] = {k: v for k, v in result["settings"].items() if not k.endswith("_s")}
    sys.stdout.write(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

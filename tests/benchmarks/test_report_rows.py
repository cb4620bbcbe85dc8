"""The shard and fleet rows of the benchmark table (issue 14): measured, `--only` runs, and not measured."""

from __future__ import annotations

from typing import Any

from benchmarks.report import fleet_rows, shard_rows, targets

SHARD = {"tenants": 50, "unsharded_wall_s": 2.0,
         "shards": [{"shard": f"{k}/4", "tenants": 13 if k < 3 else 12, "wall_s": w}
                    for k, w in ((1, 0.55), (2, 0.58), (3, 0.5), (4, 0.52))]}
FLEET = {"plan_tenants": 500, "users": 2000, "latency": "latency:100ms", "plan_wall_s": 30.0, "single_wall_s": 4.0,
         "plan_cpu_s": 12.5, "plan_sandbox_cpu_s": 20.0, "plan_machine_busy_s": 33.0, "generate_s": 120.0,
         "plan": {"errors": 0}, "plan_stats": {"requests": 30_000}, "sandbox_peak_rss_mb": 3000.0}


def by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in rows}


def test_the_slowest_shard_against_the_unsharded_run() -> None:
    row = by_id(shard_rows({"shard": SHARD}, quick=False))["shard.wall"]
    assert row["value"] == 0.29 and row["met"] and row["gated"]
    assert "2/4 13 tenants 0.58 s" in row["note"]
    assert not by_id(shard_rows({"shard": SHARD}, quick=True))["shard.wall"]["gated"]


def test_fleet_rows_measured() -> None:
    rows = by_id(fleet_rows({"fleet": FLEET}, quick=False))
    assert rows["fleet.cpu_per_tenant"]["value"] == 25.0 and rows["fleet.cpu_per_tenant"]["met"]
    # the sandbox's 20 s of CPU on one thread bound the wall (more than 32.5 s over 2 or more cores, or one
    # tenant's 4 s): 30 s / 20 s
    assert rows["fleet.cpu_bound"]["value"] == 1.5 and rows["fleet.cpu_bound"]["met"]


def test_a_full_run_without_the_fleet_says_so_and_only_runs_give_their_rows_alone() -> None:
    rows = by_id(fleet_rows({"plan_apply": {}}, quick=False))
    assert set(rows) == {"fleet.cpu_bound", "fleet.cpu_per_tenant"}
    for row in rows.values():
        assert row["value"] is None and not row["met"] and not row["gated"] and "--fleet 500x2000" in row["note"]
    assert fleet_rows({"plan_apply": {}}, quick=True) == []
    only = targets({"shard": SHARD}, quick=False)
    assert [r["id"] for r in only] == ["shard.wall"]
    assert [r["id"] for r in targets({"fleet": FLEET}, quick=False)] == ["fleet.cpu_bound", "fleet.cpu_per_tenant"]

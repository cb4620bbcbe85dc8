"""The plan runs with the cyclic GC's run thresholds (issue 14: client CPU per tenant plan at hundreds of tenants)."""

from __future__ import annotations

import asyncio
import gc
from types import SimpleNamespace
from typing import Any

import pytest

from remediator.engine import heap, planner
from remediator.engine.session import PlanSettings
from remediator.plan import TenantPlan


def test_fewer_collections_nests_and_restores_even_on_error() -> None:
    before = gc.get_threshold()
    with heap.fewer_collections():
        assert gc.get_threshold() == heap.RUN_THRESHOLDS
        with heap.fewer_collections():
            assert gc.get_threshold() == heap.RUN_THRESHOLDS
        assert gc.get_threshold() == heap.RUN_THRESHOLDS  # the outer run is still going
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), heap.fewer_collections():
        raise RuntimeError("a run that fails")
    assert gc.get_threshold() == before


def test_plan_reads_every_tenant_under_the_run_thresholds(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    seen: list[tuple[int, int, int]] = []

    async def fake_plan_tenant(job: Any, settings: PlanSettings) -> TenantPlan:
        await asyncio.sleep(0)
        seen.append(gc.get_threshold())
        return TenantPlan(name=job.spec.name, org_url="https://t.okta.com")

    monkeypatch.setattr(planner, "plan_tenant", fake_plan_tenant)
    before = gc.get_threshold()
    jobs = [planner.TenantJob(SimpleNamespace(name=f"t{i}"), None) for i in range(3)]
    done = asyncio.run(planner.plan(jobs, PlanSettings(journal_path=tmp_path / "j.jsonl")))
    assert [t.name for t in done.tenants] == ["t0", "t1", "t2"]
    assert seen == [heap.RUN_THRESHOLDS] * 3 and gc.get_threshold() == before

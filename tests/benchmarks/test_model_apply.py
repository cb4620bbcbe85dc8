"""The apply's call model holds on a sandbox: applying the LAPSUS$ plan makes exactly the calls
`benchmarks/model.apply_calls` counts, per rate-limit bucket: one write per change plus the re-read issue 9
makes mandatory, narrowed to the planned targets (no admin list, no user page, no factor)."""

from __future__ import annotations

import os
from pathlib import Path

from benchmarks import model
from remediator.engine import ApplySettings, PlanSettings, apply, jobs_for, plan, playbook_ref
from remediator.inventory import TenantSpec
from remediator.journal import Journal
from remediator.playbook import load_playbook, parse_extra_vars
from remediator.sandbox import Sandbox
from tests.support.requests import bucket_counter

PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "okta-lapsus-2022.yml"
TAGS = {"contain", "review", "harden", "manual"}  # the benchmark's: all but the archive and the hunt


async def test_the_apply_makes_exactly_the_modelled_calls(tmp_path: Path) -> None:
    calls: dict[str, int] = {}
    with Sandbox(scenario="lapsus-2022", users=300, seed=5, middlewares=[bucket_counter(calls)]) as sb:
        snap = sb.snapshot()
        glass = snap["scenario"]["planted"]["break_glass_login"]
        os.environ["TEST_MODEL_APPLY_TOKEN"] = sb.token
        spec = TenantSpec(name="acme", org_url=sb.org_url, token_env="TEST_MODEL_APPLY_TOKEN",
                          vars={"break_glass": [glass]})
        playbook = load_playbook(PLAYBOOK)
        journal = tmp_path / "journal.jsonl"
        planned = await plan(jobs_for(playbook, [spec], parse_extra_vars([]), TAGS),
                             PlanSettings(journal_path=journal, playbook=playbook_ref(playbook)))
        assert planned.tenants[0].status == "ok", planned.tenants[0].error
        calls.clear()
        recap = await apply(planned, [spec], Journal(journal), ApplySettings(journal_path=journal))
        assert recap.exit_code == 0 and recap.tenants[0].failed == 0, recap.tenants[0].error
        numbers = model.scenario_numbers(snap, protected_logins=(glass,))
    assert calls == model.apply_calls(numbers)

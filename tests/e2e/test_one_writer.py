"""Trust and concurrency on the lapsus-2022 sandbox (issue 9, "Why" 5 and 6).

- a forged journal record (broken chain) no longer makes the next plan drop session clears and hunt
  findings: the plan stops naming the line, and `--ignore-journal` plans without the journal;
- two applies at once of one saved plan write each change once (the tenant's System Log counts them);
- two playbook applies at once no longer crash one another: the second is refused before any write.

"At once" is made exact without sleeping: a sandbox middleware runs the second apply to its end
while the first one's request is held (the first apply is then mid-run, holding what it holds).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from remediator.journal import read_records
from remediator.sandbox import Sandbox
from remediator.timeutil import format_time
from tests.e2e.harness import LAPSUS, cli, write_inventory

USERS, SEED = 200, 9


def _once(trigger: Callable[[web.Request], bool], action: Callable[[], Any], box: dict[str, Any]) -> Any:
    """A middleware that, at the first request matching `trigger`, runs `action` in a thread to its end
    (the sandbox keeps serving it) before letting that request through."""

    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        if box.get("armed") and "second" not in box and trigger(request):
            box["second"] = None
            box["second"] = await asyncio.get_running_loop().run_in_executor(None, action)
        return await handler(request)

    return middleware


def _setup(tmp_path: Path, sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    planted = sb.snapshot()["scenario"]["planted"]
    inventory = write_inventory(tmp_path / "inv.yml", {"acme": {
        "org_url": sb.org_url, "token": sb.token,
        "vars": {"break_glass": [planted["break_glass_login"]], "evidence_dir": str(tmp_path / "ev")}}}, monkeypatch)
    return ["-i", inventory, "--journal", tmp_path / "j.jsonl", "-e", f"evidence_until={format_time(sb.now())}"]


def _writes(events: list[dict[str, Any]]) -> Counter[tuple[str, tuple[str, ...]]]:
    """The tenant's own record of writes: (event type, targets) of every event the operator caused."""
    return Counter((e["eventType"], tuple(t.get("id", "") for t in e.get("target") or ())) for e in events)


def test_a_forged_journal_record_stops_the_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Sandbox(scenario="lapsus-2022", users=USERS, seed=SEED) as sb:
        common = _setup(tmp_path, sb, monkeypatch)
        honest = json.loads(cli("plan", LAPSUS, *common, "--json").stdout)["tenants"][0]
        clears = [c for c in honest["changes"] if c["action"] == "clear_sessions"]
        hunted = [e for f in honest["findings"] if f["kind"] == "okta.system_log_hunt"
                  for e in f["evidence"].get("events", ()) if e.get("request_id")]
        assert clears and hunted
        forged = {"type": "change", "tenant": "acme", "org_url": sb.org_url, "result": "applied",
                  "time": format_time(sb.now()), "prev": "f" * 64, "request_id": None,
                  "change": {"kind": "okta.admin_sessions", "action": "clear_sessions",
                             "target": {"type": "user", "id": clears[0]["target"]["id"]}},
                  "detail": {f"x{i}_request_id": e["request_id"] for i, e in enumerate(hunted)}}
        (tmp_path / "j.jsonl").write_text(json.dumps(forged) + "\n")

        result = cli("plan", LAPSUS, *common, "--json")
        assert result.exit_code == 1
        tenant = json.loads(result.stdout)["tenants"][0]
        assert tenant["status"] == "error" and "j.jsonl:1: chain broken" in tenant["error"]
        assert "--ignore-journal" in tenant["error"]

        ignoring = cli("plan", LAPSUS, *common, "--json", "--ignore-journal")
        assert ignoring.exit_code == 0, ignoring.output
        again = json.loads(ignoring.stdout)["tenants"][0]
        assert [c["id"] for c in again["changes"]] == [c["id"] for c in honest["changes"]]
        assert len(again["findings"]) == len(honest["findings"])


def test_two_applies_of_one_saved_plan_write_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    box: dict[str, Any] = {}
    common: list[Any] = []

    def second() -> Any:
        return cli("apply", tmp_path / "plan.json", *common[:4])

    is_write = _once(lambda r: r.method != "GET", second, box)
    with Sandbox(scenario="lapsus-2022", users=USERS, seed=SEED, middlewares=[is_write]) as sb:
        common[:] = _setup(tmp_path, sb, monkeypatch)
        assert cli("plan", LAPSUS, *common, "--out", tmp_path / "plan.json").exit_code == 0
        box["armed"] = True
        planned = json.loads((tmp_path / "plan.json").read_text())["tenants"][0]["changes"]
        before = len(sb.logs)
        first = _apply_saved_in_process(tmp_path, common)
        new = sb.logs[before:]

    assert box["second"].exit_code == 1, box["second"].output
    assert "another remediator" in box["second"].output
    assert first.exit_code == 0
    writes = _writes(new)
    assert writes and max(writes.values()) == 1, [w for w, n in writes.items() if n > 1]
    applied = Counter(r["change"]["id"] for r in read_records(tmp_path / "j.jsonl") if r.get("result") == "applied")
    assert set(applied) == {c["id"] for c in planned} and max(applied.values()) == 1


def _apply_saved_in_process(tmp_path: Path, common: list[Any]) -> Any:
    """The first apply, through the engine in this thread (the CLI runner is not thread-safe)."""
    from remediator.engine import ApplySettings, apply
    from remediator.inventory import load_inventory
    from remediator.journal import Journal
    from remediator.plan import Plan

    plan = Plan.from_json(json.loads((tmp_path / "plan.json").read_text()))
    journal = Path(common[3])
    tenants = load_inventory(Path(common[1]))
    return asyncio.run(apply(plan, tenants, Journal(journal), ApplySettings(journal_path=journal)))


def test_two_playbook_applies_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second apply starts while the first is mid-archive (its temporary chunk open): it is refused
    before touching anything, and the first completes with evidence that verifies."""
    box: dict[str, Any] = {}
    common: list[Any] = []

    def archive_page_3(request: web.Request) -> bool:
        """The archive's third page: the first page's events are in its temporary chunk by then."""
        if request.path != "/api/v1/logs" or "after" not in request.query:
            return False
        box["later_pages"] = box.get("later_pages", 0) + 1
        return bool(box["later_pages"] == 2)

    def second() -> Any:
        return cli("apply", LAPSUS, *common, "--yes")

    mw = _once(archive_page_3, second, box)
    with Sandbox(scenario="lapsus-2022", users=USERS, seed=SEED, middlewares=[mw]) as sb:
        common[:] = _setup(tmp_path, sb, monkeypatch)
        before = len(sb.logs)
        first = _apply_playbook_in_process(tmp_path, common, arm=lambda: box.update(armed=True))
        new = sb.logs[before:]

    assert "second" in box, "the archive never fetched a third page: the scenario is too small"
    assert box["second"].exit_code == 1, box["second"].output
    assert "another remediator" in box["second"].output
    assert all(r.success for r in first.tenants), [r.error for r in first.tenants]
    assert max(_writes(new).values()) == 1
    assert cli("evidence", "verify", tmp_path / "ev").exit_code == 0


def _apply_playbook_in_process(tmp_path: Path, common: list[Any], arm: Callable[[], None]) -> Any:
    from remediator.engine import ApplySettings, PlanSettings, apply, jobs_for, plan, playbook_ref
    from remediator.inventory import load_inventory
    from remediator.journal import Journal
    from remediator.playbook import load_playbook, parse_extra_vars

    pb = load_playbook(LAPSUS)
    specs = load_inventory(Path(common[1]))
    jobs = jobs_for(pb, specs, parse_extra_vars([common[5]]))
    journal = Path(common[3])
    planned = asyncio.run(plan(jobs, PlanSettings(journal_path=journal, playbook=playbook_ref(pb))))
    arm()
    return asyncio.run(apply(planned, specs, Journal(journal), ApplySettings(journal_path=journal)))


def test_wait_lock_waits_with_a_message_then_exits_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`apply --wait-lock SECONDS`: a second writer says it waits, and gives up in one line when the
    first still holds the tenant after that long; nothing is written meanwhile."""
    from remediator.journal import tenant_lock
    from tests.e2e.harness import write_playbook
    from tests.sandbox.fixtures import small_tenant

    with Sandbox(small_tenant()) as sb:
        inventory = write_inventory(tmp_path / "inv.yml", {"acme": {"org_url": sb.org_url, "token": sb.token}},
                                    monkeypatch)
        playbook = write_playbook(tmp_path / "pb.yml", [{"name": "support off",
                                                         "okta.support_access": {"enabled": False}}])
        journal = tmp_path / "j.jsonl"
        assert cli("plan", playbook, "-i", inventory, "--journal", journal, "--out", tmp_path / "plan.json"
                   ).exit_code == 0
        holder = tenant_lock(journal, sb.org_url)
        asyncio.run(holder.acquire())
        try:
            before = len(sb.logs)
            result = cli("apply", tmp_path / "plan.json", "-i", inventory, "--journal", journal,
                         "--wait-lock", "0.2")
            assert len(sb.logs) == before
        finally:
            holder.release()
        assert result.exit_code == 1
        assert "waiting up to 0.2 s" in result.stderr and "still held after 0.2 s" in result.stdout + result.stderr
        assert "Traceback" not in result.output
        again = cli("apply", tmp_path / "plan.json", "-i", inventory, "--journal", journal)
        assert again.exit_code == 0, again.output

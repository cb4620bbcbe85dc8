"""`plan -v` as a responder reads it, pinned: for each state, the lines that say why what needs nothing needs
nothing (`✓ ...`), before and after an apply, on the lapsus-2022 sandbox (fixed seed) with a state for each
kind in KINDS. The kinds decide these reasons in `diff` (NoOp items); this test keeps their text as it was
when `explain` derived them a second time. Times of the run itself (the sandbox's clock, the journal's) are
replaced by a placeholder. The saved plan carries none of these reasons: it holds changes and findings only.

Regenerate `data/verbose_notes.json` after a deliberate change of wording with
`REMEDIATOR_REGEN_NOTES=1 pytest tests/e2e/test_verbose_notes.py`, and review its diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from remediator.plan import PLAN_SCHEMA
from remediator.playbook import load_playbook
from remediator.sandbox import Sandbox
from remediator.timeutil import format_time
from remediator.validation import validator
from tests.e2e.harness import LAPSUS, cli, settled, write_inventory, write_playbook
from tests.e2e.test_three_steps_every_kind import LIBRARY_STATES

GOLDEN = Path(__file__).resolve().parent / "data" / "verbose_notes.json"
KINDS = ("okta.system_log_archive", "okta.system_log_hunt", "okta.support_access", "okta.new_admins",
         "okta.user_status", "okta.user_sessions", "okta.user_passwords", "okta.user_factors",
         "okta.threat_insight", "okta.org_settings", "okta.policy", "okta.policy_rule")
#: `okta.user_status` on users no other state touches (two states suspending the same admin would collide)
OWN_STATES = {"okta.user_status": {"name": "Active users stay active", "okta.user_status": {
    "users": {"status": ["ACTIVE"]}, "exclude": "{{ break_glass }}", "status": "ACTIVE"}}}
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")


def _states() -> list[dict[str, Any]]:
    shipped = load_playbook(LAPSUS).data["states"]
    out = []
    for kind in KINDS:
        found = [s for s in shipped if kind in s]
        out.append(OWN_STATES.get(kind) or (found[0] if found else LIBRARY_STATES[kind]))
    return out


def notes_of(output: str, states: list[str]) -> dict[str, list[str]]:
    """The `✓` lines of `plan -v`, by state (the state's heading is the line before them)."""
    out: dict[str, list[str]] = {}
    current = None
    for line in output.splitlines():
        if line.startswith("  ") and not line.startswith("   ") and line.strip() in states:
            current = line.strip()
        elif line.startswith("    ✓ "):
            assert current is not None, line
            out.setdefault(current, []).append(line.removeprefix("    ✓ "))
    return out


def _placeholders(notes: dict[str, list[str]], start: str, until: str) -> dict[str, list[str]]:
    """Times at or after the run's start (the sandbox clock, the journal's wall clock) and the archive's end
    vary from run to run: replace them."""
    def one(text: str) -> str:
        text = text.replace(until, "<evidence_until>")
        return TIME.sub(lambda m: "<run time>" if m.group(0) >= start else m.group(0), text)
    return {state: [one(n) for n in notes_] for state, notes_ in notes.items()}


def test_verbose_plan_says_why_in_the_same_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    states = _states()
    names = [s["name"] for s in states]
    with Sandbox(scenario="lapsus-2022", users=200, seed=11) as sb:
        start = format_time(sb.now())
        planted = sb.snapshot()["scenario"]["planted"]
        until = settled(sb)
        variables = {"breach_date": "2022-01-21T00:00:00Z", "break_glass": [planted["break_glass_login"]],
                     "evidence_dir": str(tmp_path / "evidence"), "evidence_since": "2022-01-14T00:00:00Z",
                     "evidence_until": until}
        playbook = write_playbook(tmp_path / "pb.yml", states, vars=variables)
        inventory = write_inventory(tmp_path / "inv.yml", {"t": {"org_url": sb.org_url, "token": sb.token}},
                                    monkeypatch)
        journal = tmp_path / "journal.jsonl"

        def verbose() -> dict[str, list[str]]:
            result = cli("plan", playbook, "-i", inventory, "-v", "--journal", journal)
            assert result.exit_code == 0, result.output
            return _placeholders(notes_of(result.output, names), start, until)

        got = {"before apply": verbose()}
        saved = tmp_path / "plan.json"
        result = cli("plan", playbook, "-i", inventory, "--json", "--out", saved, "--journal", journal)
        assert result.exit_code == 0, result.output
        applied = cli("apply", playbook, "-i", inventory, "--yes", "--journal", journal)
        assert applied.exit_code == 0, applied.output
        got["after apply"] = verbose()

    document = json.loads(saved.read_text())
    assert not list(validator(PLAN_SCHEMA).iter_errors(document))
    (tenant,) = document["tenants"]
    assert set(tenant) >= {"changes", "findings"} and "notes" not in tenant
    text = saved.read_text()
    reasons = [n for ns in got["before apply"].values() for n in ns if "<" not in n]
    assert reasons and not [n for n in reasons if json.dumps(n)[1:-1] in text], "a no-op's reason in the plan"

    if os.environ.get("REMEDIATOR_REGEN_NOTES"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n")
    assert got == json.loads(GOLDEN.read_text())

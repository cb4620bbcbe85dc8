"""Apply as it happens (issue 13 point 2): one line per change when it completes, Ansible-style, in completion
order and matching the journal; with --json the same lines in the final document, never interleaved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from remediator.sandbox import Sandbox
from remediator.timeutil import format_time
from tests.e2e.harness import LAPSUS, cli, write_inventory

LINE_WORDS = {"applied": "changed", "failed": "failed", "skipped": "ok", "stale": "stale"}


def _outcomes(journal: Path) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    return [r for r in records if r.get("type") == "change" and r.get("result") not in (None, "pending")]


@pytest.mark.parametrize("as_json", [False, True])
def test_one_line_per_change_in_completion_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                as_json: bool) -> None:
    with Sandbox(scenario="lapsus-2022", users=80, seed=9) as sb:
        planted = sb.snapshot()["scenario"]["planted"]
        inventory = write_inventory(tmp_path / "inv.yml", {"acme": {
            "org_url": sb.org_url, "token": sb.token,
            "vars": {"break_glass": [planted["break_glass_login"]], "evidence_dir": str(tmp_path / "ev")}}},
            monkeypatch)
        journal = tmp_path / "j.jsonl"
        args = ["apply", LAPSUS, "-i", inventory, "--journal", journal, "--yes",
                "-e", f"evidence_until={format_time(sb.now())}"]
        result = cli(*args, *(["--json"] if as_json else []))
    assert result.exit_code == 0, result.output
    outcomes = _outcomes(journal)
    assert outcomes
    expected = []
    for r in outcomes:
        change = r["change"]
        label = change["target"].get("label") or change["target"]["id"]
        expected.append(f"{LINE_WORDS[r['result']]}: [acme] {change['action']} {change['target']['type']} {label}")
    if as_json:
        doc = json.loads(result.stdout)  # one document: nothing printed around it
        lines = doc["lines"]
    else:
        lines = [line for line in result.stdout.splitlines() if line.split(":", 1)[0] in LINE_WORDS.values()]
        recap_at = result.stdout.index("recap")
        assert all(result.stdout.index(line) < recap_at for line in lines)  # then the recap
    assert [line.split(" (request id", 1)[0] for line in lines] == expected  # completion order = the journal's
    applied = [r for r in outcomes if r["result"] == "applied" and r.get("request_id")]
    assert all(f"(request id {r['request_id']})" in "\n".join(lines) for r in applied)

"""Clean failures (issue 9 point 10): one line, exit 1, no traceback, for inputs that used to crash.

Python refuses to read integers of more than 4,300 digits (`sys.int_max_str_digits`), which raised
ValueError tracebacks from YAML, `-e` values and JSON files; a template bomb took 5 GB.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import cli

HUGE = "9" * 5000
PLAYBOOK = "name: t\nstates:\n  - name: s\n    okta.support_access: {enabled: false}\n"


def _one_clean_line(result: object, *fragments: str) -> None:
    output = result.output  # type: ignore[attr-defined]
    assert result.exit_code == 1, output  # type: ignore[attr-defined]
    assert "Traceback" not in output and output.startswith("error: ") and output.count("\n") == 1, output
    assert len(output) < 400
    for fragment in fragments:
        assert fragment in output, output


def test_a_huge_integer_in_a_playbook(tmp_path: Path) -> None:
    playbook = tmp_path / "pb.yml"
    playbook.write_text(f"name: t\nmax_changes: {HUGE}\n" + PLAYBOOK.split("\n", 1)[1])
    _one_clean_line(cli("validate", playbook), "pb.yml:2", "integer")


@pytest.fixture
def inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLEAN_TOKEN", "never-used-token-0000")
    path = tmp_path / "inv.yml"
    path.write_text("tenants:\n  acme:\n    org_url: https://acme.okta.com\n    token_env: CLEAN_TOKEN\n")
    return path


def test_a_huge_integer_in_an_extra_var(tmp_path: Path, inventory: Path) -> None:
    playbook = tmp_path / "pb.yml"
    playbook.write_text(PLAYBOOK)
    _one_clean_line(cli("plan", playbook, "-i", inventory, "-e", f"x={HUGE}"), "-e x", "integer")


def test_a_huge_integer_in_a_saved_plan(tmp_path: Path, inventory: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text('{"format_version": ' + HUGE + "}")
    _one_clean_line(cli("apply", plan, "-i", inventory), "plan.json")


def test_a_huge_integer_in_a_journal(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    journal.write_text('{"seq": ' + HUGE + "}\n")
    _one_clean_line(cli("journal", "verify", journal), "4,300 digits")


@pytest.mark.parametrize("bomb", ["{{ '%999999999d' % 1 }}", "{{ 'x' | center(999999999) }}"])
def test_a_template_bomb_in_a_playbook(tmp_path: Path, bomb: str) -> None:
    playbook = tmp_path / "pb.yml"
    playbook.write_text(PLAYBOOK.replace("{enabled: false}", "{enabled: false}\n    when: \"" + bomb + "\""))
    _one_clean_line(cli("validate", playbook), "pb.yml:5", "refused by the sandbox")

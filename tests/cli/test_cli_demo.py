"""`remediator demo`: plan, apply and an empty second plan on a sandbox, with no argument needed."""

from __future__ import annotations

from pathlib import Path

from remediator.journal import verify
from tests.e2e.harness import cli


def test_demo_converges(tmp_path: Path) -> None:
    result = cli("demo", "--users", "200", "--workdir", tmp_path / "demo")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.index("1. plan") < out.index("2. apply --yes") < out.index("3. plan again")
    assert "converged: the second plan has nothing to change" in out
    second = out[out.index("3. plan again"):]
    assert "0 change(s) to make" in second
    assert verify(tmp_path / "demo" / "journal.jsonl").applied > 10
    assert (tmp_path / "demo" / "evidence" / "sandbox" / "manifest.json").is_file()
    assert "Traceback" not in out


def test_demo_needs_a_sensible_size(tmp_path: Path) -> None:
    result = cli("demo", "--users", "3", "--workdir", tmp_path)
    assert result.exit_code == 1 and "--users" in result.output

"""CLI commands that need no tenant: usage errors, journal verify, ack."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from remediator.cli import app
from remediator.journal import read_records

runner = CliRunner()


def test_usage_error_is_exit_1_and_one_line() -> None:
    result = runner.invoke(app, ["plan"])
    assert result.exit_code == 1
    assert "Missing argument" in result.output
    assert "Traceback" not in result.output


def test_unknown_command() -> None:
    result = runner.invoke(app, ["frobnicate"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_ack_then_journal_verify(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    result = runner.invoke(app, ["ack", "acme", "third-party-risk", "--by", "kim", "--note", "ticket IR-7",
                                 "--journal", str(journal)])
    assert result.exit_code == 0, result.output
    (record,) = read_records(journal)
    assert record["type"] == "ack" and record["step"] == "third-party-risk" and record["by"] == "kim"
    result = runner.invoke(app, ["journal", "verify", str(journal)])
    assert result.exit_code == 0 and "1 records" in result.output


def test_ack_needs_a_name(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ack", "acme", "s", "--by", " ", "--journal", str(tmp_path / "j.jsonl")])
    assert result.exit_code == 1 and "--by" in result.output


def test_journal_verify_fails_on_tampering(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    for step in ("a", "b"):
        runner.invoke(app, ["ack", "acme", step, "--by", "kim", "--journal", str(journal)])
    lines = journal.read_text().splitlines()
    journal.write_text(lines[1] + "\n" + lines[0] + "\n")
    result = runner.invoke(app, ["journal", "verify", str(journal)])
    assert result.exit_code == 1
    assert "chain broken" in result.output and "Traceback" not in result.output

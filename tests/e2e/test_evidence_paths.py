"""Evidence paths through the command line (issue 9, "Why" 8): a saved plan's archive target edited to
another directory, or `evidence/<tenant>` made a symlink, no longer writes or deletes there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from remediator.sandbox import Sandbox
from tests.e2e.harness import cli, write_inventory, write_playbook
from tests.sandbox.fixtures import small_tenant

ARCHIVE = [{"name": "System Log preserved", "okta.system_log_archive": {"since": "2022-03-01T00:00:00Z",
                                                                        "dir": "{{ evidence_dir }}"}}]
VICTIM_FILES = {"events-20220301T000000.000Z.jsonl.gz": b"not the archive's", ".tmp-x.jsonl.gz.1": b"someone's",
                "notes.txt": b"keep"}


def _victim(path: Path) -> Path:
    path.mkdir()
    for name, data in VICTIM_FILES.items():
        (path / name).write_bytes(data)
    return path


def _untouched(path: Path) -> bool:
    return {p.name: p.read_bytes() for p in path.iterdir()} == VICTIM_FILES


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Sandbox, list[str]]:
    with Sandbox(small_tenant()) as sb:
        inventory = write_inventory(tmp_path / "inv.yml", {"acme": {
            "org_url": sb.org_url, "token": sb.token, "vars": {"evidence_dir": str(tmp_path / "ev")}}}, monkeypatch)
        yield sb, ["-i", str(inventory), "--journal", str(tmp_path / "j.jsonl")]


def test_an_edited_archive_target_writes_nothing_there(tmp_path: Path, setup: tuple[Sandbox, list[str]]) -> None:
    _, common = setup
    playbook = write_playbook(tmp_path / "pb.yml", ARCHIVE)
    assert cli("plan", playbook, *common, "--out", tmp_path / "plan.json").exit_code == 0
    victim = _victim(tmp_path / "victim")
    doc = json.loads((tmp_path / "plan.json").read_text())
    (change,) = doc["tenants"][0]["changes"]
    change["target"]["id"] = str(victim)
    (tmp_path / "plan.json").write_text(json.dumps(doc))
    result = cli("apply", tmp_path / "plan.json", *common)
    assert result.exit_code == 1, result.output
    assert _untouched(victim)
    assert not (tmp_path / "ev" / "acme").exists()


def test_a_symlinked_tenant_directory_is_refused(tmp_path: Path, setup: tuple[Sandbox, list[str]]) -> None:
    _, common = setup
    playbook = write_playbook(tmp_path / "pb.yml", ARCHIVE)
    victim = _victim(tmp_path / "victim")
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "acme").symlink_to(victim)
    planned = cli("plan", playbook, *common)
    assert planned.exit_code == 1 and "symlink" in planned.output
    result = cli("apply", playbook, *common, "--yes")
    assert result.exit_code == 1 and "symlink" in result.output
    assert _untouched(victim)

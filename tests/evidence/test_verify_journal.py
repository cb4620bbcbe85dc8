"""`evidence verify --journal`: a manifest re-written to hide a gap verifies on its own, not against the journal.

Each archive write is journalled with the SHA-256 of the manifest it left (and the tenant's clock then), so
a consistent forgery (chunk edited and re-hashed, chunk dropped with its entry, a covered range that ends
after the write or in 2099) is caught by comparing with the journal, whose own chain is checked first.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from remediator.evidence import Manifest, load_manifest, save_manifest, verify_evidence
from remediator.sandbox import Sandbox
from tests.e2e.harness import cli, write_inventory, write_playbook


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An archive made by `apply` against a sandbox, with its journal."""
    tmp = tmp_path_factory.mktemp("archived")
    mp = pytest.MonkeyPatch()
    try:
        with Sandbox(scenario="lapsus-2022", users=40) as sb:
            inventory = write_inventory(tmp / "inventory.yml", {"acme": {"org_url": sb.org_url, "token": sb.token}}, mp)
            state = {"since": "2022-02-01T00:00:00Z", "until": "2022-03-21T00:00:00Z", "dir": str(tmp / "evidence"),
                     "chunk_events": 100}
            playbook = write_playbook(tmp / "playbook.yml", [{"name": "evidence", "okta.system_log_archive": state}])
            result = cli("apply", playbook, "-i", inventory, "--yes", "--journal", tmp / "journal.jsonl")
            assert result.exit_code == 0, result.output
    finally:
        mp.undo()
    return tmp / "evidence" / "acme", tmp / "journal.jsonl"


@pytest.fixture
def copy(archived: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    d, journal = archived
    (tmp_path / "acme").mkdir()
    for p in d.iterdir():
        (tmp_path / "acme" / p.name).write_bytes(p.read_bytes())
    return tmp_path / "acme", journal


def forge(d: Path, edit: Callable[[Path, Manifest], None]) -> None:
    """Edit the archive, then make the manifest consistent again (hashes, counts, first and last events)."""
    m = load_manifest(d)
    assert m is not None and len(m.chunks) >= 3
    edit(d, m)
    for chunk in m.chunks:
        raw = (d / chunk.file).read_bytes()
        events = [json.loads(x) for x in gzip.decompress(raw).splitlines()]
        chunk.sha256, chunk.events = hashlib.sha256(raw).hexdigest(), len(events)
        chunk.first_published, chunk.first_uuid = events[0]["published"], events[0]["uuid"]
        chunk.last_published, chunk.last_uuid = events[-1]["published"], events[-1]["uuid"]
    save_manifest(d, m)


def drop_nine_events(d: Path, m: Manifest) -> None:
    path = d / m.chunks[1].file
    lines = gzip.decompress(path.read_bytes()).splitlines(keepends=True)
    path.write_bytes(gzip.compress(b"".join(lines[:10] + lines[19:]), mtime=0))


def drop_last_chunk(d: Path, m: Manifest) -> None:
    (d / m.chunks[-1].file).unlink()
    del m.chunks[-1]
    m.covered["until"] = m.chunks[-1].until  # type: ignore[index]


def rehash_a_chunk(d: Path, m: Manifest) -> None:
    path = d / m.chunks[0].file
    lines = gzip.decompress(path.read_bytes()).splitlines(keepends=True)
    event = json.loads(lines[3])
    event["actor"]["alternateId"] = "someone.else@example.com"
    lines[3] = json.dumps(event, separators=(",", ":")).encode() + b"\n"
    path.write_bytes(gzip.compress(b"".join(lines), mtime=0))


def claim_2099(d: Path, m: Manifest) -> None:
    m.chunks[-1].until = m.covered["until"] = "2099-01-01T00:00:00.000Z"  # type: ignore[index]


def claim_past_the_write(d: Path, m: Manifest) -> None:
    m.chunks[-1].until = m.covered["until"] = "2022-03-23T00:00:00.000Z"  # type: ignore[index]  # clock: 03-22


def test_the_journalled_archive_verifies(copy: tuple[Path, Path]) -> None:
    d, journal = copy
    assert verify_evidence(d, journal=journal)[0].split(": ")[1] == "OK"
    result = cli("evidence", "verify", d, "--journal", journal)
    assert result.exit_code == 0 and "OK" in result.output


@pytest.mark.parametrize("edit", [rehash_a_chunk, drop_last_chunk, drop_nine_events, claim_past_the_write])
def test_a_consistent_forgery_passes_alone_and_fails_against_the_journal(
        copy: tuple[Path, Path], edit: Callable[[Path, Manifest], None]) -> None:
    d, journal = copy
    forge(d, edit)
    verify_evidence(d)  # on its own the forgery is consistent: that is why the journal is needed
    result = cli("evidence", "verify", d, "--journal", journal)
    assert result.exit_code == 1 and "the journal recorded" in result.output and "Traceback" not in result.output


def test_an_impossible_covered_range(copy: tuple[Path, Path]) -> None:
    d, journal = copy
    forge(d, claim_2099)
    assert "ends in the future" in cli("evidence", "verify", d).output
    result = cli("evidence", "verify", d, "--journal", journal)
    assert result.exit_code == 1 and "ends in the future" in result.output


def test_a_dropped_middle_chunk_is_a_gap_even_without_a_journal(copy: tuple[Path, Path]) -> None:
    d, _ = copy
    forge(d, lambda d, m: ((d / m.chunks[1].file).unlink(), m.chunks.pop(1)))
    result = cli("evidence", "verify", d)
    assert result.exit_code == 1 and "(a gap)" in result.output


def test_a_journal_with_a_broken_chain_is_not_trusted(copy: tuple[Path, Path], tmp_path: Path) -> None:
    d, journal = copy
    lines = journal.read_bytes().splitlines(keepends=True)
    record = json.loads(lines[-2])
    record["time"] = "2022-01-01T00:00:00.000Z"
    forged = tmp_path / "forged.jsonl"
    forged.write_bytes(b"".join(lines[:-2]) + json.dumps(record).encode() + b"\n" + lines[-1])
    result = cli("evidence", "verify", d, "--journal", forged)
    assert result.exit_code == 1 and "chain broken" in result.output

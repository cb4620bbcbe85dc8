"""Evidence files: chunks and manifest as written, and `verify_evidence` catching every kind of tampering."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from remediator.errors import VerifyError
from remediator.evidence import (
    ChunkWriter,
    Manifest,
    clean_orphans,
    iter_archive_events,
    load_manifest,
    save_manifest,
    verify_evidence,
)
from tests.support import event, spread

SINCE, UNTIL = "2022-01-14T00:00:00.000Z", "2022-01-15T00:00:00.000Z"


def write(tmp_path: Path, events: list[dict], chunk_events: int = 4) -> Path:
    d = tmp_path / "acme"
    m = Manifest(tenant="acme", org_url="https://acme.okta.com")
    w = ChunkWriter(d, m, SINCE, UNTIL, chunk_events=chunk_events)
    for e in events:
        w.add(e)
    w.close()
    return d


@pytest.fixture
def archive(tmp_path: Path) -> tuple[Path, list[dict]]:
    events = spread("2022-01-14T01:00:00.000Z", 10)
    return write(tmp_path, events), events


def test_chunks_and_manifest_describe_every_event(archive: tuple[Path, list[dict]]) -> None:
    d, events = archive
    m = load_manifest(d)
    assert m is not None and m.covered == {"since": SINCE, "until": UNTIL}
    assert [c.events for c in m.chunks] == [4, 4, 2]
    assert m.chunks[0].since == SINCE and m.chunks[-1].until == UNTIL
    assert all(a.until == b.since == b.first_published for a, b in zip(m.chunks, m.chunks[1:], strict=False))
    lines = [line for c in m.chunks for line in gzip.decompress((d / c.file).read_bytes()).splitlines()]
    assert [json.loads(x) for x in lines] == events
    # key order as returned, compact separators
    assert lines[0].decode() == json.dumps(events[0], separators=(",", ":"), ensure_ascii=False)
    assert [e["uuid"] for e in iter_archive_events(d, m)] == [e["uuid"] for e in events]
    assert verify_evidence(d)[0].endswith(f"3 chunks, 10 events, covered {SINCE} .. {UNTIL}")
    assert len(verify_evidence(d.parent)) == 1  # the root form walks the tenants


def test_range_limits_are_half_open(tmp_path: Path) -> None:
    at_since, inside, at_until = event(SINCE), event("2022-01-14T12:00:00.000Z"), event(UNTIL)
    d = write(tmp_path, [event("2022-01-13T23:59:59.999Z"), at_since, inside, at_until])
    assert [e["uuid"] for e in iter_archive_events(d, load_manifest(d))] == [at_since["uuid"], inside["uuid"]]


def test_a_chunk_never_splits_one_millisecond_and_duplicates_are_dropped(tmp_path: Path) -> None:
    same = [event("2022-01-14T01:00:00.000Z") for _ in range(3)]
    later = event("2022-01-14T01:00:00.001Z")
    d = write(tmp_path, [*same, same[1], later], chunk_events=2)
    m = load_manifest(d)
    assert [c.events for c in m.chunks] == [3, 1]
    assert m.chunks[0].until == later["published"]
    verify_evidence(d)


def tamper_fails(d: Path, needle: str) -> None:
    with pytest.raises(VerifyError) as err:
        verify_evidence(d)
    assert needle in str(err.value)


def test_verify_catches_a_flipped_byte(archive: tuple[Path, list[dict]]) -> None:
    d, _ = archive
    f = d / load_manifest(d).chunks[1].file
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0x01
    f.write_bytes(bytes(data))
    tamper_fails(d, "SHA-256")


def test_verify_catches_a_removed_line_even_with_a_recomputed_hash(archive: tuple[Path, list[dict]]) -> None:
    import hashlib

    d, _ = archive
    m = load_manifest(d)
    f = d / m.chunks[0].file
    lines = gzip.decompress(f.read_bytes()).splitlines(keepends=True)
    f.write_bytes(gzip.compress(b"".join(lines[:1] + lines[2:])))
    m.chunks[0].sha256 = hashlib.sha256(f.read_bytes()).hexdigest()
    save_manifest(d, m)
    tamper_fails(d, "3 events, manifest says 4")


def test_verify_catches_a_missing_chunk(archive: tuple[Path, list[dict]]) -> None:
    d, _ = archive
    (d / load_manifest(d).chunks[2].file).unlink()
    tamper_fails(d, "file is missing")


def test_verify_catches_reordered_chunks(archive: tuple[Path, list[dict]]) -> None:
    d, _ = archive
    m = load_manifest(d)
    m.chunks[0], m.chunks[1] = m.chunks[1], m.chunks[0]
    save_manifest(d, m)
    tamper_fails(d, "the previous chunk ends")


def test_verify_catches_swapped_chunk_files(archive: tuple[Path, list[dict]]) -> None:
    d, _ = archive
    m = load_manifest(d)
    a, b = d / m.chunks[0].file, d / m.chunks[1].file
    da, db = a.read_bytes(), b.read_bytes()
    a.write_bytes(db)
    b.write_bytes(da)
    tamper_fails(d, "SHA-256")


def test_verify_catches_a_duplicated_event(tmp_path: Path) -> None:
    import hashlib

    d = write(tmp_path, spread("2022-01-14T01:00:00.000Z", 3), chunk_events=10)
    m = load_manifest(d)
    f = d / m.chunks[0].file
    lines = gzip.decompress(f.read_bytes()).splitlines(keepends=True)
    f.write_bytes(gzip.compress(b"".join([lines[0], lines[1], lines[1], lines[2]])))
    m.chunks[0].sha256, m.chunks[0].events = hashlib.sha256(f.read_bytes()).hexdigest(), 4
    save_manifest(d, m)
    tamper_fails(d, "appears twice")


def test_an_undescribed_chunk_fails_verify_and_is_cleaned(archive: tuple[Path, list[dict]]) -> None:
    d, _ = archive
    (d / "events-20220114T020000.000Z.jsonl.gz").write_bytes(gzip.compress(b"{}\n"))
    tmp = f".tmp-events-x.jsonl.gz.{os.getpid()}"  # left by this process (a temp file of a live other is kept)
    (d / tmp).write_bytes(b"half")
    tamper_fails(d, "not described by the manifest")
    assert clean_orphans(d, load_manifest(d)) == [tmp, "events-20220114T020000.000Z.jsonl.gz"]
    verify_evidence(d)


def test_verify_refuses_a_directory_without_manifest(tmp_path: Path) -> None:
    with pytest.raises(VerifyError, match=r"no manifest\.json"):
        verify_evidence(tmp_path)

"""System Log evidence on disk: gzip JSON Lines chunks, a manifest that describes them, and `verify`.

Layout (contract.md, "Files written by apply")::

    <dir>/<tenant>/manifest.json
    <dir>/<tenant>/events-20220114T000000.000Z.jsonl.gz     one System Log event per line, as returned

Ranges are half-open, `[since, until)`, on the events' `published` (millisecond precision, compared in
Okta's canonical `2022-01-21T00:00:00.000Z` form). Half-open ranges tile: the next run starts exactly
where the last one stopped, so nothing is fetched twice and nothing falls between two runs. A chunk is
never cut inside one millisecond, so a chunk's `until` is the `published` of the next chunk's first event
and a checkpoint never splits the events of one instant.

Crash safety: a chunk is written to a temp file, fsynced and renamed; only then is the manifest rewritten
(temp, fsync, rename). The manifest therefore never names a file that is not complete, and a chunk that
was renamed but not yet described (a kill between the two renames) is an orphan that the next run
deletes and fetches again (`clean_orphans`); `verify_evidence` reports it until then.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from remediator.errors import InputError, OktaError, VerifyError
from remediator.timeutil import format_time, parse_time, utcnow

MANIFEST = "manifest.json"
FORMAT = "remediator.evidence/1"
CHUNK_GLOB = re.compile(r"^events-.*\.jsonl(\.gz)?$")
TMP_PREFIX = ".tmp-"
_BLOCK = 1 << 20


def time_key(value: str) -> str:
    """The canonical, lexicographically ordered form of an Okta timestamp (`…T00:00:00.000Z`)."""
    if len(value) == 24 and value[-1] == "Z" and value[10] == "T" and value[19] == ".":
        return value
    return format_time(parse_time(value))


def tenant_dir(root: str | Path, tenant: str) -> Path:
    """`<root>/<tenant>`; a tenant name that would escape the root is refused."""
    if not tenant or tenant in (".", "..") or "/" in tenant or "\\" in tenant:
        raise InputError(f"tenant name {tenant!r} cannot be used as a directory name", where="evidence")
    return Path(root) / tenant


@dataclass
class Chunk:
    """One chunk file as the manifest describes it."""

    file: str
    sha256: str
    events: int
    since: str
    until: str
    first_published: str
    last_published: str
    first_uuid: str
    last_uuid: str


@dataclass
class Manifest:
    tenant: str
    org_url: str
    covered: dict[str, str] | None = None          # {"since", "until"}: every event in [since, until) is here
    retention_lost: list[dict[str, str]] = field(default_factory=list)   # ranges Okta no longer had
    chunks: list[Chunk] = field(default_factory=list)
    format: str = FORMAT

    @property
    def events(self) -> int:
        return sum(c.events for c in self.chunks)

    def to_json(self) -> dict[str, Any]:
        return {"format": self.format, "tenant": self.tenant, "org_url": self.org_url,
                "covered": self.covered, "retention_lost": self.retention_lost,
                "events": self.events, "updated_at": format_time(utcnow()),
                "chunks": [asdict(c) for c in self.chunks]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        if data.get("format") != FORMAT:
            raise ValueError(f"format is {data.get('format')!r}, expected {FORMAT!r}")
        return cls(tenant=data["tenant"], org_url=data.get("org_url", ""), covered=data.get("covered"),
                   retention_lost=list(data.get("retention_lost") or []),
                   chunks=[Chunk(**c) for c in data.get("chunks", [])])


def load_manifest(directory: str | Path) -> Manifest | None:
    """The manifest of one tenant's evidence directory, or None when there is none yet."""
    path = Path(directory) / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return Manifest.from_json(json.loads(text))
    except (ValueError, KeyError, TypeError) as exc:
        raise VerifyError(f"{path}: not a readable evidence manifest: {exc}") from None


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a directory be fsynced
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def save_manifest(directory: str | Path, manifest: Manifest) -> None:
    """Rewrite the manifest atomically: temp file, fsync, rename, fsync the directory."""
    directory = Path(directory)
    tmp = directory / f"{TMP_PREFIX}{MANIFEST}.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(manifest.to_json(), f, indent=1, ensure_ascii=False)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, directory / MANIFEST)
    _fsync_dir(directory)


def clean_orphans(directory: str | Path, manifest: Manifest | None) -> list[str]:
    """Delete temp files and chunk files the manifest does not describe (left by an interrupted run)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    known = {c.file for c in manifest.chunks} if manifest else set()
    removed = []
    for path in sorted(directory.iterdir()):
        if path.name.startswith(TMP_PREFIX) or (CHUNK_GLOB.match(path.name) and path.name not in known):
            path.unlink()
            removed.append(path.name)
    return removed


class _HashingWriter:
    """A binary file wrapper that hashes what passes through (the chunk's SHA-256 costs no re-read)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


class ChunkWriter:
    """Streams events of one fetch range `[since, until)` into chunks and checkpoints the manifest.

    `forward=True` extends the covered range at its end and saves the manifest after every chunk, so a
    kill mid-archive resumes from the last chunk. `forward=False` (a backfill before the covered range)
    saves the manifest once, at `close`, because until then the new chunks are not contiguous with it.
    Events outside `[since, until)` and uuids already written in the current millisecond are dropped:
    that makes the result exact whatever the server does with its own bounds.
    """

    def __init__(self, directory: str | Path, manifest: Manifest, since: str, until: str, *,
                 chunk_events: int = 100_000, forward: bool = True, level: int = 6) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.manifest = manifest
        self.since, self.until = time_key(since), time_key(until)
        self.chunk_events = chunk_events
        self.forward = forward
        self.level = level
        self.written = 0
        self.new_chunks: list[Chunk] = []
        self._last_key = ""
        self._uuids_at_last: set[str] = set()
        self._chunk_since = self.since
        self._open: tuple[Path, Any, _HashingWriter, Any] | None = None
        self._count = 0
        self._first: tuple[str, str] = ("", "")
        self._last: tuple[str, str] = ("", "")
        if forward and manifest.covered is None:
            manifest.covered = {"since": self.since, "until": self.since}

    def add(self, event: dict[str, Any]) -> bool:
        """Append one event (in ascending `published` order). Returns False when it was dropped."""
        published, uuid = event.get("published"), event.get("uuid")
        if not isinstance(published, str) or not isinstance(uuid, str):
            raise OktaError("a System Log event has no published time or uuid")
        key = time_key(published)
        if key < self.since or key >= self.until:
            return False
        if key < self._last_key:
            raise OktaError(f"System Log events out of order: {published} after {self._last_key}")
        if key == self._last_key:
            if uuid in self._uuids_at_last:
                return False
        else:
            if self._count >= self.chunk_events:
                self._flush(until=key)
            self._uuids_at_last = set()
            self._last_key = key
        self._uuids_at_last.add(uuid)
        self._write(json.dumps(event, separators=(",", ":"), ensure_ascii=False), key, uuid)
        return True

    def close(self) -> None:
        """Flush the last chunk and record the whole range as covered."""
        if self._count:
            self._flush(until=self.until)
        covered = self.manifest.covered
        if self.forward:
            assert covered is not None
            covered["until"] = max(covered["until"], self.until)
        else:
            self.manifest.chunks[:0] = self.new_chunks
            self.manifest.covered = {"since": self.since,
                                     "until": covered["until"] if covered else self.until}
        save_manifest(self.dir, self.manifest)

    def abort(self) -> None:
        """Drop the chunk being written (its temp file); what was checkpointed stays."""
        if self._open:
            tmp, gz, _, raw = self._open
            with contextlib.suppress(OSError):
                gz.close()
                raw.close()
            tmp.unlink(missing_ok=True)
            self._open = None

    # internals -------------------------------------------------------------------------
    def _write(self, line: str, key: str, uuid: str) -> None:
        if self._open is None:
            name = f"events-{self._chunk_since.replace('-', '').replace(':', '')}.jsonl.gz"
            tmp = self.dir / f"{TMP_PREFIX}{name}.{os.getpid()}"
            raw = open(tmp, "wb")  # noqa: SIM115 (closed in _flush/abort)
            hashing = _HashingWriter(raw)
            gz = gzip.GzipFile(filename="", mode="wb", fileobj=hashing, compresslevel=self.level, mtime=0)
            self._open = (tmp, gz, hashing, raw)
            self._count = 0
            self._first = (key, uuid)
        self._open[1].write(line.encode("utf-8") + b"\n")
        self._count += 1
        self._last = (key, uuid)

    def _flush(self, until: str) -> None:
        assert self._open is not None
        tmp, gz, hashing, raw = self._open
        gz.close()
        raw.flush()
        os.fsync(raw.fileno())
        raw.close()
        name = tmp.name[len(TMP_PREFIX):].rsplit(".", 1)[0]
        os.replace(tmp, self.dir / name)
        _fsync_dir(self.dir)
        chunk = Chunk(file=name, sha256=hashing.sha.hexdigest(), events=self._count, since=self._chunk_since,
                      until=until, first_published=self._first[0], last_published=self._last[0],
                      first_uuid=self._first[1], last_uuid=self._last[1])
        self._open = None
        self.written += self._count
        self._count = 0
        self._chunk_since = until
        if self.forward:
            self.manifest.chunks.append(chunk)
            assert self.manifest.covered is not None
            self.manifest.covered["until"] = until
            save_manifest(self.dir, self.manifest)
        else:
            self.new_chunks.append(chunk)


# reading ---------------------------------------------------------------------------------
def iter_blocks(path: str | Path, block: int = 1 << 18) -> Iterator[bytes]:
    """Decompressed content of a chunk in blocks of whole lines (about `block` bytes: cache-sized, bounded)."""
    gz = str(path).endswith(".gz")
    inflate = zlib.decompressobj(31)
    carry, pending = b"", b""
    with open(path, "rb") as f:
        while True:
            if not pending:
                pending = f.read(1 << 16)
                if not pending:
                    break
            if gz:
                data = inflate.decompress(pending, block)
                pending = inflate.unconsumed_tail
                if inflate.eof and inflate.unused_data:  # concatenated gzip members
                    pending, inflate = inflate.unused_data, zlib.decompressobj(31)
            else:
                data, pending = pending, b""
            cut = data.rfind(b"\n") + 1
            if cut:
                yield carry + data[:cut] if carry else data[:cut]
                carry = data[cut:]
            else:
                carry += data
    if gz:
        carry += inflate.flush()
    if carry:
        yield carry if carry.endswith(b"\n") else carry + b"\n"


def iter_lines(path: str | Path) -> Iterator[bytes]:
    for block in iter_blocks(path):
        yield from block.splitlines()


def iter_archive_events(directory: str | Path, manifest: Manifest, since: str | None = None,
                        until: str | None = None) -> Iterator[dict[str, Any]]:
    """Every archived event with `published` in `[since, until)`, chunk by chunk (streamed)."""
    lo, hi = (time_key(since) if since else ""), (time_key(until) if until else "~")
    for chunk in manifest.chunks:
        if chunk.until <= lo or chunk.since >= hi:
            continue
        for line in iter_lines(Path(directory) / chunk.file):
            event = json.loads(line)
            if lo <= time_key(event["published"]) < hi:
                yield event


# verify ----------------------------------------------------------------------------------
def verify_evidence(path: str | Path) -> list[str]:
    """Recompute every chunk's hash, count, range, ordering and uuid uniqueness; one line per tenant.

    `path` is either the evidence root (every `<tenant>/manifest.json` below it) or one tenant's
    directory. Raises VerifyError listing every mismatch.
    """
    root = Path(path)
    if (root / MANIFEST).is_file():
        dirs = [root]
    elif root.is_dir():
        dirs = sorted(p for p in root.iterdir() if (p / MANIFEST).is_file())
    else:
        raise VerifyError(f"{root}: no such evidence directory")
    if not dirs:
        raise VerifyError(f"{root}: no {MANIFEST} here or in any tenant directory below it")
    lines, problems = [], []
    for d in dirs:
        summary, errors = _verify_tenant(d)
        problems += [f"{d}: {e}" for e in errors]
        lines.append(f"{d}: {'FAILED' if errors else 'OK'}: {summary}")
    if problems:
        raise VerifyError("evidence does not verify:\n" + "\n".join(problems))
    return lines


def _verify_tenant(d: Path) -> tuple[str, list[str]]:
    try:
        manifest = load_manifest(d)
    except VerifyError as exc:
        return "unreadable manifest", [str(exc)]
    assert manifest is not None
    errors: list[str] = []
    cov = manifest.covered
    if cov is not None and not cov.get("since", "") <= cov.get("until", ""):
        errors.append(f"covered range is inverted: {cov}")
    listed = {c.file for c in manifest.chunks}
    for p in sorted(d.iterdir()):
        if CHUNK_GLOB.match(p.name) and p.name not in listed:
            errors.append(f"{p.name} is not described by the manifest (an interrupted run? run the archive again)")
    seen: set[str] = set()
    prev_until, prev_last = "", ""
    total = 0
    for i, chunk in enumerate(manifest.chunks):
        where = f"chunk {i} ({chunk.file})"
        if chunk.since < prev_until:
            errors.append(f"{where}: starts at {chunk.since}, before the previous chunk ends ({prev_until})")
        if cov and not (cov["since"] <= chunk.since and chunk.until <= cov["until"]):
            errors.append(f"{where}: range {chunk.since}..{chunk.until} is outside the covered range")
        errors += [f"{where}: {e}" for e in _verify_chunk(d / chunk.file, chunk, seen, prev_last)]
        prev_until, prev_last = chunk.until, chunk.last_published
        total += chunk.events
    covered = f"{cov['since']} .. {cov['until']}" if cov else "nothing"
    return f"{len(manifest.chunks)} chunks, {total} events, covered {covered}", errors


def _verify_chunk(path: Path, chunk: Chunk, seen: set[str], prev_last: str) -> list[str]:
    if not path.is_file():
        return ["file is missing"]
    errors: list[str] = []
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_BLOCK), b""):
            sha.update(block)
    if sha.hexdigest() != chunk.sha256:
        errors.append(f"SHA-256 is {sha.hexdigest()}, manifest says {chunk.sha256}")
    count, first, last, last_key = 0, None, None, prev_last
    try:
        for line in iter_lines(path):
            event = json.loads(line)
            key, uuid = time_key(event["published"]), event["uuid"]
            if key < last_key:
                errors.append(f"line {count + 1}: published {key} is before {last_key} (out of order)")
            if not chunk.since <= key < chunk.until:
                errors.append(f"line {count + 1}: published {key} outside the chunk's {chunk.since}..{chunk.until}")
            if uuid in seen:
                errors.append(f"line {count + 1}: uuid {uuid} appears twice")
            seen.add(uuid)
            first = first or (key, uuid)
            last, last_key = (key, uuid), key
            count += 1
    except (OSError, EOFError, zlib.error, ValueError, KeyError, TypeError) as exc:
        return [*errors, f"unreadable after line {count}: {type(exc).__name__}: {exc}"]
    if count != chunk.events:
        errors.append(f"{count} events, manifest says {chunk.events}")
    if first and (first[0], first[1]) != (chunk.first_published, chunk.first_uuid):
        errors.append(f"first event {first} differs from the manifest's {chunk.first_published}, {chunk.first_uuid}")
    if last and (last[0], last[1]) != (chunk.last_published, chunk.last_uuid):
        errors.append(f"last event {last} differs from the manifest's {chunk.last_published}, {chunk.last_uuid}")
    return errors

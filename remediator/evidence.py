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
import errno
import gzip
import hashlib
import json
import os
import re
import stat
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO
from uuid import uuid4

from remediator import journal
from remediator.errors import InputError, OktaError, VerifyError
from remediator.locks import AdvisoryLock
from remediator.org import OrgIdentity
from remediator.timeutil import format_time, parse_time, utcnow

MANIFEST = "manifest.json"
FORMAT = "remediator.evidence/1"
CHUNK_GLOB = re.compile(r"^(events|late|pending)-.*\.jsonl(\.gz)?$")
TMP_PREFIX = ".tmp-"
LOCK = ".lock"  # the evidence directory's advisory lock (`evidence_lock`)
_BLOCK = 1 << 20


def time_key(value: str) -> str:
    """The canonical, lexicographically ordered form of an Okta timestamp (`…T00:00:00.000Z`)."""
    if len(value) == 24 and value[-1] == "Z" and value[10] == "T" and value[19] == ".":
        return value
    return format_time(parse_time(value))


def evidence_dir(root: str | Path, tenant: str, *, claimed: str | Path | None = None) -> Path:
    """The one directory a tenant's evidence may be written to: `<root>/<tenant>` under the state's declared
    `root`, reached through no symlink. `claimed` (a plan's archive target) must be that directory.

    Evidence is never written, read or deleted elsewhere: a tenant name that would escape the root, a
    target edited to another directory, a symlinked root or tenant directory are refused (InputError).
    """
    if not tenant or tenant in (".", "..") or "/" in tenant or "\\" in tenant or "\0" in tenant:
        raise InputError(f"tenant name {tenant!r} cannot be used as a directory name", where="evidence")
    directory = Path(root) / tenant
    if claimed is not None and os.path.normpath(claimed) != os.path.normpath(directory):
        raise InputError(f"{claimed} is not the evidence directory {directory} that the state declares "
                         f"(dir: {root}): refused, nothing written or deleted there", where="evidence")
    for path in (Path(root), directory):
        if path.is_symlink():
            raise InputError(f"{path} is a symlink: evidence is never written or read through a symlink "
                             "(declare the real directory as `dir`)", where="evidence")
        if path.exists() and not path.is_dir():
            raise InputError(f"{path} is not a directory", where="evidence")
    return directory


def tenant_dir(root: str | Path, tenant: str) -> Path:
    """`<root>/<tenant>`, confined (see `evidence_dir`)."""
    return evidence_dir(root, tenant)


def evidence_lock(directory: str | Path, *, wait: float = 0.0,
                  notify: Callable[[str], None] | None = None) -> AdvisoryLock:
    """One writer per evidence directory (across processes), held for a whole archive write.

    `wait` is `--wait-lock`: a second writer (another journal, another machine sharing the directory)
    waits that long for the first, as it does for the tenant's lock, instead of failing at once."""
    return AdvisoryLock(Path(directory) / LOCK, f"the evidence directory {directory}", wait=wait, notify=notify)


def check_org(directory: str | Path, manifest: Manifest | None, org: OrgIdentity | None) -> None:
    """Refuse an evidence directory made for another org (a rehearsal next to production): never merged.

    `org` is the session's identity (`ctx.org`, always set by a tenant session; None only in unit tests).
    """
    if manifest is None or org is None:
        return
    why = org.differs(manifest.org_url, (manifest.org_id or None) if org.id else None)
    if why:
        made = f"{manifest.org_url} (org id {manifest.org_id})" if manifest.org_id else manifest.org_url
        raise InputError(f"{directory} holds the evidence of another org, {made} ({why}): an evidence directory "
                         "made for another org is refused, never merged (give this tenant another `dir`)",
                         where="evidence")


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
class Pending:
    """Events already read from the poll but published at or after `covered.until`: not claimed yet."""

    file: str
    sha256: str
    events: int


@dataclass
class Manifest:
    """What the archive holds. `covered` is a claim: every event Okta has or will have with `published` in
    `[since, until)` is in `chunks` (and `late`); it never includes the last `settle_seconds` before the poll
    that caught up (`polled_at`), because Okta may still persist events published then. `cursor` is the
    `next` link of that poll (Okta's polling query), where the next run resumes; `pending` holds the events
    it already returned beyond `covered`. `late` are chunks of events that arrived after their range was
    claimed (Okta delayed them longer than the settling margin): kept, and reported."""

    tenant: str
    org_url: str
    org_id: str = ""  # Okta's id of the org (GET /api/v1/org): with org_url, whose evidence this is
    covered: dict[str, str] | None = None          # {"since", "until"}: every event in [since, until) is here
    retention_lost: list[dict[str, str]] = field(default_factory=list)   # ranges Okta no longer had
    chunks: list[Chunk] = field(default_factory=list)
    cursor: str | None = None
    pending: Pending | None = None
    late: list[Chunk] = field(default_factory=list)
    settle_seconds: int | None = None
    polled_at: str | None = None
    format: str = FORMAT

    @property
    def events(self) -> int:
        return sum(c.events for c in self.chunks) + sum(c.events for c in self.late)

    def stored(self) -> list[Chunk]:
        """Every chunk whose events are inside the covered range: the contiguous ones, then late arrivals."""
        return [*self.chunks, *self.late]

    def tile(self) -> None:
        """Stretch the first and last chunk to the covered range: the parts of it that no chunk holds had
        no event, so the chunks tile `covered` exactly and a chunk that goes missing leaves a visible hole."""
        if self.chunks and self.covered:
            self.chunks[0].since = min(self.chunks[0].since, self.covered["since"])
            self.chunks[-1].until = max(self.chunks[-1].until, self.covered["until"])

    def to_json(self) -> dict[str, Any]:
        return {"format": self.format, "tenant": self.tenant, "org_url": self.org_url, "org_id": self.org_id,
                "covered": self.covered, "settle_seconds": self.settle_seconds, "polled_at": self.polled_at,
                "cursor": self.cursor, "pending": asdict(self.pending) if self.pending else None,
                "retention_lost": self.retention_lost,
                "events": self.events, "updated_at": format_time(utcnow()),
                "chunks": [asdict(c) for c in self.chunks], "late": [asdict(c) for c in self.late]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if data.get("format") != FORMAT:
            raise ValueError(f"format is {data.get('format')!r}, expected {FORMAT!r}")
        _check_shape(data)
        pending = data.get("pending")
        return cls(tenant=data["tenant"], org_url=data.get("org_url", ""), org_id=data.get("org_id") or "",
                   covered=data.get("covered"),
                   retention_lost=list(data.get("retention_lost") or []),
                   chunks=[Chunk(**c) for c in data.get("chunks", [])],
                   cursor=data.get("cursor"), pending=Pending(**pending) if pending else None,
                   late=[Chunk(**c) for c in data.get("late") or []],
                   settle_seconds=data.get("settle_seconds"), polled_at=data.get("polled_at"))


def _check_shape(data: dict[str, Any]) -> None:
    """Types a manifest's readers rely on (a hand-edited manifest is input: a ValueError, not a traceback)."""
    def strings(obj: Any, keys: tuple[str, ...], what: str) -> None:
        if not isinstance(obj, dict) or not all(isinstance(obj.get(k), str) for k in keys):
            raise ValueError(f"{what} must be an object with string {', '.join(keys)}")

    for key in ("tenant", "org_url", "org_id"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise ValueError(f"{key} must be a string")
    if data.get("covered") is not None:
        strings(data["covered"], ("since", "until"), "covered")
    for key in ("chunks", "late", "retention_lost"):
        if not isinstance(data.get(key) or [], list):
            raise ValueError(f"{key} must be a list")
    for chunk in [*(data.get("chunks") or []), *(data.get("late") or [])]:
        strings(chunk, ("file", "sha256", "since", "until"), "a chunk")
        if not isinstance(chunk.get("events"), int) or "/" in chunk["file"] or chunk["file"] in ("", ".", ".."):
            raise ValueError(f"chunk {chunk.get('file')!r}: events must be an integer, file a plain name")
    for lost in data.get("retention_lost") or []:
        strings(lost, ("since", "until"), "a retention_lost range")
    pending = data.get("pending")
    if pending is not None and (not isinstance(pending, dict) or not isinstance(pending.get("file"), str)
                                or "/" in pending["file"]):
        raise ValueError("pending must be an object with a plain file name")


def load_manifest(directory: str | Path) -> Manifest | None:
    """The manifest of one tenant's evidence directory, or None when there is none yet (never through a symlink)."""
    path = Path(directory) / MANIFEST
    if path.is_symlink():
        raise VerifyError(f"{path}: is a symlink: an evidence manifest is never read through a symlink")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return Manifest.from_json(json.loads(text))
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise VerifyError(f"{path}: not a readable evidence manifest: {exc}") from None


def _create(path: Path) -> BinaryIO:
    """A file to write (created or truncated), never through a symlink planted under its name."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    return os.fdopen(fd, "wb")


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a directory be fsynced
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def save_manifest(directory: str | Path, manifest: Manifest) -> str:
    """Rewrite the manifest atomically (temp file, fsync, rename, fsync the directory); returns its SHA-256,
    which the journal records so that `evidence verify --journal` can tell an edited manifest."""
    directory = Path(directory)
    manifest.tile()
    data = (json.dumps(manifest.to_json(), indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    tmp = directory / f"{TMP_PREFIX}{MANIFEST}.{os.getpid()}"
    with _create(tmp) as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, directory / MANIFEST)
    _fsync_dir(directory)
    return hashlib.sha256(data).hexdigest()


def manifest_sha256(directory: str | Path) -> str:
    return hashlib.sha256((Path(directory) / MANIFEST).read_bytes()).hexdigest()


def clean_orphans(directory: str | Path, manifest: Manifest | None) -> list[str]:
    """Delete temp files and chunk files the manifest does not describe (left by an interrupted run).

    Only what the archive creates: regular files (never a symlink or a directory) named as it names them;
    a temp file only when the process that wrote it (its name ends with its pid) is this one or is gone.
    """
    directory = Path(directory)
    if directory.is_symlink() or not directory.is_dir():
        return []
    known = _files(manifest) if manifest else set()
    removed = []
    for path in sorted(directory.iterdir()):
        if not stat.S_ISREG(path.lstat().st_mode):
            continue
        if (path.name.startswith(TMP_PREFIX) and _writer_gone(path.name)) or (
                CHUNK_GLOB.match(path.name) and path.name not in known):
            path.unlink()
            removed.append(path.name)
    return removed


def _writer_gone(name: str) -> bool:
    """Is the process that wrote temp file `name` (`.tmp-<file>.<pid>`) this one, or not alive any more?"""
    pid = name.rsplit(".", 1)[-1]
    if not pid.isdigit():
        return True  # not named by a writer of this version: an interrupted run's
    if int(pid) == os.getpid():
        return True  # ours: this process holds the directory's lock, so it is a write it abandoned
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, another user's
        return False
    return False


def _files(manifest: Manifest) -> set[str]:
    return {c.file for c in manifest.stored()} | ({manifest.pending.file} if manifest.pending else set())


def write_events_file(directory: Path, name: str, events: list[dict[str, Any]], level: int = 6) -> str:
    """Write one gzip JSON Lines file atomically (temp, fsync, rename); returns its SHA-256."""
    tmp = directory / f"{TMP_PREFIX}{name}.{os.getpid()}"
    with _create(tmp) as raw:
        hashing = _HashingWriter(raw)
        with gzip.GzipFile(filename="", mode="wb", fileobj=hashing, compresslevel=level, mtime=0) as gz:
            for event in events:
                gz.write(json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n")
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(tmp, directory / name)
    _fsync_dir(directory)
    return hashing.sha.hexdigest()


def read_pending(directory: str | Path, manifest: Manifest) -> list[dict[str, Any]]:
    """The pending events of the manifest, after checking their file's hash."""
    if manifest.pending is None:
        return []
    path = Path(directory) / manifest.pending.file
    sha = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
    if sha != manifest.pending.sha256:
        raise VerifyError(f"{path}: pending events do not match the manifest (SHA-256 {sha})")
    return [json.loads(line) for line in iter_lines(path)]


def _stamp(key: str) -> str:
    return key.replace("-", "").replace(":", "")


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
    that makes the result exact whatever the server does with its own bounds. With `auto_cut=False` the
    owner decides where chunks end (`checkpoint`), so that a chunk ends where its cursor is consistent.
    """

    def __init__(self, directory: str | Path, manifest: Manifest, since: str, until: str, *,
                 chunk_events: int = 100_000, forward: bool = True, level: int = 6, auto_cut: bool = True) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.manifest = manifest
        self.since, self.until = time_key(since), time_key(until)
        self.chunk_events = chunk_events
        self.forward = forward
        self.level = level
        self.auto_cut = auto_cut
        self.written = 0
        self.sha256: str | None = None
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

    @property
    def open_events(self) -> int:
        """Events in the chunk being written (not checkpointed yet)."""
        return self._count

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
            if self.auto_cut and self._count >= self.chunk_events:
                self._flush(until=key)
            self._uuids_at_last = set()
            self._last_key = key
        self._uuids_at_last.add(uuid)
        self._write(json.dumps(event, separators=(",", ":"), ensure_ascii=False), key, uuid)
        return True

    def add_late(self, events: list[dict[str, Any]]) -> None:
        """Keep events that arrived after their range was claimed, as a `late` chunk (saved at the next save)."""
        if not events:
            return
        events = sorted(events, key=lambda e: (time_key(e["published"]), e["uuid"]))
        first, last = time_key(events[0]["published"]), time_key(events[-1]["published"])
        name = f"late-{_stamp(first)}-{uuid4().hex[:8]}.jsonl.gz"
        sha = write_events_file(self.dir, name, events, self.level)
        end = format_time(parse_time(last) + timedelta(milliseconds=1))
        self.manifest.late.append(Chunk(file=name, sha256=sha, events=len(events), since=first, until=end,
                                        first_published=first, last_published=last,
                                        first_uuid=events[0]["uuid"], last_uuid=events[-1]["uuid"]))
        self.written += len(events)

    def checkpoint(self, until: str) -> None:
        """Forward only: end the chunk being written at `until` (every event so far is before it, every later
        one at or after it) and claim the range up to `until`; saves the manifest either way."""
        assert self.forward
        until = time_key(until)
        if self._count:
            self._flush(until=until)
        else:
            assert self.manifest.covered is not None
            self.manifest.covered["until"] = max(self.manifest.covered["until"], until)
            self._chunk_since = max(self._chunk_since, until)
            self.sha256 = save_manifest(self.dir, self.manifest)
        self._last_key = max(self._last_key, until)
        self._uuids_at_last = set()

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
        self.sha256 = save_manifest(self.dir, self.manifest)

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
            name = f"events-{_stamp(self._chunk_since)}.jsonl.gz"
            tmp = self.dir / f"{TMP_PREFIX}{name}.{os.getpid()}"
            raw = _create(tmp)  # closed in _flush/abort
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
            self.sha256 = save_manifest(self.dir, self.manifest)
        else:
            self.new_chunks.append(chunk)


# reading ---------------------------------------------------------------------------------
def _open_read(path: Path) -> BinaryIO:
    """A chunk to read, never through a symlink: a symlink in the archive is an error, not a file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise VerifyError(f"{path}: is a symlink: evidence is never read through a symlink") from None
        raise
    return os.fdopen(fd, "rb")


def iter_blocks(path: str | Path, block: int = 1 << 18) -> Iterator[bytes]:
    """Decompressed content of a chunk in blocks of whole lines (about `block` bytes: cache-sized, bounded)."""
    gz = str(path).endswith(".gz")
    inflate = zlib.decompressobj(31)
    carry, pending = b"", b""
    with _open_read(Path(path)) as f:
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
    for chunk in manifest.stored():
        if chunk.until <= lo or chunk.since >= hi:
            continue
        for line in iter_lines(Path(directory) / chunk.file):
            event = json.loads(line)
            if lo <= time_key(event["published"]) < hi:
                yield event


# verify ----------------------------------------------------------------------------------
#: A covered range may not end later than this after the verifier's clock (tenant clocks drift a little).
FUTURE_SLACK = timedelta(days=1)
ARCHIVE_KIND = "okta.system_log_archive"


def verify_evidence(path: str | Path, journal: str | Path | None = None) -> list[str]:
    """Recompute every chunk's hash, count, range, ordering and uuid uniqueness; one line per tenant.

    `path` is either the evidence root (every `<tenant>/manifest.json` below it) or one tenant's
    directory. With `journal`, each manifest must also be byte for byte the one the journal recorded
    with the last archive write to that directory, and its covered range may not end after the tenant's
    clock at that write. Raises VerifyError listing every mismatch.
    """
    root = Path(path)
    if root.is_symlink():
        raise VerifyError(f"{root}: is a symlink: evidence is never read through a symlink")
    if (root / MANIFEST).is_file():
        dirs = [root]
    elif root.is_dir():
        dirs = sorted(p for p in root.iterdir() if (p / MANIFEST).is_file())
    else:
        raise VerifyError(f"{root}: no such evidence directory")
    if not dirs:
        raise VerifyError(f"{root}: no {MANIFEST} here or in any tenant directory below it")
    writes = _journalled_writes(journal) if journal is not None else None
    lines, problems = [], []
    for d in dirs:
        summary, errors = _verify_tenant(d) if not d.is_symlink() else ("", ["is a symlink: never followed"])
        if writes is not None and not errors:
            errors += _verify_against_journal(d, writes)
        problems += [f"{d}: {e}" for e in errors]
        lines.append(f"{d}: {'FAILED' if errors else 'OK'}: {summary}")
    if problems:
        raise VerifyError("evidence does not verify:\n" + "\n".join(problems))
    return lines


def _journalled_writes(path: str | Path) -> list[dict[str, Any]]:
    """The journal's applied archive writes that carry a manifest hash, after checking the journal's chain."""

    journal.verify(path)
    return [r for r in journal.read_records(path)
            if r.get("result") == "applied" and (r.get("change") or {}).get("kind") == ARCHIVE_KIND
            and isinstance((r.get("detail") or {}).get("manifest_sha256"), str)]


def _verify_against_journal(d: Path, writes: list[dict[str, Any]]) -> list[str]:
    manifest = load_manifest(d)
    assert manifest is not None
    here = str(d.resolve())
    mine = [r for r in writes if r["detail"].get("dir") == here]
    if not mine:  # evidence copied elsewhere (a case folder): the same tenant, org and directory name
        mine = [r for r in writes if r.get("tenant") == manifest.tenant and r.get("org_url") == manifest.org_url
                and Path(str(r["detail"].get("dir", ""))).name == d.name]
    if not mine:
        return ["the journal records no archive write for this evidence"]
    last = mine[-1]
    detail = last["detail"]
    errors = []
    sha = manifest_sha256(d)
    if sha != detail["manifest_sha256"]:
        errors.append(f"manifest SHA-256 is {sha}, the journal recorded {detail['manifest_sha256']} with the last "
                      f"archive write ({last.get('time')}): the manifest was changed since (or that run was "
                      "interrupted: run the archive again)")
    until, now = (manifest.covered or {}).get("until"), detail.get("tenant_now")
    if until and isinstance(now, str) and until > time_key(now):
        errors.append(f"covered range ends at {until}, after the tenant's clock at the last archive write ({now})")
    return errors


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
    if cov is not None and cov.get("until", "") > format_time(utcnow() + FUTURE_SLACK):
        errors.append(f"covered range ends in the future ({cov['until']}): no archive can have seen that")
    listed = _files(manifest)
    for p in sorted(d.iterdir()):
        if CHUNK_GLOB.match(p.name) and p.name not in listed:
            errors.append(f"{p.name} is not described by the manifest (an interrupted run? run the archive again)")
    if manifest.chunks and cov and (manifest.chunks[0].since != cov["since"]
                                    or manifest.chunks[-1].until != cov["until"]):
        errors.append(f"chunks span {manifest.chunks[0].since}..{manifest.chunks[-1].until}, not the covered "
                      f"range {cov['since']}..{cov['until']}")
    seen: set[str] = set()
    prev_until, prev_last = "", ""
    total = 0
    for i, chunk in enumerate(manifest.chunks):
        where = f"chunk {i} ({chunk.file})"
        if prev_until and chunk.since != prev_until:
            hole = "a gap" if chunk.since > prev_until else "an overlap"
            errors.append(f"{where}: starts at {chunk.since}, the previous chunk ends at {prev_until} ({hole})")
        if cov and not (cov["since"] <= chunk.since and chunk.until <= cov["until"]):
            errors.append(f"{where}: range {chunk.since}..{chunk.until} is outside the covered range")
        errors += [f"{where}: {e}" for e in _verify_chunk(d / chunk.file, chunk, seen, prev_last)]
        prev_until, prev_last = chunk.until, chunk.last_published
        total += chunk.events
    for i, chunk in enumerate(manifest.late):
        where = f"late chunk {i} ({chunk.file})"
        if cov and not (cov["since"] <= chunk.since and chunk.until <= cov["until"]):
            errors.append(f"{where}: range {chunk.since}..{chunk.until} is outside the covered range")
        errors += [f"{where}: {e}" for e in _verify_chunk(d / chunk.file, chunk, seen, "")]
        total += chunk.events
    pending = 0
    if manifest.pending is not None:
        held = manifest.pending
        floor = cov["until"] if cov else ""
        pseudo = Chunk(held.file, held.sha256, held.events, floor, "~", "", "", "", "")
        found = _verify_chunk(d / held.file, pseudo, seen, "", whole=False)
        errors += [f"pending ({held.file}): {e}" for e in found]
        pending = held.events
    covered = f"{cov['since']} .. {cov['until']}" if cov else "nothing"
    late = f" ({sum(c.events for c in manifest.late)} arrived late)" if manifest.late else ""
    after = f"; {pending} events read beyond it, pending" if manifest.pending else ""
    settle = f" (settling margin {manifest.settle_seconds} s)" if manifest.settle_seconds is not None else ""
    org = f"{manifest.org_url} (org id {manifest.org_id})" if manifest.org_id else manifest.org_url
    return (f"org {org}: {len(manifest.chunks) + len(manifest.late)} chunks, {total} events{late}, "
            f"covered {covered}"
            f"{settle}{after}"), errors


def _verify_chunk(path: Path, chunk: Chunk, seen: set[str], prev_last: str, whole: bool = True) -> list[str]:
    """`whole=False`: a file of events in no particular order (pending), only hash, count, range, uniqueness."""
    if path.is_symlink():
        return ["is a symlink: never followed"]
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
            if whole and key < last_key:
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
    if not whole:
        return errors
    if first and (first[0], first[1]) != (chunk.first_published, chunk.first_uuid):
        errors.append(f"first event {first} differs from the manifest's {chunk.first_published}, {chunk.first_uuid}")
    if last and (last[0], last[1]) != (chunk.last_published, chunk.last_uuid):
        errors.append(f"last event {last} differs from the manifest's {chunk.last_published}, {chunk.last_uuid}")
    return errors

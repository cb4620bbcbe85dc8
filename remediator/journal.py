"""The journal: an append-only, hash-chained record of every write remediator attempted.

One JSON object per line. Each record carries `prev`, the SHA-256 of the previous line's bytes
(64 zeros for the first), so that an edited, removed or reordered record breaks the chain and
`remediator journal verify` says where. A change is journalled twice: a `pending` record before
the write and its result (`applied|failed|stale|skipped`) after, so an interrupted run leaves a
trace of the write it may or may not have made; the next run re-reads the tenant and converges.

Appends are serialised within the process (a lock) and across processes (`flock`).
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from remediator.errors import InputError, VerifyError
from remediator.timeutil import format_time, utcnow

DEFAULT_PATH = Path(".remediator") / "journal.jsonl"
GENESIS = "0" * 64
RESULTS = ("pending", "applied", "failed", "stale", "skipped")


def _line_hash(line: bytes) -> str:
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


def operator_identity() -> dict[str, str]:
    """Who ran remediator, as the OS knows it (never a credential)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return {"user": user, "host": socket.gethostname()}


def _last_line(handle: Any) -> bytes | None:
    handle.seek(0, os.SEEK_END)
    end = handle.tell()
    if end == 0:
        return None
    block = 4096
    pos = end
    data = b""
    while pos > 0:
        step = min(block, pos)
        pos -= step
        handle.seek(pos)
        data = handle.read(step) + data
        stripped = data.rstrip(b"\n")
        if b"\n" in stripped:
            return stripped.rsplit(b"\n", 1)[1]
    return data.rstrip(b"\n") or None


class Journal:
    """Appends records to one journal file; safe to share between tenants of one run."""

    def __init__(self, path: str | Path = DEFAULT_PATH, *, run_id: str | None = None) -> None:
        self.path = Path(path)
        self.run_id = run_id or uuid.uuid4().hex
        self.operator = operator_identity()
        self._lock = threading.Lock()

    def append(self, record: dict[str, Any]) -> dict[str, Any]:
        """Append one record (adds run id, time, operator and the chain link); returns it."""
        full = {"run_id": self.run_id, "time": format_time(utcnow()), "operator": self.operator, **record}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the journal directory: {exc.strerror}", where=str(self.path)) from None
        with self._lock, open(self.path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                last = _last_line(handle)
                full["prev"] = _line_hash(last) if last else GENESIS
                line = json.dumps(full, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
                handle.seek(0, os.SEEK_END)
                handle.write(line + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return full


def read_records(path: str | Path) -> Iterator[dict[str, Any]]:
    """Every record of a journal, in order; a missing journal has none."""
    p = Path(path)
    if not p.exists():
        return
    with open(p, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                yield json.loads(raw)
            except json.JSONDecodeError:
                raise VerifyError(f"{p}:{number}: not a JSON record") from None


def tenant_records(path: str | Path, tenant: str) -> tuple[dict[str, Any], ...]:
    """The records of one tenant (for kinds that take an earlier run's journal as evidence)."""
    return tuple(r for r in read_records(path) if r.get("tenant") == tenant)


def own_request_ids(records: tuple[dict[str, Any], ...]) -> frozenset[str]:
    """Request ids of remediator's own writes, so a hunt can tell them from an attacker's: each record's
    `request_id` and those of any further write it made (`detail` keys ending in `request_id`)."""
    ids = {r["request_id"] for r in records if r.get("request_id")}
    for record in records:
        detail = record.get("detail") or {}
        ids.update(v for k, v in detail.items() if k.endswith("request_id") and isinstance(v, str) and v)
    return frozenset(ids)


@dataclass(frozen=True)
class VerifyReport:
    records: int
    runs: int
    applied: int


def verify(path: str | Path) -> VerifyReport:
    """Check the whole chain; raise VerifyError naming the first broken line."""
    p = Path(path)
    if not p.exists():
        raise VerifyError(f"{p}: no journal here")
    prev = GENESIS
    count = applied = 0
    runs: set[str] = set()
    with open(p, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.rstrip(b"\n")
            if not line:
                raise VerifyError(f"{p}:{number}: empty line in the journal")
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                raise VerifyError(f"{p}:{number}: not a JSON record") from None
            if record.get("prev") != prev:
                raise VerifyError(f"{p}:{number}: chain broken: record does not follow line {number - 1}")
            prev = _line_hash(line)
            count += 1
            runs.add(str(record.get("run_id")))
            applied += record.get("result") == "applied"
    return VerifyReport(records=count, runs=len(runs), applied=applied)

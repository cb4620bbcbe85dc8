"""The journal: an append-only, hash-chained record of every write remediator attempted.

One JSON object per line. Each record carries `prev`, the SHA-256 of the previous line's bytes
(64 zeros for the first), so that an edited, removed or reordered record breaks the chain and
`remediator journal verify` says where. A change is journalled twice: a `pending` record before
the write and its result (`applied|failed|stale|skipped`) after, so an interrupted run leaves a
trace of the write it may or may not have made; the next run re-reads the tenant and converges.

Appends are serialised within the process (a lock) and across processes (`flock`).

Nothing in a journal is trusted unverified: `read_records` and `tenant_records` check the whole
chain first and name the first broken line. A chain alone cannot show that lines were cut off its
end or that every line after a forged one was re-chained, so `verify` reports the head (the hash
of the last line) and checks a head kept elsewhere. A tenant is its org: records are keyed by
org URL and Okta's org id, and one writer per (org, journal) holds `tenant_lock` while applying.
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import os
import re
import socket
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from remediator.errors import InputError, VerifyError
from remediator.locks import AdvisoryLock
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


def _parse(p: Path, number: int, line: bytes) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        raise VerifyError(f"{p}:{number}: not a JSON record") from None
    except ValueError:  # Python reads no integer beyond 4,300 digits, and no record holds one
        raise VerifyError(f"{p}:{number}: not a journal record: an integer of more than 4,300 digits") from None
    except RecursionError:
        raise VerifyError(f"{p}:{number}: not a journal record: nested too deeply") from None
    if not isinstance(record, dict):
        raise VerifyError(f"{p}:{number}: not a journal record (a JSON object), but {type(record).__name__}")
    return record


def _open(p: Path) -> Any:
    if p.is_dir():
        raise VerifyError(f"{p}: is a directory, not a journal file (for example {p / DEFAULT_PATH.name})")
    try:
        return open(p, "rb")  # the caller closes it
    except OSError as exc:
        raise VerifyError(f"{p}: cannot read the journal: {exc.strerror}") from None


def _chain(p: Path) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """(line number, line hash, record) of every record, checking the chain as it goes."""
    prev = GENESIS
    with _open(p) as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.rstrip(b"\n")
            if not line:
                raise VerifyError(f"{p}:{number}: empty line in the journal")
            record = _parse(p, number, line)
            if record.get("prev") != prev:
                raise VerifyError(f"{p}:{number}: chain broken: record does not follow line {number - 1}")
            prev = _line_hash(line)
            yield number, prev, record


_CACHE: dict[tuple[str, int, int, int], tuple[dict[str, Any], ...]] = {}


def read_records(path: str | Path) -> tuple[dict[str, Any], ...]:
    """Every record of a journal, in order, once its whole chain verified; a missing journal has none.

    A broken chain raises VerifyError naming the line: a record is trusted only as part of the chain.
    Verified contents are cached by (path, size, mtime), so the tenants of one run verify it once.
    """
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        return ()
    except OSError as exc:
        raise VerifyError(f"{p}: cannot read the journal: {exc.strerror}") from None
    key = (str(p.resolve()), st.st_ino, st.st_size, st.st_mtime_ns)
    cached = _CACHE.get(key)
    if cached is None:
        cached = tuple(record for _, _, record in _chain(p))
        _CACHE.clear()  # one journal per run: keep the latest only
        _CACHE[key] = cached
    return cached


def normalize_org_url(url: str) -> str:
    """An org URL compared as Okta would route it: scheme and host lowercased, no trailing slash."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def _org_of(record: dict[str, Any]) -> tuple[str, str] | None:
    url = record.get("org_url")
    if not isinstance(url, str) or not url:
        return None  # written without an org (an acknowledgement): known by its tenant name only
    org_id = record.get("org_id")
    return normalize_org_url(url), org_id if isinstance(org_id, str) else ""


def _same_org(have: tuple[str, str], want: tuple[str, str]) -> bool:
    return have[0] == want[0] and (not have[1] or not want[1] or have[1] == want[1])


def _describe(org: tuple[str, str]) -> str:
    return f"{org[0]} (org id {org[1]})" if org[1] else org[0]


def of_tenant(records: Iterable[dict[str, Any]], tenant: str, org_url: str) -> list[dict[str, Any]]:
    """The records of one tenant of a plan, for its report: those of its org (or, without an org, its name)."""
    want = normalize_org_url(org_url)
    return [r for r in records
            if (_org_of(r) or (None,))[0] == want or (_org_of(r) is None and r.get("tenant") == tenant)]


def tenant_records(path: str | Path, tenant: str, *, org_url: str | None = None,
                   org_id: str | None = None) -> tuple[dict[str, Any], ...]:
    """The verified records of one tenant, keyed by its org (for kinds that take an earlier run as evidence).

    A tenant is its org: records of the same org under another name are its own, and records of
    another org under its name (a rehearsal named like production, run in the same directory) are
    refused with VerifyError, never merged. Records without an org (acknowledgements) go by name.
    Without `org_url`, records are selected by tenant name (for reports of one journal).
    """
    records = read_records(path)
    if org_url is None:
        return tuple(r for r in records if r.get("tenant") == tenant)
    want = (normalize_org_url(org_url), org_id or "")
    out = []
    for record in records:
        org = _org_of(record)
        if org is None:
            if record.get("tenant") == tenant:
                out.append(record)
        elif _same_org(org, want):
            out.append(record)
        elif record.get("tenant") == tenant:
            raise VerifyError(
                f"{path}: tenant {tenant!r} is journalled for another org, {_describe(org)}, not "
                f"{_describe(want)}: a journal made for another org is never merged (use another --journal)")
    return tuple(out)


def tenant_lock(path: str | Path, org_url: str, org_id: str | None = None, *, wait: float = 0.0,
                notify: Callable[[str], None] | None = None) -> AdvisoryLock:
    """The advisory lock of one (org, journal): one writer per tenant, held from its first write to its end."""
    p = Path(path)
    org = (normalize_org_url(org_url), org_id or "")
    digest = hashlib.sha256(f"{p.resolve()}\n{org[0]}".encode()).hexdigest()[:16]
    return AdvisoryLock(p.with_name(f"{p.name}.{digest}.lock"), f"the journal {p} for {_describe(org)}",
                        wait=wait, notify=notify)


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
    head: str  # SHA-256 of the last line (GENESIS when empty): keep it elsewhere, check it with `head=`


def verify(path: str | Path, *, head: str | None = None) -> VerifyReport:
    """Check the whole chain; raise VerifyError naming the first broken line.

    `head` is a head hash printed by an earlier verify and kept elsewhere: the chain must pass through
    it. A journal cut short before it, or re-chained after a forged line before it, does not.
    """
    p = Path(path)
    if not p.exists():
        raise VerifyError(f"{p}: no journal here")
    if head is not None and not re.fullmatch(r"[0-9a-f]{64}", head):
        raise VerifyError(f"--head: {head!r} is not a SHA-256 (64 lowercase hex digits) printed by journal verify")
    last = GENESIS
    count = applied = 0
    found = head == GENESIS
    runs: set[str] = set()
    for _, line_hash, record in _chain(p):
        last = line_hash
        found = found or line_hash == head
        count += 1
        runs.add(str(record.get("run_id")))
        applied += record.get("result") == "applied"
    if head is not None and not found:
        raise VerifyError(f"{p}: head {head} is not in the journal: it was cut short or re-chained since "
                          f"that head was kept (its head is now {last})")
    return VerifyReport(records=count, runs=len(runs), applied=applied, head=last)

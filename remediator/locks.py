"""Advisory locks: one writer per tenant's journal and per evidence directory, across processes.

A lock is `flock` on a small file. The kernel releases it when its holder exits, however it
exits (`kill -9` included), so a lock file left behind never blocks anyone: only a live process
holds a lock. Locks are per open file, so two holders inside one process exclude each other too.
The file records who holds it (pid, host, since), for the message a second writer gets.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from remediator.errors import RemediatorError
from remediator.timeutil import format_time, utcnow

#: How often a waiting writer tries again.
POLL_SECONDS = 0.05


class LockBusy(RemediatorError):
    """Another remediator process (or tenant of this run) holds the lock."""


class AdvisoryLock:
    """`async with AdvisoryLock(path, what, wait=S, notify=f)`: held from entry to exit.

    With `wait` 0 a busy lock raises LockBusy at once; otherwise `notify` is told once that the
    writer waits, and LockBusy is raised when the lock is still held after `wait` seconds.
    """

    def __init__(self, path: str | Path, what: str, *, wait: float = 0.0,
                 notify: Callable[[str], None] | None = None) -> None:
        self.path = Path(path)
        self.what = what
        self.wait = max(0.0, wait)
        self.notify = notify
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; never blocks."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise LockBusy(f"{self.path}: cannot open the lock of {self.what}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except OSError as exc:
            os.close(fd)
            raise LockBusy(f"{self.path}: cannot lock {self.what}: {exc.strerror}") from None
        self._fd = fd
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "since": format_time(utcnow())}
        with contextlib.suppress(OSError):  # who holds it is for messages only
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(holder).encode(), 0)
        return True

    def holder(self) -> str:
        """Who holds the lock, as far as its file says."""
        try:
            data: Any = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            data = {}
        if not isinstance(data, dict) or "pid" not in data:
            return "another remediator"
        return f"another remediator (pid {data.get('pid')} on {data.get('host')}, since {data.get('since')})"

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing the last descriptor releases the flock

    async def acquire(self) -> None:
        if self.try_acquire():
            return
        busy = f"{self.holder()} is writing to {self.what}"
        if self.wait <= 0:
            raise LockBusy(f"{busy} (lock {self.path}); wait for it to finish or use --wait-lock SECONDS")
        if self.notify is not None:
            self.notify(f"{busy}: waiting up to {self.wait:g} s for it to finish")
        deadline = time.monotonic() + self.wait
        while time.monotonic() < deadline:
            await asyncio.sleep(POLL_SECONDS)
            if self.try_acquire():
                return
        raise LockBusy(f"{busy}: still held after {self.wait:g} s (lock {self.path})")

    async def __aenter__(self) -> AdvisoryLock:
        await self.acquire()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self.release()

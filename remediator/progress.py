"""Progress for people at a terminal: what each tenant is doing, how far the archive and the hunt are.

Work reports through module functions (`tenant_started`, `state_started`, `advance`, …) that act on
the reporter of the current context (a `ContextVar`, inherited by every asyncio task), so the engine
and the kinds need no extra parameter and do nothing when nobody watches: the default reporter is a
no-op. The CLI installs a `RichReporter` only when stderr is a terminal and the output is not JSON,
not in CI and not `--quiet`; progress then goes to stderr and vanishes when the run ends, so stdout
stays what it was (the plan, the recap).

The archive's and the hunt's ETA comes from how much of the time range is done: the System Log is
read oldest first at the pace the rate limits allow, so the share of the range done over the time
spent is the rate the rest will go at.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import IO, Any


class Reporter:
    """Receives progress; this base class ignores it (the default when nobody watches)."""

    def tenants(self, total: int) -> None:
        """A run over `total` tenants starts."""

    def tenant_started(self, tenant: str) -> None:
        """A tenant's work starts."""

    def tenant_done(self, tenant: str) -> None:
        """A tenant's work is over (success or failure)."""

    def state_started(self, tenant: str, state: str) -> None:
        """A tenant starts reading or applying one state of the playbook."""

    def state_done(self, tenant: str, state: str) -> None:
        """That state's work is over."""

    def advance(self, tenant: str, task: str, *, events: int = 0, pages: int = 0,
                fraction: float | None = None) -> None:
        """`task` (e.g. "archive", "hunt") did `events` more events and `pages` more pages; `fraction`
        is how much of its whole work is done (0..1) when known."""

    def close(self) -> None:
        """The run is over."""

    @contextmanager
    def printing(self) -> Iterator[None]:
        """Around a line printed to the terminal while the run goes on (the display steps aside)."""
        yield


_NOBODY = Reporter()
_current: ContextVar[Reporter | None] = ContextVar("remediator_progress", default=None)


def current() -> Reporter:
    return _current.get() or _NOBODY


@contextmanager
def reporting(reporter: Reporter) -> Iterator[Reporter]:
    """Install `reporter` for the code run inside (asyncio tasks created inside inherit it)."""
    token = _current.set(reporter)
    try:
        yield reporter
    finally:
        reporter.close()
        _current.reset(token)


def tenants(total: int) -> None:
    current().tenants(total)


def tenant_started(tenant: str) -> None:
    current().tenant_started(tenant)


def tenant_done(tenant: str) -> None:
    current().tenant_done(tenant)


def state_started(tenant: str, state: str) -> None:
    current().state_started(tenant, state)


def state_done(tenant: str, state: str) -> None:
    current().state_done(tenant, state)


def advance(tenant: str, task: str, *, events: int = 0, pages: int = 0, fraction: float | None = None) -> None:
    current().advance(tenant, task, events=events, pages=pages, fraction=fraction)


def wanted(*, as_json: bool, quiet: bool, stream: IO[str] | None = None) -> bool:
    """Progress is shown on a terminal only: never with --json or --quiet, in CI, or when piped."""
    stream = stream if stream is not None else sys.stderr
    if as_json or quiet or os.environ.get("CI"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@dataclass
class _Task:
    events: int = 0
    pages: int = 0
    fraction: float | None = None
    started: float = field(default_factory=time.monotonic)

    def line(self, name: str) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        text = f"{name}: {self.events:,} events, {self.pages:,} pages, {self.events / elapsed:,.0f} events/s"
        if self.fraction is not None and 0 < self.fraction < 1:
            eta = elapsed * (1 - self.fraction) / self.fraction
            text += f", {self.fraction:.0%}, ETA {_duration(eta)}"
        return text


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class RichReporter(Reporter):
    """A live display on stderr: tenants done/total, and per active tenant its states and tasks."""

    def __init__(self, stream: IO[str] | None = None, *, refresh_per_second: float = 4) -> None:
        from rich.console import Console
        from rich.live import Live

        self._console = Console(file=stream if stream is not None else sys.stderr, highlight=False)
        self._total = 0
        self._done = 0
        self._states: dict[str, list[str]] = {}
        self._tasks: dict[str, dict[str, _Task]] = {}
        self._drawn = 0.0
        self._live = Live(self._render(), console=self._console, refresh_per_second=refresh_per_second,
                          transient=True, redirect_stdout=False, redirect_stderr=False)
        self._live.start()

    def _render(self) -> Any:
        from rich.text import Text

        lines = [f"tenants {self._done}/{self._total} done" if self._total else "starting"]
        for tenant, states in self._states.items():
            line = f"  {tenant}: " + (", ".join(states[-3:]) if states else "…")
            lines.append(line)
            for name, task in self._tasks.get(tenant, {}).items():
                lines.append("      " + task.line(name))
        return Text("\n".join(lines))

    def _refresh(self, *, throttle: bool = False) -> None:
        """Redraw now when what is being done changes; a stream of pages redraws at most 10 times a second."""
        now = time.monotonic()
        if throttle and now - self._drawn < 0.1:
            return
        self._drawn = now
        self._live.update(self._render(), refresh=True)

    def tenants(self, total: int) -> None:
        self._total = total
        self._refresh()

    def tenant_started(self, tenant: str) -> None:
        self._states.setdefault(tenant, [])
        self._refresh()

    def tenant_done(self, tenant: str) -> None:
        self._done += 1
        self._states.pop(tenant, None)
        self._tasks.pop(tenant, None)
        self._refresh()

    def state_started(self, tenant: str, state: str) -> None:
        self._states.setdefault(tenant, []).append(state)
        self._refresh()

    def state_done(self, tenant: str, state: str) -> None:
        states = self._states.get(tenant)
        if states and state in states:
            states.remove(state)
        self._refresh()

    def advance(self, tenant: str, task: str, *, events: int = 0, pages: int = 0,
                fraction: float | None = None) -> None:
        t = self._tasks.setdefault(tenant, {}).setdefault(task, _Task())
        t.events += events
        t.pages += pages
        if fraction is not None:
            t.fraction = fraction
        self._refresh(throttle=True)

    def close(self) -> None:
        self._live.stop()

    @contextmanager
    def printing(self) -> Iterator[None]:
        self._live.stop()  # transient: the display is cleared, the line printed, the display drawn again
        try:
            yield
        finally:
            self._live.start()

"""The one fake clock of the tests: local monotonic time, local wall time and sleeping, none of them real.

Everything that takes time in the product takes it injected: `OktaClient(clock=, sleep=, wall_clock=)`,
`Pacer(clock=, sleep=)`, `PrivateKeyAuth(clock=)`, the sandbox's `RateLimiter(now=)`. A test hands them
this clock (`**clock.client_options()` for the client), and the fake tenant client (`tests.support.client`)
derives its tenant's "now" from it too, so one `advance` moves the pacing, the retries and the evidence's
notion of now together. Nothing here waits in real time.

Two ways to let sleepers through:
- instant (the default): `await clock.sleep(s)` records `s`, moves the clock by `s` at once and yields
  to the event loop once; right for code that sleeps one thing at a time (a retry's backoff);
- waiting (`FakeClock(instant=False)`, and always inside `clock.run(...)`): a sleeper waits until the clock
  passes its deadline, by `advance`/`advance_to`, or by `run`, which jumps to the earliest deadline whenever
  nothing is in flight; concurrent sleeps then overlap as they do in real time (pacing tests).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

T = TypeVar("T")

#: The local wall clock's default start (2030-03-17T17:46:40Z): far from every tenant clock in the tests
#: (2022), so that code reading the tenant's clock before any answer told it shows at once.
LOCAL_WALL = 1_900_000_000.0


class FakeClock:
    """Monotonic seconds (`clock()`), wall seconds (`clock.wall()`) and `sleep`, moved only by the test."""

    def __init__(self, start: float = 1000.0, *, wall: float = LOCAL_WALL, instant: bool = True) -> None:
        self.now = start          # monotonic seconds; a test may set it forward by hand (see advance_to)
        self.start = start
        self.wall0 = wall
        self.instant = instant
        self.sleeps: list[float] = []  # every sleep asked of this clock, in order
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._driving = False

    # -- reading -------------------------------------------------------------------------------
    def __call__(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        """Local epoch seconds (`time.time`'s stand-in): moves with the monotonic clock."""
        return self.wall0 + (self.now - self.start)

    def utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.wall(), UTC)

    def client_options(self) -> dict[str, Any]:
        """The keyword arguments that put an OktaClient on this clock."""
        return {"clock": self, "sleep": self.sleep, "wall_clock": self.wall}

    # -- sleeping ------------------------------------------------------------------------------
    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.instant and not self._driving:
            self.now += max(seconds, 0.0)
            self._wake()
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(seconds, 0.0), next(self._order), future))
        await future

    def pending(self) -> int:
        """Sleepers still waiting."""
        return sum(1 for _, _, f in self._sleepers if not f.done())

    def next_deadline(self) -> float | None:
        """When the earliest waiting sleeper is due (None: nobody waits)."""
        self._drop_done()
        return self._sleepers[0][0] if self._sleepers else None

    # -- moving --------------------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Move the clock forward and wake every sleeper whose deadline it passes."""
        if seconds < 0:
            raise ValueError("a clock does not go back")
        self.advance_to(self.now + seconds)

    def advance_to(self, when: float) -> None:
        if when < self.now:
            raise ValueError(f"a clock does not go back ({when} < {self.now})")
        self.now = when
        self._wake()

    def _drop_done(self) -> None:
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)  # cancelled sleeps

    def _wake(self) -> None:
        while self._sleepers and self._sleepers[0][0] <= self.now:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)

    async def run(self, work: Awaitable[T], busy: Callable[[], bool], *, limit: float = 3600.0) -> T:
        """Run `work`; whenever nothing is in flight (`busy()` false), jump to the earliest sleeper's deadline."""
        task = asyncio.ensure_future(work)
        self._driving = True
        try:
            while not task.done():
                await asyncio.sleep(0.0005)  # real time, for local sockets and ready tasks to run
                if busy() or task.done():
                    continue
                deadline = self.next_deadline()
                if deadline is None:
                    continue
                if deadline - self.start > limit:
                    task.cancel()
                    raise AssertionError(f"virtual time passed {limit} s")
                self.advance_to(max(self.now, deadline))
        finally:
            self._driving = False
        return task.result()

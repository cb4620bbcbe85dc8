"""Virtual time for pacing tests: sleeps end when the test's driver says so, instantly in real time."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class VirtualTime:
    """A monotonic clock and a sleep; time jumps to the next sleeper's deadline when all is idle."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.start = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(seconds, 0.0), next(self._order), future))
        await future

    def pending(self) -> int:
        return sum(1 for _, _, f in self._sleepers if not f.done())

    async def run(self, work: Awaitable[T], busy: Callable[[], bool], *, limit: float = 3600.0) -> T:
        """Run `work`; whenever nothing is in flight (`busy()` false), wake the earliest sleepers."""
        task = asyncio.ensure_future(work)
        while not task.done():
            await asyncio.sleep(0.0005)  # real time, for local sockets and ready tasks to run
            if busy() or task.done():
                continue
            while self._sleepers and self._sleepers[0][2].done():
                heapq.heappop(self._sleepers)  # cancelled sleeps
            if not self._sleepers:
                continue
            deadline = self._sleepers[0][0]
            if deadline - self.start > limit:
                task.cancel()
                raise AssertionError(f"virtual time passed {limit} s")
            self.now = max(self.now, deadline)
            while self._sleepers and self._sleepers[0][0] <= self.now:
                _, _, future = heapq.heappop(self._sleepers)
                if not future.done():
                    future.set_result(None)
        return task.result()

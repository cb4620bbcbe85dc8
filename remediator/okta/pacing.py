"""Per-tenant pacing by rate-limit bucket, from Okta's `X-Rate-Limit-*` headers.

Why: during an incident the limits are what they are, so a plan should take about as long as the
limits allow (calls per bucket / bucket rate, buckets side by side) and never learn the limit from
429s. Each bucket is paced on its own:

- The server is the truth. Every response reports `Limit`, `Remaining` and `Reset` for its
  bucket; the window's end is placed at `now + (Reset - Date)` on the local monotonic clock (both
  values are the server's, so a tenant clock years away from ours does not matter; `Date` has whole
  seconds, so the estimate is never early, and is tightened with the best recent estimate of the
  server's clock, see `_server_wait`). `Reset` itself has whole seconds; a window that our own request
  opened bounds the window's length from above, and the smallest such bound places later windows'
  ends within a round trip or so (`_opened`); if a window outlasts it, `Reset` alone is used again.
- Between responses we count what we send: `remaining` drops by one per request, and a response
  reporting `Remaining: r` lowers it to `r - (requests sent after that one)`. Within a window the
  server's count only goes down, so we keep the minimum, which also covers other clients of the
  same token. A safety margin (2% of the limit, at least one request) stays unused.
- A window's allowance is used concurrently, not one call at a time: requests are admitted while
  the estimate allows, capped by a per-tenant in-flight limit (16 by default; Okta allows 75 per
  org). The first half of a window may go at once; past that, what is left is spread evenly
  over the rest of the window, so a bucket is never emptied in a burst that other clients of the
  org (and a misjudged window) would pay for.
- When a bucket is exhausted its callers wait for the window's end; when the end has passed, or a
  bucket has never been seen, one probe request goes first and its headers open the new window
  for the others. A bucket whose responses carry no rate-limit headers is not paced.
- Waiting happens per bucket (an admission lock per bucket, FIFO), so a bucket waiting for its
  reset never stalls another bucket, and waiting callers hold no in-flight slot.

Time comes from an injected `clock` (monotonic seconds) and `sleep` so that tests run instantly.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from remediator.okta.buckets import WINDOW_SECONDS
from remediator.okta.retry import header_epoch, parse_http_date, reset_wait

__all__ = ["BucketState", "Pacer", "Ticket"]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass
class Ticket:
    """One admitted request: its bucket, its send order in the bucket, whether it is a probe."""

    bucket: str
    seq: int
    probe: bool
    released: bool = False
    sent_at: float = 0.0              # local clock at admission


@dataclass
class BucketState:
    """What we know of one bucket; exposed read-only for tests and benchmarks."""

    limit: int | None = None          # X-Rate-Limit-Limit (the token's share)
    remaining: float = 0.0            # estimated requests left in the current window
    reset: float | None = None        # X-Rate-Limit-Reset of the current window (server epoch)
    window_end: float = 0.0           # local clock when the current window is over (upper bound)
    sent: int = 0
    in_flight: int = 0
    probing: bool = False
    unlimited: bool = False
    last_sent: float = 0.0
    waited: float = 0.0               # seconds callers spent waiting for admission
    length: float | None = None       # smallest upper bound seen of the window's length (see `_opened`)
    opened_at: float | None = None    # local clock when our request that opened this window came back
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    changed: asyncio.Event = field(default_factory=asyncio.Event, repr=False)


class Pacer:
    """Admits requests of one tenant per bucket; see the module docstring for the rules."""

    def __init__(
        self,
        *,
        enabled: bool = True,
        max_in_flight: int = 16,
        margin: float = 0.02,
        min_margin: int = 1,
        burst: float = 0.5,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.enabled = enabled
        self.max_in_flight = max_in_flight
        self.margin = margin
        self.min_margin = min_margin
        self.burst = burst
        self.clock = clock
        self.sleep = sleep
        self.buckets: dict[str, BucketState] = {}
        self._slots = asyncio.Semaphore(max_in_flight)
        self.in_flight = 0
        self.peak_in_flight = 0
        self._offsets: deque[tuple[float, float]] = deque()

    def state(self, bucket: str) -> BucketState:
        state = self.buckets.get(bucket)
        if state is None:
            state = self.buckets[bucket] = BucketState()
        return state

    # -- admission -------------------------------------------------------------------------

    async def acquire(self, bucket: str) -> Ticket:
        """Wait until `bucket` may take one more request and an in-flight slot is free."""
        state = self.state(bucket)
        started = self.clock()
        async with state.lock:
            while True:
                delay = self._admit(state)
                if delay == 0:
                    break
                await self._wait(state, delay)
            state.sent += 1
            ticket = Ticket(bucket, state.sent, probe=state.probing and state.in_flight == 0, sent_at=self.clock())
            state.in_flight += 1
        try:
            await self._slots.acquire()
        except BaseException:
            self._forget(state, ticket)
            raise
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        state.waited += self.clock() - started
        return ticket

    def _admit(self, state: BucketState) -> float | None:
        """0 to admit now (state updated), seconds to wait, or None to wait for a response."""
        if not self.enabled or state.unlimited:
            return 0
        now = self.clock()
        if state.limit is None or now >= state.window_end:
            if state.probing or state.in_flight:
                return None  # a request is out; its headers will tell us about the window
            state.probing = True
            return 0
        margin = max(self.min_margin, math.ceil(state.limit * self.margin))
        available = state.remaining - margin
        if available < 1:
            return max(state.window_end - now, 0.001)
        if state.remaining < self.burst * state.limit:
            # past the burst: spread what is left evenly over the rest of the window
            # `available + 1` gaps: the last request leaves one gap before the window's end, not at it (a
            # caller that sends one request at a time would otherwise lose that slot every window)
            due = state.last_sent + (state.window_end - now) / (available + 1)
            if now < due:
                return max(due - now, 0.001)
        state.remaining -= 1
        state.last_sent = now
        return 0

    async def _wait(self, state: BucketState, delay: float | None) -> None:
        changed = state.changed
        if delay is None:
            await changed.wait()
            return
        sleeper = asyncio.ensure_future(self.sleep(delay))
        waiter = asyncio.ensure_future(changed.wait())
        try:
            await asyncio.wait({sleeper, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waiter.cancel()

    def _notify(self, state: BucketState) -> None:
        state.changed.set()
        state.changed = asyncio.Event()

    # -- feedback --------------------------------------------------------------------------

    def release(self, ticket: Ticket, status: int | None, headers: Mapping[str, str] | None) -> None:
        """Return the slot and learn from the response (`headers` None: no response at all)."""
        if ticket.released:
            return
        ticket.released = True
        state = self.state(ticket.bucket)
        state.in_flight -= 1
        self.in_flight -= 1
        self._slots.release()
        if ticket.probe or state.in_flight == 0:
            state.probing = False
        if headers is not None:
            self._observe(state, ticket, status, headers)
        self._notify(state)  # at most one caller per bucket waits (the others queue on its lock)

    def _forget(self, state: BucketState, ticket: Ticket) -> None:
        ticket.released = True
        state.in_flight -= 1
        if ticket.probe:
            state.probing = False
            self._notify(state)

    def _server_wait(self, reset: float, headers: Mapping[str, str], now: float, wait: float) -> float:
        """Seconds until `reset` on the server's clock, tighter than `Reset - Date` when we can.

        `Date` is floored to the second, so `Reset - Date` may be up to a second long. The server's
        clock is `local + c`, and every sample `Date - local` is at most `c`: the largest recent sample
        is the closest lower bound of `c`, and `Reset - (local + that)` is never shorter than the true
        wait. Samples older than a window are dropped, so a clock that jumps back is followed.
        """
        date = parse_http_date(headers.get("Date"))
        if date is None:
            return wait
        sample = date - now
        offsets = self._offsets  # a sliding-window maximum: samples only, decreasing, within a window
        while offsets and offsets[-1][1] <= sample:
            offsets.pop()
        offsets.append((now, sample))
        while offsets[0][0] < now - WINDOW_SECONDS:
            offsets.popleft()
        offset = offsets[0][1]
        return min(wait, max(reset - (now + offset), 0.0))

    def _opened(self, state: BucketState, ticket: Ticket, now: float, reset: float, limit: float,
                remaining: float) -> None:
        """A response from a new window. When our own request opened it (it was the window's first: its
        `Remaining` is `Limit - 1`), the window started between sending and this answer, so its length is
        at most `Reset` less the server's time when we sent (our server clock is never late): the smallest
        such bound over windows is the length to a few milliseconds, where `Reset` alone (whole seconds)
        places the end up to a second late. Windows then end at the answer's time plus that length."""
        state.opened_at = None
        if remaining != limit - 1 or not self._offsets:
            return
        bound = reset - (ticket.sent_at + self._offsets[0][1])
        if bound > 0:
            state.length = bound if state.length is None else min(state.length, bound)
            state.opened_at = now

    def _observe(self, state: BucketState, ticket: Ticket, status: int | None, headers: Mapping[str, str]) -> None:
        """Update the bucket from one response."""
        limit = header_epoch(headers, "X-Rate-Limit-Limit")
        remaining = header_epoch(headers, "X-Rate-Limit-Remaining")
        reset = header_epoch(headers, "X-Rate-Limit-Reset")
        wait = reset_wait(headers)
        if limit is None or remaining is None or reset is None or wait is None:
            if status is not None and status < 429 and state.limit is None:
                state.unlimited = True  # no rate-limit headers at all: nothing to pace by
            return
        state.unlimited = False
        now = self.clock()
        wait = self._server_wait(reset, headers, now, wait)
        estimate = remaining - (state.sent - ticket.seq)  # later requests may not be counted yet
        if status == 429:
            estimate = 0
        first = state.limit is None
        if first or state.reset is None or reset > state.reset:
            self._opened(state, ticket, now, reset, limit, remaining)
            state.reset = reset
            state.remaining = estimate
            if limit > 0:
                state.limit = int(limit)
            elif first:
                state.limit = 1  # a concurrency refusal reports Limit 0: learn the real one later
        elif reset == state.reset:
            state.remaining = min(state.remaining, estimate)
            if ticket.sent_at >= state.window_end:  # sent after the learned end, yet the same window:
                state.length = state.opened_at = None  # windows vary; back to `Reset` alone
        else:
            return  # an answer from a window that is already over
        state.window_end = now + wait
        if state.opened_at is not None and state.length is not None:
            state.window_end = min(state.window_end, state.opened_at + state.length)

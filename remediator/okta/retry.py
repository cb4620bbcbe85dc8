"""Retry policy: what may be retried, how long to wait, and what a 429 asks for.

Why a module of its own: the rules are the part of the client that decides whether a write can be
repeated, so they are kept small, pure and tested without any HTTP.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime

__all__ = [
    "IDEMPOTENT",
    "RETRY_STATUSES",
    "Backoff",
    "header_epoch",
    "parse_http_date",
    "reset_wait",
]

#: Methods that may be repeated blindly: repeating them leaves the tenant as one call would.
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
#: Server errors worth another try (a 501 or 505 will not get better).
RETRY_STATUSES = frozenset({500, 502, 503, 504})
#: Longest a 429 may make us wait: Okta windows are a minute; anything longer is a bad header.
MAX_RESET_WAIT = 120.0


class Backoff:
    """Bounded exponential backoff with full jitter: uniform(0, min(cap, base * 2**attempt)).

    Full jitter spreads the retries of many concurrent callers (AWS architecture blog,
    "Exponential Backoff And Jitter"), so that a tenant recovering from 503s is not hit in step.
    """

    def __init__(self, base: float = 0.5, cap: float = 10.0, rng: Callable[[float, float], float] | None = None):
        self.base = base
        self.cap = cap
        self._uniform = rng or random.uniform

    def ceiling(self, attempt: int) -> float:
        return min(self.cap, self.base * (2 ** max(attempt, 0)))

    def delay(self, attempt: int) -> float:
        return self._uniform(0.0, self.ceiling(attempt))


def parse_http_date(value: str | None) -> float | None:
    """An HTTP `Date` header as epoch seconds, or None when absent or malformed."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def header_epoch(headers: Mapping[str, str], name: str) -> float | None:
    """A numeric header (such as `X-Rate-Limit-Reset`) as a float, or None."""
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return float(str(raw).strip())
    except ValueError:
        return None


def reset_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds until the rate-limit window resets, as the server sees it: `Reset - Date`.

    Both values come from the server's clock, so this is right however far the local clock is from
    the tenant's (a sandbox may run in 2022). `Date` has whole seconds, so the result is at most
    one second longer than the true wait, never shorter. None when either header is missing.
    """
    reset = header_epoch(headers, "X-Rate-Limit-Reset")
    date = parse_http_date(headers.get("Date"))
    if reset is None or date is None:
        return None
    return min(max(reset - date, 0.0), MAX_RESET_WAIT)

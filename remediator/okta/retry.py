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
    "SAFE",
    "Backoff",
    "header_epoch",
    "not_processed",
    "parse_http_date",
    "reset_wait",
    "success_statuses",
]

#: Methods that may be repeated blindly: they only read. A PUT or DELETE leaves the tenant's *state*
#: as one call would, but each accepted call is one more System Log event (a session clear twice is
#: two `user.session.clear`), so every write is sent once and repeated only after a re-check.
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
IDEMPOTENT = SAFE  # kept for callers of the old name
#: Server errors worth another try (a 501 or 505 will not get better).
RETRY_STATUSES = frozenset({500, 502, 503, 504})
#: The documented success of each method, when the caller does not name it: what Okta's spec gives
#: for every operation remediator calls (tests/okta/test_strict_answers.py checks them against the spec).
#: Anything else, a 3xx included, is an error.
SUCCESS = {"GET": (200,), "HEAD": (200,), "OPTIONS": (200,), "POST": (200,), "PUT": (200,), "PATCH": (200,),
           "DELETE": (204,)}
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


def success_statuses(method: str, ok: tuple[int, ...] | None = None) -> tuple[int, ...]:
    """The statuses that mean success for this call: the caller's, else the method's documented one."""
    return ok if ok else SUCCESS.get(method.upper(), (200,))


def not_processed(status: int, error_code: str | None) -> bool:
    """Answers that say the request was refused before anything happened, so a write may be sent again.

    A 429 is counted before the work; Okta's 503 E0000010 ("Service is in read only mode") refuses
    writes. Any other 5xx may come after the write took effect.
    """
    return status == 429 or (status == 503 and error_code == "E0000010")

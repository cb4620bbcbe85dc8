"""The cyclic garbage collector's pace while many tenants are read at once.

Why: a plan of hundreds of tenants holds millions of small, acyclic JSON objects (pages of users, roles,
factors) for its whole run, and CPython's default thresholds (700, 10, 10) make the collector walk that
growing heap again and again: at 200 tenants of 2,000 users it took 5.6 s of the client's 9.8 s of CPU
(issue 14: at most 30 ms of client CPU per tenant plan). Fewer, larger young collections and rare full
ones keep its cost proportional to what is allocated; reference counting still frees everything that
is not in a cycle at once, and the defaults come back when the last run ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: young objects between collections, young collections per middle one, middle ones per full one
RUN_THRESHOLDS = (50_000, 20, 100)
_active = 0
_saved: tuple[int, int, int] = gc.get_threshold()


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect less often for the duration (nested and concurrent runs share it; the last one restores)."""
    global _active, _saved
    if _active == 0:
        _saved = gc.get_threshold()
        gc.set_threshold(*RUN_THRESHOLDS)
    _active += 1
    try:
        yield
    finally:
        _active -= 1
        if _active == 0:
            gc.set_threshold(*_saved)

"""`--shard K/N`: spread an inventory's tenants over N runners (CI matrix jobs, Kubernetes Indexed Jobs).

A tenant's shard depends on its name alone (rendezvous hashing: the shard whose hash with the name is
highest), so every runner computes the same split without talking to the others, the union of the N
shards is the inventory with no tenant twice, and adding or removing a tenant never moves another one;
going from N to N+1 shards moves only the tenants the new shard wins (about 1/(N+1) of them).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import TypeVar

from remediator.errors import InputError

T = TypeVar("T")
_SPEC = re.compile(r"^\s*(\d{1,6})\s*/\s*(\d{1,6})\s*$")


def parse_shard(text: str, where: str = "--shard") -> tuple[int, int]:
    """`"2/4"` → (2, 4): shard K of N, counted from 1 (a Kubernetes job index is K-1)."""
    match = _SPEC.match(text)
    if not match:
        raise InputError(f"must be K/N, e.g. 1/4, not {text!r}", where=where)
    k, n = int(match[1]), int(match[2])
    if n < 1 or not 1 <= k <= n:
        raise InputError(f"K must be between 1 and N in K/N, not {text!r}", where=where)
    return k, n


def _weight(name: str, shard: int) -> bytes:
    return hashlib.sha256(f"{shard}\x1f{name}".encode()).digest()


def shard_of(name: str, n: int) -> int:
    """The shard (1..n) that owns the tenant called `name`."""
    return max(range(1, n + 1), key=lambda k: _weight(name, k))


def in_shard(items: Sequence[T], k: int, n: int, *, name: str = "name") -> list[T]:
    """The items of shard `k` of `n`, in their order; items are tenants (anything with a `name`)."""
    return [item for item in items if shard_of(str(getattr(item, name)), n) == k]

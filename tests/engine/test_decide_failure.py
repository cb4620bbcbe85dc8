"""One state failing to read ends the tenant's decision, and its sibling states' reads end with it.

Kinds read side by side (`asyncio.gather`); the first error used to propagate while the other reads went on.
The session then closed its client and a read still running opened a new HTTP session that nobody closed
("Unclosed client session" on stderr, seen running okta-support-har-2023.yml on a tenant whose clock is
before its breach date: the archive refuses its range while the other states are reading)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from remediator.engine.planner import decide
from remediator.errors import InputError


class _Kind:
    targeted = False

    def __init__(self, state: str, read: Any) -> None:
        self.state, self._read = state, read

    async def read(self, ctx: Any) -> dict[str, Any]:
        return await self._read()

    def diff(self, observed: dict[str, Any]) -> list[Any]:
        return []


async def test_a_failing_state_cancels_the_reads_still_running() -> None:
    after_error: list[str] = []

    async def fails() -> dict[str, Any]:
        await asyncio.sleep(0)
        raise InputError("'until' is not after 'since'", "archive")

    async def slow() -> dict[str, Any]:
        for _ in range(50):
            await asyncio.sleep(0)
        after_error.append("read on after the decision failed")
        return {}

    session = SimpleNamespace(spec=SimpleNamespace(name="t"), ctx=SimpleNamespace())
    with pytest.raises(InputError, match="not after"):
        await decide([_Kind("a", fails), _Kind("b", slow)], session)  # type: ignore[list-item, arg-type]
    for _ in range(100):  # give a read left running every chance to go on
        await asyncio.sleep(0)
    assert after_error == []

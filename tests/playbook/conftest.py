"""Throwaway kinds registered for the duration of one test, so that these tests do not depend on the real ones."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import remediator.kinds  # noqa: F401  (the real kinds register first; ours must not collide)
from remediator.kinds.base import REGISTRY, Kind, register


class _TestKind(Kind):

    async def read(self, ctx: Any) -> Any:
        return None

    def diff(self, observed: Any) -> list[Any]:
        return []


class Flag(_TestKind):
    """A switch that must be off.

    Example::

        - name: the switch is off
          test.flag: {enabled: false}
    """

    name = "test.flag"
    schema = {"type": "object", "properties": {"enabled": {"const": False}}, "additionalProperties": False}


class Dates(_TestKind):
    """Arguments of every shape the loader must check.

    Example::

        - name: rotated since the breach
          test.dates:
            changed_after: "2022-01-21T00:00:00Z"
            allow: [bg@example.com]
    """

    name = "test.dates"
    schema = {
        "type": "object",
        "required": ["changed_after"],
        "additionalProperties": False,
        "properties": {
            "changed_after": {"type": "string", "format": "date-time"},
            "method": {"enum": ["reset", "expire"]},
            "allow": {"type": "array", "items": {"type": "string"}},
            "limit": {"type": "integer", "minimum": 1},
            "steps": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id"],
                    "additionalProperties": False,
                    "properties": {"id": {"type": "string", "minLength": 1}, "owner": {"type": "string"}},
                },
            },
        },
    }


TEST_KINDS = (Flag, Dates)


@pytest.fixture
def kinds() -> Iterator[dict[str, type[Kind]]]:
    """Register the test kinds; remove them afterwards (the real registry is left as it was)."""
    added = [k for k in TEST_KINDS if k.name not in REGISTRY]
    for kind in added:
        register(kind)
    try:
        yield {k.name: k for k in TEST_KINDS}
    finally:
        for kind in added:
            REGISTRY.pop(kind.name, None)


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """write(text, name="pb.yml") -> the path of a new file holding `text`."""

    def _write(text: str, name: str = "pb.yml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    return _write

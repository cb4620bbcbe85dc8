"""The sandbox's System Log: a sequence of events, stored compactly and opened as dicts one at a time.

Why: a tenant of 1,000,000 generated events held as dicts costs about 1.4 KB an event (the event, its
`transaction`, `debugContext` and `debugData` dicts); the sandbox only ever serves a page at a time.
A row is either an event dict (events the sandbox records as it runs, hand-made snapshots) or a compact
row with an `event()` method that builds the same dict, key for key, on each read (generated
events: `scenarios/_syslog.Row`). Events are read-only: a read returns the same content every time,
not necessarily the same object, so edit a copy (as the sandbox's own writes do: they append).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload


def _open(row: Any) -> dict[str, Any]:
    return row if type(row) is dict else row.event()


class EventLog(Sequence[dict[str, Any]]):
    """Events in `published` order (the store keeps the order; this only stores and opens them)."""

    __slots__ = ("_rows",)

    def __init__(self, rows: Iterable[Any] = ()) -> None:
        self._rows: list[Any] = rows._rows[:] if isinstance(rows, EventLog) else list(rows)

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [_open(row) for row in self._rows[index]]
        return _open(self._rows[index])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return map(_open, self._rows)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EventLog | list):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return EventLog, (self._rows,)

    def __repr__(self) -> str:
        return f"EventLog({len(self._rows)} events)"

    def append(self, event: object) -> None:
        """An event (a dict), or a compact row of the scenario generator that opens as one."""
        self._rows.append(event)

    def published(self) -> list[str]:
        """Every event's `published`, without opening the events."""
        return [row["published"] if type(row) is dict else row.published for row in self._rows]

    def event_types(self) -> list[Any]:
        """Every event's `eventType`, without opening the events."""
        return [row.get("eventType") if type(row) is dict else row.event_type for row in self._rows]

    def reordered(self, order: Sequence[int]) -> EventLog:
        rows = self._rows
        return EventLog([rows[i] for i in order])

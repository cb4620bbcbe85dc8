"""Compact rows for the sandbox's per-user collections (users, factors), opened as Okta's JSON on each read.

Why: at 100,000 users a tenant held as dicts costs about 2 KB a user and 1.9 KB a factor (the object, its
`profile`, `_links` and timestamps); a compact row keeps what varies (ids, times as integers, the profile)
and builds the same dict, key for key, when a request reads it (issue 14: 100,000 users and 1,000,000
events in 1 GB). A value is either plain JSON (a dict or a list: snapshots, the sandbox's own writes,
kept as given) or a row with an `open()` method that returns it. Reads return equal content each time,
not the same object: the store never edits a value in place, a write replaces it (as it always did).
The System Log has its own compact sequence (`eventlog.EventLog`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping, Sequence
from typing import Any, overload

_PLAIN = (dict, list)


def opened(value: Any) -> Any:
    """The JSON a stored value stands for."""
    return value if type(value) in _PLAIN else value.open()


def field(value: Any, key: str) -> Any:
    """A top-level field of a stored value without opening a row (rows expose the fields that are read)."""
    return value.get(key) if type(value) is dict else getattr(value, key)


class RowMap(MutableMapping[str, Any]):
    """A dict of stored values (plain JSON or rows) that opens a value when it is read."""

    __slots__ = ("_rows",)

    def __init__(self, rows: Mapping[str, Any] | Iterable[tuple[str, Any]] = ()) -> None:
        self._rows: dict[str, Any] = dict(rows._rows if isinstance(rows, RowMap) else rows)

    def __getitem__(self, key: str) -> Any:
        return opened(self._rows[key])

    def __setitem__(self, key: str, value: Any) -> None:
        self._rows[key] = value

    def __delitem__(self, key: str) -> None:
        del self._rows[key]

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def raw(self, key: str, default: Any = None) -> Any:
        """The stored value itself (a row stays a row): for reading a field without building the JSON."""
        return self._rows.get(key, default)

    def raw_items(self) -> Iterable[tuple[str, Any]]:
        return self._rows.items()

    def __reduce__(self) -> tuple[Any, ...]:
        return dict, (dict(self.items()),)  # a copy (pickle, snapshot.dump) is plain JSON

    def __repr__(self) -> str:
        return f"RowMap({len(self._rows)} values)"


class RowList(Sequence[Any]):
    """A list of stored values (plain JSON or rows) that opens a value when it is read."""

    __slots__ = ("_rows",)

    def __init__(self, rows: Iterable[Any] = ()) -> None:
        self._rows: list[Any] = rows._rows[:] if isinstance(rows, RowList) else list(rows)

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [opened(row) for row in self._rows[index]]
        return opened(self._rows[index])

    def __iter__(self) -> Iterator[Any]:
        return map(opened, self._rows)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RowList | list):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def append(self, value: Any) -> None:
        self._rows.append(value)

    def extend(self, values: Iterable[Any]) -> None:
        self._rows.extend(values)

    def raw(self) -> list[Any]:
        """The stored values themselves (rows stay rows)."""
        return self._rows

    def __reduce__(self) -> tuple[Any, ...]:
        return list, (list(self),)

    def __repr__(self) -> str:
        return f"RowList({len(self._rows)} values)"


def raw_values(values: Iterable[Any]) -> Iterable[Any]:
    """The stored values of a RowList (rows stay rows), or the items of any other iterable."""
    return values.raw() if isinstance(values, RowList) else values

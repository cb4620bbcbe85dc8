"""Matching System Log events against compiled rules, fast enough for an archive of millions.

Almost every event of a tenant's log is ordinary traffic that no rule can match. Rules say what a
raw line must contain to possibly match (their eventTypes, or a substring); the engine looks for
those in whole decompressed blocks at C speed (one regex over the lowercased block for the indexed
eventTypes, one `find` per substring) and parses with `json.loads` only the lines that can match.
Events given as objects (from the API) are dispatched through a dict keyed by eventType.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from remediator.evidence import Manifest, iter_blocks, time_key
from remediator.hunt.sigma import Rule


class Engine:
    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        by_type: dict[str, list[Rule]] = {}
        needled: list[Rule] = []
        always: list[Rule] = []
        needles: set[str] = set()
        for rule in self.rules:
            if rule.requires is None:
                always.append(rule)
            elif rule.requires[0] == "types":
                for t in rule.requires[1]:
                    by_type.setdefault(t, []).append(rule)
            else:
                needled.append(rule)
                needles |= rule.requires[1]
        self.by_type = {t: tuple(r) for t, r in by_type.items()}
        self.unindexed = tuple(needled + always)
        self.parse_all = bool(always)
        self.needles = tuple(n.encode() for n in sorted(needles))
        self.uses_admins = any(r.uses_admins for r in self.rules)
        alternatives = "|".join(re.escape(t) for t in sorted(self.by_type))
        self._types_rx = re.compile(rb'"eventtype"\s*:\s*"(?:' + alternatives.encode() + rb')"') if alternatives \
            else None

    def matches(self, event: dict[str, Any], admins: frozenset[str] = frozenset()) -> list[Rule]:
        """Every rule that matches one event."""
        et = event.get("eventType")
        typed = self.by_type.get(et.lower(), ()) if isinstance(et, str) else ()
        return [r for r in (*typed, *self.unindexed) if r.match(event, admins)]

    def candidates(self, block: bytes) -> Iterator[dict[str, Any]]:
        """The events of a block of JSON lines that some rule may match, parsed; the others are skipped."""
        if self.parse_all:
            for line in block.splitlines():
                if line.strip():
                    yield json.loads(line)
            return
        low = block.lower()
        spans: dict[int, int] = {}
        if self._types_rx is not None:
            for m in self._types_rx.finditer(low):
                _add_line(low, m.start(), spans)
        for needle in self.needles:
            i = low.find(needle)
            while i >= 0:
                i = low.find(needle, _add_line(low, i, spans))
        for start in sorted(spans):
            yield json.loads(block[start:spans[start]])

    def scan_archive(self, directory: str | Path, manifest: Manifest, since: str, until: str,
                     admins: frozenset[str] = frozenset()) -> Iterator[dict[str, Any]]:
        """Archived events in [since, until) that match at least one rule (streamed, chunk by chunk)."""
        lo, hi = time_key(since), time_key(until)
        for chunk in manifest.chunks:
            if chunk.until <= lo or chunk.since >= hi:
                continue
            for block in iter_blocks(Path(directory) / chunk.file):
                for event in self.candidates(block):
                    if lo <= time_key(event["published"]) < hi and self.matches(event, admins):
                        yield event

    def scan_events(self, events: Iterable[dict[str, Any]], admins: frozenset[str] = frozenset()
                    ) -> Iterator[dict[str, Any]]:
        return (e for e in events if self.matches(e, admins))


def _add_line(block: bytes, pos: int, spans: dict[int, int]) -> int:
    """Record the line holding `pos` (start -> end); returns its end."""
    start = block.rfind(b"\n", 0, pos) + 1
    end = block.find(b"\n", pos)
    end = len(block) if end < 0 else end
    spans[start] = end
    return end

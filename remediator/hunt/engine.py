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
from remediator.hunt.sigma import Clause, Known, Rule, primary


def _resolve(requires: tuple[Clause, ...], known: Known) -> tuple[Clause, ...] | None:
    """Known-set clauses become the ids they stand for; None when the rule cannot match at all."""
    out = []
    for kind, values in requires:
        if kind == "set":
            values = frozenset(i.lower() for name in values for i in known.get(name, ()))
            kind = "needles"
        if not values:
            return None
        out.append((kind, values))
    return tuple(out)


class Engine:
    """Rules indexed for matching; `known` (the id sets of `|admin`-style modifiers) sharpens the prefilter."""

    def __init__(self, rules: Sequence[Rule], known: Known | None = None) -> None:
        self.rules = tuple(rules)
        known = known or {}
        by_type: dict[str, list[Rule]] = {}
        unindexed: list[Rule] = []
        self._type_rules: dict[bytes, list[int]] = {}
        self._needle_rules: dict[bytes, list[int]] = {}
        # per alternative of a rule: the clauses beyond its primary one, checked on the raw line before parsing it
        self._secondary: list[tuple[tuple[bytes, ...], ...]] = []
        self.parse_all = False
        for rule in self.rules:
            # one entry per alternative of the rule's requirement; those that cannot hold with these sets go
            alts = [r for r in (_resolve(alt, known) for alt in rule.requires) if r is not None]
            firsts = [primary(alt) for alt in alts]
            if not alts:
                unindexed.append(rule)  # cannot match with these sets: matches() tries it, the scan never does
                continue
            if any(f is None for f in firsts):
                self.parse_all = True
            if all(f is not None and f[0] == "types" for f in firsts):
                for t in dict.fromkeys(t for f in firsts for t in f[1]):  # type: ignore[index]
                    by_type.setdefault(t, []).append(rule)
            else:
                unindexed.append(rule)
            for alt, first in zip(alts, firsts, strict=True):
                if first is None:
                    continue
                i = len(self._secondary)
                self._secondary.append(tuple(tuple(x.encode() for x in c[1]) for c in alt if c != first))
                index = self._type_rules if first[0] == "types" else self._needle_rules
                for value in first[1]:
                    index.setdefault(value.encode(), []).append(i)
        self.by_type = {t: tuple(r) for t, r in by_type.items()}
        self.unindexed = tuple(unindexed)
        self.needles = tuple(sorted(self._needle_rules))
        self.uses_admins = any(r.uses_admins for r in self.rules)
        alternatives = b"|".join(re.escape(t) for t in sorted(self._type_rules))
        self._types_rx = re.compile(rb'"eventtype"\s*:\s*"(' + alternatives + rb')"') if alternatives else None

    def matches(self, event: dict[str, Any], known: Known | None = None) -> list[Rule]:
        """Every rule that matches one event."""
        known = known or {}
        et = event.get("eventType")
        typed = self.by_type.get(et.lower(), ()) if isinstance(et, str) else ()
        return [r for r in (*typed, *self.unindexed) if r.match(event, known)]

    def candidates(self, block: bytes) -> Iterator[dict[str, Any]]:
        """The events of a block of JSON lines that some rule may match, parsed; the others are skipped."""
        if self.parse_all:
            for line in block.splitlines():
                if line.strip():
                    yield json.loads(line)
            return
        low = block.lower()
        spans: dict[int, tuple[int, list[int]]] = {}
        if self._types_rx is not None:
            for m in self._types_rx.finditer(low):
                _add_line(low, m.start(), spans, self._type_rules[m.group(1)])
        for needle, rules in self._needle_rules.items():
            i = low.find(needle)
            while i >= 0:
                i = low.find(needle, _add_line(low, i, spans, rules))
        secondary = self._secondary
        for start in sorted(spans):
            end, rules = spans[start]
            line = low[start:end]
            if any(all(any(x in line for x in clause) for clause in secondary[r]) for r in rules):
                yield json.loads(block[start:end])

    def scan_archive(self, directory: str | Path, manifest: Manifest, since: str, until: str,
                     known: Known | None = None) -> Iterator[dict[str, Any]]:
        """Archived events in [since, until) that match at least one rule (streamed, chunk by chunk)."""
        lo, hi = time_key(since), time_key(until)
        for chunk in manifest.stored():  # late arrivals too
            if chunk.until <= lo or chunk.since >= hi:
                continue
            for block in iter_blocks(Path(directory) / chunk.file):
                for event in self.candidates(block):
                    if lo <= time_key(event["published"]) < hi and self.matches(event, known):
                        yield event

    def scan_events(self, events: Iterable[dict[str, Any]], known: Known | None = None
                    ) -> Iterator[dict[str, Any]]:
        return (e for e in events if self.matches(e, known))


def _add_line(block: bytes, pos: int, spans: dict[int, tuple[int, list[int]]], rules: list[int]) -> int:
    """Record the line holding `pos` (start -> end, candidate rules); returns its end."""
    start = block.rfind(b"\n", 0, pos) + 1
    end = block.find(b"\n", pos)
    end = len(block) if end < 0 else end
    if start in spans:
        spans[start][1].extend(rules)
    else:
        spans[start] = (end, list(rules))
    return end

"""Matching System Log events against compiled rules, fast enough for an archive of millions.

Almost every event of a tenant's log is ordinary traffic that no rule can match. Each rule states what a
raw JSON line must contain to possibly match (`sigma.Alternatives`: per branch of its condition, clauses
such as an eventType, a field's value, a substring). The engine turns each clause into an RE2 pattern over
the raw line, case-insensitive like Sigma, and gives each alternative an anchor: its clause that is
rarest in the data being scanned (counted on a sample of the first block, and again every 64 blocks). Then
per decompressed block:
- one RE2 search pass (a DFA: one pass whatever the number of anchors, no lowercased copy of the block)
  finds the lines holding some anchor;
- on each such line, one RE2 Set pass tells which clauses it holds;
- only a line where some alternative holds whole is parsed with `json.loads`.
Events given as objects (from the API) are dispatched through a dict keyed by eventType.

The matcher's interface, which the rest of the hunt builds on:
- `Engine(rules, known)`: `known` (the id sets of `|admin`-style modifiers) sharpens the prefilter.
- `matches(event, known) -> list[Rule]`: every rule whose predicate holds on one parsed event. It alone
  decides a hit; the prefilter only ever skips lines on which no rule can hold.
- `candidates(block)`: the parsed events of a block of JSON lines that some rule may match (a superset).
- `scan_archive(...)` / `scan_events(...)`: the events that match at least one rule.
- `correlator()`: fresh streaming state for the correlation rules (`hunt.correlation`), which consume what
  `matches` returns, events in time order; it is separate from the matching above.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import re2  # type: ignore[import-untyped]  # google-re2, which pySigma depends on

from remediator.evidence import Manifest, iter_blocks, time_key
from remediator.hunt.correlation import Correlation, Correlator
from remediator.hunt.sigma import Clause, Known, Rule, clause_rank, is_number

_WS = r"[ \t\r]*"
_SAMPLE_LINES = 200  # lines of a block on which each clause's frequency is counted
_REPLAN_EVERY = 64  # blocks (about 9,000 events of Okta's size) between two countings: anchors follow the data


def _options() -> Any:
    options = re2.Options()
    options.case_sensitive = False  # Sigma compares case-insensitively; `|cased` only narrows the predicate
    options.max_mem = 64 << 20  # room for the DFA of many anchors (e.g. thousands of admin ids)
    options.log_errors = False  # RE2 would write to stderr (a DFA out of memory only makes a search slower)
    return options


# Non-ASCII characters whose `str.lower()` holds an ASCII letter, raw or as JSON writes them with
# ensure_ascii: RE2's case folding finds `K` (Kelvin sign) for k raw, not escaped; `İ` (lowercase i̇) neither.
_FOLDS = {"i": "(?:[iİ]|\\\\u0130)", "k": "(?:k|\\\\u212a)"}


def _lit(text: str) -> str:
    """RE2 source for `text` (lowercase ASCII): wherever a raw JSON line holds a string whose lowercase holds it."""
    return "".join(_FOLDS.get(ch) or (ch if ch.isalnum() else "\\" + ch) for ch in text)


def clause_pattern(clause: Clause) -> str:
    """RE2 source that finds, in a raw JSON line (as the archive writes them), whatever satisfies the clause."""
    kind, values = clause
    alts = "|".join(_lit(v) for v in sorted(values))
    if kind == "needles":
        return f"(?:{alts})"
    if kind == "types":
        return f'"eventtype"{_WS}:{_WS}"(?:{alts})"'
    key = kind.split(":", 1)[1]
    head = f'"{_lit(key)}"{_WS}:{_WS}'
    if kind.startswith("starts:"):
        return head + f'(?:"(?:{alts})|\\[)'
    forms = [f'"(?:{alts})"', r"\["]  # the text as a string, or a list holding it
    forms += [v for v in sorted(values) if v in ("true", "false")]  # as JSON literals
    forms += [f for v, f in (("nan", "nan"), ("inf", "infinity"), ("-inf", "-infinity")) if v in values]
    if any(is_number(v) for v in values):
        forms.append("[-0-9]")  # a JSON number: its spelling may differ from the text it compares as
    return head + f"(?:{'|'.join(forms)})"


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
    """Rules indexed for matching; `known` (the id sets of `|admin`-style modifiers) sharpens the prefilter.
    `correlations` consume what the rules match (`correlator()`), so their base rules are among `rules`."""

    def __init__(self, rules: Sequence[Rule], known: Known | None = None,
                 correlations: Sequence[Correlation] = ()) -> None:
        self.rules = tuple(rules)
        self.correlations = tuple(correlations)
        known = known or {}
        by_type: dict[str, list[Rule]] = {}
        unindexed: list[Rule] = []
        clauses: dict[Clause, int] = {}
        alternatives: dict[frozenset[int], None] = {}
        self.parse_all = False
        for rule in self.rules:
            # one entry per alternative of the rule's requirement; those that cannot hold with these sets go
            alts = [r for r in (_resolve(alt, known) for alt in rule.requires) if r is not None]
            if not alts:
                unindexed.append(rule)  # cannot match with these sets: matches() tries it, the scan never does
                continue
            types = [min((c for c in alt if c[0] == "types"), key=clause_rank, default=None) for alt in alts]
            if all(t is not None for t in types):
                for t in dict.fromkeys(t for c in types if c is not None for t in c[1]):
                    by_type.setdefault(t, []).append(rule)
            else:
                unindexed.append(rule)
            for alt in alts:
                self.parse_all = self.parse_all or not alt
                alternatives[frozenset(clauses.setdefault(c, len(clauses)) for c in alt)] = None
        self.by_type = {t: tuple(r) for t, r in by_type.items()}
        self.unindexed = tuple(unindexed)
        self.uses_admins = any(r.uses_admins for r in self.rules)
        self._clauses = tuple(clauses)
        self._alternatives = tuple(alternatives)
        self._set: Any = None
        if self._clauses and not self.parse_all:
            self._set = re2.Set.SearchSet(_options())
            for i, clause in enumerate(self._clauses):
                if self._set.Add(clause_pattern(clause)) != i:
                    raise AssertionError("RE2 set indices out of step")
            self._set.Compile()
        self._anchors: tuple[Any, dict[int, list[frozenset[int]]]] | None = None
        self._searches: dict[tuple[int, ...], Any] = {}  # compiled anchor searches, by their anchors
        self._blocks = 0

    def correlator(self) -> Correlator:
        """Fresh streaming state for the correlations (events pushed in time order, with the rules they matched)."""
        return Correlator(self.correlations)

    def matches(self, event: dict[str, Any], known: Known | None = None) -> list[Rule]:
        """Every rule that matches one event."""
        known = known or {}
        et = event.get("eventType")
        typed = self.by_type.get(et.lower(), ()) if isinstance(et, str) else ()
        return [r for r in (*typed, *self.unindexed) if r.match(event, known)]

    def _plan(self, sample: bytes) -> tuple[Any, dict[int, list[frozenset[int]]]]:
        """Each alternative's anchor (its clause on the fewest lines of the sample, the form breaking ties) and
        one search for them all."""
        counts = [0] * len(self._clauses)
        for line in sample.split(b"\n", _SAMPLE_LINES)[:_SAMPLE_LINES]:
            for i in self._set.Match(line) or ():
                counts[i] += 1
        rank = [(counts[i], clause_rank(c)) for i, c in enumerate(self._clauses)]
        by_anchor: dict[int, list[frozenset[int]]] = {}
        for alt in self._alternatives:
            by_anchor.setdefault(min(alt, key=rank.__getitem__), []).append(alt)
        key = tuple(sorted(by_anchor))
        if key not in self._searches:
            search = "|".join(f"(?:{clause_pattern(self._clauses[i])})" for i in key)
            self._searches[key] = re2.compile(search, _options())
        return self._searches[key], by_anchor

    def candidates(self, block: bytes) -> Iterator[dict[str, Any]]:
        """The events of a block of JSON lines that some rule may match, parsed; the others are skipped."""
        if self.parse_all:
            for line in block.splitlines():
                if line.strip():
                    yield json.loads(line)
            return
        if self._set is None:
            return
        if self._anchors is None or self._blocks % _REPLAN_EVERY == 0:
            self._anchors = self._plan(block)
        self._blocks += 1
        search, by_anchor = self._anchors[0].search, self._anchors[1]
        holds = self._set.Match
        pos, size = 0, len(block)
        while pos < size and (found := search(block, pos)) is not None:
            at = found.start()
            start = block.rfind(b"\n", 0, at) + 1
            end = block.find(b"\n", at)
            end = size if end < 0 else end
            line = block[start:end]
            present = holds(line) or ()
            if present:
                held = frozenset(present)
                if any(alt <= held for i in present for alt in by_anchor.get(i, ())):
                    yield json.loads(line)
            pos = end + 1

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

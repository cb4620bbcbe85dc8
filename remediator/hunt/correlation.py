"""Sigma correlation rules (Sigma specification v2), parsed by pySigma, evaluated over a time-ordered stream.

A correlation rule does not look at one event: it counts or orders the events that other rules (its
base rules) matched, per group (`group-by` fields, with `aliases` when the base rules name the same
thing differently), within a `timespan`. Supported, as the spec defines them:
- `event_count`: at least N base events in a group within the timespan (`condition: {gte: N}`);
- `value_count`: at least N distinct values of `condition.field` in a group within the timespan
  (password spraying: failures from one client IP for many distinct users), compared case-insensitively
  as Sigma compares values (Okta's logins are); group-by values are exact (Okta's ids are case-sensitive);
- `temporal`: every base rule (or `gte: N` of them) matched in a group within the timespan, any order;
- `temporal_ordered`: the base rules matched in the order listed, the whole chain within the timespan
  (an MFA reset of a user, then that user in the Admin Console).

Conditions are `gte` or `gt` (a count that only grows while events arrive, so a rule fires as soon as it
holds). Anything else (`lt`/`lte`/`eq`/`neq`, `value_sum`/`avg`/`percentile`/`median`, extended string
conditions, a correlation of correlations) is skipped with its reason, like an unsupported plain rule.

Evaluation is ours and streaming: `Correlator.push` takes events in time order with the ids of the base
rules each matched (the single-event matcher's output) and returns the events that make a correlation
hold. Memory is bounded by what a timespan holds: per group, only the events inside the timespan
before the latest one (a value count keeps them with a count per value; an ordered chain keeps one
partial chain per step), and groups with nothing left inside the timespan are dropped.
"""

from __future__ import annotations

import itertools
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sigma.correlations import (
    SigmaCorrelationCondition,
    SigmaCorrelationConditionOperator,
    SigmaCorrelationRule,
    SigmaCorrelationType,
)
from sigma.exceptions import SigmaError

from remediator.hunt.sigma import LEVELS, Unsupported, as_text, resolve

SUPPORTED = (SigmaCorrelationType.EVENT_COUNT, SigmaCorrelationType.VALUE_COUNT, SigmaCorrelationType.TEMPORAL,
             SigmaCorrelationType.TEMPORAL_ORDERED)
#: group keys one event may fan out to (a group-by field with several values, e.g. several targets)
_MAX_KEYS = 16


@dataclass(frozen=True)
class CorrelationSpec:
    """A correlation rule as written: its base rules are still references (a rule's `name` or `id`)."""

    id: str
    title: str
    severity: str
    source: str
    kind: SigmaCorrelationType
    references: tuple[str, ...]
    group_by: tuple[str, ...]
    aliases: Mapping[str, Mapping[str, str]]   # alias -> {reference: field}
    timespan: int                               # seconds
    count: int                                  # the condition holds at >= count
    field: str | None = None                    # value_count: the field whose distinct values are counted
    generate: bool = False                      # the base rules also report their own matches
    description: str = ""


@dataclass(frozen=True)
class Correlation:
    """A correlation whose base rules are resolved to rule ids; `paths[i]`: base rule i's group-by fields."""

    id: str
    title: str
    severity: str
    source: str
    kind: SigmaCorrelationType
    rules: tuple[str, ...]
    paths: tuple[tuple[tuple[str, ...], ...], ...]
    group_by: tuple[str, ...]
    timespan_ms: int
    count: int
    field: tuple[str, ...] | None = None
    description: str = ""


def compile_correlation(doc: dict[str, Any], source: str) -> CorrelationSpec:
    """A Sigma correlation rule document read by pySigma; raises Unsupported with the reason."""
    title = str(doc.get("title") or source)
    # Only what pySigma needs: our rule ids are names, not the UUIDs its rule model insists on.
    try:
        parsed = SigmaCorrelationRule.from_dict({"title": title, "correlation": doc.get("correlation")})
    except SigmaError as exc:
        raise Unsupported(f"correlation: {exc}") from exc
    if parsed.type not in SUPPORTED:
        raise Unsupported(f"correlation type {parsed.type.name.lower()!r} is not supported")
    condition = parsed.condition
    if not isinstance(condition, SigmaCorrelationCondition):
        raise Unsupported("extended (string) correlation conditions are not supported")
    op = condition.op
    if op not in (SigmaCorrelationConditionOperator.GTE, SigmaCorrelationConditionOperator.GT):
        raise Unsupported(f"correlation condition {op.name.lower()!r} is not supported (gte and gt are: a "
                          "streaming hunt reports a count as soon as it is reached)")
    if not float(condition.count).is_integer():
        raise Unsupported(f"correlation condition count {condition.count!r} is not a whole number")
    count = int(condition.count) + (1 if op is SigmaCorrelationConditionOperator.GT else 0)
    fieldref = condition.fieldref
    if isinstance(fieldref, list):
        if len(fieldref) != 1:
            raise Unsupported("a value count over several fields is not supported")
        fieldref = fieldref[0]
    references = tuple(r.reference for r in parsed.rules or ())
    aliases = {a.alias: {ref.reference: name for ref, name in a.mapping.items()} for a in parsed.aliases}
    level = str(doc.get("level", "medium")).lower()
    return CorrelationSpec(
        id=str(doc.get("id") or doc.get("name") or title), title=title, severity=LEVELS.get(level, "medium"),
        source=source, kind=parsed.type, references=references, group_by=tuple(parsed.group_by or ()),
        aliases=aliases, timespan=parsed.timespan.seconds, count=max(count, 1),
        field=fieldref if parsed.type is SigmaCorrelationType.VALUE_COUNT else None,
        generate=parsed.generate, description=str(doc.get("description") or "").strip())


def resolve_correlation(spec: CorrelationSpec, ids: Mapping[str, str],
                        correlations: Iterable[str] = ()) -> Correlation:
    """Bind the references to loaded rules (`ids`: a rule's name or id -> its id); Unsupported if one is missing."""
    others = set(correlations)
    nested = [r for r in spec.references if r in others]
    if nested:
        raise Unsupported(f"correlation of correlations ({', '.join(nested)}) is not supported")
    missing = [r for r in spec.references if r not in ids]
    if missing:
        raise Unsupported(f"base rule(s) not loaded: {', '.join(missing)}")
    paths = []
    for ref in spec.references:
        fields = []
        for name in spec.group_by:
            alias = spec.aliases.get(name)
            if alias is not None and ref not in alias:
                raise Unsupported(f"alias {name!r} does not say which field of {ref!r} it is")
            fields.append(tuple((alias[ref] if alias is not None else name).split(".")))
        paths.append(tuple(fields))
    return Correlation(id=spec.id, title=spec.title, severity=spec.severity, source=spec.source, kind=spec.kind,
                       rules=tuple(ids[r] for r in spec.references), paths=tuple(paths), group_by=spec.group_by,
                       timespan_ms=spec.timespan * 1000, count=spec.count,
                       field=tuple(spec.field.split(".")) if spec.field else None, description=spec.description)


def epoch_ms(published: str) -> int:
    """Milliseconds since the epoch of an Okta `published` timestamp."""
    return int(datetime.fromisoformat(published.replace("Z", "+00:00")).astimezone(UTC).timestamp() * 1000)


def group_keys(event: dict[str, Any], paths: Sequence[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The groups an event belongs to: one value per group-by field, as it is (Okta's ids are case-sensitive; a
    backend's group-by is exact too); several values fan out; an event without a value for a field belongs to
    no group (it cannot be counted per that field)."""
    values = []
    for path in paths:
        found = list(dict.fromkeys(t for v in resolve(event, path) if (t := as_text(v)) is not None))
        if not found:
            return []
        values.append(found)
    return list(itertools.islice(itertools.product(*values), _MAX_KEYS))


# streaming state, one per (correlation, group) ---------------------------------------------------
@dataclass
class _Window:
    """event_count / value_count: the base events inside the timespan; `pending` of them (always the newest:
    a hit reports everything inside) are not reported yet."""

    entries: deque[tuple[int, str | None, dict[str, Any]]] = field(default_factory=deque)
    values: Counter[str] = field(default_factory=Counter)
    pending: int = 0

    def last(self) -> int:
        return self.entries[-1][0] if self.entries else -1


@dataclass
class _Temporal:
    """temporal: per base rule, its events inside the timespan and how many are not reported yet."""

    entries: list[deque[tuple[int, dict[str, Any]]]]
    pending: list[int]

    def last(self) -> int:
        return max((d[-1][0] for d in self.entries if d), default=-1)


@dataclass
class _Chain:
    """temporal_ordered: `steps[i]`, the chain of events matching base rules 0..i that started latest."""

    steps: list[tuple[dict[str, Any], ...] | None]
    starts: list[int]

    def last(self) -> int:
        return max(self.starts)


class Correlator:
    """Streaming evaluation of correlations over base-rule matches, events in time order."""

    def __init__(self, correlations: Sequence[Correlation]) -> None:
        self.correlations = tuple(correlations)
        # base rule id -> (correlation index, position of the rule in the correlation)
        self._by_rule: dict[str, list[tuple[int, int]]] = {}
        for ci, c in enumerate(self.correlations):
            for pos, rid in enumerate(c.rules):
                self._by_rule.setdefault(rid, []).append((ci, pos))
        self.base_ids = frozenset(self._by_rule)
        self._state: list[dict[tuple[str, ...], Any]] = [{} for _ in self.correlations]
        self._swept = -1
        self._span = max((c.timespan_ms for c in self.correlations), default=0)

    @property
    def groups(self) -> int:
        """Groups holding state now (what memory is proportional to)."""
        return sum(len(s) for s in self._state)

    def push(self, event: dict[str, Any], rule_ids: Iterable[str]) -> list[tuple[Correlation, tuple[str, ...],
                                                                                  list[dict[str, Any]]]]:
        """One event (time order) with the ids of the rules it matched; the hits it completes:
        (correlation, group key, the events reported now)."""
        # later steps first: an event matching steps i and i+1 of an ordered chain must not extend the
        # chain it starts itself
        targets = sorted({t for rid in rule_ids for t in self._by_rule.get(rid, ())}, key=lambda t: (t[0], -t[1]))
        if not targets:
            return []
        now = epoch_ms(event["published"])
        if now - self._swept > self._span:
            self._sweep(now)
        hits = []
        seen: set[tuple[int, tuple[str, ...]]] = set()
        for ci, pos in targets:
            c = self.correlations[ci]
            for key in group_keys(event, c.paths[pos]):
                if (ci, key) in seen and c.kind is not SigmaCorrelationType.TEMPORAL_ORDERED:
                    continue  # one event counts once per group, even when it matches two of the base rules
                seen.add((ci, key))
                reported = self._step(c, self._state[ci], key, pos, now, event)
                if reported:
                    hits.append((c, key, reported))
        return hits

    def _sweep(self, now: int) -> None:
        """Drop the groups whose newest event is older than their timespan: nothing in them can count again."""
        for c, states in zip(self.correlations, self._state, strict=True):
            horizon = now - c.timespan_ms
            for key in [k for k, s in states.items() if s.last() < horizon]:
                del states[key]
        self._swept = now

    def _step(self, c: Correlation, states: dict[tuple[str, ...], Any], key: tuple[str, ...], pos: int, now: int,
              event: dict[str, Any]) -> list[dict[str, Any]]:
        horizon = now - c.timespan_ms
        if c.kind is SigmaCorrelationType.TEMPORAL_ORDERED:
            return _ordered(c, states, key, pos, now, horizon, event)
        if c.kind is SigmaCorrelationType.TEMPORAL:
            return _temporal(c, states, key, pos, now, horizon, event)
        return _window(c, states, key, now, horizon, event)


def _window(c: Correlation, states: dict[tuple[str, ...], Any], key: tuple[str, ...], now: int, horizon: int,
            event: dict[str, Any]) -> list[dict[str, Any]]:
    value: str | None = None
    if c.field is not None:
        found = [t.casefold() for v in resolve(event, c.field) if (t := as_text(v)) is not None]
        if not found:
            return []  # no value to count: not evidence of a value count
        value = found[0]
    w = states.get(key)
    if w is None:
        w = states[key] = _Window()
    entries = w.entries
    while entries and entries[0][0] < horizon:
        _, old, _ = entries.popleft()
        if len(entries) < w.pending:
            w.pending -= 1
        if old is not None:
            w.values[old] -= 1
            if not w.values[old]:
                del w.values[old]
    entries.append((now, value, event))
    w.pending += 1
    if value is not None:
        w.values[value] += 1
    held = len(w.values) if c.field is not None else len(entries)
    if held < c.count:
        return []
    out = [e for _, _, e in itertools.islice(entries, len(entries) - w.pending, None)]
    w.pending = 0
    return out


def _temporal(c: Correlation, states: dict[tuple[str, ...], Any], key: tuple[str, ...], pos: int, now: int,
              horizon: int, event: dict[str, Any]) -> list[dict[str, Any]]:
    s = states.get(key)
    if s is None:
        s = states[key] = _Temporal([deque() for _ in c.rules], [0] * len(c.rules))
    for i, d in enumerate(s.entries):
        while d and d[0][0] < horizon:
            d.popleft()
            s.pending[i] = min(s.pending[i], len(d))
    s.entries[pos].append((now, event))
    s.pending[pos] += 1
    if sum(1 for d in s.entries if d) < min(c.count, len(c.rules)):
        return []
    out = [e for i, d in enumerate(s.entries) for _, e in itertools.islice(d, len(d) - s.pending[i], None)]
    s.pending = [0] * len(c.rules)
    return sorted(out, key=lambda e: e["published"])


def _ordered(c: Correlation, states: dict[tuple[str, ...], Any], key: tuple[str, ...], pos: int, now: int,
             horizon: int, event: dict[str, Any]) -> list[dict[str, Any]]:
    s = states.get(key)
    if s is None:
        if pos != 0:
            return []  # a later step with no chain started: nothing to extend
        s = states[key] = _Chain([None] * len(c.rules), [-1] * len(c.rules))
    for i in range(len(c.rules)):  # chains that started before the timespan are over
        if s.starts[i] < horizon:
            s.steps[i], s.starts[i] = None, -1
    if pos == 0:
        s.steps[0], s.starts[0] = (event,), now  # the latest start leaves the most room
        return [event] if len(c.rules) == 1 else []
    previous = s.steps[pos - 1]
    if previous is None:
        return []
    chain = (*previous, event)
    if s.starts[pos] <= s.starts[pos - 1]:
        s.steps[pos], s.starts[pos] = chain, s.starts[pos - 1]
    if pos == len(c.rules) - 1:
        return list(chain)
    return []

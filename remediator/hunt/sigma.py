"""Sigma rules for Okta, parsed by pySigma and compiled to Python predicates over System Log events.

pySigma reads the rule (its detection items, value modifiers and condition: `and`, `or`, `not`,
parentheses, `1 of x*`, `all of x*`, `... of them`) into one tree of `field = value` leaves; this
module turns that tree into remediator's own evaluation, so matching stays a plain function call on
each candidate event:
- field names are dotted paths into the event, matched case-insensitively (`eventtype` finds
  `eventType`); a list on the way (`target` is a list) matches when any element does;
- strings compare case-insensitively (`|cased`: exactly), with `*` and `?` wildcards; booleans and
  numbers compare as their JSON text (`'true'` matches `true`); `null` matches an absent or null field;
  `|re` (with `i`, `m`, `s`), `|cidr`, `|exists`, `|fieldref` (the field equals another field);
- remediator's extension, named id sets given at match time (so matching stays pure): `admin`
  (`target.id|admin: true` holds when a value is the id of a user holding an admin role) and
  `new_admin` (an admin whose account was created within the hunted range). They are registered
  as pySigma value modifiers (`modifier_mapping`, the table pySigma looks modifiers up in).

Anything else makes the loader skip the rule with the reason (placeholders such as `%domains%`
that a user must fill in first, `|expand`, other modifiers, keyword searches, the old `| count()`
aggregations, log sources other than Okta). Correlation rules (Sigma v2 `correlation:`) are compiled by
`remediator.hunt.correlation`; `remediator.hunt.rules` loads files of both.

Each compiled rule also states what a raw JSON line must contain to possibly match (its eventTypes, a
field's value right after the field's name, or substrings: `Clause` below); the engine uses that to skip
parsing almost every line of an archive.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import Path
from typing import Any

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionItem,
    ConditionNOT,
    ConditionOR,
)
from sigma.exceptions import SigmaConditionError, SigmaError
from sigma.modifiers import SigmaValueModifier, modifier_mapping, reverse_modifier_mapping
from sigma.rule import SigmaRule
from sigma.types import (
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaExists,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SigmaType,
    SpecialChars,
)

#: Named id sets a rule may test with the modifier of the same name: {"admin": ids, "new_admin": ids}.
Known = Mapping[str, frozenset[str]]
Predicate = Callable[[dict[str, Any], Known], bool]
# What a raw line must contain for the rule to possibly match, as clauses that must all hold: each is
# ("types", eventTypes: the event is of one of them), ("is:KEY", values: some JSON key KEY (the field's
# last name, lowercase) has one of these values, as text and case-insensitively, or a list), ("starts:KEY",
# prefixes: KEY has a string value starting with one of them, or a list), ("needles", lowercase substrings:
# one of them is anywhere in the line) or ("set", {name}): one id of that known set is in the line (resolved
# by the engine). No clause: no such guarantee, every event must be parsed and tested.
Clause = tuple[str, frozenset[str]]
Requirement = tuple[Clause, ...]
# A rule's requirement is a disjunction: one of these alternatives holds on a line it matches (one per
# branch of an `or`, so that `a or (b and x)` still asks for x on b's lines). `((),)`: no guarantee.
Alternatives = tuple[Requirement, ...]
Node = tuple[Predicate, Alternatives, bool]  # predicate, requirement, uses a known set
_MAX_ALTERNATIVES = 32

LEVELS = {"informational": "info", "info": "info", "low": "low", "medium": "medium", "high": "high",
          "critical": "critical"}
_MISSING = object()
_PLACEHOLDER = re.compile(r"%[A-Za-z0-9_.-]+%")
SETS = ("admin", "new_admin")


class Unsupported(ValueError):
    """The rule uses something outside the supported subset; the message is the reason."""


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: str
    source: str
    match: Predicate
    requires: Alternatives
    uses_admins: bool = False
    description: str = ""
    name: str = ""           # Sigma's `name`: how a correlation rule may refer to it
    generate: bool = True    # False: a base rule of a correlation whose own matches are not findings


@dataclass(frozen=True)
class Skipped:
    source: str
    title: str
    reason: str


# remediator's known-set modifiers, as pySigma value modifiers ---------------------------------
@dataclass
class SigmaKnownSet(SigmaType):
    """`field|admin: true`: some value of the field is (or, with false, none is) in the named id set."""

    name: str
    member: bool


class _KnownSetModifier(SigmaValueModifier[SigmaBool | SigmaString, SigmaKnownSet]):
    set_name = ""

    def modify(self, val: SigmaBool | SigmaString) -> SigmaKnownSet:
        member = val.boolean if isinstance(val, SigmaBool) else str(val).lower() in ("true", "yes", "1")
        return SigmaKnownSet(self.set_name, member)


for _name in SETS:
    _cls = type(f"Remediator{_name.title().replace('_', '')}Modifier", (_KnownSetModifier,), {"set_name": _name})
    modifier_mapping.setdefault(_name, _cls)
    reverse_modifier_mapping.setdefault(_cls.__name__, _name)


# field access --------------------------------------------------------------------------------
def _get(obj: dict[str, Any], key: str) -> Any:
    if key in obj:
        return obj[key]
    low = key.lower()
    for k, v in obj.items():
        if k.lower() == low:
            return v
    return _MISSING


def resolve(event: dict[str, Any], path: tuple[str, ...]) -> list[Any]:
    """Every value at a dotted path; lists on the way (and at the end) fan out; absent/null give nothing."""
    obj: Any = event  # the usual case first, with no list built on the way: each name an exact key of a dict
    for key in path:
        if type(obj) is not dict:
            return _resolve_any(event, path)
        obj = obj.get(key, _MISSING)
        if obj is None:
            return []
        if obj is _MISSING:
            return _resolve_any(event, path)
    return [x for x in obj if x is not None] if isinstance(obj, list) else [obj]


def _resolve_any(event: dict[str, Any], path: tuple[str, ...]) -> list[Any]:
    """`resolve` through lists on the way and names in another case."""
    current: list[Any] = [event]
    for key in path:
        nxt: list[Any] = []
        for obj in current:
            for o in obj if isinstance(obj, list) else (obj,):
                if isinstance(o, dict):
                    v = _get(o, key)
                    if v is not _MISSING and v is not None:
                        nxt.append(v)
        current = nxt
        if not current:
            return []
    out: list[Any] = []
    for v in current:
        out.extend(x for x in v if x is not None) if isinstance(v, list) else out.append(v)
    return out


def as_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return None


# values ----------------------------------------------------------------------------------------
def _string_test(value: SigmaString) -> Callable[[str], bool]:
    """Sigma string equality: wildcards `*`/`?`, case-insensitive unless the value is `|cased`."""
    cased = isinstance(value, SigmaCasedString)
    parts = value.s
    norm: Callable[[str], str] = (lambda s: s) if cased else str.lower
    literal = [p for p in parts if isinstance(p, str)]
    wild = [p for p in parts if not isinstance(p, str)]
    if not wild:
        lit = norm(value.to_plain())
        return lambda s: norm(s) == lit
    multi = SpecialChars.WILDCARD_MULTI
    if len(literal) == 1 and all(w is multi for w in wild) and len(parts) <= 3:  # contains/startswith/endswith
        lit, head, tail = norm(literal[0]), parts[0] is multi, parts[-1] is multi
        if head and tail:
            return lambda s: lit in norm(s)
        if tail:
            return lambda s: norm(s).startswith(lit)
        return lambda s: norm(s).endswith(lit)
    single = SpecialChars.WILDCARD_SINGLE
    body = "".join(".*" if p is multi else "." if p is single else re.escape(str(p)) for p in parts)
    rx = re.compile(body, re.DOTALL | (0 if cased else re.IGNORECASE))
    return lambda s: rx.fullmatch(s) is not None


def _regex_test(value: SigmaRegularExpression) -> Callable[[str], bool]:
    flags = {SigmaRegularExpressionFlag.IGNORECASE: re.IGNORECASE, SigmaRegularExpressionFlag.MULTILINE: re.MULTILINE,
             SigmaRegularExpressionFlag.DOTALL: re.DOTALL}
    rx = re.compile(str(value.regexp), sum((flags[f] for f in value.flags), 0))
    return lambda s: rx.search(s) is not None


def _cidr_test(value: SigmaCIDRExpression) -> Callable[[str], bool]:
    def test(s: str) -> bool:
        try:
            return ip_address(s) in value.network
        except ValueError:
            return False

    return test


def _needle(value: SigmaType) -> str | None:
    """A lowercase substring the raw JSON line must contain when a field equals `value`."""
    if isinstance(value, SigmaString):
        frag = max((p for p in value.s if isinstance(p, str)), key=len, default="").lower()
    elif isinstance(value, SigmaBool):
        frag = "true" if value.boolean else "false"
    elif isinstance(value, SigmaNumber):
        frag = str(value.number)
    else:
        return None
    if not frag or not frag.isascii() or not frag.isprintable() or '"' in frag or "\\" in frag:
        return None
    return frag


def _modifiers(leaf: ConditionFieldEqualsValueExpression) -> str:
    item = getattr(leaf, "parent", None)
    names = [reverse_modifier_mapping.get(m.__name__, m.__name__) for m in getattr(item, "modifiers", ())]
    return "".join(f"|{n}" for n in names)


def compile_leaf(leaf: ConditionFieldEqualsValueExpression) -> Node:
    """One `field = value` of pySigma's condition tree (a detection item's value, modifiers applied)."""
    field, value = leaf.field, leaf.value
    path = tuple(field.split("."))
    if isinstance(value, SigmaString) and value.contains_placeholder():
        raise Unsupported(f"'{field}{_modifiers(leaf)}' is a placeholder to fill in for your environment (|expand)")
    if isinstance(value, SigmaString) and any(isinstance(p, str) and _PLACEHOLDER.search(p) for p in value.s):
        raise Unsupported(f"value {str(value)!r} of '{field}' is a placeholder to fill in for your environment")
    if isinstance(value, SigmaKnownSet):
        name, want = value.name, value.member

        def in_set(e: dict[str, Any], a: Known) -> bool:
            ids = a.get(name, frozenset())
            return any((as_text(x) in ids) for x in resolve(e, path)) == want

        return in_set, (((("set", frozenset([name])),) if want else ()),), True
    if isinstance(value, SigmaNull):
        return (lambda e, a: not resolve(e, path)), ((),), False
    if isinstance(value, SigmaExists):
        want = value.exists
        return (lambda e, a: bool(resolve(e, path)) == want), ((),), False
    if isinstance(value, SigmaFieldReference):
        if value.starts_with or value.ends_with:
            raise Unsupported(f"'{field}{_modifiers(leaf)}': a partial field reference is not supported")
        other = tuple(value.field.split("."))

        def fieldref(e: dict[str, Any], a: Known) -> bool:
            mine = {str(as_text(x)).lower() for x in resolve(e, path)}
            return bool(mine & {str(as_text(x)).lower() for x in resolve(e, other)})

        return fieldref, ((),), False
    test: Callable[[str], bool]
    if isinstance(value, SigmaString):
        test = _string_test(value)
    elif isinstance(value, SigmaBool | SigmaNumber):
        text = as_text(value.boolean if isinstance(value, SigmaBool) else value.number)
        test = text.__eq__ if text is not None else (lambda s: False)
    elif isinstance(value, SigmaRegularExpression):
        test = _regex_test(value)
    elif isinstance(value, SigmaCIDRExpression):
        test = _cidr_test(value)
    else:
        raise Unsupported(f"'{field}{_modifiers(leaf)}': {type(value).__name__} values are not supported")

    def leaf_match(e: dict[str, Any], a: Known) -> bool:
        return any((s := as_text(x)) is not None and test(s) for x in resolve(e, path))

    return leaf_match, (_leaf_requirement(field, value),), False


def _leaf_requirement(field: str, value: SigmaType) -> Requirement:
    key = field.rsplit(".", 1)[-1].lower()
    if isinstance(value, SigmaString) and not value.contains_special():
        text = value.to_plain().lower()  # the text the predicate compares with
        if field.lower() == "eventtype" and _clean(text):
            return (("types", frozenset([text])),)
        if _clean(key) and _clean(text, empty=True):
            return ((f"is:{key}", frozenset([text])),)
    elif isinstance(value, SigmaString):
        parts = value.s
        if len(parts) == 2 and isinstance(parts[0], str) and parts[1] is SpecialChars.WILDCARD_MULTI \
                and _clean(key) and _clean(parts[0].lower()):  # startswith
            return ((f"starts:{key}", frozenset([parts[0].lower()])),)
    elif isinstance(value, SigmaBool | SigmaNumber) and _clean(key):
        plain = as_text(value.boolean if isinstance(value, SigmaBool) else value.number)
        if plain is not None:
            return ((f"is:{key}", frozenset([plain.lower()])),)
    needle = _needle(value)
    return (("needles", frozenset([needle])),) if needle else ()


def _clean(text: str, empty: bool = False) -> bool:
    """Text that the archive's JSON lines hold verbatim (json.dumps escapes only quotes, backslashes and
    control characters; non-ASCII letters could fold differently) and that the prefilter can look for."""
    return (empty or bool(text)) and text.isascii() and text.isprintable() and '"' not in text and "\\" not in text


_NUMBER = re.compile(r"-?[0-9][0-9.eE+-]*")


def is_number(text: str) -> bool:
    """The text of a number (a JSON number's spelling may differ from it: 1E3 compares as 1000.0)."""
    return _NUMBER.fullmatch(text) is not None


def as_needles(clause: Clause) -> frozenset[str] | None:
    """Substrings, one of which is in any line that satisfies the clause; None when there are none such."""
    kind, values = clause
    if kind == "set":
        return None
    # a number's JSON spelling may differ from its text (1E3 compares as 1000.0); an empty value has no substring
    if kind.startswith(("is:", "starts:")) and any(not v or is_number(v) for v in values):
        return None
    return values


def clause_rank(clause: Clause) -> tuple[int, int]:
    """How selective a clause is by its form alone (lower: more): eventTypes (fewest first), then a field's
    values, then substrings (longest shortest first), then a known id set."""
    kind, values = clause
    if kind == "types":
        return (0, len(values))
    if kind.startswith(("is:", "starts:")):
        return (1, -min((len(v) for v in values), default=0))
    if kind == "needles":
        return (2, -min((len(v) for v in values), default=0))
    return (3, 0)


def primary(req: Requirement) -> Clause | None:
    """The most selective clause of a requirement by its form (`clause_rank`)."""
    return min(req, key=clause_rank) if req else None


def all_of(reqs: list[Requirement]) -> Requirement:
    return tuple(dict.fromkeys(c for r in reqs for c in r))


def any_of(reqs: list[Requirement] | Alternatives) -> Requirement:
    """One conjunctive requirement implied by each of `reqs` (used when alternatives would multiply)."""
    if not reqs or any(not r for r in reqs):
        return ()
    types = [primary(tuple(c for c in r if c[0] == "types")) for r in reqs]
    if all(types):
        return (("types", frozenset().union(*(c[1] for c in types if c))),)
    needles: list[frozenset[str]] = []
    for r in reqs:
        found = next((n for n in map(as_needles, sorted(r, key=clause_rank)) if n is not None), None)
        if found is None:
            return ()
        needles.append(found)
    return (("needles", frozenset().union(*needles)),)


# condition tree --------------------------------------------------------------------------------
def compile_condition(node: ConditionItem | Any) -> Node:
    """pySigma's parsed condition (identifiers already replaced by their detection items) as one Node."""
    if isinstance(node, ConditionFieldEqualsValueExpression):
        return compile_leaf(node)
    if isinstance(node, ConditionNOT):
        pred, _, uses = compile_condition(node.args[0])
        return (lambda e, a: not pred(e, a)), ((),), uses
    if isinstance(node, ConditionAND | ConditionOR):
        return _combine([compile_condition(x) for x in node.args], isinstance(node, ConditionAND))
    raise Unsupported("keyword (full-text) search is not supported")


def _combine(nodes: list[Node], conjunction: bool) -> Node:
    if len(nodes) == 1:
        return nodes[0]
    preds = tuple(p for p, _, _ in nodes)
    uses = any(u for _, _, u in nodes)
    if conjunction:
        return (lambda e, a: all(p(e, a) for p in preds)), _and_alternatives([r for _, r, _ in nodes]), uses
    alts = tuple(dict.fromkeys(alt for _, r, _ in nodes for alt in r))
    if () in alts:
        alts = ((),)
    elif len(alts) > _MAX_ALTERNATIVES:
        alts = (any_of(alts),)
    return (lambda e, a: any(p(e, a) for p in preds)), alts, uses


def _and_alternatives(parts: list[Alternatives]) -> Alternatives:
    """(a or b) and c: (a and c) or (b and c); collapsed to one alternative per part when they multiply."""
    size = 1
    for p in parts:
        size *= len(p)
    if size > _MAX_ALTERNATIVES:
        parts = [(any_of(p),) for p in parts]
    out: list[Requirement] = [()]
    for p in parts:
        out = [all_of([acc, alt]) for acc in out for alt in p]
    return tuple(dict.fromkeys(out))


# rules -----------------------------------------------------------------------------------------
def compile_rule(doc: Any, source: str) -> Rule:
    """One Sigma rule document; raises Unsupported with the reason it cannot be used."""
    if not isinstance(doc, dict):
        raise Unsupported("not a Sigma rule (not a mapping)")
    if doc.get("correlation") or doc.get("type") == "correlation":
        raise Unsupported("a correlation rule (across events) is not a single-event rule: "
                          "remediator.hunt.correlation compiles it")
    if "action" in doc:
        raise Unsupported(f"rule collection action {doc['action']!r} is not supported")
    logsource = doc.get("logsource") or {"product": "okta"}
    product = str(logsource.get("product", "okta")).lower() if isinstance(logsource, dict) else ""
    if product != "okta":
        raise Unsupported(f"log source product {product!r} is not Okta")
    detection = doc.get("detection")
    if not isinstance(detection, dict) or "condition" not in detection:
        raise Unsupported("no detection with a condition")
    if "timeframe" in detection:
        raise Unsupported("aggregation over a timeframe is not supported")
    conditions = detection["condition"] if isinstance(detection["condition"], list) else [detection["condition"]]
    if any("|" in str(c) for c in conditions):
        raise Unsupported("aggregation in the condition ('|') is not supported")
    title = str(doc.get("title") or Path(source).stem)
    # Only what pySigma needs to read the detection: remediator's own rule ids are names, not the UUIDs
    # pySigma's rule model insists on, and other metadata is not used for matching.
    try:
        parsed = SigmaRule.from_dict({"title": title, "logsource": logsource, "detection": detection})
        trees = [c.parse() for c in parsed.detection.parsed_condition]
    except SigmaConditionError as exc:
        raise Unsupported(f"the condition {' / '.join(map(str, conditions))!r}: {exc}") from exc
    except SigmaError as exc:
        raise Unsupported(str(exc)) from exc
    pred, requires, uses = _combine([compile_condition(t) for t in trees], conjunction=False)
    level = str(doc.get("level", "medium")).lower()
    return Rule(id=str(doc.get("id") or Path(source).stem), title=title, severity=LEVELS.get(level, "medium"),
                source=source, match=pred, requires=requires, uses_admins=uses,
                description=str(doc.get("description") or "").strip(), name=str(doc.get("name") or ""))

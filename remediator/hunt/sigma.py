"""The subset of Sigma that Okta rules use, compiled to Python predicates over Okta System Log events.

Supported:
- search identifiers that are a map (fields ANDed) or a list of maps (ORed); value lists are ORed
  (ANDed with `|all`); `null` matches an absent or null field;
- field names are dotted paths into the event, matched case-insensitively (`eventtype` finds
  `eventType`); a list on the way (`target` is a list) matches when any element does;
- strings compare case-insensitively, with Sigma's `*` and `?` wildcards (`\\*`, `\\?` escape them);
  booleans and numbers compare as their JSON text (`'true'` matches `true`);
- modifiers `contains`, `startswith`, `endswith`, `all`, `re` (with `i`, `m`, `s`), `cased`,
  `exists`, `fieldref` (the field equals another field of the same event);
- remediator's extension, named id sets given at match time (so matching stays pure): `admin`
  (`target.id|admin: true` holds when a value is the id of a user holding an admin role) and
  `new_admin` (an admin whose account was created within the hunted range);
- `condition`: `and`, `or`, `not`, parentheses, `1 of x*`, `any of x*`, `all of x*`, `... of them`.

Anything else makes the loader skip the rule with the reason (placeholders such as `%domains%`
that a user must fill in first, `|expand`, other modifiers, keyword searches, aggregations and
correlation rules, log sources other than Okta).

Each compiled rule also states what a raw JSON line must contain to possibly match (its eventTypes,
or substrings); the engine uses that to skip parsing almost every line of an archive.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

#: Named id sets a rule may test with the modifier of the same name: {"admin": ids, "new_admin": ids}.
Known = Mapping[str, frozenset[str]]
Predicate = Callable[[dict[str, Any], Known], bool]
# What a raw line must contain for the rule to possibly match, as clauses that must all hold: each is
# ("types", eventTypes: the event is of one of them), ("needles", lowercase substrings: one of them is
# in the line) or ("set", {name}): one id of that known set is in the line (resolved by the engine).
# No clause: no such guarantee, every event must be parsed and tested.
Clause = tuple[str, frozenset[str]]
Requirement = tuple[Clause, ...]

LEVELS = {"informational": "info", "info": "info", "low": "low", "medium": "medium", "high": "high",
          "critical": "critical"}
_MISSING = object()
_PLACEHOLDER = re.compile(r"%[A-Za-z0-9_.-]+%")
SETS = ("admin", "new_admin")
_KNOWN_MODS = {"contains", "startswith", "endswith", "all", "re", "i", "m", "s", "cased", "exists",
               "fieldref", *SETS}


class Unsupported(ValueError):
    """The rule uses something outside the supported subset; the message is the reason."""


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: str
    source: str
    match: Predicate
    requires: Requirement
    uses_admins: bool = False
    description: str = ""


@dataclass(frozen=True)
class Skipped:
    source: str
    title: str
    reason: str


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


# values --------------------------------------------------------------------------------------
def _tokens(value: str) -> list[str]:
    """Split a Sigma string into literal characters and the wildcards '*' / '?' (escapes honoured)."""
    out, i = [], 0
    while i < len(value):
        c = value[i]
        if c == "\\" and i + 1 < len(value) and value[i + 1] in "*?\\":
            out.append(value[i + 1])
            i += 2
            continue
        out.append("\0*" if c == "*" else "\0?" if c == "?" else c)
        i += 1
    return out


def _literal_fragment(tokens: list[str]) -> str:
    """The longest run of literal characters (what any matching text must contain)."""
    best, run = "", list[str]()
    for t in [*tokens, "\0*"]:
        if t.startswith("\0"):
            best = max(best, "".join(run), key=len)
            run = []
        else:
            run.append(t)
    return best


def _string_test(value: str, how: str, cased: bool) -> Callable[[str], bool]:
    tokens = _tokens(value)
    if any(t.startswith("\0") for t in tokens):
        body = "".join(".*" if t == "\0*" else "." if t == "\0?" else re.escape(t) for t in tokens)
        body = {"contains": f".*{body}.*", "startswith": f"{body}.*", "endswith": f".*{body}"}.get(how, body)
        rx = re.compile(body, re.DOTALL | (0 if cased else re.IGNORECASE))
        return lambda s: rx.fullmatch(s) is not None
    lit = "".join(tokens) if cased else "".join(tokens).lower()
    norm = (lambda s: s) if cased else str.lower
    if how == "contains":
        return lambda s: lit in norm(s)
    if how == "startswith":
        return lambda s: norm(s).startswith(lit)
    if how == "endswith":
        return lambda s: norm(s).endswith(lit)
    return lambda s: norm(s) == lit


def _needle(value: Any, how: str) -> str | None:
    """A lowercase substring the raw JSON line must contain when the field matches `value`."""
    if how == "re":
        return None
    text = as_text(value)
    if text is None:
        return None
    frag = _literal_fragment(_tokens(text)).lower() if isinstance(value, str) else text.lower()
    if not frag or not frag.isascii() or not frag.isprintable() or '"' in frag or "\\" in frag:
        return None
    return frag


def compile_field(spec: str, raw: Any) -> tuple[Predicate, Requirement, bool]:
    """One `field|modifiers: value(s)` entry of a search identifier."""
    field, *mods = spec.split("|")
    if not field:
        raise Unsupported("keyword (full-text) search is not supported")
    for m in mods:
        if m == "expand":
            raise Unsupported(f"'{spec}' is a placeholder to fill in for your environment (|expand)")
        if m not in _KNOWN_MODS:
            raise Unsupported(f"modifier '|{m}' is not supported")
    values = raw if isinstance(raw, list) else [raw]
    for v in values:
        if isinstance(v, str) and _PLACEHOLDER.search(v):
            raise Unsupported(f"value {v!r} is a placeholder to fill in for your environment")
        if isinstance(v, dict | list):
            raise Unsupported(f"nested value in '{spec}' is not supported")
    path = tuple(field.split("."))
    mset = set(mods)
    how = next((m for m in ("contains", "startswith", "endswith", "re") if m in mset), "eq")
    need_all = "all" in mset

    if "exists" in mset:
        want = str(as_text(values[0])).lower() in ("true", "yes", "1")
        return (lambda e, a: bool(resolve(e, path)) == want), (), False
    named = [m for m in SETS if m in mset]
    if named:
        name, want = named[0], str(as_text(values[0])).lower() in ("true", "yes", "1")

        def in_set(e: dict[str, Any], a: Known) -> bool:
            ids = a.get(name, frozenset())
            return any((as_text(x) in ids) for x in resolve(e, path)) == want

        return in_set, ((("set", frozenset([name])),) if want else ()), True
    if "fieldref" in mset:
        others = [tuple(str(v).split(".")) for v in values]

        def fieldref(e: dict[str, Any], a: Known) -> bool:
            mine = {str(as_text(x)).lower() for x in resolve(e, path)}
            hits = [bool(mine & {str(as_text(x)).lower() for x in resolve(e, o)}) for o in others]
            return all(hits) if need_all else any(hits)

        return fieldref, (), False

    tests: list[Callable[[Any], bool]] = []
    for v in values:
        if v is None:
            tests.append(lambda found: not found)
            continue
        if how == "re":
            flags = (re.IGNORECASE if "i" in mset else 0) | (re.MULTILINE if "m" in mset else 0) | \
                (re.DOTALL if "s" in mset else 0)
            text_test: Callable[[str], bool] = re.compile(str(v), flags).search  # type: ignore[assignment]
        else:
            text_test = _string_test(str(as_text(v)), how, "cased" in mset)
        tests.append(_any_text(text_test))

    def leaf(e: dict[str, Any], a: Known) -> bool:
        found = resolve(e, path)
        return all(t(found) for t in tests) if need_all else any(t(found) for t in tests)

    return leaf, _leaf_requirement(field, how, mset, values), False


def _leaf_requirement(field: str, how: str, mods: set[str], values: list[Any]) -> Requirement:
    if any(v is None for v in values):
        return ()
    if field.lower() == "eventtype" and how == "eq" and not mods - {"all"} and all(
            isinstance(v, str) and not any(t.startswith("\0") for t in _tokens(v)) for v in values):
        return (("types", frozenset(v.lower() for v in values)),)
    needles = [_needle(v, how) for v in values]
    if "all" in mods:
        return tuple(("needles", frozenset([n])) for n in needles if n)
    if any(n is None for n in needles):
        return ()
    return (("needles", frozenset(n for n in needles if n)),)


def primary(req: Requirement) -> Clause | None:
    """The most selective clause: eventTypes (fewest first), else the substrings whose shortest is longest,
    else a known id set."""
    types = [c for c in req if c[0] == "types"]
    if types:
        return min(types, key=lambda c: len(c[1]))
    needles = [c for c in req if c[0] == "needles"]
    if needles:
        return max(needles, key=lambda c: min((len(n) for n in c[1]), default=0))
    return req[0] if req else None


def all_of(reqs: list[Requirement]) -> Requirement:
    return tuple(dict.fromkeys(c for r in reqs for c in r))


def any_of(reqs: list[Requirement]) -> Requirement:
    firsts = [primary(r) for r in reqs]
    if not firsts or any(c is None or c[0] == "set" for c in firsts):
        return ()
    kind = "types" if all(c[0] == "types" for c in firsts) else "needles"  # type: ignore[index]
    return ((kind, frozenset().union(*(c[1] for c in firsts))),)  # type: ignore[index]


def compile_search(value: Any) -> tuple[Predicate, Requirement, bool]:
    if isinstance(value, dict):
        parts = [compile_field(str(k), v) for k, v in value.items()]
        preds = [p for p, _, _ in parts]
        return ((lambda e, a: all(p(e, a) for p in preds)), all_of([r for _, r, _ in parts]),
                any(u for _, _, u in parts))
    if isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
        maps = [compile_search(x) for x in value]
        preds = [p for p, _, _ in maps]
        return ((lambda e, a: any(p(e, a) for p in preds)), any_of([r for _, r, _ in maps]),
                any(u for _, _, u in maps))
    raise Unsupported("keyword (full-text) search is not supported")


# condition -----------------------------------------------------------------------------------
class _Condition:
    """Recursive descent over `or` < `and` < `not` < primary (parentheses, `N of x*`, identifiers)."""

    def __init__(self, text: str, searches: dict[str, tuple[Predicate, Requirement, bool]]) -> None:
        if "|" in text:
            raise Unsupported("aggregation in the condition ('|') is not supported")
        self.tokens = re.findall(r"\(|\)|[^\s()]+", text)
        self.pos = 0
        self.searches = searches

    def parse(self) -> tuple[Predicate, Requirement, bool]:
        node = self._or()
        if self.pos != len(self.tokens):
            raise Unsupported(f"cannot parse the condition near {' '.join(self.tokens[self.pos:])!r}")
        return node

    def _peek(self) -> str | None:
        return self.tokens[self.pos].lower() if self.pos < len(self.tokens) else None

    def _next(self) -> str:
        if self.pos >= len(self.tokens):
            raise Unsupported("the condition ends too early")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def _or(self) -> tuple[Predicate, Requirement, bool]:
        nodes = [self._and()]
        while self._peek() == "or":
            self._next()
            nodes.append(self._and())
        return nodes[0] if len(nodes) == 1 else _combine(nodes, any, any_of)

    def _and(self) -> tuple[Predicate, Requirement, bool]:
        nodes = [self._not()]
        while self._peek() == "and":
            self._next()
            nodes.append(self._not())
        return nodes[0] if len(nodes) == 1 else _combine(nodes, all, all_of)

    def _not(self) -> tuple[Predicate, Requirement, bool]:
        if self._peek() == "not":
            self._next()
            pred, _, uses = self._not()
            return (lambda e, a: not pred(e, a)), (), uses
        return self._primary()

    def _primary(self) -> tuple[Predicate, Requirement, bool]:
        tok = self._next()
        if tok == "(":
            node = self._or()
            if self._next() != ")":
                raise Unsupported("unbalanced parentheses in the condition")
            return node
        if tok.lower() in ("1", "any", "all") and self._peek() == "of":
            self._next()
            names = self._expand(self._next())
            nodes = [self.searches[n] for n in names]
            return _combine(nodes, all, all_of) if tok.lower() == "all" else _combine(nodes, any, any_of)
        if tok in self.searches:
            return self.searches[tok]
        raise Unsupported(f"the condition names {tok!r}, which the detection does not define")

    def _expand(self, pattern: str) -> list[str]:
        if pattern == "them":
            names = [n for n in self.searches if not n.startswith("_")]
        else:
            rx = re.compile("".join(".*" if c == "*" else re.escape(c) for c in pattern))
            names = [n for n in self.searches if rx.fullmatch(n)]
        if not names:
            raise Unsupported(f"'{pattern}' in the condition matches no search identifier")
        return names


def _combine(nodes: list[tuple[Predicate, Requirement, bool]], quant: Callable[[Iterable[bool]], bool],
             req: Callable[[list[Requirement]], Requirement]) -> tuple[Predicate, Requirement, bool]:
    preds = [p for p, _, _ in nodes]
    return ((lambda e, a: quant(p(e, a) for p in preds)), req([r for _, r, _ in nodes]),
            any(u for _, _, u in nodes))


# rules ---------------------------------------------------------------------------------------
def compile_rule(doc: Any, source: str) -> Rule:
    """One Sigma rule document; raises Unsupported with the reason it cannot be used."""
    if not isinstance(doc, dict):
        raise Unsupported("not a Sigma rule (not a mapping)")
    if doc.get("correlation") or doc.get("type") == "correlation":
        raise Unsupported("correlation rules (across events) are not supported")
    if "action" in doc:
        raise Unsupported(f"rule collection action {doc['action']!r} is not supported")
    logsource = doc.get("logsource") or {}
    product = str(logsource.get("product", "okta")).lower()
    if product != "okta":
        raise Unsupported(f"log source product {product!r} is not Okta")
    detection = doc.get("detection")
    if not isinstance(detection, dict) or "condition" not in detection:
        raise Unsupported("no detection with a condition")
    if "timeframe" in detection:
        raise Unsupported("aggregation over a timeframe is not supported")
    searches = {str(k): compile_search(v) for k, v in detection.items() if k not in ("condition", "timeframe")}
    conditions = detection["condition"]
    conditions = conditions if isinstance(conditions, list) else [conditions]
    nodes = [_Condition(str(c), searches).parse() for c in conditions]
    pred, requires, uses = nodes[0] if len(nodes) == 1 else _combine(nodes, any, any_of)
    level = str(doc.get("level", "medium")).lower()
    return Rule(id=str(doc.get("id") or Path(source).stem), title=str(doc.get("title") or Path(source).stem),
                severity=LEVELS.get(level, "medium"), source=source, match=pred, requires=requires,
                uses_admins=uses, description=str(doc.get("description") or "").strip())


def load_file(path: str | Path) -> tuple[list[Rule], list[Skipped]]:
    """Every rule document of a YAML file (one rule, or several separated by `---`)."""
    path = Path(path)
    rules: list[Rule] = []
    skipped: list[Skipped] = []
    try:
        docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        return [], [Skipped(str(path), path.stem, f"not valid YAML: {exc}")]
    for doc in docs:
        if doc is None:
            continue
        title = str(doc.get("title") or path.stem) if isinstance(doc, dict) else path.stem
        try:
            rules.append(compile_rule(doc, str(path)))
        except Unsupported as exc:
            skipped.append(Skipped(str(path), title, str(exc)))
        except re.error as exc:
            skipped.append(Skipped(str(path), title, f"invalid regular expression: {exc}"))
    return rules, skipped


def load_path(path: str | Path) -> tuple[list[Rule], list[Skipped]]:
    """A rule file, or every `*.yml`/`*.yaml` below a directory (sorted, recursive)."""
    path = Path(path)
    files = sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml")) if path.is_dir() else [path]
    rules: list[Rule] = []
    skipped: list[Skipped] = []
    for f in files:
        r, s = load_file(f)
        rules += r
        skipped += s
    return rules, skipped


def _any_text(test: Callable[[str], bool]) -> Callable[[list[Any]], bool]:
    """Whether any of the values found, as text, passes `test`."""
    return lambda found: any((s := as_text(x)) is not None and test(s) for x in found)

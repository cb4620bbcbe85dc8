"""SCIM filter expressions as Okta accepts them in `filter` and `search` (RFC 7644 §3.4.2.2, Okta's subset).

Grammar: expr := term ("or" term)*; term := factor ("and" factor)*;
factor := "not"? "(" expr ")" | path "pr" | path op value. Operators are case-insensitive.
Matching over arrays is "any element matches" (SCIM), so `target.id eq "x"` works on log events.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from remediator.timeutil import format_time, parse_time

COMPARE_OPS = frozenset({"eq", "ne", "gt", "ge", "lt", "le", "sw", "co", "ew"})
_TOKEN = re.compile(r'\s*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|([^\s()"]+))')
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_MISSING = object()


class FilterError(ValueError):
    """The expression is not a filter the API understands; the message says where."""


@dataclass(frozen=True)
class Compare:
    path: tuple[str, ...]
    op: str
    value: Any


@dataclass(frozen=True)
class Present:
    path: tuple[str, ...]


@dataclass(frozen=True)
class Logical:
    op: str  # "and" | "or"
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    inner: Node


Node = Compare | Present | Logical | Not


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match:
            raise FilterError(f"cannot read the filter at character {pos}")
        pos = match.end()
        if match.group(1):
            out.append(("(", "("))
        elif match.group(2):
            out.append((")", ")"))
        elif match.group(3) is not None:
            out.append(("str", re.sub(r"\\(.)", r"\1", match.group(3))))
        else:
            out.append(("word", match.group(4)))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise FilterError("the filter ends too early")
        self.i += 1
        return tok

    def keyword(self, word: str) -> bool:
        tok = self.peek()
        if tok and tok[0] == "word" and tok[1].lower() == word:
            self.i += 1
            return True
        return False

    def expr(self) -> Node:
        node = self.term()
        while self.keyword("or"):
            node = Logical("or", node, self.term())
        return node

    def term(self) -> Node:
        node = self.factor()
        while self.keyword("and"):
            node = Logical("and", node, self.factor())
        return node

    def factor(self) -> Node:
        if self.keyword("not"):
            return Not(self.factor())
        kind, text = self.take()
        if kind == "(":
            node = self.expr()
            if self.take()[0] != ")":
                raise FilterError("a parenthesis is not closed")
            return node
        if kind != "word" or not re.fullmatch(r"[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*", text):
            raise FilterError(f"expected an attribute, found {text!r}")
        path = tuple(text.split("."))
        op_kind, op = self.take()
        op = op.lower()
        if op_kind != "word" or (op != "pr" and op not in COMPARE_OPS):
            raise FilterError(f"unknown operator {op!r}")
        if op == "pr":
            return Present(path)
        return Compare(path, op, self.value())

    def value(self) -> Any:
        kind, text = self.take()
        if kind == "str":
            return text
        if kind == "word":
            low = text.lower()
            if low in ("true", "false"):
                return low == "true"
            if low == "null":
                return None
            if re.fullmatch(r"-?\d+(\.\d+)?", text):
                return float(text) if "." in text else int(text)
        raise FilterError(f"expected a value, found {text!r}")


def parse(text: str) -> Node:
    """Parse a filter; raises FilterError on anything Okta would reject as malformed."""
    if not text or not text.strip():
        raise FilterError("the filter is empty")
    parser = _Parser(text)
    node = parser.expr()
    if parser.peek() is not None:
        raise FilterError(f"unexpected {parser.peek()[1]!r}")  # type: ignore[index]
    return node


def walk(node: Node) -> Iterator[Compare | Present]:
    """Every comparison in the expression, for callers that restrict attributes or operators."""
    if isinstance(node, Logical):
        yield from walk(node.left)
        yield from walk(node.right)
    elif isinstance(node, Not):
        yield from walk(node.inner)
    else:
        yield node


def _values(obj: Any, path: tuple[str, ...]) -> list[Any]:
    current = [obj]
    for key in path:
        nxt: list[Any] = []
        for item in current:
            items = item if isinstance(item, list) else [item]
            for element in items:
                if isinstance(element, dict) and key in element:
                    nxt.append(element[key])
        current = nxt
    flat: list[Any] = []
    for item in current:
        flat.extend(item if isinstance(item, list) else [item])
    return flat


def _norm_date(value: str) -> str:
    if len(value) == 24 and value.endswith("Z"):
        return value
    try:
        return format_time(parse_time(value))
    except ValueError:
        return value


def _compare(actual: Any, op: str, expected: Any, ignore_case: bool) -> bool:
    if isinstance(expected, str) and isinstance(actual, str):
        if _DATE.match(expected) and _DATE.match(actual):
            actual, expected = _norm_date(actual), _norm_date(expected)
        elif ignore_case:
            actual, expected = actual.casefold(), expected.casefold()
    elif isinstance(expected, bool) or isinstance(actual, bool) or expected is None or actual is None:
        if op == "eq":
            return actual == expected
        if op == "ne":
            return actual != expected
        return False
    elif not (isinstance(expected, int | float) and isinstance(actual, int | float)):
        actual, expected = str(actual), str(expected)
    if op == "eq":
        return actual == expected
    if op == "ne":
        return actual != expected
    if op in ("sw", "co", "ew"):
        if not isinstance(actual, str):
            return False
        return {"sw": actual.startswith, "ew": actual.endswith, "co": actual.__contains__}[op](expected)
    try:
        return {"gt": actual > expected, "ge": actual >= expected, "lt": actual < expected,
                "le": actual <= expected}[op]
    except TypeError:
        return False


def compile_filter(node: Node, *, ignore_case: bool = False) -> Callable[[Any], bool]:
    """A predicate over JSON objects. `ignore_case` compares string values case-insensitively (search)."""
    if isinstance(node, Logical):
        left, right = compile_filter(node.left, ignore_case=ignore_case), compile_filter(
            node.right, ignore_case=ignore_case)
        if node.op == "and":
            return lambda obj: left(obj) and right(obj)
        return lambda obj: left(obj) or right(obj)
    if isinstance(node, Not):
        inner = compile_filter(node.inner, ignore_case=ignore_case)
        return lambda obj: not inner(obj)
    if isinstance(node, Present):
        path = node.path
        return lambda obj: any(v is not None and v != "" for v in _values(obj, path))
    path, op, expected = node.path, node.op, node.value
    if op == "ne":
        return lambda obj: not any(_compare(v, "eq", expected, ignore_case) for v in _values(obj, path))
    return lambda obj: any(_compare(v, op, expected, ignore_case) for v in _values(obj, path))

"""Bounded work for playbook templates: output size, string growth, format widths, loops and calls.

Why: the Jinja2 sandbox keeps templates away from Python's internals, but not from exhausting the
machine: `'%999999999d' % 1` asks for a 1 GB string (5 GB of memory), `'x'|center(10**9)` the same,
a namespace doubling a string in a loop grows it exponentially, and two nested loops over
`range(100000)` run 10**10 iterations. Each render gets a `Budget`:

- every operation that builds a string or list is checked *before* it runs (format widths and
  precisions, `center`/`ljust`/`zfill` widths, `replace`/`join`/`indent` results, `*` and `+`,
  `~` concatenation), each result is at most `MAX_TEXT` long, and all of them together at most
  `MAX_BUILT` characters per render;
- loop iterations and calls (macros, methods, globals) together at most `MAX_STEPS` per render;
- `**` at most `MAX_POWER_BITS` bits of result.

Limits are far above what a playbook needs (a list of break-glass logins, a date, a few states).
"""

from __future__ import annotations

import contextvars
import re
import string
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from jinja2.sandbox import SecurityError
from jinja2.utils import pass_eval_context

__all__ = [
    "MAX_BUILT",
    "MAX_POWER_BITS",
    "MAX_STEPS",
    "MAX_TEXT",
    "Budget",
    "bounded_filters",
    "budget",
    "check_format",
    "check_printf",
    "check_size",
    "fresh_budget",
]

MAX_TEXT = 1_000_000
"""Longest string or list one operation may build."""
MAX_BUILT = 10_000_000
"""Characters all operations of one render may build together."""
MAX_STEPS = 100_000
"""Loop iterations and calls one render may make."""
MAX_WIDTH = 10_000
"""Largest width or precision in a format specification."""
MAX_POWER_BITS = 100_000

_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")
_DIGITS = re.compile(r"\d+")


@dataclass
class Budget:
    """What one render may still do."""

    steps: int = MAX_STEPS
    built: int = MAX_BUILT

    def step(self, count: int = 1) -> None:
        self.steps -= count
        if self.steps < 0:
            raise SecurityError(f"the template makes more than {MAX_STEPS:,} loop iterations and calls")

    def build(self, size: int) -> None:
        check_size(size)
        self.built -= size
        if self.built < 0:
            raise SecurityError(f"the template builds more than {MAX_BUILT:,} characters in all")


_CURRENT: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("template_budget", default=None)


def budget() -> Budget:
    """The current render's budget (a fresh one outside a render)."""
    current = _CURRENT.get()
    if current is None:
        current = Budget()
        _CURRENT.set(current)
    return current


def fresh_budget() -> contextvars.Token[Budget | None]:
    """Start a render's budget; give the token to `_CURRENT.reset` (see `end_budget`)."""
    return _CURRENT.set(Budget())


def end_budget(token: contextvars.Token[Budget | None]) -> None:
    _CURRENT.reset(token)


def check_size(size: int) -> None:
    if size > MAX_TEXT:
        raise SecurityError(f"result too large: more than {MAX_TEXT:,} characters or items")


def _width(text: str | None, what: str) -> None:
    if text is None:
        return
    if text == "*":
        raise SecurityError(f"a {what} taken from the arguments (*) is not allowed in templates")
    if int(text) > MAX_WIDTH:
        raise SecurityError(f"a {what} of {text} in a format: at most {MAX_WIDTH:,}")


def check_printf(fmt: str) -> None:
    """Refuse `%`-formats with widths or precisions beyond MAX_WIDTH (`'%999999999d' % 1` is 1 GB)."""
    for match in _PRINTF.finditer(fmt):
        _width(match.group(1), "width")
        _width(match.group(2), "precision")


def check_format(fmt: str) -> None:
    """Refuse `str.format` specs with nested fields or widths/precisions beyond MAX_WIDTH."""
    try:
        parts = list(string.Formatter().parse(fmt))
    except ValueError as exc:
        raise SecurityError(f"not a format string: {exc}") from None
    for _, _, spec, _ in parts:
        if not spec:
            continue
        if "{" in spec:
            raise SecurityError("nested fields in a format specification are not allowed in templates")
        for digits in _DIGITS.findall(spec):
            _width(digits, "width or precision")


def _length(value: Any) -> int:
    return len(value) if isinstance(value, str | list | tuple) else len(str(value))


def estimate_join(items: list[Any], sep: str) -> int:
    return sum(_length(item) for item in items) + len(sep) * max(len(items) - 1, 0)


def estimate_replace(text: str, old: str, new: str, count: int | None = None) -> int:
    hits = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * (len(new) - len(old))


def _conversions(fmt: str) -> int:
    return sum(1 for m in _PRINTF.finditer(fmt) if not m.group(0).endswith("%%"))


def estimate_printf(fmt: str, args: Any) -> int:
    """An upper bound of `fmt % args`: each conversion as long as the longest argument, or its width."""
    values = list(args.values()) if isinstance(args, dict) else list(args) if isinstance(args, tuple) else [args]
    longest = max((_length(v) for v in values), default=0)
    return len(fmt) + _conversions(fmt) * max(longest, MAX_WIDTH)


def estimate_format(fmt: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """An upper bound of `fmt.format(*args, **kwargs)` (format_map's mapping is its one argument)."""
    values = [*args, *kwargs.values()]
    if len(args) == 1 and isinstance(args[0], dict):
        values += list(args[0].values())
    longest = max((_length(v) for v in values), default=0)
    fields = sum(1 for _, field, _, _ in string.Formatter().parse(fmt) if field is not None)
    return len(fmt) + fields * max(longest, MAX_WIDTH)


def bounded_loop(iterable: Iterable[Any]) -> Iterator[Any]:
    """A `for` loop's iterable, each iteration charged to the render's budget."""
    current = budget()
    for item in iterable:
        current.step()
        yield item


def bounded_join(parts: Iterable[Any]) -> str:
    """`~` concatenation: the result's size is checked and charged before it is built."""
    items = [str(p) for p in parts]
    budget().build(sum(len(i) for i in items))
    return "".join(items)


def _str_method_size(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    """The size a growing `str` method would produce, or None when the call does not grow strings."""
    self = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", "")
    if not isinstance(self, str):
        return None
    if name in ("center", "ljust", "rjust", "zfill"):
        width = args[0] if args else kwargs.get("width", 0)
        return max(len(self), width) if isinstance(width, int) else None
    if name == "expandtabs":
        size = args[0] if args else kwargs.get("tabsize", 8)
        return len(self) + self.count("\t") * size if isinstance(size, int) else None
    if name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        count = args[2] if len(args) > 2 else kwargs.get("count")
        return estimate_replace(self, args[0], args[1], count if isinstance(count, int) else None)
    if name == "join" and args:
        items = list(args[0])
        check_size(len(items))
        return estimate_join(items, self)
    return None


def checked_call(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Charge one call and refuse a `str` method that would build too much; returns the args to use."""
    current = budget()
    current.step()
    self = getattr(obj, "__self__", None)
    if isinstance(self, str) and getattr(obj, "__name__", "") == "join" and args:
        args = (list(args[0]), *args[1:])  # materialised once, so the estimate sees what join will
    size = _str_method_size(obj, args, kwargs)
    if size is not None:
        current.build(size)
    return args


def bounded_filters(filters: dict[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """Versions of Jinja's growing filters that check their result's size before building it."""
    base = dict(filters)

    def center(value: Any, width: int = 80) -> Any:
        budget().build(max(_length(value), width if isinstance(width, int) else 0))
        return base["center"](value, width)

    def indent(value: Any, width: Any = 4, first: bool = False, blank: bool = False) -> Any:
        text = str(value)
        pad = width if isinstance(width, int) else len(str(width))
        budget().build(len(text) + (text.count("\n") + 1) * max(pad, 0))
        return base["indent"](value, width, first, blank)

    def format_(value: Any, *args: Any, **kwargs: Any) -> Any:
        check_printf(str(value))
        result = base["format"](value, *args, **kwargs)
        budget().build(len(result))
        return result

    # jinja2 passes the eval context to these, as to the originals
    @pass_eval_context
    def join(eval_ctx: Any, value: Any, d: str = "", attribute: Any = None) -> Any:
        items = list(value)
        check_size(len(items))
        budget().build(estimate_join(items, str(d)))
        return base["join"](eval_ctx, items, d, attribute)

    @pass_eval_context
    def replace(eval_ctx: Any, s: Any, old: Any, new: Any, count: int | None = None) -> Any:
        budget().build(estimate_replace(str(s), str(old), str(new), count))
        return base["replace"](eval_ctx, s, old, new, count)

    def batch(value: Any, linecount: int, fill_with: Any = None) -> Any:
        check_size(linecount)
        return base["batch"](value, linecount, fill_with)

    def slice_(value: Any, slices: int, fill_with: Any = None) -> Any:
        check_size(slices)
        budget().step(slices)
        return base["slice"](value, slices, fill_with)

    @pass_eval_context
    def tojson(eval_ctx: Any, value: Any, indent: int | None = None) -> Any:
        if isinstance(indent, int) and indent > 100:
            raise SecurityError("tojson indent: at most 100")
        return base["tojson"](eval_ctx, value, indent)

    return {"center": center, "indent": indent, "format": format_, "join": join, "replace": replace,
            "batch": batch, "slice": slice_, "tojson": tojson}


def bounded_lipsum(lipsum: Callable[..., Any]) -> Callable[..., Any]:
    def bounded(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> Any:
        if not all(isinstance(v, int) for v in (n, min, max)) or n > 100 or max > 1000:
            raise SecurityError("lipsum: at most 100 paragraphs of at most 1,000 words")
        budget().step(n * max)
        return lipsum(n, html, min, max)

    return bounded

"""Jinja2 for playbooks: sandboxed, immutable, strict about undefined names, and native-typed.

`{{ break_glass }}` renders to the list itself, `{{ max }}` to the number: a template that is one
expression yields that expression's value. Text around an expression makes a string, and a string
value is never re-parsed into another type (no `literal_eval` guessing, unlike jinja2.nativetypes):
a login `"0123"` stays a string. Datetimes produced by filters end up as Okta timestamps.

jinja2's NativeEnvironment is not sandboxed, so the environment below combines the sandbox with
the native code generator, as NativeEnvironment does for the plain Environment.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from itertools import chain, islice
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, Undefined, meta, nodes
from jinja2.compiler import Frame
from jinja2.nativetypes import NativeCodeGenerator
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from remediator.playbook import bounds
from remediator.playbook.bounds import MAX_TEXT, budget
from remediator.timeutil import format_time, parse_time

__all__ = ["ENV", "MAX_TEXT", "PlaybookEnvironment", "RenderError", "is_template", "plain", "strings_in"]


class RenderError(ValueError):
    """A template failed: undefined name, syntax, sandbox refusal, bad filter input. One line."""


def _native_concat(values: Iterable[Any]) -> Any:
    head = list(islice(values, 2))
    if not head:
        return ""
    if len(head) == 1:
        return head[0]
    parts: list[str] = []
    size = 0
    for value in chain(head, values):  # the output is checked as it grows, not once it is whole
        text = _text(value)
        size += len(text)
        bounds.check_size(size)
        parts.append(text)
    return "".join(parts)


def _text(value: Any) -> str:
    return format_time(value) if isinstance(value, datetime) else str(value)


def to_datetime(value: Any) -> datetime:
    """A timestamp string (Okta or ISO 8601) or a datetime, as an aware UTC datetime."""
    if isinstance(value, datetime):
        return parse_time(value.isoformat())
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r}")
    return parse_time(value)


def days_before(value: Any, days: int | float) -> str:
    return format_time(to_datetime(value) - timedelta(days=_number(days)))


def days_after(value: Any, days: int | float) -> str:
    return format_time(to_datetime(value) + timedelta(days=_number(days)))


def iso(value: Any) -> str:
    """As Okta writes timestamps: `2022-01-14T00:00:00.000Z`."""
    return format_time(to_datetime(value))


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"not a number of days: {value!r}")
    return float(value)


class _CodeGenerator(NativeCodeGenerator):
    """NativeCodeGenerator, but a lone constant (`{{ 5 }}`, `{{ [1] }}`) keeps its type without literal_eval,
    and `~` concatenation checks the size of what it builds (bounds.py)."""

    def _output_const_repr(self, group: Iterable[Any]) -> str:
        items = list(group)
        if len(items) == 1:
            return repr(items[0])
        return repr("".join(_text(v) for v in items))

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded_join((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class PlaybookEnvironment(ImmutableSandboxedEnvironment):
    """The sandboxed, immutable environment with native types and strict undefined."""

    code_generator_class = _CodeGenerator
    concat = staticmethod(_native_concat)
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    bounded_join = staticmethod(bounds.bounded_join)
    bounded_loop = staticmethod(bounds.bounded_loop)

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
        self.filters.update(to_datetime=to_datetime, days_before=days_before, days_after=days_after, iso=iso)
        self.filters.update(bounds.bounded_filters(self.filters))
        lipsum = self.globals["lipsum"]
        assert callable(lipsum)  # jinja2's own global
        self.globals["lipsum"] = bounds.bounded_lipsum(lipsum)
        self._templates: dict[str, Template] = {}
        self._expressions: dict[str, Any] = {}
        self._names: dict[tuple[str, bool], frozenset[str]] = {}

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        if operator_ == "**":
            if isinstance(right, int | float) and abs(right) > 1000:
                raise SecurityError("exponent too large")
            if isinstance(left, int) and isinstance(right, int) and left.bit_length() * right > bounds.MAX_POWER_BITS:
                raise SecurityError("result too large")
            return operator.pow(left, right)
        if operator_ == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int):
                    budget().build(len(seq) * times)
            return operator.mul(left, right)
        if operator_ == "+" and isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
            budget().build(len(left) + len(right))
        if operator_ == "%" and isinstance(left, str):
            bounds.check_printf(left)
            budget().build(bounds.estimate_printf(left, right))
        return super().call_binop(context, operator_, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        args = bounds.checked_call(__obj, args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Any:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        fmt = value.__self__
        bounds.check_format(fmt)

        def bounded(*args: Any, **kwargs: Any) -> Any:
            budget().build(bounds.estimate_format(fmt, args, kwargs))
            return wrapped(*args, **kwargs)

        return bounded

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Parsed as usual, then every `for` loop's iterable goes through `bounded_loop` (counted)."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Call(nodes.EnvironmentAttribute("bounded_loop"), [loop.iter], [], None, None,
                                   lineno=loop.lineno)
        return tree

    def render(self, source: str, variables: Mapping[str, Any]) -> Any:
        """Render a template string to a native value; raise RenderError."""
        token = bounds.fresh_budget()
        try:
            template = self._templates.get(source)
            if template is None:
                template = self._remember(self._templates, source, self.from_string(source))
            return plain(self.concat(template.root_render_func(template.new_context(dict(variables)))))
        except (TemplateError, ValueError, TypeError, ArithmeticError, LookupError, RecursionError) as exc:
            raise RenderError(_describe(exc)) from None
        finally:
            bounds.end_budget(token)

    def evaluate(self, expression: str, variables: Mapping[str, Any]) -> Any:
        """Evaluate one Jinja2 expression (as `when` holds) to its value; raise RenderError."""
        token = bounds.fresh_budget()
        try:
            compiled = self._expressions.get(expression)
            if compiled is None:
                compiled = self._remember(
                    self._expressions, expression, self.compile_expression(expression, undefined_to_none=False)
                )
            return plain(compiled(**variables))
        except (TemplateError, ValueError, TypeError, ArithmeticError, LookupError, RecursionError) as exc:
            raise RenderError(_describe(exc)) from None
        finally:
            bounds.end_budget(token)

    @staticmethod
    def _remember(cache: dict[Any, Any], key: Any, value: Any) -> Any:
        # Many tenants render the same strings; compiling is the expensive part.
        if len(cache) > 4096:
            cache.clear()
        cache[key] = value
        return value

    def names_in(self, source: str, *, expression: bool = False) -> frozenset[str]:
        """The variable names a template (or an expression) reads; empty when it does not parse."""
        names = self._names.get((source, expression))
        if names is None:
            try:
                text = "{{ " + source + " }}" if expression else source
                names = frozenset(meta.find_undeclared_variables(self.parse(text)))
            except TemplateError:
                names = frozenset()
            self._remember(self._names, (source, expression), names)
        return names


def _describe(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "refused by the sandbox: the template recurses too deeply"
    if isinstance(exc, SecurityError):
        return f"refused by the sandbox: {_one_line(str(exc))}"
    message = _one_line(str(exc)) or type(exc).__name__
    lineno = getattr(exc, "lineno", None)
    if type(exc).__name__ == "TemplateSyntaxError" and lineno and lineno > 1:
        message += f" (template line {lineno})"
    return message


def _one_line(text: str) -> str:
    return " ".join(text.split())


def is_template(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value or "{#" in value)


def strings_in(value: Any) -> Iterator[str]:
    """Every template string inside a value (mappings, lists, scalars)."""
    if is_template(value):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)


def plain(value: Any) -> Any:
    """A rendered value made JSON-shaped: datetimes as Okta timestamps, tuples as lists.

    An undefined value (a name that does not exist, or an attribute the sandbox refuses) raises
    here: native rendering hands such values back instead of printing them, which would raise.
    """
    if isinstance(value, Undefined):
        str(value)  # StrictUndefined raises UndefinedError or the sandbox's SecurityError
        raise TypeError("undefined value")
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, dict):
        return {_key(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"renders to a {type(value).__name__}, not a value")


def _key(key: Any) -> Any:
    if isinstance(key, Undefined):
        str(key)
    return key


ENV = PlaybookEnvironment()

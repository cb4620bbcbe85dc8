"""JSON Schema validation whose errors are one line naming the file, the line and the offending value.

`date-time` is checked with `remediator.timeutil.parse_time`, which accepts what Okta writes
(`2022-01-14T00:00:00.000Z`) and plain ISO 8601; jsonschema's own checker needs an extra package
and is stricter than Okta.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match

from remediator.source import Located, Path_
from remediator.timeutil import parse_time

FORMAT_CHECKER = FormatChecker(formats=())
# Keys whose value would be a secret (compared without case, `_`, `-` and spaces).
SECRET_KEYS = frozenset({"token", "apitoken", "sswstoken", "accesstoken", "privatekey", "clientsecret",
                         "password", "secret"})


def secret_key_path(value: Any, path: Path_ = ()) -> Path_ | None:
    """The path of the first mapping key inside `value` that names a secret, or None."""
    if isinstance(value, dict):
        for key, item in value.items():
            if re.sub(r"[-_\s]", "", str(key)).lower() in SECRET_KEYS:
                return (*path, key)
            found = secret_key_path(item, (*path, key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = secret_key_path(item, (*path, index))
            if found is not None:
                return found
    return None


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if isinstance(value, str):
        parse_time(value)
    return True


_VALIDATORS: dict[int, tuple[dict[str, Any], Draft202012Validator]] = {}


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for `schema`, reused while the same schema object lives (kinds' schemas are class data)."""
    cached = _VALIDATORS.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    made = Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
    if len(_VALIDATORS) > 256:
        _VALIDATORS.clear()
    _VALIDATORS[id(schema)] = (schema, made)
    return made


def first_error(
    instance: Any, schema: dict[str, Any], located: Located, base: Path_ = ()
) -> tuple[str, str] | None:
    """The first error in reading order, as (`file:line`, message); None when `instance` is valid.

    `base` is where `instance` sits in the located document (a state's arguments, say).
    """
    found = first_error_at(instance, schema, located, base)
    return None if found is None else (located.where(found[0]), found[1])


def first_error_at(
    instance: Any, schema: dict[str, Any], located: Located, base: Path_ = ()
) -> tuple[Path_, str] | None:
    """Like first_error, with the path of the offending value in the document instead of its place."""
    errors = list(validator(schema).iter_errors(instance))
    if not errors:
        return None
    # A misspelt key shows twice: as unknown, and as the required key it fails to be. Say the first.
    misspelt = {tuple(e.absolute_path) for e in errors if e.validator == "additionalProperties"}
    errors = [e for e in errors if not (e.validator == "required" and tuple(e.absolute_path) in misspelt)] or errors
    placed = [(located.line((*base, *_error_path(e))), _depth(e), e) for e in errors]
    _, _, error = min(placed, key=lambda item: (item[0], -item[1]))
    return (*base, *_error_path(error)), describe(error)


def _error_path(error: ValidationError) -> Path_:
    path = tuple(error.absolute_path)
    if "propertyNames" in error.relative_schema_path:
        return (*path, error.instance)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        extra = _extras(error)
        if extra:
            return (*path, extra[0])
    return path


def _depth(error: ValidationError) -> int:
    return len(error.absolute_path)


def _extras(error: ValidationError) -> list[Any]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    known = set(schema.get("properties", {}))
    patterns = schema.get("patternProperties", {})
    instance: Any = error.instance
    return [k for k in instance if k not in known and not any(re.search(p, str(k)) for p in patterns)]


def show(value: Any) -> str:
    """A value quoted as the user would write it, shortened to keep the message on one line."""
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


def argument(path: Iterable[Any]) -> str:
    """`steps[0].id` from ("steps", 0, "id")."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def describe(error: ValidationError) -> str:
    """One sentence for one schema error: what is wrong, where inside the value, and the value."""
    path = tuple(error.absolute_path)
    name = f"'{argument(path)}'" if path else "the value"
    handler = _HANDLERS.get(str(error.validator))
    if handler is not None:
        return handler(error, name)
    title = error.schema.get("description") if isinstance(error.schema, dict) else None
    alternatives = error.validator_value if error.validator == "anyOf" else None
    if isinstance(alternatives, list) and all(isinstance(a, dict) and set(a) == {"required"} for a in alternatives):
        keys = ", ".join(show(k) for a in alternatives for k in a["required"])
        return f"{'needs' if not path else name + ' needs'} one of {keys}"
    if error.validator in ("anyOf", "oneOf") and title and title.startswith(("a ", "an ")):
        return f"{name} must be {title}, got {show(error.instance)}"
    if error.context:
        return describe(best_match(error.context))
    return f"{name}: {' '.join(error.message.split())}"


def _format(error: ValidationError, name: str) -> str:
    if error.validator_value == "date-time":
        return f"{name} is not a date: {show(error.instance)}"
    return f"{name} is not a valid {error.validator_value}: {show(error.instance)}"


def _additional(error: ValidationError, name: str) -> str:
    extras = _extras(error)
    extra = extras[0] if extras else "?"
    schema = error.schema if isinstance(error.schema, dict) else {}
    known = sorted(schema.get("properties", {}))
    where = f" in {name}" if error.absolute_path else ""
    close = difflib.get_close_matches(str(extra), known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(known) or 'none'}"
    return f"unknown key {show(extra)}{where} ({hint})"


def _required(error: ValidationError, name: str) -> str:
    required: Any = error.validator_value
    instance: Any = error.instance
    missing = [k for k in required if k not in instance]
    where = f" in {name}" if error.absolute_path else ""
    return f"missing {show(missing[0] if missing else '?')}{where}"


def _type(error: ValidationError, name: str) -> str:
    if "propertyNames" in error.relative_schema_path:
        return f"key {show(error.instance)} in {name} must be text (quote it)"
    value: Any = error.validator_value
    expected = " or ".join(value) if isinstance(value, list) else str(value)
    return f"{name} must be {_article(expected)}, got {show(error.instance)}"


def _article(kind: str) -> str:
    words = {"object": "a mapping", "array": "a list", "integer": "a whole number", "null": "empty"}
    if kind in words:
        return words[kind]
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"


def _const(error: ValidationError, name: str) -> str:
    return f"{name} must be {show(error.validator_value)}, got {show(error.instance)}"


def _enum(error: ValidationError, name: str) -> str:
    values: Any = error.validator_value
    options = ", ".join(show(v) for v in values)
    close = difflib.get_close_matches(str(error.instance), [str(v) for v in values], n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    if "propertyNames" in error.relative_schema_path:
        return f"key {show(error.instance)} in {name} must be one of {options}{hint}"
    return f"{name} must be one of {options}, got {show(error.instance)}{hint}"


def _minimum(error: ValidationError, name: str) -> str:
    return f"{name} must be at least {error.validator_value}, got {show(error.instance)}"


def _maximum(error: ValidationError, name: str) -> str:
    return f"{name} must be at most {error.validator_value}, got {show(error.instance)}"


def _min_length(error: ValidationError, name: str) -> str:
    if error.validator_value == 1:
        return f"{name} must not be empty"
    what = "items" if isinstance(error.instance, list) else "keys" if isinstance(error.instance, dict) else "characters"
    return f"{name} needs at least {error.validator_value} {what}, got {show(error.instance)}"


def _pattern(error: ValidationError, name: str) -> str:
    if "propertyNames" in error.relative_schema_path:
        return f"key {show(error.instance)} in {name} does not match {error.validator_value}"
    return f"{name} does not match {error.validator_value}: {show(error.instance)}"


def _unique(error: ValidationError, name: str) -> str:
    return f"{name} has duplicate items: {show(error.instance)}"


_HANDLERS: dict[str, Callable[[ValidationError, str], str]] = {
    "format": _format,
    "additionalProperties": _additional,
    "required": _required,
    "type": _type,
    "const": _const,
    "enum": _enum,
    "minimum": _minimum,
    "maximum": _maximum,
    "minLength": _min_length,
    "minItems": _min_length,
    "minProperties": _min_length,
    "pattern": _pattern,
    "uniqueItems": _unique,
}

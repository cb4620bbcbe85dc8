"""Build Okta events from a Sigma rule's detection: one that makes a search identifier true or false.

Independent of the matcher under test: values are derived from the rule text (modifiers applied by
hand) and the expected outcome of a condition is computed by Python's own `and`/`or`/`not`.
"""

from __future__ import annotations

import copy
import re
from typing import Any

NO_MATCH = "zz-no-match"
RE_SAMPLES = ("0oa1abcd", "admin@example.com", "hunter2", "x")


def base_event() -> dict[str, Any]:
    return {
        "actor": {"id": "00uneutral", "type": "User", "alternateId": "neutral", "displayName": "Neutral"},
        "client": {"ipAddress": "192.0.2.1"},
        "debugContext": {"debugData": {"requestId": "rneutral", "requestUri": "/neutral"}},
        "displayMessage": "neutral",
        "eventType": "test.neutral",
        "legacyEventType": "test.neutral",
        "outcome": {"result": "SUCCESS", "reason": None},
        "published": "2022-01-22T00:00:00.000Z",
        "securityContext": {"isProxy": None},
        "target": [{"id": "00uneutral", "type": "User", "displayName": "neutral"}],
        "uuid": "00000000-0000-0000-0000-000000000000",
    }


def _value_for(value: Any, mods: list[str]) -> Any:
    text = str(value)
    if text.lower() in ("true", "false") and not mods:
        return text.lower() == "true"  # Okta writes booleans; Sigma compares their text
    if "re" in mods:
        return next(s for s in RE_SAMPLES if re.search(text, s))
    text = text.swapcase() if "cased" not in mods else text  # Sigma strings match case-insensitively
    if "contains" in mods:
        return f"pre {text} post"
    if "startswith" in mods:
        return f"{text} post"
    if "endswith" in mods:
        return f"pre {text}"
    return text


def _false_value(value: Any, mods: list[str]) -> Any:
    if "re" in mods:
        return next(s for s in RE_SAMPLES if not re.search(str(value), s))
    return NO_MATCH


def make(search: Any, truth: bool) -> dict[str, Any]:
    """Field assignments ({dotted path: value}) that make one search identifier `truth`."""
    if isinstance(search, list):  # list of maps: OR
        if truth:
            return make(search[0], True)
        out: dict[str, Any] = {}
        for m in search:
            out.update(make(m, False))
        return out
    out = {}
    for spec, raw in search.items():
        field, *mods = spec.split("|")
        values = raw if isinstance(raw, list) else [raw]
        if truth:
            out[field] = (" ".join(str(_value_for(v, mods)) for v in values) if "all" in mods
                          else _value_for(values[0], mods))
        else:
            out[field] = _false_value(values[0], mods)
    return out


def build(assignments: dict[str, Any]) -> dict[str, Any]:
    event = copy.deepcopy(base_event())
    for path, value in assignments.items():
        keys = path.split(".")
        node: Any = event
        for i, key in enumerate(keys[:-1]):
            node = event["target"][0] if i == 0 and key == "target" else node.setdefault(key, {})
        node[keys[-1]] = value
    return event


def oracle(condition: str, truth: dict[str, bool]) -> bool:
    """Evaluate a Sigma condition with Python's boolean operators (an independent reference)."""
    def of(m: re.Match[str]) -> str:
        quant, pattern = m.group(1), m.group(2)
        rx = re.compile(pattern.replace("*", ".*")) if pattern != "them" else re.compile(".*")
        vals = [str(v) for k, v in truth.items() if rx.fullmatch(k)]
        return f"({' or '.join(vals)})" if quant != "all" else f"({' and '.join(vals)})"

    expr = re.sub(r"\b(1|all|any) of (\S+)", of, condition)
    expr = re.sub(r"[A-Za-z_][\w*]*", lambda m: m.group(0) if m.group(0) in ("and", "or", "not", "True", "False")
                  else str(truth[m.group(0)]), expr)
    return bool(eval(expr, {"__builtins__": {}}))  # a test oracle over the rule's own condition

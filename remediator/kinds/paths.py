"""Dotted paths into Okta objects, so that a change shows only the fields it changes.

`actions.signon.requireFactor`, or with a list selector `settings.authenticators[key=okta_verify].enroll.self`.
`get_path` returns None for anything missing; `set_path` creates what is missing (a selected list item
is appended as `{key: value}`) and, for the value None, removes the leaf.
"""

from __future__ import annotations

import copy
import re
from typing import Any

_TOKEN = re.compile(r"\[([^=\]]+)=([^\]]*)\]|([^.\[\]]+)")
_NAME = re.compile(r"[^.\[\]=\s]+")
_SELECTOR = re.compile(r"\[([^=\]\s]+)=([^\]]*)\]")


def parse(path: str) -> list[tuple[str, str] | str]:
    """The tokens of a path written by a person, refusing what `tokens` would silently skip.

    Raises ValueError saying what is wrong: an empty path or name, a stray character, a path that
    starts with a selector or ends with one (a selector picks an item; the path must name what to set).
    """
    if not isinstance(path, str) or not path:
        raise ValueError("an empty path")
    out: list[tuple[str, str] | str] = []
    pos, want_name = 0, True
    while pos < len(path):
        if want_name:
            name = _NAME.match(path, pos)
            if name is None:
                raise ValueError(f"{path!r}: a name is expected at character {pos + 1}")
            out.append(name.group())
            pos, want_name = name.end(), False
        elif path[pos] == ".":
            pos, want_name = pos + 1, True
        else:
            selector = _SELECTOR.match(path, pos)
            if selector is None:
                raise ValueError(f"{path!r}: '.' or '[key=value]' is expected at character {pos + 1}")
            out.append((selector.group(1), selector.group(2)))
            pos = selector.end()
    if want_name:
        raise ValueError(f"{path!r} ends with '.'")
    if isinstance(out[-1], tuple):
        raise ValueError(f"{path!r} ends with a selector: name the attribute of the item to set")
    return out


def tokens(path: str) -> list[tuple[str, str] | str]:
    out: list[tuple[str, str] | str] = []
    for match in _TOKEN.finditer(path):
        key, value, name = match.groups()
        out.append((key, value) if key is not None else name)
    return out


def _select(items: Any, key: str, value: str) -> Any:
    if not isinstance(items, list):
        return None
    return next((i for i in items if isinstance(i, dict) and str(i.get(key)) == value), None)


def get_path(obj: Any, path: str) -> Any:
    for tok in tokens(path):
        if obj is None:
            return None
        obj = _select(obj, *tok) if isinstance(tok, tuple) else (obj.get(tok) if isinstance(obj, dict) else None)
    return obj


def set_path(obj: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `obj` with `path` set to `value` (None removes it)."""
    root = copy.deepcopy(obj)
    toks = tokens(path)
    node: Any = root
    for i, tok in enumerate(toks[:-1]):
        nxt = toks[i + 1]
        if isinstance(tok, tuple):
            item = _select(node, *tok)
            if item is None:
                item = {tok[0]: tok[1]}
                node.append(item)
            node = item
        else:
            if not isinstance(node.get(tok), (dict, list)):
                node[tok] = [] if isinstance(nxt, tuple) else {}
            node = node[tok]
    leaf = toks[-1]
    if isinstance(leaf, tuple):
        raise ValueError(f"a path cannot end with a selector: {path!r}")
    if value is None:
        node.pop(leaf, None)
    else:
        node[leaf] = value
    return root


def project(obj: Any, paths: Any) -> dict[str, Any]:
    return {p: get_path(obj, p) for p in paths}

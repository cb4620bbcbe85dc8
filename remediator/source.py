"""Safe YAML with the line of every key, item and value kept, so that every error can name `file:line`.

The data stays plain dicts, lists and scalars (JSON-shaped); the lines live beside it in a map from
the path of a node (`("states", 3, "okta.mfa", "enrollment_required", 0)`) to its line. A path that
a template later grows (a string rendered into a list) is found by its longest known prefix.

Two departures from PyYAML's SafeLoader, both for safety of the input:
- a key written twice in one mapping is an error (YAML says so; PyYAML silently keeps the last one);
- timestamps stay the strings the author wrote (`2022-01-21` is not turned into a `date`), so that
  dates are parsed once, by `remediator.timeutil`, and quoted back exactly in errors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from remediator.errors import InputError

Path_ = tuple[Any, ...]
"""The path of a node: mapping keys and sequence indexes from the document root."""


class YamlError(ValueError):
    """A document that is not valid YAML for us; `line` is 1-based (None when unknown)."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and keeps timestamps as written."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                raise YamlError("a mapping key must be a plain value", key_node.start_mark.line + 1)
            if key in seen:
                raise YamlError(
                    f"duplicate key {key!r} (first written on line {seen[key]})", key_node.start_mark.line + 1
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def _bounded_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    """An integer, or a YAML error at its line when it has more digits than Python reads (4,300)."""
    try:
        return yaml.SafeLoader.construct_yaml_int(loader, node)
    except ValueError:
        raise yaml.constructor.ConstructorError(
            None, None, f"an integer of {len(str(node.value))} characters: more digits than any valid value has",
            node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:int", _bounded_int)


@dataclass(frozen=True)
class Located:
    """A YAML document and where each of its nodes was written."""

    name: str  # the file as the user named it, or "-e KEY"
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict, repr=False, compare=False)

    def line(self, path: Path_ = ()) -> int:
        """Line of `path`, or of its closest written ancestor (a template may have grown the path)."""
        path = tuple(path)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def where(self, path: Path_ = ()) -> str:
        return f"{self.name}:{self.line(path)}"


def load_yaml(text: str, name: str) -> Located:
    """Parse one YAML document safely; raise YamlError (with a line) when it is not valid."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except YamlError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "not valid YAML"
        raise YamlError(f"not valid YAML: {problem}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"not valid YAML: {_one_line(str(exc))}", None) from None
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {}
    if node is not None:
        _Recorder(lines, loader.construct_object).walk(node, (), frozenset())
    return Located(name, data, lines)


MAX_NODES = 200_000
"""Aliases can make a small file expand enormously ("billion laughs"); no playbook needs more nodes."""


@dataclass
class _Recorder:
    lines: dict[Path_, int]
    construct: Callable[..., Any]
    visited: int = 0

    def walk(self, node: yaml.Node, path: Path_, ancestors: frozenset[int]) -> None:
        self.visited += 1
        if self.visited > MAX_NODES:
            raise YamlError(f"the document expands to more than {MAX_NODES} nodes (aliases?)", node.start_mark.line + 1)
        if id(node) in ancestors:
            raise YamlError("an alias refers to a node that contains it", node.start_mark.line + 1)
        self.lines.setdefault(path, node.start_mark.line + 1)
        inner = ancestors | {id(node)}
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                child = (*path, self.construct(key_node, deep=True))
                # The key's line is the entry's line; a later entry (after a merge) wins, as in the data.
                self.lines[child] = key_node.start_mark.line + 1
                self.walk(value_node, child, inner)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.walk(item, (*path, index), inner)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def read_source(path: str | Path, error: type[InputError]) -> tuple[Located, str]:
    """Read and parse a YAML file; return it located and the SHA-256 of its bytes."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise error("no such file", where=name) from None
    except IsADirectoryError:
        raise error("is a directory, not a file", where=name) from None
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror}", where=name) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"not UTF-8 text (byte {exc.start})", where=name) from None
    try:
        located = load_yaml(text, name)
    except YamlError as exc:
        raise error(exc.message, where=f"{name}:{exc.line}" if exc.line else name) from None
    return located, hashlib.sha256(raw).hexdigest()

"""Loading a playbook: read, parse (safe YAML with lines), check its structure and its kinds.

Templates are not rendered here: that needs the tenant's variables (see `render.py`). What can be
checked without them is checked here, so that `remediator validate` fails early and precisely.
"""

from __future__ import annotations

import copy
import difflib
import functools
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from remediator.errors import PlaybookError
from remediator.kinds import REGISTRY
from remediator.schema import IMPORT_STATE, STATE_KEYS, playbook_schema
from remediator.source import Located, read_source
from remediator.validation import first_error_at, secret_key_path, show


@dataclass(frozen=True)
class Part:
    """One state of the playbook, in the file it was written in (`import:` brings states of other files)."""

    located: Located
    index: int

    @property
    def raw(self) -> Any:
        return self.located.data["states"][self.index]


@dataclass(frozen=True)
class Playbook:
    """A loaded, structurally valid playbook: the raw (untemplated) data and where each node was written.

    `parts` are its states in order with those of imported playbooks in place of each `import:`;
    `layers` are the files whose `vars` apply, imported ones first (the importer's own vars win).
    """

    path: Path
    sha256: str
    name: str
    data: dict[str, Any]
    source: Located | None = field(default=None, repr=False, compare=False)
    parts: tuple[Part, ...] = field(default=(), repr=False, compare=False)
    layers: tuple[Located, ...] = field(default=(), repr=False, compare=False)

    @property
    def located(self) -> Located:
        return self.source or Located(str(self.path), self.data)

    @property
    def states(self) -> tuple[Part, ...]:
        if self.parts:
            return self.parts
        return tuple(Part(self.located, i) for i in range(len(self.data.get("states") or ())))

    @property
    def var_layers(self) -> tuple[Located, ...]:
        return self.layers or (self.located,)

    def git_info(self) -> dict[str, Any] | None:
        """{"commit": HEAD, "dirty": the playbook differs from HEAD} when the file is in a git work tree."""
        return git_info(self.path)


def load_playbook(path: str | Path, _chain: tuple[tuple[Path, str], ...] = ()) -> Playbook:
    """Load a playbook and check everything that does not need variables; raise PlaybookError.

    A state `- import: OTHER.yml` (a path relative to this file) stands for the other playbook's
    states, in order; its `vars` apply under this file's. An import cycle is refused naming both files.
    """
    located, digest = read_source(path, PlaybookError)
    data = located.data
    if not isinstance(data, dict):
        raise PlaybookError(
            f"a playbook is a mapping with name, vars and states, got {show(data)}", where=located.where()
        )
    secret = secret_key_path(data.get("vars"), ("vars",))
    if secret is not None:
        raise PlaybookError(
            f"variable {str(secret[-1])!r} holds a secret, and secrets are never written in a playbook "
            "(the inventory names where each tenant's credential is)",
            where=located.where(secret),
        )
    secret = secret_key_path(data.get("states"), ("states",))
    if secret is not None:  # e.g. a Splunk HEC token: a kind that needs one reads it from the environment
        raise PlaybookError(f"{str(secret[-1])!r} holds a secret, and secrets are never written in a playbook "
                            "(name the environment variable that holds it)", where=located.where(secret))
    outline, state_schema = _structure_schemas()
    problems = [*_structure_problems(located, outline), *_kind_problems(located)]
    if isinstance(data.get("states"), list):
        problems += _state_problems(located, state_schema)
    if problems:
        line, message = min(problems, key=lambda p: p[0])
        raise PlaybookError(message, where=f"{located.name}:{line}")
    parts, layers = _expand_imports(located, Path(path), _chain)
    return Playbook(path=Path(path), sha256=digest, name=data["name"], data=data, source=located,
                    parts=parts, layers=layers)


IMPORT = "import"


def is_import(state: Any) -> bool:
    return isinstance(state, dict) and IMPORT in state


def _expand_imports(located: Located, path: Path, chain: tuple[tuple[Path, str], ...]
                    ) -> tuple[tuple[Part, ...], tuple[Located, ...]]:
    """This file's states with each `import:` replaced by the imported playbook's, and the vars layers."""
    here = path.resolve()
    chain = (*chain, (here, located.name))
    parts: list[Part] = []
    layers: list[Located] = []
    for index, state in enumerate(located.data["states"]):
        if not is_import(state):
            parts.append(Part(located, index))
            continue
        where = located.where(("states", index, IMPORT))
        target = (path.parent / str(state[IMPORT]))
        for seen, name in chain:  # `name` as its importer wrote it
            if seen == target.resolve():
                raise PlaybookError(f"import cycle: {located.name} imports {name}, which imports "
                                    f"{located.name}", where=where)
        if not target.is_file():
            raise PlaybookError(f"imports {target}: no such file", where=where)
        imported = load_playbook(target, chain)
        parts.extend(imported.states)
        layers.extend(layer for layer in imported.var_layers if layer not in layers)
    return tuple(parts), (*layers, located)


@functools.cache
def _structure_schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    """(the playbook's own keys, with each state only required to be a mapping; one state's keys)."""
    schema = playbook_schema(with_kinds=False)
    outline = copy.deepcopy(schema)
    outline["properties"]["states"]["items"] = {"type": "object", "description": "a mapping (name, kind, when, tags)"}
    return outline, schema["$defs"]["state"]


def _structure_problems(located: Located, outline: dict[str, Any]) -> list[tuple[int, str]]:
    found = first_error_at(located.data, outline, located)
    return [] if found is None else [(located.line(found[0]), found[1])]


def _state_problems(located: Located, state_schema: dict[str, Any]) -> list[tuple[int, str]]:
    """Each state on its own, so that the message names the state rather than `states[3]`."""
    for index, state in enumerate(located.data["states"]):
        if not isinstance(state, dict):
            continue  # reported by _structure_problems
        if is_import(state):
            found = first_error_at(state, _import_schema(), located, ("states", index))
            if found is not None:
                return [(located.line(found[0]), f"{state_label(state, index)}: {found[1]}")]
            continue
        found = first_error_at(state, state_schema, located, ("states", index))
        if found is not None:
            return [(located.line(found[0]), f"{state_label(state, index)}: {found[1]}")]
    return []


def _kind_problems(located: Located) -> list[tuple[int, str]]:
    states = located.data.get("states")
    if not isinstance(states, list):
        return []
    registry = REGISTRY
    problems = []
    for index, state in enumerate(states):
        if not isinstance(state, dict) or is_import(state):
            continue
        label = state_label(state, index)
        keys = [k for k in state if k not in STATE_KEYS]
        unknown = [k for k in keys if k not in registry]
        if unknown:
            line = located.line(("states", index, unknown[0]))
            problems.append((line, f"{label}: {unknown_key(unknown[0], registry)}"))
        elif not keys:
            kinds = ", ".join(sorted(registry)) or "none registered"
            problems.append((located.line(("states", index)), f"{label} names no kind (kinds: {kinds})"))
        elif len(keys) > 1:
            line = located.line(("states", index, keys[1]))
            problems.append((line, f"{label} names two kinds, {keys[0]!r} and {keys[1]!r}: a state has exactly one"))
    return problems


def _import_schema() -> dict[str, Any]:
    return IMPORT_STATE


def state_label(state: dict[str, Any], index: int) -> str:
    name = state.get("name")
    return f"state {name!r}" if isinstance(name, str) and name else f"state #{index + 1}"


def unknown_key(key: Any, registry: Mapping[str, Any]) -> str:
    text = str(key)
    close = difflib.get_close_matches(text, [*registry, *STATE_KEYS], n=1, cutoff=0.6)
    if close:
        what = "kind" if close[0] in registry else "key"
        return f"unknown {what} {show(key)} (did you mean {close[0]!r}?)"
    kinds = ", ".join(sorted(registry)) or "none registered"
    return f"unknown kind {show(key)} (kinds: {kinds})"


def git_info(path: Path) -> dict[str, Any] | None:
    """HEAD and whether `path` differs from it; None outside a git work tree or without git."""
    target = Path(path).resolve()
    # No optional locks: other people commit to the same work tree while plans run.
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(target.parent), *args],
                capture_output=True, text=True, timeout=10, env=env, check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "--verify", "--quiet", "HEAD")
    if not commit:
        return None
    status = git("status", "--porcelain", "--untracked-files=all", "--ignored=matching", "--", str(target))
    if status is None:
        return None
    return {"commit": commit, "dirty": bool(status)}

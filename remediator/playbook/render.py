"""Rendering a playbook for one tenant: variables by precedence, `tags`, `when`, arguments, schemas.

Precedence: the playbook's `vars`, then the tenant's inventory `vars`, then `-e` (the later wins).
Variables may use other variables; each is rendered once, when first needed, and a cycle is an
error naming the variables in it. Every error names the place it comes from: `file:line` for the
playbook and inventory, `-e KEY` for the command line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from remediator.errors import InputError, PlaybookError
from remediator.kinds import REGISTRY
from remediator.playbook.loader import Playbook, state_label, unknown_key
from remediator.playbook.templating import ENV, RenderError, is_template, plain, strings_in
from remediator.schema import STATE_KEYS
from remediator.source import Located, Path_, YamlError, load_yaml
from remediator.validation import first_error_at, show

VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class StateSpec:
    """One state rendered for one tenant. `when` False means: skipped, arguments left unrendered."""

    name: str
    kind: str
    args: dict[str, Any]
    when: bool
    tags: tuple[str, ...]
    where: str  # "file:line"


@dataclass(frozen=True)
class RenderedPlaybook:
    states: tuple[StateSpec, ...]
    variables: dict[str, Any]
    max_changes: int | None


def parse_extra_vars(pairs: Iterable[str]) -> dict[str, Any]:
    """`-e KEY=VALUE` options, VALUE read as YAML (`n=3` a number, `l=[a, b]` a list, `s=` empty)."""
    result: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep:
            raise InputError("expected KEY=VALUE", where=f"-e {pair}")
        if not key:
            raise InputError("the variable name before '=' is empty", where="-e")
        if not VAR_NAME.match(key):
            raise InputError("a variable name has letters, digits and _ and does not start with a digit",
                             where=f"-e {key}")
        result[key] = _extra_value(key, text)
    return result


def _extra_value(key: str, text: str) -> Any:
    if not text.strip():
        return ""
    if text.lstrip().startswith(("{{", "{%")):
        return text  # a template, which YAML would misread as a mapping
    try:
        return load_yaml(text, f"-e {key}").data
    except YamlError as exc:
        message = exc.message.removeprefix("not valid YAML: ")
        raise InputError(f"the value is not valid YAML: {message}", where=f"-e {key}") from None


@dataclass(frozen=True)
class _Var:
    value: Any
    where: str
    source: Located | None = None
    path: Path_ = ()


class Variables:
    """The variables of one tenant, each rendered lazily once, with cycle detection."""

    def __init__(self, raw: Mapping[str, _Var]) -> None:
        self._raw = dict(raw)
        self._done: dict[str, Any] = {}

    @classmethod
    def merge(cls, pb: Playbook, tenant_vars: Mapping[str, Any], extra_vars: Mapping[str, Any]) -> Variables:
        raw: dict[str, _Var] = {}
        for located in pb.var_layers:  # imported playbooks' vars first: the importer's win
            for name, value in (located.data.get("vars") or {}).items():
                path = ("vars", name)
                raw[name] = _Var(value, located.where(path), located, path)
        places = getattr(tenant_vars, "places", {})
        for name, value in tenant_vars.items():
            raw[name] = _Var(value, places.get(name, f"tenant variable {name}"))
        for name, value in extra_vars.items():
            raw[name] = _Var(value, f"-e {name}")
        return cls(raw)

    def origins(self, template: Any, here: str) -> str:
        """" (breach_date from -e breach_date)": where the variables a template reads came from, if elsewhere."""
        names = {n for text in strings_in(template) for n in ENV.names_in(text)} & self._raw.keys()
        file = here.rsplit(":", 1)[0]
        elsewhere = [n for n in sorted(names) if self._raw[n].where.rsplit(":", 1)[0] != file]
        notes = [f"{n} from {self._raw[n].where}" for n in elsewhere]
        return f" ({', '.join(notes)})" if notes else ""

    def resolve_all(self) -> dict[str, Any]:
        for name in self._raw:
            self._get(name, ())
        return dict(self._done)

    def _get(self, name: str, chain: tuple[str, ...]) -> Any:
        if name in self._done:
            return self._done[name]
        var = self._raw[name]
        if name in chain:
            loop = " -> ".join((*chain[chain.index(name):], name))
            raise PlaybookError(f"variable {name!r} depends on itself: {loop}", where=var.where)
        needs = {n for text in strings_in(var.value) for n in ENV.names_in(text)} & self._raw.keys()
        for other in sorted(needs):
            self._get(other, (*chain, name))
        try:
            value = render_deep(var.value, self._done)
        except _Failed as failed:
            where = var.source.where((*var.path, *failed.path)) if var.source else var.where
            note = self.origins(var.value, where)
            raise PlaybookError(f"variable {name!r}: {failed.message}{note}", where=where) from None
        self._done[name] = value
        return value


class _Failed(Exception):
    def __init__(self, path: Path_, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def render_deep(value: Any, variables: Mapping[str, Any], path: Path_ = (), *, omit_null: bool = False) -> Any:
    """Render every template string inside `value`; raise _Failed with the path of the bad string.

    With `omit_null`, a mapping entry whose template renders to null is left out, so that
    `until: "{{ evidence_until }}"` with `evidence_until: null` means "the kind's default".
    """
    if is_template(value):
        try:
            return ENV.render(value, variables)
        except RenderError as exc:
            raise _Failed(path, f"{show(value)}: {exc}") from None
    if isinstance(value, dict):
        rendered = {k: render_deep(v, variables, (*path, k), omit_null=omit_null) for k, v in value.items()}
        if omit_null:
            rendered = {k: v for k, v in rendered.items() if not (v is None and is_template(value[k]))}
        return rendered
    if isinstance(value, list):
        return [render_deep(v, variables, (*path, i), omit_null=omit_null) for i, v in enumerate(value)]
    return value


def render_states(
    pb: Playbook, tenant_vars: Mapping[str, Any], extra_vars: Mapping[str, Any], *, tags: set[str] | None = None
) -> RenderedPlaybook:
    """Render the playbook with one tenant's variables; check each state's arguments against its kind."""
    merged = Variables.merge(pb, tenant_vars, extra_vars)
    variables = plain(merged.resolve_all())
    renderer = _StateRenderer(pb.located, variables, REGISTRY, merged)
    states = []
    first_seen: dict[str, str] = {}
    for part in pb.states:
        in_file = replace(renderer, located=part.located)
        for spec in in_file.states(part.index, part.raw, tags):
            if spec.name in first_seen:
                file, line = first_seen[spec.name].rsplit(":", 1)
                first = f"on line {line}" if file == spec.where.rsplit(":", 1)[0] else f"at {file}:{line}"
                raise PlaybookError(f"state name {spec.name!r} is used twice (first {first})", where=spec.where)
            first_seen[spec.name] = spec.where
            states.append(spec)
    return RenderedPlaybook(tuple(states), variables, renderer.max_changes(pb.data.get("max_changes")))


@dataclass
class _StateRenderer:
    located: Located
    variables: dict[str, Any]
    registry: Mapping[str, Any]
    merged: Variables

    def _render(self, value: Any, path: Path_, what: str, *, omit_null: bool = False) -> Any:
        try:
            return render_deep(value, self.variables, path, omit_null=omit_null)
        except _Failed as failed:
            where = self.located.where(failed.path)
            note = self.merged.origins(_at(value, failed.path[len(path):]), where)
            raise PlaybookError(f"{what}: {failed.message}{note}", where=where) from None

    def _fail(self, path: Path_, message: str) -> PlaybookError:
        return PlaybookError(message, where=self.located.where(path))

    def max_changes(self, raw: Any) -> int | None:
        if raw is None:
            return None
        value = self._render(raw, ("max_changes",), "max_changes")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self._fail(("max_changes",), f"max_changes must be a whole number, 0 or more, got {show(value)}")
        return value

    def states(self, index: int, raw: dict[str, Any], only_tags: set[str] | None) -> list[StateSpec]:
        """The state at `index`, or one per item of its `loop` (named with the item unless its name uses it)."""
        if "loop" not in raw:
            spec = self.state(index, raw, only_tags)
            return [spec] if spec is not None else []
        path: Path_ = ("states", index, "loop")
        label = state_label(raw, index)
        items = self._render(raw["loop"], path, f"{label}: loop")
        if not isinstance(items, list):
            raise self._fail(path, f"{label}: loop must give a list, got {show(items)}")
        out = []
        for item in items:
            looped = replace(self, variables={**self.variables, "item": item})
            spec = looped.state(index, raw, only_tags)
            if spec is None:
                continue
            if not any("item" in ENV.names_in(t) for t in strings_in(raw.get("name"))):
                spec = replace(spec, name=f"{spec.name} ({item if isinstance(item, str) else show(item)})")
            out.append(spec)
        return out

    def state(self, index: int, raw: dict[str, Any], only_tags: set[str] | None) -> StateSpec | None:
        base: Path_ = ("states", index)
        label = state_label(raw, index)
        kind = next(k for k in raw if k not in STATE_KEYS)
        if kind not in self.registry:
            raise self._fail((*base, kind), f"{label}: {unknown_key(kind, self.registry)}")
        name = self._render(raw["name"], (*base, "name"), f"{label}: name")
        if not isinstance(name, str) or not name.strip():
            raise self._fail((*base, "name"), f"{label}: the name must be text, got {show(name)}")
        label = f"state {name!r}"
        tags = self._tags(raw.get("tags"), (*base, "tags"), label)
        if only_tags is not None and not only_tags & set(tags):
            return None
        when = self._when(raw.get("when", True), (*base, "when"), label)
        args = raw[kind] if raw[kind] is not None else {}
        if when:
            args = self._render(args, (*base, kind), f"{label}: {kind}", omit_null=True)
            found = _check(args, self.registry[kind].schema, self.located, (*base, kind))
            if found is None:
                checked = self.registry[kind].check(args)
                found = None if checked is None else ((*base, kind, *checked[0]), checked[1])
            if found is not None:
                at, message = found
                where = self.located.where(at)
                note = self.merged.origins(_at(raw[kind], at[len(base) + 1:]), where)
                raise PlaybookError(f"{kind}: {message}{note}", where=where)
        return StateSpec(name, kind, args, when, tags, self.located.where(base))

    def _tags(self, raw: Any, path: Path_, label: str) -> tuple[str, ...]:
        if raw is None:
            return ()
        value = self._render(raw, path, f"{label}: tags")
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(t, str) and t for t in value):
            raise self._fail(path, f"{label}: tags must be a list of words, got {show(value)}")
        return tuple(value)

    def _when(self, raw: Any, path: Path_, label: str) -> bool:
        if isinstance(raw, bool):
            return raw
        try:
            value = ENV.render(raw, self.variables) if is_template(raw) else ENV.evaluate(raw, self.variables)
        except RenderError as exc:
            raise self._fail(path, f"{label}: when {show(raw)}: {exc}") from None
        if isinstance(value, str):
            raise self._fail(path, f"{label}: when {show(raw)} must give true or false, got {show(value)}")
        return bool(value)


def _at(value: Any, path: Path_) -> Any:
    """The raw value at `path`, or at its deepest existing ancestor (a template may have made the rest)."""
    for part in path:
        found = (isinstance(value, dict) and part in value) or (
            isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)
        )
        if not found:
            break
        value = value[part]
    return value


_VALID: dict[tuple[int, str], dict[str, Any]] = {}


def _check(args: Any, schema: dict[str, Any], located: Located, base: Path_) -> tuple[Path_, str] | None:
    """first_error_at, remembering valid arguments: many tenants render the same ones."""
    key = (id(schema), json.dumps(args, sort_keys=True, default=str))
    if _VALID.get(key) is schema:
        return None
    found = first_error_at(args, schema, located, base)
    if found is None:
        if len(_VALID) > 4096:
            _VALID.clear()
        _VALID[key] = schema
    return found

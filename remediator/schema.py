"""The JSON Schemas of playbooks, inventories and plans, generated from the code that reads them.

`schemas/playbook.schema.json` is for editors and CI: every registered kind's arguments are
included, and any argument may instead be a Jinja2 template (its type is only known after
rendering, when the loader checks it against the kind's own schema). The loader itself checks a
playbook's structure before templating with `playbook_schema(None)`: the same document without
the kinds, whose keys it checks itself to suggest the closest name.

    python -m remediator.schema            rewrite schemas/*.json from the registry
    python -m remediator.schema --check    exit 1 when the committed files are stale
"""

from __future__ import annotations

import copy
import inspect
import json
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from remediator.inventory import INVENTORY_SCHEMA
from remediator.kinds import REGISTRY
from remediator.plan import PLAN_SCHEMA

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
VAR_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
TEMPLATE: dict[str, Any] = {"type": "string", "pattern": r"\{\{|\{%", "description": "a Jinja2 template"}
STATE_KEYS = ("name", "when", "tags", "loop")
ROOT = Path(__file__).resolve().parents[1]
#: `- import: OTHER.yml`: the other playbook's states, in order (paths relative to the importing file)
IMPORT_STATE: dict[str, Any] = {
    "type": "object", "required": ["import"], "additionalProperties": False,
    "properties": {"import": {"type": "string", "minLength": 1, "description": "a playbook file, relative to this one"},
                   "name": {"type": "string"}},
}


def templatable(schema: Any) -> Any:
    """`schema`, where the value and every value inside it may also be a template string."""
    if not isinstance(schema, dict):
        return schema
    inner = copy.deepcopy(schema)
    for key in ("properties", "patternProperties", "$defs"):
        if isinstance(inner.get(key), dict):
            inner[key] = {name: templatable(sub) for name, sub in inner[key].items()}
    for key in ("items", "additionalProperties", "contains"):
        if isinstance(inner.get(key), dict):
            inner[key] = templatable(inner[key])
    for key in ("prefixItems", "anyOf", "oneOf", "allOf"):
        if isinstance(inner.get(key), list):
            inner[key] = [templatable(sub) for sub in inner[key]]
    if inner.get("type") == "string" and "format" not in inner and "enum" not in inner and "const" not in inner:
        return inner  # any string is already allowed, templates included
    return {"anyOf": [inner, TEMPLATE]}


def _kinds_default() -> Mapping[str, Any]:
    """The package's own kinds (tests may register throwaway ones; they are not published)."""
    return {name: kind for name, kind in REGISTRY.items() if kind.__module__.startswith("remediator.kinds.")}


def playbook_schema(kinds: Mapping[str, Any] | None = None, *, with_kinds: bool = True) -> dict[str, Any]:
    """The playbook schema; `with_kinds=False` gives the structure only (kind keys unchecked)."""
    if with_kinds and kinds is None:
        kinds = _kinds_default()
    state: dict[str, Any] = {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "description": "what the state ensures, in words"},
            "when": {
                "anyOf": [{"type": "boolean"}, {"type": "string", "minLength": 1}],
                "description": "a Jinja2 expression or true/false",
            },
            "tags": {
                "anyOf": [{"type": "array", "items": {"type": "string", "minLength": 1}}, TEMPLATE],
                "description": "a list of tags",
            },
            "loop": {
                "anyOf": [{"type": "array"}, TEMPLATE],
                "description": "a list, or a template giving one: one state per item (`item` in templates)",
            },
        },
    }
    if with_kinds and kinds is not None:
        for name in sorted(kinds):
            state["properties"][name] = _kind_arguments(name, kinds[name])
        state["additionalProperties"] = False
        if kinds:
            state["oneOf"] = [{"required": [name]} for name in sorted(kinds)]
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "remediator playbook",
        "type": "object",
        "required": ["name", "states"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "description": {"type": "string"},
            "vars": {"type": "object", "propertyNames": {"type": "string", "pattern": VAR_NAME}},
            "max_changes": {
                "anyOf": [{"type": "integer", "minimum": 0}, TEMPLATE],
                "description": "a whole number of changes per tenant (0 or more) or a template",
            },
            "states": {"type": "array", "minItems": 1,
                       "items": {"anyOf": [{"$ref": "#/$defs/state"}, {"$ref": "#/$defs/import"}]}},
        },
        "$defs": {"state": state, "import": IMPORT_STATE},
    }


def _kind_arguments(name: str, kind: Any) -> dict[str, Any]:
    schema = templatable(kind.schema)
    doc = (kind.__doc__ or "").strip().splitlines()
    if doc:
        schema = {**schema, "description": doc[0]}
    if "$defs" in kind.schema or "$ref" in json.dumps(kind.schema):
        schema = {"$id": f"urn:remediator:kind:{name}", **schema}
    return schema


def docstring_example(kind: Any) -> str | None:
    """The YAML block after `Example::` in a kind's docstring (a list of states), dedented; None if absent."""
    lines = inspect.getdoc(kind)
    if not lines or "Example::" not in lines:
        return None
    after = lines.split("Example::", 1)[1].splitlines()[1:]
    block: list[str] = []
    for line in after:
        if line.strip() and not line[:1].isspace():
            break  # back at the docstring's own indentation: the block is over
        block.append(line)
    text = textwrap.dedent("\n".join(block)).strip("\n")
    return text + "\n" if text else None


def inventory_schema() -> dict[str, Any]:
    return {"$schema": SCHEMA_DIALECT, "title": "remediator inventory", **INVENTORY_SCHEMA}


def plan_schema() -> dict[str, Any]:
    return PLAN_SCHEMA


def rendered(root: Path | None = None) -> dict[Path, str]:
    """The files `schemas/` should hold, with their exact text."""
    root = root or ROOT
    return {
        root / "schemas" / "playbook.schema.json": _dump(playbook_schema()),
        root / "schemas" / "inventory.schema.json": _dump(inventory_schema()),
        root / "schemas" / "plan.schema.json": _dump(plan_schema()),
    }


def _dump(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def stale(root: Path | None = None) -> list[Path]:
    """The schema files that differ from what the registry generates (missing ones included)."""
    return [path for path, text in rendered(root).items() if not path.is_file() or path.read_text() != text]


def write(root: Path | None = None) -> list[Path]:
    """Rewrite the schema files; return those that changed."""
    changed = []
    for path, text in rendered(root).items():
        if not path.is_file() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(path)
    return changed


def main(argv: list[str] | None = None, *, root: Path | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--check"]:
        paths = stale(root)
        for path in paths:
            sys.stderr.write(f"{path}: stale; run `python -m remediator.schema`\n")
        return 1 if paths else 0
    if args:
        sys.stderr.write("usage: python -m remediator.schema [--check]\n")
        return 2
    for path in write(root):
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

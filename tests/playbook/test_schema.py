"""The generated schemas: fresh in `schemas/`, correct for playbooks, and every kind's contract honoured."""

from __future__ import annotations

import json

import pytest

import remediator.kinds  # noqa: F401  (registers the real kinds)
from remediator import schema as schemas
from remediator.facts import derive_scopes
from remediator.kinds.base import REGISTRY
from remediator.playbook import load_playbook, render_states
from remediator.validation import validator


def test_committed_schemas_are_fresh():
    """Fails when a kind changed without `python -m remediator.schema` being run (real registry)."""
    stale = schemas.stale()
    assert not stale, f"stale: {[str(p) for p in stale]}; run `python -m remediator.schema`"


def test_write_and_check_round_trip(tmp_path):
    assert {p.name for p in schemas.stale(tmp_path)} == {"playbook.schema.json", "inventory.schema.json",
                                                         "plan.schema.json"}
    assert len(schemas.write(tmp_path)) == 3
    assert schemas.stale(tmp_path) == []
    assert schemas.write(tmp_path) == []
    (tmp_path / "schemas" / "playbook.schema.json").write_text("{}\n")
    assert [p.name for p in schemas.stale(tmp_path)] == ["playbook.schema.json"]


def test_the_published_schemas_are_valid_json_schema():
    for generated in (schemas.playbook_schema(), schemas.inventory_schema(), schemas.plan_schema()):
        validator(generated).check_schema(generated)


def test_published_playbook_schema_has_every_kind_and_templates(kinds):
    assert "test.flag" not in schemas.playbook_schema()["$defs"]["state"]["properties"]  # not published
    published = schemas.playbook_schema(REGISTRY)
    state = published["$defs"]["state"]
    assert set(REGISTRY) <= set(state["properties"])
    assert {"required": ["test.flag"]} in state["oneOf"]
    check = validator(published)
    good = {"name": "x", "states": [
        {"name": "a", "test.flag": {"enabled": False}},
        {"name": "b", "test.dates": {"changed_after": "{{ breach_date }}", "allow": "{{ break_glass }}"}},
        {"name": "c", "test.dates": {"changed_after": "2022-01-21T00:00:00Z", "limit": "{{ n }}"}, "when": "x"},
    ]}
    assert list(check.iter_errors(good)) == []
    bad_states = [
        {"name": "a", "test.flag": {"enabled": True}},
        {"name": "a", "test.flag": {}, "test.dates": {"changed_after": "2022-01-21"}},
        {"name": "a"},
        {"name": "a", "test.flg": {}},
        {"name": "a", "test.dates": {"changed_after": "2022-13-01"}},
        {"name": "a", "test.dates": {"changed_after": "2022-01-21", "limit": "ten"}},
    ]
    for state_ in bad_states:
        assert list(check.iter_errors({"name": "x", "states": [state_]})), state_


def test_templatable_keeps_plain_strings_and_wraps_the_rest():
    assert schemas.templatable({"type": "string"}) == {"type": "string"}
    wrapped = schemas.templatable({"type": "integer"})
    assert wrapped["anyOf"][0] == {"type": "integer"}
    assert wrapped["anyOf"][1] == schemas.TEMPLATE


def test_module_entry_point(tmp_path, capsys):
    assert schemas.main(["--check"], root=tmp_path) == 1
    assert "stale" in capsys.readouterr().err
    assert schemas.main([], root=tmp_path) == 0
    assert schemas.main(["--check"], root=tmp_path) == 0
    assert schemas.main(["--bogus"], root=tmp_path) == 2
    assert json.loads((tmp_path / "schemas" / "inventory.schema.json").read_text())["title"] == "remediator inventory"


# --- walking the registry: every kind keeps the contract ----------------------------------------

REAL_KINDS = sorted(n for n, k in REGISTRY.items() if k.__module__.startswith("remediator.kinds."))


@pytest.mark.parametrize("name", REAL_KINDS)
def test_kind_schema_is_closed(name):
    kind_schema = REGISTRY[name].schema
    assert kind_schema.get("type") == "object"
    assert kind_schema.get("additionalProperties") is False, f"{name}: schema must set additionalProperties: false"
    for prop, sub in kind_schema.get("properties", {}).items():
        if isinstance(sub, dict) and sub.get("type") == "object":
            assert sub.get("additionalProperties") is not None, f"{name}.{prop}: nested objects must be closed too"
    validator(kind_schema).check_schema(kind_schema)


@pytest.mark.parametrize("name", REAL_KINDS)
def test_kind_scopes_are_derived_from_its_facts_and_writes(name):
    cls = REGISTRY[name]
    assert cls.scopes == derive_scopes(cls.facts, cls.writes)
    assert bool(cls.scopes) == bool(cls.facts or cls.writes), f"{name}: declare the facts it reads"
    assert all(isinstance(s, str) and s.startswith("okta.") for s in cls.scopes)


@pytest.mark.parametrize("name", REAL_KINDS)
def test_kind_docstring_example_validates(name, tmp_path):
    example = schemas.docstring_example(REGISTRY[name])
    assert example, f"{name}: the docstring needs an `Example::` block (a YAML list of states)"
    path = tmp_path / "example.yml"
    path.write_text(f"name: example of {name}\nstates:\n" + "".join(f"  {line}\n" for line in example.splitlines()))
    rendered = render_states(load_playbook(path), {}, {})
    assert name in {s.kind for s in rendered.states}
    for state_ in rendered.states:
        assert list(validator(REGISTRY[state_.kind].schema).iter_errors(state_.args)) == []
    published = validator(schemas.playbook_schema())
    assert list(published.iter_errors(load_playbook(path).data)) == []


def test_docstring_example_extraction(kinds):
    assert schemas.docstring_example(kinds["test.dates"]) == (
        '- name: rotated since the breach\n  test.dates:\n    changed_after: "2022-01-21T00:00:00Z"\n'
        "    allow: [bg@example.com]\n"
    )

    class NoExample:
        """Nothing here."""

    assert schemas.docstring_example(NoExample) is None

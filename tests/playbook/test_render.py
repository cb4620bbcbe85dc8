"""render_states: variables by precedence, `when`, `tags`, arguments checked against each kind's schema."""

from __future__ import annotations

import pytest

from remediator.errors import InputError, PlaybookError
from remediator.inventory import TenantVars
from remediator.playbook import RenderedPlaybook, StateSpec, load_playbook, parse_extra_vars, render_states

PLAYBOOK = """\
name: rendering
vars:
  breach_date: "2022-01-21T00:00:00Z"
  evidence_since: "{{ breach_date | days_before(7) }}"
  break_glass: []
  source: playbook
  step: s1
states:
  - name: rotated since {{ breach_date | to_datetime }}
    test.dates:
      changed_after: "{{ evidence_since }}"
      allow: "{{ break_glass }}"
      steps:
        - id: "{{ step }}"
    tags: [passwords, "{{ source }}"]
  - name: only without break-glass accounts
    test.flag: {enabled: false}
    when: "break_glass | length == 0"
"""


@pytest.fixture
def pb(kinds, write):
    return load_playbook(write(PLAYBOOK))


def test_renders_arguments_names_tags_and_when(pb):
    rendered = render_states(pb, {}, {})
    assert isinstance(rendered, RenderedPlaybook)
    first, second = rendered.states
    assert first == StateSpec(
        name="rotated since 2022-01-21T00:00:00.000Z",
        kind="test.dates",
        args={"changed_after": "2022-01-14T00:00:00.000Z", "allow": [], "steps": [{"id": "s1"}]},
        when=True,
        tags=("passwords", "playbook"),
        where=f"{pb.path}:9",
    )
    assert second.when is True and second.where == f"{pb.path}:16"
    assert rendered.variables["evidence_since"] == "2022-01-14T00:00:00.000Z"
    assert rendered.max_changes is None


def test_precedence_playbook_then_tenant_then_extra(pb):
    tenant = {"source": "tenant", "break_glass": ["bg@acme.com"]}
    rendered = render_states(pb, tenant, {})
    assert rendered.states[0].args["allow"] == ["bg@acme.com"]
    assert rendered.states[0].tags == ("passwords", "tenant")
    assert rendered.states[1].when is False
    rendered = render_states(pb, tenant, parse_extra_vars(["source=cli", "break_glass=[]"]))
    assert rendered.states[0].tags == ("passwords", "cli")
    assert rendered.states[1].when is True


def test_a_variable_overridden_by_extra_vars_is_not_rendered(pb):
    # the playbook's own template for evidence_since is never evaluated: -e wins before rendering
    rendered = render_states(pb, {}, {"evidence_since": "2020-01-01T00:00:00Z", "breach_date": "2019-01-01T00:00:00Z"})
    assert rendered.states[0].args["changed_after"] == "2020-01-01T00:00:00Z"


def test_variables_using_each_other_resolve_in_any_order(kinds, write):
    text = PLAYBOOK.replace('  source: playbook\n', '  source: "{{ later }}-x"\n  later: "{{ breach_date[:4] }}"\n')
    rendered = render_states(load_playbook(write(text)), {}, {})
    assert rendered.variables["source"] == "2022-x"
    assert rendered.states[0].tags == ("passwords", "2022-x")


def test_variable_cycles_name_the_variables(kinds, write):
    text = PLAYBOOK.replace('  source: playbook\n', '  source: "{{ a }}"\n  a: "{{ b }}"\n  b: "{{ source }}"\n')
    path = write(text)
    with pytest.raises(PlaybookError) as caught:
        render_states(load_playbook(path), {}, {})
    assert str(caught.value) == f"{path}:6: variable 'source' depends on itself: source -> a -> b -> source"


def test_a_self_reference_is_a_cycle(pb):
    with pytest.raises(PlaybookError, match=r"^-e source: variable 'source' depends on itself: source -> source$"):
        render_states(pb, {}, parse_extra_vars(["source={{ source }}"]))


def test_template_errors_in_variables_name_their_origin(pb):
    with pytest.raises(PlaybookError) as caught:
        render_states(pb, {}, {"breach_date": "2022-13-01"})
    assert str(caught.value) == (
        f"{pb.path}:4: variable 'evidence_since': \"{{{{ breach_date | days_before(7) }}}}\": not a date: '2022-13-01'"
        " (breach_date from -e breach_date)"
    )
    tenant = TenantVars({"source": "{{ nope }}"}, {"source": "inv.yml:9"})
    with pytest.raises(PlaybookError, match=r"^inv.yml:9: variable 'source': .*'nope' is undefined$"):
        render_states(pb, tenant, {})
    with pytest.raises(PlaybookError, match=r"^-e source: variable 'source': .*'nope' is undefined$"):
        render_states(pb, {}, {"source": "{{ nope }}"})


def test_argument_errors_name_line_kind_argument_and_value(pb):
    with pytest.raises(PlaybookError) as caught:
        render_states(pb, {}, {"evidence_since": "2022-13-01"})
    assert str(caught.value) == (
        f"{pb.path}:11: test.dates: 'changed_after' is not a date: \"2022-13-01\""
        " (evidence_since from -e evidence_since)"
    )
    with pytest.raises(PlaybookError) as caught:
        render_states(pb, {}, {"step": ""})
    assert str(caught.value) == f"{pb.path}:14: test.dates: 'steps[0].id' must not be empty (step from -e step)"
    with pytest.raises(PlaybookError) as caught:
        render_states(pb, {}, {"break_glass": "bg@acme.com"})
    assert str(caught.value).startswith(f"{pb.path}:12: test.dates: 'allow' must be a list, got \"bg@acme.com\"")


@pytest.mark.parametrize(
    ("args", "line", "message"),
    [
        ("{changed_after: 2022-01-21, method: rotate}", 4,
         "'method' must be one of \"reset\", \"expire\", got \"rotate\""),
        ("{changed_after: 2022-01-21, limit: 0}", 4, "'limit' must be at least 1, got 0"),
        ("{changed_after: 2022-01-21, limit: '{{ 2 }}'}", None, None),
        ("{method: reset}", 4, "missing \"changed_after\""),
        ("{changed_after: 2022-01-21, extra: 1}", 4, "unknown key \"extra\" (allowed: allow, changed_after, limit"),
        ("\n      changed_after: 2022-01-21\n      steps:\n        - {id: a, what: b}", 7,
         "unknown key \"what\" in 'steps[0]'"),
        ("[1]", 4, "the value must be a mapping, got [1]"),
    ],
)
def test_kind_schema_errors(kinds, write, args, line, message):
    text = f"name: x\nstates:\n  - name: s\n    test.dates: {args}\n"
    path = write(text.replace("    test.dates: \n", "    test.dates:\n"))
    pb = load_playbook(path)
    if message is None:
        assert render_states(pb, {}, {}).states[0].args["limit"] == 2
        return
    with pytest.raises(PlaybookError) as caught:
        render_states(pb, {}, {})
    assert str(caught.value).startswith(f"{path}:{line}: test.dates: {message}")


def test_when_false_leaves_arguments_unrendered(kinds, write):
    path = write("name: x\nstates:\n  - name: s\n    test.dates: {changed_after: '{{ nope }}'}\n    when: false\n")
    spec = render_states(load_playbook(path), {}, {}).states[0]
    assert spec.when is False
    assert spec.args == {"changed_after": "{{ nope }}"}


@pytest.mark.parametrize(
    ("when", "expected"),
    [("n > 2", True), ("n > 5", False), ("'{{ n > 2 }}'", True), ("x is defined", False), ('"[]"', False),
     ("true", True)],
)
def test_when_values(kinds, write, when, expected):
    path = write(f"name: x\nvars: {{n: 3}}\nstates:\n  - name: s\n    test.flag: {{}}\n    when: {when}\n")
    assert render_states(load_playbook(path), {}, {}).states[0].when is expected


@pytest.mark.parametrize(
    ("when", "fragment"),
    [("nope", "'nope' is undefined"), ("n >", "unexpected"), ("'\"yes\"'", "must give true or false, got \"yes\""),
     ("n.__class__", "refused by the sandbox")],
)
def test_when_errors(kinds, write, when, fragment):
    path = write(f"name: x\nvars: {{n: 3}}\nstates:\n  - name: s\n    test.flag: {{}}\n    when: {when}\n")
    with pytest.raises(PlaybookError) as caught:
        render_states(load_playbook(path), {}, {})
    assert str(caught.value).startswith(f"{path}:6: state 's': when ")
    assert fragment in str(caught.value)


def test_tags_select_states(pb):
    assert [s.kind for s in render_states(pb, {}, {}, tags={"passwords"}).states] == ["test.dates"]
    assert [s.kind for s in render_states(pb, {}, {}, tags={"cli"}).states] == []
    assert [s.kind for s in render_states(pb, {}, {"source": "cli"}, tags={"cli"}).states] == ["test.dates"]
    assert len(render_states(pb, {}, {}, tags=None).states) == 2


def test_max_changes(kinds, write):
    base = "name: x\n{}states:\n  - name: s\n    test.flag: {{}}\n"
    assert render_states(load_playbook(write(base.format("max_changes: 0\n"))), {}, {}).max_changes == 0
    pb = load_playbook(write(base.format("max_changes: '{{ limit }}'\n")))
    assert render_states(pb, {}, {"limit": 7}).max_changes == 7
    with pytest.raises(PlaybookError, match=r":2: max_changes must be a whole number, 0 or more, got \"7\""):
        render_states(pb, {}, {"limit": "7"})


def test_duplicate_state_names(kinds, write):
    path = write("name: x\nstates:\n  - name: s\n    test.flag: {}\n  - name: '{{ \"s\" }}'\n    test.flag: {}\n")
    with pytest.raises(PlaybookError) as caught:
        render_states(load_playbook(path), {}, {})
    assert str(caught.value) == f"{path}:5: state name 's' is used twice (first on line 3)"


def test_sandbox_errors_in_arguments(kinds, write):
    path = write("name: x\nstates:\n  - name: s\n    test.dates:\n      changed_after: \"{{ ''.__class__ }}\"\n")
    with pytest.raises(PlaybookError) as caught:
        render_states(load_playbook(path), {}, {})
    message = str(caught.value)
    assert message.startswith(f"{path}:5: state 's': test.dates: \"{{{{ ''.__class__ }}}}\": refused by the sandbox")


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        (["n=3"], {"n": 3}),
        (["l=[a, b]"], {"l": ["a", "b"]}),
        (["s=text with = sign"], {"s": "text with = sign"}),
        (["d=2022-01-21T00:00:00Z"], {"d": "2022-01-21T00:00:00Z"}),
        (["e="], {"e": ""}),
        (["m={a: 1}"], {"m": {"a": 1}}),
        (["t={{ breach_date }}"], {"t": "{{ breach_date }}"}),
        (["n=1", "n=2"], {"n": 2}),
        ([" k =yes"], {"k": True}),
    ],
)
def test_parse_extra_vars(pairs, expected):
    assert parse_extra_vars(pairs) == expected


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("novalue", "-e novalue: expected KEY=VALUE"),
        ("=3", "-e: the variable name before '=' is empty"),
        ("1x=3", "-e 1x: a variable name has letters"),
        ("l=[a, b", "-e l: the value is not valid YAML"),
        ("m={a: 1, a: 2}", "-e m: the value is not valid YAML: duplicate key 'a'"),
    ],
)
def test_malformed_extra_vars(pair, message):
    with pytest.raises(InputError) as caught:
        parse_extra_vars([pair])
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_an_argument_templated_to_null_is_omitted(kinds, write):
    text = ("name: x\nvars: {until: null, allow: ~}\nstates:\n  - name: s\n    test.dates:\n"
            "      changed_after: 2022-01-21\n      allow: \"{{ allow }}\"\n"
            "      steps: [{id: a, owner: '{{ until }}'}]\n")
    spec = render_states(load_playbook(write(text)), {}, {}).states[0]
    assert spec.args == {"changed_after": "2022-01-21", "steps": [{"id": "a"}]}
    literal = write("name: x\nstates:\n  - name: s\n    test.dates: {changed_after: 2022-01-21, allow: null}\n")
    with pytest.raises(PlaybookError, match=r":4: test.dates: 'allow' must be a list, got null"):
        render_states(load_playbook(literal), {}, {})

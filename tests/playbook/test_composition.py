"""`loop:` and `import:`: the plan of a composed playbook is the plan of the same states written out by
hand; an import cycle and a missing import are one-line errors naming both places, exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from remediator.playbook import load_playbook, render_states
from tests.e2e.harness import cli, write_inventory

HERE = Path(__file__).resolve().parent / "composition"


def _states(path: Path) -> list[tuple[str, str, dict]]:
    return [(s.name, s.kind, s.args) for s in render_states(load_playbook(path), {}, {}).states]


def test_loop_and_import_render_the_states_written_by_hand():
    # the importer's `breach_date` wins over the imported file's; `item` names each looped state
    assert _states(HERE / "looped.yml") == _states(HERE / "by_hand.yml")


def test_looped_states_point_at_their_own_file_and_line():
    where = [s.where for s in render_states(load_playbook(HERE / "looped.yml"), {}, {}).states]
    assert where == [f"{HERE / 'looped.yml'}:6", f"{HERE / 'looped.yml'}:6", f"{HERE / 'sub' / 'incident.yml'}:6"]


def test_a_loop_item_that_repeats_a_name_is_refused(tmp_path):
    path = tmp_path / "dup.yml"
    path.write_text("name: d\nstates:\n  - name: Same\n    loop: [a, a]\n"
                    "    okta.user_status: {users: {logins: ['{{ item }}']}, status: SUSPENDED}\n")
    result = cli("validate", path)
    assert result.exit_code == 1
    assert "state name 'Same (a)' is used twice (first on line 3)" in result.output


@pytest.mark.parametrize(("name", "place", "fragment"), [
    ("cycle_a.yml", "cycle_b.yml:5", "import cycle: {d}/cycle_b.yml imports {d}/cycle_a.yml, which imports "
                                     "{d}/cycle_b.yml"),
    ("missing.yml", "missing.yml:5", "imports {d}/sub/not-there.yml: no such file"),
    ("loop_not_list.yml", "loop_not_list.yml:6", "state 'Suspect suspended': loop must give a list, got {{\"a\": 1}}"),
])
def test_composition_errors_are_one_line_with_both_places(name, place, fragment):
    for command in ("validate", "plan"):
        result = cli(command, HERE / name, *(["-i", Path(__file__).parents[1] / "badinput/inventories/ok.yml"]
                                             if command == "plan" else []))
        assert result.exit_code == 1, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.output, result.output
        assert lines[0] == f"error: {HERE / place}: {fragment.format(d=HERE)}"


def test_plans_of_the_composed_and_the_written_out_playbook_are_equal(tmp_path, monkeypatch):
    from remediator.sandbox import Sandbox

    with Sandbox(scenario="lapsus-2022", users=60, seed=5) as sb:
        inventory = write_inventory(tmp_path / "inv.yml", {"t": {"org_url": sb.org_url, "token": sb.token}},
                                    monkeypatch)
        plans = []
        for name in ("looped.yml", "by_hand.yml"):
            result = cli("plan", HERE / name, "-i", inventory, "--json")
            assert result.exit_code == 0, result.output
            (tenant,) = json.loads(result.stdout)["tenants"]
            plans.append({"changes": tenant["changes"], "findings": tenant["findings"]})
    assert plans[0] == plans[1]
    assert plans[0]["changes"], "the scenario gives the composed states something to do"


def test_when_is_evaluated_per_item_and_imports_nest_relative_to_each_file(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "leaf.yml").write_text(
        "name: leaf\nvars: {who: [x@acme.com, y@acme.com]}\nstates:\n"
        "  - name: Suspended\n    loop: '{{ who }}'\n    when: item != 'y@acme.com'\n"
        "    okta.user_status: {users: {logins: ['{{ item }}']}, status: SUSPENDED}\n")
    (tmp_path / "a" / "mid.yml").write_text("name: mid\nstates:\n  - import: b/leaf.yml\n")
    (tmp_path / "top.yml").write_text("name: top\nstates:\n  - import: a/mid.yml\n")
    states = render_states(load_playbook(tmp_path / "top.yml"), {}, {}).states
    assert [(s.name, s.when) for s in states] == [("Suspended (x@acme.com)", True), ("Suspended (y@acme.com)", False)]
    assert states[0].where == f"{tmp_path / 'a' / 'b' / 'leaf.yml'}:4"

"""Safe YAML with lines kept for every node."""

from __future__ import annotations

import pytest

from remediator.source import YamlError, load_yaml

DOC = """\
name: x
vars:
  day: 2022-01-21
  when: 2022-01-21T00:00:00Z
  list: &anchor [1, 2]
  again: *anchor
states:
  - name: a
    test.dates:
      allow:
        - a@example.com
        - b@example.com
"""


def test_lines_of_keys_items_and_scalars():
    doc = load_yaml(DOC, "pb.yml")
    assert doc.line(("vars", "day")) == 3
    assert doc.line(("states", 0)) == 8
    assert doc.line(("states", 0, "test.dates")) == 9
    assert doc.line(("states", 0, "test.dates", "allow", 1)) == 12
    assert doc.where(("states", 0, "test.dates", "allow", 0)) == "pb.yml:11"


def test_unknown_path_falls_back_to_closest_ancestor():
    doc = load_yaml(DOC, "pb.yml")
    assert doc.line(("states", 0, "test.dates", "allow", 7, "deeper")) == 10
    assert doc.line(("nothing",)) == 1


def test_timestamps_stay_as_written():
    data = load_yaml(DOC, "pb.yml").data
    assert data["vars"]["day"] == "2022-01-21"
    assert data["vars"]["when"] == "2022-01-21T00:00:00Z"
    assert data["vars"]["again"] == [1, 2]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a' (first written on line 1)"),
        ("x:\n  - {k: 1, k: 2}\n", 2, "duplicate key 'k'"),
        ("a: [1, 2\nb: 3\n", 2, "not valid YAML"),
        ("a: &x [*x]\n", 1, "alias"),
        ("a: !!python/object:os.system ls\n", 1, "not valid YAML"),
        ("? [1, 2]\n: x\n", 1, "plain value"),
    ],
)
def test_refused_documents_name_the_line(text, line, fragment):
    with pytest.raises(YamlError) as caught:
        load_yaml(text, "f.yml")
    assert caught.value.line == line
    assert fragment in caught.value.message
    assert "\n" not in caught.value.message


def test_merge_keys_are_not_duplicates():
    data = load_yaml("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n", "f.yml").data
    assert data["other"] == {"x": 1, "y": 3}


def test_alias_bomb_is_refused():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    with pytest.raises(YamlError, match="more than"):
        load_yaml("\n".join(lines) + "\n", "bomb.yml")

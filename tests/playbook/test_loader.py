"""load_playbook: structure and kinds checked before templating, errors naming file:line."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from remediator.errors import PlaybookError
from remediator.playbook import load_playbook, validate_paths

GOOD = """\
name: test playbook
description: what it is for
vars:
  breach_date: "2022-01-21T00:00:00Z"
max_changes: 10
states:
  - name: the switch is off
    test.flag: {enabled: false}
  - name: rotated
    test.dates:
      changed_after: "{{ breach_date }}"
    when: "breach_date is defined"
    tags: [passwords]
"""
HEAD = "name: x\nstates:\n  - name: a\n"


def test_loads_a_good_playbook(kinds, write):
    path = write(GOOD)
    pb = load_playbook(path)
    assert pb.name == "test playbook"
    assert pb.path == path
    assert pb.sha256 == hashlib.sha256(GOOD.encode()).hexdigest()
    assert pb.data["states"][1]["test.dates"] == {"changed_after": "{{ breach_date }}"}  # raw, untemplated
    assert pb.located.where(("states", 1)) == f"{path}:9"


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("- a\n- b\n", 1, "a playbook is a mapping"),
        ("name: x\n", 1, "missing \"states\""),
        ("name: x\nstates: []\n", 2, "'states' must not be empty"),
        ("name: x\nstate:\n  - name: a\n    test.flag: {}\n", 2, "unknown key \"state\" (did you mean 'states'?)"),
        ("name: x\nsates: []\nstates:\n  - name: a\n    test.flag: {}\n", 2, "unknown key \"sates\""),
        ("name: x\nmax_changes: -1\nstates:\n  - name: a\n    test.flag: {}\n", 2, "'max_changes' must be"),
        ("name: x\nvars: [a]\nstates:\n  - name: a\n    test.flag: {}\n", 2, "'vars' must be a mapping"),
        ("name: x\nvars: {1bad: 2}\nstates:\n  - name: a\n    test.flag: {}\n", 2,
         'key "1bad" in \'vars\' does not match'),
        ("name: x\nstates:\n  - test.flag: {}\n", 3, "state #1: missing \"name\""),
        ("name: x\nvars: {2022: x}\nstates:\n  - name: a\n    test.flag: {}\n", 2,
         "key 2022 in 'vars' must be text (quote it)"),
        (HEAD + "    test.flg: {}\n", 4, "unknown kind \"test.flg\" (did you mean 'test.flag'?)"),
        (HEAD + "    test.flag: {}\n    whne: x\n", 5, "unknown key \"whne\" (did you mean 'when'?)"),
        (HEAD + "    nothing.like.it: {}\n", 4, "unknown kind \"nothing.like.it\" (kinds: "),
        (HEAD + "    when: x\n", 3, "state 'a' names no kind"),
        (HEAD + "    test.flag: {}\n    test.dates: {}\n", 5, "names two kinds"),
        (HEAD + "    test.flag: {}\n    tags: [1]\n", 5, "state 'a': 'tags' must be a list of tags, got [1]"),
        (HEAD + "    test.flag: {}\n    when: [x]\n", 5, "state 'a': 'when' must be a Jinja2"),
        ("name: x\nname: y\nstates: []\n", 2, "duplicate key 'name'"),
        ("name: x\nstates: [\n", 3, "not valid YAML"),
    ],
)
def test_structure_errors_name_file_and_line(kinds, write, text, line, fragment):
    path = write(text)
    with pytest.raises(PlaybookError) as caught:
        load_playbook(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert fragment in message
    assert "\n" not in message


def test_the_first_error_in_reading_order_is_reported(kinds, write):
    path = write(HEAD + "    test.flg: {}\nmax_changes: -1\n")
    with pytest.raises(PlaybookError, match=r":4: .*unknown kind"):
        load_playbook(path)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(PlaybookError, match="no such file"):
        load_playbook(tmp_path / "absent.yml")
    with pytest.raises(PlaybookError, match="is a directory"):
        load_playbook(tmp_path)
    binary = tmp_path / "bin.yml"
    binary.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(PlaybookError, match="not UTF-8"):
        load_playbook(binary)


def test_validate_paths_renders_without_touching_a_tenant(kinds, write, tmp_path):
    path = write(GOOD)
    assert validate_paths([path], None) == [f"ok {path}: 2 states"]
    inventory = write(
        "tenants:\n  acme:\n    org_url: https://acme.okta.com\n    token_env: ACME_TOKEN\n"
        "    vars: {breach_date: '2022-13-01'}\n",
        "inventory.yml",
    )
    with pytest.raises(PlaybookError, match=r"'changed_after' is not a date: \"2022-13-01\""):
        validate_paths([path], inventory)


def test_validate_paths_reports_each_tenant(kinds, write):
    path = write(GOOD.replace('when: "breach_date is defined"', "when: \"skip is not defined\""))
    inventory = write(
        "tenants:\n  acme:\n    org_url: https://acme.okta.com\n    token_env: ACME_TOKEN\n"
        "  beta:\n    org_url: https://beta.okta.com\n    token_env: BETA_TOKEN\n    vars: {skip: true}\n",
        "inventory.yml",
    )
    assert validate_paths([path], inventory) == [
        f"ok {inventory}: 2 tenants (acme, beta)",
        f"ok {path} for acme: 2 states",
        f"ok {path} for beta: 2 states, 1 skipped by `when`",
    ]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_info(kinds, tmp_path: Path):
    repo = tmp_path / "repo"
    repo.mkdir()
    path = repo / "pb.yml"
    path.write_text(GOOD)
    assert load_playbook(path).git_info() is None  # not a work tree yet

    def git(*args: str) -> str:
        env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
               "GIT_COMMITTER_EMAIL": "t@e", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin:/usr/local/bin"}
        return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                              env=env).stdout.strip()

    git("init", "-q")
    git("add", "pb.yml")
    git("commit", "-q", "-m", "x")
    head = git("rev-parse", "HEAD")
    assert load_playbook(path).git_info() == {"commit": head, "dirty": False}
    path.write_text(GOOD + "# edited\n")
    assert load_playbook(path).git_info() == {"commit": head, "dirty": True}
    other = repo / "new.yml"
    other.write_text(GOOD)
    assert load_playbook(other).git_info() == {"commit": head, "dirty": True}  # untracked

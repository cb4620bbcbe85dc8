"""A saved plan is untrusted input (issue 9, point 1): a format "1" plan, an unknown kind, arguments its kind
refuses, an action no kind makes, a change planned twice or an id that does not match its content are each
refused in one line, exit 1, nothing written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from remediator.plan import Change
from remediator.sandbox import Sandbox
from tests.e2e.harness import cli, write_inventory, write_playbook
from tests.sandbox.fixtures import small_tenant

ROTATE = {"name": "rotate", "okta.admin_passwords": {"changed_after": "2022-01-21T00:00:00Z"}}


def _renamed(change: dict[str, Any], **fields: Any) -> dict[str, Any]:
    edited = {**change, **fields}
    edited["id"] = Change.from_json({**edited, "id": ""}).id
    return edited


def _v1(doc: dict[str, Any]) -> None:
    doc["format_version"] = "1"
    for tenant in doc["tenants"]:
        for key in ("org_id", "states", "max_changes", "protected_logins", "vars"):
            tenant.pop(key)


EDITS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "format 1": (_v1, 'format_version "1"'),
    "unknown kind": (lambda t: t["states"][0].update(kind="okta.everything"), "unknown kind 'okta.everything'"),
    "bad arguments": (lambda t: t["states"][0]["args"].update(changed_after="last week"), "'changed_after'"),
    "unknown action": (lambda t: t["changes"].__setitem__(0, _renamed(t["changes"][0], action="delete_user")),
                       "stale"),
    "twice": (lambda t: t["changes"].append(t["changes"][0]), "planned twice"),
    "edited id": (lambda t: t["changes"][0]["target"].update(id="00uSomeoneElse000001"), "does not match"),
}


@pytest.mark.parametrize("case", list(EDITS))
def test_an_edited_plan_is_refused(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edit, message = EDITS[case]
    with Sandbox(small_tenant()) as sb:
        inventory = write_inventory(tmp_path / "inv.yml", {"acme": {"org_url": sb.org_url, "token": sb.token}},
                                    monkeypatch)
        playbook = write_playbook(tmp_path / "pb.yml", [ROTATE])
        journal = tmp_path / "j.jsonl"
        assert cli("plan", playbook, "-i", inventory, "--out", tmp_path / "plan.json",
                   "--journal", journal).exit_code == 0
        doc = json.loads((tmp_path / "plan.json").read_text())
        assert doc["tenants"][0]["changes"], "the tenant has an admin password to rotate"
        edit(doc) if case == "format 1" else edit(doc["tenants"][0])
        (tmp_path / "plan.json").write_text(json.dumps(doc))
        before = len(sb.logs)
        result = cli("apply", tmp_path / "plan.json", "-i", inventory, "--journal", journal)
        assert result.exit_code == 1, result.output
        assert message in result.output and "Traceback" not in result.output
        assert len(sb.logs) == before

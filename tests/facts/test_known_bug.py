"""The bug of issue 8: a service app given the scopes okta.system_log_hunt needs gets 403 E0000006 as soon
as an admin holds a role through a group, because the hunt reads `GET /groups/{groupId}/users`, which
needs `okta.groups.read` (../shared/okta-reference/okta-management-openapi-spec/dist/current/
management-minimal.yaml: `security: oauth2: [okta.groups.read]` of that operation)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from remediator.sandbox import Sandbox
from tests.e2e.harness import cli, write_playbook
from tests.sandbox.fixtures import rsa_client

CLIENT = "0oaHuntServiceApp001"


def test_the_hunt_with_its_own_scopes_reads_admins_held_through_groups(tmp_path: Path) -> None:
    state = {"name": "hunt", "okta.system_log_hunt": {"since": "2022-03-01T00:00:00Z", "rules": ["lapsus-2022"]}}
    playbook = write_playbook(tmp_path / "hunt.yml", [state])
    scopes = cli("validate", playbook, "--scopes").stdout.split()
    assert "okta.groups.read" in scopes
    client, pem = rsa_client(CLIENT, scopes)
    sb = Sandbox(scenario="lapsus-2022", users=60, seed=3)
    sb.store.oauth_clients.append(client)
    assert sb.store.group_roles, "the scenario has an admin role held through a group"
    (tmp_path / "key.pem").write_text(pem)
    with sb:
        inventory = tmp_path / "inv.yml"
        inventory.write_text(yaml.safe_dump({"tenants": {"t": {
            "org_url": sb.org_url, "client_id": CLIENT, "private_key_file": "key.pem"}}}))
        result = cli("plan", playbook, "-i", inventory, "--journal", tmp_path / "j.jsonl")
    assert result.exit_code == 0, result.output
    assert "E0000006" not in result.output


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

"""No secret is ever printed or stored: tokens, private keys and access tokens stay out of output,
plans, reports, journals and errors, whichever way a tenant authenticates (SSWS or private_key_jwt)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from remediator.sandbox import Sandbox
from tests.e2e.harness import cli, write_playbook
from tests.sandbox.fixtures import rsa_client, small_tenant

STATES = [{"name": "Okta Support cannot reach the tenant", "okta.support_access": {"enabled": False}}]
SCOPES = ["okta.orgs.read", "okta.orgs.manage", "okta.users.read", "okta.roles.read"]
TOKEN = "00SeCrEtTokenValue-abcdefghijklmnopqrstuvwx"


def _pem_body(pem: str) -> list[str]:
    return [line for line in pem.splitlines() if line and "PRIVATE KEY" not in line]


@pytest.fixture
def tenant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    client, pem = rsa_client("0oaRemediatorSvc0001", SCOPES)
    data = small_tenant()
    data["oauth_clients"] = [client]
    key_file = tmp_path / "keys" / "svc.pem"
    key_file.parent.mkdir()
    key_file.write_text(pem)
    with Sandbox(data, token=TOKEN) as by_token, Sandbox(data) as by_key:
        monkeypatch.setenv("ACME_TOKEN", TOKEN)
        inventory = tmp_path / "inv.yml"
        inventory.write_text(yaml.safe_dump({"tenants": {
            "by-token": {"org_url": by_token.org_url, "token_env": "ACME_TOKEN"},
            "by-key": {"org_url": by_key.org_url, "client_id": client["client_id"],
                       "private_key_file": "keys/svc.pem", "scopes": SCOPES},
        }}))
        yield {"inventory": inventory, "pem": pem, "dir": tmp_path}


def _everything_written(root: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in root.rglob("*")
                     if p.is_file() and p.suffix != ".pem")


def test_no_secret_anywhere(tenant: dict[str, Any]) -> None:
    d: Path = tenant["dir"]
    playbook = write_playbook(d / "pb.yml", STATES)
    outputs = []
    for args in (
        ["plan", playbook, "-i", tenant["inventory"], "--out", d / "plan.json", "--report", d / "plan.md",
         "--journal", d / "j.jsonl", "-v"],
        ["plan", playbook, "-i", tenant["inventory"], "--json", "--journal", d / "j.jsonl"],
        ["apply", playbook, "-i", tenant["inventory"], "--yes", "--report", d / "apply.md", "--journal", d / "j.jsonl"],
        ["apply", d / "plan.json", "-i", tenant["inventory"], "--json", "--journal", d / "j.jsonl"],
    ):
        result = cli(*args)
        outputs.append(result.output)
    assert [t["status"] for t in json.loads(outputs[1])["tenants"]] == ["ok", "ok"]
    assert outputs[2].count("changed=2") == 2, outputs[2]
    text = "\n".join(outputs) + _everything_written(d)
    assert TOKEN not in text
    assert not any(line in text for line in _pem_body(tenant["pem"]))
    assert not re.search(r"Bearer\s+\S", text)
    assert not re.search(r"SSWS\s*\S", text)


def test_a_rejected_credential_names_the_tenant_not_the_secret(tenant: dict[str, Any],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_TOKEN", TOKEN + "-revoked")
    playbook = write_playbook(tenant["dir"] / "pb.yml", STATES)
    result = cli("plan", playbook, "-i", tenant["inventory"], "--limit", "by-token", "--journal",
                 tenant["dir"] / "j.jsonl")
    assert result.exit_code == 1
    assert "by-token" in result.output and "E0000011" in result.output
    assert TOKEN not in result.output


def test_service_app_without_listed_scopes_asks_for_what_the_kinds_need(tenant: dict[str, Any]) -> None:
    inventory = yaml.safe_load(tenant["inventory"].read_text())
    del inventory["tenants"]["by-key"]["scopes"]
    tenant["inventory"].write_text(yaml.safe_dump(inventory))
    playbook = write_playbook(tenant["dir"] / "pb.yml", STATES)
    result = cli("plan", playbook, "-i", tenant["inventory"], "--limit", "by-key", "--json",
                 "--journal", tenant["dir"] / "j.jsonl")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["tenants"][0]["changes"]) == 2

"""A rehearsal named like the production tenant, run in the same directory, no longer poisons production
(issue 9, "Why" 3): the journal and the evidence directory are keyed by org, and production's plan refuses
them in one clear line instead of dropping session clears and hunt findings or archiving nothing.

Both tenants are sandboxes of the same scenario and seed (same ids, as a snapshot rehearsal has) at
different URLs; the rehearsal is applied first, with the journal and evidence directory production uses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from remediator.evidence import load_manifest
from remediator.sandbox import Sandbox
from remediator.timeutil import format_time
from tests.e2e.harness import LAPSUS, cli

USERS, SEED = 200, 9


def _inventory(path: Path, sb: Sandbox, evidence: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Tenant `acme` at `sb`, its token in a variable of its own (both inventories call their tenant acme)."""
    planted = sb.snapshot()["scenario"]["planted"]
    env = f"TOKEN_{path.stem.upper().replace('-', '_')}"
    monkeypatch.setenv(env, sb.token)
    path.write_text(yaml.safe_dump({"tenants": {"acme": {"org_url": sb.org_url, "token_env": env, "vars": {
        "break_glass": [planted["break_glass_login"]], "evidence_dir": str(evidence)}}}}))
    return path


def _plan(inventory: Path, journal: Path, sb: Sandbox, *extra: Any) -> Any:
    return cli("plan", LAPSUS, "-i", inventory, "--journal", journal, "--json",
               "-e", f"evidence_until={format_time(sb.now())}", *extra)


def test_a_rehearsal_next_to_production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal, evidence = tmp_path / "journal.jsonl", tmp_path / "evidence"
    with Sandbox(scenario="lapsus-2022", users=USERS, seed=SEED) as production, \
            Sandbox(scenario="lapsus-2022", users=USERS, seed=SEED) as rehearsal:
        prod_inv = _inventory(tmp_path / "prod.yml", production, evidence, monkeypatch)
        honest = json.loads(_plan(prod_inv, journal, production).stdout)["tenants"][0]
        assert not journal.exists() and not evidence.exists()  # a plan writes nothing

        rehearsal_inv = _inventory(tmp_path / "rehearsal.yml", rehearsal, evidence, monkeypatch)
        applied = cli("apply", LAPSUS, "-i", rehearsal_inv, "--journal", journal, "--yes",
                      "-e", f"evidence_until={format_time(rehearsal.now())}")
        assert applied.exit_code == 0, applied.output
        rehearsal_manifest = (evidence / "acme" / "manifest.json").read_bytes()

        poisoned = _plan(prod_inv, journal, production)
        assert poisoned.exit_code == 1
        tenant = json.loads(poisoned.stdout)["tenants"][0]
        assert tenant["status"] == "error" and "another org" in tenant["error"] and rehearsal.org_url in tenant["error"]

        own_journal = tmp_path / "production.jsonl"
        still = _plan(prod_inv, own_journal, production)
        assert still.exit_code == 1
        tenant = json.loads(still.stdout)["tenants"][0]
        assert "another org" in tenant["error"] and str(evidence / "acme") in tenant["error"]

        before = len(production.logs)
        refused = cli("apply", LAPSUS, "-i", prod_inv, "--journal", own_journal, "--yes",
                      "-e", f"evidence_until={format_time(production.now())}")
        assert refused.exit_code == 1 and "another org" in refused.output
        assert len(production.logs) == before
        assert (evidence / "acme" / "manifest.json").read_bytes() == rehearsal_manifest  # never merged
        assert load_manifest(evidence / "acme").org_url == rehearsal.org_url  # type: ignore[union-attr]

        own_evidence = tmp_path / "production-evidence"
        prod_inv = _inventory(tmp_path / "prod.yml", production, own_evidence, monkeypatch)
        clean = _plan(prod_inv, own_journal, production)
        assert clean.exit_code == 0, clean.output
        tenant = json.loads(clean.stdout)["tenants"][0]
        assert [c["id"] for c in tenant["changes"] if c["kind"] != "okta.system_log_archive"] == \
            [c["id"] for c in honest["changes"] if c["kind"] != "okta.system_log_archive"]
        assert len(tenant["findings"]) == len(honest["findings"])

"""Every shipped playbook on tenants it was not written for, through the CLI as a responder runs it.

The library's end-to-end tests run each playbook on its own scenario; hidden tenants are not those. Here each
playbook runs on another playbook's scenario and on a tenant with no user but the token owner (the sandbox's
minimal tenant): `plan` exits 0 or 2 with `--detailed-exitcode` and writes nothing, `apply --yes` fails
nothing, the second plan has no change, no write reaches the System Log twice, and `evidence verify` and
`journal verify` pass. Then all five playbooks are applied in turn to one tenant and each is planned again:
one playbook must not undo another (support-har-2023 once pinned the Admin Console's factor constraints to
"a possession factor", which cross-tenant-2023 and the STIG had set to "a phishing-resistant one"; each apply
weakened or strengthened them in turn, and a tenant already phishing-resistant was downgraded).

The full cross product (every playbook x every scenario x 80 and 2,000 users x two seeds) runs with
REMEDIATOR_MATRIX=1.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from remediator.sandbox import Sandbox
from tests.e2e.harness import REPO, cli, settled, write_inventory

PLAYBOOKS = {  # playbook -> the scenario written for it
    "okta-lapsus-2022.yml": "lapsus-2022",
    "okta-support-har-2023.yml": "support-har-2023",
    "okta-cross-tenant-impersonation-2023.yml": "cross-tenant-2023",
    "okta-credential-stuffing-2024.yml": "credential-stuffing-2024",
    "disa-okta-idaas-stig.yml": "lapsus-2022",
}
SCENARIOS = ["lapsus-2022", "support-har-2023", "cross-tenant-2023", "credential-stuffing-2024"]
#: after every playbook's breach date, so that any playbook's archive range lies before the tenant's now
LATEST = "2024-05-02T12:00:00Z"

def _inventory(tmp: Path, sb: Sandbox, mp: pytest.MonkeyPatch) -> list[Any]:
    planted = (sb.snapshot().get("scenario") or {}).get("planted") or {}
    vars_: dict[str, Any] = {"evidence_dir": str(tmp / "evidence")}
    if planted.get("break_glass_login"):
        vars_["break_glass"] = [planted["break_glass_login"]]
    inventory = write_inventory(tmp / "inv.yml", {"t": {"org_url": sb.org_url, "token": sb.token, "vars": vars_}},
                                mp)
    return ["-i", inventory, "--journal", tmp / "journal.jsonl", "-e", f"evidence_until={settled(sb)}"]


def _changes(result: Any) -> list[tuple[str, str, str]]:
    (only,) = json.loads(result.stdout)["tenants"]
    return [(c["state"], c["action"], c["target"]["id"]) for c in only["changes"]]


def _verify(tmp: Path) -> None:
    for command, path in (("evidence", tmp / "evidence"), ("journal", tmp / "journal.jsonl")):
        if path.exists():
            result = cli(command, "verify", path)
            assert result.exit_code == 0, result.output


def rehearse_elsewhere(tmp: Path, playbook: str, scenario: str | None, users: int, seed: int) -> None:
    path = REPO / "playbooks" / playbook
    mp = pytest.MonkeyPatch()
    kw: dict[str, Any] = {} if scenario is None else {"scenario": scenario, "users": users, "seed": seed,
                                                      "clock": LATEST}
    try:
        with Sandbox(**kw) as sb:
            common = _inventory(tmp, sb, mp)
            before = len(sb.logs)
            first = cli("plan", path, *common, "--detailed-exitcode", "--json")
            assert first.exit_code in (0, 2), first.output
            assert len(sb.logs) == before  # a plan writes nothing
            applied = cli("apply", path, *common, "--yes")
            assert applied.exit_code == 0 and "failed=0" in applied.output, applied.output
            second = cli("plan", path, *common, "--detailed-exitcode", "--json")
            assert second.exit_code == 0, _changes(second)
            keys = Counter((e["eventType"], tuple(t["id"] for t in e.get("target") or ())) for e in sb.logs[before:])
            assert not [k for k, n in keys.items() if n > 1]
    finally:
        mp.undo()
    _verify(tmp)


#: each playbook on the tenant with only the token owner, and on the next playbook's scenario (one seed each)
SMALL = [(pb, None) for pb in PLAYBOOKS] + [
    (pb, SCENARIOS[(SCENARIOS.index(own) + 1) % len(SCENARIOS)]) for pb, own in PLAYBOOKS.items()]


@pytest.mark.parametrize(("playbook", "scenario"), SMALL, ids=[f"{p[:-4]}@{s or 'minimal'}" for p, s in SMALL])
def test_a_playbook_on_a_tenant_not_written_for_it(playbook: str, scenario: str | None, tmp_path: Path) -> None:
    rehearse_elsewhere(tmp_path, playbook, scenario, 80, 3)


FULL = [(pb, sc, users, seed) for pb in PLAYBOOKS for sc in SCENARIOS for users in (80, 2000) for seed in (1, 7)]


@pytest.mark.skipif(os.environ.get("REMEDIATOR_MATRIX") != "1",
                    reason="the full matrix takes minutes: REMEDIATOR_MATRIX=1 runs it")
@pytest.mark.parametrize(("playbook", "scenario", "users", "seed"), FULL)
def test_every_playbook_on_every_scenario(playbook: str, scenario: str, users: int, seed: int,
                                          tmp_path: Path) -> None:
    rehearse_elsewhere(tmp_path, playbook, scenario, users, seed)


def test_no_playbook_undoes_another(tmp_path: Path) -> None:
    """All five applied in turn to one tenant, then each planned again: every one finds nothing to change."""
    mp = pytest.MonkeyPatch()
    try:
        with Sandbox(scenario="support-har-2023", users=80, seed=4, clock=LATEST) as sb:
            common = _inventory(tmp_path, sb, mp)
            for playbook in PLAYBOOKS:
                applied = cli("apply", REPO / "playbooks" / playbook, *common, "--yes")
                assert applied.exit_code == 0 and "failed=0" in applied.output, applied.output
            undone = {}
            for playbook in PLAYBOOKS:
                again = cli("plan", REPO / "playbooks" / playbook, *common, "--detailed-exitcode", "--json")
                if again.exit_code != 0:
                    undone[playbook] = _changes(again)
            assert undone == {}
    finally:
        mp.undo()
    _verify(tmp_path)

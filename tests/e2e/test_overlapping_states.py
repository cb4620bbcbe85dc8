"""Two states of one playbook that suspend the same account (okta.new_admins contains a new admin,
okta.user_status suspends the accounts created since the breach) plan a suspend each, since kinds plan
independently. Apply makes the first; Okta then refuses the second (403 E0000038: "This operation is not
allowed in the user's current status", the okta-sdk-python recording
tests/integration/cassettes/test_users_it/TestUsersResource.test_user_suspend_unsuspend.yaml shows the
suspend call, and the sandbox follows Okta's status rules). The account is where both states want it, so
the second write is not needed: apply succeeds, and each account is suspended once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from remediator.sandbox import Sandbox
from tests.e2e.harness import cli, write_inventory, write_playbook

STATES = [
    {"name": "No admin account created since the breach",
     "okta.new_admins": {"created_after": "2022-01-21T00:00:00Z", "action": "suspend"}},
    {"name": "Admins created since the breach suspended",
     "okta.user_status": {"users": {"admins": True, "created_after": "2022-01-21T00:00:00Z"},
                          "status": "SUSPENDED"}},
]


@pytest.mark.parametrize("order", [1, -1], ids=["new_admins first", "user_status first"])
def test_two_states_suspending_one_account(order: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Sandbox(scenario="lapsus-2022", users=200, seed=11) as sb:
        playbook = write_playbook(tmp_path / "pb.yml", STATES[::order])
        inventory = write_inventory(tmp_path / "inv.yml", {"t": {"org_url": sb.org_url, "token": sb.token}},
                                    monkeypatch)
        journal = tmp_path / "journal.jsonl"
        planned = cli("plan", playbook, "-i", inventory, "--json", "--journal", journal)
        assert planned.exit_code == 0, planned.output
        applied = cli("apply", playbook, "-i", inventory, "--yes", "--journal", journal)
        assert applied.exit_code == 0, applied.output
        assert "failed=0" in applied.output
        suspends = [t["id"] for e in sb.logs if e["eventType"] == "user.lifecycle.suspend" for t in e["target"]]
        assert suspends and len(suspends) == len(set(suspends))
        again = cli("plan", playbook, "-i", inventory, "--detailed-exitcode", "--journal", journal)
        assert again.exit_code == 0, again.output

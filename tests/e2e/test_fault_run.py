"""The shipped playbook applied through 5% 503s and 2% dropped connections (issue 9's fault run).

Every write appears exactly once in the tenant's System Log: 503s (Okta's E0000010: nothing was
written) are retried, a write whose connection dropped is re-checked before any resend (by its state,
its System Log event, or a read of what it deleted), and one that cannot be re-checked fails its change,
which the next apply re-plans from the tenant as it is. The sandbox's fault injection is seeded.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from remediator.sandbox import Sandbox
from remediator.timeutil import format_time
from tests.e2e.harness import LAPSUS, cli, write_inventory

#: Events of remediator's own writes (the archive and the hunt only read).
WRITE_EVENTS = ("user.lifecycle.", "user.account.", "user.session.clear", "user.mfa.", "privilege.",
                "system.api_token.", "user.session.impersonation.", "policy.", "system.idp.", "group.user_membership.")


def test_every_write_lands_once_through_503s_and_dropped_connections(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with Sandbox(scenario="lapsus-2022", users=120, seed=5, faults="503:0.05,reset:0.02") as sb:
        planted = sb.snapshot()["scenario"]["planted"]
        inventory = write_inventory(tmp_path / "inv.yml", {"hooli": {
            "org_url": sb.org_url, "token": sb.token,
            "vars": {"break_glass": [planted["break_glass_login"]], "evidence_dir": str(tmp_path / "evidence")}}},
            monkeypatch)
        common = ["-i", inventory, "--journal", tmp_path / "journal.jsonl",
                  "-e", f"evidence_until={format_time(sb.now())}"]
        before = len(sb.logs)
        runs = []
        for _ in range(3):  # a change that failed on a dropped connection is re-planned by the next apply
            runs.append(cli("apply", LAPSUS, *common, "--yes"))
            if runs[-1].exit_code == 0:
                break
        final = cli("plan", LAPSUS, *common, "--json", "--tags", "contain,harden", "--detailed-exitcode")
        new = sb.logs[before:]
    assert runs[-1].exit_code == 0, runs[-1].output[-3000:]
    assert all("Traceback" not in r.output for r in runs)
    writes = [e for e in new if e["eventType"].startswith(WRITE_EVENTS)]
    assert writes, "the apply wrote nothing: the test would prove nothing"
    per_write = Counter((e["eventType"], tuple(sorted(t["id"] for t in e["target"] or ()))) for e in writes)
    assert [w for w, n in per_write.items() if n > 1] == []
    assert final.exit_code == 0, final.output[-2000:]

"""A tenant that accepts connections and never answers (issue 9, Why 10: it took 228 s to fail).

`--timeout SECONDS` bounds each request (two timeouts at most per request), `--deadline SECONDS`
each tenant; the dead tenant fails with one line while the other tenants are planned as usual.
The defaults fail a dead tenant in under 60 s (tests/okta/test_strict_answers.py does the sum).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from remediator.sandbox import Sandbox
from tests.e2e.harness import cli, write_inventory, write_playbook


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A socket that listens (the kernel completes every handshake) and never reads or answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield sock.getsockname()[1]


def test_a_dead_tenant_fails_within_the_timeout_and_the_others_go_on(tmp_path: Path, silent_port: int,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    playbook = write_playbook(tmp_path / "pb.yml", [
        {"name": "No Okta Support access", "okta.support_access": {"enabled": False}}])
    with Sandbox(scenario="lapsus-2022", users=40, seed=1) as sb:
        inventory = write_inventory(tmp_path / "inv.yml", {
            "dead": {"org_url": f"http://127.0.0.1:{silent_port}", "token": "dead-token-000000"},
            "alive": {"org_url": sb.org_url, "token": sb.token}}, monkeypatch)
        started = time.monotonic()
        result = cli("plan", playbook, "-i", inventory, "--journal", tmp_path / "j.jsonl", "--timeout", "0.5")
        elapsed = time.monotonic() - started
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert elapsed < 10
    assert "dead:" in result.output and "within 0.5 s, 2 times (--timeout)" in result.output
    assert "alive" in result.output and "1 tenant(s) could not be planned" in result.output


def test_the_time_limits_are_checked(tmp_path: Path) -> None:
    result = cli("plan", tmp_path / "missing.yml", "--timeout", "0")
    assert result.exit_code == 1 and "--timeout" in result.output and "Traceback" not in result.output

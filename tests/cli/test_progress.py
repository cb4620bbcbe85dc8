"""Progress (issue 13 point 1): on a terminal, stderr shows what each tenant is doing and how far the
System Log reads are; never with --json or --quiet, in CI, or when stderr is piped. Tested on a real
pseudo-terminal with the CLI in a subprocess."""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys

import pytest

from remediator import progress
from remediator.sandbox import Sandbox
from tests.e2e.harness import write_inventory, write_playbook

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


def _run(args: list[str], env: dict[str, str], *, stderr_tty: bool) -> tuple[bytes, bytes]:
    """Run the CLI; stderr on a fresh pty (read whole) or a pipe. Returns (stdout, stderr)."""
    if not stderr_tty:
        done = subprocess.run(args, env=env, capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
        return done.stdout, done.stderr
    leader, follower = pty.openpty()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    out = proc.stdout.read() if proc.stdout else b""
    proc.wait(timeout=120)
    os.close(leader)
    return out, b"".join(chunks)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("progress")
    playbook = write_playbook(tmp / "p.yml", [{"name": "System Log hunted for traces", "okta.system_log_hunt": {
        "since": "2022-01-01T00:00:00Z", "rules": ["lapsus-2022"]}}])
    mp = pytest.MonkeyPatch()
    sb = Sandbox(scenario="lapsus-2022", users=60, seed=3).start()
    inventory = write_inventory(tmp / "inv.yml", {"acme": {"org_url": sb.org_url, "token": sb.token}}, mp)
    env = {k: v for k, v in os.environ.items() if k != "CI"}  # CI would turn progress off
    env["COLUMNS"] = "120"
    base = [sys.executable, "-m", "remediator", "plan", str(playbook), "-i", str(inventory),
            "--journal", str(tmp / "j.jsonl")]
    yield {"base": base, "env": env}
    sb.stop()
    mp.undo()


def test_progress_shows_on_a_terminal(setup: dict[str, object]) -> None:
    out, err = _run(setup["base"], setup["env"], stderr_tty=True)  # type: ignore[arg-type]
    text = ANSI.sub(b"", err).decode(errors="replace")
    assert "tenants 0/1 done" in text and "acme" in text
    assert "System Log hunted for traces" in text and "System Log: " in text and "events" in text
    assert b"Plan: 1 tenant(s)" in out  # stdout keeps the plan, untouched by the display
    assert b"tenants 0/1" not in out


@pytest.mark.parametrize("extra, tty, env_ci", [(["--json"], True, False), (["--quiet"], True, False),
                                               ([], False, False), ([], True, True)])
def test_no_progress_with_json_quiet_piped_or_ci(setup: dict[str, object], extra: list[str], tty: bool,
                                                 env_ci: bool) -> None:
    env = dict(setup["env"])  # type: ignore[arg-type]
    if env_ci:
        env["CI"] = "true"
    out, err = _run([*setup["base"], *extra], env, stderr_tty=tty)  # type: ignore[list-item]
    assert b"tenants" not in err and b"System Log:" not in err
    assert out


def test_wanted_reads_the_stream_and_the_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("CI", raising=False)
    assert progress.wanted(as_json=False, quiet=False, stream=Tty())
    assert not progress.wanted(as_json=False, quiet=False, stream=io.StringIO())
    assert not progress.wanted(as_json=True, quiet=False, stream=Tty())
    monkeypatch.setenv("CI", "1")
    assert not progress.wanted(as_json=False, quiet=False, stream=Tty())


def test_eta_from_the_share_of_the_range_done() -> None:
    task = progress._Task(events=1000, pages=1, fraction=0.25)
    task.started -= 10  # ten seconds for a quarter: thirty more
    line = task.line("System Log")
    assert "25%" in line and ("ETA 30s" in line or "ETA 29s" in line)

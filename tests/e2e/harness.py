"""Helpers for engine and CLI tests against sandbox tenants: inventories, runs, System Log counts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from remediator.cli import app

REPO = Path(__file__).resolve().parents[2]
LAPSUS = REPO / "playbooks" / "okta-lapsus-2022.yml"
#: Fast retries for tests: a dead tenant must fail in milliseconds, not after a minute of backoff.
FAST_CLIENT = {"max_retries": 2}


def write_inventory(path: Path, tenants: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> Path:
    """Write an inventory; each tenant given as {"org_url", "token", "vars"?, "tags"?}; tokens go to env."""
    doc: dict[str, Any] = {"tenants": {}}
    for name, t in tenants.items():
        env = f"TEST_{name.upper().replace('-', '_')}_TOKEN"
        monkeypatch.setenv(env, t["token"])
        entry = {"org_url": t["org_url"], "token_env": env}
        if t.get("vars"):
            entry["vars"] = t["vars"]
        if t.get("tags"):
            entry["tags"] = t["tags"]
        doc["tenants"][name] = entry
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def write_playbook(path: Path, states: Sequence[dict[str, Any]], **top: Any) -> Path:
    doc = {"name": top.pop("name", "test playbook"), **top, "states": list(states)}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def settled(sandbox: Any) -> str:
    """A fixed archive end the archive can claim at once: `SETTLE` seconds before the tenant's now (Okta may
    still persist events published later, so a range is claimed only once it has settled)."""
    from datetime import timedelta

    from remediator.kinds.system_log_archive import SETTLE
    from remediator.timeutil import format_time

    return format_time(sandbox.now() - timedelta(seconds=SETTLE + 5))  # + the `Date` header's whole seconds


def cli(*args: str) -> Any:
    """Run the CLI in-process; the result has exit_code, stdout, stderr/output."""
    return CliRunner().invoke(app, [str(a) for a in args])


@contextmanager
def counting_writes(sandbox: Any) -> Iterator[dict[str, int]]:
    """Yield a dict whose 'new' key is set to the number of System Log events added inside the block."""
    box = {"before": len(sandbox.logs)}
    yield box
    box["new"] = len(sandbox.logs) - box["before"]

"""A server's success status is not trusted on its own (issue 9, Why 4 and point 3; Why 10's HTML and 302).

A 200 whose body is empty, not JSON or not the shape the operation returns (a list where Okta returns
a list, an object where it returns an object) is an error for that tenant, never "no data": before,
the System Log read as "no events", the plan exited 0 with every hunt finding missing, and the
archive marked 90 days covered with 0 events.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from remediator.sandbox import Sandbox
from remediator.timeutil import format_time
from tests.e2e.harness import LAPSUS, cli, write_inventory

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def answer_logs_with(body: bytes, content_type: str = "application/json", status: int = 200,
                     headers: dict[str, str] | None = None) -> Any:
    """A middleware answering every GET /api/v1/logs with `body` (the write paths stay real)."""

    @web.middleware
    async def broken(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "GET" and request.path == "/api/v1/logs":
            return web.Response(status=status, body=body, content_type=content_type, headers=headers)
        return await handler(request)

    return broken


BROKEN = {
    "empty": answer_logs_with(b""),
    "broken-json": answer_logs_with(b'[{"uuid": "x", "eventType": '),
    "object-not-list": answer_logs_with(b"{}"),
    "null": answer_logs_with(b"null"),
    "proxy-login-page": answer_logs_with(b"<html><body><form action=/login>Sign in</form></body></html>",
                                         content_type="text/html"),
    "302": answer_logs_with(b"", status=302, headers={"Location": "https://sso.example.com/login?next=x"}),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_plan_and_apply_fail_the_tenant_on_a_broken_success(case: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    with Sandbox(scenario="lapsus-2022", users=60, seed=3, middlewares=[BROKEN[case]]) as sb:
        evidence = tmp_path / "evidence"
        inventory = write_inventory(tmp_path / "inv.yml", {"hooli": {
            "org_url": sb.org_url, "token": sb.token, "vars": {"evidence_dir": str(evidence)}}}, monkeypatch)
        common = ["-i", inventory, "--journal", tmp_path / "journal.jsonl",
                  "-e", f"evidence_until={format_time(sb.now())}", "--tags", "evidence"]
        planned = cli("plan", LAPSUS, *common, "--json")
        applied = cli("apply", LAPSUS, *common, "--yes")
    assert planned.exit_code == 1, planned.output
    assert "Traceback" not in planned.output
    (tenant,) = json.loads(planned.stdout)["tenants"]
    assert tenant["status"] != "ok"
    assert "hooli" in planned.output and "/api/v1/logs" in planned.output
    assert applied.exit_code == 1, applied.output
    assert "Traceback" not in applied.output
    manifests = list(evidence.rglob("manifest*.json")) if evidence.exists() else []
    for manifest in manifests:  # nothing may claim a range it did not read
        assert "covered" not in manifest.read_text() or json.loads(manifest.read_text()).get("covered") in (None, {})

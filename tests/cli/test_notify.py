"""`--notify URL` (issue 13 point 7): the recap and the new critical/high findings posted to a webhook,
as JSON or in Slack's incoming-webhook shape; the URL (a credential) is never printed."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from remediator.sandbox import Sandbox
from tests.e2e.harness import cli, write_inventory, write_playbook

SECRET = "T000/B000/very-secret-hook-path"


@pytest.fixture
def hook() -> Iterator[dict[str, Any]]:
    """A webhook on loopback that records what it is sent and answers with `box["status"]`."""
    box: dict[str, Any] = {"posts": [], "status": 200}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            box["posts"].append({"path": self.path, "type": self.headers.get("Content-Type"),
                                 "body": json.loads(self.rfile.read(length))})
            self.send_response(box["status"])
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    box["url"] = f"http://127.0.0.1:{server.server_address[1]}/{SECRET}"
    yield box
    server.shutdown()
    server.server_close()


@pytest.fixture
def tenant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    playbook = write_playbook(tmp_path / "p.yml", [
        {"name": "support off", "okta.support_access": {"enabled": False}},
        {"name": "rogue idps", "okta.identity_providers": {"created_after": "2022-01-21T00:00:00Z"}},
    ])
    with Sandbox(scenario="lapsus-2022", users=60, seed=4) as sb:
        inventory = write_inventory(tmp_path / "inv.yml", {"acme": {"org_url": sb.org_url, "token": sb.token}},
                                    monkeypatch)
        yield {"playbook": playbook, "inventory": inventory, "journal": tmp_path / "j.jsonl", "sandbox": sb}


def _plan(t: dict[str, Any], *extra: str) -> Any:
    return cli("plan", t["playbook"], "-i", t["inventory"], "--journal", t["journal"], *extra)


def test_plan_posts_the_new_critical_and_high_findings_as_json(hook: dict[str, Any], tenant: dict[str, Any]) -> None:
    result = _plan(tenant, "--json", "--notify", hook["url"])
    assert result.exit_code == 0, result.output
    (post,) = hook["posts"]
    assert post["type"] == "application/json" and post["path"] == f"/{SECRET}"
    doc = post["body"]
    plan = json.loads(result.stdout)
    (t,) = doc["tenants"]
    expected = sorted(f["id"] for f in plan["tenants"][0]["findings"] if f["severity"] in ("critical", "high"))
    assert expected and sorted(f["id"] for f in t["findings"]) == expected
    assert t["changes"] == len(plan["tenants"][0]["changes"]) and doc["command"] == "plan"
    assert SECRET not in result.output


def test_apply_posts_the_recap_in_slack_format(hook: dict[str, Any], tenant: dict[str, Any],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMEDIATOR_NOTIFY_URL", hook["url"])  # from the environment, not the command line
    result = cli("apply", tenant["playbook"], "-i", tenant["inventory"], "--journal", tenant["journal"], "--yes",
                 "--notify-format", "slack")
    assert result.exit_code == 0, result.output
    (post,) = hook["posts"]
    body = post["body"]
    assert set(body) == {"text", "blocks"} and body["text"].startswith("remediator apply: 1 tenant(s)")
    section = body["blocks"][1]["text"]["text"]
    assert section.startswith("*acme*") and "recap: changed=" in section
    assert SECRET not in result.output


def test_a_failing_webhook_is_one_line_without_the_url(hook: dict[str, Any], tenant: dict[str, Any]) -> None:
    hook["status"] = 500
    result = _plan(tenant, "--notify", hook["url"])
    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert last == "error: --notify: the webhook answered HTTP 500; nothing was posted"
    assert SECRET not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("url, message", [
    ("http://hooks.example.com/x", "must use https://"),
    ("ftp://hooks.example.com/x", "is not an http(s) URL"),
    ("env:REMEDIATOR_TEST_UNSET_HOOK", "environment variable REMEDIATOR_TEST_UNSET_HOOK is not set"),
])
def test_bad_webhooks_are_refused_before_anything_else(url: str, message: str, tmp_path: Path) -> None:
    # the playbook does not even exist: the webhook is checked first, before any file or tenant is read
    result = cli("plan", tmp_path / "missing.yml", "--notify", url)
    assert result.exit_code == 1 and result.output.startswith("error: --notify: ") and message in result.output
    assert "hooks.example.com" not in result.output


def test_bad_format_is_refused(tenant: dict[str, Any]) -> None:
    result = _plan(tenant, "--notify", "https://hooks.example.com/x", "--notify-format", "teams")
    assert result.exit_code == 1 and "--notify-format" in result.output

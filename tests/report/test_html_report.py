"""The report people read (issue 13 point 5): one self-contained HTML file with a timeline of the hunt's
findings and remediator's writes on one axis, and the same timeline as a Mermaid block in Markdown.

The browser test renders the file in a real headless Chromium (Debian's package, driven by Playwright
through `executable_path`), counts the chart's marks, checks that no request leaves the page, and keeps a
screenshot in `test-artifacts/` (or `$REMEDIATOR_ARTIFACTS`)."""

from __future__ import annotations

import json
import os
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from remediator.plan import Change, Finding, Plan, PlaybookRef, Target, TenantPlan
from remediator.report import html_report, markdown_report, render_report
from remediator.report.timeline import tenant_timeline

REPO = Path(__file__).resolve().parents[2]
VOID = {"meta", "br", "hr", "img", "input", "link", "source", "area", "base", "col", "embed", "wbr", "track"}
SVG_SELF_CLOSING = {"line", "circle", "rect", "path"}


class _Checker(HTMLParser):
    """Strict enough for our output: every non-void element closed in order; every reference collected."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.refs: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.refs += [v or "" for k, v in attrs if k in ("src", "href", "xlink:href", "action", "data")]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.refs += [v or "" for k, v in attrs if k in ("src", "href", "xlink:href", "action", "data")]

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()


def _plan(findings: int = 3) -> tuple[Plan, list[dict[str, Any]]]:
    hunt = [
        Finding(state="hunt", kind="okta.system_log_hunt", severity=("critical", "high", "medium")[i % 3],
                title=f"Rule {i}: user.session.impersonation.initiate by eve@evil.example",
                target=Target("system_log_event", f"uuid-{i}", "e"),
                evidence={"published": f"2022-01-{16 + i:02d}T10:00:00.000Z", "uuid": f"uuid-{i}"})
        for i in range(findings)
    ]
    grouped = Finding(state="hunt", kind="okta.system_log_hunt", severity="high", title="Spray by 203.0.113.9",
                      target=Target("hunt_group", "g1", "g"),
                      evidence={"first_seen": "2022-01-17T00:00:00Z", "last_seen": "2022-01-18T06:00:00Z",
                                "count": 500})
    other = Finding(state="support", kind="okta.support_access", severity="critical", title="<script>x</script>",
                    evidence={"note": "<img src=http://evil.example/x>"})
    change = Change(state="admins", kind="okta.admin_passwords", action="reset_password",
                    target=Target("user", "00u1", "ann@acme.example"), before={"status": "ACTIVE"},
                    after={"status": "RECOVERY"}, reason="password older than the breach")
    tenant = TenantPlan(name="acme", org_url="https://acme.okta.com", changes=(change,),
                        findings=(*hunt, grouped, other))
    plan = Plan(created_at="2022-03-22T12:00:00Z", playbook=PlaybookRef("p.yml", "ab" * 32), tenants=(tenant,))
    records = [
        {"type": "change", "tenant": "acme", "change": change.to_json(), "result": "pending",
         "time": "2022-03-22T12:01:00Z"},
        {"type": "change", "tenant": "acme", "change": change.to_json(), "result": "applied",
         "time": "2022-03-22T12:01:01Z", "request_id": "req-123"},
        {"type": "change", "tenant": "other", "change": change.to_json(), "result": "applied",
         "time": "2022-03-22T12:01:01Z", "request_id": "req-456"},
    ]
    return plan, records


def test_timeline_has_one_mark_per_hunt_finding_and_per_write_of_the_tenant() -> None:
    plan, records = _plan(findings=3)
    marks = tenant_timeline(plan.tenants[0], records)
    assert [m.lane for m in marks].count("attacker") == 4  # three events and one group
    assert [(m.label, m.ref) for m in marks if m.lane == "response"] == [("reset_password ann@acme.example", "req-123")]
    group = next(m for m in marks if m.count == 500)
    assert group.end > group.start
    assert [m.start for m in marks] == sorted(m.start for m in marks)


def test_html_is_self_contained_valid_and_escapes_what_the_log_says() -> None:
    plan, records = _plan()
    text = html_report(plan, journal_records=records)
    checker = _Checker()
    checker.feed(text)
    checker.close()
    assert not checker.errors and not checker.stack, (checker.errors, checker.stack)
    assert text.startswith("<!DOCTYPE html>")
    assert "script" not in checker.tags and "link" not in checker.tags and "img" not in checker.tags
    assert all(not r or r.startswith("#") for r in checker.refs), checker.refs
    assert "default-src 'none'" in text  # the browser refuses any fetch, whatever a string contains
    assert "&lt;script&gt;x&lt;/script&gt;" in text and "<script>" not in text
    assert "req-123" in text and "req-456" not in text
    assert text.count('class="mark attacker') == 4
    assert text.count('class="mark response') == 1


def test_markdown_carries_the_timeline_as_mermaid() -> None:
    plan, records = _plan(findings=2)
    text = markdown_report(plan, journal_records=records)
    block = text.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert block.startswith("gantt\n")
    entries = [line for line in block.splitlines() if line.startswith("    ") and " :" in line]
    assert len(entries) == 3 + 1  # two events, one group, one write
    assert "section Attacker" in block and "section Response" in block
    assert not any(c in e.split(" :", 1)[0] for e in entries for c in ":#;")


def test_render_report_picks_html_by_suffix(tmp_path: Path) -> None:
    plan, _ = _plan()
    assert render_report(tmp_path / "r.HTML", plan).startswith("<!DOCTYPE html>")
    assert render_report(tmp_path / "r.md", plan).startswith("# ")


def _chromium() -> str | None:
    names = ("chromium", "chromium-browser")
    for candidate in ("/usr/lib/chromium/chromium", *(shutil.which(n) or "" for n in names)):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def _browser_or_skip() -> tuple[Any, str]:
    """Debian's Chromium through Playwright; required in CI (.ci/run installs both), skipped elsewhere."""
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if executable is None or sync_playwright is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install chromium (apt) and playwright (pip) for the browser test")
        pytest.skip("no chromium or playwright here: the browser test runs in CI")
    return sync_playwright, executable


def test_the_report_of_a_real_run_renders_in_a_browser_offline(tmp_path: Path) -> None:
    sync_playwright, executable = _browser_or_skip()
    from remediator.sandbox import Sandbox
    from remediator.timeutil import format_time
    from tests.e2e.harness import LAPSUS, cli, write_inventory

    mp = pytest.MonkeyPatch()
    try:
        with Sandbox(scenario="lapsus-2022", users=120, seed=3) as sb:
            planted = sb.snapshot()["scenario"]["planted"]
            inventory = write_inventory(tmp_path / "inv.yml", {"hooli": {
                "org_url": sb.org_url, "token": sb.token,
                "vars": {"break_glass": [planted["break_glass_login"]], "evidence_dir": str(tmp_path / "ev")}}}, mp)
            result = cli("apply", LAPSUS, "-i", inventory, "--journal", tmp_path / "j.jsonl", "--yes",
                         "-e", f"evidence_until={format_time(sb.now())}", "--report", tmp_path / "report.html",
                         "--json")
    finally:
        mp.undo()
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)["plan"]
    hunt = [f for t in plan["tenants"] for f in t["findings"] if f["kind"] == "okta.system_log_hunt"]
    assert hunt, "the scenario plants attacker traces"
    requests: list[str] = []
    url = (tmp_path / "report.html").as_uri()
    artifacts = Path(os.environ.get("REMEDIATOR_ARTIFACTS", REPO / "test-artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("request", lambda r: requests.append(r.url))
        page.goto(url)
        counts = {sel: page.locator(sel).count() for sel in ("svg.timeline", ".mark.attacker", ".mark.response")}
        heading = page.locator("h2").first.inner_text()
        page.screenshot(path=str(artifacts / "report.png"), full_page=True)
        browser.close()
    assert counts["svg.timeline"] == 1
    assert counts[".mark.attacker"] == len(hunt)
    assert counts[".mark.response"] >= 1
    assert heading == "hooli"
    assert requests == [url]  # the file itself, nothing else
    assert (artifacts / "report.png").stat().st_size > 10_000


def test_markdown_lists_every_event_of_a_hunt_group() -> None:
    events = [{"uuid": f"u{i}", "published": f"2022-01-17T00:{i:02d}:00Z", "eventType": "user.session.start",
               "rules": ["r"]} for i in range(30)]
    group = Finding(state="hunt", kind="okta.system_log_hunt", severity="high", title="Spray by 203.0.113.9",
                    target=Target("hunt_group", "r:x", "g"),
                    evidence={"first_seen": events[0]["published"], "last_seen": events[-1]["published"],
                              "count": 30, "events": events})
    plan = Plan(created_at="2022-03-22T12:00:00Z", playbook=PlaybookRef("p.yml", "ab" * 32),
                tenants=(TenantPlan(name="acme", org_url="https://acme.okta.com", findings=(group,)),))
    text = markdown_report(plan)
    section = text.split("### Hunt events", 1)[1]
    assert all(f"`u{i}`" in section for i in range(30))

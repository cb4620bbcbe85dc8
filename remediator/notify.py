"""`--notify URL`: post a run's recap and its new critical and high findings to a webhook.

Webhook URLs are credentials (whoever holds a Slack incoming-webhook URL can post to the channel), so
the URL is never printed, logged or put in an error: failures name `--notify` and the HTTP status or
the kind of network error only. It may come from `REMEDIATOR_NOTIFY_URL` instead of the command line
(so that it stays out of shell history and CI logs). https only, except loopback, like org URLs.

Two payloads: `json` (the document below, for SIEMs and chat-ops bots) and `slack` (Slack's incoming
webhook format: `text` plus Block Kit `blocks`, which Mattermost and Teams' Slack-compatible hooks read).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from remediator import __version__
from remediator.errors import InputError
from remediator.okta.client import is_loopback
from remediator.plan import SEVERITIES, Plan

FORMATS = ("json", "slack")
NOTIFY_SEVERITIES = ("critical", "high")
TIMEOUT = 15.0
MAX_LISTED = 20  # findings listed by title in the Slack message (all of them are in the JSON)


def check_url(url: str) -> str:
    """The webhook URL if it is https (or http on loopback); an error that does not repeat it otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InputError("is not an http(s) URL", where="--notify")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise InputError("must use https:// (plain http:// only for loopback addresses)", where="--notify")
    return url.strip()


def _is_new(finding: Any) -> bool:
    """Not acknowledged (a finding someone accepted with `remediator ack` is not news)."""
    return not getattr(finding, "acknowledged", None)


def notification(plan: Plan, recaps: Sequence[Any] | None = None, *, command: str = "plan") -> dict[str, Any]:
    """The JSON document: per tenant, its status, change count, recap and new critical/high findings."""
    recap_by_name = {r.name: r for r in recaps or ()}
    tenants = []
    for tenant in plan.tenants:
        findings = [f for f in tenant.findings if f.severity in NOTIFY_SEVERITIES and _is_new(f)]
        findings.sort(key=lambda f: (SEVERITIES.index(f.severity), f.title))
        entry: dict[str, Any] = {
            "name": tenant.name, "org_url": tenant.org_url, "status": tenant.status, "error": tenant.error,
            "changes": len(tenant.changes),
            "findings": [{"id": f.id, "severity": f.severity, "title": f.title, "state": f.state, "kind": f.kind}
                         for f in findings],
        }
        recap = recap_by_name.get(tenant.name)
        if recap is not None:
            entry["recap"] = {"ok": recap.ok, "changed": recap.changed, "failed": recap.failed,
                              "skipped": recap.skipped, "error": recap.error}
        tenants.append(entry)
    return {"source": "remediator", "remediator_version": __version__, "command": command,
            "created_at": plan.created_at, "playbook": plan.playbook.path, "tenants": tenants}


def slack_payload(doc: dict[str, Any]) -> dict[str, Any]:
    """Slack's incoming-webhook shape: a one-line `text` (notifications) and a section per tenant."""
    total = sum(len(t["findings"]) for t in doc["tenants"])
    failed = [t["name"] for t in doc["tenants"] if t["status"] != "ok" or (t.get("recap") or {}).get("failed")]
    headline = (f"remediator {doc['command']}: {len(doc['tenants'])} tenant(s), {total} new critical/high "
                f"finding(s)" + (f", failed: {', '.join(failed)}" if failed else ""))
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": headline[:150]}}]
    for t in doc["tenants"]:
        lines = [f"*{t['name']}* ({t['org_url']}): {t['changes']} change(s)"]
        if t["status"] != "ok":
            lines.append(f"error: {t['error']}")
        if t.get("recap"):
            r = t["recap"]
            lines.append(f"recap: changed={r['changed']} failed={r['failed']} skipped={r['skipped']}")
        lines += [f"• [{f['severity']}] {f['title']}" for f in t["findings"][:MAX_LISTED]]
        if len(t["findings"]) > MAX_LISTED:
            lines.append(f"… and {len(t['findings']) - MAX_LISTED} more")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]}})
    return {"text": headline, "blocks": blocks[:50]}


def post(url: str, payload: dict[str, Any], *, timeout: float = TIMEOUT) -> None:
    """POST the payload as JSON; an error names the status or the failure, never the URL."""
    body = json.dumps(payload).encode()
    request = urllib.request.Request(check_url(url), data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "User-Agent": f"remediator/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(1024)
    except urllib.error.HTTPError as exc:
        raise InputError(f"the webhook answered HTTP {exc.code}; nothing was posted", where="--notify") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        kind = type(reason).__name__ if not isinstance(reason, str) else "network error"
        raise InputError(f"could not reach the webhook ({kind}); nothing was posted", where="--notify") from None


def send(url: str, fmt: str, plan: Plan, recaps: Sequence[Any] | None = None, *, command: str = "plan") -> None:
    """Build the payload in `fmt` (json or slack) and post it."""
    if fmt not in FORMATS:
        raise InputError(f"must be one of {', '.join(FORMATS)}, not {fmt!r}", where="--notify-format")
    doc = notification(plan, recaps, command=command)
    post(url, slack_payload(doc) if fmt == "slack" else doc)

"""Triage: findings someone reviewed and accepted stop being news, until their evidence changes.

`remediator ack TENANT FINDING_ID --by NAME --note TEXT [--expires DATE]` journals an acknowledgement
(`{"type": "ack", "tenant", "step": ID, "by", "note", "expires", "time"}`, the same record as a manual
step's). A finding's id is derived from its evidence too (`remediator.plan.Finding`), so an
acknowledgement covers exactly the evidence that was reviewed: a new event for the same rule and
actor, or a new grant to the same admin, gives the finding another id, and it is open again.

Pure: journal records and findings in, findings marked `acknowledged` out; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from remediator.plan import SEVERITIES, Finding, Plan
from remediator.timeutil import parse_time


def active_acks(records: Iterable[dict[str, Any]], now: datetime) -> dict[str, dict[str, Any]]:
    """The latest acknowledgement per id that has not expired at `now`: `{id: {by, note, time, expires}}`."""
    acks: dict[str, dict[str, Any]] = {}
    for record in records:
        if record.get("type") != "ack" or not record.get("step"):
            continue
        ack = {k: record.get(k) for k in ("by", "note", "time", "expires")}
        acks[str(record["step"])] = ack
    return {key: ack for key, ack in acks.items() if not _expired(ack, now)}


def _expired(ack: dict[str, Any], now: datetime) -> bool:
    expires = ack.get("expires")
    if not expires:
        return False
    try:
        return parse_time(str(expires)) <= now
    except ValueError:
        return True  # an unreadable expiry protects nothing


def mark(findings: Sequence[Finding], acks: dict[str, dict[str, Any]]) -> tuple[Finding, ...]:
    """The findings, those with an active acknowledgement of their id marked `acknowledged`."""
    return tuple(replace(f, acknowledged=acks[f.id]) if f.id in acks else f for f in findings)


def at_or_above(severity: str) -> frozenset[str]:
    """The severities `--fail-on SEVERITY` counts: that one and every more severe one."""
    return frozenset(SEVERITIES[: SEVERITIES.index(severity) + 1])


def open_findings(plan: Plan, severity: str) -> list[Finding]:
    """Unacknowledged findings of `severity` or above, over every tenant of the plan."""
    counted = at_or_above(severity)
    return [f for t in plan.tenants for f in t.findings if f.severity in counted and not f.acknowledged]

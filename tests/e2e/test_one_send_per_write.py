"""Exactly one send per write (issue 9 point 8), counted in the sandbox's System Log.

With the sandbox's fault injection dropping connections (`reset`: half of them after the handler
ran), HTTP-library resends (aiohttp resends a PUT/DELETE once when a kept-alive connection drops)
and blind retries of DELETE made two `user.session.clear` events for one write. Now a write whose
connection dropped after it was sent is never sent again without a re-check: each user's sessions
are cleared at most once, and every clear that failed says so.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from remediator.errors import OktaTransportError
from remediator.okta import OktaClient, SswsAuth
from remediator.sandbox import Sandbox


async def _clear_all(org_url: str, token: str, user_ids: list[str]) -> tuple[int, int]:
    """Clear each user's sessions once, one after another on a kept-alive connection; (ok, failed)."""
    ok = failed = 0
    async with OktaClient(org_url, SswsAuth(token), tenant="hooli", max_retries=3, pace=False) as okta:
        for uid in user_ids:
            await okta.get_json(f"/api/v1/users/{uid}")  # keeps the pooled connection warm, as kinds do
            try:
                await okta.request("DELETE", f"/api/v1/users/{uid}/sessions", params={"oauthTokens": "true"})
                ok += 1
            except OktaTransportError as exc:
                assert "may have reached Okta" in str(exc)
                failed += 1
    return ok, failed


def _active_users(sandbox: Any, count: int) -> list[str]:
    users = sandbox.snapshot()["users"]
    return [u["id"] for u in users if u["status"] == "ACTIVE"][:count]


def test_a_dropped_delete_is_never_sent_twice() -> None:
    with Sandbox(scenario="lapsus-2022", users=80, seed=2) as plain:
        users = _active_users(plain, 60)
    with Sandbox(scenario="lapsus-2022", users=80, seed=2, faults="reset:0.15") as sb:
        before = len(sb.logs)
        ok, failed = asyncio.run(_clear_all(sb.org_url, sb.token, users))
        events = [e for e in sb.logs[before:] if e["eventType"] == "user.session.clear"]
    per_user = Counter(t["id"] for e in events for t in e["target"] if t["type"] == "User")
    assert max(per_user.values()) == 1, {u: n for u, n in per_user.items() if n > 1}
    assert failed > 0, "the fault seed dropped no DELETE: the test would prove nothing"
    assert ok <= len(per_user) <= ok + failed  # every success logged once; a dropped one at most once

"""A write whose connection drops after it was sent is re-checked, never blindly resent (issue 9 point 8).

A session clear leaves no readable state, only its `user.session.clear` event: the re-check looks for
that event; a DELETE of a readable resource (a role assignment, an API token, a factor) is re-checked
by reading it (404: done). Either way each write appears once in the sandbox's System Log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from remediator.facts import endpoints as ep
from remediator.okta import OktaClient, SswsAuth
from remediator.sandbox import Sandbox
from tests.sandbox.fixtures import BOB, small_tenant

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def drop_first(method: str, path_part: str, *, after_handler: bool) -> Any:
    """Drop the first matching request's connection, after (or before) the handler ran."""
    state = {"dropped": False}

    @web.middleware
    async def drop(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == method and path_part in request.path and not state["dropped"]:
            state["dropped"] = True
            if after_handler:
                await handler(request)
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=500)
        return await handler(request)

    return drop


async def _send(sb: Sandbox, endpoint: ep.Endpoint, *values: str, **kwargs: Any) -> Any:
    async with OktaClient(sb.org_url, SswsAuth(sb.token), tenant="acme", pace=False) as okta:
        await okta.get_json(f"/api/v1/users/{BOB}")  # the tenant's clock, and a kept-alive connection
        return await endpoint.send(okta, *values, **kwargs)


@pytest.mark.parametrize("after_handler", [True, False], ids=["dropped-after-the-write", "dropped-before"])
def test_a_dropped_session_clear_is_logged_once(after_handler: bool) -> None:
    with Sandbox(small_tenant(), middlewares=[drop_first("DELETE", "/sessions", after_handler=after_handler)]) as sb:
        before = len(sb.logs)
        resp = asyncio.run(_send(sb, ep.CLEAR_SESSIONS, BOB, params={"oauthTokens": "true"}))
        events = [e for e in sb.logs[before:] if e["eventType"] == "user.session.clear"]
    assert len(events) == 1
    assert resp.request_id == events[0]["debugContext"]["debugData"]["requestId"]


@pytest.mark.parametrize("after_handler", [True, False], ids=["dropped-after-the-write", "dropped-before"])
def test_a_dropped_role_unassignment_is_logged_once(after_handler: bool) -> None:
    data = small_tenant()
    (role,) = data["user_roles"][BOB]
    with Sandbox(data, middlewares=[drop_first("DELETE", "/roles/", after_handler=after_handler)]) as sb:
        before = len(sb.logs)
        asyncio.run(_send(sb, ep.UNASSIGN_USER_ROLE, BOB, role["id"]))
        events = [e for e in sb.logs[before:] if e["eventType"].endswith("privilege.revoke")
                  or e["eventType"].endswith("privilege.grant")]
    assert len(events) == 1

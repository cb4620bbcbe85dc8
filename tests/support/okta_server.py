"""The one fake transport: a tiny scripted Okta on 127.0.0.1, for testing the real OktaClient's HTTP layer.

It stands where cassettes cannot: dropped connections, timeouts, answers scripted per request, rate-limit
windows on the test's FakeClock (`WindowLimits`). It is a different layer from `tests.support.client.FakeClient`,
which replaces the client itself for the kinds, facts and evidence; neither has a second copy in tests/.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from email.utils import formatdate
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def okta_json(body: Any, status: int = 200, *, request_id: str = "req", headers: dict[str, str] | None = None,
              ) -> web.Response:
    base = {"Date": formatdate(usegmt=True), "x-okta-request-id": request_id}
    return web.Response(status=status, text=json.dumps(body), content_type="application/json",
                        headers={**base, **(headers or {})})


async def drop_connection(request: web.Request) -> web.StreamResponse:
    """Read the request, then hang up without answering (the write may have happened)."""
    await request.read()
    assert request.transport is not None
    request.transport.close()
    return web.Response(status=204)  # never reaches the client: the connection is gone


def hang_until_stopped(server: FakeOkta) -> Handler:
    """A handler that answers only when the server stops: the client's timeout fires first."""

    async def hang(request: web.Request) -> web.StreamResponse:
        await server.stopping.wait()
        return web.Response(status=503)

    return hang


class FakeOkta:
    """Routes answer from per-route scripts: a list of handlers used in turn (the last repeats)."""

    def __init__(self) -> None:
        self.scripts: dict[tuple[str, str], list[Handler]] = {}
        self.hits: list[tuple[str, str]] = []
        self.headers: list[dict[str, str]] = []
        self.bodies: list[bytes] = []
        self._runner: web.AppRunner | None = None
        self.stopping = asyncio.Event()
        self.url = ""

    def script(self, method: str, path: str, *handlers: Handler) -> None:
        self.scripts[(method, path)] = list(handlers)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        key = (request.method, request.path)
        self.hits.append(key)
        self.headers.append(dict(request.headers))
        self.bodies.append(await request.read())
        handlers = self.scripts.get(key)
        if not handlers:
            return okta_json({"errorCode": "E0000022", "errorSummary": "The endpoint does not support the "
                              "provided HTTP method"}, 404)
        handler = handlers.pop(0) if len(handlers) > 1 else handlers[0]
        return await handler(request)

    def count(self, method: str, path: str) -> int:
        return self.hits.count((method, path))

    async def start(self) -> FakeOkta:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        self.stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()


class WindowLimits:
    """Okta-style fixed windows per bucket on a given clock: Limit/Remaining/Reset/Date, 429 beyond.

    Windows start at a bucket's first request and last `window` seconds; `Date` is the whole second
    and `Reset` the window's end rounded up, as Okta sends them. `epoch0` places the clock in 2022.
    """

    def __init__(self, clock: Callable[[], float], limits: dict[str, int], *, window: float = 60.0,
                 epoch0: float = 1642723200.0) -> None:
        self.clock = clock
        self.limits = limits
        self.window = window
        self.offset = epoch0 - clock()
        self.windows: dict[str, tuple[float, int]] = {}
        self.allowed: dict[str, int] = {}
        self.refused: dict[str, int] = {}

    def answer(self, bucket: str, body: Any) -> web.Response:
        import math

        now = self.clock() + self.offset
        end, used = self.windows.get(bucket, (0.0, 0))
        if now >= end:
            end, used = now + self.window, 0
        limit = self.limits[bucket]
        headers = {"Date": formatdate(math.floor(now), usegmt=True), "X-Rate-Limit-Limit": str(limit),
                   "X-Rate-Limit-Reset": str(math.ceil(end))}
        if used >= limit:
            self.windows[bucket] = (end, used)
            self.refused[bucket] = self.refused.get(bucket, 0) + 1
            headers["X-Rate-Limit-Remaining"] = "0"
            return okta_json({"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit due to too "
                              "many requests."}, 429, headers=headers)
        self.windows[bucket] = (end, used + 1)
        self.allowed[bucket] = self.allowed.get(bucket, 0) + 1
        headers["X-Rate-Limit-Remaining"] = str(limit - used - 1)
        return okta_json(body, headers=headers)

"""A tiny scripted Okta on 127.0.0.1, for what cassettes cannot hold: dropped connections, timeouts."""

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

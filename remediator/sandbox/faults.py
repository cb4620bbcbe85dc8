"""Faults on demand (`--faults`), for resilience tests of the client and the engine.

Spec: comma-separated `KIND:VALUE` parts, e.g. `500:0.02,503:0.02,reset:0.01,latency:20ms`.

- `500:P`     answer P of requests with 500 E0000009 (Okta's "Internal Server Error").
- `503:P`     answer P of requests with 503 E0000010 ("Service is in read only mode", the 503 Okta
              returns during maintenance; the other 503 codes in error-codes.json are feature-specific).
- `reset:P`   drop P of connections without any response (the transport is aborted). Half of the
              resets happen *after* the handler ran, so the write took effect but the client never
              hears of it: exactly the case the client's `recheck()` exists for.
- `latency:D` add a fixed delay D (`20ms`, `0.5s`, or plain seconds) before every request.

500 and 503 are answered before the handler runs (nothing changes). Probabilities add up: one draw
per request picks at most one fault. The RNG is seeded, so the n-th request sees the same fault for
the same seed and spec (requests are numbered in arrival order).
"""

from __future__ import annotations

import asyncio
import os
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from remediator.sandbox.ratelimit import okta_error_body

__all__ = ["FaultSpec", "faults_middleware", "parse_faults"]

_ERRORS = {
    500: ("E0000009", "Internal Server Error"),
    503: ("E0000010", "Service is in read only mode"),
}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s)?$")


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """Probabilities per request (0..1) and a fixed latency in seconds."""

    error500: float = 0.0
    error503: float = 0.0
    reset: float = 0.0
    latency: float = 0.0

    @property
    def active(self) -> bool:
        return bool(self.error500 or self.error503 or self.reset or self.latency)


def parse_faults(spec: str | None) -> FaultSpec:
    """Parse `500:0.02,503:0.02,reset:0.01,latency:20ms`; ValueError names the bad part."""
    if spec is None or not spec.strip():
        return FaultSpec()
    values: dict[str, float] = {}
    names = {"500": "error500", "503": "error503", "reset": "reset", "latency": "latency"}
    for raw in spec.split(","):
        part = raw.strip()
        kind, sep, value = part.partition(":")
        kind, value = kind.strip().lower(), value.strip()
        if not part or not sep or not value:
            raise ValueError(f"fault spec part {part!r} is not KIND:VALUE (e.g. 500:0.02, latency:20ms)")
        if kind not in names:
            raise ValueError(f"fault spec part {part!r}: unknown fault {kind!r} (expected 500, 503, reset or latency)")
        if names[kind] in values:
            raise ValueError(f"fault spec part {part!r}: {kind} is given twice")
        values[names[kind]] = _duration(part, value) if kind == "latency" else _probability(part, value)
    total = values.get("error500", 0.0) + values.get("error503", 0.0) + values.get("reset", 0.0)
    if total > 1.0:
        raise ValueError(f"fault spec {spec!r}: the probabilities add up to {total:g}, more than 1")
    return FaultSpec(**values)


def _probability(part: str, value: str) -> float:
    try:
        p = float(value)
    except ValueError:
        raise ValueError(f"fault spec part {part!r}: {value!r} is not a probability between 0 and 1") from None
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"fault spec part {part!r}: {value!r} is not a probability between 0 and 1")
    return p


def _duration(part: str, value: str) -> float:
    match = _DURATION.match(value.lower())
    if not match:
        raise ValueError(f"fault spec part {part!r}: {value!r} is not a duration such as 20ms or 0.5s")
    number = float(match.group(1))
    return number / 1000.0 if match.group(2) == "ms" else number


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def faults_middleware(spec: FaultSpec | str | None, seed: int = 1) -> Any:
    """An aiohttp middleware injecting the faults of `spec`, deterministic per `seed`."""
    faults = spec if isinstance(spec, FaultSpec) else parse_faults(spec)
    rng = random.Random(seed)
    p500 = faults.error500
    p503 = p500 + faults.error503
    preset = p503 + faults.reset
    latency = faults.latency

    @web.middleware
    async def inject_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
        draw = rng.random()
        after = rng.random() < 0.5
        if latency:
            await asyncio.sleep(latency)
        if draw < p503:
            return _error(500 if draw < p500 else 503)
        if draw < preset:
            if after:
                await handler(request)
            return _drop(request)
        return await handler(request)

    inject_faults.spec = faults  # type: ignore[attr-defined]
    return inject_faults


def _error(status: int) -> web.Response:
    code, summary = _ERRORS[status]
    resp = web.json_response(okta_error_body(code, summary), status=status)
    resp.headers["x-okta-request-id"] = os.urandom(16).hex()
    return resp


def _drop(request: web.Request) -> web.StreamResponse:
    """Abort the connection: the client sees a reset / disconnect and no response at all."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    # aiohttp still wants a response object; nothing reaches the client through a closed transport.
    return web.Response(status=500)

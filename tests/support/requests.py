"""Sandbox middlewares that see what a client asked: the requests made, or the calls per rate-limit bucket.

Handed to `Sandbox(..., middlewares=[...])`; they sit outside the sandbox's routes, so a request counts
whatever its answer."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from remediator.okta.buckets import bucket_for


def recorder(requests: list[tuple[str, str]]) -> Any:
    """Appends (method, path) of every request to `requests`."""
    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        requests.append((request.method, request.path))
        return await handler(request)

    return record


def bucket_counter(calls: dict[str, int]) -> Any:
    """Counts the requests per rate-limit bucket (`remediator.okta.buckets`) in `calls`."""
    @web.middleware
    async def count(request: web.Request, handler: Any) -> web.StreamResponse:
        bucket = bucket_for(request.method, request.path)
        calls[bucket] = calls.get(bucket, 0) + 1
        return await handler(request)

    return count

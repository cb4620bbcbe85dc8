"""A local Okta tenant: the Management API on loopback, for tests, the demo, benchmarks and rehearsals.

    with Sandbox(snapshot) as sb:          # or Sandbox(scenario="lapsus-2022", users=1000)
        sb.org_url, sb.token               # http://127.0.0.1:PORT and the operator's SSWS token
        sb.snapshot(); sb.logs; sb.now()
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp.typedefs import Middleware

from remediator.errors import InputError
from remediator.sandbox import snapshot as snapshot_format
from remediator.sandbox.config import SandboxConfig
from remediator.sandbox.loading import prepare, read_snapshot_file
from remediator.sandbox.server import ThreadedServer, run_serve, serve
from remediator.timeutil import format_time

__all__ = ["Sandbox", "SandboxConfig", "prepare", "read_snapshot_file", "run_serve", "serve"]



class Sandbox:
    """An in-process sandbox tenant on 127.0.0.1 (context manager; `start`/`stop` also work)."""

    def __init__(self, snapshot: dict[str, Any] | None = None, *, scenario: str | None = None, users: int = 200,
                 seed: int = 1, clock: str | None = None, token: str | None = None, rate_limits: str = "off",
                 time_scale: float = 1.0, faults: str | None = None, port: int = 0,
                 middlewares: list[Middleware] | None = None, log_delay: float | None = None,
                 okta_support_api: str | None = None) -> None:
        self.store, self.clock, self.config = prepare(
            snapshot=snapshot, scenario=scenario, users=users, seed=seed, clock=clock, token=token,
            rate_limits=rate_limits, time_scale=time_scale, faults=faults, log_delay=log_delay)
        if okta_support_api is not None:  # "current" (Okta today) or "2021" (older recordings)
            if okta_support_api not in snapshot_format.OKTA_SUPPORT_APIS:
                raise InputError(f"unknown Okta Support API {okta_support_api!r}", "okta_support_api")
            self.store.okta_support_api = okta_support_api
        self._server = ThreadedServer(self.store, self.clock, self.config, port=port, middlewares=middlewares)
        self.org_url = ""

    def __repr__(self) -> str:  # never show the token
        return f"Sandbox(org_url={self.org_url!r})"

    @property
    def token(self) -> str:
        return self.config.token

    def start(self) -> Sandbox:
        port = self._server.start()
        self.org_url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def now(self) -> datetime:
        return self.clock.now()

    def advance(self, seconds: float) -> None:
        """Move the tenant's clock forward by `seconds` (instead of a test sleeping)."""
        self.clock.advance(seconds)

    def snapshot(self) -> dict[str, Any]:
        """The current state in the snapshot format (a deep copy), logs included."""
        return self._call(lambda: snapshot_format.dump(self.store, taken_at=format_time(self.clock.now())))

    @property
    def logs(self) -> list[dict[str, Any]]:
        """Every event so far, persisted or not (the ground truth; a new list of shared, read-only events)."""
        return self._call(lambda: list(self.store.logs))

    def _call(self, fn: Any) -> Any:
        if self._server.thread.is_alive():
            return self._server.call(fn)
        return fn()

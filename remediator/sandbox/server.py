"""Running a sandbox tenant: in a background thread (tests, demo) or in the foreground (`sandbox serve`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.typedefs import Middleware

from remediator.sandbox.app import build_app
from remediator.sandbox.config import SandboxConfig
from remediator.sandbox.faults import faults_middleware
from remediator.sandbox.loading import prepare
from remediator.sandbox.ratelimit import ratelimit_middleware
from remediator.sandbox.store import Clock, Store
from remediator.sandbox.wire import TENANT, Tenant

T = TypeVar("T")
HOST = "127.0.0.1"


def default_middlewares(config: SandboxConfig) -> list[Middleware]:
    """Rate limits (also when "off": it then only writes relaxed headers) and faults when configured."""
    out: list[Middleware] = [ratelimit_middleware(config)]
    if config.faults:
        out.append(faults_middleware(config.faults, config.seed))
    return out


async def start_site(app: web.Application, port: int) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, HOST, port, reuse_address=True)
    await site.start()
    server = site._server  # aiohttp exposes the bound port only through the asyncio server
    sockets = getattr(server, "sockets", None) or []
    bound = sockets[0].getsockname()[1] if sockets else port
    return runner, bound


def attach_url(app: web.Application, port: int) -> Tenant:
    tenant = app[TENANT]
    tenant.public_url = f"http://{HOST}:{port}"
    if not tenant.store.org_url:
        tenant.store.org_url = tenant.public_url
    return tenant


class ThreadedServer:
    """An aiohttp server with its own event loop in a daemon thread; `call` runs code on that loop."""

    def __init__(self, store: Store, clock: Clock, config: SandboxConfig, *, port: int = 0,
                 middlewares: Iterable[Middleware] | None = None) -> None:
        self.store, self.clock, self.config, self.port = store, clock, config, port
        self.middlewares = list(middlewares) if middlewares is not None else None
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="remediator-sandbox", daemon=True)
        self._ready: Future[int] = Future()
        self._runner: web.AppRunner | None = None
        self.tenant: Tenant | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._start())
        except BaseException as err:  # report any start failure to the waiting thread
            self._ready.set_exception(err)
            return
        self.loop.run_forever()
        if self._runner is not None:
            self.loop.run_until_complete(self._runner.cleanup())
        self.loop.close()

    async def _start(self) -> None:
        middlewares = self.middlewares if self.middlewares is not None else default_middlewares(self.config)
        app = build_app(self.store, self.clock, self.config, middlewares)
        self._runner, self.port = await start_site(app, self.port)
        self.tenant = attach_url(app, self.port)
        self._ready.set_result(self.port)

    def start(self, timeout: float = 30.0) -> int:
        self.thread.start()
        return self._ready.result(timeout)

    def call(self, fn: Callable[[], T], timeout: float = 120.0) -> T:
        async def run() -> T:
            return fn()
        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout)

    def stop(self) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(30)


def peak_rss_mb() -> float:
    """This process's peak resident memory (`ru_maxrss`: kilobytes on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def write_ready_file(path: str | os.PathLike[str], org_url: str, token: str) -> None:
    """Atomically, so a watcher never reads half a file."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps({"org_url": org_url, "token": token}))
    os.chmod(tmp, 0o600)
    tmp.replace(target)


def run_serve(*, scenario: str | None = None, snapshot: str | os.PathLike[str] | None = None, users: int = 200,
              seed: int = 1, clock: str | None = None, port: int = 0, token: str | None = None,
              ready_file: str | os.PathLike[str] | None = None, rate_limits: str = "off",
              time_scale: float = 1.0, faults: str | None = None, on_ready: Callable[[str], Any] | None = None,
              log_delay: float | None = None, log_events: int | None = None,
              announce: Callable[[str], Any] | None = None) -> int:
    """`remediator sandbox serve`: serve until SIGTERM/SIGINT, then exit 0. Bad input raises InputError.

    `announce` receives one line once requests are accepted: the tenant's size, the time and CPU it took
    to be ready and the process's peak RSS, so the sandbox's memory is measured from the command line."""
    started, cpu = time.perf_counter(), time.process_time()
    store, clock_obj, config = prepare(snapshot_path=snapshot, scenario=scenario, users=users, seed=seed,
                                       clock=clock, token=token, rate_limits=rate_limits,
                                       time_scale=time_scale, faults=faults, log_delay=log_delay,
                                       log_events=log_events)

    async def main() -> None:
        app = build_app(store, clock_obj, config, default_middlewares(config))
        runner, bound = await start_site(app, port)
        tenant = attach_url(app, bound)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        try:
            if ready_file:
                write_ready_file(ready_file, tenant.public_url, config.token)
            if on_ready:
                on_ready(tenant.public_url)
            if announce:
                announce(f"sandbox: serving {tenant.public_url}: {len(store.users):,} users, {len(store.logs):,} "
                         f"System Log events; ready in {time.perf_counter() - started:.1f} s "
                         f"({time.process_time() - cpu:.1f} s CPU), peak RSS {peak_rss_mb():,.0f} MB")
            await stop.wait()
        finally:
            await runner.cleanup()

    asyncio.run(main())
    return 0


serve = run_serve  # the name interfaces.md uses

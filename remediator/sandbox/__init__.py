"""A local Okta tenant: the Management API on loopback, for tests, the demo, benchmarks and rehearsals.

    with Sandbox(snapshot) as sb:          # or Sandbox(scenario="lapsus-2022", users=1000)
        sb.org_url, sb.token               # http://127.0.0.1:PORT and the operator's SSWS token
        sb.snapshot(); sb.logs; sb.now()
"""

from __future__ import annotations

import gzip
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from remediator.errors import InputError
from remediator.sandbox import snapshot as snapshot_format
from remediator.sandbox.app import Middleware
from remediator.sandbox.config import DEFAULT_LOG_DELAY, SandboxConfig
from remediator.sandbox.server import ThreadedServer, run_serve, serve
from remediator.sandbox.store import Clock, Store, random_token
from remediator.timeutil import format_time, parse_time

__all__ = ["Sandbox", "SandboxConfig", "prepare", "run_serve", "serve"]


def _scenario_clock(name: str | None) -> str | None:
    from remediator.sandbox.scenarios import SCENARIOS

    found = SCENARIOS.get(name or "")
    return found.clock if found else None


def _scenario_log_delay(name: str | None) -> float:
    """Scenarios persist some System Log events late, as Okta does (`SandboxConfig.log_delay`)."""
    from remediator.sandbox.scenarios import SCENARIOS

    found = SCENARIOS.get(name or "")
    return DEFAULT_LOG_DELAY if found and found.log_delay else 0.0


def _start_time(clock: str | None, data: dict[str, Any] | None, scenario: str | None) -> datetime | None:
    # A snapshot resumes at its own moment (org.clock, else taken_at), so its logs and dates stay coherent.
    text = (clock or ((data or {}).get("org") or {}).get("clock") or (data or {}).get("taken_at")
            or _scenario_clock(scenario))
    if not text:
        return None
    try:
        return parse_time(text)
    except ValueError:
        raise InputError(f"not a date: {text!r}", "--clock") from None


def read_snapshot_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    file = Path(path)
    try:
        raw = file.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        data = json.loads(raw)
    except (OSError, ValueError) as err:
        raise InputError(f"cannot read the snapshot: {err}", str(file)) from None
    if not isinstance(data, dict):
        raise InputError("a snapshot is a JSON object", str(file))
    return data


def prepare(*, snapshot: dict[str, Any] | None = None, snapshot_path: str | os.PathLike[str] | None = None,
            scenario: str | None = None, users: int = 200, seed: int = 1, clock: str | None = None,
            token: str | None = None, rate_limits: str = "off", time_scale: float = 1.0,
            faults: str | None = None, log_delay: float | None = None,
            log_events: int | None = None) -> tuple[Store, Clock, SandboxConfig]:
    """Build the state, clock and config of a tenant from a snapshot (dict or file) or a scenario.

    `log_delay` (seconds, see `SandboxConfig`): None takes the scenario's (off for snapshots).
    `log_events`: the size of a scenario's generated System Log (None: the scenario's default)."""
    if snapshot is not None and snapshot_path is not None:
        raise InputError("give a snapshot or a snapshot file, not both", "--snapshot")
    if scenario and (snapshot is not None or snapshot_path is not None):
        raise InputError("give --scenario or --snapshot, not both", "--scenario")
    if snapshot_path is not None:
        snapshot = read_snapshot_file(snapshot_path)
    start = _start_time(clock, snapshot, scenario)
    if scenario:
        from remediator.sandbox.scenarios import load as load_scenario

        start = start or parse_time(format_time(datetime.now().astimezone()))
        snapshot = load_scenario(scenario, users, seed, format_time(start), log_events=log_events)
        start = _start_time(clock, snapshot, scenario) or start
    if snapshot is None:
        snapshot = snapshot_format.minimal(clock=format_time(start) if start else None)
    try:
        config = SandboxConfig(rate_limits=rate_limits, time_scale=time_scale, faults=faults, seed=seed,
                               token=token or random_token(), clock=format_time(start) if start else None,
                               log_delay=_scenario_log_delay(scenario) if log_delay is None
                               else log_delay)
        store = snapshot_format.load(snapshot)
    except ValueError as err:
        raise InputError(str(err), "sandbox") from None
    return store, Clock(start), config


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

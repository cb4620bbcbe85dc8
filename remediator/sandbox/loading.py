"""The state, clock and config of a sandbox tenant, from a snapshot (dict or file) or a scenario."""

from __future__ import annotations

import gc
import gzip
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from remediator.errors import InputError
from remediator.sandbox import snapshot as snapshot_format
from remediator.sandbox.config import DEFAULT_LOG_DELAY, SandboxConfig
from remediator.sandbox.scenarios import SCENARIOS
from remediator.sandbox.scenarios import load as load_scenario
from remediator.sandbox.store import Clock, Store, random_token
from remediator.timeutil import format_time, parse_time


def _scenario_clock(name: str | None) -> str | None:
    found = SCENARIOS.get(name or "")
    return found.clock if found else None


def _scenario_log_delay(name: str | None) -> float:
    """Scenarios persist some System Log events late, as Okta does (`SandboxConfig.log_delay`)."""
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
    # The cyclic GC stays off from generation to the end of the load, which freezes a large tenant out of
    # its sight: turned on in between, its first pass would walk millions of young objects (2 s at 100,000
    # users and 1,000,000 events) to find no garbage.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _prepare(snapshot=snapshot, snapshot_path=snapshot_path, scenario=scenario, users=users, seed=seed,
                        clock=clock, token=token, rate_limits=rate_limits, time_scale=time_scale, faults=faults,
                        log_delay=log_delay, log_events=log_events)
    finally:
        if paused:
            gc.enable()


def _prepare(*, snapshot: dict[str, Any] | None, snapshot_path: str | os.PathLike[str] | None, scenario: str | None,
             users: int, seed: int, clock: str | None, token: str | None, rate_limits: str, time_scale: float,
             faults: str | None, log_delay: float | None, log_events: int | None) -> tuple[Store, Clock, SandboxConfig]:
    if snapshot is not None and snapshot_path is not None:
        raise InputError("give a snapshot or a snapshot file, not both", "--snapshot")
    if scenario and (snapshot is not None or snapshot_path is not None):
        raise InputError("give --scenario or --snapshot, not both", "--scenario")
    if snapshot_path is not None:
        snapshot = read_snapshot_file(snapshot_path)
    start = _start_time(clock, snapshot, scenario)
    if scenario:
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

"""Scenario generators: `load(name, users, seed, clock)` returns a tenant snapshot dict."""

from __future__ import annotations

import importlib
from typing import Any

from remediator.errors import InputError

SCENARIOS = {"lapsus-2022": "remediator.sandbox.scenarios.lapsus_2022"}


def load(name: str, users: int, seed: int, clock: str) -> dict[str, Any]:
    module_name = SCENARIOS.get(name)
    if module_name is None:
        raise InputError(f"unknown scenario {name!r} (known: {', '.join(sorted(SCENARIOS))})", "--scenario")
    module = importlib.import_module(module_name)
    return module.generate(users, seed, clock)

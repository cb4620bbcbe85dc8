"""Scenario generators: `load(name, users, seed, clock)` returns a tenant snapshot dict.

Each scenario is a rehearsal tenant for one shipped playbook: `SCENARIOS[name]` gives its module (with
`generate(users, seed, clock)`), the playbook it rehearses, its default clock and its System Log delay.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from remediator.errors import InputError


@dataclass(frozen=True)
class Scenario:
    module: str
    playbook: str  # file name among the shipped playbooks
    clock: str  # the tenant's default now
    log_delay: bool = True  # persists some System Log events late, as Okta does


_PKG = "remediator.sandbox.scenarios."
SCENARIOS = {
    "lapsus-2022": Scenario(_PKG + "lapsus_2022", "okta-lapsus-2022.yml", "2022-03-22T12:00:00Z"),
    "support-har-2023": Scenario(_PKG + "support_har_2023", "okta-support-har-2023.yml", "2023-11-03T12:00:00Z"),
    "cross-tenant-2023": Scenario(_PKG + "cross_tenant_2023", "okta-cross-tenant-impersonation-2023.yml",
                                  "2023-09-05T12:00:00Z"),
    "credential-stuffing-2024": Scenario(_PKG + "credential_stuffing_2024", "okta-credential-stuffing-2024.yml",
                                         "2024-05-02T12:00:00Z"),
}


def scenario(name: str) -> Scenario:
    found = SCENARIOS.get(name)
    if found is None:
        raise InputError(f"unknown scenario {name!r} (known: {', '.join(sorted(SCENARIOS))})", "--scenario")
    return found


def load(name: str, users: int, seed: int, clock: str, *, log_events: int | None = None) -> dict[str, Any]:
    """The scenario's snapshot to serve; `log_events` sizes its System Log (None: the scenario's default).
    Its `logs` may be compact (an `eventlog.EventLog`, lapsus-2022's): a sandbox serves them a page at a time."""
    module = importlib.import_module(scenario(name).module)
    return module.generate(users, seed, clock, log_events=log_events, compact=True)

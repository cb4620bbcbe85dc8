"""Every shipped scenario generates at the sizes the benchmarks use (issue 14: one tenant per scenario, 1,000 users
in `--quick`): cross-tenant-2023 once failed at 1,000 and 2,000 users (seed 1), its random admins holding no
ACTIVE HELP_DESK_ADMIN to reset the victim's factors."""

from __future__ import annotations

import pytest

from remediator.errors import InputError
from remediator.sandbox.scenarios import SCENARIOS, load


@pytest.mark.parametrize("users", [1000, 2000])
def test_cross_tenant_plants_its_reset_at_benchmark_sizes(users: int) -> None:
    snap = load("cross-tenant-2023", users, 1, SCENARIOS["cross-tenant-2023"].clock)
    planted = snap["scenario"]["planted"]
    resetter = planted["admins"][planted["help_desk_admin"]]
    assert resetter["status"] == "ACTIVE" and planted["help_desk_admin"] != planted["reset_admin"]
    assert {r["type"] for r in resetter["roles"]} & {"HELP_DESK_ADMIN", "ORG_ADMIN", "SUPER_ADMIN"}
    resets = [e for e in snap["logs"] if e["eventType"] == "user.mfa.factor.reset_all"
              and e["target"][0]["id"] == planted["reset_admin"]]
    assert [e["actor"]["id"] for e in resets] == [planted["help_desk_admin"]]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_scenario_generates_at_the_quick_benchmark_size(name: str) -> None:
    snap = load(name, 1000, 1, SCENARIOS[name].clock)
    assert len(snap["users"]) >= 1000 and snap["scenario"]["planted"]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
@pytest.mark.parametrize("users", [40, 60, 80])
def test_small_sizes_generate_or_are_refused_in_one_line(name: str, users: int) -> None:
    """credential-stuffing-2024 crashed (IndexError) at 40 to ~70 users, which lapsus-2022 accepts: it needs 40
    ordinary ACTIVE users for its spray and look-alikes. A size a scenario cannot honour is a user mistake."""
    for seed in (1, 2, 3, 7):
        try:
            snap = load(name, users, seed, SCENARIOS[name].clock)
        except InputError as err:
            assert err.where == "--users"
            continue
        assert snap["scenario"]["planted"]


def test_credential_stuffing_names_its_smallest_size() -> None:
    from remediator.sandbox.scenarios.credential_stuffing_2024 import MIN_USERS

    with pytest.raises(InputError, match=f"at least {MIN_USERS} users"):
        load("credential-stuffing-2024", MIN_USERS - 1, 1, SCENARIOS["credential-stuffing-2024"].clock)
    for seed in range(1, 13):
        assert load("credential-stuffing-2024", MIN_USERS, seed, SCENARIOS["credential-stuffing-2024"].clock)

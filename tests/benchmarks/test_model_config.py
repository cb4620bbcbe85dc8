"""The minimal-call model of the configuration kinds holds: planning each against a sandbox makes exactly the
calls `benchmarks/model.py` counts, so apps, zones and policies cost their lists, never a call per object."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks import model
from remediator.sandbox import Sandbox
from tests.kinds import live
from tests.support.requests import bucket_counter


@pytest.fixture(scope="module")
def tenant() -> Any:
    calls: dict[str, int] = {}
    with Sandbox(scenario="lapsus-2022", users=200, seed=3, middlewares=[bucket_counter(calls)]) as sb:
        yield sb, calls


async def _plan(tenant: Any, kind: str, args: dict[str, Any]) -> tuple[dict[str, int], Any]:
    sb, calls = tenant
    calls.clear()
    changes, findings = await live.plan(sb, kind, args)
    return dict(calls), (changes, findings)


def _count(sb: Sandbox, key: str, **match: Any) -> int:
    return sum(1 for o in sb.snapshot().get(key) or [] if all(o.get(k) == v for k, v in match.items()))


async def test_apps_cost_one_page_of_active_apps(tenant: Any) -> None:
    sb, _ = tenant
    calls, _ = await _plan(tenant, "okta.apps", {"sign_on_modes": ["SAML_2_0"]})
    assert calls == model.apps_plan_calls(_count(sb, "apps", status="ACTIVE"))
    assert model.apps_plan_calls(5_000) == {"catch_all": 25}  # 5,000 active apps: 25 pages, not 5,000 calls


async def test_zones_cost_their_list_and_only_a_deactivation_reads_the_rules(tenant: Any) -> None:
    sb, _ = tenant
    zones = _count(sb, "network_zones")
    calls, _ = await _plan(tenant, "okta.network_zone", {"name": "Office egress", "status": "ACTIVE"})
    assert calls == model.zone_plan_calls(zones)
    calls, _ = await _plan(tenant, "okta.network_zone", {"name": "Office egress", "status": "INACTIVE"})
    types = ("OKTA_SIGN_ON", "ACCESS_POLICY", "PASSWORD", "MFA_ENROLL", "IDP_DISCOVERY")
    counts = {t: _count(sb, "policies", type=t) for t in types}
    assert calls == model.zone_plan_calls(zones, deactivating=True, policies_by_type=counts)


async def test_policies_cost_the_list_of_their_type_and_rules_of_the_selected_ones(tenant: Any) -> None:
    sb, _ = tenant
    signon = _count(sb, "policies", type="OKTA_SIGN_ON")
    calls, _ = await _plan(tenant, "okta.policy", {"type": "OKTA_SIGN_ON", "name": "*",
                                                   "set": {"description": "global session"}})
    assert calls == model.policy_plan_calls(signon)
    calls, _ = await _plan(tenant, "okta.policy_rule", {"policy": {"type": "OKTA_SIGN_ON", "name": "Default Policy"},
                                                        "rule": "*", "set": {"actions.signon.requireFactor": True}})
    assert calls == model.policy_rule_plan_calls(signon, 1)
    two_factors = {"actions.appSignOn.verificationMethod.factorMode": "2FA"}
    calls, _ = await _plan(tenant, "okta.policy_rule", {"policy": {"app": "saasure"}, "rule": "*", "set": two_factors})
    assert calls == model.policy_rule_plan_calls(_count(sb, "policies", type="ACCESS_POLICY"), 1, by_app=True)


def test_the_configuration_apply_is_one_write_per_change() -> None:
    assert model.config_apply_calls(3) == {"catch_all": 3} and model.config_apply_calls(0) == {}
    assert model.floor(model.config_apply_calls(300)).seconds == pytest.approx(60.0)  # 300 / 300 per minute

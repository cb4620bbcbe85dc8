"""The minimal-call model and the floor (benchmarks/model.py): the arithmetic README.md states."""

from __future__ import annotations

import pytest

from benchmarks import model
from benchmarks.report import _row, render_table
from remediator.sandbox.scenarios.lapsus_2022 import generate


def scenario(**over: object) -> model.Scenario:
    base = dict(users=100_000, log_events=1_000_000, admins=500, admin_statuses={"ACTIVE": 496},
                admin_group_members=(3, 1200), signon_policies=2, mfa_access_policies=1, api_tokens=5, idps=2,
                grant_events=3, clear_events=0, rotations=430, new_admins_active=2, session_clears=497,
                support_writes=2, token_revokes=1, policy_writes=4)
    base.update(over)
    return model.Scenario(**base)  # type: ignore[arg-type]


def test_effective_rate_is_half_the_published_limit_per_scaled_minute() -> None:
    assert model.share("users") == 300 and model.share("logs") == 25 and model.share("user_by_id") == 500
    assert model.rate("users") == pytest.approx(5.0)            # 300 per 60 s
    assert model.rate("users", time_scale=20) == pytest.approx(100.0)
    assert model.rate("logs", "workforce") == pytest.approx(1.0)  # 120 / 2 per minute


def test_floor_is_the_slowest_bucket_with_buckets_side_by_side() -> None:
    fl = model.floor({"users": 1000, "user_by_id": 500, "iam": 5})
    assert fl.binding == "users"
    assert fl.seconds == pytest.approx(200.0)                  # 1,000 / 300 per minute
    assert fl.per_bucket["user_by_id"] == pytest.approx(60.0)  # 500 / 500 per minute
    assert fl.per_bucket["iam"] == pytest.approx(3.0)          # 5 / 100 per minute
    assert model.floor({"users": 1000}, time_scale=20).seconds == pytest.approx(10.0)
    assert model.floor({}).seconds == 0 and model.floor({}).binding is None


def test_okta_api_examples_hold() -> None:
    # okta-api.md: listing 100,000 users is 500 pages, 100 s; 1,000,000 events 40 min
    assert model.floor({"users": model.pages(100_000, model.USERS_PAGE)}).seconds == pytest.approx(100.0)
    # ... plus the polling query's empty last page (1,001 pages)
    assert model.floor(model.archive_calls(1_000_000)).seconds == pytest.approx(2402.4)


def test_plan_model_reads_admins_only_never_every_user() -> None:
    calls = model.plan_calls(scenario())
    assert calls["users"] == 1000                    # roles + factors per admin; no listing of 100,000 users
    assert calls["user_by_id"] == 500 and calls["iam"] == 5 and calls["user_me"] == 1
    assert calls["groups"] == 1 + 2                  # 1,000 members a page
    assert calls["catch_all"] == 1 + 1 + 1 + 1 + 3 + 2 + 1
    assert calls["logs"] == 2
    assert model.floor(calls).seconds == pytest.approx(200.0)
    assert model.plan_calls(scenario(admins=1000))["users"] == 2000


def test_apply_model_is_one_write_per_change_and_the_reread_of_its_target() -> None:
    writes = model.apply_write_calls(scenario())
    assert writes == {"users": 430 + 2 + 497, "catch_all": 2 + 1 + 4}
    # issue 9's re-read: each of the 497 target users by id and its roles, the token owner and its roles (the
    # super admin no change targets), the two log queries; never the admin list, a user page or a factor
    reread = model.apply_reread_calls(scenario())
    assert reread == {"user_me": 1, "user_by_id": 497, "users": 497 + 1, "logs": 2,
                      "catch_all": 1 + 2 + 1 + 1 + 3 + 2 + 1 + 4}
    calls = model.apply_calls(scenario())
    assert calls["users"] == 929 + 498 and calls["user_by_id"] == 497
    assert model.floor(calls).seconds == pytest.approx((929 + 498) / 5)


def test_naive_and_archive_models() -> None:
    assert model.naive_calls(10_000) == {"users": 50 + 20_000}
    assert model.naive_calls(1) == {"users": 1 + 2}
    assert model.archive_calls(50_000) == {"logs": 51}  # 50 full pages, then the empty one
    assert model.archive_calls(50_001) == {"logs": 52}
    assert model.archive_calls(0) == {"logs": 1}
    assert model.windows_needed(1000, "users") == 4 and model.windows_needed(1, "logs") == 1


def test_scenario_numbers_come_from_the_generated_tenant() -> None:
    snap = generate(200, 3, "2022-03-22T12:00:00Z", log_events=3000)
    planted = snap["scenario"]["planted"]
    glass = planted["break_glass_login"]
    s = model.scenario_numbers(snap, protected_logins=(glass,))
    assert s.users == 200 and s.log_events == len(snap["logs"]) and s.admins == len(planted["admins"])
    assert sum(s.admin_statuses.values()) == s.admins
    assert s.rotations == len(planted["admins_needing_rotation"]) - 1  # break-glass becomes a finding
    assert model.scenario_numbers(snap).rotations == len(planted["admins_needing_rotation"])
    assert s.new_admins_active == len(planted["new_admins"]) == 2
    assert s.session_clears == s.admins - s.admin_statuses.get("DEPROVISIONED", 0) - 1  # not the token owner
    assert s.support_writes == 2 and s.token_revokes == 1 and s.policy_writes == 5  # Dashboard's rule too
    assert model.Scenario.from_json(s.to_json()) == s


def test_quick_gates_with_half_again_the_target() -> None:
    rows: list[dict] = []
    _row(rows, "a", "w", "m", 1.9, "<=", 1.3, True)
    _row(rows, "b", "w", "m", 2.0, "<=", 1.3, True)
    _row(rows, "c", "w", "m", 14.0, ">=", 20, True)
    _row(rows, "d", "w", "m", 13.0, ">=", 20, True)
    _row(rows, "e", "w", "m", 1.2, "<=", 1.1, False)
    _row(rows, "f", "w", "m", 1, "<=", 0, True)
    assert [r["gate_ok"] for r in rows] == [True, False, True, False, False, False]
    # the target itself: only a full run's rows or values at the target are met, never one within the slack
    assert [r["met"] for r in rows] == [False, False, False, False, False, False]
    _row(rows, "g", "w", "m", 1.3, "<=", 1.3, True)
    _row(rows, "h", "w", "m", 25, ">=", 20, True)
    assert [r["met"] for r in rows[-2:]] == [True, True]


def test_the_table_says_met_only_when_the_target_is_met() -> None:
    rows: list[dict] = []
    _row(rows, "a", "w", "archive", 1.18, "<=", 1.1, True)
    table = render_table(rows, {"date": "d", "quick": True, "time_scale": 20, "window_s": 3.0, "latency": "l",
                                "total_wall_s": 1, "load_before": [0], "load_after": [0], "machine": {"cpus": 2}})
    line = next(x for x in table.splitlines() if "archive" in x)
    cells = [c.strip() for c in line.split("|")[1:-1]]
    assert cells[4] == "**no**" and cells[5] == "<= 1.65: passed"


def test_a_selector_on_100000_users_costs_its_search_not_a_scan() -> None:
    # created_after + status matching 340 of 100,000 users: one search, 2 pages; a scan would be 500 pages
    # plus a roles and a factors read per user (naive_calls)
    by_search = model.selector_calls(model.Selection(searches=(340,)))
    assert by_search == {"users": 2}
    assert model.naive_calls(100_000)["users"] == 500 + 200_000
    # 60 logins: three queries of at most 25, one page each
    assert model.selector_calls(model.Selection(searches=(25, 25, 10))) == {"users": 3}
    # roles: [SUPER_ADMIN] reads the admin list (500 admins), whatever the number of users
    admins = model.selector_calls(model.Selection(admins=500, admin_group_members=(3, 1200)))
    assert admins == {"iam": 5, "user_by_id": 500, "users": 500, "groups": 3}
    # a group of 2,500 members: the group by name, then 3 pages of members
    assert model.selector_calls(model.Selection(group_members=2500)) == {"groups": 4}


async def test_the_selector_makes_exactly_the_modelled_calls() -> None:
    """Resolved against a sandbox tenant through the real client, the selector's requests are the model's."""
    from aiohttp import web

    from remediator.kinds.selector import search_expressions, select
    from remediator.sandbox import Sandbox
    from tests.kinds import live

    log: list[tuple[str, str]] = []

    @web.middleware
    async def record(request: web.Request, handler):  # type: ignore[no-untyped-def]
        log.append((request.method, request.path))
        return await handler(request)

    sel = {"created_after": "2021-06-01T00:00:00Z", "status": ["ACTIVE", "LOCKED_OUT"]}
    with Sandbox(scenario="lapsus-2022", users=1500, seed=3, middlewares=[record]) as sb:
        snap = sb.snapshot()
        matching = sum(1 for u in snap["users"] if u["status"] in sel["status"] and u["created"] >= "2021-06-01")
        async with live.tenant(sb) as ctx:
            log.clear()
            found = await select(ctx, sel)
            searched = list(log)
            log.clear()
            admins = await select(ctx, {"roles": ["SUPER_ADMIN"], "status": ["ACTIVE"]})
            by_admins = list(log)
    assert len(found.users) == matching > 200
    assert len(search_expressions(sel)) == 1
    expected = model.selector_calls(model.Selection(searches=(matching,)))
    assert {"users": len(searched)} == expected and all(p == "/api/v1/users" for _, p in searched)
    assert admins.users and not any(p == "/api/v1/users" for _, p in by_admins)  # no search: the admin list only
    assert sum(1 for _, p in by_admins if p.startswith("/api/v1/iam/")) == model.pages(
        len(snap["scenario"]["planted"]["admins"]), model.ASSIGNEES_PAGE)

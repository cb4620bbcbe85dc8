"""Apply re-decides a saved plan on a read narrowed to its targets (issue 14), with issue 9's guarantees intact.

(a) The re-read is targeted: each planned user by id and its roles, the token owner and its roles (the one
active super admin no change targets), never the admin list, a page of users, a group's members or a factor.
(b) What the full re-read refused, the narrow one refuses: a target changed by someone else, a target now
protected, the active super admins down to the planned targets. Requests are counted per endpoint by the
sandbox itself (a middleware), not by the client."""

from __future__ import annotations

import os
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from remediator.engine import ApplySettings, PlanSettings, apply, jobs_for, plan, playbook_ref
from remediator.engine.applier import checked_kinds
from remediator.engine.planner import decide
from remediator.engine.session import TenantSession, scopes_of
from remediator.inventory import TenantSpec
from remediator.journal import Journal, read_records
from remediator.playbook import load_playbook, parse_extra_vars
from remediator.sandbox import Sandbox
from tests.e2e.harness import write_playbook
from tests.sandbox.fixtures import call
from tests.support.requests import recorder

SHIPPED = Path(__file__).resolve().parents[2] / "playbooks" / "okta-lapsus-2022.yml"
CONTAIN = {"contain", "harden"}  # the states that write to the tenant (not the archive, hunt or manual steps)
NEW_ADMINS = [{"name": "No admin account created since the breach",
               "okta.new_admins": {"created_after": "2022-01-21T00:00:00Z", "action": "suspend"}}]
WRITES = ("user.lifecycle.suspend", "user.account.reset_password", "user.session.clear")


class Tenant:
    """A lapsus-2022 sandbox whose requests are recorded, and a plan/apply of a playbook on it."""

    def __init__(self, sb: Sandbox, requests: list[tuple[str, str]], tmp: Path) -> None:
        self.sb, self.requests, self.tmp = sb, requests, tmp
        self.planted = sb.snapshot()["scenario"]["planted"]
        self.journal = tmp / "journal.jsonl"
        os.environ["TEST_TARGETED_TOKEN"] = sb.token

    def spec(self, *break_glass: str) -> TenantSpec:
        return TenantSpec(name="acme", org_url=self.sb.org_url, token_env="TEST_TARGETED_TOKEN",
                          vars={"break_glass": [self.planted["break_glass_login"], *break_glass]})

    async def plan(self, playbook: Path, tags: set[str] | None = None) -> Any:
        loaded = load_playbook(playbook)
        planned = await plan(jobs_for(loaded, [self.spec()], parse_extra_vars([]), tags),
                             PlanSettings(journal_path=self.journal, playbook=playbook_ref(loaded)))
        assert planned.tenants[0].status == "ok", planned.tenants[0].error
        return planned

    async def apply(self, planned: Any, *break_glass: str) -> Any:
        self.requests.clear()
        recap = await apply(planned, [self.spec(*break_glass)], Journal(self.journal),
                            ApplySettings(journal_path=self.journal))
        return recap.tenants[0]

    def reads(self, pattern: str) -> Counter[str]:
        """GETs of `/api/v1/users/{id}<pattern>` by user id (`pattern` "" for the user itself)."""
        out: Counter[str] = Counter()
        for method, path in self.requests:
            parts = path.split("/")
            if (method == "GET" and len(parts) >= 5 and parts[3] == "users" and parts[4] != "me"
                    and "/".join(parts[5:]) == pattern):
                out[parts[4]] += 1
        return out

    def count(self, method: str, prefix: str, suffix: str = "") -> int:
        return sum(1 for m, p in self.requests if m == method and p.startswith(prefix) and p.endswith(suffix))

    def writes(self) -> list[dict[str, Any]]:
        return [e for e in self.sb.logs if e["eventType"] in WRITES]

    def demote(self, *user_ids: str) -> None:
        """Someone else unassigns these users' SUPER_ADMIN roles (direct assignments) between plan and apply."""
        for uid in user_ids:
            for r in self.planted["admins"][uid]["roles"]:
                if r["type"] == "SUPER_ADMIN" and r["via"] == "USER":
                    assert call(self.sb, "DELETE", f"/api/v1/users/{uid}/roles/{r['role_id']}").status == 204

    def active_supers(self) -> list[str]:
        return [uid for uid, a in self.planted["admins"].items() if a["status"] == "ACTIVE"
                and any(r["type"] == "SUPER_ADMIN" for r in a["roles"])]


@pytest.fixture
def tenant(tmp_path: Path) -> Any:
    requests: list[tuple[str, str]] = []

    with Sandbox(scenario="lapsus-2022", users=300, seed=7, middlewares=[recorder(requests)]) as sb:
        yield Tenant(sb, requests, tmp_path)


def _user_targets(planned: Any) -> set[str]:
    return {c.target.id for c in planned.tenants[0].changes if c.target.type == "user"}


async def test_apply_reads_each_planned_user_and_its_roles_and_nothing_of_the_others(tenant: Tenant) -> None:
    planned = await tenant.plan(SHIPPED, CONTAIN)
    targets = _user_targets(planned)
    operator = tenant.planted["operator_id"]
    admins = set(tenant.planted["admins"])
    assert len(targets) >= 10 and targets < admins  # the plan touches most admins, not every one
    recap = await tenant.apply(planned)
    assert recap.error is None and recap.failed == 0 and recap.changed == len(planned.tenants[0].changes)
    # each target once by id and once for its roles; the token owner's roles: the witness super admin
    assert tenant.reads("") == dict.fromkeys(targets, 1) and tenant.count("GET", "/api/v1/users/me") == 1
    assert tenant.reads("roles") == dict.fromkeys(targets | {operator}, 1)
    # never the population: no admin list, no user page, no group's members, no factor
    assert tenant.count("GET", "/api/v1/iam/assignees/users") == 0
    assert tenant.count("GET", "/api/v1/users", "/users") == 0  # the user list (and searches)
    assert tenant.count("GET", "/api/v1/groups/", "/users") == 0
    assert tenant.count("GET", "/api/v1/users/", "/factors") == 0


async def test_apply_still_refuses_a_target_someone_else_changed(tenant: Tenant) -> None:
    planned = await tenant.plan(SHIPPED, CONTAIN)
    reset = next(c for c in planned.tenants[0].changes if c.action == "reset_password")
    assert call(tenant.sb, "POST", f"/api/v1/users/{reset.target.id}/lifecycle/suspend").status == 200
    before = len(tenant.writes())
    recap = await tenant.apply(planned)
    assert recap.error is not None and "stale" in recap.error and "nothing was written" in recap.error
    assert len(tenant.writes()) == before
    stale = [r for r in read_records(tenant.journal) if r.get("result") == "stale"]
    assert [r["change"]["id"] for r in stale] == [reset.id]
    assert tenant.count("GET", "/api/v1/iam/assignees/users") == 0  # refused on the narrow read alone


async def test_apply_still_refuses_a_target_protected_since_the_plan(tenant: Tenant) -> None:
    planned = await tenant.plan(SHIPPED, CONTAIN)
    reset = next(c for c in planned.tenants[0].changes if c.action == "reset_password")
    before = len(tenant.writes())
    recap = await tenant.apply(planned, reset.target.label)  # the inventory's break_glass now lists it
    assert recap.error is not None and "guardrail" in recap.error and "nothing was written" in recap.error
    assert len(tenant.writes()) == before


async def test_apply_still_keeps_the_last_super_admin_when_the_others_were_demoted(tenant: Tenant) -> None:
    planned = await tenant.plan(write_playbook(tenant.tmp / "new.yml", NEW_ADMINS))
    suspends = _user_targets(planned)
    assert suspends == set(tenant.planted["new_admins"])  # both SUPER_ADMIN, both ACTIVE
    # someone demotes every other active super admin, the token owner included: the two planned
    # suspensions would now leave none
    tenant.demote(*(set(tenant.active_supers()) - suspends))
    before = len(tenant.writes())
    recap = await tenant.apply(planned)
    assert recap.error is not None and "stale" in recap.error and "no active super admin" in recap.error
    assert len(tenant.writes()) == before
    # "no witness" is proven as the full read proves it: every role holder read, the admin groups expanded
    assert tenant.count("GET", "/api/v1/iam/assignees/users") == 1


async def test_one_super_admin_left_outside_the_plan_is_found_without_reading_every_admin(tenant: Tenant) -> None:
    planned = await tenant.plan(write_playbook(tenant.tmp / "new.yml", NEW_ADMINS))
    suspends = _user_targets(planned)
    others = sorted(set(tenant.active_supers()) - suspends)
    keep = others[-1]
    tenant.demote(*(o for o in others if o != keep))  # the token owner is no witness any more; `keep` is
    recap = await tenant.apply(planned)
    assert recap.error is None and recap.changed == len(suspends)
    assert tenant.count("GET", "/api/v1/iam/assignees/users") == 1
    assert tenant.count("GET", "/api/v1/groups/", "/users") == 0  # found before any group is expanded
    assert keep in tenant.reads("roles")


async def test_a_selector_kind_rereads_its_targets_only(tmp_path: Path) -> None:
    """okta.user_factors on `users: {admins: true}` (the cross-tenant playbook): planning reads every admin's
    factors; its apply reads the factors, user and roles of the planned targets alone, and no admin list."""
    requests: list[tuple[str, str]] = []

    playbook = SHIPPED.parent / "okta-cross-tenant-impersonation-2023.yml"
    with Sandbox(scenario="cross-tenant-2023", users=1000, seed=3, middlewares=[recorder(requests)], log_delay=0) as sb:
        tenant = Tenant(sb, requests, tmp_path)
        requests.clear()
        planned = await tenant.plan(playbook, CONTAIN | {"review"})
        factor_reads_planning = sum(1 for m, p in requests if m == "GET" and p.endswith("/factors"))
        targets = _user_targets(planned)
        assert targets and factor_reads_planning > len(targets)
        recap = await tenant.apply(planned)
        assert recap.error is None and recap.failed == 0, recap.error
        assert set(tenant.reads("factors")) == targets and set(tenant.reads("")) == targets
        assert set(tenant.reads("roles")) - targets <= {tenant.planted.get("operator_id")}
        assert tenant.count("GET", "/api/v1/iam/assignees/users") == 0


async def _held(planned: Any, spec: TenantSpec, journal: Path, narrow: bool) -> set[str]:
    """Ids of the planned changes a fresh decision holds unchanged, on the full read or the narrowed one."""
    tenant_plan = planned.tenants[0]
    kinds = checked_kinds(tenant_plan)
    ordered = [kinds[s.name] for s in tenant_plan.states if s.name in kinds]
    async with TenantSession(spec, ApplySettings(journal_path=journal), variables=tenant_plan.vars,
                             protected_logins=tenant_plan.protected_logins,
                             scopes=scopes_of(k.name for k in ordered)) as session:
        decision = await decide(ordered, session, tenant_plan.changes if narrow else None)
    fresh = {c.key: c for c in decision.changes}
    return {c.id for c in tenant_plan.changes
            if c.key in fresh and kinds[c.state].same_change(c, fresh[c.key])}


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_the_narrow_decision_keeps_exactly_what_the_full_one_keeps(tenant: Tenant, seed: int) -> None:
    """The same pure diffs on a narrower observation: whatever others did to the planned admins between plan
    and apply (suspended, demoted, reset, sessions cleared, a super admin removed), the planned changes the
    fresh decision still holds are the same with the narrowed read as with the full one."""
    planned = await tenant.plan(SHIPPED, CONTAIN)
    rng = random.Random(seed)
    admins = sorted(set(tenant.planted["admins"]) - {tenant.planted["operator_id"]})  # its token must keep working
    if seed == 3:
        tenant.demote(tenant.planted["operator_id"])  # no witness for free: the role holders are searched
    for uid in rng.sample(admins, 6):
        info = tenant.planted["admins"][uid]
        what = rng.choice(["suspend", "demote", "reset", "clear"])
        if what == "suspend" and info["status"] == "ACTIVE":
            call(tenant.sb, "POST", f"/api/v1/users/{uid}/lifecycle/suspend")
        elif what == "demote":
            for r in info["roles"]:
                if r["via"] == "USER":
                    call(tenant.sb, "DELETE", f"/api/v1/users/{uid}/roles/{r['role_id']}")
        elif what == "reset" and info["status"] == "ACTIVE":
            call(tenant.sb, "POST", f"/api/v1/users/{uid}/lifecycle/reset_password?sendEmail=false")
        elif what == "clear":
            call(tenant.sb, "DELETE", f"/api/v1/users/{uid}/sessions")
    full = await _held(planned, tenant.spec(), tenant.journal, narrow=False)
    narrow = await _held(planned, tenant.spec(), tenant.journal, narrow=True)
    assert narrow == full
    assert full < {c.id for c in planned.tenants[0].changes}  # the moves made some planned changes stale

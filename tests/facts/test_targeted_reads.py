"""`TargetedReads`: what apply re-reads to re-decide a saved plan, narrowed to the planned targets.

The admins it lists are the targets that hold a role now, read by id; the active super admins are exact for
the targets plus one witness no change targets, found the cheapest way (token owner, then role holders a batch
at a time, then the whole admin list only when no witness exists)."""

from __future__ import annotations

from typing import Any

import pytest

from remediator.facts import TargetedReads, TenantReads, reads
from tests.support import admin_org, role, user

OP, T1, T2, T3, T4, T5, T6 = "00uop", "00ut1", "00ut2", "00ut3", "00ut4", "00ut5", "00ut6"


def _org(*, me_super: bool = True, others: dict[str, list[dict[str, Any]]] | None = None) -> Any:
    """Targets T1 (ORG_ADMIN), T2 (SUPER_ADMIN), T5 (no role any more); non-targets by `others`."""
    users = [user(OP, "op@acme.com"), user(T1, "t1@acme.com"), user(T2, "t2@acme.com"),
             user(T3, "t3@acme.com"), user(T4, "t4@acme.com", "SUSPENDED"), user(T5, "t5@acme.com"),
             user(T6, "t6@acme.com")]
    roles = {OP: [role("ra0", "SUPER_ADMIN")] if me_super else [role("ra0", "READ_ONLY_ADMIN")],
             T1: [role("ra1", "ORG_ADMIN")], T2: [role("ra2", "SUPER_ADMIN")], T5: []}
    roles.update(others if others is not None else
                 {T4: [role("ra4", "SUPER_ADMIN")], T3: [role("ra3", "SUPER_ADMIN")], T6: [role("ra6", "ORG_ADMIN")]})
    return admin_org(users, roles, OP)


def _read_ids(client: Any, suffix: str = "") -> list[str]:
    return [path.split("/")[4] for method, path, *_ in client.calls
            if method == "GET" and path.startswith("/api/v1/users/") and path.endswith(suffix)
            and path.count("/") == (5 if suffix else 4) and not path.endswith("/me")]


async def test_the_admins_are_the_targets_holding_a_role_read_by_id() -> None:
    client = _org()
    view = TargetedReads(TenantReads(client), {T1, T2, T5}, {T1, T2, T5})
    assert [a.id for a in await view.admins()] == [T1, T2]  # T5 lost its role: not an admin any more
    assert sorted(_read_ids(client)) == [T1, T2, T5]
    assert sorted(_read_ids(client, "/roles")) == [T1, T2, T5]
    assert not client.calls_to("GET", "/api/v1/iam/assignees/users")


async def test_a_super_admin_token_owner_is_the_witness_for_one_roles_read() -> None:
    client = _org()
    view = TargetedReads(TenantReads(client), {T1}, {T1, T2})
    assert await view.active_super_admins() == {T2, OP}
    assert sorted(_read_ids(client, "/roles")) == [OP, T1, T2]  # the targets, and the token owner's roles
    assert not client.calls_to("GET", "/api/v1/iam/assignees/users")


async def test_otherwise_the_role_holders_are_read_a_batch_at_a_time_until_a_witness(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reads, "WITNESS_BATCH", 1)
    # Okta's order of the role holders: a SUSPENDED super admin (no witness), then an active one, then more
    client = _org(me_super=False, others={T4: [role("ra4", "SUPER_ADMIN")], T3: [role("ra3", "SUPER_ADMIN")],
                                          T6: [role("ra6", "ORG_ADMIN")]})
    view = TargetedReads(TenantReads(client), {T1, T2}, {T1, T2})
    assert await view.active_super_admins() == {T2, T3}
    assert len(client.calls_to("GET", "/api/v1/iam/assignees/users")) == 1
    assert T6 not in _read_ids(client, "/roles")  # found at T3: the rest is not read


async def test_without_a_witness_the_whole_list_proves_it_and_the_set_is_exact() -> None:
    client = _org(me_super=False, others={T4: [role("ra4", "SUPER_ADMIN")], T6: [role("ra6", "ORG_ADMIN")]})
    full = await TenantReads(_org(me_super=False, others={T4: [role("ra4", "SUPER_ADMIN")],
                                                          T6: [role("ra6", "ORG_ADMIN")]})).active_super_admins()
    view = TargetedReads(TenantReads(client), {T2}, {T1, T2})
    assert await view.active_super_admins() == full == {T2}  # T4 is SUSPENDED: T2 is the last one


async def test_a_planned_target_is_never_its_own_witness() -> None:
    client = _org()
    view = TargetedReads(TenantReads(client), {OP, T2}, {OP, T2})  # an edited plan targeting the token owner
    assert await view.active_super_admins() == {OP, T2, T3}


async def test_a_user_search_lists_only_targets_and_without_targets_reads_nothing() -> None:
    client = _org()
    view = TargetedReads(TenantReads(client), set(), {T1})
    assert await view.users('status eq "ACTIVE"') == [] and await view.admins() == []
    assert client.calls == []


async def test_the_views_share_one_memo() -> None:
    client = _org()
    base = TenantReads(client)
    await TargetedReads(base, {T1, T2}, {T1, T2}).admins()
    await TargetedReads(base, {T2}, {T1, T2}).admins()
    await TargetedReads(base, {T1, T2}, {T1, T2}).active_super_admins()
    assert sorted(_read_ids(client)) == [T1, T2] and sorted(_read_ids(client, "/roles")) == [OP, T1, T2]

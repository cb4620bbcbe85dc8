"""Privilege events as Okta logs them (../shared/okta-reference/okta-developer-docs/data/event-types.json).

`user.account.privilege.revoke`: "All of user's admin privilege revoked ... this event indicates the user has
no more admin privileges". `user.account.privilege.grant`: "A User's admin privileges changed ... this event
contains information about the type of admin privileges the user currently has", which is also what a removal
logs while some privilege remains; its `privilegeGranted` lists them, comma-separated ("Super administrator,
Read only admin" in the Panther test events, panther-analysis/rules/okta_rules/okta_admin_role_assigned.yml).
"""

from __future__ import annotations

import json
from typing import Any

from remediator.sandbox import Sandbox
from tests.sandbox.fixtures import ADMINS, BOB, CAROL, CLOCK, call, role, small_tenant

EVENT_TYPES = "okta-developer-docs/data/event-types.json"


def _catalog(reference: Any) -> dict[str, str]:
    data = json.loads((reference / EVENT_TYPES).read_text())
    out: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("id"), str) and "description" in node:
                out[node["id"]] = node["description"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(data)
    return out


def _events(sb: Sandbox) -> list[tuple[str, str, dict[str, Any]]]:
    return [(e["eventType"], e["target"][0]["id"], e["debugContext"]["debugData"]) for e in sb.logs]


def test_the_catalog_says_revoke_means_no_privilege_left(reference) -> None:
    catalog = _catalog(reference)
    assert "indicates the user has no more admin privileges" in catalog["user.account.privilege.revoke"]
    assert "admin privileges the user currently has" in catalog["user.account.privilege.grant"]
    assert "indicates the group has no more admin privileges" in catalog["group.privilege.revoke"]


def test_removing_one_of_two_roles_logs_a_grant_listing_what_remains() -> None:
    data = small_tenant()
    data["user_roles"][BOB] = data["user_roles"][BOB] + [
        role("ra1bobReadOnlyRole01", "READ_ONLY_ADMIN", "Read Only Administrator", BOB)]
    with Sandbox(data, clock=CLOCK) as sb:
        assert call(sb, "DELETE", f"/api/v1/users/{BOB}/roles/ra1bobOrgAdminRole01").status == 204
        assert call(sb, "DELETE", f"/api/v1/users/{BOB}/roles/ra1bobReadOnlyRole01").status == 204
        events = _events(sb)
    assert [(t, target) for t, target, _ in events] == [("user.account.privilege.grant", BOB),
                                                        ("user.account.privilege.revoke", BOB)]
    assert events[0][2]["privilegeGranted"] == "Read Only Administrator"
    assert events[1][2]["privilegeRevoked"] == "Read Only Administrator"


def test_a_role_held_through_a_group_still_counts_as_a_privilege_that_remains() -> None:
    data = small_tenant()
    data["user_roles"][CAROL] = [role("ra1carolAppAdminRol1", "APP_ADMIN", "Application Administrator", CAROL)]
    with Sandbox(data, clock=CLOCK) as sb:
        assert call(sb, "DELETE", f"/api/v1/users/{CAROL}/roles/ra1carolAppAdminRol1").status == 204
        assert call(sb, "DELETE", f"/api/v1/groups/{ADMINS}/roles/irbHelpDeskAdminRol1").status == 204
        events = _events(sb)
    assert events[0][:2] == ("user.account.privilege.grant", CAROL)
    assert events[0][2]["privilegeGranted"] == "Help Desk Administrator"
    assert events[1][:2] == ("group.privilege.revoke", ADMINS)

"""Roles (direct and through groups), /iam/assignees/users paging in the body, groups, API tokens,
Okta Support (org and cases), policies with rules, IdPs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from remediator.sandbox import Sandbox
from remediator.timeutil import parse_time
from tests.sandbox.fixtures import (
    ADMINS,
    BOB,
    CAROL,
    CLOCK,
    DAVE,
    IDP_ID,
    OPERATOR,
    POLICY_ID,
    RULE_ID,
    TOKEN_ID,
    call,
    many_users,
    role,
    small_tenant,
    uid,
)


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(small_tenant(), clock=CLOCK) as sandbox:
        yield sandbox


def test_user_roles_include_roles_held_through_groups(sb: Sandbox) -> None:
    direct = call(sb, "GET", f"/api/v1/users/{BOB}/roles").body
    assert [(r["type"], r["assignmentType"]) for r in direct] == [("ORG_ADMIN", "USER")]
    via_group = call(sb, "GET", f"/api/v1/users/{CAROL}/roles").body
    assert [(r["id"], r["type"], r["assignmentType"]) for r in via_group] == [
        ("irbHelpDeskAdminRol1", "HELP_DESK_ADMIN", "GROUP")]
    assert via_group[0]["_links"]["assignee"]["href"] == f"{sb.org_url}/api/v1/groups/{ADMINS}"
    assert call(sb, "GET", f"/api/v1/users/{DAVE}/roles").body == []


def test_group_held_roles_are_removed_through_the_group_only(sb: Sandbox) -> None:
    reply = call(sb, "DELETE", f"/api/v1/users/{CAROL}/roles/irbHelpDeskAdminRol1")
    assert reply.status == 404
    assert reply.body["errorSummary"] == "Not found: Resource not found: irbHelpDeskAdminRol1 (RoleAssignment)"
    assert call(sb, "DELETE", f"/api/v1/groups/{ADMINS}/roles/irbHelpDeskAdminRol1").status == 204
    assert call(sb, "GET", f"/api/v1/users/{CAROL}/roles").body == []
    assert call(sb, "GET", f"/api/v1/groups/{ADMINS}/roles").body == []
    assert call(sb, "DELETE", f"/api/v1/users/{BOB}/roles/ra1bobOrgAdminRole01").status == 204
    assert call(sb, "DELETE", f"/api/v1/users/{BOB}/roles/ra1bobOrgAdminRole01").status == 404


def test_assignees_page_in_the_body_and_include_group_admins() -> None:
    data = many_users(250)
    for i in range(0, 250, 2):
        data["user_roles"][uid(i)] = [role(f"ra1{i:017d}", "USER_ADMIN", "User Administrator", uid(i))]
    with Sandbox(data, clock=CLOCK) as sb:
        seen: list[str] = []
        url: str | None = "/api/v1/iam/assignees/users"
        pages = 0
        while url:
            reply = call(sb, "GET", url)
            assert reply.status == 200 and not reply.next_url()
            assert len(reply.body["value"]) <= 100
            seen.extend(item["id"] for item in reply.body["value"])
            url = (reply.body.get("_links") or {}).get("next", {}).get("href")
            pages += 1
        expected = sorted([OPERATOR, BOB, CAROL, *(uid(i) for i in range(0, 250, 2))])
        assert seen == expected and pages == 2
        item = call(sb, "GET", "/api/v1/iam/assignees/users?limit=1").body["value"][0]
        assert set(item) == {"id", "orn", "_links"} and item["orn"].endswith(f":users:{item['id']}")
        assert item["_links"]["roles"]["href"] == f"{sb.org_url}/api/v1/users/{item['id']}/roles"


def test_groups_and_members(sb: Sandbox) -> None:
    assert [g["id"] for g in call(sb, "GET", "/api/v1/groups").body] == [ADMINS]
    assert [g["id"] for g in call(sb, "GET", "/api/v1/groups?q=help").body] == [ADMINS]
    assert call(sb, "GET", "/api/v1/groups?q=zzz").body == []
    assert [u["id"] for u in call(sb, "GET", f"/api/v1/groups/{ADMINS}/users").body] == [CAROL]
    assert [g["id"] for g in call(sb, "GET", f"/api/v1/users/{CAROL}/groups").body] == [ADMINS]
    assert call(sb, "GET", "/api/v1/groups/00gnope").body["errorSummary"].endswith("(UserGroup)")


def test_api_tokens_list_get_revoke(sb: Sandbox) -> None:
    assert [t["id"] for t in call(sb, "GET", "/api/v1/api-tokens").body] == [TOKEN_ID]
    assert call(sb, "GET", f"/api/v1/api-tokens/{TOKEN_ID}").body["tokenWindow"] == "P30D"
    assert call(sb, "DELETE", f"/api/v1/api-tokens/{TOKEN_ID}").status == 204
    assert call(sb, "GET", f"/api/v1/api-tokens/{TOKEN_ID}").status == 404
    assert call(sb, "GET", "/api/v1/api-tokens").body == []


def test_okta_support_grant_extend_revoke(sb: Sandbox) -> None:
    current = call(sb, "GET", "/api/v1/org/privacy/oktaSupport").body
    assert current["support"] == "ENABLED" and set(current["_links"]) == {"extend", "revoke"}
    revoked = call(sb, "POST", "/api/v1/org/privacy/oktaSupport/revoke").body
    assert (revoked["support"], revoked["expiration"], set(revoked["_links"])) == ("DISABLED", None, {"grant"})
    assert call(sb, "POST", "/api/v1/org/privacy/oktaSupport/extend").status == 400
    granted = call(sb, "POST", "/api/v1/org/privacy/oktaSupport/grant").body
    hours = (parse_time(granted["expiration"]) - parse_time(CLOCK)).total_seconds() / 3600
    assert granted["support"] == "ENABLED" and 7.99 < hours <= 8.01 and granted["expiration"].endswith(".000Z")
    extended = call(sb, "POST", "/api/v1/org/privacy/oktaSupport/extend").body
    assert (parse_time(extended["expiration"]) - parse_time(granted["expiration"])).total_seconds() == 24 * 3600


def test_lapsed_support_reads_as_disabled() -> None:
    data = small_tenant()
    data["okta_support"]["expiration"] = "2022-03-22T11:00:00.000Z"
    with Sandbox(data, clock=CLOCK) as sb:
        assert call(sb, "GET", "/api/v1/org/privacy/oktaSupport").body["support"] == "DISABLED"


def test_support_cases_list_and_patch(sb: Sandbox) -> None:
    cases = call(sb, "GET", "/api/v1/org/privacy/oktaSupport/cases").body
    assert [c["caseNumber"] for c in cases["supportCases"]] == ["00012345"]
    patched = call(sb, "PATCH", "/api/v1/org/privacy/oktaSupport/cases/00012345",
                   body={"impersonation": {"status": "DISABLED"}})
    assert patched.status == 200 and patched.body["impersonation"] == {"status": "DISABLED", "expiration": None}
    again = call(sb, "GET", "/api/v1/org/privacy/oktaSupport/cases").body["supportCases"][0]
    assert again["impersonation"]["status"] == "DISABLED" and again["subject"] == "Login issue"
    assert call(sb, "PATCH", "/api/v1/org/privacy/oktaSupport/cases/999", body={}).status == 404
    bad = call(sb, "PATCH", "/api/v1/org/privacy/oktaSupport/cases/00012345",
               body={"impersonation": {"status": "MAYBE"}})
    assert bad.status == 400 and bad.body["errorCode"] == "E0000001"


def test_policies_by_type_and_rules_replace(sb: Sandbox) -> None:
    assert call(sb, "GET", "/api/v1/policies").status == 400
    assert call(sb, "GET", "/api/v1/policies?type=NOPE").status == 400
    assert call(sb, "GET", "/api/v1/policies?type=MFA_ENROLL").body == []
    assert [p["id"] for p in call(sb, "GET", "/api/v1/policies?type=OKTA_SIGN_ON&limit=20").body] == [POLICY_ID]
    rule = call(sb, "GET", f"/api/v1/policies/{POLICY_ID}/rules/{RULE_ID}").body
    rule["actions"]["signon"]["requireFactor"] = True
    rule["actions"]["signon"]["factorPromptMode"] = "ALWAYS"
    rule.pop("created")
    replaced = call(sb, "PUT", f"/api/v1/policies/{POLICY_ID}/rules/{RULE_ID}", body=rule)
    assert replaced.status == 200
    assert replaced.body["actions"]["signon"]["requireFactor"] is True
    assert replaced.body["created"] == "2021-01-01T00:00:00.000Z"          # server-owned fields kept
    assert parse_time(replaced.body["lastUpdated"]) >= parse_time(CLOCK)
    listed = call(sb, "GET", f"/api/v1/policies/{POLICY_ID}/rules").body
    assert listed == [replaced.body]
    assert call(sb, "PUT", f"/api/v1/policies/{POLICY_ID}/rules/{RULE_ID}", body={"type": "SIGN_ON"}).status == 400
    assert call(sb, "GET", f"/api/v1/policies/{POLICY_ID}/rules/0prnope").status == 404
    policy = call(sb, "GET", f"/api/v1/policies/{POLICY_ID}").body
    policy["description"] = "tightened"
    assert call(sb, "PUT", f"/api/v1/policies/{POLICY_ID}", body=policy).body["description"] == "tightened"


def test_idps_list_and_deactivate(sb: Sandbox) -> None:
    assert [i["id"] for i in call(sb, "GET", "/api/v1/idps").body] == [IDP_ID]
    reply = call(sb, "POST", f"/api/v1/idps/{IDP_ID}/lifecycle/deactivate")
    assert reply.status == 200 and reply.body["status"] == "INACTIVE"
    assert call(sb, "GET", f"/api/v1/idps/{IDP_ID}").body["status"] == "INACTIVE"
    assert call(sb, "POST", "/api/v1/idps/0oanope/lifecycle/deactivate").status == 404


def test_wrong_method_is_405_with_okta_body(sb: Sandbox) -> None:
    reply = call(sb, "PATCH", "/api/v1/users")
    assert reply.status == 405 and reply.body["errorCode"] == "E0000022"

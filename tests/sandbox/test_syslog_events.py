"""The System Log is alive: exactly one correct event per accepted write, none for reads or rejections."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from remediator.sandbox import Sandbox
from remediator.timeutil import parse_time
from tests.sandbox.fixtures import (
    ADMINS,
    BOB,
    CAROL,
    CLOCK,
    DAVE,
    FACTOR_ID,
    IDP_ID,
    OPERATOR,
    POLICY_ID,
    RULE_ID,
    TOKEN_ID,
    call,
    small_tenant,
)


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(small_tenant(), clock=CLOCK) as sandbox:
        yield sandbox


def _policy(sb: Sandbox) -> dict[str, Any]:
    body = call(sb, "GET", f"/api/v1/policies/{POLICY_ID}").body
    body["description"] = "changed"
    return body


def _rule(sb: Sandbox) -> dict[str, Any]:
    body = call(sb, "GET", f"/api/v1/policies/{POLICY_ID}/rules/{RULE_ID}").body
    body["actions"]["signon"]["requireFactor"] = True
    return body


WRITES = [
    ("POST", f"/api/v1/users/{BOB}/lifecycle/suspend", None, "user.lifecycle.suspend", BOB),
    ("POST", f"/api/v1/users/{DAVE}/lifecycle/unsuspend", None, "user.lifecycle.unsuspend", DAVE),
    ("POST", f"/api/v1/users/{BOB}/lifecycle/expire_password", None, "user.account.expire_password", BOB),
    ("POST", f"/api/v1/users/{BOB}/lifecycle/reset_password?sendEmail=false", None,
     "user.account.reset_password", BOB),
    ("POST", f"/api/v1/users/{BOB}/lifecycle/reset_factors", None, "user.mfa.factor.reset_all", BOB),
    ("DELETE", f"/api/v1/users/{BOB}/sessions?oauthTokens=true", None, "user.session.clear", BOB),
    ("DELETE", f"/api/v1/users/{BOB}/roles/ra1bobOrgAdminRole01", None, "user.account.privilege.revoke", BOB),
    ("DELETE", f"/api/v1/groups/{ADMINS}/roles/irbHelpDeskAdminRol1", None, "group.privilege.revoke", ADMINS),
    ("DELETE", f"/api/v1/users/{BOB}/factors/{FACTOR_ID}", None, "user.mfa.factor.deactivate", BOB),
    ("DELETE", f"/api/v1/api-tokens/{TOKEN_ID}", None, "system.api_token.revoke", TOKEN_ID),
    ("POST", "/api/v1/org/privacy/oktaSupport/extend", None, "user.session.impersonation.extend", None),
    ("POST", "/api/v1/org/privacy/oktaSupport/revoke", None, "user.session.impersonation.revoke", None),
    ("POST", "/api/v1/org/privacy/oktaSupport/grant", None, "user.session.impersonation.grant", None),
    ("PATCH", "/api/v1/org/privacy/oktaSupport/cases/00012345", {"impersonation": {"status": "DISABLED"}},
     "user.session.impersonation.revoke", "00012345"),
    ("PUT", f"/api/v1/policies/{POLICY_ID}", _policy, "policy.lifecycle.update", POLICY_ID),
    ("PUT", f"/api/v1/policies/{POLICY_ID}/rules/{RULE_ID}", _rule, "policy.rule.update", RULE_ID),
    ("POST", f"/api/v1/idps/{IDP_ID}/lifecycle/deactivate", None, "system.idp.lifecycle.deactivate", IDP_ID),
]


@pytest.mark.parametrize(("method", "path", "body", "event_type", "target"), WRITES,
                         ids=[w[3] + ":" + w[1].split("/")[-1] for w in WRITES])
def test_one_correct_event_per_accepted_write(sb: Sandbox, method: str, path: str, body: Any, event_type: str,
                                              target: str | None) -> None:
    payload = body(sb) if callable(body) else body
    before = len(sb.logs)
    reply = call(sb, method, path, body=payload, headers={"User-Agent": "playbook-runner/2.0"})
    assert reply.status in (200, 204), reply.body
    events = sb.logs[before:]
    assert len(events) == 1
    event = events[0]
    assert event["eventType"] == event_type
    assert event["actor"] == {"id": OPERATOR, "type": "User", "alternateId": "operator@acme.com",
                              "displayName": "Otto Operator", "detailEntry": None}
    assert event["outcome"] == {"result": "SUCCESS", "reason": None}
    assert event["client"]["ipAddress"] == "127.0.0.1"
    assert event["client"]["userAgent"]["rawUserAgent"] == "playbook-runner/2.0"
    assert event["debugContext"]["debugData"]["requestId"] == reply.headers["x-okta-request-id"]
    assert event["transaction"] == {"type": "WEB", "id": reply.headers["x-okta-request-id"], "detail": {}}
    assert event["version"] == "0" and event["severity"] == "INFO" and event["displayMessage"]
    assert len(event["uuid"]) == 36
    assert parse_time(event["published"]) >= parse_time(CLOCK)
    if target:
        assert target in [t["id"] for t in event["target"]]
    served = call(sb, "GET", "/api/v1/logs?since=2022-03-22T00:00:00Z&filter=eventType+eq+%22" + event_type + "%22")
    assert served.body[-1] == event


def test_reads_and_rejected_writes_leave_no_event(sb: Sandbox) -> None:
    for path in ("/api/v1/users", f"/api/v1/users/{BOB}", f"/api/v1/users/{BOB}/roles", "/api/v1/api-tokens",
                 "/api/v1/org/privacy/oktaSupport", "/api/v1/policies?type=OKTA_SIGN_ON", "/api/v1/idps",
                 "/api/v1/iam/assignees/users", "/api/v1/org/privacy/oktaSupport/cases"):
        assert call(sb, "GET", path).status == 200, path
    rejected = [("POST", f"/api/v1/users/{DAVE}/lifecycle/suspend"),          # not ACTIVE
                ("POST", f"/api/v1/users/{CAROL}/lifecycle/unsuspend"),       # not SUSPENDED
                ("DELETE", f"/api/v1/users/{CAROL}/roles/irbHelpDeskAdminRol1"),  # held through a group
                ("DELETE", "/api/v1/api-tokens/00Tnope"),
                ("POST", "/api/v1/users/nobody/lifecycle/suspend")]
    for method, path in rejected:
        assert call(sb, method, path).status in (403, 404), path
    assert call(sb, "POST", f"/api/v1/users/{BOB}/lifecycle/suspend", auth="SSWS wrong").status == 401
    assert sb.logs == []


def test_published_is_strictly_increasing_even_within_a_millisecond(sb: Sandbox) -> None:
    for _ in range(5):
        call(sb, "DELETE", f"/api/v1/users/{BOB}/sessions")
    published = [e["published"] for e in sb.logs]
    assert published == sorted(set(published)) and len(published) == 5

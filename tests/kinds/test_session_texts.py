"""What clearing sessions ends, and what it does not, as Okta's spec says
(../shared/okta-reference/okta-management-openapi-spec/dist/current/management-minimal.yaml):

- revokeUserSessions (`DELETE /api/v1/users/{userId}/sessions`): "Revokes all active identity provider sessions
  of the user ... Optionally revokes OpenID Connect and OAuth refresh and access tokens" (`oauthTokens`, default
  false) and "This operation doesn't clear the sessions created for web or native apps"; `forgetDevices` "Clears
  the user's remembered factors for all devices", default true ("defaults to false in Classic Engine");
- resetPassword `revokeSessions`: "Revokes all user sessions, except for the current session".
"""

from __future__ import annotations

from remediator.sandbox import Sandbox
from tests.kinds import live
from tests.sandbox import okta_reference


def test_the_spec_says_what_ends() -> None:
    paths = okta_reference.spec()["paths"]
    revoke = paths["/api/v1/users/{userId}/sessions"]["delete"]
    assert "doesn't clear the sessions created for web or native apps" in revoke["description"]
    params = {p["name"]: p for p in revoke["parameters"]}
    assert params["oauthTokens"]["schema"]["default"] is False
    assert params["forgetDevices"]["schema"]["default"] is True
    reset = {p["name"]: p for p in paths["/api/v1/users/{id}/lifecycle/reset_password"]["post"]["parameters"]}
    assert "except for the current session" in reset["revokeSessions"]["description"]


async def test_admin_sessions_says_what_ends_and_sends_forget_devices_explicitly() -> None:
    args = {"cleared_after": "2022-01-21T00:00:00Z", "forget_devices": False}
    with Sandbox(scenario="lapsus-2022", users=60) as sb:
        changes, _ = await live.plan(sb, "okta.admin_sessions", args)
        assert changes and all(c.after["forget_devices"] is False for c in changes)
        assert all("revoke its OAuth tokens" in c.reason and "web or native apps" in c.reason
                   and "remembered devices" not in c.reason for c in changes)
        events = len(sb.logs)
        await live.apply(sb, "okta.admin_sessions", args, changes[:1])
        [clear] = [e for e in sb.logs[events:] if e["eventType"] == "user.session.clear"]
    assert clear["debugContext"]["debugData"]["forgetDevices"] == "false"
    assert clear["debugContext"]["debugData"]["revokeOauthTokens"] == "true"
    default, _ = await _plan_default()
    assert all(c.after["forget_devices"] is True and "remembered devices" in c.reason for c in default)


async def _plan_default():
    with Sandbox(scenario="lapsus-2022", users=60) as sb:
        return await live.plan(sb, "okta.admin_sessions", {"cleared_after": "2022-01-21T00:00:00Z"})


async def test_new_admins_suspend_sends_forget_devices() -> None:
    args = {"created_after": "2022-01-21T00:00:00Z", "action": "suspend", "forget_devices": False}
    with Sandbox(scenario="lapsus-2022", users=60) as sb:
        changes, _ = await live.plan(sb, "okta.new_admins", args)
        suspend = [c for c in changes if c.action == "suspend"][:1]
        assert suspend and "revoke its OAuth tokens" in suspend[0].reason
        events = len(sb.logs)
        await live.apply(sb, "okta.new_admins", args, suspend)
        [clear] = [e for e in sb.logs[events:] if e["eventType"] == "user.session.clear"]
    assert clear["debugContext"]["debugData"]["forgetDevices"] == "false"

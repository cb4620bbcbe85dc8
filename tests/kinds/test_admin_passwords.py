"""okta.admin_passwords: data-file diffs (group-only admins, settled and protected accounts), apply, verdicts."""

from __future__ import annotations

import pytest

from remediator.kinds import REGISTRY
from remediator.plan import Change, Finding
from tests.kinds import datafiles
from tests.support import admin_org, context, role, user

KIND = "okta.admin_passwords"
ARGS = {"changed_after": "2022-01-21T00:00:00Z"}


@pytest.mark.parametrize("path", datafiles.cases("admin_passwords"), ids=lambda p: p.stem)
def test_diff_data_files(path):
    datafiles.run(KIND, path)


def _org():
    users = [user("00uop", "ops@acme.com"), user("00uann", "ann@acme.com"), user("00ubob", "bob@acme.com"),
             user("00ubg", "bg@acme.com")]
    roles = {"00uop": [role("ra0", "SUPER_ADMIN")], "00uann": [role("ra1", "ORG_ADMIN")],
             "00ubob": [role("gra1", "APP_ADMIN", "GROUP", group="00gapps")], "00ubg": [role("ra2", "SUPER_ADMIN")]}
    client = admin_org(users, roles, me="00uop",
                       extra={("GET", "/api/v1/groups/00gapps/users"): [users[2]]})
    return client, users


async def test_plan_apply_plan():
    client, _ = _org()
    kind = REGISTRY[KIND]("s", ARGS)
    ctx = context(client, break_glass=("BG@acme.com",))
    out = kind.diff(await kind.read(ctx))
    changes = [c for c in out if isinstance(c, Change)]
    findings = [f for f in out if isinstance(f, Finding)]
    assert [c.target.label for c in changes] == ["ann@acme.com", "bob@acme.com"]  # bob: role through a group only
    assert sorted(f.target.label for f in findings) == ["bg@acme.com", "ops@acme.com"]
    assert all(c[0] == "GET" for c in client.calls)
    for change in changes:
        assert kind.verdict(change, await kind.current(ctx, change)) == "pending"
        applied = await kind.apply_all(ctx, change)
        assert applied.request_id and applied.detail["clear_sessions_request_id"]
        assert kind.verdict(change, await kind.current(ctx, change)) == "done"
    reset = client.calls_to("POST", "/api/v1/users/00uann/lifecycle/reset_password")
    assert reset[0][2] == {"sendEmail": "true", "revokeSessions": "true"}
    assert client.calls_to("DELETE", "/api/v1/users/00uann/sessions")[0][2] == {"oauthTokens": "true",
                                                                               "forgetDevices": "true"}
    assert not client.calls_to("POST", "/api/v1/users/00uop/lifecycle/reset_password")
    again = REGISTRY[KIND]("s", ARGS)
    assert [c for c in again.diff(await again.read(context(client, break_glass=("bg@acme.com",))))
            if isinstance(c, Change)] == []



@pytest.mark.parametrize(("current", "verdict"), [
    ({"status": "ACTIVE", "passwordChanged": "2021-01-01T00:00:00.000Z", "statusChanged": "2020-01-02T00:00:00.000Z"},
     "pending"),
    ({"status": "RECOVERY", "passwordChanged": "2021-01-01T00:00:00.000Z", "statusChanged": "2022-03-22T12:00:00.000Z"},
     "done"),
    ({"status": "ACTIVE", "passwordChanged": "2022-03-22T12:05:00.000Z", "statusChanged": "2022-03-22T12:05:00.000Z"},
     "done"),
    ({"status": "SUSPENDED", "passwordChanged": "2021-01-01T00:00:00.000Z",
      "statusChanged": "2022-03-22T12:00:00.000Z"}, "stale"),
])
def test_verdict(current, verdict):
    from remediator.plan import Target

    change = Change(state="s", kind=KIND, action="reset_password", target=Target("user", "00u1", "a@acme.com"),
                    before={"status": "ACTIVE", "passwordChanged": "2021-01-01T00:00:00.000Z",
                            "statusChanged": "2020-01-02T00:00:00.000Z"},
                    after={"status": "RECOVERY", "sessions_revoked": True}, reason="r")
    assert REGISTRY[KIND]("s", {}).verdict(change, current) == verdict


def test_verdict_for_an_admin_already_in_old_recovery():
    from remediator.plan import Target

    before = {"status": "RECOVERY", "passwordChanged": None, "statusChanged": "2021-01-01T00:00:00.000Z"}
    change = Change(state="s", kind=KIND, action="reset_password", target=Target("user", "00u1", "a@acme.com"),
                    before=before, after={"status": "RECOVERY", "sessions_revoked": True}, reason="r")
    kind = REGISTRY[KIND]("s", {})
    assert kind.verdict(change, dict(before)) == "pending"
    assert kind.verdict(change, {**before, "statusChanged": "2022-03-22T12:00:00.000Z"}) == "done"


def test_schema():
    cls = REGISTRY[KIND]
    assert cls.schema["additionalProperties"] is False
    assert cls.schema["properties"]["changed_after"]["format"] == "date-time"
    assert "okta.users.manage" in cls.scopes


async def test_an_account_suspended_meanwhile_needs_nothing():
    from remediator.errors import OktaApiError

    client, users = _org()
    kind = REGISTRY[KIND]("s", ARGS)
    ctx = context(client, break_glass=("bg@acme.com",))
    change = next(c for c in kind.diff(await kind.read(ctx)) if isinstance(c, Change))
    users[1]["status"] = "SUSPENDED"
    client.routes[("POST", "/api/v1/users/00uann/lifecycle/reset_password")] = OktaApiError(
        status=403, method="POST", path="/", error_code="E0000038", error_summary="not allowed in status")
    applied = await kind.apply_all(ctx, change)
    assert applied.request_id is None and applied.detail == {"not_needed": "the account is SUSPENDED now"}
    users[1]["status"] = "ACTIVE"
    with pytest.raises(OktaApiError):
        await kind.apply_all(ctx, change)

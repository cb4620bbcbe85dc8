"""Guardrails: protected accounts and the last super admin are never locked out; max_changes stops early."""

from __future__ import annotations

import pytest

from remediator.errors import GuardrailError
from remediator.guardrails import Protected, check_max_changes, protect
from remediator.plan import Change, Target
from tests.support import FakeClient, api_error, context


def _change(action: str, uid: str, login: str) -> Change:
    return Change("s", "okta.x", action, Target("user", uid, login), {"status": "ACTIVE"}, {"status": "X"}, "r")


def test_operator_and_break_glass_become_findings() -> None:
    changes = [_change("suspend", "00uop", "op@acme.com"), _change("reset_password", "00ubg", "BG@acme.com"),
               _change("reset_password", "00ua", "a@acme.com"), _change("clear_sessions", "00uop", "op@acme.com")]
    kept, findings = protect(changes, Protected(user_ids=frozenset({"00uop"}), logins=frozenset({"bg@acme.com"})))
    assert [c.target.id for c in kept] == ["00ua", "00uop"]  # clearing sessions is not a lockout
    assert {f.target.id for f in findings} == {"00uop", "00ubg"}
    assert all(f.severity == "high" for f in findings)


def test_last_super_admin_is_kept() -> None:
    changes = [_change("suspend", "00u1", "a"), _change("unassign_role", "00u2", "b")]
    kept, findings = protect(changes, Protected(active_super_admins=frozenset({"00u1", "00u2"})))
    assert kept == []
    assert [f.severity for f in findings] == ["critical", "critical"]


def test_other_super_admin_remains() -> None:
    changes = [_change("suspend", "00u1", "a")]
    kept, findings = protect(changes, Protected(active_super_admins=frozenset({"00u1", "00u9"})))
    assert kept == changes and findings == []


def test_max_changes() -> None:
    changes = [_change("suspend", f"00u{i}", "x") for i in range(3)]
    check_max_changes("acme", changes, 3)
    with pytest.raises(GuardrailError, match="acme: 3 changes planned, more than max_changes=2"):
        check_max_changes("acme", changes, 2)


def test_the_service_app_remediator_runs_as_is_never_deactivated() -> None:
    """A service app has no user behind its token (GET /users/me answers 404): the app is the operator, and
    `okta.apps` deactivating it would cut the run off mid-response (issue 10 point 8)."""
    own = Change("s", "okta.apps", "deactivate", Target("app", "0oaself", "remediator"), {"status": "ACTIVE"},
                 {"status": "INACTIVE"}, "r")
    rogue = Change("s", "okta.apps", "deactivate", Target("app", "0oarogue", "org2org"), {"status": "ACTIVE"},
                   {"status": "INACTIVE"}, "r")
    kept, findings = protect([own, rogue], Protected(app_ids=frozenset({"0oaself"})))
    assert kept == [rogue]
    assert [(f.target.id, f.severity, f.evidence["why"]) for f in findings] == [
        ("0oaself", "high", "remediator's own service app")]
    assert protect([own], Protected())[0] == [own]  # an API token's run: no app to protect


async def test_protection_names_the_client_id_of_the_session() -> None:
    from types import SimpleNamespace

    from remediator.engine.planner import protection
    from remediator.facts.endpoints import ROLE_ASSIGNEES

    # a service app: Okta answers 404 for /users/me (no user behind the token); nobody holds a role here
    client = FakeClient({("GET", "/api/v1/users/me"): api_error(404), ("GET", ROLE_ASSIGNEES.path()): {"value": []}},
                        client_id="0oaself")
    session = SimpleNamespace(client=client, ctx=context(client))
    guard = await protection(session)  # type: ignore[arg-type]
    assert guard.app_ids == {"0oaself"} and guard.user_ids == frozenset()


async def test_app_changes_alone_read_no_user() -> None:
    """okta.apps needs no user or role scope: protecting its own app must not read /users/me or the admins."""
    from types import SimpleNamespace

    from remediator.engine.planner import protection

    own = Change("s", "okta.apps", "deactivate", Target("app", "0oaself", "me"), {}, {}, "r")
    client = FakeClient(client_id="0oaself")
    session = SimpleNamespace(client=client, ctx=context(client))
    guard = await protection(session, [own])  # type: ignore[arg-type]
    assert guard.app_ids == {"0oaself"}
    assert client.calls == []  # neither /users/me nor the admins were read

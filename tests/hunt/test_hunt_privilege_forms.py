"""The hunt reads both forms of Okta's privilege events (../shared/okta-reference/okta-developer-docs/data/
event-types.json): `user.account.privilege.grant` "contains information about the type of admin privileges the
user currently has" (privilegeGranted, as in panther-analysis okta_admin_role_assigned.yml: "Super administrator,
Read only admin"), which is also what a removal logs while some privilege remains; `user.account.privilege.revoke`
"indicates the user has no more admin privileges"."""

from __future__ import annotations

from typing import Any

from remediator.kinds import REGISTRY

SINCE, UNTIL = "2022-01-21T00:00:00.000Z", "2022-03-22T12:00:00.000Z"


def _event(uuid: str, published: str, event_type: str, privileges: str | None = None) -> dict[str, Any]:
    debug: dict[str, Any] = {"requestId": f"r-{uuid}"}
    if privileges is not None:
        debug["privilegeGranted"] = privileges
    return {"uuid": uuid, "published": published, "eventType": event_type,
            "actor": {"id": "00uatt", "alternateId": "attacker@evil.example", "type": "User"},
            "client": {"ipAddress": "198.51.100.7"}, "outcome": {"result": "SUCCESS"},
            "target": [{"id": "00uvic", "type": "User", "alternateId": "victim@acme.com"}],
            "debugContext": {"debugData": debug}}


def test_grants_removals_and_revokes_are_told_apart() -> None:
    events = [
        _event("g1", "2022-01-23T10:00:00.000Z", "user.account.privilege.grant", "Super Administrator"),
        _event("g2", "2022-01-23T10:05:00.000Z", "user.account.privilege.grant",
               "Super Administrator, Help Desk Administrator"),
        _event("r1", "2022-01-23T10:10:00.000Z", "user.account.privilege.grant", "Help Desk Administrator"),
        _event("r2", "2022-01-23T10:15:00.000Z", "user.account.privilege.revoke"),
    ]
    kind = REGISTRY["okta.system_log_hunt"]("hunt", {"since": SINCE, "rules": ["lapsus-2022"]})
    observed = {"since": SINCE, "until": UNTIL, "sources": [], "admins": [], "own_request_ids": [], "events": events}
    findings = {f.evidence["rule"]["id"]: f for f in kind.diff(observed)}
    granted = findings["lapsus-2022/privilege-grant"].evidence["samples"]
    assert [(s["uuid"], s["form"], s["privileges_after"]) for s in granted] == [
        ("g1", "grant", ["Super Administrator"]),
        ("g2", "grant", ["Super Administrator", "Help Desk Administrator"]),
        ("r1", "removal", ["Help Desk Administrator"]),
    ]
    [revoked] = findings["lapsus-2022/privilege-revoke"].evidence["samples"]
    assert (revoked["uuid"], revoked["form"], revoked["privileges_after"]) == ("r2", "revoke", [])

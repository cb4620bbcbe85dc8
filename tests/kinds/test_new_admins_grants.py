"""okta.new_admins attributes a late role to the event that granted it, reading both forms of Okta's
privilege events (event-types.json): `*.privilege.grant` lists what the holder has afterwards, and is also
what a removal logs while some privilege remains; `*.privilege.revoke` is the last privilege going."""

from __future__ import annotations

from typing import Any

from remediator.kinds import REGISTRY
from remediator.plan import Finding

ARGS = {"created_after": "2022-01-21T00:00:00Z", "action": "report"}


def _event(uuid: str, published: str, event_type: str, actor: str, privileges: str | None) -> dict[str, Any]:
    return {"uuid": uuid, "published": published, "eventType": event_type, "actor": actor, "targets": ["00umal"],
            "privilege": privileges}


def _observed(grants: list[dict[str, Any]]) -> dict[str, Any]:
    roles = [{"id": "ra1", "type": "APP_ADMIN", "label": "Application Administrator", "assignmentType": "USER",
              "created": "2021-06-01T00:00:00.000Z"},
             {"id": "ra2", "type": "SUPER_ADMIN", "label": "Super Administrator", "assignmentType": "USER",
              "created": "2022-01-23T10:00:00.000Z"}]
    return {"admins": [
        {"user": {"id": "00uops", "status": "ACTIVE", "created": "2018-01-01T00:00:00.000Z",
                  "profile": {"login": "ops@acme.com"}},
         "roles": [{"id": "ra0", "type": "SUPER_ADMIN", "label": "Super Administrator", "assignmentType": "USER",
                    "created": "2018-01-01T00:00:00.000Z"}]},
        {"user": {"id": "00umal", "status": "ACTIVE", "created": "2020-01-01T00:00:00.000Z",
                  "profile": {"login": "mallory@acme.com"}}, "roles": roles}],
        "protected": {"token_owner": {"id": "00uops", "login": "ops@acme.com"}, "break_glass": []},
        "grants": grants, "log_range": {"since": "2022-01-21T00:00:00.000Z", "until": "2022-03-22T12:00:00.000Z"}}


def test_a_removal_logged_as_a_grant_is_not_taken_for_the_grant() -> None:
    grants = [
        # a help-desk role was added, then removed half a second before the attacker's grant: Okta logs the
        # removal as a grant listing what remains, the closest event in time to the SUPER_ADMIN's `created`
        _event("e1", "2022-01-23T09:00:00.000Z", "user.account.privilege.grant", "admin@acme.com",
               "Application Administrator, Help Desk Administrator"),
        _event("e2", "2022-01-23T09:59:59.900Z", "user.account.privilege.grant", "admin@acme.com",
               "Application Administrator"),
        _event("e3", "2022-01-23T10:00:01.000Z", "user.account.privilege.grant", "attacker@evil.example",
               "Application Administrator, Super Administrator"),
    ]
    kind = REGISTRY["okta.new_admins"]("s", ARGS)
    [finding] = [f for f in kind.diff(_observed(grants))
                  if isinstance(f, Finding) and f.title.startswith("SUPER_ADMIN granted")]
    assert (finding.evidence["granted_by"], finding.evidence["event"]) == ("attacker@evil.example", "e3")


def test_revoke_events_are_read_but_never_taken_for_a_grant() -> None:
    grants = [_event("e1", "2022-01-23T10:00:00.100Z", "user.account.privilege.revoke", "admin@acme.com", None)]
    kind = REGISTRY["okta.new_admins"]("s", ARGS)
    [finding] = [f for f in kind.diff(_observed(grants))
                  if isinstance(f, Finding) and f.title.startswith("SUPER_ADMIN granted")]
    assert finding.evidence["granted_by"] is None

"""`okta.user_factors` `only_after_reset`: which System Log events count as someone else's reset of a user's
factors (`user.mfa.factor.reset_all`, target type `User`, as Okta's event catalog describes it:
../shared/okta-reference/okta-developer-docs/data/event-types.json)."""

from __future__ import annotations

from remediator.kinds.user_factors import resets_by_others


def _reset(actor: str, target: str, when: str, kind: str = "User") -> dict:
    return {"eventType": "user.mfa.factor.reset_all", "published": when, "actor": {"id": actor, "type": "User"},
            "target": [{"id": target, "type": kind}]}


def test_only_resets_by_another_actor_count_latest_wins() -> None:
    events = [_reset("00uhelp", "00uvictim", "2023-08-01T14:05:00.100Z"),
              _reset("00uself", "00uself", "2023-08-02T09:00:00.000Z"),       # her own reset: not suspect
              _reset("00uhelp", "00uvictim", "2023-08-03T10:00:00.000Z"),
              _reset("00uhelp", "00ugrp", "2023-08-03T10:00:00.000Z", kind="UserGroup")]
    assert resets_by_others(events) == {"00uvictim": "2023-08-03T10:00:00.000Z"}


def test_no_events_no_resets() -> None:
    assert resets_by_others([]) == {}

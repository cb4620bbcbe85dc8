"""Kinds explain themselves in one place: `diff` yields, beside changes and findings, a NoOp with its reason
from the very branch that decided "nothing to do", and `explain` is only the base class's reading of those.

KINDS lists the kinds converted so far (walked from the registry, so a renamed kind fails here); the other
kinds are converted separately and join the list as they are.
"""

from __future__ import annotations

import pytest

from remediator.kinds import REGISTRY
from remediator.kinds.base import Kind
from remediator.plan import Change, Finding, NoOp, Target
from tests.kinds import datafiles

KINDS = {
    "okta.admin_passwords": "admin_passwords", "okta.admin_sessions": "admin_sessions",
    "okta.new_admins": "new_admins", "okta.org_settings": "org_settings", "okta.policy": "policy",
    "okta.policy_rule": "policy_rule", "okta.support_access": "support_access",
    "okta.threat_insight": "threat_insight", "okta.user_factors": "user_factors",
    "okta.user_passwords": "user_passwords", "okta.user_sessions": "user_sessions",
    "okta.user_status": "user_status", "okta.system_log_archive": "system_log_archive",
    "okta.system_log_hunt": "system_log_hunt",
}
#: the kinds whose data files follow `datafiles` (the System Log kinds' files have their own shape)
DATAFILE_KINDS = {k: d for k, d in KINDS.items() if not d.startswith("system_log")}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_explain_is_not_a_second_derivation(name: str) -> None:
    assert name in REGISTRY, name
    assert REGISTRY[name].explain is Kind.explain, f"{name} overrides explain: yield NoOp items from diff instead"


CASES = [(kind, path) for kind, directory in DATAFILE_KINDS.items() for path in datafiles.cases(directory)]


@pytest.mark.parametrize(("kind", "path"), CASES, ids=lambda v: getattr(v, "stem", v))
def test_no_ops_come_from_diff_with_their_state_kind_and_reason(kind: str, path) -> None:
    case = datafiles.load(path)
    k = REGISTRY[kind](datafiles.STATE, case.get("args", {}))
    out = list(k.diff(case["observed"]))
    assert all(isinstance(i, Change | Finding | NoOp) for i in out)
    no_ops = [i for i in out if isinstance(i, NoOp)]
    assert [n.reason for n in no_ops] == case["expected"]["notes"] == k.explain(case["observed"])
    for n in no_ops:
        assert (n.state, n.kind) == (datafiles.STATE, kind) and n.reason.strip()
        assert n.target is None or isinstance(n.target, Target)


def test_every_converted_kind_has_a_no_op_branch_in_its_data_files() -> None:
    """Each converted kind's data files reach at least one branch that needs nothing (so it is pinned)."""
    for kind, directory in DATAFILE_KINDS.items():
        assert any(datafiles.load(p)["expected"].get("notes") for p in datafiles.cases(directory)), kind


def test_a_user_already_right_is_one_no_op_of_its_own_branch() -> None:
    """okta.user_passwords: the user whose password changed since the date is a NoOp targeting that user, the
    one who is not is a change; the selection's own lines come first."""
    kind = REGISTRY["okta.user_passwords"]("s", {"users": {"logins": ["a@acme.com", "b@acme.com"]},
                                                 "changed_after": "2022-01-21T00:00:00Z"})
    users = [{"id": "00ua", "status": "ACTIVE", "passwordChanged": "2022-02-01T00:00:00.000Z",
              "profile": {"login": "a@acme.com"}},
             {"id": "00ub", "status": "ACTIVE", "passwordChanged": "2021-02-01T00:00:00.000Z",
              "profile": {"login": "b@acme.com"}}]
    out = kind.diff({"users": users, "selection": {"how": ["logins (2)"], "excluded": ["c@acme.com"]},
                     "protected": {}, "active_super_admins": []})
    assert [(type(i).__name__, i.target.id if i.target else None) for i in out] == [
        ("NoOp", None), ("NoOp", None), ("NoOp", "00ua"), ("Change", "00ub")]
    assert [i.reason for i in out if isinstance(i, NoOp)] == [
        "selected 2 user(s): logins (2)", "excluded: c@acme.com",
        "a@acme.com: password changed 2022-02-01T00:00:00.000Z"]


def test_the_last_super_admin_guard_keeps_no_ops() -> None:
    """okta.user_status: when the only active super admin would be suspended the change becomes a critical
    finding, and the no-ops of the same diff stay as they were."""
    kind = REGISTRY["okta.user_status"]("s", {"users": {"roles": ["SUPER_ADMIN"]}, "status": "SUSPENDED"})
    users = [{"id": "00usup", "status": "ACTIVE", "profile": {"login": "sup@acme.com"}},
             {"id": "00uold", "status": "SUSPENDED", "profile": {"login": "old@acme.com"}}]
    out = kind.diff({"users": users, "selection": {"how": ["holders of SUPER_ADMIN (2)"]}, "protected": {},
                     "active_super_admins": ["00usup"]})
    assert [i.severity for i in out if isinstance(i, Finding)] == ["critical"]
    assert not [i for i in out if isinstance(i, Change)]
    assert [i.reason for i in out if isinstance(i, NoOp)] == [
        "selected 2 user(s): holders of SUPER_ADMIN (2)", "1 already SUSPENDED: old@acme.com"]

"""A kind decides in one place: for what it looked at, `diff` yields a change, a finding or a NoOp with its
reason, from the very branch that decided "nothing to do", and `plan -v`'s reasons are those no-ops
(`Kind.explain`, never a second derivation). `register` refuses a kind that overrides `explain`; here every
registered kind is checked, on its data files (observed in; changes, findings and no-ops out) and through
the planner, which keeps no-ops out of the plan and shows them with -v.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest

from remediator.engine import planner
from remediator.kinds import REGISTRY
from remediator.kinds.base import Kind, register
from remediator.plan import Change, Finding, NoOp, Target
from tests.kinds import datafiles

#: every registered kind -> its directory of data files (tests/kinds/data): a new kind without one fails
KINDS = {name: name.removeprefix("okta.") for name in REGISTRY}
#: the kinds whose data files follow `datafiles` (the System Log kinds' files have their own shape)
DATAFILE_KINDS = {k: d for k, d in KINDS.items() if not d.startswith("system_log")}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_explain_is_not_a_second_derivation(name: str) -> None:
    assert REGISTRY[name].explain is Kind.explain, f"{name} overrides explain: yield NoOp items from diff instead"
    assert datafiles.cases(KINDS[name]), f"{name}: no data files in tests/kinds/data/{KINDS[name]}"


def test_register_refuses_a_kind_that_explains_itself_twice() -> None:
    class Explains(Kind):
        name: ClassVar[str] = "test.explains_twice"
        schema: ClassVar[dict[str, Any]] = {"type": "object"}

        async def read(self, ctx: Any) -> Any:
            return {}

        def diff(self, observed: Any) -> list[Change | Finding | NoOp]:
            return []

        async def apply(self, ctx: Any, change: Change) -> Any:
            raise AssertionError

        def explain(self, observed: Any) -> list[str]:
            return ["a second derivation"]

    with pytest.raises(TypeError, match="overrides explain"):
        register(Explains)
    assert "test.explains_twice" not in REGISTRY


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


@pytest.mark.parametrize(("kind", "path"), CASES, ids=lambda v: getattr(v, "stem", v))
def test_the_planner_keeps_no_ops_out_of_the_plan_and_gives_their_reasons(kind: str, path: Path) -> None:
    case = datafiles.load(path)
    k = REGISTRY[kind](case.get("state", datafiles.STATE), case.get("args", {}))

    async def read(ctx: Any) -> Any:
        return case["observed"]

    k.read = read  # type: ignore[method-assign]
    session = SimpleNamespace(spec=SimpleNamespace(name="t"), ctx=None)  # what _read_and_diff uses of a session
    decided, reasons = asyncio.run(planner._read_and_diff(k, session))  # type: ignore[arg-type]
    assert all(isinstance(i, Change | Finding) for i in decided)
    assert [i for i in decided if isinstance(i, Change)] == [i for i in k.diff(case["observed"])
                                                             if isinstance(i, Change)]
    assert reasons == case["expected"]["notes"]


def test_a_pure_no_op_branch_from_data() -> None:
    """One authenticator, already as wanted: no change, no finding, one no-op naming it, with its reason."""
    kind = REGISTRY["okta.authenticator"]("s", {"key": "okta_verify", "status": "ACTIVE"})
    out = kind.diff({"authenticators": [{"id": "aut1", "key": "okta_verify", "status": "ACTIVE"}]})
    assert len(out) == 1 and isinstance(out[0], NoOp)
    assert out[0].reason == "authenticator 'okta_verify' is already ACTIVE"
    assert out[0].target is not None and out[0].target.id == "aut1"
    out = kind.diff({"authenticators": [{"id": "aut1", "key": "okta_verify", "status": "INACTIVE"}]})
    assert [type(i) for i in out] == [Change]

"""A kind decides in one place: for what it looked at, `diff` yields a change, a finding or a no-op with its
reason, from the same branch, and `plan -v`'s reasons are those no-ops (`Kind.explain`, never a second
derivation). Checked here for the kinds converted so far, on their data files (observed in; changes,
findings and no-ops out) and through the planner, which keeps no-ops out of the plan and shows them with -v."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from remediator.engine import planner
from remediator.kinds import REGISTRY
from remediator.kinds.base import Kind
from remediator.plan import Change, Finding, NoOp
from tests.kinds import datafiles

#: kind -> its directory of data files (tests/kinds/data)
CONVERTED = {
    "okta.admin_passwords": "admin_passwords", "okta.admin_sessions": "admin_sessions",
    "okta.admin_roles": "admin_roles", "okta.api_tokens": "api_tokens", "okta.apps": "apps",
    "okta.authenticator": "authenticator", "okta.group_members": "group_members",
    "okta.identity_providers": "identity_providers", "okta.log_streams": "log_streams", "manual": "manual",
    "okta.mfa": "mfa", "okta.network_zone": "network_zone",
}
CASES = [(kind, path) for kind, directory in CONVERTED.items() for path in datafiles.cases(directory)]


@pytest.mark.parametrize("kind", sorted(CONVERTED))
def test_the_kind_does_not_explain_itself_twice(kind: str) -> None:
    assert REGISTRY[kind].explain is Kind.explain, f"{kind} overrides explain: its diff's no-ops are its reasons"


@pytest.mark.parametrize(("kind", "path"), CASES, ids=lambda v: v.stem if isinstance(v, Path) else v)
def test_the_no_ops_of_diff_are_the_pinned_reasons(kind: str, path: Path) -> None:
    case = datafiles.load(path)
    assert "notes" in case["expected"], f"{path.name}: pins no reasons"
    k = REGISTRY[kind](case.get("state", datafiles.STATE), case.get("args", {}))
    out = list(k.diff(case["observed"]))
    assert all(isinstance(i, Change | Finding | NoOp) for i in out)
    no_ops = [i for i in out if isinstance(i, NoOp)]
    assert [n.reason for n in no_ops] == case["expected"]["notes"]
    assert all(n.state == k.state and n.kind == kind and n.reason for n in no_ops)


@pytest.mark.parametrize(("kind", "path"), CASES, ids=lambda v: v.stem if isinstance(v, Path) else v)
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

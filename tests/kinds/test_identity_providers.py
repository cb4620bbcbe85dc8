"""okta.identity_providers: data files (report by default, deactivate, allow), writes, three steps."""

from __future__ import annotations

import pytest

from remediator.kinds import REGISTRY
from tests.kinds import datafiles

KIND = "okta.identity_providers"
ARGS = {"created_after": "2022-01-21T00:00:00Z", "action": "deactivate"}


@pytest.mark.parametrize("path", datafiles.cases("identity_providers"), ids=lambda p: p.stem)
def test_diff_data_files(path):
    datafiles.run(KIND, path)


def test_report_is_the_default():
    assert REGISTRY[KIND].schema["properties"]["action"]["default"] == "report"


async def test_three_steps_on_the_sandbox():
    from remediator.sandbox import Sandbox
    from remediator.sandbox.snapshot import minimal
    from tests.kinds import live

    snap = minimal(clock="2022-03-22T12:00:00.000Z")
    snap["idps"] = [{"id": "0oaevil0000000000000", "type": "SAML2", "name": "Partner SSO", "status": "ACTIVE",
                     "created": "2022-01-26T00:00:00.000Z", "lastUpdated": "2022-01-26T00:00:00.000Z",
                     "issuerMode": "ORG_URL", "protocol": {"type": "SAML2"}, "policy": None, "_links": {}}]
    with Sandbox(snap, clock="2022-03-22T12:00:00Z") as sb:
        events = len(sb.logs)
        changes, findings = await live.plan(sb, KIND, ARGS)
        assert [c.action for c in changes] == ["deactivate"]
        assert [f.severity for f in findings] == ["high"]
        assert len(sb.logs) == events
        applied = await live.apply(sb, KIND, ARGS, changes)
        assert applied[0].request_id
        assert len(sb.logs) == events + 1
        again, findings = await live.plan(sb, KIND, ARGS)
        assert again == [] and [f.severity for f in findings] == ["medium"]  # still reported, now inactive

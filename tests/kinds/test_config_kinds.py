"""The configuration kinds: data files (observed in, changes and findings out) and what only a tenant shows.

Their three steps (plan writes nothing, apply, plan again is empty) run from the registry in
tests/e2e/test_three_steps_every_kind.py; here are the awkward cases against the sandbox.
"""

from __future__ import annotations

import pytest

from remediator.errors import OktaApiError
from remediator.sandbox import Sandbox
from tests.kinds import datafiles, live

KINDS = {"apps": "okta.apps", "threat_insight": "okta.threat_insight", "org_settings": "okta.org_settings",
         "network_zone": "okta.network_zone", "authenticator": "okta.authenticator", "log_streams": "okta.log_streams"}
CASES = [(kind, path) for directory, kind in KINDS.items() for path in datafiles.cases(directory)]


@pytest.mark.parametrize(("kind", "path"), CASES, ids=[f"{k}:{p.stem}" for k, p in CASES])
def test_diff_data_files(kind, path):
    datafiles.run(kind, path)


def test_every_kind_has_data_files():
    for directory in KINDS:
        assert len(datafiles.cases(directory)) >= 3, directory


@pytest.fixture(scope="module")
def lapsus():
    with Sandbox(scenario="lapsus-2022", users=60, seed=5) as sb:
        yield sb


async def test_a_zone_a_rule_uses_is_reported_not_deactivated(lapsus):
    changes, findings = await live.plan(lapsus, "okta.network_zone", {"name": "Office egress", "status": "INACTIVE"})
    assert changes == []
    (finding,) = findings
    assert finding.severity == "high" and finding.evidence["rules"] == ["Contractors / Contractors require MFA"]


async def test_an_offered_authenticator_is_reported_and_okta_would_refuse_it(lapsus):
    """Okta answers 403 E0000148 (okta-developer-docs/data/error-codes.json, "Policy violation exception")."""
    changes, findings = await live.plan(lapsus, "okta.authenticator", {"key": "phone_number", "status": "INACTIVE"})
    assert changes == [] and findings[0].evidence["policies"] == ["Default Policy"]
    async with live.tenant(lapsus) as ctx:
        phone = next(a for a in await ctx.reads.authenticators() if a["key"] == "phone_number")
        with pytest.raises(OktaApiError) as caught:
            await ctx.client.request("POST", f"/api/v1/authenticators/{phone['id']}/lifecycle/deactivate")
    assert caught.value.status == 403 and caught.value.error_code == "E0000148"


async def test_a_splunk_token_comes_from_the_environment_and_is_never_planned(monkeypatch):
    args = {"active": True, "create": {"type": "splunk_cloud_logstreaming", "name": "Splunk", "edition": "aws",
                                       "host": "acme.splunkcloud.com", "token_env": "TEST_SPLUNK_HEC"}}
    monkeypatch.setenv("TEST_SPLUNK_HEC", "hec-secret-value")
    with Sandbox() as sb:
        changes, _ = await live.plan(sb, "okta.log_streams", args)
        assert "hec-secret-value" not in str([c.to_json() for c in changes])
        await live.apply(sb, "okta.log_streams", args, changes)
        (stream,) = sb.snapshot()["log_streams"]
        assert stream["status"] == "ACTIVE" and "token" not in stream["settings"]
        assert [e["eventType"] for e in sb.logs][-1] == "system.log_stream.lifecycle.create"


async def test_a_missing_splunk_token_is_one_line(monkeypatch):
    args = {"active": True, "create": {"type": "splunk_cloud_logstreaming", "name": "Splunk", "edition": "aws",
                                       "host": "acme.splunkcloud.com", "token_env": "TEST_SPLUNK_MISSING"}}
    monkeypatch.delenv("TEST_SPLUNK_MISSING", raising=False)
    from remediator.errors import InputError

    with Sandbox() as sb:
        changes, _ = await live.plan(sb, "okta.log_streams", args)
        with pytest.raises(InputError, match="TEST_SPLUNK_MISSING"):
            await live.apply(sb, "okta.log_streams", args, changes)
        assert "log_streams" not in sb.snapshot()


async def test_threat_insight_write_is_logged_as_okta_does(lapsus):
    args = {"action": "audit"}
    changes, _ = await live.plan(lapsus, "okta.threat_insight", args)
    applied = await live.apply(lapsus, "okta.threat_insight", args, changes)
    event = lapsus.logs[-1]
    assert event["eventType"] == "security.threat.configuration.update"  # event-types.json
    assert event["debugContext"]["debugData"]["requestId"] == applied[0].request_id

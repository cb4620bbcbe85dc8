"""A tenant's identity is its org: `GET /api/v1/org` gives Okta's org id, and every session knows it.

The shape of the answer is a real recording: okta-sdk-python
tests/integration/cassettes/test_org_it/TestOrgResource.test_get_org_settings.yaml (`id` "00o…",
`subdomain`, `status`, `created`, ...); its scope is `okta.orgs.read` (management-minimal.yaml,
operation getOrgSettings).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from remediator.engine.session import ApplySettings, RunSettings, TenantSession
from remediator.errors import OktaError
from remediator.inventory import TenantSpec
from remediator.org import OrgIdentity, org_identity
from remediator.sandbox import Sandbox
from remediator.sandbox.snapshot import minimal


async def _session_org(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> tuple[OrgIdentity | None, Any]:
    monkeypatch.setenv("ORG_TEST_TOKEN", sb.token)
    spec = TenantSpec(name="t", org_url=sb.org_url, token_env="ORG_TEST_TOKEN")
    async with TenantSession(spec, RunSettings()) as session:
        assert session.ctx is not None
        return session.ctx.org, await session.ctx.reads.org()


def test_a_session_knows_its_org_from_the_snapshot(monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = {**minimal(), "org": {"id": "00oAcmeOrg0000000001", "companyName": "Acme"}}
    with Sandbox(snapshot) as sb:
        org, body = asyncio.run(_session_org(sb, monkeypatch))
    assert org == OrgIdentity(url=sb.org_url, id="00oAcmeOrg0000000001")
    assert body["companyName"] == "Acme" and body["status"] == "ACTIVE"
    assert body["_links"]["oktaSupport"]["href"] == f"{sb.org_url}/api/v1/org/privacy/oktaSupport"


def test_two_scenario_tenants_are_two_orgs(monkeypatch: pytest.MonkeyPatch) -> None:
    with Sandbox(scenario="lapsus-2022", users=50, seed=1) as a, Sandbox(scenario="lapsus-2022", users=50, seed=2) as b:
        org_a, _ = asyncio.run(_session_org(a, monkeypatch))
        org_b, _ = asyncio.run(_session_org(b, monkeypatch))
    assert org_a is not None and org_b is not None
    assert org_a.id.startswith("00o") and org_a.id != org_b.id


def test_an_answer_without_an_id_is_an_error_not_a_guess() -> None:
    with pytest.raises(OktaError, match="without an org id"):
        org_identity("https://acme.okta.com", {"subdomain": "acme"}, "acme")
    with pytest.raises(OktaError):
        org_identity("https://acme.okta.com", [], "acme")


def test_differs_names_the_url_then_the_id() -> None:
    org = OrgIdentity("https://acme.okta.com", "00oA")
    assert org.differs("https://acme.okta.com/", "00oA") is None
    assert org.differs("https://ACME.okta.com", None) is None
    assert "made for https://other.okta.com" in (org.differs("https://other.okta.com", "00oA") or "")
    assert "org id 00oB" in (org.differs("https://acme.okta.com", "00oB") or "")


def test_a_session_hands_wait_lock_to_the_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    """`apply --wait-lock` reaches the kinds' context, so the archive's evidence-directory lock honours it."""
    said: list[str] = []

    async def context() -> tuple[float, Any]:
        monkeypatch.setenv("ORG_TEST_TOKEN", sb.token)
        spec = TenantSpec(name="t", org_url=sb.org_url, token_env="ORG_TEST_TOKEN")
        async with TenantSession(spec, ApplySettings(lock_wait=7.5, on_lock_wait=said.append)) as session:
            assert session.ctx is not None
            return session.ctx.lock_wait, session.ctx.on_lock_wait

    with Sandbox(minimal()) as sb:
        wait, notify = asyncio.run(context())
    assert wait == 7.5 and notify == said.append

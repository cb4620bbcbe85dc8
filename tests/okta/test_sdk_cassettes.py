"""The client against okta-sdk-python's real cassettes (real orgs, host test.okta.com).

The cassettes were recorded by the SDK, so each test makes the requests the cassette can answer
and checks what the client parsed from Okta's real answers: ids, counts, next links, error fields.
"""

from __future__ import annotations

import pytest

from remediator.errors import OktaApiError
from remediator.okta import OktaClient, SswsAuth
from tests.okta.conftest import replay
from tests.support import FakeClock

ORG = "https://test.okta.com"


def client(clock: FakeClock | None = None, **options: object) -> OktaClient:
    clock = clock or FakeClock()
    return OktaClient(ORG, SswsAuth("myAPIToken"), tenant="acme", **clock.client_options(), **options)


async def test_users_list_follows_next_links_then_real_404(sdk_cassette):
    with replay(sdk_cassette("test_users_it/TestUsersResource.test_user_pagination.yaml")) as cassette:
        async with client() as okta:
            pages = []
            async for page in okta.pages("/api/v1/users", {"limit": 1}):
                pages.append(page)
                if len(pages) == 2:
                    break  # the SDK stopped recording after two pages
            assert [[u["id"] for u in p.body] for p in pages] == [["00usfdsyqnIjEmHNm4x6"], ["00usfgmn9xhwtA6f74x6"]]
            assert pages[0].next_url == f"{ORG}/api/v1/users?after=000usfdsyqnIjEmHNm4x6&limit=1"
            assert pages[1].next_url == f"{ORG}/api/v1/users?after=000usfgmn9xhwtA6f74x6&limit=1"
            assert pages[0].request_id == "X0f5RKB5EbMHdk7Quc-KZwAABOA"
            with pytest.raises(OktaApiError) as caught:
                await okta.get("/api/v1/users/00usfgmn9xhwtA6f74x6")
        assert cassette.play_count == 3
    error = caught.value
    assert (error.status, error.error_code, error.error_id) == (404, "E0000007", "oaelr1lt59PSM-TvHYQ_LDr5g")
    assert error.error_summary == "Not found: Resource not found: 00usfgmn9xhwtA6f74x6 (User)"
    assert error.request_id == "X0f5RrZD9OSTRQFRMU-oqAAAB1Y"
    assert (error.method, error.path, error.tenant) == ("GET", "/api/v1/users/00usfgmn9xhwtA6f74x6", "acme")
    assert str(error).startswith("acme: GET /api/v1/users/00usfgmn9xhwtA6f74x6 -> HTTP 404 E0000007")
    assert okta.stats.calls == {"users": 2, "user_by_id": 1}


async def test_get_user_and_lifecycle_operations(sdk_cassette):
    uid = "00uqrks9ig7XuWV7X5d7"
    with replay(sdk_cassette("test_users_it/TestUsersResource.test_comprehensive_user_lifecycle.yaml")) as cassette:
        async with client() as okta:
            assert (await okta.get_json(f"/api/v1/users/{uid}"))["status"] == "ACTIVE"
            suspended = await okta.request("POST", f"/api/v1/users/{uid}/lifecycle/suspend")
            assert (suspended.status, suspended.body) == (200, {})
            assert (await okta.get_json(f"/api/v1/users/{uid}"))["status"] == "SUSPENDED"
            await okta.request("POST", f"/api/v1/users/{uid}/lifecycle/unsuspend")
            reset = await okta.request("POST", f"/api/v1/users/{uid}/lifecycle/reset_password",
                                       params={"sendEmail": False})
            assert reset.body["resetPasswordUrl"].startswith(f"{ORG}/reset_password/")
            await okta.request("POST", f"/api/v1/users/{uid}/lifecycle/reset_factors")
            ended = await okta.request("DELETE", f"/api/v1/users/{uid}/sessions")
            assert (ended.status, ended.body) == (204, None)
            assert ended.request_id
        assert cassette.play_count == 7


async def test_expire_password_returns_the_user(sdk_cassette):
    with replay(sdk_cassette("test_users_it/TestUsersResource.test_expire_password.yaml")):
        async with client() as okta:
            resp = await okta.request("POST", "/api/v1/users/00uqrjxsgd0UxglnX5d7/lifecycle/expire_password")
    assert resp.body["id"] == "00uqrjxsgd0UxglnX5d7"
    assert resp.body["status"] == "PASSWORD_EXPIRED"


async def test_roles_list_and_delete(sdk_cassette):
    uid = "00usfex7wP9lvobJ84x6"
    with replay(sdk_cassette("test_users_it/TestUsersResource.test_assign_user_to_role.yaml")):
        async with client() as okta:
            roles = [r async for r in okta.paginate(f"/api/v1/users/{uid}/roles")]
            deleted = await okta.request("DELETE", f"/api/v1/users/{uid}/roles/KVJUKUS7IFCE2SKO")
            after = await okta.get_json(f"/api/v1/users/{uid}/roles")
    assert [(r["id"], r["type"], r["assignmentType"]) for r in roles] == [("KVJUKUS7IFCE2SKO", "USER_ADMIN", "USER")]
    assert deleted.status == 204
    assert after == []
    assert okta.stats.calls == {"users": 3}  # /users/{id}/roles share the users bucket


async def test_factors_with_real_array_links_and_404_after_delete(sdk_cassette):
    uid, fid = "00usfahhrdlPEHV1g4x6", "mblsfdsyb1P5k0Kr54x6"
    with replay(sdk_cassette("test_factors_it/TestFactorsResource.test_delete_factor.yaml")):
        async with client() as okta:
            factor = await okta.get_json(f"/api/v1/users/{uid}/factors/{fid}")
            assert (await okta.request("DELETE", f"/api/v1/users/{uid}/factors/{fid}")).status == 204
            with pytest.raises(OktaApiError) as caught:
                await okta.get(f"/api/v1/users/{uid}/factors/{fid}")
    assert factor["factorType"] == "sms"
    assert isinstance(factor["_links"]["resend"], list)  # the SDK's models reject this real shape
    assert (caught.value.status, caught.value.error_code) == (404, "E0000007")
    assert caught.value.error_id == "oaeQYgMN2rJTOm-l6p-lweuKA"


async def test_factors_list_empty(sdk_cassette):
    with replay(sdk_cassette("test_factors_it/TestFactorsResource.test_list_factors_new_user.yaml")):
        async with client() as okta:
            assert [f async for f in okta.paginate("/api/v1/users/00usfe1icMu2UMzRN4x6/factors")] == []


async def test_api_tokens_list_and_404(sdk_cassette):
    with replay(sdk_cassette("test_api_token_it/TestApiTokenResource.test_list_api_tokens_basic.yaml")):
        async with client() as okta:
            tokens = [t async for t in okta.paginate("/api/v1/api-tokens")]
    assert tokens and all(t["id"].startswith("00T") for t in tokens)
    assert tokens[0]["id"] == "00T1f3w86v9h8o1VZ1d7"
    assert tokens[0]["tokenWindow"] is None  # real value the spec's pattern rejects
    with replay(sdk_cassette("test_api_token_it/TestApiTokenResource.test_get_api_token_invalid_id.yaml")):
        async with client() as okta:
            with pytest.raises(OktaApiError) as caught:
                await okta.get("/api/v1/api-tokens/00Tinvalid1234567890")
    assert (caught.value.error_code, caught.value.error_id) == ("E0000007", "oaeNTp5Jl-OTK2NMx8CxStA9g")


async def test_policies_by_type_and_rules(sdk_cassette):
    with replay(sdk_cassette("test_policies_it/TestPoliciesResource.test_list_policies_by_type.yaml")):
        async with client() as okta:
            sign_on = [p async for p in okta.paginate("/api/v1/policies", {"type": "OKTA_SIGN_ON"})]
            password = [p async for p in okta.paginate("/api/v1/policies", {"type": "PASSWORD"})]
    assert "00psfahlcayCvwDRS4x6" in [p["id"] for p in sign_on]
    assert {p["type"] for p in sign_on} == {"OKTA_SIGN_ON"}
    assert "00psfap3zS70scb624x6" in [p["id"] for p in password]
    with replay(sdk_cassette("test_policies_it/TestPoliciesResource.test_list_policy_rules.yaml")):
        async with client() as okta:
            rules = [r async for r in okta.paginate("/api/v1/policies/00psfar1lATHw2WXj4x6/rules")]
    assert [(r["id"], r["type"]) for r in rules] == [("0prsfe5f85pTFjdRU4x6", "SIGN_ON")]


async def test_idps_list_next_link_and_deactivate(sdk_cassette):
    with replay(sdk_cassette("test_identity_providers/TestIdentityProvidersResource.test_list_idps.yaml")):
        async with client() as okta:
            page = await okta.get("/api/v1/idps")
            done = await okta.request("POST", "/api/v1/idps/0oasfdcxsbNFQFf4J4x6/lifecycle/deactivate")
    assert "0oasfdcxsbNFQFf4J4x6" in [i["id"] for i in page.body]
    assert page.next_url == f"{ORG}/api/v1/idps?after=0oasfdcxsbNFQFf4J4x6&limit=20"
    assert done.body["status"] == "INACTIVE"


async def test_okta_support_read_grant_extend_revoke(sdk_cassette):
    with replay(sdk_cassette("test_org_it/TestOrgResource.test_get_okta_support_settings.yaml")):
        async with client() as okta:
            assert (await okta.get_json("/api/v1/org/privacy/oktaSupport"))["support"] == "DISABLED"
    with replay(sdk_cassette("test_org_it/TestOrgResource.test_extend_okta_support.yaml")):
        async with client() as okta:
            granted = await okta.request("POST", "/api/v1/org/privacy/oktaSupport/grant")
            extended = await okta.request("POST", "/api/v1/org/privacy/oktaSupport/extend")
            revoked = await okta.request("POST", "/api/v1/org/privacy/oktaSupport/revoke")
    assert (granted.body["support"], granted.body["expiration"]) == ("ENABLED", "2021-08-31T17:34:45.000Z")
    assert extended.body["expiration"] == "2021-09-01T17:34:45.000Z"  # extend adds 24 h
    assert revoked.body == {"support": "DISABLED", "expiration": None, "_links": revoked.body["_links"]}
    assert okta.stats.calls == {"catch_all": 3}


async def test_real_429_waits_reset_minus_date_then_retries(sdk_cassette):
    """The one real E0000047 in the recordings: Remaining 0, then 429, then success after the reset."""
    clock = FakeClock()
    with replay(sdk_cassette(
        "test_agent_pools_it/TestAgentPoolsResource.test_list_agent_pools_with_multiple_pool_types.yaml"
    )) as cassette:
        okta = client(clock, rng=lambda low, high: high)
        async with okta:
            ldap = await okta.get("/api/v1/agentPools", {"limitPerPoolType": 5, "poolType": "LDAP"})
            # Remaining 0 after LDAP: the pacer waits Reset - Date = 16:22:38 - 16:21:49 = 49 s first
            radius = await okta.get("/api/v1/agentPools", {"limitPerPoolType": 5, "poolType": "Radius"})
        assert cassette.play_count == 3
    assert (ldap.body, radius.body, radius.status) == ([], [], 200)
    assert okta.stats.throttled == 1 and okta.stats.retries == 1
    # 429 at Date 16:21:50 with Reset 1757607758 (16:22:38): 48 s, plus the (maximal) jitter
    assert clock.sleeps[0] == pytest.approx(49.0)
    assert 48.0 in [round(s - 0.5, 6) for s in clock.sleeps]


async def test_real_429_without_pacing_still_waits_for_reset(sdk_cassette):
    clock = FakeClock()
    with replay(sdk_cassette(
        "test_agent_pools_it/TestAgentPoolsResource.test_list_agent_pools_with_multiple_pool_types.yaml"
    )):
        okta = client(clock, pace=False, rng=lambda low, high: low)
        async with okta:
            await okta.get("/api/v1/agentPools", {"limitPerPoolType": 5, "poolType": "LDAP"})
            radius = await okta.get("/api/v1/agentPools", {"limitPerPoolType": 5, "poolType": "Radius"})
    assert radius.status == 200
    assert clock.sleeps == [48.0]  # only the 429's own wait: Reset - Date, no jitter at its lower bound

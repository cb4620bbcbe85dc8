"""The official okta SDK 3.4.6 against the sandbox, SSWS and private-key OAuth, for the calls its models parse."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from okta.client import Client
from okta.pagination import paginate_all

from remediator.sandbox import Sandbox
from tests.sandbox.fixtures import CLOCK, OPERATOR, POLICY_ID, TOKEN_ID, many_users, rsa_client

CLIENT = "0oaSdkServiceApp0001"


@pytest.fixture(autouse=True)
def sdk_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDK only reads testing.* from env/YAML (the dict form lands under `client`), and it applies
    # HTTP(S)_PROXY to every URL, loopback included.
    monkeypatch.setenv("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "1")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def keyed() -> Iterator[tuple[Sandbox, str]]:
    client, pem = rsa_client(CLIENT, ["okta.users.read", "okta.orgs.read", "okta.apiTokens.read",
                                      "okta.policies.read"])
    data = many_users(45)
    data["oauth_clients"] = [client]
    with Sandbox(data, clock=CLOCK) as sandbox:
        yield sandbox, pem


def expected_ids(sb: Sandbox) -> list[str]:
    return sorted(u["id"] for u in sb.snapshot()["users"] if u["status"] != "DEPROVISIONED")


async def exercise(sb: Sandbox, client: Client, *, me: bool = True) -> None:
    users = [u async for u in paginate_all(client.list_users, limit=7)]
    assert [u.id for u in users] == expected_ids(sb)
    if me:
        user, _, err = await client.get_user("me")
        assert err is None and user.id == OPERATOR
    support, _, err = await client.get_org_okta_support_settings()
    assert err is None and support.support.value == "ENABLED"
    tokens, _, err = await client.list_api_tokens()
    assert err is None and [t.id for t in tokens] == [TOKEN_ID] and tokens[0].token_window == "P30D"
    policies, _, err = await client.list_policies(type="OKTA_SIGN_ON", limit="20")
    assert err is None and [p.id for p in policies] == [POLICY_ID]


async def test_sdk_with_ssws(keyed: tuple[Sandbox, str]) -> None:
    sb, _ = keyed
    client = Client({"orgUrl": sb.org_url, "token": sb.token, "testing": {"testingDisableHttpsCheck": True}})
    await exercise(sb, client)


async def test_sdk_with_private_key(keyed: tuple[Sandbox, str]) -> None:
    sb, pem = keyed
    client = Client({"orgUrl": sb.org_url, "authorizationMode": "PrivateKey", "clientId": CLIENT,
                     "scopes": ["okta.users.read", "okta.orgs.read", "okta.apiTokens.read", "okta.policies.read"],
                     "privateKey": pem})
    await exercise(sb, client, me=False)
    _, _, err = await client.list_log_events()
    assert err is not None and err.status == 403  # okta.logs.read was never granted


async def test_sdk_private_key_with_an_ungranted_scope_fails(keyed: tuple[Sandbox, str]) -> None:
    sb, pem = keyed
    client = Client({"orgUrl": sb.org_url, "authorizationMode": "PrivateKey", "clientId": CLIENT,
                     "scopes": ["okta.users.manage"], "privateKey": pem})
    users, _, err = await client.list_users()
    assert users is None and err is not None


async def test_sdk_reads_and_writes_the_org_configuration(sdk_env: None) -> None:
    """Zones, ThreatInsight, authenticators, log streams and the org's singletons, through the SDK's own models."""
    with Sandbox(scenario="lapsus-2022", users=40) as sb:
        client = Client({"orgUrl": sb.org_url, "token": sb.token, "testing": {"testingDisableHttpsCheck": True}})
        zones, _, err = await client.list_network_zones()
        assert err is None and {z.name for z in zones} >= {"BlockedIpZone", "LegacyIpZone"}
        office = next(z for z in zones if z.name == "Office egress")
        zone, _, err = await client.deactivate_network_zone(office.id)
        assert err is None and zone.status.value == "INACTIVE"
        authenticators, _, err = await client.list_authenticators()
        assert err is None and "okta_verify" in {a.key.value for a in authenticators}
        streams, _, err = await client.list_log_streams()
        assert err is None and streams == []
        # get_user_lockout_settings is left out: the SDK's model rejects the very body Okta answered its own
        # test with (`{"preventBruteForceLockoutFromUnknownDevices":false}`, test_attack_protection_it).
        auto, _, err = await client.get_auto_assign_admin_app_setting()
        assert err is None and auto.auto_assign_admin_app_setting is True
        console, _, err = await client.get_first_party_app_settings("admin-console")
        assert err is None and console.session_idle_timeout_minutes == 120
        privileges, _, err = await client.get_client_privileges_setting()
        assert err is None and privileges.client_privileges_setting is True
    assert [e["eventType"] for e in sb.logs][-1:] == ["zone.deactivate"]

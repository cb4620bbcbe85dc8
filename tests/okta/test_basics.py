"""Org URLs (https only, loopback excepted), Link parsing, buckets, and secrets kept out of cassettes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from remediator.errors import InputError
from remediator.okta import PER_MINUTE, OktaClient, SswsAuth, bucket_for
from remediator.okta.buckets import BUCKETS
from remediator.okta.client import parse_link_header
from tests.support import FakeClock

TESTS = Path(__file__).resolve().parents[1]
AUTH = SswsAuth("placeholder-token")


@pytest.mark.parametrize("url", ["http://example.com", "http://acme.okta.com:80", "http://10.0.0.5:8080"])
def test_plain_http_refused_naming_the_tenant(url):
    with pytest.raises(InputError) as caught:
        OktaClient(url, AUTH, tenant="prod-eu")
    assert str(caught.value).startswith("tenant prod-eu: ")
    assert "https://" in str(caught.value) and "loopback" in str(caught.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:1234", "http://localhost", "http://localhost:8080/",
                                 "http://[::1]:9000", "http://127.8.9.10", "https://acme.okta.com/"])
def test_https_and_loopback_allowed(url):
    okta = OktaClient(url, AUTH, tenant="t")
    assert okta.org_url == url.rstrip("/")


@pytest.mark.parametrize("url", ["ftp://acme.okta.com", "acme.okta.com", "https://user:pw@acme.okta.com",
                                 "https://acme.okta.com/api/v1", "https://acme.okta.com?x=1", ""])
def test_malformed_org_urls_refused(url):
    with pytest.raises(InputError, match="tenant t: "):
        OktaClient(url, AUTH, tenant="t")


def test_link_header_lines_and_combined_values():
    self_line = '<https://a.okta.com/api/v1/users?limit=2>; rel="self"'
    next_line = '<https://a.okta.com/api/v1/users?after=00u2&limit=2>; rel="next"'
    assert parse_link_header([self_line, next_line])["next"].endswith("after=00u2&limit=2")
    assert parse_link_header([f"{self_line}, {next_line}"])["next"].endswith("after=00u2&limit=2")
    assert parse_link_header(['<https://x/y?a=1,2>; type="a;b"; rel=next'])["next"] == "https://x/y?a=1,2"
    assert "next" not in parse_link_header([self_line])
    assert parse_link_header([]) == {}


@pytest.mark.parametrize(("method", "path", "bucket"), [
    ("GET", "/api/v1/users", "users"),
    ("POST", "/api/v1/users", "users"),
    ("GET", "/api/v1/users/00u1/factors", "users"),
    ("GET", "/api/v1/users/00u1/roles", "users"),
    ("POST", "/api/v1/users/00u1/lifecycle/suspend", "users"),
    ("DELETE", "/api/v1/users/00u1/sessions", "users"),
    ("GET", "/api/v1/users/00u1", "user_by_id"),
    ("GET", "/api/v1/users/jane@acme.example", "user_by_id"),
    ("GET", "/api/v1/users/me", "user_me"),
    ("POST", "/api/v1/users/00u1", "user_write"),
    ("DELETE", "/api/v1/users/00u1", "user_write"),
    ("GET", "/api/v1/groups", "groups"),
    ("GET", "/api/v1/groups/00g1", "group_by_id"),
    ("GET", "/api/v1/groups/00g1/roles", "groups"),
    ("GET", "/api/v1/logs", "logs"),
    ("GET", "/api/v1/iam/assignees/users", "iam"),
    ("POST", "/oauth2/v1/token", "oauth2_token"),
    ("GET", "/api/v1/api-tokens", "catch_all"),
    ("GET", "/api/v1/policies", "catch_all"),
    ("POST", "/api/v1/idps/0oa1/lifecycle/deactivate", "catch_all"),
    ("GET", "/api/v1/org/privacy/oktaSupport", "catch_all"),
    ("GET", "/api/v1/userTypes", "catch_all"),
])
def test_bucket_mapping(method, path, bucket):
    assert bucket_for(method, path) == bucket


def test_limits_cover_every_bucket():
    for plan in ("enterprise", "workforce"):
        assert set(PER_MINUTE[plan]) == set(BUCKETS)
    assert PER_MINUTE["enterprise"]["users"] == 600 and PER_MINUTE["workforce"]["logs"] == 120


def test_same_mapping_as_the_sandbox():
    sandbox = pytest.importorskip("remediator.sandbox.ratelimit")
    paths = ["/api/v1/users", "/api/v1/users/00u1", "/api/v1/users/me", "/api/v1/users/00u1/factors",
             "/api/v1/groups", "/api/v1/groups/00g1", "/api/v1/groups/rules", "/api/v1/logs", "/api/v1/iam/roles",
             "/api/v1/policies", "/oauth2/v1/token", "/api/v1/userTypes", "/.well-known/okta-organization"]
    for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
        for path in paths:
            assert bucket_for(method, path) == sandbox.bucket_for(method, path), (method, path)
    assert sandbox.PER_MINUTE == PER_MINUTE


def test_server_now_follows_the_date_header():
    clock = FakeClock(wall=1_800_000_000.0)
    okta = OktaClient("https://acme.okta.com", AUTH, tenant="t", **clock.client_options())
    okta._note_date({"Date": "Fri, 21 Jan 2022 00:00:10 GMT"})
    assert okta.server_now() == datetime(2022, 1, 21, 0, 0, 10, tzinfo=UTC)
    clock.advance(2.5)  # the local clock moves on: the tenant's with it, from the same offset
    assert okta.server_now() == datetime(2022, 1, 21, 0, 0, 12, 500000, tzinfo=UTC)


PLACEHOLDERS = {"placeholder", "placeholder-token", "myAPIToken", "REDACTED", "<redacted>", "xxx"}


def test_no_real_secret_in_any_cassette():
    cassettes = [p for p in TESTS.rglob("*") if p.suffix in (".yaml", ".yml", ".json") and p.is_file()]
    assert any(p.parent.name == "cassettes" for p in cassettes)
    for path in cassettes:
        text = path.read_text(errors="replace")
        for token in re.findall(r"SSWS\s+(\S+)", text):
            assert token.strip("'\",") in PLACEHOLDERS, f"{path}: SSWS token that is not a placeholder"
        assert "Bearer ey" not in text, f"{path}: a JWT access token"
        assert "PRIVATE KEY" not in text, f"{path}: a private key"


def test_proxy_from_the_environment_honours_no_proxy(monkeypatch):
    from yarl import URL

    from remediator.okta.client import proxy_for

    for name in ("https_proxy", "no_proxy", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("NO_PROXY", "internal.example")
    assert proxy_for(URL("https://acme.okta.com")) == "http://proxy.corp:3128"
    assert proxy_for(URL("https://sso.internal.example")) is None
    assert proxy_for(URL("http://127.0.0.1:8080")) is None

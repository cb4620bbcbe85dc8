"""Applications in the sandbox, as real orgs answer (okta-sdk-python cassettes under
../shared/okta-reference/okta-sdk-python/tests/integration/cassettes/test_applications_it/)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest

from remediator.sandbox import Sandbox
from tests.sandbox import okta_reference
from tests.sandbox.fixtures import ADMIN_APP_ID, CLOCK, DASHBOARD_APP_ID, call, get_all, small_tenant

APPS_CASSETTES = okta_reference.SDK_CASSETTES / "test_applications_it"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(small_tenant(), clock=CLOCK) as sandbox:
        yield sandbox


def _recorded(name: str, path_prefix: str) -> list[okta_reference.Recorded]:
    source = f"okta-sdk-python/tests/integration/cassettes/test_applications_it/{name}"
    okta_reference.require(APPS_CASSETTES / name)
    return [r for r in okta_reference.recordings() if r.source == source and r.path.startswith(path_prefix)]


def test_the_first_party_apps_link_their_app_sign_on_policy_as_recorded() -> None:
    """A real list names the Admin Console `saasure` and the Dashboard `okta_enduser`, each with
    `_links.accessPolicy.href` (test_list_applications_with_query_parameters.yaml, filter status eq ACTIVE)."""
    recorded = _recorded("TestApplicationsResource.test_list_applications_with_query_parameters.yaml", "/api/v1/apps")
    real = {a["name"]: a for r in recorded if isinstance(r.body, list) for a in r.body}
    assert real["saasure"]["label"] == "Okta Admin Console" and real["okta_enduser"]["label"] == "Okta Dashboard"
    assert all("/api/v1/policies/" in real[n]["_links"]["accessPolicy"]["href"] for n in ("saasure", "okta_enduser"))
    with Sandbox(scenario="lapsus-2022", users=60) as sb:
        snapshot = sb.snapshot()
        apps = {a["name"]: a for a in call(sb, "GET", "/api/v1/apps").body}
        for name, policy_name in (("saasure", "Okta Admin Console"), ("okta_enduser", "Okta Dashboard")):
            assert apps[name]["label"] == real[name]["label"]
            assert apps[name]["signOnMode"] == real[name]["signOnMode"]
            href = apps[name]["_links"]["accessPolicy"]["href"]
            assert href.startswith(sb.org_url + "/api/v1/policies/")
            policy = call(sb, "GET", href).body
            assert (policy["type"], policy["name"]) == ("ACCESS_POLICY", policy_name)
    assert {a["name"] for a in snapshot["apps"]} >= {"saasure", "okta_enduser"}


def test_list_filters_and_searches_as_the_spec_says(sb: Sandbox) -> None:
    """Spec listApplications: `q` is startsWith on name or label; `filter` on id, status, name... (eq)."""
    assert [a["id"] for a in call(sb, "GET", "/api/v1/apps?q=okta").body] == [ADMIN_APP_ID, DASHBOARD_APP_ID]
    assert [a["id"] for a in call(sb, "GET", "/api/v1/apps?q=OKTA_EN").body] == [DASHBOARD_APP_ID]
    assert [a["id"] for a in call(sb, "GET", "/api/v1/apps?q=Okta%20D").body] == [DASHBOARD_APP_ID]
    assert call(sb, "GET", "/api/v1/apps?q=Dashboard").body == []  # starts with, not contains
    found = call(sb, "GET", "/api/v1/apps?filter=" + quote('name eq "saasure"')).body
    assert [a["id"] for a in found] == [ADMIN_APP_ID]
    assert call(sb, "GET", "/api/v1/apps?filter=" + quote('status eq "INACTIVE"')).body == []
    bad = call(sb, "GET", "/api/v1/apps?filter=" + quote('label eq "x"'))
    assert (bad.status, bad.body["errorCode"]) == (400, "E0000031")


def test_pages_follow_next_links_and_refuse_an_unknown_cursor(sb: Sandbox) -> None:
    """A cursor the org never gave answers 400 E0000029 "Invalid paging request." with cause "Invalid cursor."
    (test_list_applications_pagination_with_after.yaml)."""
    recorded = [r for r in _recorded("TestApplicationsResource.test_list_applications_pagination_with_after.yaml",
                                     "/api/v1/apps") if r.method == "GET" and r.status == 400]
    assert recorded, "the recording of the invalid cursor is missing"
    page = call(sb, "GET", "/api/v1/apps?limit=1")
    assert len(page.body) == 1 and page.next_url()
    assert [a["id"] for a in get_all(sb, "/api/v1/apps?limit=1")] == [ADMIN_APP_ID, DASHBOARD_APP_ID]
    bad = call(sb, "GET", "/api/v1/apps?after=00u1testcursorvalue&limit=1")
    assert bad.status == 400
    for key in ("errorCode", "errorSummary"):
        assert bad.body[key] == recorded[0].body[key]
    assert bad.body["errorCauses"] == recorded[0].body["errorCauses"]


def test_get_by_id_and_unknown_id(sb: Sandbox) -> None:
    assert call(sb, "GET", f"/api/v1/apps/{ADMIN_APP_ID}").body["name"] == "saasure"
    missing = call(sb, "GET", "/api/v1/apps/0oaNOPEnopeNOPEnope1")
    assert (missing.status, missing.body["errorCode"]) == (404, "E0000007")


def test_lifecycle_answers_an_empty_object_and_logs_the_event(sb: Sandbox) -> None:
    """Activate and deactivate answer 200 `{}` (test_activate_deactivate_delete_app.yaml); Okta logs
    `application.lifecycle.deactivate|activate` (event-types.json)."""
    recorded = _recorded("TestApplicationsResource.test_activate_deactivate_delete_app.yaml", "/api/v1/apps/")
    assert any(r.path.endswith("/lifecycle/activate") and r.status == 200 and r.body == {} for r in recorded)
    reply = call(sb, "POST", f"/api/v1/apps/{DASHBOARD_APP_ID}/lifecycle/deactivate")
    assert (reply.status, reply.body) == (200, {})
    assert call(sb, "GET", f"/api/v1/apps/{DASHBOARD_APP_ID}").body["status"] == "INACTIVE"
    assert call(sb, "POST", f"/api/v1/apps/{DASHBOARD_APP_ID}/lifecycle/activate").body == {}
    events = [(e["eventType"], e["target"][0]["id"], e["target"][0]["type"]) for e in sb.logs]
    assert events == [("application.lifecycle.deactivate", DASHBOARD_APP_ID, "AppInstance"),
                      ("application.lifecycle.activate", DASHBOARD_APP_ID, "AppInstance")]
    assert call(sb, "POST", f"/api/v1/apps/{DASHBOARD_APP_ID}/lifecycle/activate").status == 200
    assert len(sb.logs) == 2  # already ACTIVE: nothing changed, nothing logged
    assert sb.snapshot()["apps"][1]["status"] == "ACTIVE"

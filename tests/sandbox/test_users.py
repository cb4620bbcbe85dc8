"""Users: listing semantics (plain, filter, search, q), lookups, lifecycle status rules and timestamps."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest

from remediator.sandbox import Sandbox
from remediator.timeutil import parse_time
from tests.sandbox.fixtures import BOB, CAROL, CLOCK, DAVE, GONE, OPERATOR, call, small_tenant


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(small_tenant(), clock=CLOCK) as sandbox:
        yield sandbox


def ids(reply) -> list[str]:
    assert reply.status == 200, reply.body
    return [u["id"] for u in reply.body]


def test_plain_list_omits_deprovisioned_filter_and_search_include_them(sb: Sandbox) -> None:
    assert GONE not in ids(call(sb, "GET", "/api/v1/users"))
    assert ids(call(sb, "GET", "/api/v1/users?filter=" + quote('status eq "DEPROVISIONED"'))) == [GONE]
    assert ids(call(sb, "GET", "/api/v1/users?search=" + quote('status eq "DEPROVISIONED"'))) == [GONE]


def test_list_is_in_id_order_with_a_self_link(sb: Sandbox) -> None:
    reply = call(sb, "GET", "/api/v1/users")
    assert ids(reply) == sorted([OPERATOR, BOB, CAROL, DAVE])
    assert reply.links() == [f'<{sb.org_url}/api/v1/users>; rel="self"']


def test_search_is_case_insensitive_on_values_and_takes_dates_and_parentheses(sb: Sandbox) -> None:
    assert ids(call(sb, "GET", "/api/v1/users?search=" + quote('profile.login eq "BOB@ACME.COM"'))) == [BOB]
    query = '(status eq "ACTIVE" or status eq "SUSPENDED") and passwordChanged lt "2022-01-01T00:00:00.000Z"'
    assert set(ids(call(sb, "GET", "/api/v1/users?search=" + quote(query)))) == {OPERATOR, CAROL, DAVE}
    assert ids(call(sb, "GET", "/api/v1/users?search=" + quote('profile.firstName sw "car"'))) == [CAROL]
    assert len(ids(call(sb, "GET", "/api/v1/users?search=" + quote("profile.email pr")))) == 5
    assert ids(call(sb, "GET", "/api/v1/users?search=" + quote('type.id eq "nope"'))) == []


def test_filter_is_case_sensitive_and_limited(sb: Sandbox) -> None:
    assert ids(call(sb, "GET", "/api/v1/users?filter=" + quote('profile.login eq "BOB@ACME.COM"'))) == []
    assert ids(call(sb, "GET", "/api/v1/users?filter=" + quote('profile.login eq "bob@acme.com"'))) == [BOB]
    later = ids(call(sb, "GET", "/api/v1/users?filter=" + quote('lastUpdated gt "2020-01-01T00:00:00.000Z"')))
    assert len(later) == 5
    for bad in ('created gt "2020-01-01T00:00:00.000Z"', 'status sw "A"', 'status eq "ACTIVE" and',
                'status eq ACTIVE', '(status eq "ACTIVE"'):
        reply = call(sb, "GET", "/api/v1/users?filter=" + quote(bad))
        assert reply.status == 400, bad
        assert reply.body["errorCode"] == "E0000031"
        assert reply.body["errorCauses"]


def test_search_rejects_ne_as_the_spec_says(sb: Sandbox) -> None:
    reply = call(sb, "GET", "/api/v1/users?search=" + quote('status ne "ACTIVE"'))
    assert reply.status == 400 and reply.body["errorCode"] == "E0000031"


def test_q_is_a_prefix_on_names_and_email_without_deprovisioned_or_next(sb: Sandbox) -> None:
    assert ids(call(sb, "GET", "/api/v1/users?q=dan")) == [CAROL]
    assert ids(call(sb, "GET", "/api/v1/users?q=bob@")) == [BOB]
    assert ids(call(sb, "GET", "/api/v1/users?q=gary")) == []
    reply = call(sb, "GET", "/api/v1/users?q=d&limit=1")
    assert len(ids(reply)) == 1 and reply.next_url() is None
    assert len(ids(call(sb, "GET", "/api/v1/users?q=d"))) == 2


def test_get_user_by_id_login_and_me(sb: Sandbox) -> None:
    assert call(sb, "GET", f"/api/v1/users/{BOB}").body["id"] == BOB
    assert call(sb, "GET", "/api/v1/users/bob@acme.com").body["id"] == BOB
    assert call(sb, "GET", "/api/v1/users/me").body["id"] == OPERATOR


def test_unknown_user_is_okta_404(sb: Sandbox) -> None:
    reply = call(sb, "GET", "/api/v1/users/00unknown")
    assert reply.status == 404
    assert reply.body["errorCode"] == "E0000007"
    assert reply.body["errorSummary"] == "Not found: Resource not found: 00unknown (User)"
    assert set(reply.body) == {"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}
    assert reply.headers["x-okta-request-id"]


def test_suspend_only_from_active_and_unsuspend_only_from_suspended(sb: Sandbox) -> None:
    before = call(sb, "GET", f"/api/v1/users/{BOB}").body
    reply = call(sb, "POST", f"/api/v1/users/{BOB}/lifecycle/suspend")
    assert (reply.status, reply.body) == (200, {})
    after = call(sb, "GET", f"/api/v1/users/{BOB}").body
    assert after["status"] == "SUSPENDED"
    assert parse_time(after["statusChanged"]) >= parse_time(CLOCK) > parse_time(before["statusChanged"])
    assert after["lastUpdated"] == after["statusChanged"]
    assert after["passwordChanged"] == before["passwordChanged"]
    again = call(sb, "POST", f"/api/v1/users/{BOB}/lifecycle/suspend")
    assert (again.status, again.body["errorCode"]) == (403, "E0000038")
    assert call(sb, "POST", f"/api/v1/users/{CAROL}/lifecycle/unsuspend").status == 403
    assert call(sb, "POST", f"/api/v1/users/{BOB}/lifecycle/unsuspend").status == 200
    assert call(sb, "GET", f"/api/v1/users/{BOB}").body["status"] == "ACTIVE"


def test_expire_and_reset_password(sb: Sandbox) -> None:
    expired = call(sb, "POST", f"/api/v1/users/{BOB}/lifecycle/expire_password")
    assert expired.status == 200 and expired.body["id"] == BOB and expired.body["status"] == "PASSWORD_EXPIRED"
    reset = call(sb, "POST", f"/api/v1/users/{CAROL}/lifecycle/reset_password?sendEmail=false")
    assert reset.status == 200 and set(reset.body) == {"resetPasswordUrl"}
    assert reset.body["resetPasswordUrl"].startswith(sb.org_url + "/reset_password/")
    assert call(sb, "GET", f"/api/v1/users/{CAROL}").body["status"] == "RECOVERY"
    assert call(sb, "POST", f"/api/v1/users/{DAVE}/lifecycle/reset_password?sendEmail=true").status == 403
    assert call(sb, "POST", f"/api/v1/users/{DAVE}/lifecycle/expire_password").status == 403


def test_reset_factors_sessions_and_factor_unenroll(sb: Sandbox) -> None:
    factors = call(sb, "GET", f"/api/v1/users/{BOB}/factors").body
    assert [f["factorType"] for f in factors] == ["sms"]
    assert call(sb, "DELETE", f"/api/v1/users/{BOB}/factors/nope").status == 404
    assert call(sb, "DELETE", f"/api/v1/users/{BOB}/factors/{factors[0]['id']}").status == 204
    assert call(sb, "GET", f"/api/v1/users/{BOB}/factors").body == []
    assert call(sb, "POST", f"/api/v1/users/{BOB}/lifecycle/reset_factors").status == 200
    assert call(sb, "POST", f"/api/v1/users/{GONE}/lifecycle/reset_factors").status == 403
    reply = call(sb, "DELETE", f"/api/v1/users/{BOB}/sessions?oauthTokens=true")
    assert (reply.status, reply.raw) == (204, b"")


def test_generated_tenant_serves_compact_users_and_factors_like_plain_ones() -> None:
    # a generated tenant keeps users and factors as compact rows that open on each read: reads, paging,
    # and writes (unenroll one factor of two, suspend) behave as on plain objects
    with Sandbox(scenario="lapsus-2022", users=80, seed=4) as sb:
        store = sb.store
        uid = next(u for u in store.user_ids if len(store.factors.get(u, ())) >= 2
                   and store.users[u]["status"] == "ACTIVE" and u != store.operator)
        assert not isinstance(store.factors.raw(uid), list) and not isinstance(store.users.raw(uid), dict)
        first, second = call(sb, "GET", f"/api/v1/users/{uid}/factors").body[:2]
        assert call(sb, "DELETE", f"/api/v1/users/{uid}/factors/{first['id']}").status == 204
        left = [f["id"] for f in call(sb, "GET", f"/api/v1/users/{uid}/factors").body]
        assert first["id"] not in left and second["id"] in left
        listed = [u for page in _pages(sb, "/api/v1/users?limit=30") for u in page]
        assert [u["id"] for u in listed] == [u for u in store.user_ids
                                             if store.users[u]["status"] != "DEPROVISIONED"]
        assert listed[0] == call(sb, "GET", f"/api/v1/users/{listed[0]['id']}").body | {"_links": listed[0]["_links"]}
        assert call(sb, "POST", f"/api/v1/users/{uid}/lifecycle/suspend").status == 200
        assert call(sb, "GET", f"/api/v1/users/{uid}").body["status"] == "SUSPENDED"
        assert store.user_status(uid) == "SUSPENDED"


def _pages(sb: Sandbox, path: str) -> Iterator[list[dict]]:
    url: str | None = path
    while url:
        reply = call(sb, "GET", url)
        assert reply.status == 200, reply.body
        yield reply.body
        url = reply.next_url()


def test_wire_headers_on_every_response(sb: Sandbox) -> None:
    for reply in (call(sb, "GET", "/api/v1/users"), call(sb, "GET", "/api/v1/users/nobody"),
                  call(sb, "GET", "/api/v1/users", auth=None)):
        assert len(reply.headers["x-okta-request-id"]) >= 20
        assert reply.headers["Date"].endswith("GMT") and "2022" in reply.headers["Date"]
        for name in ("X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"):
            assert int(reply.headers[name]) >= 0
        assert reply.headers["Content-Type"].startswith("application/json")


def test_full_user_links_follow_the_status() -> None:
    data = small_tenant()
    bob = data["users"][1]
    bob["_links"] = {name: {"href": f"https://acme.okta.com/api/v1/users/{BOB}/lifecycle/x", "method": "POST"}
                     for name in ("suspend", "resetPassword", "expirePassword", "deactivate")}
    bob["_links"]["self"] = {"href": f"https://acme.okta.com/api/v1/users/{BOB}"}
    with Sandbox(data, clock=CLOCK) as sb:
        call(sb, "POST", f"/api/v1/users/{BOB}/lifecycle/suspend")
        links = call(sb, "GET", f"/api/v1/users/{BOB}").body["_links"]
        assert set(links) == {"self", "unsuspend", "deactivate"}
        assert links["unsuspend"]["href"] == f"{sb.org_url}/api/v1/users/{BOB}/lifecycle/unsuspend"
        call(sb, "POST", f"/api/v1/users/{BOB}/lifecycle/unsuspend")
        links = call(sb, "GET", f"/api/v1/users/{BOB}").body["_links"]
        assert links["suspend"]["href"].endswith("/lifecycle/suspend")
        assert links["expirePassword"]["href"].endswith("/lifecycle/expire_password")
        assert links["changePassword"]["href"].endswith("/credentials/change_password")
        assert call(sb, "GET", f"/api/v1/users/{CAROL}").body["_links"] == {
            "self": {"href": f"{sb.org_url}/api/v1/users/{CAROL}"}}  # list-shaped objects keep only self
        call(sb, "POST", f"/api/v1/users/{CAROL}/lifecycle/suspend")
        assert set(call(sb, "GET", f"/api/v1/users/{CAROL}").body["_links"]) == {"self"}


def test_login_and_id_lookups_through_search_and_filter(sb: Sandbox) -> None:
    either = 'profile.login eq "carol@acme.com" or id eq "' + BOB + '"'
    assert ids(call(sb, "GET", "/api/v1/users?search=" + quote(either))) == sorted([BOB, CAROL])
    assert ids(call(sb, "GET", "/api/v1/users?filter=" + quote(either))) == sorted([BOB, CAROL])
    both = 'profile.login eq "dave@acme.com" and status eq "ACTIVE"'
    assert ids(call(sb, "GET", "/api/v1/users?search=" + quote(both))) == []
    assert ids(call(sb, "GET", "/api/v1/users?search=" + quote('id eq "00unobody"'))) == []
    mixed = 'profile.login eq "nobody@acme.com" or profile.lastName eq "grohl"'
    assert ids(call(sb, "GET", "/api/v1/users?search=" + quote(mixed))) == [DAVE]


def test_deactivate_from_any_status_but_deprovisioned_then_activate(sb: Sandbox) -> None:
    """Spec deactivateUser: "only on users that do not have a DEPROVISIONED status"; activateUser: "only on
    users with a STAGED or DEPROVISIONED status". The okta-sdk-python cassettes deactivate a STAGED and a
    SUSPENDED user (test_users_it/test_activate_user.yaml, test_suspend_user.yaml) and activate with
    `sendEmail=false`, answered `{"activationUrl", "activationToken"}` (test_activate_user.yaml)."""
    assert call(sb, "POST", f"/api/v1/users/{DAVE}/lifecycle/deactivate").status == 200  # from SUSPENDED
    assert call(sb, "GET", f"/api/v1/users/{DAVE}").body["status"] == "DEPROVISIONED"
    again = call(sb, "POST", f"/api/v1/users/{DAVE}/lifecycle/deactivate")
    assert (again.status, again.body["errorCode"]) == (403, "E0000038")
    assert call(sb, "POST", f"/api/v1/users/{BOB}/lifecycle/activate").status == 403  # ACTIVE: not allowed
    link = call(sb, "POST", f"/api/v1/users/{DAVE}/lifecycle/activate?sendEmail=false")
    assert link.status == 200 and set(link.body) == {"activationUrl", "activationToken"}
    assert link.body["activationUrl"].startswith(sb.org_url + "/welcome/")
    assert call(sb, "GET", f"/api/v1/users/{DAVE}").body["status"] == "ACTIVE"  # it has a password
    assert call(sb, "POST", f"/api/v1/users/{GONE}/lifecycle/activate").body == {}  # sendEmail defaults to true
    events = [e["eventType"] for e in sb.logs[-3:]]
    assert events == ["user.lifecycle.deactivate", "user.lifecycle.activate", "user.lifecycle.activate"]


def test_unlock_only_a_locked_out_user(sb: Sandbox) -> None:
    """The recorded refusal for a user who is not locked out (okta-sdk-python test_unlock_user.yaml):
    403 E0000032 "Unlock is not allowed for this user." with the cause "The user is not locked out."."""
    reply = call(sb, "POST", f"/api/v1/users/{BOB}/lifecycle/unlock")
    assert (reply.status, reply.body["errorCode"], reply.body["errorSummary"]) == (
        403, "E0000032", "Unlock is not allowed for this user.")
    assert reply.body["errorCauses"] == [{"errorSummary": "The user is not locked out."}]


def test_group_membership_put_and_delete_answer_204(sb: Sandbox) -> None:
    """okta-sdk-python test_groups_it/test_group_users_operations.yaml: PUT and DELETE
    /groups/{groupId}/users/{userId} answer 204 with an empty body; the member list follows; each write
    is a group.user_membership.add / remove event (Okta's event-types.json)."""
    from tests.sandbox.fixtures import ADMINS

    def members() -> list[str]:
        return [u["id"] for u in call(sb, "GET", f"/api/v1/groups/{ADMINS}/users").body]

    put = call(sb, "PUT", f"/api/v1/groups/{ADMINS}/users/{BOB}")
    assert (put.status, put.raw) == (204, b"")
    assert BOB in members() and ADMINS in [g["id"] for g in call(sb, "GET", f"/api/v1/users/{BOB}/groups").body]
    delete = call(sb, "DELETE", f"/api/v1/groups/{ADMINS}/users/{BOB}")
    assert (delete.status, delete.raw) == (204, b"")
    assert BOB not in members()
    assert [e["eventType"] for e in sb.logs[-2:]] == ["group.user_membership.add", "group.user_membership.remove"]
    assert call(sb, "PUT", f"/api/v1/groups/{ADMINS}/users/00uNOPEnopeNOPEnope1").status == 404

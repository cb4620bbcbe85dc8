"""The user kinds (user_status, user_sessions, user_passwords, user_factors, admin_roles, group_members):
data-file diffs with the awkward cases, the selector's queries, and plan/apply/plan on the sandbox.

Okta's rules the data files encode are cited in each file's `comment` and in the kinds' docstrings
(spec: `okta-management-openapi-spec/dist/current/management-minimal.yaml`, operations suspendUser,
unsuspendUser, activateUser, deactivateUser, unlockUser, listUsers `search`, assignUserToGroup).
"""

from __future__ import annotations

import pytest

from remediator.kinds.selector import matches_locally, search_expressions
from tests.kinds import datafiles

KINDS = {"user_status": "okta.user_status", "user_sessions": "okta.user_sessions",
         "user_passwords": "okta.user_passwords", "user_factors": "okta.user_factors",
         "admin_roles": "okta.admin_roles", "group_members": "okta.group_members"}
CASES = [(kind, path) for directory, kind in KINDS.items() for path in datafiles.cases(directory)]


@pytest.mark.parametrize(("kind", "path"), CASES, ids=lambda v: getattr(v, "stem", v))
def test_diff_data_files(kind, path):
    datafiles.run(kind, path)


def test_every_user_kind_has_data_files_with_an_awkward_case():
    for directory in KINDS:
        names = {p.stem for p in datafiles.cases(directory)}
        assert names, directory
    assert "last_super_admin" in {p.stem for p in datafiles.cases("user_status")}
    assert "last_super_admin" in {p.stem for p in datafiles.cases("admin_roles")}


def test_search_expression_combines_keys_with_and():
    sel = {"logins": ['a"b@acme.com', "c@acme.com"], "status": ["ACTIVE", "LOCKED_OUT"],
           "created_after": "2022-01-21", "search": 'profile.department eq "IT"'}
    (query,) = search_expressions(sel)
    assert query == ('(profile.login eq "a\\"b@acme.com" or profile.login eq "c@acme.com") and '
                     '(status eq "ACTIVE" or status eq "LOCKED_OUT") and created ge "2022-01-21T00:00:00.000Z" '
                     'and (profile.department eq "IT")')
    assert search_expressions({"admins": True}) == []
    assert search_expressions({"admins": True, "status": ["ACTIVE"], "search": "x"}, with_local=False) == ["(x)"]


def test_many_logins_are_split_into_short_queries():
    queries = search_expressions({"logins": [f"u{i}@acme.com" for i in range(60)], "status": ["ACTIVE"]})
    assert len(queries) == 3 and all(q.endswith('and status eq "ACTIVE"') for q in queries)


def test_local_match_is_the_search_semantics_for_the_keys_it_checks():
    user = {"id": "00u1", "status": "ACTIVE", "created": "2022-01-21T00:00:00.000Z", "profile": {"login": "A@acme.com"}}
    assert matches_locally({"logins": ["a@ACME.com"], "status": ["ACTIVE"], "created_after": "2022-01-21"}, user)
    assert not matches_locally({"created_after": "2022-01-21T00:00:00.001Z"}, user)
    assert not matches_locally({"status": ["SUSPENDED"]}, user)


async def test_user_factors_reads_no_factor_of_a_selection_over_max_users():
    """One factors call per user is the only way to read them: above `max_users` none is made."""
    from aiohttp import web

    from remediator.sandbox import Sandbox
    from tests.kinds import live

    paths: list[str] = []

    @web.middleware
    async def record(request, handler):
        paths.append(request.path)
        return await handler(request)

    with Sandbox(scenario="lapsus-2022", users=60, seed=5, middlewares=[record]) as sb:
        args = {"users": {"status": ["ACTIVE"]}, "enrolled_after": "2022-01-21T00:00:00Z", "max_users": 5}
        changes, findings = await live.plan(sb, "okta.user_factors", args)
    assert changes == [] and any("more than max_users=5" in f.title for f in findings)
    assert not [p for p in paths if p.endswith("/factors")]

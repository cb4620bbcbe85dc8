"""The SCIM filter parser behind `filter` and `search`: operators, precedence, arrays, dates, errors."""

from __future__ import annotations

import pytest

from remediator.sandbox.scim import FilterError, compile_filter, parse

USER = {"id": "00u1", "status": "ACTIVE", "lastUpdated": "2022-01-22T10:00:00.000Z", "count": 3, "flag": True,
        "profile": {"login": "Ann@Acme.com", "nickName": None, "tags": ["red", "blue"]},
        "target": [{"id": "a", "type": "User"}, {"id": "b", "type": "Group"}]}


def matches(text: str, *, ignore_case: bool = False) -> bool:
    return compile_filter(parse(text), ignore_case=ignore_case)(USER)


@pytest.mark.parametrize(("text", "expected"), [
    ('status eq "ACTIVE"', True),
    ('STATUS eq "ACTIVE"', False),                        # attribute names are case-sensitive
    ('status EQ "ACTIVE"', True),                         # operators are not
    ('status ne "ACTIVE"', False),
    ('profile.login sw "Ann"', True),
    ('profile.login co "@Acme"', True),
    ('profile.login ew ".com"', True),
    ('lastUpdated gt "2022-01-21T00:00:00Z"', True),     # dates compare as instants, any ISO form
    ('lastUpdated lt "2022-01-22T12:00:00+01:00"', True),
    ('lastUpdated lt "2022-01-22T11:00:00+01:00"', False),
    ('lastUpdated ge "2022-01-22T10:00:00.000Z"', True),
    ('lastUpdated le "2022-01-22T09:59:59.999Z"', False),
    ("count gt 2", True), ("flag eq true", True), ("profile.nickName eq null", True),
    ("profile.nickName pr", False), ("profile.login pr", True), ("profile.missing pr", False),
    ('profile.tags eq "blue"', True),                     # arrays: any element
    ('target.id eq "b"', True), ('target.type eq "Org"', False),
    ('status eq "X" or status eq "ACTIVE" and id eq "00u1"', True),
    ('(status eq "X" or status eq "ACTIVE") and id eq "nope"', False),
    ('not (status eq "X")', True),
    (r'profile.login eq "Ann@Acme.com" and id eq "00u1"', True),
])
def test_matching(text: str, expected: bool) -> None:
    assert matches(text) is expected


def test_ignore_case_is_for_values() -> None:
    assert not matches('profile.login eq "ann@acme.com"')
    assert matches('profile.login eq "ann@acme.com"', ignore_case=True)


@pytest.mark.parametrize("text", ["", "status", 'status eq', 'status xx "A"', '(status eq "A"', 'status eq "A")',
                                  'status eq "A" and', 'eq "A"', 'status eq ACTIVE', '"status" eq "A"'])
def test_malformed_filters_are_errors(text: str) -> None:
    with pytest.raises(FilterError):
        parse(text)

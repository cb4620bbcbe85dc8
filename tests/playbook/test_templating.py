"""The sandboxed native Jinja2 environment and its date filters."""

from __future__ import annotations

import pytest

from remediator.playbook.templating import ENV, RenderError

VARS = {"items": [1, 2], "n": 3, "login": "0123", "flag": "True", "breach": "2022-01-21T00:00:00Z"}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ items }}", [1, 2]),
        ("{{ n + 1 }}", 4),
        ("{{ 5 }}", 5),
        ("{{ [1, 'a'] }}", [1, "a"]),
        ("{{ {'k': n} }}", {"k": 3}),
        ("{{ none }}", None),
        ("{{ n > 2 }}", True),
        ("n={{ n }}", "n=3"),
        ("{{ n }}{{ n }}", "33"),
        # a string value is never re-read as another type (unlike jinja2.nativetypes)
        ("{{ login }}", "0123"),
        ("{{ flag }}", "True"),
        ("{% if n %}{{ items | length }}{% endif %}", 2),
    ],
)
def test_native_types(template, expected):
    assert ENV.render(template, VARS) == expected
    assert type(ENV.render(template, VARS)) is type(expected)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ breach | days_before(7) }}", "2022-01-14T00:00:00.000Z"),
        ("{{ breach | days_after(1.5) }}", "2022-01-22T12:00:00.000Z"),
        ("{{ '2022-01-21' | iso }}", "2022-01-21T00:00:00.000Z"),
        ("{{ '2022-01-21T01:00:00+01:00' | iso }}", "2022-01-21T00:00:00.000Z"),
        ("{{ breach | to_datetime }}", "2022-01-21T00:00:00.000Z"),
        ("{{ breach | days_before(7) | days_before(1) }}", "2022-01-13T00:00:00.000Z"),
        ("{{ breach | to_datetime > ('2022-01-01' | to_datetime) }}", True),
        ("since {{ breach | to_datetime }}", "since 2022-01-21T00:00:00.000Z"),
    ],
)
def test_date_filters(template, expected):
    assert ENV.render(template, VARS) == expected


@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        ("{{ ''.__class__ }}", "refused by the sandbox"),
        ("{{ [''.__class__.__mro__] }}", "refused by the sandbox"),
        ("{{ items.append(3) }}", "refused by the sandbox"),
        ("{{ lipsum.__globals__ }}", "refused by the sandbox"),
        ("{{ '{0.__class__}'.format(1) }}", "refused by the sandbox"),
        ("{{ n | attr('__class__') }}", "refused by the sandbox"),
        ("{{ {}.update(a=1) }}", "refused by the sandbox"),
        ("{{ cycler.__init__.__globals__.os }}", "refused by the sandbox"),
        ("{{ 'a' * 100000000 }}", "refused by the sandbox"),
        ("{{ 2 ** 100000 }}", "refused by the sandbox"),
        ("{{ range(10 ** 9) | list }}", "Range too big"),
        ("{{ missing }}", "'missing' is undefined"),
        ("{{ items.missing }}", "has no attribute 'missing'"),
        ("{{ n +", "unexpected 'end of template'"),
        ("{{ 'bad' | iso }}", "not a date: 'bad'"),
        ("{{ breach | days_before('x') }}", "not a number of days"),
        ("{{ 1 / 0 }}", "division by zero"),
        ("{{ 'x'.upper }}", "not a value"),
    ],
)
def test_template_errors_are_one_line(template, fragment):
    with pytest.raises(RenderError) as caught:
        ENV.render(template, VARS)
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


def test_expressions():
    assert ENV.evaluate("n > 2 and items | length == 2", VARS) is True
    assert ENV.evaluate("missing is defined", VARS) is False
    with pytest.raises(RenderError, match="undefined"):
        ENV.evaluate("missing == 1", VARS)
    with pytest.raises(RenderError, match="sandbox"):
        ENV.evaluate("''.__class__", VARS)


def test_names_read_by_a_template():
    assert ENV.names_in("{{ a | days_before(b) }}{% for x in c %}{{ x }}{% endfor %}") == {"a", "b", "c"}
    assert ENV.names_in("{{ broken") == set()

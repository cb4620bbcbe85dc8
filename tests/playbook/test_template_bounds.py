"""Templates do bounded work (issue 9 point 10): `'%999999999d' % 1` used to take 5 GB.

Each bomb is refused in one line, quickly, before it allocates; ordinary templates still render.
"""

from __future__ import annotations

import resource
import time

import pytest

from remediator.playbook.templating import ENV, RenderError

BOMBS = {
    "printf width": "{{ '%999999999d' % 1 }}",
    "printf precision": "{{ '%.999999999f' % 1.5 }}",
    "printf star width": "{{ '%*d' % (999999999, 1) }}",
    "printf mapping repeated": "{{ ('%(a)s' * 3000) % {'a': 'x' * 900000} }}",
    "format filter width": "{{ '%999999999s' | format('x') }}",
    "str.format width": "{{ '{:>999999999}'.format(1) }}",
    "str.format nested width": "{{ '{:>{w}}'.format(1, w=999999999) }}",
    "str.format repeated field": "{{ ('{0}' * 3000).format('x' * 900000) }}",
    "center filter": "{{ 'x' | center(999999999) }}",
    "str.center": "{{ 'x'.center(999999999) }}",
    "str.zfill": "{{ '1'.zfill(999999999) }}",
    "str.ljust": "{{ 'x'.ljust(999999999) }}",
    "str.expandtabs": "{{ ('\t' * 1000).expandtabs(999999) }}",
    "str.replace growth": "{{ ('a' * 1000000).replace('a', 'aaaaaaaaaa') }}",
    "replace filter growth": "{{ ('a' * 1000000) | replace('a', 'aaaaaaaaaa') }}",
    "join of repeated refs": "{{ ([('x' * 1000000)] * 1000) | join }}",
    "str.join of repeated refs": "{{ ''.join([('x' * 1000000)] * 1000) }}",
    "indent": "{{ ('x\n' * 100000) | indent(100000) }}",
    "plus doubling": "{% set ns = namespace(s='x' * 1000) %}{% for i in range(40) %}"
                     "{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s | length }}",
    "tilde doubling": "{% set ns = namespace(s='x' * 1000) %}{% for i in range(40) %}"
                      "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
    "nested loops": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "output growth": "{% for i in range(10000) %}{{ 'x' * 1000 }}{% endfor %}",
    "exponential macro": "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}",
    "recursive macro": "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "big power": "{{ (10 ** 1000) ** 1000 }}",
    "lipsum": "{{ lipsum(999999) }}",
    "batch fill": "{{ [1] | batch(999999999, 0) | list }}",
    "slice": "{{ [1] | slice(999999999) | list }}",
    "tojson indent": "{{ [1, 2] | tojson(indent=999999999) }}",
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_a_template_bomb_is_refused_quickly_in_one_line(name: str) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.process_time()
    with pytest.raises(RenderError) as caught:
        ENV.render(BOMBS[name], {})
    assert time.process_time() - started < 5
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 300
    message = str(caught.value)
    assert "\n" not in message and len(message) < 300


def test_expressions_are_bounded_too() -> None:
    with pytest.raises(RenderError, match="refused by the sandbox"):
        ENV.evaluate("'%999999999d' % 1", {})


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ '%5d|%-3s|%.2f' % (42, 'a', 1.234) }}", "   42|a  |1.23"),
        ("{{ '{:>6}|{:.1f}'.format('ab', 2.25) }}", "    ab|2.2"),
        ("{{ 'x' | center(5) }}", "  x  "),
        ("{{ ['a', 'b'] | join(', ') }}", "a, b"),
        ("{% for i in range(3) %}{{ i }}{% endfor %}", "012"),
        ("{{ 'a' ~ 'b' ~ 1 }}", "ab1"),
        ("{{ [1] + [2] }}", [1, 2]),
        ("{{ 'ab' + 'c' }}", "abc"),
        ("{{ 7 % 3 }}", 1),
        ("{{ 2 ** 10 }}", 1024),
        ("{{ ('a' * 1000) | length }}", 1000),
        ("{{ 'a-b'.replace('-', '+') }}", "a+b"),
        ("{{ '100%%' % () }}", "100%"),
    ],
)
def test_ordinary_templates_still_render(template: str, expected: object) -> None:
    assert ENV.render(template, {}) == expected

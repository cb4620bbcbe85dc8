"""The Sigma subset: fields, values, modifiers, wildcards, conditions, and the reasons a rule is skipped."""

from __future__ import annotations

import random
from typing import Any

import pytest
import yaml

from remediator.hunt.rules import load_file
from remediator.hunt.sigma import Unsupported, compile_rule, resolve

EVENT: dict[str, Any] = {
    "eventType": "user.session.impersonation.grant",
    "actor": {"id": "00u1", "alternateId": "System@Okta.com"},
    "target": [{"id": "00u2", "displayName": "Alice"}, {"id": "0oa9", "displayName": "Okta Admin Console"}],
    "securityContext": {"isProxy": True},
    "outcome": {"reason": None},
    "client": {"ipAddress": "10.1.2.3"},
    "debugContext": {"debugData": {"requestUri": "/api/v1/users/00u2/lifecycle/reset_password"}},
}


def rule(detection: dict[str, Any], **extra: Any) -> Any:
    return compile_rule({"title": "t", "id": "i", "logsource": {"product": "okta"}, "detection": detection,
                         **extra}, "test.yml")


def hits(detection: dict[str, Any], event: dict[str, Any] = EVENT, admins: frozenset[str] = frozenset()) -> bool:
    return rule(detection).match(event, {"admin": admins})


@pytest.mark.parametrize(("selection", "expected"), [
    ({"eventtype": "USER.SESSION.IMPERSONATION.GRANT"}, True),            # field and value case-insensitive
    ({"eventType": ["a.b", "user.session.impersonation.grant"]}, True),   # list: OR
    ({"eventType": "user.session.impersonation.*"}, True),                # wildcard
    ({"eventType": "user.session.?mpersonation.grant"}, True),
    ({"eventType": "user.session.*.end"}, False),
    ({"target.displayName": "okta admin console"}, True),                 # any element of a list
    ({"target.displayName|contains|all": ["okta", "console"]}, True),
    ({"target.displayName|contains|all": ["okta", "alice"]}, True),       # each value in some element (as SIEMs do)
    ({"target.displayName|contains|all": ["okta", "bob"]}, False),
    ({"actor.alternateId|endswith": "@okta.com"}, True),
    ({"actor.alternateId|startswith": "system@"}, True),
    ({"actor.alternateId|cased": "system@okta.com"}, False),
    ({"actor.alternateId|re": "^System@"}, True),
    ({"actor.alternateId|re": "^system@"}, False),
    ({"actor.alternateId|re|i": "^system@"}, True),
    ({"securityContext.isProxy": "true"}, True),                          # booleans compare as JSON text
    ({"outcome.reason": None}, True),                                     # null: absent or null
    ({"outcome.missing|exists": False}, True),
    ({"target.id|fieldref": "actor.id"}, False),
    ({"debugContext.debugData.requestUri|contains": "/LIFECYCLE/"}, True),
    ({"eventType": "literal\\*star"}, False),                             # escaped wildcard is literal
    ({"client.ipAddress|cidr": "10.0.0.0/8"}, True),
    ({"client.ipAddress|cidr": ["192.168.0.0/16", "172.16.0.0/12"]}, False),
    ({"actor.alternateId|cidr": "10.0.0.0/8"}, False),                    # not an address: no match, no error
    ({"actor.alternateId|contains|all": ["system", "okta"]}, True),
    ({"actor.alternateId|contains|all": ["system", "acme"]}, False),
    ({"actor.alternateId|startswith|cased": "System"}, True),
])
def test_field_matching(selection: dict[str, Any], expected: bool) -> None:
    assert hits({"sel": selection, "condition": "sel"}) is expected


def test_admin_extension_uses_the_given_admin_set() -> None:
    det = {"sel": {"target.id|admin": True}, "condition": "sel"}
    assert rule(det).uses_admins and rule(det).requires == ((("set", frozenset({"admin"})),),)
    assert hits(det, admins=frozenset({"00u2"})) is True
    assert hits(det, admins=frozenset({"00u7"})) is False
    new = rule({"sel": {"actor.id|new_admin": "true"}, "condition": "sel"})
    assert new.match(EVENT, {"admin": frozenset({"00u1"}), "new_admin": frozenset({"00u1"})}) is True
    assert new.match(EVENT, {"admin": frozenset({"00u1"})}) is False
    assert rule({"sel": {"target.id|admin": False}, "condition": "sel"}).requires == ((),)


@pytest.mark.parametrize(("condition", "expected"), [
    ("a and b", False), ("a or b", True), ("not b", True), ("a and not b", True), ("not (a or b)", False),
    ("1 of x*", True), ("all of x*", False), ("any of x*", True), ("1 of them", True), ("all of them", False),
    ("(a or b) and (x1 and not x2)", True), ("a and b or x1", True), ("not a or b", False),
    ("a and not 1 of x*", False), ("a and not all of x*", True), ("not 1 of b*", True),
])
def test_conditions(condition: str, expected: bool) -> None:
    det = {"a": {"eventType": "user.session.impersonation.grant"}, "b": {"eventType": "nope"},
           "x1": {"actor.id": "00u1"}, "x2": {"actor.id": "00u9"}, "condition": condition}
    assert hits(det) is expected


@pytest.mark.parametrize(("doc", "reason"), [
    ({"detection": {"s": {"f|contains|expand": "%domains%"}, "condition": "s"}}, "placeholder"),
    ({"detection": {"s": {"f": "%domains%"}, "condition": "s"}}, "placeholder"),
    ({"detection": {"s": {"f|base64offset": "x"}, "condition": "s"}}, "modifier '|base64offset'"),
    ({"detection": {"s": ["keyword"], "condition": "s"}}, "keyword"),
    ({"detection": {"s": {"f": "x"}, "condition": "s | count() by actor.id > 5"}}, "aggregation"),
    ({"detection": {"s": {"f": "x"}, "timeframe": "5m", "condition": "s"}}, "timeframe"),
    ({"correlation": {"type": "event_count"}, "detection": None}, "correlation"),
    ({"detection": {"s": {"f": "x"}, "condition": "s and t"}}, "'t' not defined"),
    ({"detection": {"s": {"f": "x"}, "condition": "(s"}}, "condition"),
    ({"logsource": {"product": "windows"}, "detection": {"s": {"f": "x"}, "condition": "s"}}, "not Okta"),
])
def test_unsupported_rules_say_why(doc: dict[str, Any], reason: str) -> None:
    doc = {"title": "t", "logsource": {"product": "okta"}, **doc}
    with pytest.raises(Unsupported, match=reason):
        compile_rule(doc, "x.yml")


def test_a_list_of_conditions_matches_when_any_does() -> None:
    det = {"a": {"eventType": "nope"}, "b": {"actor.id": "00u1"}, "condition": ["a", "b"]}
    assert hits(det) is True
    assert hits({**det, "condition": ["a", "not b"]}) is False


def test_a_file_of_several_rules_loads_each_or_skips_it(tmp_path: Any) -> None:
    docs = [{"title": "ok", "id": "1", "detection": {"s": {"eventType": "a"}, "condition": "s"}},
            {"title": "bad", "id": "2", "detection": {"s": {"eventType|foo": "a"}, "condition": "s"}}]
    f = tmp_path / "r.yml"
    f.write_text(yaml.safe_dump_all(docs))
    loaded = load_file(f)
    rules, skipped = loaded.rules, loaded.skipped
    assert [r.title for r in rules] == ["ok"] and [(s.title, "foo" in s.reason) for s in skipped] == [("bad", True)]


def test_requirements_let_the_engine_skip_lines() -> None:
    def req(det: dict[str, Any]) -> Any:
        return rule(det).requires

    # one alternative per branch of an `or`, each a conjunction of clauses
    assert req({"s": {"eventType": ["A.b", "c.d"]}, "condition": "s"}) == (
        (("types", frozenset({"a.b"})),), (("types", frozenset({"c.d"})),))
    # a field's exact value or prefix is looked for right after its key; other wildcards as a substring
    assert req({"s": {"actor.alternateId": "X@Y"}, "condition": "s"}) == ((("is:alternateid", frozenset({"x@y"})),),)
    assert req({"s": {"x.uri|startswith": "/API/"}, "condition": "s"}) == ((("starts:uri", frozenset({"/api/"})),),)
    assert req({"s": {"x.uri|endswith": "/API/"}, "condition": "s"}) == ((("needles", frozenset({"/api/"})),),)
    assert req({"s": {"isProxy": True, "n": 7018}, "condition": "s"}) == (
        (("is:isproxy", frozenset({"true"})), ("is:n", frozenset({"7018"}))),)
    assert req({"s": {"eventType|startswith": "user.session."}, "condition": "s"}) == (
        (("starts:eventtype", frozenset({"user.session."})),),)
    assert req({"s": {"x": 'a"b'}, "condition": "s"}) == ((),)  # JSON escapes the quote: nothing to look for
    assert req({"s": {"eventType": "a", "x|contains": "Q"}, "condition": "s"}) == (
        (("types", frozenset({"a"})), ("needles", frozenset({"q"}))),)
    assert req({"s": {"eventType": "a"}, "f": {"x": "y"}, "condition": "s and not f"}) == (
        (("types", frozenset({"a"})),),)
    assert req({"s": {"eventType": "a"}, "f": {"x": "y"}, "condition": "s or not f"}) == ((),)
    assert req({"s": {"eventType": "a"}, "f": {"x": "y"}, "condition": "s or f"}) == (
        (("types", frozenset({"a"})),), (("is:x", frozenset({"y"})),))
    assert req({"s": {"eventType": "a"}, "f": {"eventType": ["b", "c"], "x": "y"}, "condition": "s or f"}) == (
        (("types", frozenset({"a"})),), (("types", frozenset({"b"})), ("is:x", frozenset({"y"}))),
        (("types", frozenset({"c"})), ("is:x", frozenset({"y"}))))
    assert req({"s": {"x|re": "a.b"}, "condition": "s"}) == ((),)
    assert req({"s": {"x|contains|all": ["ab", "cd"]}, "condition": "s"}) == (
        (("needles", frozenset({"ab"})), ("needles", frozenset({"cd"}))),)
    many = {"s": {"a": [str(i) * 3 for i in range(10)], "b": [f"b{i}" for i in range(10)]}, "condition": "s"}
    # 100 alternatives collapse into one implied requirement; numbers never stand as substrings (1E3 is 1000.0)
    assert req(many) == ((("needles", frozenset(f"b{i}" for i in range(10))),),)


def test_resolve_is_the_walk_through_lists_and_any_case() -> None:
    """`resolve` takes a shortcut for exact keys of nested dicts: on random nested data (lists on the way and at
    the end, nulls, keys in another case, an exact key next to one in another case) it gives what the
    straightforward walk gives."""
    def get(obj: dict[str, Any], key: str) -> Any:
        if key in obj:
            return obj[key]
        return next((v for k, v in obj.items() if k.lower() == key.lower()), None)

    def walk(event: dict[str, Any], path: tuple[str, ...]) -> list[Any]:
        current: list[Any] = [event]
        for key in path:
            objs = [o for c in current for o in (c if isinstance(c, list) else [c]) if isinstance(o, dict)]
            current = [v for v in (get(o, key) for o in objs) if v is not None]
        return [x for v in current for x in (v if isinstance(v, list) else [v]) if x is not None]

    rnd = random.Random(5)

    def data(depth: int) -> Any:
        pick = rnd.random()
        if depth > 3 or pick < 0.3:
            return rnd.choice([None, 1, "x", True, 2.5, [], [None, "y"], [1, [2]]])
        if pick < 0.5:
            return [data(depth + 1) for _ in range(rnd.randint(0, 3))]
        return {rnd.choice("aAbBc"): data(depth + 1) for _ in range(rnd.randint(0, 4))}

    tried = 0
    while tried < 20_000:
        event = data(0)
        if isinstance(event, dict):
            path = tuple(rnd.choice("abAc") for _ in range(rnd.randint(1, 3)))
            assert resolve(event, path) == walk(event, path), (event, path)
            tried += 1

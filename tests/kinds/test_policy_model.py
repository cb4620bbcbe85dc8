"""The attributes `set` may name on policies and rules are Okta's: checked against its OpenAPI spec.

Every attribute of kinds/policy_model.py must be a property of the spec's schema for that type
(../shared/okta-reference/okta-management-openapi-spec, `OktaSignOnPolicyRule`, `AccessPolicyRule`, ...),
and a closed node (neither OPEN nor a value) must name every writable property the spec has there, so
that `validate` never refuses a real attribute.
"""

from __future__ import annotations

from typing import Any

import pytest

from remediator.kinds.policy_model import ITEMS, LEAF, OPEN, POLICIES, READ_ONLY_KEYS, RULES, problem, rule_tree
from tests.sandbox import okta_reference

SPEC_NAMES = {("policy", "OKTA_SIGN_ON"): "OktaSignOnPolicy", ("policy", "MFA_ENROLL"): "AuthenticatorEnrollmentPolicy",
              ("policy", "PASSWORD"): "PasswordPolicy", ("policy", "ACCESS_POLICY"): "AccessPolicy",
              ("rule", "SIGN_ON"): "OktaSignOnPolicyRule", ("rule", "ACCESS_POLICY"): "AccessPolicyRule",
              ("rule", "PASSWORD"): "PasswordPolicyRule", ("rule", "MFA_ENROLL"): "AuthenticatorEnrollmentPolicyRule"}
#: Read-only, though the spec does not mark them so: a policy or rule never changes type (the spec's
#: discriminator), and `system` is what Okta says of its own default objects.
NOT_MARKED = {"type", "system"}


def _schemas() -> dict[str, Any]:
    return okta_reference.spec()["components"]["schemas"]


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = _schemas()[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _properties(schema: dict[str, Any], seen: frozenset[str] = frozenset()) -> dict[str, dict[str, Any]]:
    """Properties of a schema, through allOf, oneOf/anyOf and a discriminator's mapping (each schema once)."""
    name = schema.get("$ref", "")
    if name in seen:
        return {}
    seen = seen | {name}
    schema = _resolve(schema)
    out: dict[str, dict[str, Any]] = {}
    for part in [*schema.get("allOf", []), *schema.get("oneOf", []), *schema.get("anyOf", [])]:
        out.update(_properties(part, seen))
    if not name.endswith(("/Policy", "/PolicyRule")):  # their mappings are every type: not one type's attributes
        for ref in (schema.get("discriminator") or {}).get("mapping", {}).values():
            out.update(_properties({"$ref": ref}, seen))
    out.update(schema.get("properties") or {})
    return out


def _writable(prop: dict[str, Any]) -> bool:
    return not (prop.get("readOnly") or _resolve(prop).get("readOnly"))


def _walk(tree: Any, schema: dict[str, Any], where: str, problems: list[str]) -> None:
    if tree is OPEN or tree is LEAF:
        return
    resolved = _resolve(schema)
    if resolved.get("type") == "array" or ITEMS in tree:
        assert ITEMS in tree and resolved.get("type") == "array", f"{where}: list in one, not the other"
        _walk(tree[ITEMS], resolved.get("items") or {}, f"{where}[]", problems)
        return
    props = _properties(schema)
    for key, sub in tree.items():
        if key not in props:
            problems.append(f"{where}.{key}: not in the spec")
        else:
            _walk(sub, props[key], f"{where}.{key}", problems)
    missing = [k for k, p in props.items() if k not in tree and k not in READ_ONLY_KEYS and _writable(p)]
    if missing:
        problems.append(f"{where}: the spec also has {sorted(missing)}")


@pytest.mark.parametrize(("what", "type_"), sorted(SPEC_NAMES))
def test_the_model_names_what_the_spec_has(what: str, type_: str) -> None:
    tree = (POLICIES if what == "policy" else RULES)[type_]
    schema = {"$ref": f"#/components/schemas/{SPEC_NAMES[(what, type_)]}"}
    problems: list[str] = []
    _walk(tree, schema, SPEC_NAMES[(what, type_)], problems)
    assert not problems, "\n".join(problems)


def test_read_only_keys_are_read_only_in_the_spec() -> None:
    props = _properties({"$ref": "#/components/schemas/PolicyRule"}) | _properties(
        {"$ref": "#/components/schemas/Policy"})
    for key in READ_ONLY_KEYS - NOT_MARKED:
        assert not _writable(props[key]), key


@pytest.mark.parametrize(("path", "expected"), [
    ("actions.signon.requireFactor", None),
    ("actions.signon.requireFactr", "unknown attribute 'requireFactr' in 'actions.signon' (did you mean "
                                    "'requireFactor'?)"),
    ("actions.signon.session.maxSessionIdleMinutes", None),
    ("id", "'id' is read-only"),
    ("_links.self.href", "'_links' is read-only"),
    ("actions.signon.access.deeper", "'actions.signon.access' is a value: nothing is below it"),
    ("actions[key=x].signon", "'actions' is not a list: no [key=x] in it"),
    ("actions.signon.", "'actions.signon.' ends with '.'"),
    ("conditions.people.groups.include", None),
])
def test_paths_on_a_global_session_rule(path: str, expected: str | None) -> None:
    assert problem(rule_tree("OKTA_SIGN_ON"), path) == expected

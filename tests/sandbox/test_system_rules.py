"""System rules as Okta keeps them.

- A real Catch-all Rule of an app sign-in policy is `system: true` with `conditions: null`
  (../shared/okta-reference/terraform-provider-okta/test/fixtures/vcr/idaas/
  TestAccResourceOktaAppSignOnPolicyRule_AUTH_METHOD_CHAIN/classic-00.yaml), and its conditions cannot be
  managed (terraform-provider-okta docs, okta_app_signon_policy_rule: a "Catch-all Rule" ... "these fields are
  immutable"). Okta's refusal says "Cannot modify the {0} attribute because it is read-only." (error-codes.json,
  "Read only attribute exception"), under the policy API's E0000001 validation error.
- The spec's `Policy` tag, "Default rules": "The property `usePersistentCookie` of the default global session
  policy's default rule, which is read-only."
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from remediator.sandbox import Sandbox
from tests.sandbox import okta_reference
from tests.sandbox.fixtures import call

CATCH_ALL_RECORDING = (okta_reference.TF_CASSETTES / "test" / "fixtures" / "vcr" / "idaas"
                       / "TestAccResourceOktaAppSignOnPolicyRule_AUTH_METHOD_CHAIN" / "classic-00.yaml")


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(scenario="lapsus-2022", users=60) as sandbox:
        yield sandbox


def _rules(sb: Sandbox, policy_type: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    out = []
    for policy in call(sb, "GET", f"/api/v1/policies?type={policy_type}").body:
        out += [(policy, rule) for rule in call(sb, "GET", f"/api/v1/policies/{policy['id']}/rules").body]
    return out


def _put(sb: Sandbox, policy: dict[str, Any], rule: dict[str, Any]) -> Any:
    body = {k: v for k, v in rule.items() if k != "_links"}
    return call(sb, "PUT", f"/api/v1/policies/{policy['id']}/rules/{rule['id']}", body=body)


def test_catch_all_rules_have_null_conditions_as_recorded(sb: Sandbox) -> None:
    okta_reference.require(CATCH_ALL_RECORDING)
    real = [r.body for r in okta_reference.recordings() if r.source.endswith(
        "TestAccResourceOktaAppSignOnPolicyRule_AUTH_METHOD_CHAIN/classic-00.yaml") and isinstance(r.body, list)]
    recorded = [rule for body in real for rule in body
                if isinstance(rule, dict) and rule.get("name") == "Catch-all Rule"]
    assert recorded and all(r["system"] is True and r["conditions"] is None for r in recorded)
    ours = [rule for _, rule in _rules(sb, "ACCESS_POLICY") if rule["name"] == "Catch-all Rule"]
    assert ours and all(r["system"] is True and r["conditions"] is None for r in ours)


def test_a_catch_all_rule_s_conditions_cannot_be_modified(sb: Sandbox) -> None:
    policy, rule = next((p, r) for p, r in _rules(sb, "ACCESS_POLICY") if r.get("system"))
    changed = copy.deepcopy(rule)
    changed["conditions"] = {"network": {"connection": "ANYWHERE"}}
    reply = _put(sb, policy, changed)
    assert reply.status == 400 and reply.body["errorCode"] == "E0000001"
    assert reply.body["errorCauses"] == [{"errorSummary": "Cannot modify the conditions attribute because it is "
                                                          "read-only."}]
    same = copy.deepcopy(rule)
    same["actions"]["appSignOn"]["verificationMethod"]["factorMode"] = "2FA"
    same["actions"]["appSignOn"]["verificationMethod"].pop("constraints", None)
    assert _put(sb, policy, same).status == 200  # its other attributes can be managed


def test_use_persistent_cookie_of_the_default_global_session_rule_is_read_only(sb: Sandbox) -> None:
    policy, rule = next((p, r) for p, r in _rules(sb, "OKTA_SIGN_ON") if p.get("system") and r.get("system"))
    changed = copy.deepcopy(rule)
    changed["actions"]["signon"]["session"]["usePersistentCookie"] = True
    reply = _put(sb, policy, changed)
    assert reply.status == 400 and reply.body["errorCauses"] == [
        {"errorSummary": "Cannot modify the usePersistentCookie attribute because it is read-only."}]
    changed["actions"]["signon"]["session"]["usePersistentCookie"] = False
    changed["actions"]["signon"]["requireFactor"] = True
    assert _put(sb, policy, changed).status == 200


def test_a_rule_that_is_not_a_system_rule_keeps_its_conditions_editable(sb: Sandbox) -> None:
    policy, rule = next((p, r) for p, r in _rules(sb, "ACCESS_POLICY") if not r.get("system"))
    changed = copy.deepcopy(rule)
    changed["conditions"] = {"network": {"connection": "ANYWHERE"}}
    assert _put(sb, policy, changed).status == 200

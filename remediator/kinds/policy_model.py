"""What a playbook may set on Okta's policies and rules: the attribute tree of each type, and what is read-only.

`okta.policy` and `okta.policy_rule` take `set: {path: value}`; `validate` checks every path here, so a
typo (`actions.signon.requireFactr`) or a read-only attribute is refused before any tenant is touched.
The trees follow the schemas of Okta's OpenAPI spec (`OktaSignOnPolicyRule`, `AccessPolicyRule`,
`PasswordPolicy`, `AuthenticatorEnrollmentPolicy`, ...): `tests/kinds/test_policy_model.py` checks every
attribute named here against the spec, and that a closed node names all the spec has. `OPEN` marks a
subtree whose shape depends on values (device conditions, method chains): any path below it is accepted.

Read-only, from the spec: `id`, `created`, `lastUpdated`, `_links` and `_embedded` (`readOnly: true`),
`type` (a policy or rule never changes type) and `system`; whole policy types marked "(Read-only)"
(`IDP_DISCOVERY`, `ENTITY_RISK`, ...); the default rule of the default authenticator enrollment policy;
`usePersistentCookie` on the default rule of the default global session policy (the `Policy` tag's
"Default rules" section). And a system rule's `conditions`: it is the rule that catches everyone the
other rules leave; narrowing it would leave those users with no rule at all.
"""

from __future__ import annotations

import difflib
from typing import Any

from remediator.kinds.paths import parse

LEAF: Any = True  # a value (scalar or list): nothing below it
OPEN: Any = ...  # any path below is accepted
ITEMS = "[]"  # the items of a list, reached with a `[key=value]` selector

POLICY_TYPES = ("OKTA_SIGN_ON", "PASSWORD", "MFA_ENROLL", "ACCESS_POLICY", "PROFILE_ENROLLMENT", "POST_AUTH_SESSION",
                "ENTITY_RISK", "SESSION_VIOLATION_DETECTION", "DEVICE_SIGNAL_COLLECTION", "IDP_DISCOVERY",
                "CLIENT_UPDATE", "IDENTITY_CLAIM_SOURCING")
#: The spec's policy type list marks these "(Read-only)".
READ_ONLY_TYPES = frozenset({"IDP_DISCOVERY", "ENTITY_RISK", "POST_AUTH_SESSION", "SESSION_VIOLATION_DETECTION",
                             "CLIENT_UPDATE", "IDENTITY_CLAIM_SOURCING"})
READ_ONLY_KEYS = frozenset({"id", "created", "lastUpdated", "_links", "_embedded", "type", "system"})
#: The names Okta gives the default (system) rules: "Default Rule", and "Catch-all Rule" in app sign-in policies.
SYSTEM_RULE_NAMES = frozenset({"Default Rule", "Catch-all Rule"})
PERSISTENT_COOKIE = "actions.signon.session.usePersistentCookie"
#: Per policy type, the objects only some editions have, and the feature's name. A policy read without the
#: object (the spec leaves it optional) belongs to an org without the feature: setting below it is a finding,
#: never a write. Recordings of orgs with it: terraform-provider-okta TestAccResourceOktaPolicyPassword_crud.
EDITION_FEATURES: dict[str, dict[str, str]] = {
    "PASSWORD": {"settings.password.breachedProtection": "breached-password protection"},
}

_GROUPS = {"include": LEAF, "exclude": LEAF}
PEOPLE = {"groups": _GROUPS, "users": {"include": LEAF, "exclude": LEAF}}
NETWORK = {"connection": LEAF, "include": LEAF, "exclude": LEAF}
_POLICY = {"name": LEAF, "description": LEAF, "priority": LEAF, "status": LEAF}
_RULE = {"name": LEAF, "priority": LEAF, "status": LEAF}

POLICIES: dict[str, dict[str, Any]] = {
    "OKTA_SIGN_ON": {**_POLICY, "conditions": {"people": {"groups": {"include": LEAF}}}},
    "MFA_ENROLL": {**_POLICY, "conditions": {"people": {"groups": {"include": LEAF}}},
                   "settings": {"type": LEAF, "authenticators": {ITEMS: {
                       "key": LEAF, "enroll": {"self": LEAF, "autoEnroll": LEAF, "gracePeriod": OPEN},
                       "constraints": OPEN}}}},
    "PASSWORD": {**_POLICY,
                 "conditions": {"authProvider": {"include": LEAF, "provider": LEAF},
                                "people": {"groups": {"include": LEAF}}},
                 "settings": {
                     "delegation": {"options": {"skipUnlock": LEAF}},
                     "password": {
                         "age": {"expireWarnDays": LEAF, "historyCount": LEAF, "maxAgeDays": LEAF,
                                 "minAgeMinutes": LEAF},
                         "complexity": {"dictionary": OPEN, "excludeAttributes": LEAF, "excludeUsername": LEAF,
                                        "maxConsecutiveCharacters": LEAF, "minLength": LEAF, "minLowerCase": LEAF,
                                        "minNumber": LEAF, "minSymbol": LEAF, "minUpperCase": LEAF,
                                        "oelStatement": LEAF},
                         "lockout": {"autoUnlockMinutes": LEAF, "maxAttempts": LEAF, "showLockoutFailures": LEAF,
                                     "userLockoutNotificationChannels": LEAF},
                         "breachedProtection": {"delegatedWorkflowId": LEAF, "expireAfterDays": LEAF,
                                                "logoutEnabled": LEAF}},
                     "recovery": {"factors": OPEN}}},
    "ACCESS_POLICY": {**_POLICY, "conditions": OPEN},
}
#: Any other policy type: its common attributes, and conditions and settings as its admin wrote them.
OTHER_POLICY = {**_POLICY, "conditions": OPEN, "settings": OPEN}

RULES: dict[str, dict[str, Any]] = {
    "SIGN_ON": {**_RULE,
                "conditions": {"authContext": {"authType": LEAF},
                               "identityProvider": {"idpIds": LEAF, "provider": LEAF},
                               "network": NETWORK, "people": PEOPLE},
                "actions": {"signon": {"access": LEAF, "factorLifetime": LEAF, "factorPromptMode": LEAF,
                                       "primaryFactor": LEAF, "rememberDeviceByDefault": LEAF, "requireFactor": LEAF,
                                       "session": {"maxSessionIdleMinutes": LEAF, "maxSessionLifetimeMinutes": LEAF,
                                                   "usePersistentCookie": LEAF}}}},
    "ACCESS_POLICY": {**_RULE,
                      "conditions": {"device": OPEN, "elCondition": OPEN, "network": NETWORK, "people": PEOPLE,
                                     "platform": OPEN, "riskScore": OPEN, "userType": OPEN},
                      "actions": {"appSignOn": {
                          "access": LEAF, "keepMeSignedIn": OPEN,
                          "verificationMethod": {"type": LEAF, "factorMode": LEAF, "constraints": OPEN,
                                                 "inactivityPeriod": LEAF, "reauthenticateIn": LEAF, "chains": OPEN,
                                                 "id": LEAF}}}},
    "PASSWORD": {**_RULE, "conditions": {"network": NETWORK, "people": PEOPLE},
                 "actions": {"passwordChange": {"access": LEAF},
                             "selfServicePasswordReset": {"access": LEAF, "type": LEAF, "requirement": OPEN,
                                                          "settings": OPEN},
                             "selfServiceUnlock": {"access": LEAF}}},
    "MFA_ENROLL": {**_RULE, "conditions": {"app": OPEN, "network": NETWORK, "people": {"users": {"exclude": LEAF}}},
                   "actions": {"enroll": {"self": LEAF}}},
}
OTHER_RULE = {**_RULE, "conditions": OPEN, "actions": OPEN}
#: The type of a policy's rules, where it differs from the policy's (spec: PolicyRule's discriminator).
RULE_TYPE = {"OKTA_SIGN_ON": "SIGN_ON"}


def policy_tree(policy_type: str) -> dict[str, Any]:
    return POLICIES.get(policy_type, OTHER_POLICY)


def rule_tree(policy_type: str) -> dict[str, Any]:
    return RULES.get(RULE_TYPE.get(policy_type, policy_type), OTHER_RULE)


def problem(tree: dict[str, Any], path: str) -> str | None:
    """Why `path` cannot be set on an object shaped by `tree` (unknown, read-only, malformed), or None."""
    try:
        tokens = parse(path)
    except ValueError as exc:
        return str(exc)
    if isinstance(tokens[0], str) and tokens[0] in READ_ONLY_KEYS:
        return f"{tokens[0]!r} is read-only"
    node: Any = tree
    done: list[str] = []
    for token in tokens:
        if node is OPEN:
            return None
        if node is LEAF:
            return f"{'.'.join(done)!r} is a value: nothing is below it"
        if isinstance(token, tuple):
            if ITEMS not in node:
                return f"{'.'.join(done)!r} is not a list: no [{token[0]}={token[1]}] in it"
            node = node[ITEMS]
            done[-1] += f"[{token[0]}={token[1]}]"
            continue
        if token not in node:
            where = f" in {'.'.join(done)!r}" if done else ""
            known = sorted(k for k in node if k != ITEMS)
            close = difflib.get_close_matches(token, known, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known)}"
            return f"unknown attribute {token!r}{where} ({hint})"
        node = node[token]
        done.append(token)
    return None


def system_rule_problem(policy_type: str, policy_is_default: bool, path: str) -> str | None:
    """Why `path` is read-only on a system (default) rule, or None."""
    if policy_type == "MFA_ENROLL" and policy_is_default:
        return "the default rule of the default enrollment policy is read-only"
    if path == "conditions" or path.startswith(("conditions.", "conditions[")):
        return "a system rule's conditions are read-only (it catches everyone the other rules leave)"
    if policy_type == "OKTA_SIGN_ON" and policy_is_default and path == PERSISTENT_COOKIE:
        return "usePersistentCookie is read-only on the default rule of the default global session policy"
    return None

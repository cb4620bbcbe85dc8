"""Every Okta endpoint remediator calls, each with the OAuth scope its operation's `security` names.

Paths are the OpenAPI spec's templates, placeholders included, so that a test can look each one up
in ../shared/okta-reference/okta-management-openapi-spec (`tests/facts/test_scopes.py`). GETs are
read through `remediator.facts.TenantReads`; writes are sent with `Endpoint.send`, by kinds only.

`lockout` marks a write that can take an account away from whoever uses it: the engine's guardrails
then read the token owner and the admins first, so a kind making it needs those facts' scopes too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from remediator.okta.client import OktaClient, OktaResponse, Recheck

_PLACEHOLDER = re.compile(r"\{[^}]+\}")


@dataclass(frozen=True)
class Endpoint:
    """One operation of the Management API: method, path template and the OAuth scope it needs."""

    method: str
    template: str
    scope: str
    lockout: bool = False
    ok: tuple[int, ...] | None = None  # the documented success when not the method's usual one (okta.retry.SUCCESS)
    logged: str | None = None  # the System Log event a write leaves on its first placeholder's object
    gone: bool = False  # a DELETE whose path can be read: a 404 there means the write took effect

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        return (self,)

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset({self.scope})

    def path(self, *values: str) -> str:
        """The template with its placeholders filled in order (each value percent-encoded)."""
        parts = iter(values)
        try:
            path = _PLACEHOLDER.sub(lambda _: quote(str(next(parts)), safe=""), self.template)
        except StopIteration:
            raise ValueError(f"{self.template}: too few values {values!r}") from None
        if next(parts, None) is not None:
            raise ValueError(f"{self.template}: too many values {values!r}")
        return path

    async def send(self, client: OktaClient, *values: str, params: dict[str, Any] | None = None,
                   json: Any = None, recheck: Recheck | None = None) -> OktaResponse:
        """Make this request (a write): the client paces, retries and raises typed errors.

        Without a `recheck` of the caller's, a write that may have reached Okta on a dropped connection is
        re-checked by its System Log event (`logged`) or by reading its path (`gone`) before any resend.
        """
        if recheck is None:
            recheck = self._recheck(client, self.path(*values), values)
        return await client.request(self.method, self.path(*values), params=params, json=json, recheck=recheck,
                                    ok=self.ok or None)


    def _recheck(self, client: OktaClient, path: str, values: tuple[str, ...]) -> Recheck | None:
        if self.logged and values:
            return client.recheck_logged(self.logged, str(values[0]))
        if self.gone:
            return client.recheck_gone(path)
        return None


def _get(template: str, scope: str) -> Endpoint:
    return Endpoint("GET", template, scope)


# reads ---------------------------------------------------------------------------------------------
USERS = _get("/api/v1/users", "okta.users.read")
USER = _get("/api/v1/users/{id}", "okta.users.read")  # also `me`: the token owner
USER_FACTORS = _get("/api/v1/users/{userId}/factors", "okta.users.read")
USER_ROLES = _get("/api/v1/users/{userId}/roles", "okta.roles.read")
ROLE_ASSIGNEES = _get("/api/v1/iam/assignees/users", "okta.roles.read")
GROUPS = _get("/api/v1/groups", "okta.groups.read")
GROUP_ROLES = _get("/api/v1/groups/{groupId}/roles", "okta.roles.read")
GROUP_MEMBERS = _get("/api/v1/groups/{groupId}/users", "okta.groups.read")
GROUP = _get("/api/v1/groups/{groupId}", "okta.groups.read")
ORG = _get("/api/v1/org", "okta.orgs.read")
APPS = _get("/api/v1/apps", "okta.apps.read")
ORG_SUPPORT = _get("/api/v1/org/privacy/oktaSupport", "okta.orgs.read")
SUPPORT_CASES = _get("/api/v1/org/privacy/oktaSupport/cases", "okta.orgs.read")
API_TOKENS = _get("/api/v1/api-tokens", "okta.apiTokens.read")
API_TOKEN = _get("/api/v1/api-tokens/{apiTokenId}", "okta.apiTokens.read")
IDPS = _get("/api/v1/idps", "okta.idps.read")
IDP = _get("/api/v1/idps/{idpId}", "okta.idps.read")
POLICIES = _get("/api/v1/policies", "okta.policies.read")
POLICY = _get("/api/v1/policies/{policyId}", "okta.policies.read")
POLICY_RULES = _get("/api/v1/policies/{policyId}/rules", "okta.policies.read")
POLICY_RULE = _get("/api/v1/policies/{policyId}/rules/{ruleId}", "okta.policies.read")
LOGS = _get("/api/v1/logs", "okta.logs.read")
APP = _get("/api/v1/apps/{appId}", "okta.apps.read")
ZONES = _get("/api/v1/zones", "okta.networkZones.read")
ZONE = _get("/api/v1/zones/{zoneId}", "okta.networkZones.read")
AUTHENTICATORS = _get("/api/v1/authenticators", "okta.authenticators.read")
AUTHENTICATOR = _get("/api/v1/authenticators/{authenticatorId}", "okta.authenticators.read")
LOG_STREAMS = _get("/api/v1/logStreams", "okta.logStreams.read")
LOG_STREAM = _get("/api/v1/logStreams/{logStreamId}", "okta.logStreams.read")
THREAT_INSIGHT = _get("/api/v1/threats/configuration", "okta.threatInsights.read")
FIRST_PARTY_APP_SETTINGS = _get("/api/v1/first-party-app-settings/{appName}", "okta.apps.read")
AUTO_ASSIGN_ADMIN_APP = _get("/api/v1/org/settings/autoAssignAdminAppSetting", "okta.orgs.read")
CLIENT_PRIVILEGES = _get("/api/v1/org/settings/clientPrivilegesSetting", "okta.orgs.read")
USER_LOCKOUT = _get("/attack-protection/api/v1/user-lockout-settings", "okta.orgs.read")

# writes --------------------------------------------------------------------------------------------
RESET_PASSWORD = Endpoint("POST", "/api/v1/users/{id}/lifecycle/reset_password", "okta.users.manage", lockout=True)
EXPIRE_PASSWORD = Endpoint("POST", "/api/v1/users/{id}/lifecycle/expire_password", "okta.users.manage", lockout=True)
SUSPEND_USER = Endpoint("POST", "/api/v1/users/{id}/lifecycle/suspend", "okta.users.manage", lockout=True)
DEACTIVATE_USER = Endpoint("POST", "/api/v1/users/{id}/lifecycle/deactivate", "okta.users.manage", lockout=True)
ACTIVATE_USER = Endpoint("POST", "/api/v1/users/{id}/lifecycle/activate", "okta.users.manage")
UNSUSPEND_USER = Endpoint("POST", "/api/v1/users/{id}/lifecycle/unsuspend", "okta.users.manage")
UNLOCK_USER = Endpoint("POST", "/api/v1/users/{id}/lifecycle/unlock", "okta.users.manage")
UNENROLL_FACTOR = Endpoint("DELETE", "/api/v1/users/{userId}/factors/{factorId}", "okta.users.manage", lockout=True,
                           gone=True)
ASSIGN_TO_GROUP = Endpoint("PUT", "/api/v1/groups/{groupId}/users/{userId}", "okta.groups.manage", ok=(204,))
UNASSIGN_FROM_GROUP = Endpoint("DELETE", "/api/v1/groups/{groupId}/users/{userId}", "okta.groups.manage")
CLEAR_SESSIONS = Endpoint("DELETE", "/api/v1/users/{userId}/sessions", "okta.users.manage",
                          logged="user.session.clear")
UNASSIGN_USER_ROLE = Endpoint("DELETE", "/api/v1/users/{userId}/roles/{roleAssignmentId}", "okta.roles.manage",
                              lockout=True, gone=True)
REPLACE_API_TOKEN = Endpoint("PUT", "/api/v1/api-tokens/{apiTokenId}", "okta.apiTokens.manage")
REVOKE_API_TOKEN = Endpoint("DELETE", "/api/v1/api-tokens/{apiTokenId}", "okta.apiTokens.manage", gone=True)
DEACTIVATE_IDP = Endpoint("POST", "/api/v1/idps/{idpId}/lifecycle/deactivate", "okta.idps.manage")
REVOKE_SUPPORT = Endpoint("POST", "/api/v1/org/privacy/oktaSupport/revoke", "okta.orgs.manage")
UPDATE_SUPPORT_CASE = Endpoint("PATCH", "/api/v1/org/privacy/oktaSupport/cases/{caseNumber}", "okta.orgs.manage")
REPLACE_POLICY = Endpoint("PUT", "/api/v1/policies/{policyId}", "okta.policies.manage")
REPLACE_POLICY_RULE = Endpoint("PUT", "/api/v1/policies/{policyId}/rules/{ruleId}", "okta.policies.manage")
DEACTIVATE_APP = Endpoint("POST", "/api/v1/apps/{appId}/lifecycle/deactivate", "okta.apps.manage")
CREATE_ZONE = Endpoint("POST", "/api/v1/zones", "okta.networkZones.manage")
REPLACE_ZONE = Endpoint("PUT", "/api/v1/zones/{zoneId}", "okta.networkZones.manage")
ACTIVATE_ZONE = Endpoint("POST", "/api/v1/zones/{zoneId}/lifecycle/activate", "okta.networkZones.manage")
DEACTIVATE_ZONE = Endpoint("POST", "/api/v1/zones/{zoneId}/lifecycle/deactivate", "okta.networkZones.manage")
ACTIVATE_AUTHENTICATOR = Endpoint("POST", "/api/v1/authenticators/{authenticatorId}/lifecycle/activate",
                                  "okta.authenticators.manage")
DEACTIVATE_AUTHENTICATOR = Endpoint("POST", "/api/v1/authenticators/{authenticatorId}/lifecycle/deactivate",
                                    "okta.authenticators.manage")
CREATE_LOG_STREAM = Endpoint("POST", "/api/v1/logStreams", "okta.logStreams.manage")
ACTIVATE_LOG_STREAM = Endpoint("POST", "/api/v1/logStreams/{logStreamId}/lifecycle/activate", "okta.logStreams.manage")
UPDATE_THREAT_INSIGHT = Endpoint("POST", "/api/v1/threats/configuration", "okta.threatInsights.manage")
REPLACE_FIRST_PARTY_APP_SETTINGS = Endpoint("PUT", "/api/v1/first-party-app-settings/{appName}", "okta.apps.manage")
UPDATE_AUTO_ASSIGN_ADMIN_APP = Endpoint("POST", "/api/v1/org/settings/autoAssignAdminAppSetting", "okta.orgs.manage")
ASSIGN_CLIENT_PRIVILEGES = Endpoint("PUT", "/api/v1/org/settings/clientPrivilegesSetting", "okta.orgs.manage")
REPLACE_USER_LOCKOUT = Endpoint("PUT", "/attack-protection/api/v1/user-lockout-settings", "okta.orgs.manage")


def catalogue() -> tuple[Endpoint, ...]:
    """Every endpoint declared here (tests compare each with Okta's spec)."""
    return tuple(v for v in globals().values() if isinstance(v, Endpoint))

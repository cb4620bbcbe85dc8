"""The registry of kinds. Importing this package registers every kind module listed here."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from remediator.facts import SESSION
from remediator.kinds.base import REGISTRY, Applied, Kind, TenantContext, makes_changes, register

_MODULES = (
    "support_access",
    "admin_passwords",
    "new_admins",
    "mfa",
    "admin_sessions",
    "api_tokens",
    "identity_providers",
    "idp_reach",
    "system_log_archive",
    "system_log_hunt",
    "manual",
    "user_status",
    "user_sessions",
    "user_passwords",
    "user_factors",
    "admin_roles",
    "group_members",
    "threat_insight",
    "org_settings",
    "network_zone",
    "authenticator",
    "log_streams",
    "policy",
    "policy_rule",
    "apps",
)

for _module in _MODULES:
    try:
        importlib.import_module(f"remediator.kinds.{_module}")
    except ModuleNotFoundError as exc:  # a kind not written yet must not break the others
        if exc.name != f"remediator.kinds.{_module}":
            raise



def scopes_of(kind_names: Iterable[str]) -> frozenset[str]:
    """The OAuth scopes a service app needs to run the named kinds: theirs, and what every run reads."""
    return SESSION.scopes | {scope for name in kind_names if name in REGISTRY for scope in REGISTRY[name].scopes}


__all__ = ["REGISTRY", "Applied", "Kind", "TenantContext", "makes_changes", "register", "scopes_of"]

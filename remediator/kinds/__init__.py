"""The registry of kinds. Importing this package registers every kind module listed here."""

from __future__ import annotations

import importlib

from remediator.kinds.base import REGISTRY, Applied, Kind, TenantContext, register

_MODULES = (
    "support_access",
    "admin_passwords",
    "new_admins",
    "mfa",
    "admin_sessions",
    "api_tokens",
    "identity_providers",
    "system_log_archive",
    "system_log_hunt",
    "manual",
)

for _module in _MODULES:
    try:
        importlib.import_module(f"remediator.kinds.{_module}")
    except ModuleNotFoundError as exc:  # a kind not written yet must not break the others
        if exc.name != f"remediator.kinds.{_module}":
            raise

__all__ = ["REGISTRY", "Applied", "Kind", "TenantContext", "register"]

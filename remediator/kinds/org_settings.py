"""`okta.org_settings`: the org-wide settings an intruder changes to keep a foothold, as declared.

Each argument is optional; only those given are read and compared. Each is one of Okta's singletons,
read and written at its own path (one change and one write each):

- `admin_console_session_idle_minutes`, `admin_console_session_max_minutes`: PUT
  `/api/v1/first-party-app-settings/admin-console` (`sessionIdleTimeoutMinutes`, `sessionMaxLifetimeMinutes`;
  STIG V-273187 wants an idle time of 15);
- `auto_assign_admin_app`: POST `/api/v1/org/settings/autoAssignAdminAppSetting` (the Admin Console app
  is given to anyone granted a role);
- `client_privileges`: PUT `/api/v1/org/settings/clientPrivilegesSetting` (new public client apps get the
  super admin role);
- `lockout_unknown_devices`: PUT `/attack-protection/api/v1/user-lockout-settings`
  (`preventBruteForceLockoutFromUnknownDevices`: failed passwords from unknown devices do not lock the
  user out on their known devices).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from remediator.errors import InputError
from remediator.kinds.base import Applied, Kind, TenantContext, register
from remediator.plan import Change, Finding, Target


@dataclass(frozen=True)
class Setting:
    path: str
    method: str
    label: str
    fields: dict[str, str]  # argument -> Okta's key
    scopes: tuple[str, str]


SETTINGS = (
    Setting("/api/v1/first-party-app-settings/admin-console", "PUT", "Admin Console session",
            {"admin_console_session_idle_minutes": "sessionIdleTimeoutMinutes",
             "admin_console_session_max_minutes": "sessionMaxLifetimeMinutes"}, ("okta.apps.read", "okta.apps.manage")),
    Setting("/api/v1/org/settings/autoAssignAdminAppSetting", "POST", "Admin Console assigned with admin roles",
            {"auto_assign_admin_app": "autoAssignAdminAppSetting"}, ("okta.orgs.read", "okta.orgs.manage")),
    Setting("/api/v1/org/settings/clientPrivilegesSetting", "PUT", "Super admin role for new public client apps",
            {"client_privileges": "clientPrivilegesSetting"}, ("okta.orgs.read", "okta.orgs.manage")),
    Setting("/attack-protection/api/v1/user-lockout-settings", "PUT", "Lockout from unknown devices",
            {"lockout_unknown_devices": "preventBruteForceLockoutFromUnknownDevices"},
            ("okta.orgs.read", "okta.orgs.manage")),
)
BY_PATH = {s.path: s for s in SETTINGS}


def _target(setting: Setting) -> Target:
    return Target(type="org_setting", id=setting.path, label=setting.label)


@register
class OrgSettings(Kind):
    """Org settings as declared: Admin Console session length, admin app auto-assignment, client privileges, lockout.

    Example::

        - name: Org settings hardened
          okta.org_settings:
            admin_console_session_idle_minutes: 15
            admin_console_session_max_minutes: 720
            auto_assign_admin_app: false
            client_privileges: false
            lockout_unknown_devices: true
    """

    name = "okta.org_settings"
    schema = {
        "type": "object",
        "minProperties": 1,
        "properties": {
            "admin_console_session_idle_minutes": {"type": "integer", "minimum": 5, "maximum": 720,
                                                   "description": "Admin Console idle timeout (Okta: 5 to 720)"},
            "admin_console_session_max_minutes": {"type": "integer", "minimum": 5, "maximum": 10080,
                                                  "description": "Admin Console session lifetime (Okta: 5 to 10080)"},
            "auto_assign_admin_app": {"type": "boolean",
                                      "description": "give the Admin Console app to whoever is granted a role"},
            "client_privileges": {"type": "boolean",
                                  "description": "new public client apps get the super admin role"},
            "lockout_unknown_devices": {"type": "boolean",
                                        "description": "failed passwords from unknown devices do not lock the user "
                                                       "out on known devices"},
        },
        "additionalProperties": False,
    }
    scopes = ("okta.apps.read", "okta.apps.manage", "okta.orgs.read", "okta.orgs.manage")

    def _wanted(self) -> list[Setting]:
        return [s for s in SETTINGS if any(a in self.args for a in s.fields)]

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        return {"settings": {s.path: {k: v for k, v in (await ctx.reads.setting(s.path)).items() if k != "_links"}
                             for s in self._wanted()}}

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding]:
        out: list[Change | Finding] = []
        for setting in self._wanted():
            current = observed["settings"].get(setting.path) or {}
            before = {key: current.get(key) for arg, key in setting.fields.items()
                      if arg in self.args and current.get(key) != self.args[arg]}
            if not before:
                continue
            after = {key: self.args[arg] for arg, key in setting.fields.items() if key in before}
            shown = ", ".join(f"{k} is {json.dumps(before[k])}, not {json.dumps(after[k])}" for k in before)
            out.append(self.change("update_setting", _target(setting), before, after,
                                   f"{setting.label}: {shown}."))
        idle, most = (self.args.get("admin_console_session_idle_minutes"),
                      self.args.get("admin_console_session_max_minutes"))
        if idle is not None and most is not None and idle > most:
            out = [c for c in out if not (isinstance(c, Change) and c.target.id == SETTINGS[0].path)]
            out.append(self.finding("medium", "Admin Console idle timeout is longer than the session lifetime: "
                                    "Okta would refuse it; not changed", _target(SETTINGS[0]),
                                    {"idle": idle, "max": most}))
        return out

    def explain(self, observed: dict[str, Any]) -> list[str]:
        notes = []
        for setting in self._wanted():
            current = observed["settings"].get(setting.path) or {}
            for arg, key in setting.fields.items():
                if arg in self.args and current.get(key) == self.args[arg]:
                    notes.append(f"{setting.label}: {key} is already {json.dumps(current.get(key))}")
        return notes

    def _setting(self, change: Change) -> Setting:
        setting = BY_PATH.get(change.target.id)
        if change.action != "update_setting" or setting is None:
            raise InputError(f"{self.name}: the plan names an action this kind does not make: {change.action!r}")
        return setting

    async def current(self, ctx: TenantContext, change: Change) -> dict[str, Any]:
        body = await ctx.client.get_json(self._setting(change).path) or {}
        return {k: body.get(k) for k in change.before}

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        setting = self._setting(change)
        body = {k: v for k, v in (await ctx.client.get_json(setting.path) or {}).items() if k != "_links"}
        body.update(change.after)

        async def in_effect() -> Any:
            resp = await ctx.client.get(setting.path)
            return resp if all((resp.body or {}).get(k) == v for k, v in change.after.items()) else None

        resp = await ctx.client.request(setting.method, setting.path, json=body, recheck=in_effect)
        return Applied(request_id=resp.request_id, detail=dict(change.after))

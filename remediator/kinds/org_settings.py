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
from remediator.facts import Endpoint
from remediator.facts import endpoints as ep
from remediator.kinds.base import Applied, Kind, TenantContext, register
from remediator.plan import Change, Finding, NoOp, Target


@dataclass(frozen=True)
class Setting:
    read: Endpoint
    write: Endpoint
    values: tuple[str, ...]  # the read's and the write's path values
    label: str
    fields: dict[str, str]  # argument -> Okta's key

    @property
    def path(self) -> str:
        return self.read.path(*self.values)


SETTINGS = (
    Setting(ep.FIRST_PARTY_APP_SETTINGS, ep.REPLACE_FIRST_PARTY_APP_SETTINGS, ("admin-console",),
            "Admin Console session", {"admin_console_session_idle_minutes": "sessionIdleTimeoutMinutes",
                                      "admin_console_session_max_minutes": "sessionMaxLifetimeMinutes"}),
    Setting(ep.AUTO_ASSIGN_ADMIN_APP, ep.UPDATE_AUTO_ASSIGN_ADMIN_APP, (), "Admin Console assigned with admin roles",
            {"auto_assign_admin_app": "autoAssignAdminAppSetting"}),
    Setting(ep.CLIENT_PRIVILEGES, ep.ASSIGN_CLIENT_PRIVILEGES, (), "Super admin role for new public client apps",
            {"client_privileges": "clientPrivilegesSetting"}),
    Setting(ep.USER_LOCKOUT, ep.REPLACE_USER_LOCKOUT, (), "Lockout from unknown devices",
            {"lockout_unknown_devices": "preventBruteForceLockoutFromUnknownDevices"}),
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
    facts = tuple(s.read for s in SETTINGS)
    writes = tuple(s.write for s in SETTINGS)

    @classmethod
    def check(cls, args: dict[str, Any]) -> tuple[tuple[Any, ...], str] | None:
        idle, most = args.get("admin_console_session_idle_minutes"), args.get("admin_console_session_max_minutes")
        if idle is not None and most is not None and idle > most:
            return (("admin_console_session_idle_minutes",),
                    f"'admin_console_session_idle_minutes': an idle time of {idle} minutes is longer than the "
                    f"session lifetime ({most}): Okta refuses it")
        return None

    def _wanted(self) -> list[Setting]:
        return [s for s in SETTINGS if any(a in self.args for a in s.fields)]

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        out = {}
        for setting in self._wanted():
            body = await ctx.reads.setting(setting.read, *setting.values)
            out[setting.path] = {k: v for k, v in body.items() if k != "_links"}
        return {"settings": out}

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        out: list[Change | Finding | NoOp] = []
        for setting in self._wanted():
            current = observed["settings"].get(setting.path) or {}
            before: dict[str, Any] = {}
            for arg, key in setting.fields.items():
                if arg not in self.args:
                    continue
                if current.get(key) == self.args[arg]:
                    out.append(self.no_op(f"{setting.label}: {key} is already {json.dumps(current.get(key))}",
                                          _target(setting)))
                else:
                    before[key] = current.get(key)
            if not before:
                continue
            after = {key: self.args[arg] for arg, key in setting.fields.items() if key in before}
            shown = ", ".join(f"{k} is {json.dumps(before[k])}, not {json.dumps(after[k])}" for k in before)
            out.append(self.change("update_setting", _target(setting), before, after,
                                   f"{setting.label}: {shown}."))
        return out

    def _setting(self, change: Change) -> Setting:
        setting = BY_PATH.get(change.target.id)
        if change.action != "update_setting" or setting is None:
            raise InputError(f"{self.name}: the plan names an action this kind does not make: {change.action!r}")
        return setting

    async def current(self, ctx: TenantContext, change: Change) -> dict[str, Any]:
        setting = self._setting(change)
        body = (await ctx.reads.fresh(setting.read, *setting.values)).body or {}
        return {k: body.get(k) for k in change.before}

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        setting = self._setting(change)
        current = (await ctx.reads.fresh(setting.read, *setting.values)).body or {}
        body = {k: v for k, v in current.items() if k != "_links"}
        body.update(change.after)

        async def in_effect() -> Any:
            resp = await ctx.reads.fresh(setting.read, *setting.values)
            return resp if all((resp.body or {}).get(k) == v for k, v in change.after.items()) else None

        resp = await setting.write.send(ctx.client, *setting.values, json=body, recheck=in_effect)
        return Applied(request_id=resp.request_id, detail=dict(change.after))

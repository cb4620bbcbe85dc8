"""`okta.apps`: no app of the kind an intruder adds is ACTIVE, unless allowed.

After a breach the apps to look at are those created since it, of a sign-on mode that hands out access
(`SAML_2_0`, `OPENID_CONNECT`...) or of a name known to be abused: an Org2Org app (`okta_org2org`) lets
another Okta org sign in as this org's users (the 2023 cross-tenant impersonation technique). The
criteria given are combined (AND); `allow` lists the labels of apps known to be legitimate. Only ACTIVE
apps are read (one paged `GET /api/v1/apps?filter=status eq "ACTIVE"`), not every app of the org.

Each selected app is a finding (high) with `action: report`, the default: an app may carry a business's
real sign-ins, so turning it off is a decision for a person. With `action: deactivate` it is deactivated
(`POST /api/v1/apps/{id}/lifecycle/deactivate`), except Okta's own first-party apps (the Admin Console
`saasure`, the Dashboard `okta_enduser`, ...), which are never deactivated by automation: a finding.
"""

from __future__ import annotations

from typing import Any

from remediator.errors import InputError
from remediator.facts import APPS
from remediator.facts import endpoints as ep
from remediator.kinds import lifecycle
from remediator.kinds.base import Applied, Kind, TenantContext, register
from remediator.kinds.common import DATE_TIME, at_or_after, okta_time
from remediator.plan import Change, Finding, NoOp, Target
from remediator.timeutil import parse_time

ACTIVE = 'status eq "ACTIVE"'
APP_FIELDS = ("id", "name", "label", "status", "signOnMode", "created", "lastUpdated")
#: Okta's first-party apps: turning one off locks admins or users out of Okta itself.
FIRST_PARTY = frozenset({"saasure", "okta_enduser", "okta_browser_plugin", "okta_flow_sso"})
SIGN_ON_MODES = ["AUTO_LOGIN", "BASIC_AUTH", "BOOKMARK", "BROWSER_PLUGIN", "OPENID_CONNECT", "SAML_1_1", "SAML_2_0",
                 "SECURE_PASSWORD_STORE", "WS_FEDERATION"]


def _target(app: dict[str, Any]) -> Target:
    return Target(type="app", id=str(app["id"]), label=str(app.get("label") or app.get("name")))


@register
class Apps(Kind):
    """No ACTIVE app matches the criteria (created after a date, sign-on modes, names) unless its label is allowed.

    Example::

        - name: No Org2Org app added since the breach
          okta.apps:
            created_after: "2022-01-21T00:00:00Z"
            names: [okta_org2org]
            allow: [Partner directory]
            action: report
    """

    name = "okta.apps"
    schema = {
        "type": "object",
        "anyOf": [{"required": ["created_after"]}, {"required": ["sign_on_modes"]}, {"required": ["names"]}],
        "description": "a selection of apps: give created_after, sign_on_modes or names",
        "properties": {
            "created_after": {**DATE_TIME, "description": "apps created at or after this"},
            "sign_on_modes": {"type": "array", "items": {"enum": SIGN_ON_MODES}, "minItems": 1},
            "names": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1,
                      "description": "app names (the integration's key), e.g. okta_org2org"},
            "allow": {"type": "array", "items": {"type": "string", "minLength": 1}, "default": [],
                      "description": "labels of apps known to be legitimate"},
            "action": {"enum": ["deactivate", "report"], "default": "report"},
        },
        "additionalProperties": False,
    }
    facts = (APPS, ep.APP)
    writes = (ep.DEACTIVATE_APP,)

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        apps = await ctx.reads.apps(filter_=ACTIVE)
        return {"apps": [{k: a.get(k) for k in APP_FIELDS} for a in apps]}

    def _selected(self, app: dict[str, Any]) -> bool:
        a = self.args
        if "created_after" in a and not at_or_after(app.get("created"), parse_time(a["created_after"])):
            return False
        if "sign_on_modes" in a and app.get("signOnMode") not in a["sign_on_modes"]:
            return False
        return not ("names" in a and app.get("name") not in a["names"])

    def _criteria(self) -> str:
        a = self.args
        parts = []
        if "names" in a:
            parts.append(f"named {', '.join(a['names'])}")
        if "sign_on_modes" in a:
            parts.append(f"signing on with {', '.join(a['sign_on_modes'])}")
        if "created_after" in a:
            parts.append(f"created after {okta_time(a['created_after'])}")
        return ", ".join(parts)

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        allow = {str(x).casefold() for x in self.args.get("allow", [])}
        out: list[Change | Finding | NoOp] = []
        apps, unselected, allowed = observed.get("apps", []), 0, []
        for app in apps:
            if not self._selected(app):
                unselected += 1
                continue
            if str(app.get("label") or "").casefold() in allow:
                allowed.append(str(app.get("label")))
                continue
            if app.get("status") != "ACTIVE":
                continue
            what = (f"app {app.get('label')!r} ({app.get('name')}, {app.get('signOnMode')}, "
                    f"created {app.get('created')})")
            if self.args.get("action", "report") == "report":
                out.append(self.finding("high", f"ACTIVE {what}, {self._criteria()}", _target(app), {"app": app}))
            elif app.get("name") in FIRST_PARTY:
                out.append(self.finding("high", f"{what} is Okta's own: never deactivated by automation; review it",
                                        _target(app), {"app": app}))
            else:
                out.append(self.change("deactivate", _target(app), {"status": "ACTIVE"}, {"status": "INACTIVE"},
                                       f"{what} is ACTIVE and matches {self._criteria()}: deactivate it so that "
                                       "nobody signs in through it."))
        out.append(self.no_op(f"{unselected} of {len(apps)} ACTIVE app(s) are not {self._criteria()}"))
        if allowed:
            out.append(self.no_op(f"allowed: {', '.join(allowed)}"))
        return out

    async def current(self, ctx: TenantContext, change: Change) -> dict[str, Any]:
        return await lifecycle.status_of(ctx, ep.APP, change.target.id)

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        if change.action != "deactivate":
            raise InputError(f"{self.name}: the plan names an action this kind does not make: {change.action!r}")
        return await lifecycle.set_status(ctx, ep.APP, ep.DEACTIVATE_APP, change.target.id)

"""`okta.mfa`: MFA enforced where the policies say it is, and every admin able to use it.

Policies (each change replaces the whole policy or rule with `PUT`, after re-reading it, and shows in
before/after only the fields it changes, as dotted paths):

- enrollment (`MFA_ENROLL`, Identity Engine `settings.authenticators`): every listed authenticator
  `enroll.self = REQUIRED`, in every ACTIVE enrollment policy, not only the default one: a group-scoped
  policy of higher priority would otherwise exempt its members. Classic (`settings.type: FACTORS`)
  policies are reported for a person;
- global session (`OKTA_SIGN_ON`): every ACTIVE rule that allows access requires a factor
  (`actions.signon.requireFactor: true`, `factorPromptMode` ALWAYS when it had none), the Default Rule
  included;
- Admin Console: the app sign-in policy (`ACCESS_POLICY`) that the first-party app `saasure` links in
  `_links.accessPolicy`, found through `GET /api/v1/apps`, never by its name (a renamed policy would be
  missed, two swapped names would harden the wrong one): every ACTIVE rule that allows access verifies
  with `factorMode: 2FA`; password-only `constraints`, which would contradict 2FA, are removed (Okta
  then accepts any two factor types). `dashboard_factor_mode` does the same for the policy of
  `okta_enduser`, the Dashboard (STIG V-273194). Rules using authentication method chains are reported.
  A policy that also governs other apps is reported, naming them, and left alone (hardening it would
  change their sign-in too) unless `allow_shared_with` lists them (labels or names, `"*"` for any).

Findings: each ACTIVE admin without an ACTIVE factor (critical; other admins who can still sign in
later, e.g. RECOVERY, high). That reads factors per admin only. `audit_all_users` also lists ACTIVE
users without an ACTIVE factor, which takes one request per user: at 100,000 users about 5.6 hours of
the users rate-limit bucket. It is bounded: the ACTIVE users are listed (one cheap paged search), and
the factors of at most `audit_max_users` of them (by id) are read; the finding says how many were
checked. Policies, not per-user audits, are what protect everyone.

Targeted at apply (`Kind.targeted`): every change is a policy or rule, decided on the policies, rules and
apps (read in full, as when planning); what concerns admins and users is findings only, which apply never
writes, so its re-read lists no admin and reads no factor.
"""

from __future__ import annotations

import asyncio
from typing import Any

from remediator.errors import InputError
from remediator.facts import ADMINS, APPS, FACTORS, ME, POLICIES, RULES, USERS
from remediator.facts import endpoints as ep
from remediator.facts.endpoints import Endpoint
from remediator.kinds.app_policies import FIRST_PARTY, app_ref, apps_by_policy, find_app
from remediator.kinds.base import Applied, Kind, TenantContext, register
from remediator.kinds.common import INACTIVE, login, observe_admins, user_target
from remediator.kinds.paths import get_path, project, set_path
from remediator.plan import Change, Finding, NoOp, Target

#: First-party app -> the argument giving the factor mode of its app sign-in policy's rules.
APP_MODES = (("saasure", "admin_console_factor_mode"), ("okta_enduser", "dashboard_factor_mode"))
REQUIRE_FACTOR = "actions.signon.requireFactor"
PROMPT_MODE = "actions.signon.factorPromptMode"
FACTOR_MODE = "actions.appSignOn.verificationMethod.factorMode"
CONSTRAINTS = "actions.appSignOn.verificationMethod.constraints"
POLICY_FIELDS = ("id", "name", "type", "status", "priority", "system", "settings")
RULE_FIELDS = ("id", "name", "type", "status", "priority", "system", "actions")
FACTOR_FIELDS = ("id", "factorType", "provider", "status")


def _enroll_path(key: str) -> str:
    return f"settings.authenticators[key={key}].enroll.self"


def _active(obj: dict[str, Any]) -> bool:
    return obj.get("status", "ACTIVE") == "ACTIVE"


def _rule_target(policy: dict[str, Any], rule: dict[str, Any]) -> Target:
    label = f"{policy.get('name')} / {rule.get('name')}"
    return Target(type="policy_rule", id=f"{policy['id']}/{rule['id']}", label=label)


def _has_second_factor(constraints: Any) -> bool:
    """Whether every alternative in `constraints` already names a possession or inherence factor."""
    return bool(constraints) and all(isinstance(c, dict) and ("possession" in c or "inherence" in c)
                                     for c in constraints)


@register
class Mfa(Kind):
    """MFA enforced: enrollment requires the listed authenticators, sessions and the Admin Console need 2FA.

    Example::

        - name: MFA enforced
          okta.mfa:
            admins_require_factor: true
            enrollment_required: [okta_verify]
            global_session_require_factor: true
            admin_console_factor_mode: 2FA
            audit_all_users: false
    """

    name = "okta.mfa"
    schema = {
        "type": "object",
        "properties": {
            "admins_require_factor": {"type": "boolean", "default": True,
                                      "description": "report admins without an ACTIVE factor"},
            "enrollment_required": {"type": "array", "items": {"type": "string", "minLength": 1}, "default": [],
                                    "description": "authenticator keys every enrollment policy must require"},
            "global_session_require_factor": {"type": "boolean", "default": True},
            "admin_console_factor_mode": {"enum": ["2FA"], "description": "factor mode of the Admin Console rules"},
            "dashboard_factor_mode": {"enum": ["2FA"], "description": "factor mode of the Okta Dashboard rules"},
            "allow_shared_with": {"type": "array", "items": {"type": "string", "minLength": 1}, "default": [],
                                  "description": "apps (label or name; \"*\": any) that may share the Admin Console "
                                                 "or Dashboard policy, and so get the same factor mode"},
            "audit_all_users": {"type": "boolean", "default": False,
                                "description": "also list ACTIVE users without a factor (one request per user)"},
            "audit_max_users": {"type": "integer", "minimum": 1, "default": 2000,
                                "description": "at most this many users' factors are read by the audit"},
        },
        "additionalProperties": False,
    }
    facts = (POLICIES, RULES, APPS, ADMINS, ME, FACTORS, USERS, ep.POLICY, ep.POLICY_RULE)
    writes = (ep.REPLACE_POLICY, ep.REPLACE_POLICY_RULE)
    targeted = True

    # read -----------------------------------------------------------------------------------
    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        a = self.args
        observed: dict[str, Any] = {}
        if a.get("enrollment_required"):
            observed["enroll_policies"] = [_pick(p, POLICY_FIELDS) for p in await ctx.reads.policies("MFA_ENROLL")]
        if a.get("global_session_require_factor", True):
            observed["signon_policies"] = await self._with_rules(ctx, await ctx.reads.policies("OKTA_SIGN_ON"))
        if any(a.get(arg) for _, arg in APP_MODES):
            observed.update(await self._app_policies_read(ctx))
        if a.get("admins_require_factor", True):
            observed.update(await observe_admins(ctx))
            users = [adm["user"] for adm in observed["admins"]]
            factors = await asyncio.gather(*(ctx.reads.factors(u["id"]) for u in users))
            for admin, fs in zip(observed["admins"], factors, strict=True):
                admin["factors"] = [_pick(f, FACTOR_FIELDS) for f in fs]
        if a.get("audit_all_users"):
            observed["audit"] = await self._audit(ctx, int(a.get("audit_max_users", 2000)))
        return observed

    async def _app_policies_read(self, ctx: TenantContext) -> dict[str, Any]:
        """The first-party apps, and the app sign-in policies they link, with every app each one governs."""
        apps = await ctx.reads.apps()
        first = {name: (app_ref(app) if (app := find_app(apps, name)) and app.get("name") == name else None)
                 for name, arg in APP_MODES if self.args.get(arg)}
        wanted = list(dict.fromkeys(ref["policy"] for ref in first.values() if ref and ref["policy"]))
        access = {p["id"]: p for p in await ctx.reads.policies("ACCESS_POLICY")} if wanted else {}
        governed = apps_by_policy(apps)
        policies = await self._with_rules(ctx, [access[pid] for pid in wanted if pid in access])
        return {"first_party_apps": first,
                "app_policies": [{**p, "apps": governed.get(p["id"], [])} for p in policies]}

    async def _with_rules(self, ctx: TenantContext, policies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rules = await asyncio.gather(*(ctx.reads.rules(p["id"]) for p in policies))
        return [{**_pick(p, POLICY_FIELDS), "rules": [_pick(r, RULE_FIELDS) for r in rs]}
                for p, rs in zip(policies, rules, strict=True)]

    async def _audit(self, ctx: TenantContext, limit: int) -> dict[str, Any]:
        active = await ctx.reads.users('status eq "ACTIVE"')
        checked = sorted(active, key=lambda u: str(u["id"]))[:limit]
        factors = await asyncio.gather(*(ctx.reads.factors(u["id"]) for u in checked))
        without = [login(u) for u, fs in zip(checked, factors, strict=True)
                   if not any(f.get("status") == "ACTIVE" for f in fs)]
        return {"active_users": len(active), "checked": len(checked), "without_factor": without}

    # diff -----------------------------------------------------------------------------------
    def diff(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        out: list[Change | Finding | NoOp] = []
        out += self._enrollment(observed)
        out += self._signon(observed)
        out += self._app_policies(observed)
        out += self._admin_factors(observed)
        out += self._audit_findings(observed)
        return out

    def _enrollment(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        if "enroll_policies" not in observed:
            return []
        keys = self.args.get("enrollment_required", [])
        policies = observed["enroll_policies"]
        out: list[Change | Finding | NoOp] = [
            self.no_op(f"{len(policies)} enrollment policy(ies) checked for {', '.join(keys)}")]
        for policy in policies:
            if not _active(policy):
                continue
            target = Target(type="policy", id=policy["id"], label=f"MFA_ENROLL: {policy.get('name')}")
            settings = policy.get("settings") or {}
            if settings.get("type") == "FACTORS" or "authenticators" not in settings:
                out.append(self.finding("medium", f"Classic enrollment policy {policy.get('name')!r}: require "
                                        f"{', '.join(keys)} by hand", target, {"settings": settings}))
                continue
            current = {_enroll_path(k): get_path(policy, _enroll_path(k)) for k in keys}
            before = {path: value for path, value in current.items() if value != "REQUIRED"}
            if before:
                after = dict.fromkeys(before, "REQUIRED")
                names = ", ".join(k for k in keys if _enroll_path(k) in before)
                out.append(self.change(
                    "replace_policy", target, before, after,
                    f"enrollment policy {policy.get('name')!r} does not require {names}: users can go without "
                    "them, so a stolen password alone is enough; require them at enrollment.",
                ))
        return out

    def _signon(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        out: list[Change | Finding | NoOp] = []
        for policy in observed.get("signon_policies", []):
            out.append(self._checked(policy))
            for rule in policy.get("rules", []) if _active(policy) else []:
                signon = get_path(rule, "actions.signon") or {}
                if not _active(rule) or signon.get("access") != "ALLOW" or signon.get("requireFactor") is True:
                    continue
                before: dict[str, Any] = {REQUIRE_FACTOR: signon.get("requireFactor")}
                after: dict[str, Any] = {REQUIRE_FACTOR: True}
                if not signon.get("factorPromptMode"):
                    before[PROMPT_MODE], after[PROMPT_MODE] = None, "ALWAYS"
                out.append(self.change(
                    "replace_rule", _rule_target(policy, rule), before, after,
                    f"global session rule {rule.get('name')!r} of {policy.get('name')!r} allows a session on a "
                    "password alone; require a second factor.",
                ))
        return out

    def _checked(self, policy: dict[str, Any]) -> NoOp:
        """A policy whose rules were looked at: the rules that need nothing are those no change names."""
        target = Target(type="policy", id=str(policy.get("id")), label=policy.get("name"))
        return self.no_op(f"{policy.get('name')!r}: {len(policy.get('rules', []))} rule(s) checked", target)

    def _app_policies(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        modes = {name: str(self.args[arg]) for name, arg in APP_MODES if self.args.get(arg)}
        first = observed.get("first_party_apps", {})
        out: list[Change | Finding | NoOp] = []
        policies = observed.get("app_policies", [])
        for name in modes:
            ref = first.get(name)
            if not ref or not ref.get("policy") or not any(p["id"] == ref["policy"] for p in policies):
                out.append(self.finding(
                    "medium", f"no {FIRST_PARTY[name]!r} app sign-in policy found: check its MFA by hand", None,
                    {"app": ref, "why": "a Classic Engine org has none; on Identity Engine the app "
                                        f"{name!r} links its policy in _links.accessPolicy"}))
        for policy in policies:
            out.append(self._checked(policy))
            serves = [n for n in modes if (first.get(n) or {}).get("policy") == policy["id"]]
            if not serves or not _active(policy):
                continue
            mode, label = modes[serves[0]], " and ".join(FIRST_PARTY[n] for n in serves)
            others = [a for a in policy.get("apps", []) if a.get("name") not in serves]
            if (unallowed := [a for a in others if not self._may_share(a)]):
                out.append(self._shared_finding(policy, label, unallowed))
                continue
            out += self._app_rules(policy, label, mode, others)
        return out

    def _may_share(self, app: dict[str, Any]) -> bool:
        allowed = set(self.args.get("allow_shared_with", []))
        return "*" in allowed or app.get("label") in allowed or app.get("name") in allowed

    def _shared_finding(self, policy: dict[str, Any], label: str, apps: list[dict[str, Any]]) -> Finding:
        names = ", ".join(str(a.get("label") or a.get("name")) for a in apps)
        return self.finding(
            "high", f"the {label} sign-in policy {policy.get('name')!r} also governs {names}: harden it by hand, "
            "or give those apps their own policy", Target(type="policy", id=policy["id"], label=policy.get("name")),
            {"apps": apps, "why": "changing a shared policy changes the sign-in of every app it governs; list "
                                  "the apps in allow_shared_with to harden them together"})

    def _app_rules(self, policy: dict[str, Any], label: str, mode: str,
                   others: list[dict[str, Any]]) -> list[Change | Finding]:
        # The usual case reads as before ("Okta Admin Console rule ..."); a renamed policy says whose it is.
        who = policy.get("name") if policy.get("name") == label else f"{label} policy {policy.get('name')!r}"
        also = f" (it also governs {', '.join(str(a.get('label')) for a in others)})" if others else ""
        out: list[Change | Finding] = []
        for rule in policy.get("rules", []):
            app = get_path(rule, "actions.appSignOn") or {}
            method = app.get("verificationMethod") or {}
            if not _active(rule) or app.get("access") != "ALLOW" or method.get("factorMode") == mode:
                continue
            if method.get("type") not in (None, "ASSURANCE"):
                out.append(self.finding("low", f"{who} rule {rule.get('name')!r} uses "
                                        f"{method.get('type')}: check it requires {mode} by hand",
                                        _rule_target(policy, rule), {"verificationMethod": method}))
                continue
            before: dict[str, Any] = {FACTOR_MODE: method.get("factorMode")}
            after: dict[str, Any] = {FACTOR_MODE: mode}
            if method.get("constraints") and not _has_second_factor(method["constraints"]):
                before[CONSTRAINTS], after[CONSTRAINTS] = method["constraints"], None
            out.append(self.change(
                "replace_rule", _rule_target(policy, rule), before, after,
                f"{who} rule {rule.get('name')!r} lets people in with "
                f"{method.get('factorMode') or 'no factor mode'}; require {mode}{also}.",
            ))
        return out

    def _admin_factors(self, observed: dict[str, Any]) -> list[Finding | NoOp]:
        if "admins" not in observed:
            return []
        out: list[Finding | NoOp] = []
        with_factor = 0
        for admin in observed["admins"]:
            user = admin["user"]
            if any(f.get("status") == "ACTIVE" for f in admin.get("factors", [])):
                with_factor += 1
                continue
            if user.get("status") in INACTIVE:  # nobody can sign in: no factor needed
                continue
            severity = "critical" if user.get("status") == "ACTIVE" else "high"
            out.append(self.finding(
                severity, f"admin {login(user)} has no ACTIVE factor", user_target(user),
                {"status": user.get("status"), "roles": sorted({str(r.get("type")) for r in admin.get("roles", [])}),
                 "factors": admin.get("factors", [])},
            ))
        out.append(self.no_op(f"{with_factor} of {len(observed['admins'])} admin(s) have an ACTIVE factor"))
        return out

    def _audit_findings(self, observed: dict[str, Any]) -> list[Finding | NoOp]:
        audit = observed.get("audit")
        if not audit:
            return []
        checked = self.no_op(f"audit: {audit['checked']} of {audit['active_users']} ACTIVE user(s) checked")
        if not audit.get("without_factor"):
            return [checked]
        partial = audit["checked"] < audit["active_users"]
        return [checked, self.finding(
            "high", f"{len(audit['without_factor'])} ACTIVE user(s) without an ACTIVE factor"
            + (f" among {audit['checked']} checked of {audit['active_users']}" if partial else ""),
            None, audit,
        )]

    # apply ----------------------------------------------------------------------------------
    def _target(self, change: Change) -> tuple[Endpoint, Endpoint, tuple[str, ...]]:
        """The read and the write of a change's policy or rule, and their path values."""
        if change.action == "replace_policy":
            return ep.POLICY, ep.REPLACE_POLICY, (change.target.id,)
        if change.action == "replace_rule":
            policy_id, rule_id = change.target.id.split("/", 1)
            return ep.POLICY_RULE, ep.REPLACE_POLICY_RULE, (policy_id, rule_id)
        raise InputError(f"{self.name}: the plan names an action this kind does not make: {change.action!r}")

    async def current(self, ctx: TenantContext, change: Change) -> dict[str, Any]:
        read, _, values = self._target(change)
        return project((await ctx.reads.fresh(read, *values)).body, change.before)

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        read, write, values = self._target(change)
        body = (await ctx.reads.fresh(read, *values)).body
        for field, value in change.after.items():
            body = set_path(body, field, value)
        body.pop("_links", None)
        body.pop("_embedded", None)
        resp = await write.send(ctx.client, *values, json=body)
        return Applied(request_id=resp.request_id, detail={"changed": sorted(change.after)})


def _pick(obj: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {k: obj[k] for k in fields if k in obj}

"""The machine-readable list of what scenario lapsus-2022 planted (`snapshot["scenario"]["planted"]`).

Computed from the finished snapshot with the rules the playbook's kinds state (issue 4), not
from the generator's intentions, so manifest and data cannot drift apart. Lists are sorted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from remediator.sandbox.rows import RowMap, field, raw_values

if TYPE_CHECKING:
    from remediator.sandbox.scenarios.lapsus_2022 import _Tenant

BREACH = "2022-01-21T00:00:00.000Z"  # Okta's timestamp format compares as text
_GONE = ("DEPROVISIONED", "SUSPENDED")
_AWAITING = ("RECOVERY", "PASSWORD_EXPIRED")


def _active_factor(factors: Iterable[Any] | None) -> bool:
    """Whether one of a user's stored factors (dicts or rows) is ACTIVE."""
    return any(field(f, "status") == "ACTIVE" for f in factors or ())


def manifest(t: _Tenant, snap: dict[str, Any], log_tags: dict[str, dict[str, list[str]]]) -> dict[str, Any]:
    # users and factors as stored (compact rows stay rows): a user is opened only where its JSON is read
    users = RowMap((field(u, "id"), u) for u in raw_values(snap["users"]))
    factors = snap["factors"]
    factors = factors if isinstance(factors, RowMap) else RowMap(factors)
    holdings: dict[str, list[dict[str, Any]]] = {}
    late_grants: list[dict[str, Any]] = []
    for uid, roles in snap["user_roles"].items():
        for r in roles:
            holdings.setdefault(uid, []).append({"type": r["type"], "via": "USER", "role_id": r["id"],
                                                 "created": r["created"]})
            if r["created"] >= BREACH:
                late_grants.append({"assignment_type": "USER", "assignee": uid, "members": [uid], "role_id": r["id"],
                                    "type": r["type"], "created": r["created"]})
    for gid, roles in snap["group_roles"].items():
        members = snap["group_members"].get(gid, [])
        for r in roles:
            for uid in members:
                holdings.setdefault(uid, []).append({"type": r["type"], "via": gid, "role_id": r["id"],
                                                     "created": r["created"]})
            if r["created"] >= BREACH:
                late_grants.append({"assignment_type": "GROUP", "assignee": gid, "members": sorted(members),
                                    "role_id": r["id"], "type": r["type"], "created": r["created"]})
    admins = {uid: {"login": users[uid]["profile"]["login"], "status": users[uid]["status"],
                    "created": users[uid]["created"], "passwordChanged": users[uid]["passwordChanged"],
                    "roles": held} for uid, held in sorted(holdings.items())}

    def awaiting_since(u: dict) -> bool:
        return u["status"] in _AWAITING and (u["statusChanged"] or "") >= BREACH

    needing, rotated, edge = [], [], {}
    for uid in admins:
        u = users[uid]
        if u["status"] in _GONE or awaiting_since(u):
            edge[uid] = u["status"]
        elif u["passwordChanged"] is None or u["passwordChanged"] < BREACH:
            needing.append(uid)
        elif u["created"] < BREACH:
            rotated.append(uid)
    new_admins = sorted(uid for uid in admins if users[uid]["created"] >= BREACH)
    without = sorted(uid for uid in admins if not _active_factor(factors.raw(uid)))
    users_without = sorted(uid for uid, u in users.raw_items() if field(u, "status") == "ACTIVE"
                           and not _active_factor(factors.raw(uid)))
    operator = snap["operator"]
    late_tokens = sorted(tk["id"] for tk in snap["api_tokens"] if tk["created"] >= BREACH)
    operator_tokens = sorted(tk["id"] for tk in snap["api_tokens"] if tk["userId"] == operator)
    cases = {c["impersonation"]["status"]: c["caseNumber"] for c in snap["support_cases"]}

    weak: dict[str, list[dict[str, Any]]] = {"global_session": [], "admin_console": [], "dashboard": [],
                                             "mfa_enroll": []}
    compliant: list[dict[str, Any]] = []
    for pol in snap["policies"]:
        pid = pol["id"]
        if pol["type"] == "MFA_ENROLL":
            keys = [a["key"] for a in pol["settings"]["authenticators"] if a["enroll"]["self"] != "REQUIRED"]
            if len(keys) == len(pol["settings"]["authenticators"]):
                weak["mfa_enroll"].append({"policy_id": pid, "not_required": keys})
            continue
        for r in snap["policy_rules"].get(pid, []):
            ref = {"policy_id": pid, "policy": pol["name"], "rule_id": r["id"], "rule": r["name"]}
            if pol["type"] == "OKTA_SIGN_ON":
                signon = r["actions"]["signon"]
                if signon["access"] == "ALLOW" and not signon.get("requireFactor"):
                    weak["global_session"].append(ref)
                else:
                    compliant.append(ref)
            elif pol["type"] == "ACCESS_POLICY" and pol["name"] in ("Okta Admin Console", "Okta Dashboard"):
                app = r["actions"]["appSignOn"]
                if app["access"] == "ALLOW" and app["verificationMethod"].get("factorMode") != "2FA":
                    weak["admin_console" if pol["name"] == "Okta Admin Console" else "dashboard"].append(ref)

    attacker, context, legit = log_tags["attacker"], log_tags["context"], log_tags["legit"]
    planted_uuids = sorted(u for group in (attacker, context, legit) for uuids in group.values() for u in uuids)
    s = t.special
    return {
        "breach_date": BREACH,
        "hunt_since": "2022-01-14T00:00:00.000Z",
        "operator_id": operator,
        "operator_login": users[operator]["profile"]["login"],
        "break_glass_login": s["break_glass"].login,
        "break_glass_id": s["break_glass"].uid,
        "attack_victim": s["victim"].uid,
        "admins": admins,
        "admin_count": len(admins),
        "admins_needing_rotation": needing,
        "admins_rotated_since": rotated,
        "admins_edge_status": edge,
        "new_admins": new_admins,
        "late_role_grants": sorted(late_grants, key=lambda g: (g["created"], g["assignee"])),
        "late_role_grants_to_old_accounts": sorted(
            {m for g in late_grants for m in g["members"] if users[m]["created"] < BREACH}),
        "rogue_groups": sorted(g["assignee"] for g in late_grants if g["assignment_type"] == "GROUP"),
        "admin_groups": {gid: [r["type"] for r in roles] for gid, roles in sorted(snap["group_roles"].items())},
        "admins_without_factor": without,
        "admins_without_factor_active": [uid for uid in without if users[uid]["status"] == "ACTIVE"],
        "users_without_factor": users_without,
        "users_without_factor_count": len(users_without),
        "okta_support_enabled": {"support": snap["okta_support"]["support"],
                                 "expiration": snap["okta_support"]["expiration"]},
        "support_cases_enabled": [cases["ENABLED"]],
        "support_cases_requested": [cases["REQUESTED"]],
        "support_cases_other": sorted(cases[k] for k in ("NOT_REQUESTED", "DISABLED")),
        "api_tokens_after_breach": late_tokens,
        "rogue_api_tokens": sorted(set(late_tokens) - set(operator_tokens)),
        "operator_token": operator_tokens[0],
        "rogue_idps": sorted(i["id"] for i in snap["idps"] if i["created"] >= BREACH),
        "weak_policies": weak,
        "policies_compliant": compliant,
        "attacker_log_uuids": {k: sorted(v) for k, v in sorted(attacker.items())},
        "attacker_context_log_uuids": {k: sorted(v) for k, v in sorted(context.items())},
        "legit_post_breach_log_uuids": {k: sorted(v) for k, v in sorted(legit.items())},
        "planted_log_uuids": planted_uuids,
    }

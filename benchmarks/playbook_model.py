"""The minimal-call model of any shipped playbook's plan and apply, derived from the facts layer (issue 14).

Why: `model.plan_calls` counts the LAPSUS$ playbook by hand; four more playbooks read apps, zones, policies,
rules, settings, ThreatInsight and selectors. Here each state's kind and arguments name the reads it needs as
`Read`s: an endpoint of `remediator/facts/endpoints.py` (whose method and path give the rate-limit bucket,
`remediator.okta.buckets.bucket_for`), the key the facts layer memoises it by (a read shared by several states
is made once per run), and how many objects it lists (from the tenant's own counts, `tenant_counts`), paged at
the largest page the API allows. Nothing here looks at what the client did.

Pure functions only: `tenant_counts(snapshot)` reduces a scenario snapshot to `TenantCounts` (the sandbox
process publishes them); `plan_reads(states, counts)` and `plan_calls(...)` give the plan's model;
`apply_calls(changes)` the writes an apply makes for a plan's changes.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from benchmarks.model import ASSIGNEES_PAGE, EVENTS_PAGE, GROUP_MEMBERS_PAGE, pages, types_and_times
from remediator.facts import endpoints as ep
from remediator.facts.endpoints import Endpoint
from remediator.kinds.org_settings import SETTINGS
from remediator.okta.buckets import bucket_for
from remediator.sandbox import rows
from remediator.timeutil import format_time, parse_time

APPS_PAGE = 200
ZONES_PAGE = 1000
POLICIES_PAGE = 200
LIST_PAGE = 200        # api tokens, idps, log streams: one page holds every object of a tenant this size
#: How far back the System Log reaches (the kinds read events since max(date, now - 90 days)).
RETENTION = timedelta(days=90)
#: Event types each log-reading kind asks for (its filter, e.g. `remediator/kinds/new_admins.GRANT_FILTER`).
GRANTS = ("user.account.privilege.grant", "group.privilege.grant",
          "user.account.privilege.revoke", "group.privilege.revoke")
CLEARS = ("user.session.clear",)
RESETS = ("user.mfa.factor.reset_all",)
TRACKED_EVENTS = GRANTS + CLEARS + RESETS
#: States measured on their own (the archive and the hunt have their own rows).
EXCLUDED_KINDS = ("okta.system_log_archive", "okta.system_log_hunt")
#: First-party apps a policy rule state names by `name` (a `filter`); any other value is an app's label (a `q`).
FIRST_PARTY_APPS = ("saasure", "okta_enduser")


@dataclass(frozen=True)
class TenantCounts:
    """What a plan's reads depend on, counted from the tenant's data (never from a client's calls)."""

    users: int
    now: str                                   # the tenant's clock when generated
    admins: dict[str, str]                     # user id -> status: users holding a role, directly or via a group
    role_groups: dict[str, int]                # group holding a role -> members (read when an admin names it)
    apps: list[dict[str, Any]]                 # {name, label, status, policy}
    policies: list[dict[str, Any]]             # {id, type, name}
    zones: int
    api_tokens: int
    idps: int
    log_streams: int
    events: dict[str, list[str]] = field(default_factory=dict)  # tracked eventType -> published times, sorted

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TenantCounts:
        return cls(**dict(data))


def tenant_counts(snapshot: Mapping[str, Any]) -> TenantCounts:
    """The counts of a scenario snapshot (its `logs` may be a compact `EventLog`: only tracked types are kept).
    Users and events are read as stored: a served tenant's compact rows are not opened."""
    users = {rows.field(u, "id"): u for u in rows.raw_values(snapshot.get("users") or ())}
    group_roles = snapshot.get("group_roles") or {}
    members = snapshot.get("group_members") or {}
    admins = {uid: rows.field(users[uid], "status") for uid, roles in (snapshot.get("user_roles") or {}).items()
              if roles and uid in users}
    role_groups = {}
    for gid, roles in group_roles.items():
        held = [uid for uid in members.get(gid) or () if uid in users]
        if roles and held:
            role_groups[gid] = len(held)
            admins.update((uid, rows.field(users[uid], "status")) for uid in held)
    events: dict[str, list[str]] = {t: [] for t in TRACKED_EVENTS}
    for event_type, published in types_and_times(snapshot.get("logs") or ()):
        if event_type in events:
            events[event_type].append(published)
    apps = [{"name": a.get("name"), "label": a.get("label"), "status": a.get("status"),
             "policy": _policy_of(a)} for a in snapshot.get("apps") or ()]
    return TenantCounts(
        users=len(users), now=str(snapshot["scenario"]["clock"]), admins=dict(sorted(admins.items())),
        role_groups=role_groups, apps=apps,
        policies=[{"id": p["id"], "type": p.get("type"), "name": p.get("name")}
                  for p in snapshot.get("policies") or ()],
        zones=len(snapshot.get("network_zones") or ()), api_tokens=len(snapshot.get("api_tokens") or ()),
        idps=len(snapshot.get("idps") or ()), log_streams=len(snapshot.get("log_streams") or ()),
        events={t: sorted(v) for t, v in events.items()})


def _policy_of(app: Mapping[str, Any]) -> str | None:
    href = ((app.get("_links") or {}).get("accessPolicy") or {}).get("href")
    return str(href).rsplit("/", 1)[1] if href else None


@dataclass(frozen=True)
class Read:
    """One read the plan needs: `endpoint` with its placeholder `values`, memoised under `key`; `items` listed
    (paged `page` a call) or, when None, one object."""

    endpoint: Endpoint
    values: tuple[str, ...]
    key: Hashable
    items: int | None = None
    page: int = 1

    @property
    def calls(self) -> int:
        return 1 if self.items is None else pages(self.items, self.page)

    @property
    def bucket(self) -> str:
        return bucket_for(self.endpoint.method, self.endpoint.path(*self.values))


def _one(endpoint: Endpoint, *values: str, key: Hashable = None) -> Read:
    return Read(endpoint, values, key if key is not None else (endpoint.template, values))


def _list(endpoint: Endpoint, items: int, page: int, *values: str, key: Hashable = None) -> Read:
    return Read(endpoint, values, key if key is not None else (endpoint.template, values), items, page)


# ---- shared facts --------------------------------------------------------------------------------------------
def session_reads() -> list[Read]:
    """What every run reads: the org (which tenant this is)."""
    return [_one(ep.ORG)]


def me_reads() -> list[Read]:
    return [_one(ep.USER, "me")]


def admin_reads(c: TenantCounts) -> list[Read]:
    """The admin list: the assignees (100 a page), each one's user and roles, each role group's members."""
    out = [_list(ep.ROLE_ASSIGNEES, len(c.admins), ASSIGNEES_PAGE)]
    for uid in c.admins:
        out += [_one(ep.USER, uid), _one(ep.USER_ROLES, uid)]
    out += [_list(ep.GROUP_MEMBERS, n, GROUP_MEMBERS_PAGE, gid) for gid, n in c.role_groups.items()]
    return out


def event_reads(c: TenantCounts, types: tuple[str, ...], since: str) -> list[Read]:
    """One filtered System Log query from max(since, now - 90 days) to now, 1,000 events a page."""
    now = parse_time(c.now)
    start = max(parse_time(since), now - RETENTION)
    if start >= now:
        return []
    lo = format_time(start)
    n = sum(1 for t in types for published in c.events.get(t, ()) if published >= lo)
    return [_list(ep.LOGS, n, EVENTS_PAGE, key=("events", types, lo))]


def _live_admins(c: TenantCounts) -> list[str]:
    return [uid for uid, status in c.admins.items() if status != "DEPROVISIONED"]


def _policies(c: TenantCounts, type_: str) -> list[dict[str, Any]]:
    return [p for p in c.policies if p["type"] == type_]


def _policy_list(c: TenantCounts, type_: str) -> Read:
    return _list(ep.POLICIES, len(_policies(c, type_)), POLICIES_PAGE, key=("policies", type_))


def _rules(policy_ids: Iterable[str]) -> list[Read]:
    return [_one(ep.POLICY_RULES, pid) for pid in policy_ids]


def _app_policy_reads(c: TenantCounts, app: str) -> list[Read]:
    """An app's sign-in policy: the app by name (`filter`, one page) or label (`q`), the ACCESS_POLICY list, the
    rules of the policies those apps link."""
    if app in FIRST_PARTY_APPS:
        found = [a for a in c.apps if a["name"] == app]
    else:
        found = [a for a in c.apps if str(a["label"] or "").casefold() == app.casefold()]
    out = [_list(ep.APPS, len(found), APPS_PAGE, key=("apps", app))]
    ids = {a["policy"] for a in found} - {None}
    if ids:
        out.append(_policy_list(c, "ACCESS_POLICY"))
        out += _rules(p["id"] for p in _policies(c, "ACCESS_POLICY") if p["id"] in ids)
    return out


def _active_apps(c: TenantCounts) -> Read:
    return _list(ep.APPS, sum(1 for a in c.apps if a["status"] == "ACTIVE"), APPS_PAGE, key=("apps", "ACTIVE"))


# ---- each kind ------------------------------------------------------------------------------------------------
def _selector(c: TenantCounts, users: Mapping[str, Any]) -> tuple[list[Read], list[str]]:
    """A user selector's reads and the users it selects; the shipped playbooks select `admins: true`."""
    if set(users) != {"admins"} or users["admins"] is not True:
        raise ValueError(f"selector {dict(users)!r}: the playbook model covers `admins: true` only "
                         "(model.selector_calls counts the others)")
    return admin_reads(c), list(c.admins)


def state_reads(kind: str, args: Mapping[str, Any], c: TenantCounts) -> list[Read]:
    """The fewest reads planning one state needs (before memoisation across states)."""
    if kind in ("manual", *EXCLUDED_KINDS):
        return []
    if kind == "okta.support_access":
        return [_one(ep.ORG_SUPPORT), _one(ep.SUPPORT_CASES)]
    if kind in ("okta.admin_passwords",):
        return [*admin_reads(c), *me_reads()]
    if kind == "okta.new_admins":
        return [*admin_reads(c), *me_reads(), *event_reads(c, GRANTS, args["created_after"])]
    if kind == "okta.admin_sessions":
        return [*admin_reads(c), *me_reads(), *event_reads(c, CLEARS, args["cleared_after"])]
    if kind == "okta.user_sessions":
        reads, _ = _selector(c, args["users"])
        return [*reads, *me_reads(), *event_reads(c, CLEARS, args["cleared_after"])]
    if kind == "okta.user_factors":
        reads, _ = _selector(c, args["users"])
        reads += [_one(ep.USER_FACTORS, uid) for uid in _live_admins(c)]
        if args.get("only_after_reset"):
            reads += event_reads(c, RESETS, args["enrolled_after"])
        return [*reads, *me_reads()]
    if kind == "okta.admin_roles":
        return [*admin_reads(c), *me_reads(), *(_one(ep.GROUP, gid) for gid in c.role_groups)]
    if kind == "okta.api_tokens":
        zones = [_list(ep.ZONES, c.zones, ZONES_PAGE)] if args.get("network") else []
        return [_list(ep.API_TOKENS, c.api_tokens, LIST_PAGE), *me_reads(), *zones]
    if kind == "okta.identity_providers":
        return [_list(ep.IDPS, c.idps, LIST_PAGE)]
    if kind == "okta.apps":
        return [_active_apps(c)]
    if kind == "okta.org_settings":
        return [_one(s.read, *s.values) for s in SETTINGS if any(a in args for a in s.fields)]
    if kind == "okta.threat_insight":
        zones = [_list(ep.ZONES, c.zones, ZONES_PAGE)] if "exempt_zones" in args else []
        return [_one(ep.THREAT_INSIGHT), *zones]
    if kind == "okta.network_zone":
        if args.get("status", "ACTIVE") == "INACTIVE":
            raise ValueError("okta.network_zone deactivating a zone: model.zone_plan_calls counts it")
        return [_list(ep.ZONES, c.zones, ZONES_PAGE)]
    if kind == "okta.policy":
        return [_policy_list(c, args["type"])]
    if kind == "okta.policy_rule":
        wanted = args["policy"]
        if "app" in wanted:
            return _app_policy_reads(c, wanted["app"])
        named = [p["id"] for p in _policies(c, wanted["type"]) if p["name"] == wanted["name"]]
        return [_policy_list(c, wanted["type"]), *_rules(named)]
    if kind == "okta.log_streams":
        return [_list(ep.LOG_STREAMS, c.log_streams, LIST_PAGE)]
    if kind == "okta.mfa":
        return _mfa_reads(args, c)
    raise ValueError(f"{kind}: not in the playbook model")


def _mfa_reads(args: Mapping[str, Any], c: TenantCounts) -> list[Read]:
    out: list[Read] = []
    if args.get("enrollment_required"):
        out.append(_policy_list(c, "MFA_ENROLL"))
    if args.get("global_session_require_factor", True):
        out += [_policy_list(c, "OKTA_SIGN_ON"), *_rules(p["id"] for p in _policies(c, "OKTA_SIGN_ON"))]
    apps = [name for name, arg in (("saasure", "admin_console_factor_mode"), ("okta_enduser", "dashboard_factor_mode"))
            if args.get(arg)]
    if apps:
        out.append(_list(ep.APPS, len(c.apps), APPS_PAGE, key=("apps", None)))  # every app: who each policy governs
        linked = {a["policy"] for a in c.apps if a["name"] in apps} - {None}
        if linked:
            out.append(_policy_list(c, "ACCESS_POLICY"))
            out += _rules(p["id"] for p in _policies(c, "ACCESS_POLICY") if p["id"] in linked)
    if args.get("admins_require_factor", True):
        out += [*admin_reads(c), *me_reads(), *(_one(ep.USER_FACTORS, uid) for uid in c.admins)]
    if args.get("audit_all_users"):
        raise ValueError("okta.mfa audit_all_users: lists every user; not in the playbook model")
    return out


def plan_reads(states: Iterable[tuple[str, Mapping[str, Any]]], c: TenantCounts) -> list[Read]:
    """Every read a plan of these (kind, args) states needs, each memoised read once."""
    seen: dict[Hashable, Read] = {}
    for read in [*session_reads(), *(r for kind, args in states for r in state_reads(kind, args, c))]:
        seen.setdefault(read.key, read)
    return list(seen.values())


def plan_calls(states: Iterable[tuple[str, Mapping[str, Any]]], c: TenantCounts) -> dict[str, int]:
    """Fewest calls per rate-limit bucket for the plan of these states."""
    calls: dict[str, int] = {}
    for read in plan_reads(states, c):
        calls[read.bucket] = calls.get(read.bucket, 0) + read.calls
    return calls


# ---- apply -------------------------------------------------------------------------------------------------------
#: The writes one change of (kind, action) makes, in `remediator/facts/endpoints.py`'s terms.
WRITES: dict[str, tuple[Endpoint, ...]] = {
    "okta.support_access:revoke": (ep.REVOKE_SUPPORT,),
    "okta.support_access:disable_case_impersonation": (ep.UPDATE_SUPPORT_CASE,),
    "okta.user_sessions:clear_sessions": (ep.CLEAR_SESSIONS,),
    "okta.admin_sessions:clear_sessions": (ep.CLEAR_SESSIONS,),
    "okta.new_admins:suspend": (ep.SUSPEND_USER,),
    "okta.admin_passwords:reset_password": (ep.RESET_PASSWORD,),
    "okta.admin_passwords:expire_password": (ep.EXPIRE_PASSWORD,),
    "okta.api_tokens:revoke": (ep.REVOKE_API_TOKEN,),
    "okta.apps:deactivate": (ep.DEACTIVATE_APP,),
    "okta.identity_providers:deactivate": (ep.DEACTIVATE_IDP,),
    "okta.user_factors:unenroll_factor": (ep.UNENROLL_FACTOR,),
    "okta.admin_roles:unassign_role": (ep.UNASSIGN_USER_ROLE,),
    "okta.org_settings:update_setting": (ep.REPLACE_FIRST_PARTY_APP_SETTINGS,),  # bucket: catch_all, as every setting
    "okta.threat_insight:update_configuration": (ep.UPDATE_THREAT_INSIGHT,),
    "okta.network_zone:create": (ep.CREATE_ZONE,),
    "okta.policy:replace_policy": (ep.REPLACE_POLICY,),
    "okta.policy_rule:replace_rule": (ep.REPLACE_POLICY_RULE,),
    "okta.mfa:replace_policy": (ep.REPLACE_POLICY,),
    "okta.mfa:replace_rule": (ep.REPLACE_POLICY_RULE,),
}
#: The further write of a follow-up step (`Kind.follow_ups`: e.g. the sessions cleared after a suspension).
FOLLOW_UPS: dict[str, tuple[Endpoint, ...]] = {"clear_sessions": (ep.CLEAR_SESSIONS,)}
_SAMPLE_ID = "00u0000000000000000"


def apply_calls(actions: Mapping[str, int]) -> dict[str, int]:
    """One write per change and per follow-up step: `actions` counts a plan's changes by "kind:action" and their
    steps by "kind:action/step" (the apply's input, `workloads.planned_writes`)."""
    calls: dict[str, int] = {}
    for action, n in actions.items():
        step = action.partition("/")[2]
        writes = FOLLOW_UPS.get(step) if step else WRITES.get(action)
        if writes is None:
            raise ValueError(f"{action}: no write declared in the playbook model")
        for write in writes:
            values = [_SAMPLE_ID] * write.template.count("{")
            bucket = bucket_for(write.method, write.path(*values))
            calls[bucket] = calls.get(bucket, 0) + n
    return calls

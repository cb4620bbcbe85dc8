"""The minimal-call model of any shipped playbook's plan and apply, derived from the facts layer (issue 14).

Why: `model.plan_calls` counts the LAPSUS$ playbook by hand; four more playbooks read apps, zones, policies,
rules, settings, ThreatInsight and selectors. Here each state's kind and arguments name the reads it needs as
`Read`s: an endpoint of `remediator/facts/endpoints.py` (whose method and path give the rate-limit bucket,
`remediator.okta.buckets.bucket_for`), the key the facts layer memoises it by (a read shared by several states
is made once per run), and how many objects it lists (from the tenant's own counts, `tenant_counts`), paged at
the largest page the API allows. Nothing here looks at what the client did.

Pure functions only: `tenant_counts(snapshot)` reduces a scenario snapshot to `TenantCounts` (the sandbox
process publishes them); `plan_reads(states, counts)` and `plan_calls(...)` give the plan's model;
`apply_calls(writes)` the writes an apply makes for a plan's changes, `apply_reread_calls(...)` the re-read it
must make first (issue 9: apply re-decides every planned change on a fresh read; the kinds that opt in,
`Kind.targeted`, re-read only the planned targets, `remediator.facts.TargetedReads`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from benchmarks.model import ASSIGNEES_PAGE, EVENTS_PAGE, GROUP_MEMBERS_PAGE, pages, types_and_times
from remediator.facts import endpoints as ep
from remediator.facts.endpoints import Endpoint
from remediator.kinds import REGISTRY
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
    operator: str = ""                         # the token owner's id
    super_admins: list[str] = field(default_factory=list)  # ACTIVE users holding SUPER_ADMIN (directly or a group)
    idp_groups: list[str] = field(default_factory=list)    # groups ACTIVE IdPs link or provision into (okta.idp_reach)
    idp_routes_out: bool = False                           # an ACTIVE IdP routing rule names an IdP other than Okta

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
    supers = {uid for uid, roles in (snapshot.get("user_roles") or {}).items() if _super(roles)}
    role_groups = {}
    for gid, roles in group_roles.items():
        held = [uid for uid in members.get(gid) or () if uid in users]
        if roles and held:
            role_groups[gid] = len(held)
            admins.update((uid, rows.field(users[uid], "status")) for uid in held)
            supers.update(held if _super(roles) else ())
    events: dict[str, list[str]] = {t: [] for t in TRACKED_EVENTS}
    for event_type, published in types_and_times(snapshot.get("logs") or ()):
        if event_type in events:
            events[event_type].append(published)
    apps = [{"name": a.get("name"), "label": a.get("label"), "status": a.get("status"),
             "policy": _policy_of(a)} for a in snapshot.get("apps") or ()]
    return TenantCounts(
        users=len(users), now=str(snapshot["scenario"]["clock"]), admins=dict(sorted(admins.items())),
        role_groups=role_groups, apps=apps,
        policies=[{"id": p["id"], "type": p.get("type"), "name": p.get("name"), "status": p.get("status")}
                  for p in snapshot.get("policies") or ()],
        zones=len(snapshot.get("network_zones") or ()), api_tokens=len(snapshot.get("api_tokens") or ()),
        idps=len(snapshot.get("idps") or ()), log_streams=len(snapshot.get("log_streams") or ()),
        events={t: sorted(v) for t, v in events.items()}, operator=str(snapshot.get("operator") or ""),
        super_admins=sorted(uid for uid in supers if uid in users and rows.field(users[uid], "status") == "ACTIVE"),
        idp_groups=_idp_groups(snapshot), idp_routes_out=_idp_routes_out(snapshot))


def _idp_groups(snapshot: Mapping[str, Any]) -> list[str]:
    """The groups ACTIVE IdPs name: `accountLink.filter.groups.include`, and `provisioning.groups` `assignments`
    (ASSIGN) or `filter` (APPEND, SYNC)."""
    out: set[str] = set()
    for idp in snapshot.get("idps") or ():
        if idp.get("status") != "ACTIVE":
            continue
        policy = idp.get("policy") or {}
        out.update((((policy.get("accountLink") or {}).get("filter") or {}).get("groups") or {}).get("include") or ())
        groups = (policy.get("provisioning") or {}).get("groups") or {}
        key = {"ASSIGN": "assignments", "APPEND": "filter", "SYNC": "filter"}.get(str(groups.get("action")))
        out.update(groups.get(key) or () if key else ())
    return sorted(out)


def _idp_routes_out(snapshot: Mapping[str, Any]) -> bool:
    active = {p["id"] for p in snapshot.get("policies") or ()
              if p.get("type") == "IDP_DISCOVERY" and p.get("status") == "ACTIVE"}
    return any(r.get("status") == "ACTIVE" and p.get("type") != "OKTA"
               for pid in active for r in (snapshot.get("policy_rules") or {}).get(pid) or ()
               for p in ((r.get("actions") or {}).get("idp") or {}).get("providers") or ())


def _super(roles: Iterable[Mapping[str, Any]]) -> bool:
    return any(r.get("type") == "SUPER_ADMIN" and r.get("status", "ACTIVE") == "ACTIVE" for r in roles)


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


@dataclass(frozen=True)
class AdminView:
    """The admins a kind sees and what reading them costs: the whole admin list when planning, the state's
    planned targets read by id when apply re-decides a targeted kind (`TargetedReads.admins`)."""

    reads: list[Read]
    ids: list[str]


def full_admins(c: TenantCounts) -> AdminView:
    return AdminView(admin_reads(c), list(c.admins))


def targeted_admins(c: TenantCounts, targets: Iterable[str]) -> AdminView:
    targets = sorted(set(targets))
    reads = [r for uid in targets for r in (_one(ep.USER, uid), _one(ep.USER_ROLES, uid))]
    return AdminView(reads, [uid for uid in targets if uid in c.admins])


def event_reads(c: TenantCounts, types: tuple[str, ...], since: str) -> list[Read]:
    """One filtered System Log query from max(since, now - 90 days) to now, 1,000 events a page."""
    now = parse_time(c.now)
    start = max(parse_time(since), now - RETENTION)
    if start >= now:
        return []
    lo = format_time(start)
    n = sum(1 for t in types for published in c.events.get(t, ()) if published >= lo)
    return [_list(ep.LOGS, n, EVENTS_PAGE, key=("events", types, lo))]


def _live(c: TenantCounts, ids: Iterable[str]) -> list[str]:
    return [uid for uid in ids if c.admins.get(uid) != "DEPROVISIONED"]


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
def _selector(users: Mapping[str, Any], view: AdminView) -> list[Read]:
    """A user selector's reads; the shipped playbooks select `admins: true` (the admins the view holds)."""
    if set(users) != {"admins"} or users["admins"] is not True:
        raise ValueError(f"selector {dict(users)!r}: the playbook model covers `admins: true` only "
                         "(model.selector_calls counts the others)")
    return view.reads


def state_reads(kind: str, args: Mapping[str, Any], c: TenantCounts, view: AdminView | None = None) -> list[Read]:
    """The fewest reads deciding one state needs (before memoisation across states), seeing the admins of
    `view` (default: every admin, as planning does)."""
    view = view or full_admins(c)
    if kind in ("manual", *EXCLUDED_KINDS):
        return []
    if kind == "okta.support_access":
        return [_one(ep.ORG_SUPPORT), _one(ep.SUPPORT_CASES)]
    if kind in ("okta.admin_passwords",):
        return [*view.reads, *me_reads()]
    if kind == "okta.new_admins":
        return [*view.reads, *me_reads(), *event_reads(c, GRANTS, args["created_after"])]
    if kind == "okta.admin_sessions":
        return [*view.reads, *me_reads(), *event_reads(c, CLEARS, args["cleared_after"])]
    if kind == "okta.user_sessions":
        return [*_selector(args["users"], view), *me_reads(), *event_reads(c, CLEARS, args["cleared_after"])]
    if kind == "okta.user_factors":
        reads = [*_selector(args["users"], view), *(_one(ep.USER_FACTORS, uid) for uid in _live(c, view.ids))]
        if args.get("only_after_reset"):
            reads += event_reads(c, RESETS, args["enrolled_after"])
        return [*reads, *me_reads()]
    if kind == "okta.admin_roles":
        return [*view.reads, *me_reads(), *(_one(ep.GROUP, gid) for gid in c.role_groups)]
    if kind == "okta.api_tokens":
        zones = [_list(ep.ZONES, c.zones, ZONES_PAGE)] if args.get("network") else []
        return [_list(ep.API_TOKENS, c.api_tokens, LIST_PAGE), *me_reads(), *zones]
    if kind == "okta.identity_providers":
        return [_list(ep.IDPS, c.idps, LIST_PAGE)]
    if kind == "okta.idp_reach":
        routing = [p["id"] for p in _policies(c, "IDP_DISCOVERY") if p.get("status") == "ACTIVE"]
        reads = [_list(ep.IDPS, c.idps, LIST_PAGE), _policy_list(c, "IDP_DISCOVERY"), *_rules(routing)]
        reads += [r for gid in c.idp_groups for r in (_one(ep.GROUP, gid), _one(ep.GROUP_ROLES, gid))]
        return [*reads, *(view.reads if c.idp_routes_out else ())]
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
        return _mfa_reads(args, c, view)
    raise ValueError(f"{kind}: not in the playbook model")


def _mfa_reads(args: Mapping[str, Any], c: TenantCounts, view: AdminView) -> list[Read]:
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
        out += [*view.reads, *me_reads(), *(_one(ep.USER_FACTORS, uid) for uid in view.ids)]
    if args.get("audit_all_users"):
        raise ValueError("okta.mfa audit_all_users: lists every user; not in the playbook model")
    return out


def _once(reads: Iterable[Read]) -> list[Read]:
    """Each memoised read once (the facts layer's memo: one run reads an endpoint with a key once)."""
    seen: dict[Hashable, Read] = {}
    for read in reads:
        seen.setdefault(read.key, read)
    return list(seen.values())


def by_bucket(reads: Iterable[Read]) -> dict[str, int]:
    calls: dict[str, int] = {}
    for read in reads:
        calls[read.bucket] = calls.get(read.bucket, 0) + read.calls
    return calls


def plan_reads(states: Iterable[tuple[str, Mapping[str, Any]]], c: TenantCounts) -> list[Read]:
    """Every read a plan of these (kind, args) states needs, each memoised read once."""
    return _once([*session_reads(), *(r for kind, args in states for r in state_reads(kind, args, c))])


def plan_calls(states: Iterable[tuple[str, Mapping[str, Any]]], c: TenantCounts) -> dict[str, int]:
    """Fewest calls per rate-limit bucket for the plan of these states."""
    return by_bucket(plan_reads(states, c))


# ---- the apply's re-read (issue 9) -------------------------------------------------------------------------
#: The read each change of (kind, action) makes just before its write: a `PUT` replaces the whole object, so the
#: policy, rule or setting is read again then (`kinds/policies.replace`, `org_settings`, `threat_insight`).
PRE_WRITE: dict[str, Endpoint | None] = {
    "okta.policy:replace_policy": ep.POLICY,
    "okta.mfa:replace_policy": ep.POLICY,
    "okta.policy_rule:replace_rule": ep.POLICY_RULE,
    "okta.mfa:replace_rule": ep.POLICY_RULE,
    "okta.threat_insight:update_configuration": ep.THREAT_INSIGHT,
    "okta.org_settings:update_setting": None,  # the setting the change names: one `catch_all` read too
}
#: Users read at once while looking for a super admin no change targets (`facts.reads.WITNESS_BATCH`).
WITNESS_BATCH = 10


def _targeted(kind: str) -> bool:
    return bool(getattr(REGISTRY[kind], "targeted", False))


def _reads_super_admins(kind: str) -> bool:
    """The kinds whose `read` asks for the active super admins (the last-super-admin check)."""
    return kind in ("okta.new_admins", "okta.group_members") or bool(
        getattr(REGISTRY[kind], "guards_super_admins", False))


def witness_reads(c: TenantCounts, planned: set[str]) -> list[Read]:
    """The active super admins at apply (`TargetedReads.active_super_admins`): each planned user target by id,
    then a super admin no change targets: the token owner (its roles), else the role holders read by id
    `WITNESS_BATCH` at a time until one is found, else the whole admin list."""
    out = [*me_reads(), *targeted_admins(c, planned).reads]
    supers = set(c.super_admins)
    if c.operator and c.operator not in planned:
        out.append(_one(ep.USER_ROLES, c.operator))
        if c.operator in supers:
            return out
    rest = [uid for uid in c.admins if uid not in planned and uid != c.operator]
    out.append(_list(ep.ROLE_ASSIGNEES, len(c.admins), ASSIGNEES_PAGE))
    for start in range(0, len(rest), WITNESS_BATCH):
        batch = rest[start:start + WITNESS_BATCH]
        out += targeted_admins(c, batch).reads
        if supers & set(batch):
            return out
    return out + admin_reads(c)


def apply_reread(states: Iterable[tuple[str, str, Mapping[str, Any]]], changes: Iterable[Iterable[str]],
                 c: TenantCounts) -> list[Read]:
    """What apply must read before writing: the org, then each state with a planned change decided again (a
    targeted kind seeing only its planned user targets, by id), the active super admins when a decision or a
    guardrail needs them, and the read each change makes just before its write.

    `states`: (name, kind, args) as planned; `changes`: (state, kind, action, target type, target id)."""
    changes = [tuple(ch) for ch in changes]
    planned = {ch[4] for ch in changes if ch[3] == "user"}
    out = session_reads()
    guard = any(w.lockout for ch in changes for w in WRITES.get(f"{ch[1]}:{ch[2]}", ()) if ch[3] == "user")
    for name, kind, args in states:
        mine = [ch for ch in changes if ch[0] == name]
        if not mine:
            continue
        targeted = _targeted(kind)
        view = targeted_admins(c, {ch[4] for ch in mine if ch[3] == "user"}) if targeted else None
        out += state_reads(kind, args, c, view)
        guard |= targeted and _reads_super_admins(kind)
    if guard:
        out += witness_reads(c, planned)
    reread = _once(out)
    for ch in changes:
        action = f"{ch[1]}:{ch[2]}"
        if action in PRE_WRITE:
            endpoint = PRE_WRITE[action] or ep.USER_LOCKOUT  # every org setting is a `catch_all` singleton
            reread.append(_one(endpoint, *([_SAMPLE_ID] * endpoint.template.count("{")), key=("fresh", ch)))
    return reread


def apply_reread_calls(states: Iterable[tuple[str, str, Mapping[str, Any]]], changes: Iterable[Iterable[str]],
                       c: TenantCounts) -> dict[str, int]:
    """The apply's mandatory re-read per rate-limit bucket (`apply_reread`)."""
    return by_bucket(apply_reread(states, changes, c))


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

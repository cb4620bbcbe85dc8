"""The minimal-call model and the rate-limit floor of every benchmark workload (see README.md).

Why: "fast" only means something against what Okta's rate limits allow. For each workload this
module counts, from the scenario's own numbers, the fewest calls per rate-limit bucket that the work
needs (pages of 200 users, 100 assignees, 1,000 events; one roles and one factors read per admin; one
write per change), and turns them into a floor: per bucket, calls / the bucket's effective rate (the
token's 50% share of the published per-minute limit, a "minute" lasting 60 / time_scale seconds),
buckets running side by side, so the floor is the largest of them.

Pure functions only (no I/O): `scenario_numbers(snapshot)` reduces a lapsus-2022 snapshot to the
counts the model uses, so the sandbox process can publish them and tests can check them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from remediator.okta.buckets import PER_MINUTE, WINDOW_SECONDS

TOKEN_SHARE = 0.5
USERS_PAGE = 200
ASSIGNEES_PAGE = 100
EVENTS_PAGE = 1000
GROUP_MEMBERS_PAGE = 1000
#: The access policies the playbook's `okta.mfa` state enforces (`admin_console_factor_mode`,
#: `dashboard_factor_mode`): their rules are read.
MFA_ACCESS_POLICIES = ("Okta Admin Console", "Okta Dashboard")


@dataclass(frozen=True)
class Scenario:
    """The counts of one tenant that the model needs (from `scenario_numbers`)."""

    users: int
    log_events: int
    admins: int                       # every user holding a role, directly or through a group
    admin_statuses: dict[str, int]    # status -> number of admins
    admin_group_members: tuple[int, ...]  # members of each group holding a role
    signon_policies: int              # OKTA_SIGN_ON policies (their rules are read)
    mfa_access_policies: int          # ACCESS_POLICY policies among MFA_ACCESS_POLICIES
    api_tokens: int
    idps: int
    grant_events: int                 # privilege grants in the log since the breach date
    clear_events: int                 # user.session.clear events since the breach date
    # what the apply must change
    rotations: int                    # admins needing a password reset, protected ones excluded
    new_admins_active: int            # admins created after the date, still ACTIVE: suspended
    session_clears: int               # admins whose sessions must end (not DEPROVISIONED, not the token owner)
    support_writes: int               # org-level revoke + one per case with impersonation ENABLED
    token_revokes: int                # rogue API tokens (never the operator's)
    policy_writes: int                # weak policies and rules to replace
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["admin_group_members"] = list(self.admin_group_members)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Scenario:
        values = dict(data)
        values["admin_group_members"] = tuple(values.get("admin_group_members") or ())
        return cls(**values)


def pages(items: int, size: int) -> int:
    """Pages needed to list `items` (an empty list still costs one call)."""
    return max(1, math.ceil(items / size))


def types_and_times(logs: Iterable[Any]) -> Iterable[tuple[str, str]]:
    """(eventType, published) of each event: a served tenant's compact `EventLog` without opening its events."""
    if hasattr(logs, "event_types") and hasattr(logs, "published"):
        return zip(logs.event_types(), logs.published(), strict=True)
    return ((e["eventType"], e["published"]) for e in logs)


def scenario_numbers(snapshot: Mapping[str, Any], *, protected_logins: tuple[str, ...] = ()) -> Scenario:
    """The model's inputs from a lapsus-2022 snapshot (its data and its `scenario.planted` manifest).

    `protected_logins` are the playbook's `break_glass` logins (their rotation becomes a finding).
    """
    planted = snapshot["scenario"]["planted"]
    admins: Mapping[str, Mapping[str, Any]] = planted["admins"]
    statuses: dict[str, int] = {}
    for admin in admins.values():
        statuses[admin["status"]] = statuses.get(admin["status"], 0) + 1
    members = snapshot.get("group_members") or {}
    group_roles = snapshot.get("group_roles") or {}
    admin_groups = tuple(len(members.get(gid) or ()) for gid, roles in group_roles.items() if roles)
    policies = snapshot.get("policies") or []
    breach = planted["breach_date"]
    logs = snapshot.get("logs") or []
    grant_types = ("user.account.privilege.grant", "group.privilege.grant")
    grants = clears = 0
    for kind, published in types_and_times(logs):
        if published >= breach:
            grants += kind in grant_types
            clears += kind == "user.session.clear"
    operator = planted["operator_id"]
    protected = {login.lower() for login in protected_logins}
    rotations = sum(1 for uid in planted["admins_needing_rotation"]
                    if uid != operator and admins[uid]["login"].lower() not in protected)
    new_active = sum(1 for uid in planted["new_admins"] if admins[uid]["status"] == "ACTIVE")
    clears_needed = sum(1 for uid, a in admins.items() if a["status"] != "DEPROVISIONED" and uid != operator)
    support = planted.get("okta_support_enabled") or {}
    support_writes = (1 if support.get("support") == "ENABLED" else 0) + len(planted.get("support_cases_enabled") or ())
    weak = planted.get("weak_policies") or {}
    enforced = ("global_session", "admin_console", "dashboard", "mfa_enroll")  # what the playbook's okta.mfa sets
    return Scenario(
        users=len(snapshot.get("users") or ()),
        log_events=len(logs),
        admins=len(admins),
        admin_statuses=statuses,
        admin_group_members=admin_groups,
        signon_policies=sum(1 for p in policies if p.get("type") == "OKTA_SIGN_ON"),
        mfa_access_policies=sum(1 for p in policies
                                if p.get("type") == "ACCESS_POLICY" and p.get("name") in MFA_ACCESS_POLICIES),
        api_tokens=len(snapshot.get("api_tokens") or ()),
        idps=len(snapshot.get("idps") or ()),
        grant_events=grants,
        clear_events=clears,
        rotations=rotations,
        new_admins_active=new_active,
        session_clears=clears_needed,
        support_writes=support_writes,
        token_revokes=len(planted.get("rogue_api_tokens") or ()),
        policy_writes=sum(len(weak.get(key) or ()) for key in enforced),
    )


def _add(calls: dict[str, int], bucket: str, n: int) -> None:
    if n:
        calls[bucket] = calls.get(bucket, 0) + n


def plan_calls(s: Scenario) -> dict[str, int]:
    """Fewest reads per bucket for the plan of okta-lapsus-2022.yml without its evidence/hunt states.

    No state needs the list of all users (`audit_all_users` is off), so none is listed.
    """
    calls: dict[str, int] = {}
    _add(calls, "user_me", 1)                                  # the token owner (never locked out)
    _add(calls, "iam", pages(s.admins, ASSIGNEES_PAGE))        # /iam/assignees/users, 100 a page
    _add(calls, "user_by_id", s.admins)                        # each admin's user object
    _add(calls, "users", 2 * s.admins)                         # each admin's roles and factors
    _add(calls, "groups", sum(pages(m, GROUP_MEMBERS_PAGE) for m in s.admin_group_members))
    catch_all = (
        1 + 1                                                  # Okta Support org setting, support cases
        + pages(s.api_tokens, USERS_PAGE) + pages(s.idps, USERS_PAGE)
        + 3                                                    # policies: OKTA_SIGN_ON, MFA_ENROLL, ACCESS_POLICY
        + s.signon_policies + s.mfa_access_policies            # their rules
    )
    _add(calls, "catch_all", catch_all)
    _add(calls, "logs", pages(s.grant_events, EVENTS_PAGE)     # role grants since the date (new admins)
         + pages(s.clear_events, EVENTS_PAGE))                 # session clears since the date (admin sessions)
    return calls


def apply_write_calls(s: Scenario) -> dict[str, int]:
    """One write per change: resets, suspensions, one session clear per admin, org-level writes."""
    calls: dict[str, int] = {}
    _add(calls, "users", s.rotations + s.new_admins_active + s.session_clears)
    _add(calls, "catch_all", s.support_writes + s.token_revokes + s.policy_writes)
    return calls


def apply_reread_calls(s: Scenario) -> dict[str, int]:
    """The re-read apply must make before writing, and no more: issue 9 makes apply re-decide every planned
    change on a fresh read (`remediator.facts.TargetedReads`). One targeted read per target user: its user
    object and its roles; the token owner and its roles (an active super admin no change targets: what the
    last-super-admin guardrail needs); the two System Log queries (role grants, session clears). The users
    the plan targets are the admins whose sessions end (`session_clears`: every rotated or suspended admin is
    one of them). The org-level states with changes read again what they read when planning, and each policy
    or rule again before its `PUT` (`catch_all`, not binding); no admin list, no user page, no factor."""
    calls: dict[str, int] = {}
    _add(calls, "user_me", 1)
    _add(calls, "user_by_id", s.session_clears)
    _add(calls, "users", s.session_clears + 1)
    _add(calls, "logs", pages(s.grant_events, EVENTS_PAGE) + pages(s.clear_events, EVENTS_PAGE))
    _add(calls, "catch_all", 1                                         # the org (which tenant this is)
         + 1 + 1 + pages(s.api_tokens, USERS_PAGE)                     # Okta Support, its cases, API tokens
         + 1 + 3 + s.signon_policies + s.mfa_access_policies           # apps, policies of 3 types, their rules
         + s.policy_writes)                                            # each policy or rule before its PUT
    return calls


def apply_calls(s: Scenario) -> dict[str, int]:
    """The apply: its mandatory re-read (`apply_reread_calls`) and one write per change (`apply_write_calls`)."""
    calls = dict(apply_write_calls(s))
    for bucket, n in apply_reread_calls(s).items():
        _add(calls, bucket, n)
    return calls


@dataclass(frozen=True)
class Selection:
    """What a user selector (`remediator.kinds.selector`) touches on a tenant, for its call count."""

    searches: tuple[int, ...] = ()    # users each server-side `search` query returns (logins: 25 a query)
    admins: int | None = None         # with `admins`/`roles`: every user holding a role (the admin list)
    admin_group_members: tuple[int, ...] = ()
    group_members: int | None = None  # with `group`: the group's members


def selector_calls(sel: Selection) -> dict[str, int]:
    """Fewest reads to resolve a selector: its search's pages, the admin list, a group's members.

    Never a function of the tenant's user count: `created_after` and `status` on 100,000 users cost the
    pages of what they match (200 a page), not a listing of everyone, and no key reads anyone's roles or
    factors one by one except the admin list's own (one roles read per admin).
    """
    calls: dict[str, int] = {}
    if sel.admins is not None:
        _add(calls, "iam", pages(sel.admins, ASSIGNEES_PAGE))
        _add(calls, "user_by_id", sel.admins)
        _add(calls, "users", sel.admins)                       # each admin's roles
        _add(calls, "groups", sum(pages(m, GROUP_MEMBERS_PAGE) for m in sel.admin_group_members))
    if sel.group_members is not None:
        _add(calls, "groups", 1 + pages(sel.group_members, GROUP_MEMBERS_PAGE))  # the group by name, its members
    _add(calls, "users", sum(pages(n, USERS_PAGE) for n in sel.searches))
    return calls


# ---- the configuration kinds (okta.apps, okta.network_zone, okta.policy, okta.policy_rule) -----------------
#: Page sizes the facts ask for (remediator/facts/reads.py).
APPS_PAGE = 200
ZONES_PAGE = 1000
POLICIES_PAGE = 200
#: Policy types whose rules may name a zone (remediator/kinds/network_zone.py).
ZONE_POLICY_TYPES = 5


def apps_plan_calls(active_apps: int) -> dict[str, int]:
    """okta.apps: one list of the ACTIVE apps (`filter=status eq "ACTIVE"`), never every app nor one call per app."""
    return {"catch_all": pages(active_apps, APPS_PAGE)}


def zone_plan_calls(zones: int, *, deactivating: bool = False,
                    policies_by_type: Mapping[str, int] | None = None) -> dict[str, int]:
    """okta.network_zone: the zone list; to deactivate an ACTIVE zone, also each policy type that may name it
    (one list each, even an empty one) and the rules of each of those policies (the zone may be in use)."""
    calls = pages(zones, ZONES_PAGE)
    if deactivating:
        counts = dict(policies_by_type or {})
        calls += ZONE_POLICY_TYPES + sum(pages(n, POLICIES_PAGE) - 1 + n for n in counts.values())
    return {"catch_all": calls}


def policy_plan_calls(policies_of_type: int) -> dict[str, int]:
    """okta.policy: the policies of one type, whatever `name` selects (their settings are in the list)."""
    return {"catch_all": pages(policies_of_type, POLICIES_PAGE)}


def policy_rule_plan_calls(policies_of_type: int, selected: int, *, by_app: bool = False) -> dict[str, int]:
    """okta.policy_rule: the policies of the type, then the rules of the selected ones only; by app, first the
    app (a `filter` or `q` list of one page) and the ACCESS_POLICY list its `accessPolicy` link points into."""
    return {"catch_all": (1 if by_app else 0) + pages(policies_of_type, POLICIES_PAGE) + selected}


def config_apply_calls(changes: int) -> dict[str, int]:
    """One write per change (the re-read before a PUT is the stale check every saved plan makes)."""
    return {"catch_all": changes} if changes else {}


def naive_calls(users: int) -> dict[str, int]:
    """The naive baseline: list every user, then each user's roles and factors (all in `users`)."""
    return {"users": pages(users, USERS_PAGE) + 2 * users}


def archive_calls(events: int) -> dict[str, int]:
    """Okta's polling query, 1,000 events a page, and the empty page that says it caught up."""
    return {"logs": -(-events // EVENTS_PAGE) + 1}


def share(bucket: str, plan: str = "enterprise") -> int:
    """Requests one token may make per window: floor(50% of the published per-minute limit)."""
    return int(PER_MINUTE[plan][bucket] * TOKEN_SHARE)


def rate(bucket: str, plan: str = "enterprise", time_scale: float = 1.0) -> float:
    """The token's effective rate in a bucket, requests per (real) second."""
    return share(bucket, plan) * time_scale / WINDOW_SECONDS


@dataclass(frozen=True)
class Floor:
    seconds: float
    per_bucket: dict[str, float]
    binding: str | None

    def to_json(self) -> dict[str, Any]:
        return {"seconds": round(self.seconds, 3), "binding": self.binding,
                "per_bucket": {b: round(v, 3) for b, v in self.per_bucket.items()}}


def floor(calls: Mapping[str, int], plan: str = "enterprise", time_scale: float = 1.0) -> Floor:
    """Per bucket calls / effective rate; buckets run side by side, so the floor is the maximum."""
    per_bucket = {b: n / rate(b, plan, time_scale) for b, n in calls.items() if n}
    if not per_bucket:
        return Floor(0.0, {}, None)
    binding = max(per_bucket, key=per_bucket.__getitem__)
    return Floor(per_bucket[binding], per_bucket, binding)


def windows_needed(calls: int, bucket: str, plan: str = "enterprise") -> int:
    """Rate-limit windows a bucket's calls span (for reading a wall time shorter than the floor)."""
    return max(1, math.ceil(calls / share(bucket, plan)))

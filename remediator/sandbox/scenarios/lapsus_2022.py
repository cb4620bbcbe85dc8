"""Scenario `lapsus-2022`: a workforce Okta org as it stood after the compromise of January 2022.

`generate(users, seed, clock)` returns a tenant snapshot (contract.md format plus the extras of
interfaces.md). Same arguments, same snapshot; another seed gives other people, ids and company.
Breach date: 2022-01-21T00:00:00Z ("after the date" means `>=` it). The hunt window some playbooks
use starts seven days earlier (2022-01-14): ordinary traffic has nothing a LAPSUS$ hunt should
report, and the ordinary admin actions (new hires, unlocks) happen before 2022-01-14.

What is planted, and how to recognise it (ids are in the snapshot's `scenario.planted` manifest,
computed from the generated data itself, so the manifest and the data cannot disagree):

Okta Support
  - org-level access ENABLED, `expiration` 8 h after a legitimate admin granted it, 1 h 48 min
    before the clock (`okta_support_enabled`; its `user.session.impersonation.grant` event is in
    `legit_post_breach_log_uuids["support_access_grant"]`).
  - support cases: one with impersonation ENABLED (`support_cases_enabled`), one REQUESTED
    (`support_cases_requested`), one NOT_REQUESTED and one DISABLED (`support_cases_other`).

Admins (`admins`: every account holding a role directly or through a group, with its status,
roles and how it holds them; about 0.5% of users, at least 16)
  - operator (`operator_id`, login `svc-okta-automation@…`): ACTIVE SUPER_ADMIN service account,
    created 2018, password changed 20 h before the clock; owns the API token remediator uses
    (`operator_token`, created 19 h 50 min before the clock, so "created after the date").
  - break-glass (`break_glass_login` = `breakglass@…`): SUPER_ADMIN, password from 2020 (so it is
    in `admins_needing_rotation`: with `break_glass` set it must become a finding, not a change).
  - victim of Okta Support (`attack_victim`): SUPER_ADMIN whose password and factors
    `system@okta.com` reset on 2022-01-21: status RECOVERY since then, no factor left.
  - attacker's accounts (`new_admins`), both created after the date and SUPER_ADMIN: `it.operations@…`
    directly (role assignment created after the date) and `svc_network_backup@…` through the group
    "Okta Support Escalations" (`rogue_groups`; group created, and its role granted, after the date).
  - a legitimate old account granted APP_ADMIN on 2022-02-15 (`late_role_grants_to_old_accounts`):
    report it, do not suspend it. Every role assignment created after the date, user or group, is in
    `late_role_grants`.
  - edge cases that need no rotation (`admins_edge_status`): one DEPROVISIONED, one SUSPENDED (holding
    its role through a group), one PASSWORD_EXPIRED since 2022-02-09, and the RECOVERY victim.
  - `admins_needing_rotation`: every admin not DEPROVISIONED/SUSPENDED, not RECOVERY/PASSWORD_EXPIRED
    since the date, whose `passwordChanged` is before the date (or null). Nothing excluded: the
    operator and break-glass are listed separately for the planner to protect.
  - `admins_rotated_since`: admins created before the date whose password changed after it (about
    12% of the ordinary admins, each with its own `user.account.update_password`; and the operator).
  - `admins_without_factor`: no ACTIVE factor (one ORG_ADMIN with none, one APP_ADMIN-through-a-group
    with only a PENDING_ACTIVATION SMS, `svc_network_backup@…`, and the victim);
    `admins_without_factor_active` is its subset with status ACTIVE. Every admin has a `factors` entry.
Users without MFA: `users_without_factor` (and `_count`): users with status ACTIVE and no ACTIVE
  factor (about 15%). Ordinary users without factors have no `factors` entry (the API returns []).
API tokens: three legitimate ones from 2019-2021, the attacker's (`rogue_api_tokens`, owned by
  `it.operations@…`, created 2022-01-22) and the operator's (`operator_token`).
IdPs: a legitimate SAML2 from 2019 and the attacker's ACTIVE SAML2 from 2022-01-23 (`rogue_idps`).
Policies (`weak_policies`): the OKTA_SIGN_ON Default Policy's "Default Rule" (`requireFactor: false`,
  weakened by the attacker), the "Okta Admin Console" ACCESS_POLICY rules at `1FA` (one weakened by
  the attacker, plus its Catch-all Rule), the "Okta Dashboard" Catch-all Rule at `1FA`, and the
  MFA_ENROLL Default Policy with no authenticator REQUIRED. `policies_compliant` lists what already
  enforces MFA (a "Contractors" sign-on rule with `requireFactor: true`) and must not change.
System Log from 2022-01-01 to the clock: ordinary sign-ins (`policy.evaluate_sign_on`,
  `user.authentication.auth_via_mfa`, `user.session.start`, `user.authentication.sso`,
  `app.oauth2.token.grant.access_token`, `user.session.access_admin_app`, `user.session.end`),
  people changing their own passwords, new hires created by an admin before 2022-01-14, and:
  - `attacker_log_uuids` (by trace type; every one must be among a LAPSUS$ hunt's findings):
    `system@okta.com` impersonation sessions (initiate, end), its password reset and factor reset of
    the victim, its creation and activation of `it.operations@…` and SUPER_ADMIN grant to it; then, as
    `it.operations@…`: an API token, SUPER_ADMIN granted to its new group, a SAML IdP, two policy rules
    weakened.
  - `attacker_context_log_uuids`: the attacker's other steps (sign-ins from a VPN with
    `securityContext.isProxy: true`, the group's creation, `svc_network_backup@…` created, activated and
    added to the group): reporting them is right, missing them is not a failure.
  - `legit_post_breach_log_uuids`: legitimate events after the date that a hunt may flag (the late
    APP_ADMIN grant, the Okta Support grant, the operator's token).
  - `planted_log_uuids`: all of the above; any hunt finding outside it is a false positive.
  There is no `user.session.clear` event at all: no admin's sessions were cleared.

Form of the data: users as `GET /api/v1/users` lists them (`_links` has only `self`), role
assignments as `/users/{id}/roles` returns them (`user_roles` holds direct ones, `group_roles` the
groups'), ids with Okta's prefixes (`00u`, `00g`, `00T`, `0oa`, `00p`/`rst` policies, `0pr`/`rul`
rules, `ra1`/`gra` or Okta's fixed ids for APP_ADMIN, USER_ADMIN and HELP_DESK_ADMIN assignments).
Log events share read-only sub-objects (actor, client, request, securityContext); copy before
editing one. `log_events` (default 20 per user, within 2,000..200,000) is the exact number of events
unless the planted ones alone exceed it. Times of the compromise are fixed (January-February 2022);
the operator's password and token, and the Okta Support grant, are relative to the clock.
`oauth_clients` is passed through as the snapshot's `oauth_clients` (no key is generated).
`snapshot["scenario"]` = {name, seed, users, clock, breach_date, log_events, planted}.
"""

from __future__ import annotations

import gc
import random
from typing import Any

from remediator.errors import InputError
from remediator.sandbox.rows import RowList, RowMap
from remediator.sandbox.scenarios import _data, _people
from remediator.sandbox.scenarios._config import make_config
from remediator.sandbox.scenarios._logplan import plan_logs
from remediator.sandbox.scenarios._manifest import manifest
from remediator.sandbox.scenarios._people import Logins, Person, stamp
from remediator.sandbox.scenarios._settings import make_apps, make_idps, make_policies, make_support, make_tokens
from remediator.sandbox.scenarios._shapes import (
    DAY_MS,
    HOUR_MS,
    FactorRows,
    Ids,
    group,
    iso_s,
    ms_of,
    role,
)

NAME = "lapsus-2022"
DEFAULT_CLOCK = "2022-03-22T12:00:00Z"
BREACH_DATE = "2022-01-21T00:00:00Z"
MIN_USERS = 40
MIN_ADMINS = 16
_BREACH = ms_of(BREACH_DATE)
_ORG_BORN = ms_of("2015-06-01T00:00:00Z")
_HIRES_UNTIL = ms_of("2022-01-12T18:00:00Z")
_EARLIEST_CLOCK = ms_of("2022-03-01T00:00:00Z")
_CELLS = ("4x6", "1d7", "0h7", "5d7", "0x7", "0g4", "2p7", "1t7")


class ScenarioError(InputError, ValueError):
    """Arguments the scenario cannot honour (too few users, a clock before the planted compromise)."""


def default_log_events(users: int) -> int:
    return max(2_000, min(200_000, 20 * users))


def generate(users: int = 200, seed: int = 1, clock: str = DEFAULT_CLOCK, *, log_events: int | None = None,
             oauth_clients: list[dict[str, Any]] | None = None, compact: bool = False) -> dict[str, Any]:
    """The tenant snapshot of scenario `lapsus-2022` (see the module docstring for what is planted).

    `compact`: what a sandbox serves from, a third of the memory of dicts at 100,000 users and a million
    events: `users` is a `rows.RowList`, `factors` a `rows.RowMap` and `logs` an `eventlog.EventLog`, each of
    compact rows that open as the same objects. Otherwise JSON-ready lists and dicts (same content)."""
    if not isinstance(users, int) or users < MIN_USERS:
        raise ScenarioError(f"lapsus-2022 needs at least {MIN_USERS} users, got {users!r}", "--users")
    try:
        now = ms_of(clock)
    except ValueError:
        raise ScenarioError(f"not a date: {clock!r}", "--clock") from None
    if now < _EARLIEST_CLOCK:
        raise ScenarioError(f"lapsus-2022 needs a clock after 2022-03-01 (the compromise is planted before), "
                            f"got {clock}", "--clock")
    now -= now % 1000
    events_wanted = default_log_events(users) if log_events is None else max(0, int(log_events))
    # Millions of fresh dicts and no reference cycles: the cyclic GC would only rescan them (2x the time).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        snapshot = _Tenant(users, seed, now, events_wanted, oauth_clients).build()
        if not compact:
            snapshot["users"], snapshot["factors"] = list(snapshot["users"]), dict(snapshot["factors"].items())
            snapshot["logs"] = list(snapshot["logs"])
        return snapshot
    finally:
        if was_enabled:
            gc.enable()


class _Tenant:
    # set by _settings.py as it builds the org's objects, read by _logplan.py and _config.py
    p: dict[str, str]  # ids of policies and rules by role
    enroll_settings: list[tuple[str, str]]
    tok: dict[str, str]  # API token ids
    idp: dict[str, str]  # identity provider ids
    support_granted: int  # when Okta Support access was granted (ms)
    cases: dict[str, str]  # support case numbers by impersonation state
    app_ids: dict[str, str]  # app ids by app name

    def __init__(self, users: int, seed: int, now: int, log_events: int, oauth_clients: list | None) -> None:
        self.n_users, self.seed, self.now, self.log_events = users, seed, now, log_events
        self.oauth_clients = oauth_clients
        self.rng = rng = random.Random(seed)
        self.company = rng.choice(_data.COMPANIES)
        self.domain = f"{self.company}.example"
        self.org = f"https://{self.company}.okta.com"
        self.organization = self.company.capitalize() + " Inc."
        self.org_cell = rng.choice(_CELLS)
        self.ids = Ids(rng, self.org_cell)
        self.logins = Logins(self.domain)
        self.type_id = self.ids.new("oty")
        self.people: list[Person] = []
        self.user_roles: dict[str, list[dict]] = {}
        self.group_roles: dict[str, list[dict]] = {}
        self.groups: list[dict] = []
        self.members: dict[str, list[str]] = {}
        self.special: dict[str, Person] = {}

    # ---- people --------------------------------------------------------------------------------------
    def _person(self, key: str | None, local: str | None, first: str, last: str, title: str, status: str,
                created: str | int, *, password_changed: int | None, last_login: int | None,
                status_changed: int | None = None, dept: int = 9) -> Person:
        rng = self.rng
        created_ms = created if isinstance(created, int) else ms_of(created)
        activated = created_ms + rng.randrange(20_000, 90_000)
        login = self.logins.reserve(local) if local else self.logins.make(first, last)
        person = Person(self.ids.new("00u"), first, last, login, dept, title, status, created_ms, activated,
                        status_changed or activated, last_login, password_changed,
                        _people.phone(rng), str(90_000 + len(self.special)))
        if status == "DEPROVISIONED":
            person.activated = None
        if key:
            self.special[key] = person
        return person

    def _named(self, key: str, title: str, status: str, created: str, **kw: Any) -> Person:
        first, last = self.rng.choice(_data.FIRST_NAMES), self.rng.choice(_data.LAST_NAMES)
        return self._person(key, None, first, last, title, status, created, **kw)

    def _make_people(self) -> None:
        now, rng = self.now, self.rng
        t = ms_of
        sp = [
            self._person("operator", "svc-okta-automation", "Okta", "Automation", "Service Account", "ACTIVE",
                         "2018-04-03T16:20:11Z", password_changed=now - 20 * HOUR_MS,
                         last_login=now - 20 * HOUR_MS + 95_000),
            self._person("break_glass", "breakglass", "Break", "Glass", "Emergency Access Account", "ACTIVE",
                         "2019-02-11T18:02:37Z", password_changed=t("2020-11-03T21:14:09Z"),
                         last_login=t("2021-05-17T09:31:44Z")),
            self._named("victim", "Senior IAM Engineer", "RECOVERY", "2017-08-14T15:40:02Z",
                        password_changed=t("2021-10-04T16:12:55Z"), last_login=t("2022-01-20T22:41:13Z"),
                        status_changed=t("2022-01-21T03:19:52Z")),
            self._person("rogue_direct", "it.operations", "IT", "Operations", "IT Operations", "ACTIVE",
                         "2022-01-22T02:13:44Z", password_changed=t("2022-01-22T02:26:31Z"),
                         last_login=t("2022-01-23T02:50:12Z")),
            self._person("rogue_group", "svc_network_backup", "svc", "network_backup", "Service Account", "ACTIVE",
                         "2022-01-23T03:05:19Z", password_changed=t("2022-01-23T03:05:58Z"), last_login=None),
            self._named("late_grant", "IT Manager", "ACTIVE", "2018-09-10T14:03:27Z",
                        password_changed=t("2021-07-19T08:45:10Z"), last_login=now - 26 * HOUR_MS),
            self._named("deprovisioned", "Systems Administrator", "DEPROVISIONED", "2019-03-04T13:30:00Z",
                        password_changed=None, last_login=t("2021-12-01T17:22:05Z"),
                        status_changed=t("2021-12-20T19:00:41Z")),
            self._named("suspended", "IT Support Specialist", "SUSPENDED", "2020-01-13T15:11:19Z",
                        password_changed=t("2021-03-08T10:20:33Z"), last_login=t("2021-11-12T16:45:00Z"),
                        status_changed=t("2021-11-15T09:02:11Z")),
            self._named("password_expired", "IAM Engineer", "PASSWORD_EXPIRED", "2019-07-22T12:00:09Z",
                        password_changed=t("2021-11-09T11:31:02Z"), last_login=t("2022-02-08T16:03:29Z"),
                        status_changed=t("2022-02-09T08:00:00Z")),
            self._named("no_factor", "IT Manager", "ACTIVE", "2018-01-29T16:44:51Z",
                        password_changed=t("2021-06-01T07:58:14Z"), last_login=now - 3 * DAY_MS),
            self._named("pending_factor", "Systems Administrator", "ACTIVE", "2020-06-15T13:25:36Z",
                        password_changed=t("2021-09-13T12:10:00Z"), last_login=now - 5 * DAY_MS),
        ]
        sp[0].activated = sp[0].status_changed = sp[0].created + 61_000
        sp[4].password_changed = sp[4].activated  # created with a password by the attacker, then activated
        self.people.extend(sp)
        ordinary = _people.ordinary_people(rng, self.ids, self.logins, self.n_users - len(sp),
                                           earliest=_ORG_BORN, latest=_HIRES_UNTIL, now=now)
        self.people.extend(ordinary)
        self.ordinary = ordinary

    # ---- admins ------------------------------------------------------------------------------------
    def _grant(self, person: Person, role_type: str, created: int | str) -> dict:
        when = created if isinstance(created, int) else ms_of(created)
        assignment = role(self.org, self.ids, role_type, assignee=person.uid, group=False, created=when)
        self.user_roles.setdefault(person.uid, []).append(assignment)
        return assignment

    def _admin_group(self, name: str, description: str | None, role_type: str, created: int | str,
                     role_created: int | str | None = None) -> str:
        when = created if isinstance(created, int) else ms_of(created)
        granted = role_created if isinstance(role_created, int) else ms_of(role_created) if role_created else when
        gid = self.ids.new("00g")
        self.groups.append(group(self.org, gid, name, description, created=when, membership_updated=when))
        self.group_roles[gid] = [role(self.org, self.ids, role_type, assignee=gid, group=True, created=granted)]
        self.members[gid] = []
        return gid

    def _make_admins(self) -> None:
        rng, s, now = self.rng, self.special, self.now
        n_admins = max(MIN_ADMINS, round(self.n_users / 200))
        help_desk = self._admin_group("Okta Help Desk Admins", "Help desk staff: password and MFA resets",
                                      "HELP_DESK_ADMIN", "2018-06-05T15:00:12Z")
        app_admins = self._admin_group("Okta App Admins", "Application owners", "APP_ADMIN", "2019-01-22T10:31:40Z")
        read_only = self._admin_group("Okta Read-only Admins", "Audit and security operations",
                                      "READ_ONLY_ADMIN", "2019-09-30T08:15:00Z")
        org_admins = self._admin_group("IT Org Admins", "Identity team", "ORG_ADMIN", "2018-02-14T11:11:11Z")
        self.rogue_group = self._admin_group("Okta Support Escalations", None, "SUPER_ADMIN",
                                             "2022-01-23T02:58:30Z", "2022-01-23T03:01:05Z")
        self._grant(s["operator"], "SUPER_ADMIN", s["operator"].created + 120_000)
        self._grant(s["break_glass"], "SUPER_ADMIN", "2019-02-11T18:05:02Z")
        self._grant(s["victim"], "SUPER_ADMIN", "2017-08-15T09:12:40Z")
        self._grant(s["rogue_direct"], "SUPER_ADMIN", "2022-01-22T02:15:10Z")
        self.members[self.rogue_group].append(s["rogue_group"].uid)
        rogue_group = self.groups[-1]
        rogue_group["lastMembershipUpdated"] = iso_s(stamp(s["rogue_group"].activated) + 42_000)  # see _logplan
        self._grant(s["late_grant"], "APP_ADMIN", "2022-02-15T17:32:09Z")
        self._grant(s["deprovisioned"], "READ_ONLY_ADMIN", "2019-03-05T10:00:00Z")
        self.members[help_desk].append(s["suspended"].uid)
        self._grant(s["password_expired"], "USER_ADMIN", "2019-07-23T09:41:26Z")
        self._grant(s["no_factor"], "ORG_ADMIN", "2018-02-01T13:20:00Z")
        self.members[app_admins].append(s["pending_factor"].uid)

        # ordinary admins: old ACTIVE accounts, IT people first
        pool = [p for p in self.ordinary if p.status == "ACTIVE" and p.created < ms_of("2021-06-01T00:00:00Z")
                and p.last_login is not None]
        pool.sort(key=lambda p: (p.department != 9, p.employee_number))
        wanted = min(n_admins - 11, len(pool))
        chosen = sorted(rng.sample(pool[: max(wanted * 2, wanted)], wanted), key=lambda p: p.employee_number)
        self.regular_admins = chosen
        direct_types = (("SUPER_ADMIN", 8), ("ORG_ADMIN", 12), ("APP_ADMIN", 20), ("USER_ADMIN", 20),
                        ("HELP_DESK_ADMIN", 25), ("READ_ONLY_ADMIN", 15))
        group_choices = ((help_desk, "HELP_DESK_ADMIN", 45), (app_admins, "APP_ADMIN", 25),
                         (read_only, "READ_ONLY_ADMIN", 20), (org_admins, "ORG_ADMIN", 10))
        for i, person in enumerate(chosen):
            person.title = rng.choice(_data.DEPARTMENTS[9][2]) if person.department == 9 else person.title
            granted = rng.randrange(stamp(person.activated) + DAY_MS, _BREACH - 60 * DAY_MS)
            if i < 2:  # two long-standing super admins: the people who grant and administer
                self._grant(person, "SUPER_ADMIN", granted)
                continue
            if rng.random() < 0.45:
                self._grant(person, _pick(rng, direct_types), granted)
                continue
            gid, gtype, _w = _pick_row(rng, group_choices)
            self.members[gid].append(person.uid)
            if rng.random() < 0.1:
                other = _pick(rng, tuple((t, w) for t, w in direct_types if t != gtype))
                self._grant(person, other, granted)
        # about 12% of the ordinary admins changed their password after the breach date
        rotated = rng.sample(chosen[2:], max(1, round(0.12 * len(chosen))))
        self.rotated = sorted(rotated, key=lambda p: p.employee_number)
        for person in chosen:
            if person in rotated:
                person.password_changed = rng.randrange(_BREACH + 2 * DAY_MS, now - 2 * DAY_MS)
                person.password_changed -= person.password_changed % 1000
            else:
                person.password_changed = rng.randrange(max(stamp(person.activated), _BREACH - 300 * DAY_MS),
                                                        _BREACH - DAY_MS)
            person.last_login = max(person.last_login or 0, person.password_changed + 60_000,
                                    now - rng.randrange(HOUR_MS, 4 * DAY_MS))
        self.admin_groups = {help_desk: "HELP_DESK_ADMIN", app_admins: "APP_ADMIN", read_only: "READ_ONLY_ADMIN",
                             org_admins: "ORG_ADMIN", self.rogue_group: "SUPER_ADMIN"}

    # ---- factors -----------------------------------------------------------------------------------
    def _make_factors(self) -> None:
        rng, ids, org, now, s = self.rng, self.ids, self.org, self.now, self.special
        enroll = _people.enroll
        s["operator"].factors = enroll(rng, ids, org, s["operator"], now, kinds=("token:software:totp",))
        s["break_glass"].factors = enroll(rng, ids, org, s["break_glass"], now, kinds=("webauthn",))
        s["victim"].factors = []  # reset by system@okta.com
        s["rogue_direct"].factors = enroll(rng, ids, org, s["rogue_direct"], ms_of("2022-01-22T03:00:00Z"),
                                           kinds=("sms",))
        s["rogue_direct"].factors[0].profile["phoneNumber"] = f"+4477009{rng.randrange(10000, 100000)}"
        s["rogue_group"].factors = []
        for key, kinds in (("late_grant", ("push",)), ("deprovisioned", ("push",)), ("suspended", ("sms",)),
                           ("password_expired", ("push", "token:software:totp"))):
            s[key].factors = enroll(rng, ids, org, s[key], now, kinds=kinds)
        s["no_factor"].factors = []
        s["pending_factor"].factors = enroll(rng, ids, org, s["pending_factor"], now, pending_only=True)
        _people.enroll_everyone(rng, ids, org, self.ordinary, now)
        for person in self.regular_admins:
            if not _people.active_factor_name(person):
                person.factors = enroll(rng, ids, org, person, now, kinds=("push",))

    # ---- groups --------------------------------------------------------------------------------------
    def _make_groups(self) -> None:
        org, ids = self.org, self.ids
        everyone = ids.new("00g")
        self.everyone = everyone
        latest_created = max(p.created for p in self.people)
        base = [group(org, everyone, "Everyone", "All users in your organization", created=_ORG_BORN,
                      membership_updated=latest_created, built_in=True)]
        members = {everyone: [p.uid for p in self.people]}
        by_dept: dict[int, list[str]] = {}
        for p in self.people:
            by_dept.setdefault(p.department, []).append(p.uid)
        for index, (name, _cost, _titles) in enumerate(_data.DEPARTMENTS):
            gid = ids.new("00g")
            base.append(group(org, gid, name, f"All {name} staff", created=_ORG_BORN + (index + 1) * DAY_MS,
                              membership_updated=_HIRES_UNTIL))
            members[gid] = by_dept.get(index, [])
        contractors = ids.new("00g")
        self.contractors = contractors
        base.append(group(org, contractors, "Contractors", "External contractors",
                          created=ms_of("2019-04-01T00:00:00Z"), membership_updated=_HIRES_UNTIL))
        members[contractors] = [p.uid for p in self.ordinary[3::53]]
        self.groups = base + self.groups
        members.update(self.members)
        self.members = members

    # ---- assembly ------------------------------------------------------------------------------------
    def build(self) -> dict[str, Any]:
        self._make_people()
        self._make_admins()
        self._make_factors()
        self._make_groups()
        policies, rules = make_policies(self)
        self.policies_json, self.rules_json = policies, rules
        tokens = self.tokens_json = make_tokens(self)
        idps = make_idps(self)
        support, cases = make_support(self)
        apps = [(self.ids.new("0oa"), label, mode) for label, mode in _data.APPS]
        logs, log_tags = plan_logs(self, apps)
        tenant = (self.org, self.organization, self.type_id)
        factors = RowMap()
        for p in self.people:  # each person is the compact row of its user, its factors those of its factors
            p.tenant = tenant
            if p.factors is not None:
                p.factors = factors[p.uid] = FactorRows(p.factors)
        users_json = RowList(self.people)
        org_id = self.ids.new("00o")
        apps_json = make_apps(self, apps, org_id)
        snapshot: dict[str, Any] = {
            "format": "remediator.tenant-snapshot/1", "taken_at": iso_s(self.now), "org_url": self.org,
            "operator": self.special["operator"].uid,
            # a 2022 org: Okta Support access still had the org-level grant/revoke (retired in 2025.01)
            "org": {"id": org_id, "clock": iso_s(self.now), "okta_support_api": "2021"},
            "okta_support": support, "support_cases": cases, "users": users_json, "groups": self.groups,
            "group_members": self.members, "user_roles": self.user_roles, "group_roles": self.group_roles,
            "factors": factors, "policies": policies, "policy_rules": rules, "api_tokens": tokens, "idps": idps,
            "apps": apps_json, "logs": logs,
        }
        snapshot.update(make_config(self))
        if self.oauth_clients:
            snapshot["oauth_clients"] = list(self.oauth_clients)
        snapshot["scenario"] = {"name": NAME, "seed": self.seed, "users": self.n_users, "clock": iso_s(self.now),
                                "breach_date": BREACH_DATE, "log_events": len(logs),
                                "planted": manifest(self, snapshot, log_tags)}
        return snapshot


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    total = sum(w for _, w in weighted)
    roll = rng.randrange(total)
    for value, weight in weighted:
        roll -= weight
        if roll < 0:
            return value
    return weighted[-1][0]


def _pick_row(rng: random.Random, rows: tuple[tuple[str, str, int], ...]) -> tuple[str, str, int]:
    total = sum(r[2] for r in rows)
    roll = rng.randrange(total)
    for row in rows:
        roll -= row[2]
        if roll < 0:
            return row
    return rows[-1]


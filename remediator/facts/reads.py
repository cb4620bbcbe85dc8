"""The facts: every read of a tenant, made once per tenant per run, and the scopes each one needs.

Each public method of `TenantReads` is a fact; its `Fact` constant (same name, upper case) lists the
endpoints it calls, so a kind that declares the facts it reads gets its OAuth scopes derived.

Every read is memoised as an asyncio task keyed by what it reads: concurrent callers await the same
in-flight request, later callers get the result, and no endpoint is read twice in one plan. A read
that fails is forgotten, so that the next caller tries again instead of inheriting the error.

The admin list costs the fewest calls the API allows:

- `GET /api/v1/iam/assignees/users` (body-paged, 100 a page) names every user with a role assignment;
- then, for each of them concurrently (the client paces the buckets), `GET /users/{id}` and
  `GET /users/{id}/roles`. The roles list carries the assignments held through groups
  (`assignmentType: GROUP`, `_links.assignee` naming the group) as well as direct ones.

Does the assignee list include users who hold a role *only* through a group? The spec says no more than
"Lists all users with role assignments", and `/users/{id}/roles` (same API family) reports a group's
role as one of the user's role assignments, so we read it as included, as the Admin Console does. We
do not rely on that alone: every group seen in a GROUP assignment is expanded with
`GET /groups/{id}/users`, and members missing from the assignee list are added (their roles read the
same way). That costs one paged call per admin group (a handful), not a scan of every group; a group
whose members all hold roles only through it *and* are all missing from the assignee list would still
be missed, which no bounded read can rule out (it would take `/groups/{id}/roles` for every group).

Factors are read per admin only: one call per user, so reading every user's factors at 100,000 users
takes hours under Okta's rate limits; kinds that need everyone's factors must say what they bound.

`TargetedReads` is the same interface narrowed to the users a saved plan's changes target: what apply
re-reads to re-decide them (its docstring says why that is enough).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlparse

from remediator import progress
from remediator.errors import OktaApiError
from remediator.facts import endpoints as ep
from remediator.facts.endpoints import Endpoint
from remediator.timeutil import parse_time

if TYPE_CHECKING:
    from remediator.okta.client import OktaClient, OktaResponse

T = TypeVar("T")


@dataclass(frozen=True)
class Fact:
    """A named read of `TenantReads` and the endpoints it calls (hence the scopes it needs)."""

    name: str
    endpoints: tuple[Endpoint, ...]

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(e.scope for e in self.endpoints)


ME = Fact("me", (ep.USER,))
USER = Fact("user", (ep.USER,))
ROLES = Fact("roles", (ep.USER_ROLES,))
GROUP_MEMBERS = Fact("group_members", (ep.GROUP_MEMBERS,))
FACTORS = Fact("factors", (ep.USER_FACTORS,))
ADMINS = Fact("admins", (ep.ROLE_ASSIGNEES, ep.USER, ep.USER_ROLES, ep.GROUP_MEMBERS))
ACTIVE_SUPER_ADMINS = Fact("active_super_admins", ADMINS.endpoints)  # the token owner first: `GET /users/me`
USERS = Fact("users", (ep.USERS,))
USER_BY_LOGIN = Fact("user_by_login", (ep.USER,))
GROUP = Fact("group", (ep.GROUP,))
GROUPS = Fact("groups", (ep.GROUPS,))
GROUP_ROLES = Fact("group_roles", (ep.GROUP_ROLES,))
GROUP_NAMED = Fact("group_named", (ep.GROUPS,))
APPS = Fact("apps", (ep.APPS,))
ORG = Fact("org", (ep.ORG,))
SUPPORT = Fact("support", (ep.ORG_SUPPORT,))
SUPPORT_CASES = Fact("support_cases", (ep.SUPPORT_CASES,))
API_TOKENS = Fact("api_tokens", (ep.API_TOKENS,))
IDPS = Fact("idps", (ep.IDPS,))
POLICIES = Fact("policies", (ep.POLICIES,))
RULES = Fact("rules", (ep.POLICY_RULES,))
EVENTS = Fact("events", (ep.LOGS,))
LOG_PAGES = Fact("log_pages", (ep.LOGS,))
ZONES = Fact("zones", (ep.ZONES,))
AUTHENTICATORS = Fact("authenticators", (ep.AUTHENTICATORS,))
LOG_STREAMS = Fact("log_streams", (ep.LOG_STREAMS,))
#: What every run reads, whatever its kinds: the org, to know which org the tenant is (remediator.org).
SESSION = Fact("session", ORG.endpoints)
#: What the engine's guardrails read before a lockout write (`Endpoint.lockout`): who is protected.
GUARDRAILS = Fact("guardrails", ME.endpoints + ACTIVE_SUPER_ADMINS.endpoints)


@dataclass(frozen=True)
class Admin:
    """A user holding at least one admin role; `roles` as `GET /users/{id}/roles` returns them."""

    user: dict[str, Any]
    roles: tuple[dict[str, Any], ...]

    @property
    def id(self) -> str:
        return str(self.user["id"])

    @property
    def login(self) -> str:
        return str(self.user.get("profile", {}).get("login", ""))

    def to_json(self) -> dict[str, Any]:
        return {"user": self.user, "roles": list(self.roles)}


def is_active_super_admin(admin: Admin) -> bool:
    """An ACTIVE user holding an ACTIVE SUPER_ADMIN role (directly or through a group): whom the last-super-admin
    guardrail keeps."""
    return admin.user.get("status") == "ACTIVE" and any(
        r.get("type") == "SUPER_ADMIN" and r.get("status", "ACTIVE") == "ACTIVE" for r in admin.roles)


def role_group_id(role: dict[str, Any]) -> str | None:
    """The group a GROUP role assignment comes from (from `_links.assignee.href`), if Okta says."""
    if role.get("assignmentType") != "GROUP":
        return None
    href = (role.get("_links") or {}).get("assignee", {})
    href = href.get("href") if isinstance(href, dict) else None
    if not href:
        return None
    parts = urlparse(href).path.rstrip("/").split("/")
    return parts[-1] if len(parts) >= 2 and parts[-2] == "groups" else None


class TenantReads:
    """One per tenant per run: memoised, concurrency-safe reads of what several kinds need."""

    def __init__(self, client: OktaClient) -> None:
        self.client = client
        self._tasks: dict[Hashable, asyncio.Future[Any]] = {}

    def _once(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> Awaitable[T]:
        task = self._tasks.get(key)
        if task is None:
            task = asyncio.ensure_future(read())
            self._tasks[key] = task
            task.add_done_callback(lambda t: self._forget_failed(key, t))
        # shield: one caller being cancelled must not cancel the read the others are waiting for
        return asyncio.shield(task)

    def _forget_failed(self, key: Hashable, task: asyncio.Future[Any]) -> None:
        if (task.cancelled() or task.exception() is not None) and self._tasks.get(key) is task:
            del self._tasks[key]

    async def _list(self, endpoint: Endpoint, *values: str, params: dict[str, Any] | None = None) -> list[Any]:
        return [item async for item in self.client.paginate(endpoint.path(*values), params)]

    async def _json(self, endpoint: Endpoint, *values: str, params: dict[str, Any] | None = None) -> Any:
        return await self.client.get_json(endpoint.path(*values), params)

    # uncached ---------------------------------------------------------------------------------
    async def fresh(self, endpoint: Endpoint, *values: str, params: dict[str, Any] | None = None) -> OktaResponse:
        """One GET of `endpoint` now, never cached: what a stale check or a write's recheck must see."""
        if endpoint.method != "GET":
            raise ValueError(f"not a read: {endpoint.method} {endpoint.template}")
        return await self.client.get(endpoint.path(*values), params)

    async def log_pages(self, params: dict[str, Any]) -> AsyncIterator[OktaResponse]:
        """System Log pages, streamed (an archive can hold millions of events: nothing is kept)."""
        watch = _LogProgress(self.client, params.get("since"), params.get("until"))
        async for page in self.client.pages(ep.LOGS.path(), params, prefetch=True):
            watch.page(page.body)
            yield page

    async def log_poll(self, params: dict[str, Any], *, cursor: str | None = None) -> AsyncIterator[OktaResponse]:
        """A System Log polling query (no `until`: Okta's way to transfer the log), from `params` or from
        `cursor`, the `next` link an earlier poll ended with; it ends at the first empty page, whose `next`
        link is the cursor to keep. A cursor is untrusted input (a manifest): it must be a System Log path."""
        if cursor is not None and not cursor.startswith(ep.LOGS.path() + "?"):
            raise ValueError(f"not a System Log cursor: {cursor[:80]!r}")
        source = cursor or ep.LOGS.path()
        watch = _LogProgress(self.client, params.get("since"), None)
        async for page in self.client.pages(source, None if cursor else params, stop_on_empty=True, prefetch=True):
            watch.page(page.body)
            yield page

    # users ------------------------------------------------------------------------------------
    async def me(self) -> dict[str, Any]:
        """The user that owns the API token: never locked out by automation.

        An OAuth 2.0 service app acts as no user: Okta answers 404 for `me`, and this returns `{}`
        (no token owner to protect; `break_glass` and the last-super-admin guardrail still apply).
        """
        async def read() -> dict[str, Any]:
            try:
                return dict(await self._json(ep.USER, "me") or {})
            except OktaApiError as exc:
                if exc.status == 404:
                    return {}
                raise

        return await self._once("me", read)

    async def user(self, user_id: str) -> dict[str, Any]:
        return await self._once(("user", user_id), lambda: self._json(ep.USER, user_id))

    async def users(self, search: str | None = None) -> list[dict[str, Any]]:
        """Users matching an Okta `search` expression, or all but DEPROVISIONED ones (200 a page)."""
        params = {"search": search, "limit": 200} if search else {"limit": 200}
        return await self._once(("users", search), lambda: self._list(ep.USERS, params=params))

    async def groups(self) -> list[dict[str, Any]]:
        return await self._once("groups", lambda: self._list(ep.GROUPS, params={"limit": 200}))

    async def roles(self, user_id: str) -> list[dict[str, Any]]:
        """Role assignments of a user, direct (USER) and through groups (GROUP)."""
        async def read() -> list[dict[str, Any]]:
            return list(await self._json(ep.USER_ROLES, user_id) or [])

        return await self._once(("roles", user_id), read)

    async def group_members(self, group_id: str) -> list[dict[str, Any]]:
        return await self._once(("members", group_id),
                                lambda: self._list(ep.GROUP_MEMBERS, group_id, params={"limit": 1000}))

    async def factors(self, user_id: str) -> list[dict[str, Any]]:
        """A user's factors. One call per user: use for admins, not for every user."""
        async def read() -> list[dict[str, Any]]:
            return list(await self._json(ep.USER_FACTORS, user_id) or [])

        return await self._once(("factors", user_id), read)

    async def user_by_login(self, login: str) -> dict[str, Any] | None:
        """`GET /users/{login}` (Okta accepts a login in place of the id), or None when there is none."""
        async def read() -> dict[str, Any] | None:
            try:
                return dict(await self._json(ep.USER, login) or {})
            except OktaApiError as exc:
                if exc.status == 404:
                    return None
                raise

        return await self._once(("login", login.lower()), read)

    # groups -----------------------------------------------------------------------------------
    async def group(self, group_id: str) -> dict[str, Any]:
        return await self._once(("group", group_id), lambda: self._json(ep.GROUP, group_id))

    async def group_roles(self, group_id: str) -> list[dict[str, Any]]:
        return await self._once(("group_roles", group_id), lambda: self._list(ep.GROUP_ROLES, group_id))

    async def group_named(self, name: str) -> dict[str, Any] | None:
        """The group whose `profile.name` is `name` (exact, else the only case-insensitive match), or None.

        `q` matches the start of group names (spec: listGroups); the exact name is picked here.
        """
        async def read() -> dict[str, Any] | None:
            found = await self._list(ep.GROUPS, params={"q": name, "limit": 200})
            names = [(str((g.get("profile") or {}).get("name", "")), g) for g in found]
            exact = [g for n, g in names if n == name]
            folded = [g for n, g in names if n.casefold() == name.casefold()]
            return exact[0] if exact else (folded[0] if len(folded) == 1 else None)

        return await self._once(("group_named", name), read)

    async def admins(self) -> list[Admin]:
        """Every user holding an admin role, directly or through a group, sorted by id."""
        return await self._once("admins", self._read_admins)

    async def active_super_admins(self) -> frozenset[str]:
        """Ids of the ACTIVE users holding an ACTIVE SUPER_ADMIN role (the last-super-admin guardrail's set)."""
        return frozenset(a.id for a in await self.admins() if is_active_super_admin(a))

    async def role_holders(self) -> list[str]:
        """Ids of the users with a role assignment (`GET /iam/assignees/users`, 100 a page), in Okta's order."""
        async def read() -> list[str]:
            return list(dict.fromkeys(str(item["id"]) for item in
                                      await self._list(ep.ROLE_ASSIGNEES, params={"limit": 100})))

        return await self._once("role_holders", read)

    async def _read_admins(self) -> list[Admin]:
        ids = await self.role_holders()
        admins = {a.id: a for a in await asyncio.gather(*(self._admin(uid) for uid in dict.fromkeys(ids)))}
        seen_groups: set[str] = set()
        while True:
            groups = {g for a in admins.values() for r in a.roles if (g := role_group_id(r))} - seen_groups
            if not groups:
                break
            seen_groups |= groups
            members = await asyncio.gather(*(self.group_members(g) for g in sorted(groups)))
            missing = {str(m["id"]) for ms in members for m in ms} - admins.keys()
            for member in [m for ms in members for m in ms if str(m["id"]) in missing]:
                self._tasks.setdefault(("user", str(member["id"])), _done(member))
            extra = await asyncio.gather(*(self._admin(uid) for uid in sorted(missing)))
            admins.update((a.id, a) for a in extra)
        return sorted((a for a in admins.values() if a.roles), key=lambda a: a.id)

    async def _admin(self, user_id: str) -> Admin:
        try:
            user, roles = await asyncio.gather(self.user(user_id), self.roles(user_id))
        except OktaApiError as exc:
            if exc.status != 404:
                raise
            # deleted between the assignee list and now: not an admin any more
            return Admin(user={"id": user_id}, roles=())
        return Admin(user=user, roles=tuple(roles))

    # org --------------------------------------------------------------------------------------
    async def org(self) -> dict[str, Any]:
        """The org itself (`GET /api/v1/org`): its `id` is the tenant's identity (remediator.org)."""
        return await self._once("org", lambda: self._json(ep.ORG))

    async def support(self) -> dict[str, Any]:
        """Org-level Okta Support access: `{support: ENABLED|DISABLED, expiration, caseNumber}`."""
        return await self._once("support", lambda: self._json(ep.ORG_SUPPORT))

    async def support_cases(self) -> list[dict[str, Any]]:
        """Support cases; Okta's body is `{"supportCases": [...]}` but its spec example is a bare array."""
        async def read() -> list[dict[str, Any]]:
            return support_cases_of(await self._json(ep.SUPPORT_CASES))

        return await self._once("support_cases", read)

    async def apps(self, *, filter_: str | None = None, q: str | None = None) -> list[dict[str, Any]]:
        """Every app, or those matching a `filter` (id, status, name: `eq` only) and/or a `q` prefix of name or
        label (one paged query either way)."""
        params = {k: v for k, v in (("filter", filter_), ("q", q)) if v}
        key = ("apps", filter_, q) if params else "apps"
        return await self._once(key, lambda: self._list(ep.APPS, params={**params, "limit": 200}))

    async def api_tokens(self) -> list[dict[str, Any]]:
        return await self._once("api_tokens", lambda: self._list(ep.API_TOKENS))

    async def idps(self) -> list[dict[str, Any]]:
        return await self._once("idps", lambda: self._list(ep.IDPS, params={"limit": 200}))

    async def policies(self, type_: str) -> list[dict[str, Any]]:
        # `limit` is a string in the spec (and the SDK breaks otherwise)
        return await self._once(("policies", type_),
                                lambda: self._list(ep.POLICIES, params={"type": type_, "limit": "200"}))

    async def rules(self, policy_id: str) -> list[dict[str, Any]]:
        return await self._once(("rules", policy_id), lambda: self._list(ep.POLICY_RULES, policy_id))

    # configuration ------------------------------------------------------------------------------
    async def zones(self) -> list[dict[str, Any]]:
        """Every network zone (paged)."""
        return await self._once("zones", lambda: self._list(ep.ZONES, params={"limit": 1000}))

    async def authenticators(self) -> list[dict[str, Any]]:
        return await self._once("authenticators", lambda: self._list(ep.AUTHENTICATORS))

    async def log_streams(self) -> list[dict[str, Any]]:
        return await self._once("log_streams", lambda: self._list(ep.LOG_STREAMS, params={"limit": 200}))

    async def setting(self, endpoint: Endpoint, *values: str) -> dict[str, Any]:
        """One of the org's singletons (ThreatInsight, the Admin Console session, ...) by the endpoint reading it."""
        async def read() -> dict[str, Any]:
            return dict(await self._json(endpoint, *values) or {})

        return await self._once(("setting", endpoint.path(*values)), read)

    async def events(self, filter_: str | None, since: str, until: str) -> list[dict[str, Any]]:
        """System Log events in a bounded range (matching `filter_`, if any), oldest first: one paged query."""
        params = {"filter": filter_, "since": since, "until": until, "sortOrder": "ASCENDING", "limit": 1000}
        if not filter_:
            del params["filter"]
        return await self._once(("events", filter_, since, until), lambda: self._list(ep.LOGS, params=params))


#: Users read at once while looking for a super admin outside a plan's targets (most admins are not one).
WITNESS_BATCH = 10


class TargetedReads(TenantReads):
    """`TenantReads` narrowed to the users a saved plan's changes target: what apply re-reads to re-decide them.

    Apply re-decides every planned change on a fresh read (issue 9), but a change can only be kept or
    dropped there, never added: `applier` writes a planned change only when the fresh decision holds it
    unchanged, and ignores any other. So the fresh read needs to be exact only about what decides the
    planned changes, and a kind that opts in (`Kind.targeted`) is given this view instead of the whole
    population; its `diff` is the same pure function, on a narrower observation:

    - `admins()`: the admins among `users` (this state's planned user targets), each read by id now
      (`GET /users/{id}` and `GET /users/{id}/roles`, which lists roles held through groups too). For
      any user in `users` this is exactly what the whole admin list says of them, or more exact (the
      list's group expansion is a bound, see the module docstring). A kind opts in only when its
      decision about one admin depends on nothing but that admin, the token owner, `break_glass`, the
      non-user facts (read in full as before) and the active super admins (below);
    - `users(search)`: the users among `users` the search matches (none at all without a call when
      `users` is empty: e.g. `okta.mfa`'s audit, which only ever makes findings);
    - `active_super_admins()`: exact for every user in `planned` (every user any planned change of the
      tenant targets) plus one *witness*: an active super admin outside `planned`, when there is one.
      Its consumers (`guardrails.protect`, the kinds' last-super-admin checks) ask only two things of
      the set: is a change's target in it, and does a member remain that no lockout change hits.
      Targets of planned changes are answered exactly. A witness is never the target of a planned
      change, so it remains after apply whatever the apply writes: "one remains" is true exactly when
      it is true of the whole set, and no apply locks out the last active super admin. (A fresh lockout
      the plan did not have, on the witness itself, can only refuse a plan the full read would have let
      through: the safe side. Apply never writes such a change.) The witness is found the cheapest way
      the API allows, since it has no listing of one role's holders (`listUsersWithRoleAssignments`
      takes no role filter; resource-set bindings cover custom roles only): the token owner first (its
      roles: one call), then the role holders (`GET /iam/assignees/users`, 100 a page) read by id
      `WITNESS_BATCH` at a time until one is found; only when none is, the whole admin list, so that
      "no witness" is proven as the full read proves it.

    Every other fact (support, tokens, policies, apps, the System Log...) is read in full as at plan
    time. The view shares the memo of the reads it narrows: a user read for one view is read once.
    """

    def __init__(self, base: TenantReads, users: Iterable[str], planned: Iterable[str]) -> None:
        super().__init__(base.client)
        self._tasks = base._tasks
        self.user_ids = frozenset(users)
        self.planned = frozenset(planned) | self.user_ids

    async def admins(self) -> list[Admin]:
        async def read() -> list[Admin]:
            found = await asyncio.gather(*(self._admin(uid) for uid in sorted(self.user_ids)))
            return [a for a in found if a.roles]

        return await self._once(("admins", self.user_ids), read)

    async def users(self, search: str | None = None) -> list[dict[str, Any]]:
        if not self.user_ids:
            return []
        return [u for u in await super().users(search) if str(u.get("id")) in self.user_ids]

    async def active_super_admins(self) -> frozenset[str]:
        async def read() -> frozenset[str]:
            targets = await asyncio.gather(*(self._admin(uid) for uid in sorted(self.planned)))
            witness = await self._witness()
            return frozenset(a.id for a in targets if is_active_super_admin(a)) | (
                {witness} if witness else frozenset())

        return await self._once(("active_super_admins", self.planned), read)

    async def _witness(self) -> str | None:
        """An active super admin that no planned change targets, or None when there is none."""
        me = await self.me()
        own = str(me["id"]) if me.get("id") else None
        if own and own not in self.planned and is_active_super_admin(Admin(me, tuple(await self.roles(own)))):
            return own
        rest = [uid for uid in await self.role_holders() if uid not in self.planned and uid != own]
        for start in range(0, len(rest), WITNESS_BATCH):
            batch = await asyncio.gather(*(self._admin(uid) for uid in rest[start:start + WITNESS_BATCH]))
            found = next((a.id for a in batch if is_active_super_admin(a)), None)
            if found:
                return found
        everyone = await TenantReads.admins(self)
        return next((a.id for a in everyone if is_active_super_admin(a) and a.id not in self.planned), None)


def support_cases_of(body: Any) -> list[dict[str, Any]]:
    """The cases of a `GET /org/privacy/oktaSupport/cases` body, wrapped or bare."""
    if isinstance(body, dict):
        body = body.get("supportCases")
    return list(body or [])


def _done(value: T) -> asyncio.Future[T]:
    future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
    future.set_result(value)
    return future


class _LogProgress:
    """Tells the progress display how far a System Log read is: events, pages, and the share of its time
    range done (the log is read oldest first, so the last event's `published` says where it is)."""

    def __init__(self, client: OktaClient, since: str | None, until: str | None) -> None:
        self.tenant = client.tenant
        self.client = client
        self.since = _epoch(since)
        self.until = _epoch(until)

    def page(self, body: Any) -> None:
        events = body if isinstance(body, list) else []
        fraction = None
        if events and self.since is not None:
            until = self.until
            if until is None:
                until = self.client.server_now().timestamp()
            last = _epoch(events[-1].get("published") if isinstance(events[-1], dict) else None)
            if until is not None and last is not None and until > self.since:
                fraction = min(1.0, max(0.0, (last - self.since) / (until - self.since)))
        progress.advance(self.tenant, "System Log", events=len(events), pages=1, fraction=fraction)


def _epoch(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_time(value).timestamp()
    except ValueError:
        return None

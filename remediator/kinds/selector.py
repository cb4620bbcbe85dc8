"""The user selector the user kinds share: `users: {...}` and `exclude: [logins]` beside it.

    users:
      logins: [a@acme.com, b@acme.com]      # these accounts
      search: 'profile.department eq "IT"'  # an Okta search expression
      group: Helpdesk                        # members of this group
      admins: true                           # holders of any admin role (directly or through a group)
      roles: [SUPER_ADMIN, ORG_ADMIN]        # holders of one of these role types
      created_after: "2022-01-21T00:00:00Z"
      status: [ACTIVE, LOCKED_OUT]
    exclude: [bg-admin@acme.com]

Every key is optional and the keys are combined with AND; an empty `users` is refused by the schema.
It is resolved with the fewest calls (the cost model is `benchmarks/model.py: selector_calls`):

- with `admins`/`roles`, the candidates are the admin list (`/iam/assignees/users`, a bounded read the
  engine's guardrails make anyway); with `group`, the group's members (1,000 a page);
- `logins`, `status` and `created_after` are then checked on those candidates locally, with no call;
- otherwise, or when a free `search` expression is given, one server-side `search` query built from
  `logins`, `status`, `created_after` and `search` (Okta's listUsers `search`: top-level `id`, `status`,
  `created`, ... and any profile attribute, `eq`/`sw`/`co` and the comparisons; DEPROVISIONED users
  included), intersected with the candidates when there are some.

No key ever costs a call per user of the tenant: a selector on 100,000 users costs its search's pages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from remediator.kinds.common import DATE_TIME, login, okta_time, user_view, when

#: Okta's role types (spec: components.schemas.RoleType).
ROLE_TYPES = (
    "ACCESS_CERTIFICATIONS_ADMIN", "ACCESS_REQUESTS_ADMIN", "API_ACCESS_MANAGEMENT_ADMIN", "APP_ADMIN", "CUSTOM",
    "GROUP_MEMBERSHIP_ADMIN", "HELP_DESK_ADMIN", "ORG_ADMIN", "READ_ONLY_ADMIN", "REPORT_ADMIN", "SUPER_ADMIN",
    "USER_ADMIN", "WORKFLOWS_ADMIN",
)
#: Okta's user statuses (spec: components.schemas.UserStatus).
USER_STATUSES = ("ACTIVE", "DEPROVISIONED", "LOCKED_OUT", "PASSWORD_EXPIRED", "PROVISIONED", "RECOVERY",
                 "STAGED", "SUSPENDED")
#: Logins per search query: Okta refuses "an overly complex or long search query" (spec: listUsers).
LOGINS_PER_QUERY = 25

_TEXT = {"type": "string", "minLength": 1}
USERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "minProperties": 1,
    "description": "which users: every key optional, keys combined with AND",
    "properties": {
        "logins": {"type": "array", "items": _TEXT, "minItems": 1, "description": "these logins"},
        "search": {**_TEXT, "description": "an Okta user search expression, run by Okta"},
        "group": {**_TEXT, "description": "members of the group with this name"},
        "admins": {"const": True, "description": "users holding an admin role, directly or through a group"},
        "roles": {"type": "array", "items": {"enum": list(ROLE_TYPES)}, "minItems": 1,
                  "description": "users holding one of these role types"},
        "created_after": {**DATE_TIME, "description": "accounts created at or after this"},
        "status": {"type": "array", "items": {"enum": list(USER_STATUSES)}, "minItems": 1},
    },
    "additionalProperties": False,
}
EXCLUDE_SCHEMA: dict[str, Any] = {"type": "array", "items": _TEXT, "default": [],
                                  "description": "logins or ids never selected"}


def selector_properties() -> dict[str, Any]:
    """The `users` and `exclude` arguments, for a kind's schema."""
    return {"users": USERS_SCHEMA, "exclude": EXCLUDE_SCHEMA}


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _any(terms: list[str]) -> str:
    return terms[0] if len(terms) == 1 else "(" + " or ".join(terms) + ")"


def search_expressions(sel: dict[str, Any], *, with_local: bool = True) -> list[str]:
    """The `search` queries for a selector (one, or one per chunk of logins); [] when none is needed.

    With `with_local=False` only the free `search` is sent (the rest is checked on candidates locally).
    """
    parts: list[str] = []
    if with_local:
        if sel.get("status"):
            parts.append(_any([f"status eq {_quote(s)}" for s in sel["status"]]))
        if sel.get("created_after"):
            parts.append(f"created ge {_quote(okta_time(sel['created_after']))}")
    if sel.get("search"):
        parts.append(f"({sel['search']})")
    logins = list(dict.fromkeys(sel.get("logins") or [])) if with_local else []
    if not logins:
        return [" and ".join(parts)] if parts else []
    chunks = [logins[i:i + LOGINS_PER_QUERY] for i in range(0, len(logins), LOGINS_PER_QUERY)]
    return [" and ".join([_any([f"profile.login eq {_quote(x)}" for x in chunk]), *parts]) for chunk in chunks]


def matches_locally(sel: dict[str, Any], user: dict[str, Any]) -> bool:
    """The keys a candidate can be checked on without a call: logins, status, created_after."""
    if sel.get("logins") and login(user).lower() not in {str(x).lower() for x in sel["logins"]}:
        return False
    if sel.get("status") and user.get("status") not in sel["status"]:
        return False
    if sel.get("created_after"):
        created, since = when(user.get("created")), when(okta_time(sel["created_after"]))
        if created is None or since is None or created < since:
            return False
    return True


def excluded(exclude: Iterable[str], user: dict[str, Any]) -> bool:
    names = {str(x).lower() for x in exclude}
    return login(user).lower() in names or str(user.get("id", "")).lower() in names


@dataclass
class Selection:
    """The selected users (as `user_view`s, sorted by login), how they were found, and what was not."""

    users: list[dict[str, Any]] = field(default_factory=list)
    how: list[str] = field(default_factory=list)
    missing: dict[str, Any] = field(default_factory=dict)
    excluded: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"how": self.how, "missing": self.missing, "excluded": self.excluded}


async def select(ctx: Any, sel: dict[str, Any], exclude: Iterable[str] = ()) -> Selection:
    """Resolve a selector on one tenant with the fewest calls (see the module docstring)."""
    out = Selection()
    candidates: dict[str, dict[str, Any]] | None = None
    if sel.get("admins") or sel.get("roles"):
        wanted = set(sel.get("roles") or ())
        admins = await ctx.reads.admins()
        holders = {a.id: a.user for a in admins
                   if any(r.get("status", "ACTIVE") == "ACTIVE" and (not wanted or r.get("type") in wanted)
                          for r in a.roles)}
        out.how.append(f"{'holders of ' + ', '.join(sorted(wanted)) if wanted else 'admins'} "
                       f"({len(holders)}, from the admin list)")
        candidates = holders
    if sel.get("group"):
        group = await ctx.reads.group_named(sel["group"])
        if group is None:
            out.missing["group"] = sel["group"]
            members: dict[str, dict[str, Any]] = {}
        else:
            members = {str(m["id"]): m for m in await ctx.reads.group_members(str(group["id"]))}
        out.how.append(f"members of group {sel['group']!r} ({len(members)})")
        candidates = members if candidates is None else {k: v for k, v in candidates.items() if k in members}
    if candidates is None:
        queries = search_expressions(sel)
        found = await asyncio.gather(*(ctx.reads.users(q) for q in queries))
        chosen = {str(u["id"]): u for page in found for u in page}
        out.how.extend(f"search {q!r} ({len(page)})" for q, page in zip(queries, found, strict=True))
    else:
        chosen = {k: u for k, u in candidates.items() if matches_locally(sel, u)}
        queries = search_expressions(sel, with_local=False)
        if queries:
            found = await ctx.reads.users(queries[0])
            ids = {str(u["id"]) for u in found}
            chosen = {k: u for k, u in chosen.items() if k in ids}
            out.how.append(f"search {queries[0]!r} ({len(found)})")
    if sel.get("logins"):
        seen = {login(u).lower() for u in chosen.values()}
        unmatched = [x for x in sel["logins"] if str(x).lower() not in seen]
        if unmatched:
            out.missing["logins"] = unmatched  # no such account, or it fails another key
    exclude = list(exclude)
    for user in sorted(chosen.values(), key=lambda u: login(u).lower()):
        if excluded(exclude, user):
            out.excluded.append(login(user))
        else:
            out.users.append(user_view(user))
    return out

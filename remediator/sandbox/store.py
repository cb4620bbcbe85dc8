"""The sandbox tenant's state: Okta's own JSON objects plus the indexes that make paging cheap.

Objects are kept exactly as loaded (so a snapshot round-trips unchanged); users and factors may be
compact rows that open as their JSON when read (`rows.RowMap`, for 100,000 users in little memory).
Indexes are derived:
users sorted by id (cursor = last id, bisect), logins, group membership both ways, and the
System Log as a list sorted by `published` with a parallel list of keys for bisect.
"""

from __future__ import annotations

import bisect
import json
import random
import string
import time
from array import array
from datetime import UTC, datetime, timedelta
from typing import Any

from remediator.sandbox.eventlog import EventLog
from remediator.sandbox.rows import RowMap, field
from remediator.timeutil import format_time, parse_time, utcnow

_ALNUM = string.ascii_letters + string.digits
_SYSRAND = random.SystemRandom()


class Clock:
    """The tenant's "now": starts at `start` and advances in real time (monotonic, never jumps back)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.start = (start or utcnow()).astimezone(UTC)
        self._m0 = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._m0)

    def advance(self, seconds: float) -> None:
        """Move the tenant's clock forward (tests and rehearsals skip waiting); never backwards."""
        if seconds < 0:
            raise ValueError("the tenant's clock never goes back")
        self.start += timedelta(seconds=seconds)


def new_id(prefix: str, rng: random.Random | None = None) -> str:
    """An Okta-looking id: 3-character type prefix + 17 alphanumerics (20 characters, like `00u…`)."""
    source = rng or _SYSRAND
    return prefix + "".join(source.choice(_ALNUM) for _ in range(20 - len(prefix)))


def random_token(length: int = 42) -> str:
    """An SSWS token shaped like Okta's (`00` + 40 url-safe characters)."""
    return "00" + "".join(_SYSRAND.choice(_ALNUM + "-_") for _ in range(length - 2))


def time_key(value: str) -> str:
    """Okta timestamps in canonical form sort as strings; normalise anything else once."""
    if isinstance(value, str) and len(value) == 24 and value.endswith("Z"):
        return value
    return format_time(parse_time(value))


class Store:
    """All state of one tenant. Only the server loop mutates it; readers elsewhere go through the loop."""

    def __init__(self) -> None:
        self.org_url = ""
        self.org_id = ""
        self.operator = ""
        self.present: set[str] = set()       # snapshot keys that were present, for an exact round-trip
        self.extra: dict[str, Any] = {}       # unknown top-level keys, kept as they were
        self.header: dict[str, Any] = {}
        self.okta_support: dict[str, Any] = {}
        #: "current": Okta Support access is per case, grant/extend/revoke answer 301 (retired in 2025.01);
        #: "2021": the org-level grant/extend/revoke of the older recordings (snapshot `org.okta_support_api`).
        self.okta_support_api = "current"
        self.support_cases: list[dict[str, Any]] = []
        self.users: RowMap = RowMap()  # id -> user (reads open compact rows as the user's JSON)
        self.user_ids: list[str] = []
        self.logins: dict[str, str] = {}
        self.user_text: dict[str, str] = {}  # id -> serialized user, so a 200-user page is a join
        self.groups: dict[str, dict[str, Any]] = {}
        self.group_ids: list[str] = []
        self.group_members: dict[str, list[str]] = {}
        self.user_groups: dict[str, list[str]] = {}
        self.user_roles: dict[str, list[dict[str, Any]]] = {}
        self.group_roles: dict[str, list[dict[str, Any]]] = {}
        self.factors: RowMap = RowMap()  # user id -> that user's factors (a list, once read)
        self.policies: list[dict[str, Any]] = []
        self.policy_rules: dict[str, list[dict[str, Any]]] = {}
        self.api_tokens: list[dict[str, Any]] = []
        self.idps: list[dict[str, Any]] = []
        self.apps: list[dict[str, Any]] = []
        self.oauth_clients: list[dict[str, Any]] = []
        self.network_zones: list[dict[str, Any]] = []
        self.authenticators: list[dict[str, Any]] = []
        self.log_streams: list[dict[str, Any]] = []
        self.settings: dict[str, dict[str, Any]] = {}  # Okta's singletons, keyed by the path that reads them
        self.logs: EventLog = EventLog()
        self.log_keys: list[str] = []
        self.log_by_type: dict[str, array[int]] = {}  # eventType -> positions, ascending (8 bytes each)
        self.persistence: Persistence | None = None   # None: every event is visible at its `published`

    # ---- users -------------------------------------------------------------------------------------
    def add_user(self, user: dict[str, Any]) -> None:
        uid = user["id"]
        if uid not in self.users:
            bisect.insort(self.user_ids, uid)
        self.users[uid] = user
        self.user_text.pop(uid, None)
        login = (user.get("profile") or {}).get("login")
        if login:
            self.logins[login.lower()] = uid

    def reindex_users(self) -> None:
        self.user_ids = sorted(self.users)
        self.logins = {}
        for uid, user in self.users.raw_items():
            login = (user.get("profile") or {}).get("login") if type(user) is dict else user.login
            if login:
                self.logins[login if login.islower() else login.lower()] = uid  # one string, not a copy

    def user_status(self, uid: str) -> Any:
        """A user's `status` without building its JSON."""
        return field(self.users.raw(uid), "status")

    def users_json(self, users: list[dict[str, Any]]) -> str:
        """`json.dumps(users)`, from a per-user cache (users are replaced, never edited, on writes)."""
        cache = self.user_text
        parts = []
        for user in users:
            text = cache.get(user["id"])
            if text is None:
                text = cache[user["id"]] = json.dumps(user)
            parts.append(text)
        return "[" + ", ".join(parts) + "]"

    def find_user(self, key: str) -> dict[str, Any] | None:
        """By id or by login (case-insensitive), as GET /users/{idOrLogin} does."""
        user = self.users.get(key)
        if user is None:
            uid = self.logins.get(key.lower())
            user = self.users.get(uid) if uid else None
        return user

    # ---- groups ------------------------------------------------------------------------------------
    def reindex_groups(self) -> None:
        self.group_ids = sorted(self.groups)
        self.user_groups = {}
        for gid, members in self.group_members.items():
            for uid in members:
                self.user_groups.setdefault(uid, []).append(gid)

    # ---- roles -------------------------------------------------------------------------------------
    def roles_of_user(self, uid: str) -> list[dict[str, Any]]:
        """What GET /users/{id}/roles returns: direct assignments, then those held through groups."""
        roles = list(self.user_roles.get(uid, ()))
        for gid in self.user_groups.get(uid, ()):
            for role in self.group_roles.get(gid, ()):
                view = dict(role)
                view["assignmentType"] = "GROUP"
                view["_links"] = {"assignee": {"href": f"{self.org_url}/api/v1/groups/{gid}"}}
                roles.append(view)
        return roles

    def admin_ids(self) -> list[str]:
        """Users holding a role directly or through a group, sorted by id (the /iam/assignees order)."""
        ids = {uid for uid, roles in self.user_roles.items() if roles and uid in self.users}
        for gid, roles in self.group_roles.items():
            if roles:
                ids.update(uid for uid in self.group_members.get(gid, ()) if uid in self.users)
        return sorted(ids)

    # ---- System Log --------------------------------------------------------------------------------
    def reindex_logs(self) -> None:
        logs = self.logs if isinstance(self.logs, EventLog) else EventLog(self.logs)
        keys = [time_key(published) for published in logs.published()]
        if any(keys[i] > keys[i + 1] for i in range(len(keys) - 1)):
            order = sorted(range(len(keys)), key=keys.__getitem__)
            logs = logs.reordered(order)
            keys = [keys[i] for i in order]
        self.logs = logs
        self.log_keys = keys
        self.log_by_type = {}
        for position, event_type in enumerate(logs.event_types()):
            self.log_by_type.setdefault(event_type, array("q")).append(position)
        if self.persistence is not None:
            self.persistence.rebuild(self.log_keys)

    def delay_persistence(self, seed: int, max_seconds: float, share: float) -> None:
        """Make a seeded `share` of events (loaded and future) visible up to `max_seconds` after `published`."""
        if max_seconds <= 0 or share <= 0:
            self.persistence = None
            return
        self.persistence = Persistence(seed, max_seconds, share)
        self.persistence.rebuild(self.log_keys)

    def next_published(self, now: datetime) -> str:
        """`published` for a new event: the clock, bumped 1 ms past the last event so order is strict."""
        key = format_time(now)
        if self.log_keys and key <= self.log_keys[-1]:
            key = format_time(parse_time(self.log_keys[-1]) + timedelta(milliseconds=1))
        return key

    def append_log(self, event: dict[str, Any]) -> None:
        self.log_by_type.setdefault(str(event.get("eventType")), array("q")).append(len(self.logs))
        self.logs.append(event)
        key = time_key(event["published"])
        self.log_keys.append(key)
        if self.persistence is not None:
            self.persistence.append(key)

    def visible(self, position: int, now_key: str) -> bool:
        """Whether the event at `position` (published order) is persisted, so queries can see it, at `now_key`."""
        return self.persistence is None or self.persistence.visible[position] <= now_key

    def persisted(self, since: str, now_key: str) -> tuple[int, int]:
        """Persistence-order indexes `[lo, hi)` of the events persisted in `[since, now_key]`."""
        keys = self.log_keys if self.persistence is None else self.persistence.keys
        return bisect.bisect_left(keys, since), bisect.bisect_right(keys, now_key)

    def persisted_at(self, index: int) -> int:
        """The published-order position of the `index`-th event in persistence order."""
        return index if self.persistence is None else self.persistence.order[index]


class Persistence:
    """When each System Log event becomes visible to queries: Okta persists some events late.

    Okta: "Not all events for the specified time range may be present. Some events may be delayed"
    (https://developer.okta.com/docs/reference/system-log-query/), and polling queries filter and order
    by persistence time, not `published` (the spec's `since`/`until` of `GET /api/v1/logs`). Delays are
    drawn from a seeded generator, one per event in `published` order, so a tenant is reproducible.
    `visible[pos]` is the persistence key of the event at published position `pos`; `keys`/`order` list
    every event in persistence order (ties in published order), so a polling cursor is an index there:
    new events persist at or after "now", which is after every index a cursor was handed out for.
    """

    def __init__(self, seed: int, max_seconds: float, share: float) -> None:
        self.seed, self.max_ms, self.share = seed, max(1, int(max_seconds * 1000)), share
        self.visible: list[str] = []
        self.keys: list[str] = []
        self.order = array("q")
        self._rng = random.Random(seed)

    def _delayed(self, key: str) -> str:
        rng = self._rng
        if rng.random() >= self.share:
            return key
        return format_time(parse_time(key) + timedelta(milliseconds=1 + int(rng.random() * self.max_ms)))

    def rebuild(self, log_keys: list[str]) -> None:
        self._rng = random.Random(self.seed)
        self.visible = [self._delayed(k) for k in log_keys]
        visible = self.visible
        ranked = sorted(range(len(visible)), key=visible.__getitem__)
        self.order = array("q", ranked)
        self.keys = [visible[i] for i in ranked]

    def append(self, key: str) -> None:
        visible = self._delayed(key)
        self.visible.append(visible)
        at = bisect.bisect_right(self.keys, visible)
        self.keys.insert(at, visible)
        self.order.insert(at, len(self.visible) - 1)

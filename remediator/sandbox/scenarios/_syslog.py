"""System Log events in Okta's wire format, generated fast enough for a million of them.

Events are first planned as small tuples `(ms, seq, code, a, b, c)`, sorted, made strictly
increasing at millisecond resolution (ties are pushed 1 ms later), and only then built as
dicts: so `published` is unique and ordered, and `uuid` (a time-based v1 UUID, as Okta's are)
and `debugContext.debugData.requestId` (base64 of the epoch second + random bytes, as Okta's
are) follow from the final time.

To stay fast, events of one person share their read-only sub-objects (`actor`, `client`,
`request`, `securityContext`, and `authenticationContext` within a session). Treat events as
immutable; a deep copy (or JSON) gives independent objects.
"""

from __future__ import annotations

import bisect
import random
from binascii import b2a_base64
from collections.abc import Callable, Sequence
from typing import Any

from remediator.sandbox.eventlog import EventLog
from remediator.sandbox.scenarios import _data
from remediator.sandbox.scenarios._shapes import DAY_MS, HOUR_MS, MINUTE_MS, iso_ms

# eventType -> (legacyEventType, displayMessage, severity)
EVENT_TYPES: dict[str, tuple[str | None, str, str]] = {
    "policy.evaluate_sign_on": (None, "Evaluation of sign-on policy", "INFO"),
    "user.session.start": ("core.user_auth.login_success", "User login to Okta", "INFO"),
    "user.session.end": ("core.user_auth.logout_success", "User logout from Okta", "INFO"),
    "user.authentication.auth_via_mfa": ("core.user.factor.attempt_success", "Authentication of user via MFA",
                                         "INFO"),
    "user.authentication.sso": ("app.auth.sso", "User single sign on to app", "INFO"),
    "app.oauth2.token.grant.access_token": (None, "OIDC access token is granted", "INFO"),
    "user.session.access_admin_app": (None, "User accessing Okta admin app", "INFO"),
    "user.account.update_password": ("core.user.config.password_update.success", "User update password for Okta",
                                     "INFO"),
    "user.account.reset_password": ("core.user.config.user_status.password_reset",
                                    "Fired when the user's Okta password is reset", "INFO"),
    "user.account.unlock_by_admin": (None, "User account unlock by admin", "INFO"),
    "user.lifecycle.create": (None, "Create Okta user", "INFO"),
    "user.lifecycle.activate": ("core.user.config.user_activated", "Activate Okta user", "INFO"),
    "group.user_membership.add": ("core.user_group_member.user_add", "Add user to group membership", "INFO"),
    "group.lifecycle.create": (None, "Create Okta group", "INFO"),
    "user.session.impersonation.grant": ("core.user.impersonation.grant.enabled", "Enable impersonation grant",
                                         "INFO"),
    "user.session.impersonation.initiate": (None, "Initiate impersonation session", "INFO"),
    "user.session.impersonation.end": (None, "End impersonation session", "INFO"),
    "user.mfa.factor.reset_all": (None, "Reset all factors for user", "INFO"),
    "user.account.privilege.grant": ("core.user.admin_privilege.granted", "Grant user privilege", "INFO"),
    "group.privilege.grant": (None, "Grant group privilege", "INFO"),
    "system.api_token.create": ("api.token.create", "Create API token", "INFO"),
    "system.idp.lifecycle.create": (None, "Create IdP", "INFO"),
    "policy.rule.update": (None, "Update policy rule", "INFO"),
}

SUCCESS = {"result": "SUCCESS", "reason": None}
_ALLOW: dict[str, str | None] = {"result": "ALLOW", "reason": "Sign-on policy evaluation resulted in ALLOW"}
_BAD_PASSWORD: dict[str, str | None] = {"result": "FAILURE", "reason": "INVALID_CREDENTIALS"}
_NO_SESSION = {"authenticationProvider": None, "credentialProvider": None, "credentialType": None, "issuer": None,
               "interface": None, "authenticationStep": 0, "externalSessionId": "unknown"}
_UUID_EPOCH = 0x01B21DD213814000  # 100 ns intervals from 1582-10-15 to 1970-01-01

# codes of planned events
(EVAL, MFA, START, START_FAIL, SSO, TOKEN, ADMIN_APP, END, PASSWORD, EXPLICIT) = range(10)
_CODE_TYPES = {EVAL: "policy.evaluate_sign_on", MFA: "user.authentication.auth_via_mfa", START: "user.session.start",
               SSO: "user.authentication.sso", TOKEN: "app.oauth2.token.grant.access_token",
               ADMIN_APP: "user.session.access_admin_app", END: "user.session.end",
               PASSWORD: "user.account.update_password"}


class Context:
    """Where a request came from: an IP address and shared parts (place, user agent, network).

    One per person who signs in (100,000 at 100,000 users), so only the IP is its own: `client` and
    `request` are built on each read (about 130 bytes held instead of 1.6 KB of dicts)."""

    __slots__ = ("agent", "device", "geo", "ip", "security")

    def __init__(self, ip: str, geo: dict, agent: dict, device: str, security: dict) -> None:
        self.ip, self.geo, self.agent, self.device, self.security = ip, geo, agent, device, security

    @property
    def client(self) -> dict[str, Any]:
        return {"userAgent": self.agent, "zone": "null", "device": self.device, "id": None, "ipAddress": self.ip,
                "geographicalContext": self.geo}

    @property
    def request(self) -> dict[str, Any]:
        return {"ipChain": [{"ip": self.ip, "geographicalContext": self.geo, "version": "V4", "source": None}]}


_SHARED: dict[tuple, dict[str, Any]] = {}  # read-only parts of contexts, one object per distinct value


def _shared(key: tuple, make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    found = _SHARED.get(key)
    if found is None:
        found = _SHARED[key] = make()
    return found


def make_context(ip: str, place: Sequence[Any], agent: Sequence[Any], *, proxy: bool = False,
                 network: tuple[int, str, str, str] | None = None) -> Context:
    city, state, country, postal, lat, lon, net = place[0], place[1], place[2], place[3], place[4], place[5], place[6]
    net = network or net
    geo = _shared(("geo", city, state, country, postal, lat, lon),
                  lambda: {"city": city, "state": state, "country": country, "postalCode": postal,
                           "geolocation": {"lat": lat, "lon": lon}})
    user_agent = _shared(("agent", agent[0], agent[1], agent[2]),
                         lambda: {"rawUserAgent": agent[0], "os": agent[1], "browser": agent[2]})
    security = _shared(("net", *net, proxy), lambda: {"asNumber": net[0], "asOrg": net[1], "isp": net[2],
                                                      "domain": net[3], "isProxy": proxy})
    return Context(ip, geo, user_agent, agent[3], security)


def auth_context(session_id: str | None) -> dict[str, Any]:
    return {"authenticationProvider": None, "credentialProvider": None, "credentialType": None, "issuer": None,
            "interface": None, "authenticationStep": 0, "externalSessionId": session_id or "unknown"}


def actor_of(uid: str, login: str, display: str) -> dict[str, Any]:
    return {"id": uid, "type": "User", "alternateId": login, "displayName": display, "detailEntry": None}


def target_user(uid: str, login: str, display: str) -> dict[str, Any]:
    return {"id": uid, "type": "User", "alternateId": login, "displayName": display, "detailEntry": None}


class Explicit:
    """One hand-placed event (planted trace or legitimate admin action)."""

    __slots__ = ("actor", "auth", "ctx", "debug", "event_type", "outcome", "tag", "target")

    def __init__(self, event_type: str, actor: dict, ctx: Context, target: list[dict] | None, *,
                 tag: str | None = None, auth: dict | None = None, debug: dict | None = None,
                 outcome: dict | None = None) -> None:
        assert event_type in EVENT_TYPES, event_type
        self.event_type, self.actor, self.ctx, self.target, self.tag = event_type, actor, ctx, target, tag
        self.auth = auth or auth_context(None)
        self.debug = debug or {}
        self.outcome = outcome or SUCCESS


class Signer:
    """What the log needs of a user who signs in: identity, home context, factor, admin or not."""

    __slots__ = ("actor", "admin", "ctx", "factor", "last_login", "uid")

    def __init__(self, uid: str, actor: dict, ctx: Context, factor: str | None, admin: bool, last_login: int):
        self.uid, self.actor, self.ctx, self.factor, self.admin, self.last_login = (
            uid, actor, ctx, factor, admin, last_login)


class LogPlanner:
    """Collects planned events, then builds the sorted, strictly increasing System Log."""

    def __init__(self, rng: random.Random, org: str) -> None:
        self.rng = rng
        self.org = org
        self.plan: list[tuple] = []
        self.explicit: list[Explicit] = []
        self.sessions: list[str] = []

    def add_explicit(self, ms: int, event: Explicit) -> None:
        self.explicit.append(event)
        self.plan.append((ms, len(self.plan), EXPLICIT, len(self.explicit) - 1, 0, 0))

    def add_password_change(self, ms: int, person: Signer) -> None:
        self.plan.append((ms, len(self.plan), PASSWORD, person, 0, 0))

    def add_sessions(self, people: Sequence[Any], signer: Callable[[Any], Signer], count: int, start: int,
                     end: int, apps: Sequence[tuple[str, str, str]], policy_target: list[dict]) -> None:
        """Plan ordinary sign-in sessions until exactly `count` events are planned, within [start, end).

        `people` are chosen uniformly; `signer(p)` gives (and caches) the log's view of one of them.
        """
        if count <= 0 or not people:
            return
        rng = self.rng
        rand, expo, bits = rng.random, rng.expovariate, rng.getrandbits
        plan = self.plan
        app_cum = list(_cumulative(_data.APP_WEIGHTS[: len(apps)]))
        app_total = app_cum[-1]
        oidc = [mode == "OPENID_CONNECT" for _id, _label, mode in apps]
        latest_start = end - 6 * HOUR_MS
        planned = 0
        sessions = self.sessions
        self.apps = apps
        self.policy_target = policy_target
        n_people = len(people)
        bisect_right = bisect.bisect_right
        misses = 0
        while planned < count:
            person = signer(people[int(rand() * n_people)])
            limit = min(person.last_login, latest_start)
            if limit <= start:
                misses += 1
                if misses > 100_000 and planned == 0:  # nobody signed in during the window
                    return
                continue
            t0 = _business_time(rng, start, limit)
            sessions.append("102" + _b64(bits(132), 17)[:22])  # the session id: its context is built on read
            s = len(sessions) - 1
            events: list[tuple[int, int, int]] = []  # (offset ms, code, extra)
            t = 0
            if rand() < 0.03:
                events.append((t, START_FAIL, 0))
                t += 4_000 + int(rand() * 36_000)
            events.append((t, EVAL, 0))
            t += 150 + int(rand() * 750)
            if person.factor is not None and rand() < 0.7:
                t += 2_000 + int(rand() * 23_000)
                events.append((t, MFA, 0))
            t += 100 + int(rand() * 700)
            events.append((t, START, 0))
            for _ in range(1 + int(expo(0.7))):
                t += 1_000 + int(expo(1 / 600_000))
                app = bisect_right(app_cum, int(rand() * app_total))
                events.append((t, TOKEN if oidc[app] and rand() < 0.5 else SSO, app))
            if person.admin and rand() < 0.5:
                t += 1_000 + int(expo(1 / 300_000))
                events.append((t, ADMIN_APP, 0))
            if rand() < 0.4:
                t += MINUTE_MS + int(expo(1 / 3_600_000))
                events.append((t, END, 0))
            for offset, code, extra in events:
                if planned >= count:
                    break
                plan.append((t0 + min(offset, 5 * HOUR_MS), len(plan), code, person, s, extra))
                planned += 1

    def build(self, on_explicit: Callable[[Explicit, dict], None] | None = None) -> EventLog:
        """Sort, make `published` strictly increasing, and build every event (a compact `Row`: hot path;
        hand-placed events as dicts)."""
        plan = self.plan
        plan.sort()
        getrandbits = self.rng.getrandbits
        nodes = [f"{getrandbits(48) | 0x010000000000:012x}" for _ in range(8)]
        apps = getattr(self, "apps", ())
        sso_targets = [[{"id": app_id, "type": "AppInstance", "alternateId": label, "displayName": label,
                         "detailEntry": {"signOnModeType": mode}}] for app_id, label, mode in apps]
        sso_paths = [f"/app/{app_id}/sso/saml" for app_id, _label, _mode in apps]
        token_actors = [{"id": app_id, "type": "PublicClientApp", "alternateId": app_id, "displayName": label,
                         "detailEntry": None} for app_id, label, _mode in apps]
        policy_target = getattr(self, "policy_target", None)
        sessions, explicit = self.sessions, self.explicit
        meta = {code: (name,) + EVENT_TYPES[name] for code, name in _CODE_TYPES.items()}
        fail_meta = ("user.session.start", "core.user_auth.login_failed", "User login to Okta", "WARN")
        events = EventLog()
        append = events.append
        last = -1
        for ms, _seq, code, a, b, c in plan:
            if ms <= last:
                ms = last + 1
            last = ms
            r = getrandbits(128)
            if code in (EXPLICIT, TOKEN):
                uuid, rid = _uuid(ms, r, nodes), _rid(ms, r)
            if code == EXPLICIT:
                ex = explicit[a]
                debug = {"requestId": rid}
                debug.update(ex.debug)
                event = _event(uuid, iso_ms(ms), ex.event_type, ex.actor, ex.ctx.client, ex.outcome, ex.target, rid,
                               debug, ex.auth, ex.ctx.security, ex.ctx.request)
                if on_explicit is not None:
                    on_explicit(ex, event)
                append(event)
                continue
            ctx = a.ctx
            actor = a.actor
            outcome = SUCCESS
            target = None
            auth = _NO_SESSION if code == PASSWORD else sessions[b]
            if code == SSO:
                target, path = sso_targets[c], sso_paths[c]
            elif code == EVAL:
                outcome, target, path = _ALLOW, policy_target, "/api/v1/authn"
            elif code == START:
                path = "/api/v1/authn"
            elif code == MFA:
                path = "/api/v1/authn/factors/verify"
            elif code == END:
                path = "/login/signout"
            elif code == TOKEN:
                actor = token_actors[c]
                target = [{"id": "AT." + rid[:20], "type": "access_token", "alternateId": "Access Token",
                           "displayName": "Access Token",
                           "detailEntry": {"expires": iso_ms(ms + HOUR_MS), "subject": a.uid, "hash": rid[5:27]}}]
                path = "/oauth2/v1/token"
            elif code == ADMIN_APP:
                path = "/admin/sso/callback"
            elif code == START_FAIL:
                outcome, path = _BAD_PASSWORD, "/api/v1/authn"
            else:  # PASSWORD: the user changed their own password
                target = [{"id": a.uid, "type": "User", "alternateId": actor["alternateId"],
                           "displayName": actor["displayName"], "detailEntry": None}]
                path = "/enduser/api/v1/home/password"
            append(Row(ms << 128 | r, nodes, iso_ms(ms), fail_meta if code == START_FAIL else meta[code], actor, ctx,
                       outcome, target, path, a.factor if code == MFA else _NO_FACTOR, auth))
        return events


def _uuid(ms: int, r: int, nodes: list[str]) -> str:
    """A time-based (v1) UUID at `ms`, as Okta's event uuids are; `r` gives its low bits and node."""
    t100 = ms * 10_000 + _UUID_EPOCH + (r & 0x1FFF)
    return (f"{t100 & 0xFFFFFFFF:08x}-{(t100 >> 32) & 0xFFFF:04x}-{((t100 >> 48) & 0x0FFF) | 0x1000:04x}-"
            f"{0x8000 | ((r >> 13) & 0x3FFF):04x}-{nodes[(r >> 27) & 7]}")


def _rid(ms: int, r: int) -> str:
    """A request id as Okta's look: base64 of the epoch second and random bytes, `-`/`@` for `+`/`/`."""
    rid = b2a_base64(((ms // 1000) << 128 | r).to_bytes(20, "big"), newline=False).decode()[:27]
    return rid.replace("+", "-").replace("/", "@")


_RANDOM = (1 << 128) - 1
_NO_FACTOR = ...  # not an MFA event: no `factor` key (a singleton that survives pickling, unlike object())


class Row:
    """A generated event, compactly (about 300 bytes with its `published`, against 1.4 KB as dicts): what
    varies per event (time, random bits) and references to what events share; `event()` builds
    Okta's wire dict, key for key and value for value as it always was, uuid and request id included
    (they follow from the time and the random bits). eventlog.EventLog opens rows a page at a time."""

    __slots__ = ("actor", "auth", "bits", "ctx", "factor", "meta", "nodes", "outcome", "path", "published", "target")

    def __init__(self, bits: int, nodes: list[str], published: str, meta: tuple[str, str | None, str, str],
                 actor: dict, ctx: Context, outcome: dict, target: list | None, path: str, factor: Any,
                 auth: dict | str) -> None:
        # auth: the session's `authenticationContext`, or only its session id (built on read)
        # bits: the epoch ms above the 128 random bits (one int object instead of two)
        self.bits, self.nodes, self.published, self.meta, self.actor = bits, nodes, published, meta, actor
        self.ctx, self.outcome, self.target, self.path = ctx, outcome, target, path
        self.factor, self.auth = factor, auth

    @property
    def event_type(self) -> str:
        return self.meta[0]

    def event(self) -> dict[str, Any]:
        name, legacy, message, severity = self.meta
        path, ctx, bits = self.path, self.ctx, self.bits
        ms, r = bits >> 128, bits & _RANDOM
        rid = _rid(ms, r)
        debug = {"requestId": rid, "requestUri": path, "threatSuspected": "false", "url": url_of(path)}
        if self.factor is not _NO_FACTOR:
            debug["factor"] = self.factor
        return {"uuid": _uuid(ms, r, self.nodes), "published": self.published, "eventType": name, "version": "0",
                "severity": severity, "legacyEventType": legacy, "displayMessage": message, "actor": self.actor,
                "client": ctx.client, "outcome": self.outcome, "target": self.target,
                "transaction": {"type": "WEB", "id": rid, "detail": NO_DETAIL},
                "debugContext": {"debugData": debug},
                "authenticationContext": auth if isinstance(auth := self.auth, dict) else auth_context(auth),
                "securityContext": ctx.security, "request": ctx.request}


#: Shared by every event (events are read-only): one empty `transaction.detail` and one `url` string per
#: path instead of a new object per event, which matters at a million events.
NO_DETAIL: dict[str, Any] = {}
_URLS: dict[str, str] = {}


def url_of(path: str) -> str:
    return _URLS.get(path) or _URLS.setdefault(path, path + "?")


def _event(uuid: str, published: str, event_type: str, actor: dict, client: dict, outcome: dict,
           target: list | None, rid: str, debug: dict, auth: dict, security: dict, request: dict) -> dict[str, Any]:
    legacy, message, severity = EVENT_TYPES[event_type]
    return {"uuid": uuid, "published": published, "eventType": event_type, "version": "0", "severity": severity,
            "legacyEventType": legacy, "displayMessage": message, "actor": actor, "client": client,
            "outcome": outcome, "target": target, "transaction": {"type": "WEB", "id": rid, "detail": NO_DETAIL},
            "debugContext": {"debugData": debug}, "authenticationContext": auth, "securityContext": security,
            "request": request}


def _b64(number: int, size: int) -> str:
    """Okta-style opaque ids: base64 with `-` and `@` for `+` and `/` (as Okta's request ids look)."""
    return b2a_base64(number.to_bytes(size, "big"), newline=False).decode().replace("+", "-").replace("/", "@")


def _cumulative(weights: Sequence[int]) -> list[int]:
    total, out = 0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _business_time(rng: random.Random, start: int, limit: int) -> int:
    """A sign-in time in [start, limit): weekdays and working hours (US and Europe) are busier."""
    rand = rng.random
    first_day, days = start // DAY_MS, (limit - 1) // DAY_MS - start // DAY_MS + 1
    for _ in range(6):
        day = first_day + int(rand() * days)
        if (day + 3) % 7 >= 5 and rand() < 0.75:  # 1970-01-01 was a Thursday
            continue
        hour = rng.gauss(15.5, 3.5)
        t = day * DAY_MS + int((hour % 24) * HOUR_MS) + int(rand() * MINUTE_MS)
        if start <= t < limit:
            return t
    return start + int(rand() * (limit - start))

"""The workforce of a generated tenant: ordinary people, their lifecycle dates and their factors.

Kept apart from the planted compromise (lapsus_2022.py) so the latter reads as the list of what
was planted. Everything is drawn from one seeded `random.Random`, in a fixed order.
"""

from __future__ import annotations

import base64
import bisect
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from remediator.sandbox.scenarios import _data
from remediator.sandbox.scenarios._shapes import DAY_MS, FACTOR_PREFIX, HOUR_MS, FactorRow, Ids, user

# status of ordinary people, with weights (per 1,000)
STATUSES = (("ACTIVE", 900), ("STAGED", 15), ("PROVISIONED", 20), ("SUSPENDED", 15), ("DEPROVISIONED", 30),
            ("LOCKED_OUT", 8), ("PASSWORD_EXPIRED", 10), ("RECOVERY", 2))
FACTOR_LOG_NAMES = {"push": "OKTA_VERIFY_PUSH", "token:software:totp": "OKTA_SOFT_TOKEN", "sms": "SMS_FACTOR",
                    "webauthn": "FIDO_WEBAUTHN"}
_CAN_HAVE_FACTORS = frozenset(("ACTIVE", "SUSPENDED", "LOCKED_OUT", "PASSWORD_EXPIRED", "RECOVERY"))


@dataclass(slots=True)  # 100,000 of them: no per-object __dict__
class Person:
    """A user, compactly: times are epoch ms (None where Okta writes null). Once the tenant is built it is
    also the sandbox's row for the user (`rows.RowMap`): `open()` builds the user as `GET /api/v1/users`
    lists it, about 600 bytes held instead of 2.2 KB of dicts."""

    uid: str
    first: str
    last: str
    login: str
    department: int
    title: str
    status: str
    created: int
    activated: int | None
    status_changed: int | None
    last_login: int | None
    password_changed: int | None
    phone: str | None
    employee_number: str
    factors: Sequence[FactorRow] | None = None   # None: no entry in the snapshot's `factors`
    tenant: tuple[str, str, str] | None = None   # (org URL, organization, user type id), set once built

    @property
    def id(self) -> str:
        return self.uid

    @property
    def display(self) -> str:
        return f"{self.first} {self.last}"

    def open(self) -> dict[str, Any]:
        if self.tenant is None:
            raise ValueError("a person becomes a user once the tenant is built")
        org, organization, type_id = self.tenant
        return user(org, self.uid, self.status, created=self.created, activated=self.activated,
                    status_changed=self.status_changed, last_login=self.last_login,
                    password_changed=self.password_changed, type_id=type_id, profile=self.profile(organization))

    def profile(self, organization: str) -> dict[str, Any]:
        dept, cost, _titles = _data.DEPARTMENTS[self.department]
        return {"firstName": self.first, "lastName": self.last, "mobilePhone": self.phone, "secondEmail": None,
                "login": self.login, "email": self.login, "displayName": self.display, "title": self.title,
                "department": dept, "employeeNumber": self.employee_number,
                "costCenter": f"{cost}-{100 + self.department * 7:03d}", "organization": organization}


class Logins:
    """first.last@domain, with a number on collisions (james.smith2@…)."""

    def __init__(self, domain: str) -> None:
        self.domain = domain
        self.seen: dict[str, int] = {}

    def reserve(self, local: str) -> str:
        self.seen[local] = 1
        return f"{local}@{self.domain}"

    def make(self, first: str, last: str) -> str:
        base = f"{first}.{last}".lower()
        count = self.seen.get(base, 0) + 1
        self.seen[base] = count
        return f"{base}@{self.domain}" if count == 1 else f"{base}{count}@{self.domain}"


_AREAS = (415, 212, 512, 312, 206, 303, 617, 404)


def phone(rng: random.Random) -> str:
    rand = rng.random
    return f"+1 {_AREAS[int(rand() * 8)]}-555-{100 + int(rand() * 9900):04d}"


def _between(rand: Any, low: int, high: int) -> int:
    """`randrange(low, high)` without its cost (a float draw is ample for millisecond times)."""
    return low + int(rand() * (high - low))


def ordinary_people(rng: random.Random, ids: Ids, logins: Logins, count: int, *, earliest: int, latest: int,
                    now: int) -> list[Person]:
    """`count` ordinary people created in [earliest, latest], statuses and dates consistent with Okta's rules."""
    firsts, lasts = _data.FIRST_NAMES, _data.LAST_NAMES
    dept_cum, total = [], 0
    for w in _data.DEPARTMENT_WEIGHTS:
        total += w
        dept_cum.append(total)
    status_cum, status_names, stotal = [], [], 0
    for name, w in STATUSES:
        stotal += w
        status_cum.append(stotal)
        status_names.append(name)
    rand, expo = rng.random, rng.expovariate
    n_first, n_last = len(firsts), len(lasts)
    departments = _data.DEPARTMENTS

    def randrange(low: int, high: int) -> int:
        return low + int(rand() * (high - low))

    span = latest - earliest
    out: list[Person] = []
    append = out.append
    for i in range(count):
        uid = ids.new("00u")
        first, last = firsts[int(rand() * n_first)], lasts[int(rand() * n_last)]
        dept = bisect.bisect_right(dept_cum, int(rand() * total))
        status = status_names[bisect.bisect_right(status_cum, int(rand() * stotal))]
        created = earliest + int(span * rand() ** 0.6)  # the org grew: more recent hires
        created -= created % 1000
        act = created + randrange(60_000, 3 * DAY_MS)
        pw = act + randrange(1_000, HOUR_MS)
        activated: int | None = act
        status_changed: int | None = act
        last_login: int | None = None
        password_changed: int | None = pw
        if status == "STAGED":
            activated = status_changed = password_changed = None
        elif status == "PROVISIONED":
            password_changed = None
        elif status == "DEPROVISIONED":
            low = max(act, latest - 700 * DAY_MS)
            changed = randrange(low, max(low + DAY_MS, latest))
            status_changed = changed
            last_login = randrange(act, changed) if rand() < 0.9 else None
            activated = password_changed = None
        else:
            pw = randrange(pw, now - DAY_MS) if rand() < 0.8 else pw
            if rand() < 0.88:
                last_login = now - int(expo(1 / (4 * DAY_MS))) - randrange(0, HOUR_MS)
            else:
                last_login = randrange(act, now - 60 * DAY_MS) if act < now - 61 * DAY_MS else None
            if last_login is not None and last_login < pw:
                last_login = pw + randrange(1_000, 600_000)
            changed = act
            if status == "SUSPENDED":
                low = max(act, latest - 500 * DAY_MS)
                changed = randrange(low, max(low + DAY_MS, latest))
            elif status in ("LOCKED_OUT", "PASSWORD_EXPIRED", "RECOVERY"):
                changed = now - randrange(HOUR_MS, 60 * DAY_MS)
                changed = max(changed, act + HOUR_MS)
            if status != "ACTIVE":
                pw = min(pw, changed - 1_000)
                if last_login is not None and last_login > changed:
                    last_login = changed - randrange(1_000, DAY_MS)
                    last_login = last_login if last_login > act else None
            status_changed, password_changed = changed, pw
        titles = departments[dept][2]
        append(Person(uid, first, last, logins.make(first, last), dept, titles[int(rand() * len(titles))],
                      status, created, activated, status_changed, last_login, password_changed,
                      phone(rng) if rand() < 0.55 else None, str(100_000 + i)))
    return out


def stamp(value: int | None) -> int:
    """A timestamp the scenario set on a planted person (None here is a bug of the scenario)."""
    if value is None:
        raise ValueError("the scenario needs this timestamp of a planted person")
    return value


def enroll(rng: random.Random, ids: Ids, org: str, person: Person, now: int, *, kinds: tuple[str, ...] = (),
           pending_only: bool = False) -> list[FactorRow]:
    """Factors for one person: `kinds` if given, else a realistic mix (about 85% have an active one)."""
    uid = person.uid
    start = person.activated or person.created
    rand = rng.random
    out: list[FactorRow] = []
    if pending_only:
        when = _between(rand, start, now - HOUR_MS)
        return [FactorRow(org, uid, ids.new("mbl"), "sms", "PENDING_ACTIVATION", created=when, updated=when,
                       profile={"phoneNumber": (person.phone or phone(rng)).replace(" ", "").replace("-", "")})]
    if not kinds:
        roll = rand()
        if roll < 0.55:
            kinds = ("push", "token:software:totp") if rand() < 0.45 else ("push",)
        elif roll < 0.75:
            kinds = ("sms",)
        elif roll < 0.85:
            kinds = ("token:software:totp",)
        elif roll < 0.93:
            kinds = ("webauthn", "push")
        else:
            kinds = ("push", "sms")
    for kind in kinds:
        when = _between(rand, start, max(start + 1, now - HOUR_MS))
        updated = when + _between(rand, 10_000, 120_000)
        provider = "OKTA"
        if kind == "push":
            ios = rand() < 0.6
            profile: dict[str, Any] = {"credentialId": person.login,
                                       "deviceType": "SmartPhone_IPhone" if ios else "SmartPhone_Android",
                                       "name": "iPhone" if ios else "Pixel 6", "platform": "IOS" if ios else "ANDROID",
                                       "version": "15.3.1" if ios else "12"}
        elif kind == "token:software:totp":
            provider = "GOOGLE" if rand() < 0.4 else "OKTA"
            profile = {"credentialId": person.login}
        elif kind == "sms":
            profile = {"phoneNumber": (person.phone or phone(rng)).replace(" ", "").replace("-", "")}
        else:
            raw = rng.getrandbits(512).to_bytes(64, "big")
            profile = {"credentialId": base64.urlsafe_b64encode(raw).decode().rstrip("="),
                       "authenticatorName": ("YubiKey 5 NFC", "MacBook Pro Touch ID", "Windows Hello")[int(rand() * 3)]}
            provider = "FIDO"
        out.append(FactorRow(org, uid, ids.new(FACTOR_PREFIX[kind]), kind, "ACTIVE", created=when, updated=updated,
                          profile=profile, provider=provider))
    return out


def enroll_everyone(rng: random.Random, ids: Ids, org: str, people: list[Person], now: int) -> None:
    """Ordinary people: 85% of those who can hold factors get some; 3% only a pending SMS."""
    rand = rng.random
    for person in people:
        if person.status not in _CAN_HAVE_FACTORS:
            continue
        roll = rand()
        if roll < 0.85:
            person.factors = enroll(rng, ids, org, person, now)
        elif roll < 0.88:
            person.factors = enroll(rng, ids, org, person, now, pending_only=True)


def active_factor_name(person: Person) -> str | None:
    for f in person.factors or ():
        if f.status == "ACTIVE":
            name = FACTOR_LOG_NAMES[f.factor_type]
            return "GOOGLE_AUTHENTICATOR" if f.provider == "GOOGLE" else name
    return None

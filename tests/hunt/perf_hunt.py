"""Throughput of the hunt over an archive (not a test: run it by hand, it prints events/s).

    .venv/bin/python -m tests.hunt.perf_hunt [EVENTS] [--sigma]

Writes EVENTS (default 200,000) realistic synthetic events (about 1.5 KB each, as Okta's) into a
temporary archive with the real ChunkWriter, then times `Engine.scan_archive` over it on one core.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from remediator.evidence import ChunkWriter, Manifest
from remediator.hunt import Engine, load_rule_set
from remediator.hunt.rules import BUILTIN
from remediator.timeutil import format_time, parse_time

ORDINARY = ["user.session.start", "user.authentication.sso", "policy.evaluate_sign_on",
            "user.authentication.auth_via_mfa", "user.session.end", "app.oauth2.token.grant",
            "user.authentication.verify", "system.org.rate_limit.warning", "user.account.update_password"]
ATTACK = ["user.session.impersonation.grant", "user.account.privilege.grant", "system.api_token.create",
          "user.mfa.factor.reset_all", "policy.rule.update"]


def synthetic(i: int, t: str, rnd: random.Random) -> dict[str, Any]:
    attack = rnd.random() < 0.001
    et = rnd.choice(ATTACK) if attack else rnd.choice(ORDINARY)
    uid = f"00u{rnd.getrandbits(64):016x}"
    ip = f"{rnd.randint(1, 223)}.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}"
    return {
        "actor": {"id": uid, "type": "User", "alternateId": f"user{rnd.randint(1, 100000)}@acme.com",
                  "displayName": f"User {i}", "detailEntry": None},
        "client": {"userAgent": {"rawUserAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
                                 "(KHTML, like Gecko) Chrome/98.0.4758.102 Safari/537.36", "os": "Mac OS X",
                                 "browser": "CHROME"}, "zone": "null", "device": "Computer", "id": None,
                   "ipAddress": ip, "geographicalContext": {"city": "Dublin", "state": "California",
                   "country": "United States", "postalCode": "94568", "geolocation": {"lat": 37.72, "lon": -121.9}}},
        "device": None,
        "authenticationContext": {"authenticationProvider": None, "credentialProvider": None,
                                  "credentialType": None, "issuer": None, "interface": None, "authenticationStep": 0,
                                  "externalSessionId": f"102{rnd.getrandbits(96):024x}"},
        "displayMessage": "User login to Okta" if not attack else "Attack",
        "eventType": et,
        "outcome": {"result": "SUCCESS", "reason": None},
        "published": t,
        "securityContext": {"asNumber": 7018, "asOrg": "at&t", "isp": "at&t", "domain": "sbcglobal.net",
                            "isProxy": False},
        "severity": "INFO",
        "debugContext": {"debugData": {"requestId": f"Y{rnd.getrandbits(96):024x}",
                                       "dtHash": f"{rnd.getrandbits(128):032x}",
                                       "requestUri": "/idp/idx/authenticators/poll", "threatSuspected": "false",
                                       "url": "/idp/idx/authenticators/poll?"}},
        "legacyEventType": "core.user_auth.login_success",
        "transaction": {"type": "WEB", "id": f"Y{rnd.getrandbits(96):024x}", "detail": {}},
        "uuid": str(uuid.UUID(int=rnd.getrandbits(128))),
        "version": "0",
        "request": {"ipChain": [{"ip": ip, "geographicalContext": {"city": "Dublin", "state": "California",
                                 "country": "United States", "postalCode": "94568"}, "version": "V4", "source": None}]},
        "target": [{"id": uid, "type": "AppInstance", "alternateId": "Okta Dashboard", "displayName": "Okta Dashboard",
                    "detailEntry": None}],
    }


def main(n: int, with_sigma: bool) -> None:
    rnd = random.Random(1)
    start = parse_time("2022-01-14T00:00:00Z")
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "acme"
        m = Manifest(tenant="acme", org_url="https://acme.okta.com")
        w = ChunkWriter(d, m, format_time(start), "2022-03-22T00:00:00.000Z", chunk_events=100_000)
        t0 = time.perf_counter()
        for i in range(n):
            w.add(synthetic(i, format_time(start + timedelta(milliseconds=i * 20)), rnd))
        w.close()
        size = sum(p.stat().st_size for p in d.iterdir())
        print(f"wrote {n} events in {time.perf_counter() - t0:.1f}s, {size / n:.0f} B/event compressed")
        specs = sorted(BUILTIN) + (["../shared/okta-reference/sigma"] if with_sigma else [])
        admins = [f"00u{rnd.getrandbits(64):016x}" for _ in range(500)]  # 500 admins, 5 of them new
        known = {"admin": frozenset(admins), "new_admin": frozenset(admins[:5])}
        t0 = time.process_time()
        engine = Engine(load_rule_set(specs).rules, known)
        hits = sum(1 for _ in engine.scan_archive(d, m, m.covered["since"], m.covered["until"], known))
        cpu = time.process_time() - t0
        print(f"hunt ({', '.join(specs)}): {n} events, {hits} hits, {cpu:.2f}s CPU, {n / cpu:,.0f} events/s")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 200_000, "--sigma" in sys.argv)

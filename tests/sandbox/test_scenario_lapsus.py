"""Scenario lapsus-2022: deterministic, shaped like Okta's real objects, and its manifest matches its data."""

from __future__ import annotations

import json
import re
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from remediator.sandbox.scenarios import lapsus_2022
from remediator.sandbox.scenarios.lapsus_2022 import BREACH_DATE, generate
from remediator.timeutil import parse_time
from tests.conftest import REFERENCE
from tests.sandbox import okta_reference

BREACH = "2022-01-21T00:00:00.000Z"


def reference(*parts: str) -> Path:
    path = REFERENCE.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"Okta reference data not present: {path}")
    return path


@cache
def snap(users: int = 200, seed: int = 1) -> dict[str, Any]:
    return generate(users, seed)


def planted(users: int = 200, seed: int = 1) -> dict[str, Any]:
    return snap(users, seed)["scenario"]["planted"]


def users_by_id(s: dict) -> dict[str, dict]:
    return {u["id"]: u for u in s["users"]}


def roles_of(s: dict, uid: str) -> list[dict]:
    """What GET /users/{id}/roles would return: direct, then through groups."""
    held = list(s["user_roles"].get(uid, []))
    for gid, members in s["group_members"].items():
        if uid in members:
            held += s["group_roles"].get(gid, [])
    return held


# ---- determinism -------------------------------------------------------------------------------------------
def test_same_seed_same_snapshot_and_other_seed_differs() -> None:
    first = json.dumps(generate(120, 7), sort_keys=True)
    assert first == json.dumps(generate(120, 7), sort_keys=True)
    other = generate(120, 8)
    assert json.dumps(other, sort_keys=True) != first
    assert {u["id"] for u in other["users"]}.isdisjoint({u["id"] for u in json.loads(first)["users"]})


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        generate(5, 1)
    with pytest.raises(ValueError, match="clock"):
        generate(200, 1, "2022-01-25T00:00:00Z")


# ---- shapes against the recordings -------------------------------------------------------------------------
def recorded_get_bodies(pattern: str) -> list[Any]:
    """Bodies of recorded successful GETs whose path matches `pattern` (okta-sdk-python and terraform cassettes)."""
    regex = re.compile(pattern)
    return [r.body for r in okta_reference.recordings()
            if r.method == "GET" and r.status == 200 and r.body is not None and regex.search(r.path)]


def test_users_have_the_key_set_of_a_recorded_user() -> None:
    recorded = [u for body in recorded_get_bodies(r"/api/v1/users$") for u in body if isinstance(u, dict)]
    assert recorded, "no recorded user list"
    key_sets = {frozenset(u) for u in recorded}
    s = snap()
    for u in s["users"]:
        assert frozenset(u) in key_sets, sorted(u)
        assert re.fullmatch(r"00u[0-9A-Za-z]{17}", u["id"])
        assert u["credentials"]["provider"] == {"type": "OKTA", "name": "OKTA"}
        assert set(u["_links"]) == {"self"}  # the list form, as a live snapshot records it
    example = next(u for u in recorded if u["status"] == "ACTIVE")
    active = next(u for u in s["users"] if u["status"] == "ACTIVE")
    for key in ("id", "status", "created", "type", "profile", "credentials", "_links"):
        assert type(active[key]) is type(example[key])


def test_role_assignments_factors_tokens_idps_groups_match_recorded_shapes() -> None:
    s = snap()
    recorded_roles = [r for body in recorded_get_bodies(r"/api/v1/(users|groups)/[^/]+/roles$") for r in body]
    keys = {frozenset(r) for r in recorded_roles}
    labels = {(r["type"], r["label"]) for r in recorded_roles}
    fixed_ids = {r["type"]: r["id"] for r in recorded_roles if not r["id"].startswith(("ra1", "gra"))}
    for held in list(s["user_roles"].values()) + list(s["group_roles"].values()):
        for r in held:
            assert frozenset(r) in keys
            assert r["status"] == "ACTIVE" and r["assignmentType"] in ("USER", "GROUP")
            if r["type"] in fixed_ids:
                assert r["id"] == fixed_ids[r["type"]]
            if r["type"] in {t for t, _ in labels} and r["type"] in ("SUPER_ADMIN", "APP_ADMIN", "HELP_DESK_ADMIN"):
                assert (r["type"], r["label"]) in labels
    recorded_factor_keys = {frozenset(f) for body in recorded_get_bodies(r"/api/v1/users/[^/]+/factors$")
                            for f in body if "factorType" in f}
    pending = [f for fs in s["factors"].values() for f in fs if f["status"] != "ACTIVE"]
    assert pending and all(isinstance(f["_links"]["resend"], list) for f in pending)
    for fs in s["factors"].values():
        for f in fs:
            assert frozenset(f) in recorded_factor_keys
    token_keys = {frozenset(t) for body in recorded_get_bodies(r"/api/v1/api-tokens$") for t in body}
    for token in s["api_tokens"]:
        assert frozenset(token) in token_keys
        assert token["id"].startswith("00T") and token["tokenWindow"] == "P30D"
        assert token["clientName"] == "Okta API" and token["network"] == {"connection": "ANYWHERE"}
    idp_keys = {frozenset(i) for body in recorded_get_bodies(r"/api/v1/idps$") for i in body}
    for idp in s["idps"]:
        assert frozenset(idp) in idp_keys and idp["type"] == "SAML2"
    group_keys = {frozenset(g) for body in recorded_get_bodies(r"/api/v1/groups$") for g in body}
    for g in s["groups"]:
        assert frozenset(g) in group_keys


def test_policies_express_weak_mfa_as_okta_does() -> None:
    s = snap()
    by_type: dict[str, list[dict]] = {}
    for pol in s["policies"]:
        by_type.setdefault(pol["type"], []).append(pol)
    assert set(by_type) == {"OKTA_SIGN_ON", "ACCESS_POLICY", "MFA_ENROLL", "PASSWORD"}
    default = next(p for p in by_type["OKTA_SIGN_ON"] if p["system"])
    (rule,) = s["policy_rules"][default["id"]]
    assert rule["type"] == "SIGN_ON" and rule["system"] is True and rule["name"] == "Default Rule"
    assert rule["actions"]["signon"]["requireFactor"] is False
    console = next(p for p in by_type["ACCESS_POLICY"] if p["name"] == "Okta Admin Console")
    assert console["id"].startswith("rst")
    for r in s["policy_rules"][console["id"]]:
        method = r["actions"]["appSignOn"]["verificationMethod"]
        assert method["type"] == "ASSURANCE" and method["factorMode"] == "1FA"
        assert {"reauthenticateIn", "constraints"} <= set(method)
    assert any(p["name"] == "Okta Dashboard" for p in by_type["ACCESS_POLICY"])
    (enroll,) = by_type["MFA_ENROLL"]
    states = {a["key"]: a["enroll"]["self"] for a in enroll["settings"]["authenticators"]}
    assert {"okta_verify", "okta_password", "phone_number", "google_otp", "security_key"} <= set(states)
    assert set(states.values()) <= {"NOT_ALLOWED", "OPTIONAL"}
    weak = planted()["weak_policies"]
    assert [w["rule_id"] for w in weak["global_session"]] == [rule["id"]]
    assert {w["rule_id"] for w in weak["admin_console"]} == {r["id"] for r in s["policy_rules"][console["id"]]}
    assert weak["mfa_enroll"][0]["policy_id"] == enroll["id"]
    compliant = planted()["policies_compliant"]
    assert compliant and all(
        next(r for r in s["policy_rules"][c["policy_id"]] if r["id"] == c["rule_id"])["actions"]["signon"]
        ["requireFactor"] for c in compliant)


# ---- the planted compromise ----------------------------------------------------------------------------------
def test_support_access_and_cases() -> None:
    s, p = snap(), planted()
    assert s["okta_support"]["support"] == "ENABLED"
    assert s["okta_support"]["expiration"] > s["taken_at"]
    status = {c["caseNumber"]: c["impersonation"]["status"] for c in s["support_cases"]}
    assert [status[n] for n in p["support_cases_enabled"]] == ["ENABLED"]
    assert [status[n] for n in p["support_cases_requested"]] == ["REQUESTED"]
    assert sorted(status[n] for n in p["support_cases_other"]) == ["DISABLED", "NOT_REQUESTED"]
    assert all(re.fullmatch(r"\d{8}", n) for n in status)
    enabled = next(c for c in s["support_cases"] if c["impersonation"]["status"] == "ENABLED")
    assert enabled["impersonation"]["expiration"] > s["taken_at"]


def test_admins_direct_and_through_groups_with_every_role_type() -> None:
    s, p = snap(), planted()
    admins = p["admins"]
    direct = {uid for uid, held in s["user_roles"].items() if held}
    through = {m for gid, held in s["group_roles"].items() if held for m in s["group_members"][gid]}
    assert set(admins) == direct | through and direct - through and through - direct
    types = {r["type"] for uid in admins for r in roles_of(s, uid)}
    assert types == {"SUPER_ADMIN", "ORG_ADMIN", "APP_ADMIN", "USER_ADMIN", "HELP_DESK_ADMIN", "READ_ONLY_ADMIN"}
    assert p["admin_count"] == len(admins) >= 16


def test_rotation_lists_follow_the_rule_exactly() -> None:
    s, p = snap(), planted()
    users = users_by_id(s)
    for uid in p["admins_needing_rotation"]:
        u = users[uid]
        assert u["status"] not in ("DEPROVISIONED", "SUSPENDED")
        assert u["passwordChanged"] is None or u["passwordChanged"] < BREACH
        assert not (u["status"] in ("RECOVERY", "PASSWORD_EXPIRED") and u["statusChanged"] >= BREACH)
    assert len(p["admins_needing_rotation"]) >= len(p["admins"]) // 2  # most admins predate the breach
    assert {users[u]["status"] for u in p["admins_edge_status"]} == {
        "DEPROVISIONED", "SUSPENDED", "RECOVERY", "PASSWORD_EXPIRED"}
    for uid, status in p["admins_edge_status"].items():
        if status in ("RECOVERY", "PASSWORD_EXPIRED"):
            assert users[uid]["statusChanged"] >= BREACH
    assert p["admins_rotated_since"] and all(users[u]["passwordChanged"] >= BREACH for u in p["admins_rotated_since"])
    everything = set(p["admins_needing_rotation"]) | set(p["admins_rotated_since"]) | set(p["admins_edge_status"])
    assert everything | set(p["new_admins"]) == set(p["admins"])
    bg = next(u for u in s["users"] if u["profile"]["login"] == p["break_glass_login"])
    assert bg["id"] in p["admins_needing_rotation"] and p["break_glass_login"].startswith("breakglass@")
    assert any(r["type"] == "SUPER_ADMIN" for r in roles_of(s, bg["id"]))


def test_operator_is_an_active_super_admin_owning_a_token() -> None:
    s, p = snap(), planted()
    op = users_by_id(s)[s["operator"]]
    assert p["operator_id"] == s["operator"] and op["status"] == "ACTIVE" and op["created"] < "2019"
    assert any(r["type"] == "SUPER_ADMIN" and r["assignmentType"] == "USER" for r in s["user_roles"][op["id"]])
    token = next(t for t in s["api_tokens"] if t["id"] == p["operator_token"])
    assert token["userId"] == op["id"]


def test_new_admins_are_the_attackers_super_admins() -> None:
    s, p = snap(), planted()
    users = users_by_id(s)
    assert len(p["new_admins"]) == 2
    vias = set()
    for uid in p["new_admins"]:
        assert users[uid]["created"] >= BREACH
        supers = [r for r in roles_of(s, uid) if r["type"] == "SUPER_ADMIN"]
        assert supers and all(r["created"] >= BREACH for r in supers)
        vias.add("USER" if s["user_roles"].get(uid) else "GROUP")
    assert vias == {"USER", "GROUP"}
    (old,) = p["late_role_grants_to_old_accounts"]
    assert users[old]["created"] < BREACH and old not in p["new_admins"]
    assert all(g["created"] >= BREACH for g in p["late_role_grants"]) and len(p["late_role_grants"]) == 3


def test_tokens_idps_and_factors() -> None:
    s, p = snap(), planted()
    tokens = {t["id"]: t for t in s["api_tokens"]}
    (rogue,) = p["rogue_api_tokens"]
    assert tokens[rogue]["created"] >= BREACH and tokens[rogue]["userId"] in p["new_admins"]
    assert sum(t["created"] < BREACH for t in tokens.values()) >= 2
    idps = {i["id"]: i for i in s["idps"]}
    (rogue_idp,) = p["rogue_idps"]
    assert idps[rogue_idp]["status"] == "ACTIVE" and idps[rogue_idp]["created"] >= BREACH
    assert any(i["created"] < BREACH for i in idps.values())
    assert set(p["admins"]) <= set(s["factors"])  # every admin has an explicit entry
    for uid in p["admins_without_factor"]:
        assert not any(f["status"] == "ACTIVE" for f in s["factors"][uid])
    users = users_by_id(s)
    assert len(p["admins_without_factor_active"]) >= 2
    assert all(users[u]["status"] == "ACTIVE" for u in p["admins_without_factor_active"])
    active = [u for u in s["users"] if u["status"] == "ACTIVE"]
    assert 0 < p["users_without_factor_count"] < len(active) // 3
    with_factor = sum(any(f["status"] == "ACTIVE" for f in s["factors"].get(u["id"], [])) for u in active)
    assert with_factor == len(active) - p["users_without_factor_count"]
    types = {f["factorType"] for fs in s["factors"].values() for f in fs}
    assert {"push", "token:software:totp", "sms", "webauthn"} <= types


# ---- the System Log -------------------------------------------------------------------------------------------
@cache
def okta_event_types() -> frozenset[str]:
    data = json.loads(reference("okta-developer-docs", "data", "event-types.json").read_text())
    return frozenset(e["id"] for version in data["versions"] for e in version["eventTypes"])


def test_every_event_type_is_in_oktas_catalog() -> None:
    used = {e["eventType"] for e in snap()["logs"]}
    assert used <= okta_event_types(), used - okta_event_types()
    assert set(lapsus_2022_event_types()) <= okta_event_types()


def lapsus_2022_event_types() -> list[str]:
    from remediator.sandbox.scenarios._syslog import EVENT_TYPES

    return list(EVENT_TYPES)


def test_log_is_strictly_increasing_in_oktas_wire_format() -> None:
    s = snap()
    logs = s["logs"]
    published = [e["published"] for e in logs]
    assert all(a < b for a, b in pairwise(published))
    assert published[0] >= "2022-01-01T00:00:00.000Z" and published[-1] <= s["taken_at"]
    assert len({e["uuid"] for e in logs}) == len(logs)
    sample = json.loads(reference("elastic-integrations", "packages", "okta", "_dev", "deploy", "docker",
                                  "sample_logs", "okta-system.json.log").read_text())
    keys = {frozenset(e) for e in sample}
    for event in logs:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event["published"])
        assert frozenset(event) in keys
        assert event["debugContext"]["debugData"]["requestId"] == event["transaction"]["id"]
        assert set(event["client"]) == set(sample[0]["client"])
        assert set(event["actor"]) == set(sample[0]["actor"])
    assert len(logs) == lapsus_2022.default_log_events(200)


def test_attacker_traces_are_planted_after_the_breach() -> None:
    s, p = snap(), planted()
    by_uuid = {e["uuid"]: e for e in s["logs"]}
    traces = p["attacker_log_uuids"]
    want = {"impersonation_initiate": "user.session.impersonation.initiate",
            "support_reset_password": "user.account.reset_password",
            "support_reset_factors": "user.mfa.factor.reset_all",
            "privilege_grant": "user.account.privilege.grant", "api_token_create": "system.api_token.create",
            "idp_create": "system.idp.lifecycle.create", "policy_rule_update": "policy.rule.update"}
    for trace, event_type in want.items():
        assert traces[trace], trace
        for uuid in traces[trace]:
            event = by_uuid[uuid]
            assert event["eventType"] == event_type and event["published"] >= BREACH
    for trace in ("impersonation_initiate", "support_reset_password", "support_reset_factors", "privilege_grant"):
        assert all(by_uuid[u]["actor"]["alternateId"] == "system@okta.com" for u in traces[trace])
    victim = by_uuid[traces["support_reset_password"][0]]["target"][0]["id"]
    assert victim == p["attack_victim"] and victim in p["admins"]
    grant = by_uuid[traces["privilege_grant"][0]]
    assert grant["target"][0]["id"] in p["new_admins"]
    planted_uuids = set(p["planted_log_uuids"])
    assert {u for group in traces.values() for u in group} <= planted_uuids


def test_ordinary_traffic_has_nothing_a_hunt_should_report() -> None:
    s, p = snap(), planted()
    planted_uuids = set(p["planted_log_uuids"])
    hunted = {"user.account.privilege.grant", "group.privilege.grant", "system.api_token.create",
              "system.idp.lifecycle.create", "policy.rule.update", "user.mfa.factor.reset_all",
              "user.mfa.factor.deactivate", "system.mfa.factor.deactivate", "user.session.clear"}
    since = "2022-01-14T00:00:00.000Z"
    for event in s["logs"]:
        if event["uuid"] in planted_uuids:
            continue
        assert event["actor"]["alternateId"] != "system@okta.com"
        assert not event["eventType"].startswith("user.session.impersonation")
        assert event["eventType"] not in hunted
        assert event["securityContext"]["isProxy"] is False
        if event["published"] >= since:
            assert event["eventType"] not in ("user.lifecycle.create", "user.account.reset_password")
    kinds = {e["eventType"] for e in s["logs"]}
    assert {"user.session.start", "user.authentication.sso", "policy.evaluate_sign_on",
            "user.authentication.auth_via_mfa", "user.account.update_password"} <= kinds


def test_log_volume_parameter() -> None:
    s = generate(60, 3, log_events=2_500)
    assert len(s["logs"]) == 2_500 == s["scenario"]["log_events"]
    planted_only = generate(60, 3, log_events=0)["logs"]  # the planted events are always there
    assert 20 < len(planted_only) < 60
    assert lapsus_2022.default_log_events(10) == 2_000
    assert lapsus_2022.default_log_events(100_000) == 200_000


def test_scaling_keeps_half_a_percent_of_admins() -> None:
    s = generate(5_000, 2, log_events=3_000)
    p = s["scenario"]["planted"]
    assert len(s["users"]) == 5_000 and p["admin_count"] == 25
    assert len({u["profile"]["login"] for u in s["users"]}) == 5_000
    assert len({u["id"] for u in s["users"]}) == 5_000
    assert BREACH_DATE.startswith("2022-01-21")
    assert parse_time(s["taken_at"]) == parse_time(lapsus_2022.DEFAULT_CLOCK)


def test_the_built_in_hunt_finds_every_attacker_trace_and_nothing_ordinary() -> None:
    """What the end-to-end test relies on, checked here against the hunt's own rules (and Okta's Sigma rules)."""
    rules = pytest.importorskip("remediator.hunt.rules")
    engine_mod = pytest.importorskip("remediator.hunt.engine")
    s, p = snap(), planted()
    rule_set = rules.load_rule_set(["lapsus-2022", str(reference("sigma"))])
    engine = engine_mod.Engine(rule_set.rules)
    known = {"admin": frozenset(p["admins"]), "new_admin": frozenset(p["new_admins"])}  # the sets the hunt passes
    found = {e["uuid"] for e in s["logs"] if e["published"] >= p["hunt_since"] and engine.matches(e, known)}
    must = {u for uuids in p["attacker_log_uuids"].values() for u in uuids}
    assert must <= found
    assert found <= set(p["planted_log_uuids"])


def test_oauth_clients_pass_through_and_are_absent_by_default() -> None:
    assert "oauth_clients" not in snap()
    client = {"client_id": "0oa1serviceApp000001", "jwks": {"keys": [{"kty": "RSA", "e": "AQAB", "n": "xyz"}]},
              "scopes": ["okta.users.manage"]}
    assert generate(60, 1, log_events=0, oauth_clients=[client])["oauth_clients"] == [client]


def test_compact_logs_open_as_the_same_events_and_serve_the_same_pages() -> None:
    # the sandbox keeps generated events as compact rows (memory at a million events): every event opens as
    # exactly the dict the generator always produced, key order included, and survives a copy
    import pickle

    from remediator.sandbox.eventlog import EventLog
    from remediator.sandbox.snapshot import load

    plain = generate(120, 7, log_events=3_000)
    compact = generate(120, 7, log_events=3_000, compact=True)
    assert isinstance(compact["logs"], EventLog) and not isinstance(plain["logs"], EventLog)
    assert json.dumps(list(compact["logs"])) == json.dumps(plain["logs"])
    assert json.dumps(compact["logs"][10:20]) == json.dumps(plain["logs"][10:20])
    assert list(pickle.loads(pickle.dumps(compact["logs"]))) == plain["logs"]
    a, b = load(plain), load(compact)
    assert a.log_keys == b.log_keys and {k: list(v) for k, v in a.log_by_type.items()} == \
        {k: list(v) for k, v in b.log_by_type.items()}
    assert json.dumps(list(a.logs)) == json.dumps(list(b.logs))


def test_compact_users_and_factors_open_as_the_same_objects_and_copy_as_plain_json() -> None:
    # a served tenant keeps users and factors as compact rows (issue 14: memory at 100,000 users): each opens
    # as exactly the JSON the plain snapshot has, key order included, and a copy or dump is plain JSON again
    import pickle

    from remediator.sandbox.rows import RowList, RowMap
    from remediator.sandbox.snapshot import dump, load

    plain = generate(150, 5, log_events=2_000)
    compact = generate(150, 5, log_events=2_000, compact=True)
    assert isinstance(compact["users"], RowList) and isinstance(compact["factors"], RowMap)
    assert not any(isinstance(u, dict) for u in compact["users"].raw())
    assert json.dumps(list(compact["users"])) == json.dumps(plain["users"])
    assert json.dumps(dict(compact["factors"].items())) == json.dumps(plain["factors"])
    assert pickle.loads(pickle.dumps(compact["factors"])) == plain["factors"]
    assert pickle.loads(pickle.dumps(compact["users"])) == plain["users"]
    a, b = load(plain), load(compact)
    assert a.logins == b.logins and a.user_ids == b.user_ids
    assert json.dumps(dump(a, taken_at="t")) == json.dumps(dump(b, taken_at="t"))
    uid = next(iter(plain["factors"]))
    assert b.users[uid] == a.users[uid] and b.factors[uid] == a.factors[uid]
    assert all(b.user_status(u) == a.users[u]["status"] for u in a.user_ids)


def test_a_generated_tenant_holds_users_factors_and_events_compactly() -> None:
    # issue 14: 100,000 users and 1,000,000 events within 1 GB. As plain dicts a user (with its factors)
    # held 4.9 KB and an event 500 B (its row, its sign-in context); compact, 1.5 KB and 320 B.
    import gc
    import tracemalloc

    from remediator.sandbox.scenarios import load as scenario
    from remediator.sandbox.snapshot import load

    def held(users: int, events: int) -> int:
        gc.collect()
        tracemalloc.start()
        try:
            store = load(scenario("lapsus-2022", users, 3, "2022-03-22T12:00:00Z", log_events=events))
            gc.collect()
            assert len(store.users) == users
            return tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()

    held(200, 0)  # module tables (timestamps, names) are loaded once, not per user
    base = held(3_000, 0)
    per_user, per_event = base / 3_000, (held(3_000, 30_000) - base) / 30_000
    assert per_user < 2_500, per_user
    assert per_event < 400, per_event

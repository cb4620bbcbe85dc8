"""okta.api_tokens: data files (the caller's own token, allow by name or id, the date limit), writes, three steps."""

from __future__ import annotations

import pytest

from remediator.kinds import REGISTRY
from tests.kinds import datafiles
from tests.support import FakeClient, api_error, context, user

KIND = "okta.api_tokens"
ARGS = {"created_after": "2022-01-21T00:00:00Z"}


@pytest.mark.parametrize("path", datafiles.cases("api_tokens"), ids=lambda p: p.stem)
def test_diff_data_files(path):
    datafiles.run(KIND, path)


def _client():
    tokens = {"00Tevil": {"id": "00Tevil", "name": "backup", "userId": "00umal", "created": "2022-01-25T00:00:00.000Z",
                          "tokenWindow": "P30D", "network": {"connection": "ANYWHERE"}},
              "00Tmine": {"id": "00Tmine", "name": "me", "userId": "00uops", "created": "2022-02-25T00:00:00.000Z"}}
    client = FakeClient({("GET", "/api/v1/api-tokens"): lambda *_: list(tokens.values()),
                         ("GET", "/api/v1/users/me"): user("00uops", "ops@acme.com")})
    for tid in list(tokens):
        def get(_p, _j, tid=tid):
            if tid not in tokens:
                raise api_error(404)
            return tokens[tid]

        def delete(_p, _j, tid=tid):
            if tid not in tokens:
                raise api_error(404, "DELETE")
            del tokens[tid]
        client.routes[("GET", f"/api/v1/api-tokens/{tid}")] = get
        client.routes[("DELETE", f"/api/v1/api-tokens/{tid}")] = delete
    return client, tokens


async def test_plan_apply_plan_and_a_repeated_delete():
    client, tokens = _client()
    kind = REGISTRY[KIND]("s", ARGS)
    ctx = context(client)
    out = kind.diff(await kind.read(ctx))
    changes = [c for c in out if c.__class__.__name__ == "Change"]
    assert [c.target.id for c in changes] == ["00Tevil"]
    assert [f.target.id for f in out if f.__class__.__name__ == "Finding"] == ["00Tmine"]
    change = changes[0]
    assert kind.verdict(change, await kind.current(ctx, change)) == "pending"
    assert (await kind.apply(ctx, change)).request_id
    assert "00Tevil" not in tokens and "00Tmine" in tokens
    assert kind.verdict(change, await kind.current(ctx, change)) == "done"
    assert (await kind.apply(ctx, change)).detail == {"already": "revoked"}
    again = REGISTRY[KIND]("s", ARGS)
    assert [c for c in again.diff(await again.read(context(client))) if c.__class__.__name__ == "Change"] == []


async def test_three_steps_on_the_sandbox():
    from remediator.sandbox import Sandbox
    from remediator.sandbox.snapshot import minimal
    from tests.kinds import live

    snap = minimal(clock="2022-03-22T12:00:00.000Z")
    snap["api_tokens"] = [
        {"id": "00Tevil0000000000000", "name": "backup", "userId": snap["operator"] + "x", "clientName": "Okta API",
         "created": "2022-01-25T00:00:00.000Z", "lastUpdated": "2022-01-25T00:00:00.000Z", "expiresAt": None,
         "tokenWindow": "P30D", "network": {"connection": "ANYWHERE"}},
    ]
    with Sandbox(snap, clock="2022-03-22T12:00:00Z") as sb:
        events = len(sb.logs)
        changes, _ = await live.plan(sb, KIND, ARGS)
        assert [c.target.id for c in changes] == ["00Tevil0000000000000"]
        assert len(sb.logs) == events
        await live.apply(sb, KIND, ARGS, changes)
        assert [e["eventType"] for e in sb.logs[events:]] == ["system.api_token.revoke"]
        again, _ = await live.plan(sb, KIND, ARGS)
        assert again == []


async def test_network_zones_three_steps_on_the_sandbox():
    """Tokens restricted to a zone by name with PUT /api/v1/api-tokens/{id} (body as terraform's recording
    TestAccResourceAPITokenResource_basic sends it), logged as system.api_token.update; the operator's own
    token is a finding; a second plan is empty."""
    from remediator.sandbox import Sandbox
    from tests.kinds import live

    args = {"network": {"connection": "ZONE", "include": ["Office egress"]}}
    with Sandbox(scenario="lapsus-2022", users=60, seed=5) as sb:
        snap = sb.snapshot()
        zone = next(z["id"] for z in snap["network_zones"] if z["name"] == "Office egress")
        operator = snap["operator"]
        events = len(sb.logs)
        changes, findings = await live.plan(sb, KIND, args)
        assert len(sb.logs) == events
        assert {c.target.id for c in changes} == {t["id"] for t in snap["api_tokens"] if t["userId"] != operator}
        assert [f.target.id for f in findings] == [t["id"] for t in snap["api_tokens"] if t["userId"] == operator]
        await live.apply(sb, KIND, args, changes)
        assert {e["eventType"] for e in sb.logs[events:]} == {"system.api_token.update"}
        kept = {t["id"]: t["network"] for t in sb.snapshot()["api_tokens"]}
        assert all(kept[c.target.id] == {"connection": "ZONE", "include": [zone]} for c in changes)
        again, _ = await live.plan(sb, KIND, args)
        assert again == []


def test_a_zone_network_without_zones_is_refused():
    from remediator.validation import validator

    schema = REGISTRY[KIND].schema
    assert list(validator(schema).iter_errors({"network": {"connection": "ZONE"}}))
    assert list(validator(schema).iter_errors({"allow": ["x"]}))  # neither created_after nor network
    assert not list(validator(schema).iter_errors({"network": {"connection": "ANYWHERE"}}))


async def test_a_token_revoked_by_an_earlier_state_needs_no_network():
    """Two states of one playbook: one revokes the tokens created since the breach, the next restricts every
    token's network. Both were planned before either applied, so the restriction of a revoked token finds it
    gone (404 on GET /api-tokens/{id}, as for the repeated DELETE above): not needed, instead of a failed run."""
    client, tokens = _client()
    client.routes[("GET", "/api/v1/zones")] = lambda *_: [
        {"id": "nzoOffice", "name": "Office egress", "type": "IP", "status": "ACTIVE"}]
    revoke = REGISTRY[KIND]("revoke", ARGS)
    restrict = REGISTRY[KIND]("restrict", {"network": {"connection": "ZONE", "include": ["Office egress"]}})
    ctx = context(client)
    [revocation] = [c for c in revoke.diff(await revoke.read(ctx)) if c.__class__.__name__ == "Change"]
    [evil] = [c for c in restrict.diff(await restrict.read(ctx)) if c.__class__.__name__ == "Change"]
    assert evil.target.id == revocation.target.id == "00Tevil"
    await revoke.apply(ctx, revocation)
    assert "00Tevil" not in tokens
    applied = await restrict.apply(ctx, evil)
    assert applied.request_id is None and applied.detail == {"not_needed": "the token no longer exists (revoked)"}
    assert not client.calls_to("PUT", "/api/v1/api-tokens/00Tevil")


def test_revoke_then_restrict_in_one_playbook_through_the_cli(tmp_path, monkeypatch):
    """The same two states through `apply` on the lapsus-2022 sandbox: every write succeeds (exit 0), the
    token made since the breach is revoked, the others restricted, and the next plan has no change."""
    from remediator.sandbox import Sandbox
    from tests.e2e.harness import cli, write_inventory, write_playbook

    states = [{"name": "revoke", KIND: ARGS},
              {"name": "restrict", KIND: {"network": {"connection": "ZONE", "include": ["Office egress"]}}}]
    with Sandbox(scenario="lapsus-2022", users=60, seed=5) as sb:
        inventory = write_inventory(tmp_path / "inv.yml", {"t": {"org_url": sb.org_url, "token": sb.token}},
                                    monkeypatch)
        playbook = write_playbook(tmp_path / "pb.yml", states)
        common = ["-i", inventory, "--journal", tmp_path / "journal.jsonl"]
        applied = cli("apply", playbook, *common, "--yes")
        assert applied.exit_code == 0, applied.output
        assert "failed=0" in applied.output
        again = cli("plan", playbook, *common, "--detailed-exitcode")
        assert again.exit_code == 0, again.output

"""Derived scopes are exactly enough, and each one is the one Okta's spec names.

Every operation remediator calls (`remediator.facts.endpoints`) is looked up in Okta's OpenAPI spec,
../shared/okta-reference/okta-management-openapi-spec/dist/current/management-minimal.yaml: its
`security: - oauth2: [scope]` must be the scope declared. Then every kind of the registry, alone, is
planned and applied (from the saved plan) against the sandbox by an OAuth service app holding exactly
what `remediator validate --scopes` prints for it: no request may be refused (the sandbox enforces
each route's scope, `remediator/sandbox/auth.py`), and each request's operation, looked up in the spec,
needs a scope the app holds and is one the kind declares (its facts and writes).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

from remediator import schema as schemas
from remediator.facts import GUARDRAILS, SESSION, endpoints
from remediator.kinds import REGISTRY
from remediator.sandbox import Sandbox
from remediator.sandbox.wire import OktaHTTPError
from tests.e2e.harness import cli, write_playbook
from tests.sandbox import okta_reference
from tests.sandbox.fixtures import rsa_client

CLIENT = "0oaScopedServiceApp1"
TOKEN_PATH = "/oauth2/v1/token"
#: kinds whose docstring example runs in report mode: their writing mode here, so that writes are exercised
WRITING_MODE = {"okta.identity_providers": {"action": "deactivate"},
                # the scenario's apps all predate its breach: select one of them by name
                "okta.apps": {"action": "deactivate", "created_after": "2015-01-01T00:00:00Z", "names": ["zoom"]}}


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    scopes: frozenset[str]
    pattern: re.Pattern[str]


@functools.cache
def spec_operations() -> list[Operation]:
    """Each operation of the spec with the OAuth scopes its `security` accepts."""
    out = []
    for template, item in okta_reference.spec()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete") and isinstance(op, dict):
                scopes = {s for alt in op.get("security") or () for s in alt.get("oauth2", ())}
                out.append(Operation(method.upper(), template, frozenset(scopes), pattern))
    return out


def operation(method: str, path: str) -> Operation | None:
    """The spec operation a request is: the matching template with the fewest placeholders."""
    found = [op for op in spec_operations() if op.method == method and op.pattern.match(path)]
    return min(found, key=lambda op: op.template.count("{"), default=None)


@pytest.mark.parametrize("endpoint", endpoints.catalogue(), ids=lambda e: f"{e.method} {e.template}")
def test_every_endpoint_has_the_scope_of_its_operation_in_the_spec(endpoint: endpoints.Endpoint) -> None:
    ops = [op for op in spec_operations() if op.method == endpoint.method and op.template == endpoint.template]
    assert ops, f"{endpoint.method} {endpoint.template} is not an operation of Okta's spec"
    assert ops[0].scopes == {endpoint.scope}, f"the spec says {sorted(ops[0].scopes)}"


def _state(kind: str) -> dict[str, Any]:
    """The kind's docstring example (its first state using the kind), in writing mode."""
    states = yaml.safe_load(schemas.docstring_example(REGISTRY[kind]) or "[]")
    state = next(s for s in states if kind in s)
    state[kind] = {**(state[kind] or {}), **WRITING_MODE.get(kind, {})}
    return state


def _recorder(log: list[tuple[str, str, int]]) -> Any:
    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            response = await handler(request)
        except OktaHTTPError as err:
            log.append((request.method, request.path, err.status))
            raise
        log.append((request.method, request.path, response.status))
        return response

    return record


def _declared(kind: str) -> set[tuple[str, str]]:
    cls = REGISTRY[kind]
    reads = [e for fact in (*cls.facts, SESSION) for e in fact.endpoints]
    guard = list(GUARDRAILS.endpoints) if any(w.lockout for w in cls.writes) else []
    return {(e.method, e.template) for e in [*reads, *cls.writes, *guard]}


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_each_kind_alone_runs_with_exactly_its_derived_scopes(kind: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    playbook = write_playbook(tmp_path / "one.yml", [_state(kind)])
    result = cli("validate", playbook, "--scopes")
    assert result.exit_code == 0, result.output
    scopes = result.stdout.split()
    assert scopes == sorted(scopes) == sorted(SESSION.scopes | set(REGISTRY[kind].scopes))
    log: list[tuple[str, str, int]] = []
    sb = Sandbox(scenario="lapsus-2022", users=60, seed=5, middlewares=[_recorder(log)])
    tenant: dict[str, Any]
    if REGISTRY[kind].scopes:
        client, pem = rsa_client(CLIENT, scopes)
        sb.store.oauth_clients.append(client)
        (tmp_path / "key.pem").write_text(pem)
        tenant = {"client_id": CLIENT, "private_key_file": "key.pem"}  # no `scopes`: the derived set is asked
    else:
        monkeypatch.setenv("SCOPES_TEST_TOKEN", sb.token)
        tenant = {"token_env": "SCOPES_TEST_TOKEN"}
    with sb:
        inventory = tmp_path / "inv.yml"
        inventory.write_text(yaml.safe_dump({"tenants": {"t": {"org_url": sb.org_url, **tenant}}}))
        planned = cli("plan", playbook, "-i", inventory, "--out", tmp_path / "plan.json")
        assert planned.exit_code == 0, planned.output
        changes = json.loads((tmp_path / "plan.json").read_text())["tenants"][0]["changes"]
        applied = cli("apply", tmp_path / "plan.json", "-i", inventory)
        assert applied.exit_code == 0, applied.output

    calls = [(m, p, s) for m, p, s in log if p != TOKEN_PATH]
    if not REGISTRY[kind].scopes:
        assert {(m, p) for m, p, _ in calls} <= {("GET", "/api/v1/org")}, f"{kind} declares no fact but read"
        return
    assert calls, f"{kind} made no request"
    assert not [c for c in calls if c[2] == 403], f"{kind}: refused with its derived scopes"
    if REGISTRY[kind].writes:
        assert changes, f"{kind}: the scenario plants something for it to change"
        assert any(m != "GET" for m, _, _ in calls), f"{kind}: applying wrote nothing"
    declared = _declared(kind)
    for method, path, _ in calls:
        op = operation(method, path)
        assert op is not None, f"{method} {path} is not an operation of Okta's spec"
        assert op.scopes & set(scopes), f"{method} {path} needs {sorted(op.scopes)} (spec)"
        assert (method, op.template) in declared, f"{kind}: {method} {op.template} is not in its facts or writes"


def test_a_snapshot_needs_exactly_what_it_reads(tmp_path: Path) -> None:
    """`remediator snapshot` by a service app (no `scopes` in the inventory): it asks for what it reads."""
    from remediator.snapshot import SNAPSHOT

    log: list[tuple[str, str, int]] = []
    scopes = sorted(SNAPSHOT.scopes | SESSION.scopes)
    client, pem = rsa_client(CLIENT, scopes)
    sb = Sandbox(scenario="lapsus-2022", users=60, seed=5, middlewares=[_recorder(log)])
    sb.store.oauth_clients.append(client)
    (tmp_path / "key.pem").write_text(pem)
    with sb:
        inventory = tmp_path / "inv.yml"
        inventory.write_text(yaml.safe_dump({"tenants": {"t": {"org_url": sb.org_url, "client_id": CLIENT,
                                                                 "private_key_file": "key.pem"}}}))
        result = cli("snapshot", "-i", inventory, "--out", tmp_path / "s.json", "--logs-since", "2022-03-01T00:00:00Z")
        assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "s.json").read_text())["group_roles"]
    declared = {(e.method, e.template) for e in (*SNAPSHOT.endpoints, *SESSION.endpoints)}
    for method, path, status in log:
        if path == TOKEN_PATH:
            continue
        op = operation(method, path)
        assert status != 403 and op is not None and (method, op.template) in declared, (method, path, status)

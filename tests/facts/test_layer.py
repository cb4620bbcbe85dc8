"""The facts layer is the only reader: kinds (and every other product module) reach the tenant through
`TenantReads` and `Endpoint.send`, never the client's own methods or a path of their own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import remediator
from remediator.facts import endpoints
from remediator.kinds import REGISTRY, Kind, register

PACKAGE = Path(remediator.__file__).parent
#: the facts themselves, the client they use, and the sandbox (the server side) may name API paths
EXEMPT = ("facts", "okta", "sandbox")
#: calling the client itself, or naming an API path: reads and writes belong to remediator.facts
DIRECT = re.compile(r"client\.(get|get_json|paginate|pages|request)\(|[\"'f]/api/v1/")
MODULES = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0]
                 not in EXEMPT)


@pytest.mark.parametrize("module", MODULES)
def test_no_module_makes_a_request_of_its_own(module: str) -> None:
    text = (PACKAGE / module).read_text()
    hits = [line.strip() for line in text.splitlines() if DIRECT.search(line)]
    assert hits == [], f"{module}: read through TenantReads, write with an Endpoint of remediator.facts"


def test_scopes_typed_by_hand_are_refused() -> None:
    class HandTyped(Kind):
        name = "test.hand_typed"
        schema = {"type": "object", "additionalProperties": False}
        facts = (endpoints.IDPS,)
        scopes = ("okta.idps.read", "okta.users.manage")

        async def read(self, ctx):  # type: ignore[no-untyped-def]
            return None

        def diff(self, observed):  # type: ignore[no-untyped-def]
            return []

    with pytest.raises(TypeError, match="derived"):
        register(HandTyped)
    assert "test.hand_typed" not in REGISTRY


def test_a_lockout_write_needs_what_the_guardrails_read() -> None:
    from remediator.facts import derive_scopes

    assert derive_scopes((), (endpoints.REVOKE_API_TOKEN,)) == ("okta.apiTokens.manage",)
    assert derive_scopes((), (endpoints.SUSPEND_USER,)) == (
        "okta.groups.read", "okta.roles.read", "okta.users.manage", "okta.users.read")


def test_endpoint_paths() -> None:
    assert endpoints.UNASSIGN_USER_ROLE.path("00u1", "ra/2") == "/api/v1/users/00u1/roles/ra%2F2"
    with pytest.raises(ValueError):
        endpoints.USER.path()
    with pytest.raises(ValueError):
        endpoints.USER.path("a", "b")

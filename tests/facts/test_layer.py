"""The facts layer is the only reader: kinds reach the tenant through `ctx.reads` and `Endpoint.send`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import remediator.kinds
from remediator.facts import endpoints
from remediator.kinds import REGISTRY, Kind, register

KINDS = Path(remediator.kinds.__file__).parent
#: a kind calling the client itself, or naming an API path: reads and writes belong to remediator.facts
DIRECT = re.compile(r"client\.(get|get_json|paginate|pages|request)\(|[\"'f]/api/v1/")


@pytest.mark.parametrize("module", sorted(p.name for p in KINDS.glob("*.py")))
def test_kinds_make_no_request_of_their_own(module: str) -> None:
    text = (KINDS / module).read_text()
    hits = [line.strip() for line in text.splitlines() if DIRECT.search(line)]
    assert hits == [], f"{module}: read through ctx.reads, write with an Endpoint of remediator.facts"


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

"""Every bad input fails with the right error: one line, naming its place, no traceback, no request."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from remediator.errors import RemediatorError
from remediator.inventory import load_inventory, select
from remediator.playbook import load_playbook, parse_extra_vars, render_states, validate_paths
from tests.badinput.cases import FULL_CASES, OK_INVENTORY, OK_PLAYBOOK, SECRETS, Case


def _options(args: list[str]) -> tuple[Path | None, list[str], str | None]:
    inventory, extra, limit = None, [], None
    for flag, value in zip(args[::2], args[1::2], strict=True):
        if flag == "-i":
            inventory = Path(value)
        elif flag == "-e":
            extra.append(value)
        elif flag == "--limit":
            limit = value
    return inventory, extra, limit


def plan_inputs(case: Case) -> list[Any]:
    """What `remediator plan` does before its first request: load, select, parse -e, render per tenant."""
    inventory, extra, limit = _options(case.extra_args)
    pb = load_playbook(case.path)
    tenants = select(load_inventory(inventory), limit) if inventory else []
    extra_vars = parse_extra_vars(extra)
    return [render_states(pb, t.vars, extra_vars) for t in tenants]


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("bad input must fail before any connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_there_are_enough_cases():
    assert len(FULL_CASES) >= 20
    assert len({c.id for c in FULL_CASES}) == len(FULL_CASES)
    for case in FULL_CASES:
        if case.id != "playbook-missing_file":
            assert case.path.is_file(), case.path


def test_the_baseline_is_good():
    rendered = plan_inputs(Case("ok", OK_PLAYBOOK, ["-i", str(OK_INVENTORY)], "", "", RemediatorError))
    assert [s.kind for s in rendered[0].states] == ["okta.support_access", "okta.admin_passwords"]
    assert validate_paths([OK_PLAYBOOK], OK_INVENTORY)


@pytest.mark.parametrize("case", FULL_CASES, ids=[c.id for c in FULL_CASES])
def test_bad_input(case: Case):
    with pytest.raises(RemediatorError) as caught:
        plan_inputs(case)
    error = caught.value
    message = str(error)
    assert type(error) is case.error, f"{type(error).__name__}: {message}"
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith(f"{case.place}: "), message
    assert case.fragment in message, message
    assert not any(secret in message for secret in SECRETS)
    assert error.__cause__ is None or isinstance(error.__cause__, RemediatorError)


@pytest.mark.parametrize("case", [c for c in FULL_CASES if c.validate_ok], ids=lambda c: c.id)
def test_validate_gives_the_same_error(case: Case):
    inventory, _, _ = _options(case.extra_args)
    with pytest.raises(RemediatorError) as caught:
        validate_paths([case.path], inventory)
    assert str(caught.value).startswith(f"{case.place}: ")
    assert case.fragment in str(caught.value)

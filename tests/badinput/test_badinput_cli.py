"""Every bad input through the command line: exit 1, one line naming the place, no traceback, no request."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from tests.badinput.cases import FULL_CASES, SECRETS, Case
from tests.e2e.harness import cli


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("bad input must fail before any connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _check(result: Any, case: Case) -> None:
    assert result.exit_code == 1, result.output
    text = result.output.strip()
    assert "Traceback" not in text
    assert "\n" not in text, f"not one line: {text!r}"
    assert text.startswith(f"error: {case.place}"), text
    assert case.fragment in text
    assert not any(secret in text for secret in SECRETS)


@pytest.mark.parametrize("case", FULL_CASES, ids=[c.id for c in FULL_CASES])
def test_plan(case: Case) -> None:
    _check(cli("plan", case.path, *case.extra_args), case)


@pytest.mark.parametrize("case", [c for c in FULL_CASES if c.validate_ok], ids=[c.id for c in FULL_CASES
                                                                                  if c.validate_ok])
def test_validate(case: Case) -> None:
    _check(cli("validate", case.path, *case.extra_args), case)


@pytest.mark.parametrize("case", FULL_CASES[:6], ids=[c.id for c in FULL_CASES[:6]])
def test_apply(case: Case) -> None:
    _check(cli("apply", case.path, *case.extra_args, "--yes"), case)

"""The benchmark's counts of a served (compact) tenant equal those of its plain snapshot, read without opening it."""

from __future__ import annotations

import pytest

from benchmarks.model import scenario_numbers
from benchmarks.playbook_model import tenant_counts
from remediator.sandbox.scenarios import load
from remediator.sandbox.scenarios._people import Person
from remediator.sandbox.scenarios._syslog import Row
from remediator.sandbox.scenarios.lapsus_2022 import generate


def test_numbers_and_counts_of_a_compact_tenant(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = generate(120, 2, log_events=3_000)
    compact = load("lapsus-2022", 120, 2, "2022-03-22T12:00:00Z", log_events=3_000)
    expected = (scenario_numbers(plain), tenant_counts(plain))

    def refuse(self: object) -> None:
        raise AssertionError("a compact row was opened")

    monkeypatch.setattr(Person, "open", refuse)  # the rows of users and events
    monkeypatch.setattr(Row, "event", refuse)
    assert (scenario_numbers(compact), tenant_counts(compact)) == expected

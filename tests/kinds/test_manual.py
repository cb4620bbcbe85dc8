"""manual: a finding per step until `remediator ack` records it in the journal; never a change."""

from __future__ import annotations

import pytest

from remediator.kinds import REGISTRY
from remediator.kinds.manual import acknowledgements
from tests.kinds import datafiles
from tests.support import FakeClient, context

KIND = "manual"
STEPS = {"steps": [{"id": "a", "title": "A", "owner": "x"}, {"id": "b", "title": "B"}]}


@pytest.mark.parametrize("path", datafiles.cases("manual"), ids=lambda p: p.stem)
def test_diff_data_files(path):
    datafiles.run(KIND, path)


async def test_acknowledgements_come_from_the_journal_without_a_request():
    client = FakeClient()
    journal = ({"type": "ack", "tenant": "acme", "step": "a", "by": "kim", "note": "n1", "time": "t1"},
               {"type": "change", "tenant": "acme", "result": "applied", "change": {}},
               {"type": "ack", "tenant": "acme", "step": "a", "by": "lee", "note": "n2", "time": "t2"})
    kind = REGISTRY[KIND]("s", STEPS)
    observed = await kind.read(context(client, journal=journal))
    assert client.calls == []
    assert observed["acks"] == {"a": {"by": "lee", "note": "n2", "time": "t2"}}
    out = kind.diff(observed)
    assert [(type(i).__name__, i.target.id) for i in out] == [("NoOp", "a"), ("Finding", "b")]
    assert out[0].reason == "a: acknowledged by lee at t2: n2"
    assert out[1].evidence["acknowledge"] == "remediator ack acme b --by NAME --note TEXT"


def test_never_writes():
    assert REGISTRY[KIND].writes == () and REGISTRY[KIND].scopes == ()
    assert acknowledgements([{"type": "ack"}]) == {}

"""Own writes are recognised by request id or transaction id (issue 10 point 8).

Real events (elastic-integrations packages/okta/_dev/deploy/docker/sample_logs/okta-system.json.log, in
../shared/okta-reference) carry the request's id both as `debugContext.debugData.requestId` and as
`transaction.id`; an event may carry only the transaction.
"""

from __future__ import annotations

import json
from pathlib import Path

from remediator.kinds.system_log_hunt import own_write


def _sample_events(reference: Path) -> list[dict]:
    path = reference / "elastic-integrations/packages/okta/_dev/deploy/docker/sample_logs/okta-system.json.log"
    events: list[dict] = []
    for line in path.read_text().splitlines():
        if line.strip():
            value = json.loads(line)
            events += value if isinstance(value, list) else [value]
    return events


def test_real_events_carry_the_request_id_as_their_transaction_id(reference: Path) -> None:
    events = _sample_events(reference)
    assert events
    for event in events:
        assert event["transaction"]["id"] == event["debugContext"]["debugData"]["requestId"]
        assert own_write(event, frozenset({event["transaction"]["id"]}))
        assert not own_write(event, frozenset({"someone-else"}))


def test_an_event_with_only_a_transaction_id_is_recognised() -> None:
    event = {"eventType": "user.session.clear", "transaction": {"type": "WEB", "id": "XkccyyMli2Uay2I93ZgRzQAAB0c"},
             "debugContext": {"debugData": {}}}
    assert own_write(event, frozenset({"XkccyyMli2Uay2I93ZgRzQAAB0c"}))
    assert not own_write(event, frozenset())
    assert not own_write({"transaction": None, "debugContext": None}, frozenset({"x"}))

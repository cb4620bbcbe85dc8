"""The journal's hash chain: appends link, verify catches edits, removals and reorders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from remediator.errors import VerifyError
from remediator.journal import GENESIS, Journal, own_request_ids, read_records, tenant_records, verify


def _journal(tmp_path: Path, n: int = 4) -> Path:
    path = tmp_path / "j" / "journal.jsonl"
    journal = Journal(path)
    for i in range(n):
        journal.append({"type": "change", "tenant": "acme" if i % 2 else "beta", "result": "applied",
                        "request_id": f"req{i}"})
    return path


def test_chain_verifies(tmp_path: Path) -> None:
    path = _journal(tmp_path)
    records = list(read_records(path))
    assert records[0]["prev"] == GENESIS
    assert all(r["operator"]["user"] and r["run_id"] for r in records)
    report = verify(path)
    assert (report.records, report.runs, report.applied) == (4, 1, 4)


def test_two_runs_append_to_one_chain(tmp_path: Path) -> None:
    path = _journal(tmp_path, 2)
    Journal(path).append({"type": "ack", "tenant": "acme", "step": "s1", "by": "kim"})
    assert verify(path).runs == 2


@pytest.mark.parametrize("damage", ["edit", "remove", "swap", "garbage"])
def test_tampering_is_caught(tmp_path: Path, damage: str) -> None:
    path = _journal(tmp_path)
    lines = path.read_text().splitlines()
    if damage == "edit":
        record = json.loads(lines[1])
        record["result"] = "failed"
        lines[1] = json.dumps(record, sort_keys=True, separators=(",", ":"))
    elif damage == "remove":
        del lines[1]
    elif damage == "swap":
        lines[1], lines[2] = lines[2], lines[1]
    else:
        lines[2] = "{not json"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(VerifyError, match=r"journal.jsonl:\d"):
        verify(path)


def test_missing_journal(tmp_path: Path) -> None:
    with pytest.raises(VerifyError, match="no journal"):
        verify(tmp_path / "none.jsonl")


def test_views(tmp_path: Path) -> None:
    path = _journal(tmp_path)
    Journal(path).append({"type": "change", "tenant": "acme", "result": "applied", "request_id": "req9",
                          "detail": {"sessions_request_id": "req10", "note": "x"}})
    acme = tenant_records(path, "acme")
    assert [r["request_id"] for r in acme] == ["req1", "req3", "req9"]
    assert own_request_ids(acme) == {"req1", "req3", "req9", "req10"}

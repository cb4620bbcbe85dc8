"""Data-file diff tests: `tests/kinds/data/<kind>/<case>.json` = {"args", "observed", "expected"}.

`expected` holds `changes` and `findings` exactly as `to_json()` writes them (ids left out: they are
stable hashes of state, kind, action/title and target, tested with the plan model) and, optionally,
`notes`: the kind's `explain()` output, that is the reasons of the NoOp items its `diff` yields (what
`plan -v` prints). A case that expects neither a change nor a finding must expect notes, so that
"nothing to do" is always explained.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from remediator.kinds import REGISTRY
from remediator.plan import Change, Finding

DATA = Path(__file__).resolve().parent / "data"
STATE = "test state"


def cases(directory: str) -> list[Path]:
    return sorted((DATA / directory).glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def _strip(item: Change | Finding) -> dict[str, Any]:
    data = item.to_json()
    data.pop("id")
    return data


def run(kind_name: str, path: Path) -> None:
    """Run one data file through the kind's `diff` (and `explain`) and compare exactly."""
    case = load(path)
    kind = REGISTRY[kind_name](case.get("state", STATE), case.get("args", {}))
    out = kind.diff(case["observed"])
    got = {
        "changes": [_strip(c) for c in out if isinstance(c, Change)],
        "findings": [_strip(f) for f in out if isinstance(f, Finding)],
    }
    expected = case["expected"]
    assert got["changes"] == expected.get("changes", []), f"{path.name}: changes differ"
    assert got["findings"] == expected.get("findings", []), f"{path.name}: findings differ"
    notes = kind.explain(case["observed"])
    if "notes" in expected:
        assert notes == expected["notes"], f"{path.name}: notes differ"
    if not [i for i in out if isinstance(i, Change | Finding)]:
        assert notes, f"{path.name}: nothing to do and nothing explained"
    assert out == kind.diff(case["observed"]), f"{path.name}: diff is not deterministic"

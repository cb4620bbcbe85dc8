"""`benchmarks/run.py --quick` end to end: every ratio target within 50%, or the run fails.

It starts three sandbox processes and takes about 35 s on an idle 2-core machine, but 2 minutes or
more when the machine is busy, so it runs only when asked (REMEDIATOR_BENCH=1); the skip says so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not os.environ.get("REMEDIATOR_BENCH"),
    reason="benchmark run (35 s idle, minutes on a busy runner): set REMEDIATOR_BENCH=1 to run it",
)


def test_quick_benchmark_meets_every_target_within_half_again(tmp_path: Path) -> None:
    out = tmp_path / "quick.json"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--out", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT, check=False)
    assert out.exists(), done.stderr[-3000:]
    rows = json.loads(out.read_text())["rows"]
    missed = [f"{r['id']}: {r['value']} (threshold {r['op']} {r['threshold']}; {r['note']})"
              for r in rows if r["gated"] and not r["gate_ok"]]
    assert not missed, "\n".join(missed)
    assert done.returncode == 0, done.stdout[-3000:]
    ids = {r["id"] for r in rows}
    assert {"plan.calls_model", "naive.speedup", "apply.repeated", "archive.wall_floor", "hunt.events_per_s",
            "multi.ratio", "sandbox.cpu"} <= ids

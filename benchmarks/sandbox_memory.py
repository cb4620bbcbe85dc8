"""The sandbox at scale (issue 14): peak memory and time to serve, of `remediator sandbox serve` as anyone runs it.

    python benchmarks/sandbox_memory.py                      # 100,000 users, 1,000,000 events
    python benchmarks/sandbox_memory.py --users 1000 --log-events 50000

Starts `remediator sandbox serve --scenario lapsus-2022 --users U --log-events E --ready-file F` (the
scenario's delayed persistence on, as served), waits for the ready file, reads the process's peak RSS
(`VmHWM` in /proc), stops it (SIGTERM, by pid) and prints one JSON line: users, log_events, ready_s
(from the start of the process to the ready file: interpreter start, generation and load), cpu_s (the
process's CPU time until then: the fair figure on a busy machine), peak_rss_mb, and whether each target
holds (RSS <= 1,024 MB, ready <= 20 s). Exit 0 if both hold, 1 if not, 2 if the sandbox could not start.
The same figure by hand: the command above prints `sandbox: serving ...; ready in X s (Y s CPU), peak RSS
Z MB` on stderr once it serves (or read `grep VmHWM /proc/PID/status`).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RSS_TARGET_MB = 1024
READY_TARGET_S = 20.0
ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (/proc/PID/stat fields 14 and 15, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(users: int, log_events: int, timeout: float = 300.0) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="sandbox-memory-") as tmp:
        ready = Path(tmp) / "ready.json"
        cmd = [sys.executable, "-m", "remediator", "sandbox", "serve", "--scenario", "lapsus-2022",
               "--users", str(users), "--log-events", str(log_events), "--ready-file", str(ready)]
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            while not ready.exists():
                if proc.poll() is not None:
                    raise RuntimeError(f"sandbox exited with {proc.returncode}: "
                                       f"{proc.stderr.read().decode(errors='replace')[-500:] if proc.stderr else ''}")
                if time.perf_counter() - started > timeout:
                    raise RuntimeError(f"sandbox not ready after {timeout:.0f} s")
                time.sleep(0.05)
            ready_s = time.perf_counter() - started
            rss, cpu = peak_rss_mb(proc.pid), cpu_seconds(proc.pid)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    return {"users": users, "log_events": log_events, "ready_s": round(ready_s, 2), "cpu_s": round(cpu, 2),
            "peak_rss_mb": round(rss, 1),
            "rss_met": rss <= RSS_TARGET_MB, "ready_met": ready_s <= READY_TARGET_S,
            "load_average": os.getloadavg()[0]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--users", type=int, default=100_000)
    p.add_argument("--log-events", type=int, default=1_000_000)
    args = p.parse_args(argv)
    try:
        result = measure(args.users, args.log_events)
    except RuntimeError as exc:
        sys.stderr.write(f"error: sandbox_memory: {exc}\n")
        return 2
    sys.stdout.write(json.dumps(result) + "\n")
    return 0 if result["rss_met"] and result["ready_met"] else 1


if __name__ == "__main__":
    sys.exit(main())

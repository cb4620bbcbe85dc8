"""Peak RSS and CPU of archiving N System Log events through the kind (not a test: run by hand).

    .venv/bin/python -m tests.evidence.perf_archive [EVENTS]

A fake tenant generates pages of 1,000 realistic events lazily (as Okta would send them), so the
measured memory is the archive's own: it must stay flat (streamed) whatever N is.
"""

from __future__ import annotations

import asyncio
import random
import resource
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from remediator.evidence import verify_evidence
from remediator.kinds.system_log_archive import SystemLogArchive
from remediator.okta.client import OktaResponse
from remediator.timeutil import format_time, parse_time
from tests.hunt.perf_hunt import synthetic
from tests.support import FakeClient, answer, context

START = parse_time("2022-03-01T00:00:00Z")


class StreamingTenant(FakeClient):
    def __init__(self, n: int) -> None:
        super().__init__(events=[], now="2022-03-22T12:00:00Z")
        self.n = n

    async def pages(self, path: str, params: dict | None = None, *, stop_on_empty: bool = False,
                    prefetch: bool = False) -> AsyncIterator[OktaResponse]:
        rnd = random.Random(1)
        for start in range(0, self.n, 1000):
            body = [synthetic(i, format_time(START + timedelta(milliseconds=i)), rnd)
                    for i in range(start, min(start + 1000, self.n))]
            yield answer(200, body, f"r{start}", "next")


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        kind = SystemLogArchive("archive", {"since": "2022-03-01T00:00:00Z", "until": "2022-03-22T00:00:00Z",
                                            "dir": tmp})
        ctx = context(StreamingTenant(n))
        change = kind.diff(await kind.read(ctx))[0]
        t0, c0 = time.perf_counter(), time.process_time()
        await kind.apply(ctx, change)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        size = sum(p.stat().st_size for p in (Path(tmp) / "acme").iterdir())
        print(f"archived {n} events: {wall:.1f}s wall, {cpu:.1f}s CPU (event generation included), "
              f"peak RSS {rss:.0f} MB, {size / 1e6:.0f} MB on disk")
        t0 = time.perf_counter()
        print(verify_evidence(tmp)[0], f"(verify {time.perf_counter() - t0:.1f}s)")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000))

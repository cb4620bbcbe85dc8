"""okta.system_log_archive: every System Log event in [since, until) preserved on disk as evidence.

The archive is one contiguous half-open range per tenant (see `remediator.evidence`). A run fetches
only what the manifest does not cover yet: a later `until` extends it at the end, an earlier `since`
backfills before it. The tenant's own clock decides "now" (`until` by default) and the retention
limit (Okta keeps 90 days): a range older than that cannot be fetched any more and is reported as a
finding, and recorded in the manifest so the loss stays visible on every later plan.

Gap-free under delayed persistence. Okta: "Not all events for the specified time range may be present.
Some events may be delayed", and "Don't transfer data by manually paginating using since and until ...
always follow the next links" (https://developer.okta.com/docs/reference/system-log-query/). So the
archive extends forward with Okta's polling query (no `until`: ordered and filtered by persistence time,
with a `next` link even on an empty page) and keeps that `next` link in the manifest as its cursor: the
next run resumes exactly there, so every event is read once, however late Okta persisted it. What it
*claims* (`covered`) is separate from what it read: a range is claimed only once it has settled, i.e. it
ends `settle` seconds (default 600) before the tenant's clock when the poll caught up; the events read
beyond the claim are kept in the manifest's `pending` file until a later run claims them. An event that
arrives after its range was claimed (delayed by more than `settle`) is still archived, in a `late`
chunk, and reported as a finding. A range that ends `settle` seconds before now or earlier is already
settled and is fetched with one bounded query (backfills, a fixed `until`).

The trade-off (benchmarks/README.md): the claim lags the tenant's clock by `settle`; the cost in calls
is one empty page per run. The alternative, a settling margin with an overlap re-read and uuid
de-duplication, re-reads the overlap on every run and still loses an event later than margin + overlap.
"""

from __future__ import annotations

import heapq
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

from remediator.errors import InputError, VerifyError
from remediator.evidence import (
    ChunkWriter,
    Manifest,
    Pending,
    check_org,
    clean_orphans,
    evidence_dir,
    evidence_lock,
    load_manifest,
    read_pending,
    time_key,
    write_events_file,
)
from remediator.facts import LOG_PAGES
from remediator.facts import endpoints as ep
from remediator.kinds.base import Applied, Kind, TenantContext, Verdict, register
from remediator.plan import Change, Finding, NoOp, Target
from remediator.timeutil import format_time, parse_time

RETENTION = timedelta(days=90)
CLOCK_SLACK = timedelta(seconds=5)  # how much earlier an apply may read the tenant's clock than its plan did
PAGE = 1000
#: Seconds after which Okta is assumed to have persisted every event published before (see the docstring).
SETTLE = 600


async def tenant_now(ctx: TenantContext) -> str:
    """The tenant's "now". The client learns the tenant's clock from `Date` headers, so ask once first
    (one System Log event, newest first: the cheapest call the `okta.logs.read` scope allows)."""
    await ctx.reads.fresh(ep.LOGS, params={"limit": 1, "sortOrder": "DESCENDING"})
    return format_time(ctx.client.server_now())


def covered_range(manifest: Manifest | None) -> list[str] | None:
    if manifest is None or manifest.covered is None:
        return None
    return [manifest.covered["since"], manifest.covered["until"]]


def retention_start(now: str) -> str:
    return format_time(parse_time(now) - RETENTION)


def missing_ranges(want: tuple[str, str], covered: list[str] | None) -> list[tuple[str, str, bool]]:
    """What to fetch so that the covered range includes `want`, as (since, until, forward) segments.

    The archive stays one contiguous range: a `want` that does not touch it extends it up to `want`.
    """
    since, until = want
    if covered is None:
        return [(since, until, True)] if since < until else []
    cs, cu = covered
    out = []
    if since < cs:
        out.append((since, cs, False))
    if until > cu:
        out.append((cu, until, True))
    return out


def lost_ranges(want: tuple[str, str], covered: list[str] | None, now: str,
                recorded: list[dict[str, str]]) -> list[tuple[str, str]]:
    """Ranges of `want` that Okta no longer has: past retention and not archived, or recorded as lost."""
    since, until = want
    limit = min(retention_start(now), until)
    out: list[tuple[str, str]] = []
    if since < limit:
        hi = limit if covered is None else min(limit, covered[0])
        if since < hi:
            out.append((since, hi))
    for r in recorded:
        lo, hi = max(r["since"], since), min(r["until"], until)
        if lo < hi and (lo, hi) not in out:
            out.append((lo, hi))
    return sorted(out)


@register
class SystemLogArchive(Kind):
    """Every System Log event in [since, until) is preserved under `dir/<tenant>/`; incremental, resumable.

    Example::

        - name: System Log preserved as evidence
          okta.system_log_archive:
            since: "2022-01-14T00:00:00Z"
            dir: evidence
    """

    name = "okta.system_log_archive"
    schema = {
        "type": "object",
        "properties": {
            "since": {"type": "string", "format": "date-time",
                      "description": "Start of the range to preserve (inclusive)."},
            "until": {"type": "string", "format": "date-time",
                      "description": "End of the range (exclusive); default: the tenant's now."},
            "dir": {"type": "string", "minLength": 1,
                    "description": "Evidence directory (one subdirectory per tenant)."},
            "chunk_events": {"type": "integer", "minimum": 1, "description": "Events per chunk file (default 100000)."},
            "settle": {"type": "integer", "minimum": 0,
                       "description": "Seconds Okta may take to persist an event; a range is claimed as covered "
                                      f"only this long after it ends (default {SETTLE})."},
        },
        "required": ["since", "dir"],
        "additionalProperties": False,
    }
    facts = (LOG_PAGES, ep.LOGS)
    writes = ()  # the archive is written to disk, not to the tenant
    local = True  # it reads the tenant and writes only the evidence directory

    @property
    def settle(self) -> timedelta:
        return timedelta(seconds=int(self.args.get("settle", SETTLE)))

    def _want(self, now: str) -> tuple[str, str]:
        """The range asked for, as far as it can be claimed now: never the last `settle` before the tenant's now."""
        try:
            since = time_key(self.args["since"])
            until = time_key(self.args["until"]) if self.args.get("until") else now
        except ValueError as exc:
            raise InputError(str(exc), where=f"{self.state}: {self.name}") from None
        if until <= since:
            raise InputError(f"'until' ({until}) is not after 'since' ({since})", where=f"{self.state}: {self.name}")
        return since, max(since, min(until, format_time(parse_time(now) - self.settle)))

    def directory(self, ctx: TenantContext, change: Change | None = None) -> Path:
        """`<dir>/<tenant>` of the declared `dir`; a change must target exactly it (see `evidence_dir`).

        Without a declared `dir` (a plan that does not carry its states), the target must still be a
        non-symlinked directory named after the tenant."""
        claimed = change.target.id if change is not None else None
        root = self.args.get("dir") or (Path(claimed).parent if claimed else None)
        if root is None:
            raise InputError("no evidence directory declared", where=f"{self.state}: {self.name}")
        return evidence_dir(root, ctx.name, claimed=claimed)

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        directory = self.directory(ctx)
        manifest = load_manifest(directory)
        check_org(directory, manifest, ctx.org)
        return {
            "dir": str(directory),
            "now": await tenant_now(ctx),
            "covered": covered_range(manifest),
            "retention_lost": manifest.retention_lost if manifest else [],
            "late": [{"file": c.file, "events": c.events, "since": c.since, "until": c.until}
                     for c in manifest.late] if manifest else [],
        }

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        want = self._want(observed["now"])
        covered = observed.get("covered")
        target = Target("system_log", observed["dir"], f"{want[0]} .. {want[1]}")
        out: list[Change | Finding | NoOp] = []
        for lo, hi in lost_ranges(want, covered, observed["now"], observed.get("retention_lost") or []):
            out.append(self.finding(
                "high", f"System Log events from {lo} to {hi} are past Okta's 90-day retention and lost",
                target, {"since": lo, "until": hi, "retention_days": RETENTION.days, "now": observed["now"]}))
        for late in observed.get("late") or ():
            out.append(self.finding(
                "medium", f"{late['events']} System Log event(s) published from {late['since']} arrived after "
                          f"their range was claimed as covered; they are archived in {late['file']}",
                target, {**late, "settle_seconds": int(self.settle.total_seconds()),
                         "advice": "raise `settle`: Okta persisted them later than it allows"}))
        segments = missing_ranges(want, covered)
        if segments:
            after = [min(want[0], covered[0]), max(want[1], covered[1])] if covered else list(want)
            have = f"covers {covered[0]} .. {covered[1]}" if covered else "does not exist yet"
            todo = ", ".join(f"{a} .. {b}" for a, b, _ in segments)
            out.append(self.change("archive", target, {"covered": covered}, {"covered": after},
                                   f"the archive {have}; missing {todo}"))
        elif covered:
            holds = "" if list(want) == list(covered) else f" (it holds {covered[0]} .. {covered[1]})"
            out.append(self.no_op(f"the archive already covers {want[0]} .. {want[1]}{holds}"
                                  f"{self._settling(observed, want)}", target))
        else:
            out.append(self.no_op(f"nothing to archive yet{self._settling(observed, want)}", target))
        return out

    def _settling(self, observed: dict[str, Any], want: tuple[str, str]) -> str:
        """What of the declared range is left for a later run because it has not settled yet, if anything."""
        asked = time_key(self.args["until"]) if self.args.get("until") else observed["now"]
        if want[1] >= asked:
            return ""
        return (f"; events published from {want[1]} on are archived once they have settled "
                f"({int(self.settle.total_seconds())} s)")

    async def current(self, ctx: TenantContext, change: Change) -> dict[str, Any]:
        directory = self.directory(ctx, change)
        manifest = load_manifest(directory)
        check_org(directory, manifest, ctx.org)
        return {"covered": covered_range(manifest)}

    def verdict(self, change: Change, current: dict[str, Any]) -> Verdict:
        """Never stale: an interrupted run only moved the archive towards `after`, and apply resumes it."""
        have, want = current.get("covered"), change.after["covered"]
        if have and have[0] <= want[0] and have[1] >= want[1]:
            return "done"
        return "pending"

    def same_change(self, planned: Change, fresh: Change) -> bool:
        """Still wanted: the fresh range (up to a later "now") holds the planned one, whatever an interrupted
        run already archived; the planned range is what gets written."""
        want, now = planned.after.get("covered"), fresh.after.get("covered")
        if not (want and now and len(want) == 2 and now[0] <= want[0]):
            return False
        # our reading of the tenant's clock comes from `Date` (whole seconds): it may read a little earlier
        # right after planning, which is no reason to refuse; a range reaching further is
        return bool(parse_time(want[1]) <= parse_time(now[1]) + CLOCK_SLACK)

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        """One writer per evidence directory: the lock is held from before the manifest is read to the end."""
        directory = self.directory(ctx, change)
        directory.mkdir(parents=True, exist_ok=True)
        directory = self.directory(ctx, change)  # nothing swapped in for it meanwhile
        lock = evidence_lock(directory, wait=ctx.lock_wait, notify=ctx.on_lock_wait)
        await lock.acquire()
        try:
            return await self._archive(ctx, change, directory)
        finally:
            lock.release()

    async def _archive(self, ctx: TenantContext, change: Change, directory: Path) -> Applied:
        manifest = load_manifest(directory)
        check_org(directory, manifest, ctx.org)
        org = ctx.org
        manifest = manifest or Manifest(tenant=ctx.name, org_url=org.url if org else ctx.client.org_url,
                                        org_id=org.id if org else "")
        clean_orphans(directory, manifest)
        manifest.settle_seconds = int(self.settle.total_seconds())
        want = (change.after["covered"][0], change.after["covered"][1])
        now = await tenant_now(ctx)
        oldest = retention_start(now)
        settled = format_time(parse_time(now) - self.settle)
        chunk_events = int(self.args.get("chunk_events") or 100_000)
        # following "now" (or an `until` that has not settled yet) is a transfer: Okta's polling query
        live = not self.args.get("until") or time_key(self.args["until"]) > settled
        request_id, fetched, sha = None, 0, None
        for since, until, forward in missing_ranges(want, covered_range(manifest)):
            fetch_since = max(since, oldest)
            if since < fetch_since:
                manifest.retention_lost.append({"since": since, "until": min(fetch_since, until)})
            poll = forward and (manifest.cursor is not None or live)
            writer = ChunkWriter(directory, manifest, since, until, chunk_events=chunk_events, forward=forward,
                                 auto_cut=not poll)
            try:
                if poll:  # claims only what has settled, in its own last checkpoint
                    request_id = await Poll(ctx, writer, fetch_since).run() or request_id
                else:
                    if fetch_since < until:
                        request_id = await self._fetch(ctx, writer, fetch_since, until) or request_id
                    writer.close()
            finally:
                writer.abort()
            fetched += writer.written
            sha = writer.sha256 or sha
        return Applied(request_id, {"events": fetched, "covered": covered_range(manifest),
                                    "chunks": len(manifest.chunks),
                                    "pending": manifest.pending.events if manifest.pending else 0,
                                    "late": sum(c.events for c in manifest.late),
                                    "dir": str(directory.resolve()), "tenant_now": now, "manifest_sha256": sha})

    async def _fetch(self, ctx: TenantContext, writer: ChunkWriter, since: str, until: str) -> str | None:
        """Bounded query, ascending, streamed page by page into the writer: only for a range that has settled.

        The spec does not say whether Okta's `since`/`until` are inclusive; the query starts 1 ms early
        and the writer keeps exactly [since, until), so the result is right either way.
        """
        params = {"since": format_time(parse_time(since) - timedelta(milliseconds=1)), "until": until,
                  "limit": PAGE, "sortOrder": "ASCENDING"}
        request_id = None
        async for page in ctx.reads.log_pages(params):
            request_id = page.request_id or request_id
            for event in page.body or ():
                writer.add(event)
        return request_id


class Poll:
    """One forward extension with Okta's polling query, resumable from the manifest's cursor.

    Pages come in persistence order, so `published` times arrive slightly shuffled: events wait in a heap
    until they have settled. Having read an event published at `t`, every event persisted before it has been
    read, so every event published before `t - settle` has been read; after an empty page (the poll caught
    up) at the tenant's time `P`, every event published before `P - settle` has. Settled events go to the
    writer in order; a checkpoint (at a page boundary, when a chunk is full) writes the chunk, the heap as
    the `pending` file and the cursor in one manifest save, so a kill resumes without a gap or a repeat.
    """

    def __init__(self, ctx: TenantContext, writer: ChunkWriter, since: str) -> None:
        self.ctx, self.writer, self.since = ctx, writer, since
        self.manifest = writer.manifest
        cursor = self.manifest.cursor
        if cursor is not None and not (isinstance(cursor, str) and cursor.startswith(ep.LOGS.path() + "?")):
            raise VerifyError(f"{writer.dir / 'manifest.json'}: its cursor is not a System Log link: "
                              f"{str(cursor)[:80]!r}")
        self.settle = timedelta(seconds=self.manifest.settle_seconds or 0)
        self.heap: list[tuple[str, str, dict[str, Any]]] = []
        self.uuids: set[str] = set()
        self.late: list[dict[str, Any]] = []
        self.claimed = writer.since  # every event published before this is in a chunk (or late)
        # Without a cursor the poll starts at the claimed end's persistence time and also returns events
        # published before it that a settled fetch already archived; from a cursor nothing was read before.
        self.floor = "" if self.manifest.cursor else writer.since
        for event in read_pending(writer.dir, self.manifest):
            self._take(event)

    def _take(self, event: dict[str, Any]) -> str:
        key, uuid = time_key(event["published"]), event["uuid"]
        if key < self.manifest.covered["since"] or uuid in self.uuids:  # type: ignore[index]
            return key
        if key < self.claimed:
            if key >= self.floor:
                self.late.append(event)
            return key
        self.uuids.add(uuid)
        heapq.heappush(self.heap, (key, uuid, event))
        return key

    def _release(self, boundary: str) -> None:
        """Hand every held event published before `boundary` to the writer, in order."""
        heap, add = self.heap, self.writer.add
        while heap and heap[0][0] < boundary:
            _key, uuid, event = heapq.heappop(heap)
            self.uuids.discard(uuid)
            add(event)
        self.claimed = max(self.claimed, boundary)

    async def run(self) -> str | None:
        client, writer = self.ctx.client, self.writer
        # 1 ms early: whether `since` is inclusive is not documented (the floor drops what is before it)
        since = format_time(parse_time(self.since) - timedelta(milliseconds=1))
        params = {"since": since, "limit": PAGE, "sortOrder": "ASCENDING"}
        request_id, newest, cursor = None, self.claimed, self.manifest.cursor
        caught_up = False
        async for page in self.ctx.reads.log_poll(params, cursor=self.manifest.cursor):
            request_id = page.request_id or request_id
            events = page.body or []
            cursor = _path(page.next_url) or cursor
            if not events:
                caught_up = True
                break
            for event in events:
                newest = max(newest, self._take(event))
            boundary = min(writer.until, _minus(newest, self.settle))
            self._release(boundary)
            if writer.open_events >= writer.chunk_events:
                self._checkpoint(cursor)
            if boundary >= writer.until:
                break
        if caught_up:
            # The poll caught up after the plan read the tenant's clock, and `writer.until` is that clock
            # less the margin (our estimates of the tenant's clock are never late: `Date` has whole seconds).
            self.manifest.polled_at = format_time(client.server_now())
            self._release(writer.until)
        self._checkpoint(cursor)
        return request_id

    def _checkpoint(self, cursor: str | None) -> None:
        """Chunk, late events, pending events and cursor: one manifest save (old pending file removed after)."""
        directory, old = self.writer.dir, self.manifest.pending
        self.writer.add_late(self.late)
        self.late = []
        held = [event for _k, _u, event in sorted(self.heap)]
        if held:
            name = f"pending-{uuid4().hex[:12]}.jsonl.gz"
            self.manifest.pending = Pending(name, write_events_file(directory, name, held), len(held))
        else:
            self.manifest.pending = None
        self.manifest.cursor = cursor
        self.writer.checkpoint(self.claimed)
        if old is not None and (self.manifest.pending is None or old.file != self.manifest.pending.file):
            (directory / old.file).unlink(missing_ok=True)


def _minus(key: str, delta: timedelta) -> str:
    return format_time(parse_time(key) - delta)


def _path(url: str | None) -> str | None:
    """A `next` link as path and query: the manifest names no host, so evidence survives a moved sandbox."""
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path

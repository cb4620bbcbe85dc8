"""okta.system_log_archive: every System Log event in [since, until) preserved on disk as evidence.

The archive is one contiguous half-open range per tenant (see `remediator.evidence`). A run fetches
only what the manifest does not cover yet: a later `until` extends it at the end, an earlier `since`
backfills before it. The tenant's own clock decides "now" (`until` by default) and the retention
limit (Okta keeps 90 days): a range older than that cannot be fetched any more and is reported as a
finding, and recorded in the manifest so the loss stays visible on every later plan.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from remediator.errors import InputError
from remediator.evidence import ChunkWriter, Manifest, clean_orphans, load_manifest, tenant_dir, time_key
from remediator.facts import LOG_PAGES
from remediator.facts import endpoints as ep
from remediator.kinds.base import Applied, Kind, TenantContext, Verdict, register
from remediator.plan import Change, Finding, Target
from remediator.timeutil import format_time, parse_time

RETENTION = timedelta(days=90)
PAGE = 1000


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
        },
        "required": ["since", "dir"],
        "additionalProperties": False,
    }
    facts = (LOG_PAGES, ep.LOGS)
    writes = ()  # the archive is written to disk, not to the tenant

    def _want(self, now: str) -> tuple[str, str]:
        try:
            since = time_key(self.args["since"])
            until = time_key(self.args["until"]) if self.args.get("until") else now
        except ValueError as exc:
            raise InputError(str(exc), where=f"{self.state}: {self.name}") from None
        if until <= since:
            raise InputError(f"'until' ({until}) is not after 'since' ({since})", where=f"{self.state}: {self.name}")
        return since, until

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        directory = tenant_dir(self.args["dir"], ctx.name)
        manifest = load_manifest(directory)
        return {
            "dir": str(directory),
            "now": await tenant_now(ctx),
            "covered": covered_range(manifest),
            "retention_lost": manifest.retention_lost if manifest else [],
        }

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding]:
        want = self._want(observed["now"])
        covered = observed.get("covered")
        target = Target("system_log", observed["dir"], f"{want[0]} .. {want[1]}")
        out: list[Change | Finding] = []
        for lo, hi in lost_ranges(want, covered, observed["now"], observed.get("retention_lost") or []):
            out.append(self.finding(
                "high", f"System Log events from {lo} to {hi} are past Okta's 90-day retention and lost",
                target, {"since": lo, "until": hi, "retention_days": RETENTION.days, "now": observed["now"]}))
        segments = missing_ranges(want, covered)
        if segments:
            after = [min(want[0], covered[0]), max(want[1], covered[1])] if covered else list(want)
            have = f"covers {covered[0]} .. {covered[1]}" if covered else "does not exist yet"
            todo = ", ".join(f"{a} .. {b}" for a, b, _ in segments)
            out.append(self.change("archive", target, {"covered": covered}, {"covered": after},
                                   f"the archive {have}; missing {todo}"))
        return out

    async def current(self, ctx: TenantContext, change: Change) -> dict[str, Any]:
        return {"covered": covered_range(load_manifest(change.target.id))}

    def verdict(self, change: Change, current: dict[str, Any]) -> Verdict:
        """Never stale: an interrupted run only moved the archive towards `after`, and apply resumes it."""
        have, want = current.get("covered"), change.after["covered"]
        if have and have[0] <= want[0] and have[1] >= want[1]:
            return "done"
        return "pending"

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        directory = Path(change.target.id)
        directory.mkdir(parents=True, exist_ok=True)
        manifest = load_manifest(directory) or Manifest(tenant=ctx.name, org_url=ctx.client.org_url)
        clean_orphans(directory, manifest)
        want = (change.after["covered"][0], change.after["covered"][1])
        oldest = retention_start(await tenant_now(ctx))
        chunk_events = int(self.args.get("chunk_events") or 100_000)
        request_id, fetched = None, 0
        for since, until, forward in missing_ranges(want, covered_range(manifest)):
            fetch_since = max(since, oldest)
            if since < fetch_since:
                manifest.retention_lost.append({"since": since, "until": min(fetch_since, until)})
            writer = ChunkWriter(directory, manifest, since, until, chunk_events=chunk_events, forward=forward)
            try:
                if fetch_since < until:
                    request_id = await self._fetch(ctx, writer, fetch_since, until) or request_id
                writer.close()
            finally:
                writer.abort()
            fetched += writer.written
        return Applied(request_id, {"events": fetched, "covered": covered_range(manifest),
                                    "chunks": len(manifest.chunks)})

    async def _fetch(self, ctx: TenantContext, writer: ChunkWriter, since: str, until: str) -> str | None:
        """Bounded query, ascending, streamed page by page into the writer.

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

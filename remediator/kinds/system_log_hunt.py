"""okta.system_log_hunt: report the System Log events in [since, until) that hunt rules match, one finding
per rule and actor (count, first and last seen, source IPs, samples, and every event by uuid), and the
events that make a correlation rule hold, one finding per correlation and group (e.g. per client IP).

It changes nothing. It reads the archive (`dir`, as written by okta.system_log_archive) for the part
of the range the archive covers, and the API for the rest. `read` keeps only the events some rule
matches (so an archive of millions costs no memory), and of the events only a correlation's base rules
match, those that take part in a correlation; `diff` runs the rules and the correlations again on them,
purely, with the admin ids and remediator's own request ids (from the journal) that `read` put in the
observed state, and leaves out remediator's own writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any

from remediator.errors import InputError
from remediator.evidence import check_org, load_manifest, tenant_dir, time_key
from remediator.facts import ADMINS, LOG_PAGES
from remediator.facts import endpoints as ep
from remediator.hunt import Correlation, Engine, Rule, RuleSet, load_rule_set
from remediator.kinds.base import Kind, TenantContext, register
from remediator.kinds.system_log_archive import tenant_now
from remediator.plan import SEVERITIES, Change, Finding, NoOp, Target
from remediator.timeutil import format_time, parse_time

RETENTION = timedelta(days=90)
#: Events of a finding shown in full (all are listed by uuid).
SAMPLES = 5


def request_id(event: dict[str, Any]) -> str | None:
    debug = (event.get("debugContext") or {}).get("debugData") or {}
    rid = debug.get("requestId")
    return rid if isinstance(rid, str) else None


def own_write(event: dict[str, Any], own_ids: frozenset[str]) -> bool:
    """Whether remediator made this event: its request id, or its transaction id, is one we journalled.

    An API request's `transaction.id` is its request id (Okta's sample events in elastic-integrations'
    okta-system.json.log carry the same value in both), and some events carry only the transaction: a
    service app's writes are recognised without a user behind them.
    """
    if not own_ids:
        return False
    rid = request_id(event)
    tid = (event.get("transaction") or {}).get("id") if isinstance(event.get("transaction"), dict) else None
    return (rid is not None and rid in own_ids) or (isinstance(tid, str) and tid in own_ids)


def _targets(event: dict[str, Any]) -> list[dict[str, Any]]:
    keep = ("id", "type", "alternateId", "displayName")
    return [{k: t.get(k) for k in keep if k in t} for t in event.get("target") or () if isinstance(t, dict)]


def _actor_key(event: dict[str, Any]) -> str:
    actor = event.get("actor") or {}
    return str(actor.get("id") or actor.get("alternateId") or "")


PRIVILEGE_GRANTS = frozenset({"user.account.privilege.grant", "group.privilege.grant"})
PRIVILEGE_REVOKES = frozenset({"user.account.privilege.revoke", "group.privilege.revoke"})


def _privileges(event: dict[str, Any]) -> list[str] | None:
    """What the holder has after a privilege event (event-types.json: a grant lists the privileges the user
    currently has, a revoke means none is left); None for other events."""
    kind = event.get("eventType")
    if kind in PRIVILEGE_REVOKES:
        return []
    if kind not in PRIVILEGE_GRANTS:
        return None
    debug = (event.get("debugContext") or {}).get("debugData") or {}
    return [p.strip() for p in str(debug.get("privilegeGranted") or "").split(",") if p.strip()]


def privilege_forms(events: list[dict[str, Any]]) -> dict[str, str]:
    """uuid -> "grant" | "removal" | "revoke" for privilege events, oldest first: a grant event listing fewer
    privileges than its holder's previous event records a removal that left some privilege."""
    held: dict[str, set[str]] = {}
    out: dict[str, str] = {}
    for event in events:
        after = _privileges(event)
        if after is None:
            continue
        now = {p.casefold() for p in after}
        form = "revoke" if event.get("eventType") in PRIVILEGE_REVOKES else "grant"
        for target in event.get("target") or ():
            holder = str((target or {}).get("id"))
            if form == "grant" and holder in held and now < held[holder]:
                form = "removal"
            held[holder] = now
        out[str(event.get("uuid"))] = form
    return out


def _sample(event: dict[str, Any], forms: dict[str, str] | None = None) -> dict[str, Any]:
    """An event as a responder reads it in a finding: when, what, who, from where, on what."""
    actor = event.get("actor") or {}
    source = event.get("client") or {}
    extra: dict[str, Any] = {}
    if (after := _privileges(event)) is not None:
        extra = {"privileges_after": after, "form": (forms or {}).get(str(event.get("uuid")), "grant")}
    return {
        "uuid": event.get("uuid"), "published": event.get("published"), "eventType": event.get("eventType"),
        "actor": actor.get("alternateId") or actor.get("id"), "ip": source.get("ipAddress"),
        "targets": _targets(event), "displayMessage": event.get("displayMessage"),
        "outcome": (event.get("outcome") or {}).get("result"), "request_id": request_id(event), **extra,
    }


@dataclass
class Hunted:
    """What a hunt found: single-rule hits grouped by (rule, actor), correlation hits by (correlation, group)."""

    groups: dict[tuple[str, str], list[tuple[dict[str, Any], list[Rule]]]] = field(default_factory=dict)
    correlated: dict[tuple[str, tuple[str, ...]], tuple[Correlation, dict[str, dict[str, Any]]]] = field(
        default_factory=dict)
    ours: int = 0  # events in the range that are remediator's own writes (left out)

    def uuids(self) -> set[str]:
        return ({str(e.get("uuid")) for hits in self.groups.values() for e, _ in hits}
                | {u for _, events in self.correlated.values() for u in events})


def evaluate(engine: Engine, events: list[dict[str, Any]], known: dict[str, frozenset[str]], since: str,
             until: str, own: frozenset[str]) -> Hunted:
    """The rules and correlations over `events` sorted in time, in [since, until), remediator's writes left out.
    Pure; the correlations see every event a rule matched, the quiet base rules' included."""
    out = Hunted()
    correlator = engine.correlator()
    for event in events:
        if not since <= time_key(event["published"]) < until:
            continue
        if own_write(event, own):
            out.ours += 1
            continue
        rules = engine.matches(event, known)
        if not rules:
            continue
        reported = sorted((r for r in rules if r.generate), key=lambda r: SEVERITIES.index(r.severity))
        if reported:
            out.groups.setdefault((reported[0].id, _actor_key(event)), []).append((event, reported))
        for correlation, key, hit in correlator.push(event, [r.id for r in rules]):
            found = out.correlated.setdefault((correlation.id, key), (correlation, {}))[1]
            for e in hit:
                found.setdefault(str(e.get("uuid")), e)
    return out


def _by_time(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(events, key=lambda e: (time_key(e["published"]), e.get("uuid", "")))


@register
class SystemLogHunt(Kind):
    """System Log events that hunt rules match, one finding per rule and actor, and per correlation rule and
    group (its `group-by` values); remediator's own writes are not.

    `rules`: `lapsus-2022` (built in) and/or paths to Sigma rule files or directories (correlation rules
    included: their base rules are resolved across everything listed).

    Example::

        - name: System Log hunted for the attacker's traces
          okta.system_log_hunt:
            since: "2022-01-14T00:00:00Z"
            rules: [lapsus-2022]
            dir: evidence
    """

    name = "okta.system_log_hunt"
    schema = {
        "type": "object",
        "properties": {
            "since": {"type": "string", "format": "date-time", "description": "Start of the hunted range (inclusive)."},
            "until": {"type": "string", "format": "date-time",
                      "description": "End of the hunted range (exclusive); default: the tenant's now."},
            "rules": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1},
                      "description": "`lapsus-2022` and/or Sigma rule files or directories."},
            "dir": {"type": "string", "minLength": 1,
                    "description": "Evidence directory of okta.system_log_archive, read instead of the API."},
        },
        "required": ["since"],
        "additionalProperties": False,
    }
    facts = (ADMINS, LOG_PAGES, ep.LOGS)

    @property
    def rule_sources(self) -> list[str]:
        """The rule sets and files the state names (default: the built-in `lapsus-2022`)."""
        return list(self.args.get("rules") or ["lapsus-2022"])

    @cached_property
    def rule_set(self) -> RuleSet:
        return load_rule_set(self.rule_sources, where=f"{self.state}: {self.name}: rules")

    @cached_property
    def engine(self) -> Engine:
        return Engine(self.rule_set.rules, correlations=self.rule_set.correlations)

    @staticmethod
    def known(observed: dict[str, Any]) -> dict[str, frozenset[str]]:
        """The id sets the rules' `|admin` and `|new_admin` modifiers test, from the observed state."""
        return {"admin": frozenset(observed.get("admins") or ()),
                "new_admin": frozenset(observed.get("new_admins") or ())}

    def _range(self, now: str) -> tuple[str, str]:
        try:
            since = time_key(self.args["since"])
            until = time_key(self.args["until"]) if self.args.get("until") else now
        except ValueError as exc:
            raise InputError(str(exc), where=f"{self.state}: {self.name}") from None
        return since, until

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        now = await tenant_now(ctx)
        since, until = self._range(now)
        admins: list[dict[str, Any]] = []
        if self.engine.uses_admins:
            admins = [a.user for a in await ctx.reads.admins()]
        sets = {"admins": sorted(u["id"] for u in admins),
                "new_admins": sorted(u["id"] for u in admins if u.get("created") and time_key(u["created"]) >= since)}
        known = self.known(sets)
        engine = Engine(self.rule_set.rules, known, self.rule_set.correlations)
        events: list[dict[str, Any]] = []
        sources: list[dict[str, str]] = []
        segments = [(since, until)]  # what the API must still be asked for
        if self.args.get("dir"):
            directory = tenant_dir(self.args["dir"], ctx.name)
            manifest = load_manifest(directory)
            check_org(directory, manifest, ctx.org)  # another org's events are not this tenant's evidence
            cov = manifest.covered if manifest else None
            lo, hi = (max(since, cov["since"]), min(until, cov["until"])) if cov else (until, until)
            if manifest and lo < hi:
                events += engine.scan_archive(directory, manifest, lo, hi, known)
                sources.append({"source": "archive", "dir": str(directory), "since": lo, "until": hi})
                segments = [(a, b) for a, b in ((since, lo), (hi, until)) if a < b]
        oldest = format_time(parse_time(now) - RETENTION)
        for a, b in segments:
            a = max(a, oldest)
            if a >= b:
                continue
            params = {"since": a, "until": b, "limit": 1000, "sortOrder": "ASCENDING"}
            async for page in ctx.reads.log_pages(params):
                events += engine.scan_events(page.body or (), known)
            sources.append({"source": "api", "since": a, "until": b})
        if self.rule_set.correlations:
            events = self._retained(engine, events, known, since, until, frozenset(ctx.own_request_ids))
        return {
            "since": since, "until": until, "sources": sources,
            **sets, "own_request_ids": sorted(ctx.own_request_ids),
            "events": events,
        }

    @staticmethod
    def _retained(engine: Engine, events: list[dict[str, Any]], known: dict[str, frozenset[str]], since: str,
                  until: str, own: frozenset[str]) -> list[dict[str, Any]]:
        """The events a reported rule matches, and of those only a correlation's base rules match, the ones in
        a correlation hit (what `diff`, with the same filters, will report): the rest is not kept."""
        hit = evaluate(engine, _by_time(events), known, since, until, own).uuids()
        return [e for e in events if str(e.get("uuid")) in hit
                or any(r.generate for r in engine.matches(e, known))]

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        since, until = observed["since"], observed["until"]
        known = self.known(observed)
        own = frozenset(observed.get("own_request_ids") or ())
        out: list[Change | Finding | NoOp] = []
        for skipped in self.rule_set.skipped:
            out.append(self.finding("info", f"Sigma rule skipped: {skipped.title}",
                                    Target("hunt_rule", skipped.source, skipped.title), {"reason": skipped.reason}))
        events = _by_time(list(observed.get("events") or ()))
        forms = privilege_forms(events)
        hunted = evaluate(self.engine, events, known, since, until, own)
        out += [self._group(hits, forms) for hits in hunted.groups.values()]
        out += [self._correlated(c, key, list(found.values()), forms)
                for (_, key), (c, found) in hunted.correlated.items()]
        if hunted.ours:
            out.append(self.no_op(f"{hunted.ours} event(s) the rules match are remediator's own writes: left out"))
        if not hunted.groups and not hunted.correlated:
            out.append(self.no_op(f"no System Log event from {since} to {until} matches a rule of "
                                  f"{', '.join(self.rule_sources)}"))
        return out

    def _correlated(self, c: Correlation, key: tuple[str, ...], events: list[dict[str, Any]],
                    forms: dict[str, str]) -> Finding:
        """One finding per correlation and group: what the group is (e.g. the client IP, or the user), and
        the events that made the correlation hold, with the same evidence as a single rule's finding."""
        events = _by_time(events)
        group = dict(zip(c.group_by, key, strict=True))
        label = ", ".join(f"{k} {v}" for k, v in group.items()) or "all events"
        actors = {(a.get("id"), a.get("alternateId")) for e in events if isinstance(a := e.get("actor"), dict)}
        actor_id, who = next(iter(actors)) if len(actors) == 1 else (None, None)
        ips = sorted({ip for e in events if (ip := ((e.get("client") or {}).get("ipAddress")))})
        evidence = {
            "rule": {"id": c.id, "title": c.title},
            "rules": [{"id": c.id, "title": c.title, "severity": c.severity}],
            "correlation": {"type": c.kind.name.lower(), "group": group, "timespan_s": c.timespan_ms // 1000,
                            "count": c.count, "field": ".".join(c.field) if c.field else None,
                            "base_rules": list(c.rules)},
            "actor": who, "actor_id": actor_id, "count": len(events),
            "first_seen": events[0].get("published"), "last_seen": events[-1].get("published"),
            "source_ips": ips, "event_types": sorted({str(e.get("eventType")) for e in events}),
            "samples": [_sample(e, forms) for e in events[:SAMPLES]],
            "events": [{"uuid": e.get("uuid"), "published": e.get("published"), "eventType": e.get("eventType"),
                        "request_id": request_id(e), "rules": [c.id]} for e in events],
        }
        target = Target("hunt_group", f"{c.id}:{'|'.join(key)}", f"{c.title}: {label}")
        return self.finding(c.severity, f"{c.title}: {label} ({len(events)} events)", target, evidence)

    def _group(self, hits: list[tuple[dict[str, Any], list[Any]]], forms: dict[str, str]) -> Finding:
        """One finding per rule and actor: the most severe rule an event matched names its group; the
        evidence counts the events, spans first to last seen, lists the source IPs and event types, a
        few sample events in full and every event by uuid (the report and the JSON plan list them all)."""
        first_event, first_rules = hits[0]
        rule = first_rules[0]
        actor = first_event.get("actor") or {}
        who = actor.get("alternateId") or actor.get("id") or "unknown actor"
        all_rules = {r.id: r for _, rules in hits for r in rules}
        ips = sorted({ip for e, _ in hits if (ip := ((e.get("client") or {}).get("ipAddress")))})
        evidence = {
            "rule": {"id": rule.id, "title": rule.title},
            "rules": [{"id": r.id, "title": r.title, "severity": r.severity}
                      for r in sorted(all_rules.values(), key=lambda r: (SEVERITIES.index(r.severity), r.id))],
            "actor": who, "actor_id": actor.get("id"), "count": len(hits),
            "first_seen": hits[0][0].get("published"), "last_seen": hits[-1][0].get("published"),
            "source_ips": ips, "event_types": sorted({str(e.get("eventType")) for e, _ in hits}),
            "samples": [_sample(e, forms) for e, _ in hits[:SAMPLES]],
            "events": [{"uuid": e.get("uuid"), "published": e.get("published"), "eventType": e.get("eventType"),
                        "request_id": request_id(e), "rules": [r.id for r in rules]} for e, rules in hits],
        }
        target = Target("hunt_group", f"{rule.id}:{actor.get('id') or who}", f"{rule.title} by {who}")
        times = "once" if len(hits) == 1 else f"{len(hits)} times"
        return self.finding(rule.severity, f"{rule.title}: {who} ({times})", target, evidence)

"""`okta.log_streams`: the System Log leaves the tenant: at least one log stream is ACTIVE.

Okta keeps 90 days of System Log; an intruder who is an admin can deactivate streaming to work unseen
(`system.log_stream.lifecycle.deactivate`), and STIG V-273202 requires an active stream. When none is
ACTIVE:
- an INACTIVE stream is activated (the most recently updated one: one write);
- else, with `create:`, a stream is created from the responder's AWS EventBridge or Splunk Cloud details
  (the Splunk HEC token is read at apply time from the environment variable `token_env`: never in a
  playbook or a plan);
- else it is a critical finding: creating one needs those details.
"""

from __future__ import annotations

import os
from typing import Any

from remediator.errors import InputError
from remediator.facts import LOG_STREAMS
from remediator.facts import endpoints as ep
from remediator.kinds import lifecycle
from remediator.kinds.base import Applied, Kind, TenantContext, Verdict, register
from remediator.plan import Change, Finding, NoOp, Target

FIELDS = ("id", "name", "type", "status", "lastUpdated")
TEXT = {"type": "string", "minLength": 1}
AWS = {
    "type": "object",
    "required": ["type", "name", "account_id", "event_source_name", "region"],
    "properties": {"type": {"const": "aws_eventbridge"}, "name": TEXT,
                   "account_id": {"type": "string", "pattern": "^[0-9]{12}$"},
                   "event_source_name": {"type": "string", "pattern": "^[a-zA-Z0-9.\\-_]{1,75}$"},
                   "region": {"type": "string", "pattern": "^[a-z]{2}(-gov)?-[a-z]+-[0-9]$"}},
    "additionalProperties": False,
}
SPLUNK = {
    "type": "object",
    "required": ["type", "name", "edition", "host", "token_env"],
    "properties": {"type": {"const": "splunk_cloud_logstreaming"}, "name": TEXT,
                   "edition": {"enum": ["aws", "gcp", "aws_govcloud"]}, "host": TEXT,
                   "token_env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
                                 "description": "environment variable holding the Splunk HEC token"}},
    "additionalProperties": False,
}


def _target(stream: dict[str, Any]) -> Target:
    return Target(type="log_stream", id=str(stream["id"]), label=stream.get("name"))


@register
class LogStreams(Kind):
    """At least one ACTIVE log stream: an inactive one activated, one created from `create:`, or a critical finding.

    Example::

        - name: The System Log is streamed out
          okta.log_streams:
            active: true
            create:
              type: aws_eventbridge
              name: SIEM
              account_id: "123456789012"
              event_source_name: okta-system-log
              region: us-east-1
    """

    name = "okta.log_streams"
    schema = {
        "type": "object",
        "required": ["active"],
        "properties": {
            "active": {"const": True, "description": "true: at least one log stream must be ACTIVE"},
            "create": {"description": "an AWS EventBridge or Splunk Cloud stream to create when there is none",
                       "oneOf": [AWS, SPLUNK]},
        },
        "additionalProperties": False,
    }
    facts = (LOG_STREAMS, ep.LOG_STREAM)
    writes = (ep.ACTIVATE_LOG_STREAM, ep.CREATE_LOG_STREAM)

    async def read(self, ctx: TenantContext) -> dict[str, Any]:
        return {"streams": [{k: s.get(k) for k in FIELDS} for s in await ctx.reads.log_streams()]}

    def diff(self, observed: dict[str, Any]) -> list[Change | Finding | NoOp]:
        streams = observed.get("streams", [])
        active = [str(s.get("name")) for s in streams if s.get("status") == "ACTIVE"]
        if active:
            return [self.no_op(f"{len(active)} log stream(s) ACTIVE: {', '.join(active)}")]
        inactive = sorted(streams, key=lambda s: str(s.get("lastUpdated") or ""), reverse=True)
        if inactive:
            stream = inactive[0]
            return [self.change("activate", _target(stream), {"status": stream.get("status")}, {"status": "ACTIVE"},
                                f"no log stream is ACTIVE: the System Log stays in Okta only; activate "
                                f"{stream.get('name')!r} ({stream.get('type')}).")]
        create = self.args.get("create")
        if create:
            target = Target(type="log_stream", id=f"name:{create['name']}", label=create["name"])
            return [self.change("create", target, {"exists": False}, {"exists": True, "stream": create},
                                f"the tenant has no log stream: the System Log stays in Okta only (90 days); create "
                                f"{create['name']!r} ({create['type']}).")]
        return [self.finding("critical", "no ACTIVE log stream: the System Log is not kept outside Okta",
                             None, {"streams": streams,
                                    "why": "give `create:` with the AWS EventBridge or Splunk Cloud details"})]

    def verdict(self, change: Change, current: dict[str, Any]) -> Verdict:
        if change.action == "create":  # `after` also carries what to create, which no read returns as such
            return "done" if current.get("exists") else "pending"
        return super().verdict(change, current)

    def _body(self, create: dict[str, Any]) -> dict[str, Any]:
        """Okta's body for `create:` (the Splunk token read from its environment variable now)."""
        if create["type"] == "aws_eventbridge":
            settings = {"accountId": create["account_id"], "eventSourceName": create["event_source_name"],
                        "region": create["region"]}
        else:
            token = os.environ.get(create["token_env"])
            if not token:
                raise InputError(f"{self.name}: the environment variable {create['token_env']} (the Splunk HEC "
                                 "token) is not set")
            settings = {"edition": create["edition"], "host": create["host"], "token": token}
        return {"type": create["type"], "name": create["name"], "settings": settings}

    async def current(self, ctx: TenantContext, change: Change) -> dict[str, Any]:
        if change.action == "create":
            streams = (await ctx.reads.fresh(ep.LOG_STREAMS, params={"limit": 200})).body or []
            return {"exists": any(s.get("name") == change.target.label for s in streams)}
        return await lifecycle.status_of(ctx, ep.LOG_STREAM, change.target.id)

    async def apply(self, ctx: TenantContext, change: Change) -> Applied:
        if change.action == "activate":
            return await lifecycle.set_status(ctx, ep.LOG_STREAM, ep.ACTIVATE_LOG_STREAM, change.target.id)
        if change.action != "create":
            raise InputError(f"{self.name}: the plan names an action this kind does not make: {change.action!r}")
        body = self._body(change.after["stream"])

        async def created() -> Any:
            resp = await ctx.reads.fresh(ep.LOG_STREAMS, params={"limit": 200})
            return resp if any(s.get("name") == body["name"] for s in resp.body or []) else None

        resp = await ep.CREATE_LOG_STREAM.send(ctx.client, json=body, recheck=created)
        return Applied(request_id=resp.request_id, detail={"id": (resp.body or {}).get("id")})

"""One tenant for one run: its client, its shared reads and the context every kind receives."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from remediator.errors import VerifyError
from remediator.facts import SESSION, TenantReads
from remediator.inventory import resolve_auth
from remediator.journal import own_request_ids, tenant_records
from remediator.kinds import scopes_of
from remediator.kinds.base import TenantContext
from remediator.okta.client import OktaClient
from remediator.org import OrgIdentity, org_identity
from remediator.plan import PlaybookRef

__all__ = ["ApplySettings", "PlanSettings", "RunSettings", "TenantSession", "scopes_of"]


@dataclass(frozen=True)
class RunSettings:
    """Knobs of one run that are not in the playbook or the plan."""

    forks: int = 10  # tenants at once
    journal_path: Path = Path(".remediator/journal.jsonl")
    client_options: dict[str, Any] = field(default_factory=dict)
    #: builds each tenant's client (the real OktaClient unless a benchmark records requests)
    client_factory: Callable[..., Any] | None = None
    writes_per_tenant: int = 16  # concurrent writes within one state of one tenant
    ignore_journal: bool = False  # plan without an earlier run's journal records (`plan --ignore-journal`)


@dataclass(frozen=True)
class PlanSettings(RunSettings):
    """Planning: which playbook the plan comes from (recorded in the plan and the journal)."""

    playbook: PlaybookRef = field(default_factory=lambda: PlaybookRef(path="", sha256=""))


@dataclass(frozen=True)
class ApplySettings(RunSettings):
    """Applying: `max_changes` set by the operator overrides the plan's; one writer per tenant."""

    max_changes: int | None = None
    lock_wait: float = 0.0  # seconds a second writer of one tenant waits for the first (`--wait-lock`)
    on_lock_wait: Callable[[str], None] | None = None  # told when a writer waits for a lock (the CLI prints it)
    #: told each change's outcome as it is journalled, in completion order: (tenant, change, result, detail)
    on_result: Callable[[str, Any, str, dict[str, Any]], None] | None = None


class TenantSession:
    """Opens the tenant's client, learns its org and builds the kind context; `async with` closes it."""

    def __init__(
        self,
        spec: Any,
        settings: RunSettings,
        *,
        variables: dict[str, Any] | None = None,
        protected_logins: Iterable[str] = (),
        scopes: frozenset[str] = frozenset(),
    ) -> None:
        self.spec = spec
        self.scopes = scopes  # asked for by a service app whose inventory lists none: what the kinds need
        self.settings = settings
        self.variables = variables or {}
        self.protected_logins = frozenset(str(x).lower() for x in protected_logins)
        self.client: Any = None
        self.ctx: TenantContext | None = None
        self.org: OrgIdentity | None = None

    async def __aenter__(self) -> TenantSession:

        auth = resolve_auth(self.spec, scopes=sorted(self.scopes | SESSION.scopes))
        factory = self.settings.client_factory or OktaClient
        self.client = factory(self.spec.org_url, auth, tenant=self.spec.name, **self.settings.client_options)
        await self.client.__aenter__()
        reads = TenantReads(self.client)
        try:
            self.org = org_identity(self.spec.org_url, await reads.org(), self.spec.name)
            records = self._journal_records()
        except BaseException:
            await self.client.__aexit__(None, None, None)
            raise
        self.ctx = TenantContext(
            name=self.spec.name,
            client=self.client,
            reads=reads,
            protected_logins=self.protected_logins,
            own_request_ids=own_request_ids(records),
            journal_events=records,
            vars=self.variables,
            org=self.org,
            lock_wait=getattr(self.settings, "lock_wait", 0.0),
            on_lock_wait=getattr(self.settings, "on_lock_wait", None),
        )
        return self

    def _journal_records(self) -> tuple[dict[str, Any], ...]:
        """This org's records of earlier runs, from a verified journal (or none with `--ignore-journal`)."""
        if self.settings.ignore_journal:
            return ()
        try:
            return tenant_records(self.settings.journal_path, self.spec.name, org_url=self.spec.org_url,
                                  org_id=self.org_id)
        except VerifyError as exc:
            raise VerifyError(f"{exc} (the journal is not trusted: `plan --ignore-journal` plans without it)"
                              ) from None

    def reload_journal(self) -> None:
        """Read the journal again (once this run holds the tenant's lock: another writer may have added to it)."""
        assert self.ctx is not None
        records = self._journal_records()
        self.ctx.journal_events = records
        self.ctx.own_request_ids = own_request_ids(records)

    @property
    def org_id(self) -> str | None:
        """Okta's id of the tenant's org, once the session is open."""
        return self.org.id if self.org else None

    async def __aexit__(self, *exc: object) -> None:
        if self.client is not None:
            await self.client.__aexit__(*exc)

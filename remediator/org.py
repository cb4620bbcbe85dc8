"""A tenant's identity is its org: the org URL and Okta's org id (`GET /api/v1/org`), not its name.

Two inventories may call different orgs by the same name (a rehearsal next to production), and a
snapshot rehearsal serves production's ids at another URL: plans, journals and evidence are checked
against this identity, never against the tenant's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from remediator.errors import OktaError


@dataclass(frozen=True)
class OrgIdentity:
    """`url` as the inventory gives it (no trailing slash); `id` as Okta reports it (`00o…`)."""

    url: str
    id: str

    def to_json(self) -> dict[str, str]:
        return {"url": self.url, "id": self.id}

    def differs(self, url: str, org_id: str | None) -> str | None:
        """Why a document made for (`url`, `org_id`) is not for this org, or None when it is."""
        if url.rstrip("/").lower() != self.url.rstrip("/").lower():
            return f"it was made for {url}, not {self.url}"
        if org_id and org_id != self.id:
            return f"it was made for org id {org_id}, but {self.url} is org {self.id}"
        return None


def org_identity(org_url: str, body: Any, tenant: str) -> OrgIdentity:
    """The identity from `GET /api/v1/org`'s body; anything without an id is an error, never a guess."""
    org_id = body.get("id") if isinstance(body, dict) else None
    if not isinstance(org_id, str) or not org_id:
        raise OktaError("GET /api/v1/org answered without an org id: cannot tell which org this is", tenant=tenant)
    return OrgIdentity(url=org_url.rstrip("/"), id=org_id)

"""Apps and their app sign-in policies, as Okta links them (pure helpers over `GET /api/v1/apps` objects).

Okta names no policy "the Admin Console policy": the first-party app `saasure` (label "Okta Admin
Console") and `okta_enduser` ("Okta Dashboard") each link their app sign-in policy in
`_links.accessPolicy.href` (okta-sdk-python cassette test_applications_it/
TestApplicationsResource.test_list_applications_with_query_parameters.yaml). A policy's name is free
text an admin (or an attacker) can change, so a kind finds these policies through the apps, never by
name. One policy can serve several apps: changing it changes the sign-in of every one of them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

#: Okta's first-party apps: name -> the label Okta gives them.
FIRST_PARTY = {"saasure": "Okta Admin Console", "okta_enduser": "Okta Dashboard"}


def access_policy_id(app: dict[str, Any]) -> str | None:
    """The id of the app's sign-in policy (the last segment of `_links.accessPolicy.href`), if it has one."""
    link = ((app.get("_links") or {}).get("accessPolicy") or {})
    href = link.get("href") if isinstance(link, dict) else None
    if not href:
        return None
    parts = urlparse(href).path.rstrip("/").split("/")
    return parts[-1] if len(parts) >= 2 and parts[-2] == "policies" else None


def find_app(apps: list[dict[str, Any]], key: str) -> dict[str, Any] | None:
    """The app named `key` (Okta's app name, e.g. `saasure`), else the one labelled so (case-insensitive)."""
    by_name = [a for a in apps if a.get("name") == key]
    if by_name:
        return by_name[0]
    folded = key.casefold()
    return next((a for a in apps if str(a.get("label", "")).casefold() == folded), None)


def app_ref(app: dict[str, Any]) -> dict[str, Any]:
    """What a plan keeps of an app: enough to name it to a person and to recognise it."""
    return {"id": app.get("id"), "name": app.get("name"), "label": app.get("label"), "status": app.get("status"),
            "policy": access_policy_id(app)}


def apps_by_policy(apps: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Policy id -> the apps (as `app_ref`) whose sign-in it governs, in the apps' order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for app in apps:
        policy = access_policy_id(app)
        if policy:
            out.setdefault(policy, []).append(app_ref(app))
    return out

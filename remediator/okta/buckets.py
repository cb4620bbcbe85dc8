"""Okta's rate-limit buckets: which requests count against the same per-minute budget.

Why: the client paces each bucket on its own from `X-Rate-Limit-*` headers; two endpoints that
share a server-side bucket must share one pacing state, and two that do not must never block each
other. The mapping is Okta's own (terraform-provider-okta `okta/internal/apimutex/
rate_limit_lines.go`, generated from Okta's monolith), reduced to the buckets that differ:

- `users`: `GET`/`POST /api/v1/users` and every `/api/v1/users/{id}/<anything>` (factors, roles,
  lifecycle, `DELETE .../sessions`, authenticator enrollments, ...).
- `user_by_id`: `GET /api/v1/users/{idOrLogin}`; `user_me`: `GET /api/v1/users/me`.
- `user_write`: `POST`/`PUT`/`DELETE /api/v1/users/{id}`.
- `groups`: `/api/v1/groups*` except `GET`/`PUT`/`DELETE /api/v1/groups/{id}` (`group_by_id`).
- `logs`: `/api/v1/logs`; `iam`: `/api/v1/iam/*`; `oauth2_token`: `POST /oauth2/v1/token`.
- `catch_all`: everything else under `/api/v1` (api-tokens, policies, idps, org/privacy, ...).

The same mapping is enforced by the sandbox (`remediator/sandbox/ratelimit.py`); a test keeps the
two identical.
"""

from __future__ import annotations

__all__ = ["BUCKETS", "PER_MINUTE", "WINDOW_SECONDS", "bucket_for"]

#: Okta's windows last about a minute (not aligned to clock minutes).
WINDOW_SECONDS = 60.0

BUCKETS = (
    "users", "user_by_id", "user_me", "user_write", "groups", "group_by_id",
    "logs", "iam", "oauth2_token", "catch_all",
)

#: Published per-minute limits for the whole org (one token gets 50% by default, and the
#: `X-Rate-Limit-Limit` header shows that share). `iam` is not published: recorded orgs report
#: 100 for one token, so 200 for the org. `oauth2_token` is not published either: catch-all values.
PER_MINUTE: dict[str, dict[str, int]] = {
    "enterprise": {
        "users": 600, "user_by_id": 1000, "user_me": 1000, "user_write": 600,
        "groups": 500, "group_by_id": 1000, "logs": 50, "iam": 200,
        "oauth2_token": 600, "catch_all": 600,
    },
    "workforce": {
        "users": 600, "user_by_id": 2000, "user_me": 2000, "user_write": 600,
        "groups": 1000, "group_by_id": 2000, "logs": 120, "iam": 200,
        "oauth2_token": 1200, "catch_all": 1200,
    },
}


def bucket_for(method: str, path: str) -> str:
    """The rate-limit bucket of one request; `path` is the URL path without query string."""
    method = method.upper()
    if not path.startswith("/api/v1/"):
        if path.startswith("/oauth2/") and path.rstrip("/").endswith("/v1/token"):
            return "oauth2_token"
        return "catch_all"
    rest = path[len("/api/v1/"):]
    if rest.startswith("users"):
        return _users_bucket(method, rest[len("users"):])
    if rest.startswith("groups"):
        return _groups_bucket(method, rest[len("groups"):])
    if rest in ("logs", "logs/"):
        return "logs"
    if rest == "iam" or rest.startswith("iam/"):
        return "iam"
    return "catch_all"


def _users_bucket(method: str, tail: str) -> str:
    if tail in ("", "/"):
        return "users"
    if tail[0] != "/":
        return "catch_all"  # e.g. /api/v1/userTypes is not a users endpoint
    segment = tail[1:]
    if "/" in segment.rstrip("/"):
        return "users"  # /users/{id}/factors, /roles, /lifecycle/*, /sessions, ...
    segment = segment.rstrip("/")
    if method in ("GET", "HEAD"):
        return "user_me" if segment == "me" else "user_by_id"
    return "users" if segment == "me" else "user_write"


def _groups_bucket(method: str, tail: str) -> str:
    if tail in ("", "/"):
        return "groups"
    if tail[0] != "/":
        return "catch_all"
    segment = tail[1:].rstrip("/")
    if "/" not in segment and segment != "rules" and method in ("GET", "HEAD", "PUT", "DELETE"):
        return "group_by_id"
    return "groups"

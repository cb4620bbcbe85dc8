"""The Okta Management API client: one tenant's HTTP (auth, paging, pacing, retries, errors)."""

from remediator.okta.auth import Auth, PrivateKeyAuth, SswsAuth
from remediator.okta.buckets import PER_MINUTE, bucket_for
from remediator.okta.client import ClientStats, OktaClient, OktaResponse

__all__ = [
    "PER_MINUTE",
    "Auth",
    "ClientStats",
    "OktaClient",
    "OktaResponse",
    "PrivateKeyAuth",
    "SswsAuth",
    "bucket_for",
]

"""remediator: bring Okta tenants back to a known-good state, declaratively and provably."""

__version__ = "0.1.0"

"""Okta timestamps: ISO 8601 in UTC with a `Z`, millisecond precision, as the API writes them."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_time(value: str) -> datetime:
    """Parse an Okta/ISO 8601 timestamp (with `Z` or an offset); naive input is taken as UTC.

    Raises ValueError with the offending value, for callers to wrap with a place.
    """
    if not isinstance(value, str) or not value:
        raise ValueError(f"not a date: {value!r}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_time(moment: datetime) -> str:
    """Format as Okta does: `2022-01-21T00:00:00.000Z`."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def utcnow() -> datetime:
    return datetime.now(UTC)

"""Keeping credentials out of whatever a server says back.

Why: a server (a misconfigured proxy, a debugging gateway, a hostile endpoint) may echo the request's
`Authorization` or `DPoP` value in an error summary, a cause or even a success body; that text is
then printed, journalled and written into reports. Two layers:

- exact values: every credential the client sent (the API token, an access token, a DPoP proof) is
  remembered and replaced wherever it appears in a response body, before the body is parsed;
- shapes: in texts meant for people (error summaries, causes, transport errors), anything that looks
  like `SSWS <value>`, `Bearer <value>`, `DPoP <value>` or a JWT is replaced too, for values this
  client never saw (another client's token, an old proof).
"""

from __future__ import annotations

import re
from collections import deque

__all__ = ["REDACTED", "Redactor", "redact_shapes"]

REDACTED = "<redacted>"
#: How many per-request values (DPoP proofs) are remembered: a server echoes the request it is answering.
RECENT = 64
#: Values shorter than this are not secrets worth matching (and would redact ordinary words).
MIN_SECRET = 8

_SCHEMES = re.compile(r"(?i)\b(SSWS|Bearer|DPoP)(\s*)[A-Za-z0-9._~+/=-]{8,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")


def redact_shapes(text: str) -> str:
    """Replace credential-shaped parts of a text meant for people."""
    text = _SCHEMES.sub(lambda m: f"{m.group(1)}{m.group(2) or ' '}{REDACTED}", text)
    return _JWT.sub(REDACTED, text)


class Redactor:
    """The credentials one client sent: lasting ones (tokens) and recent per-request ones (proofs)."""

    def __init__(self) -> None:
        self._lasting: set[str] = set()
        self._recent: deque[str] = deque(maxlen=RECENT)

    def __repr__(self) -> str:
        return f"Redactor({len(self._lasting) + len(self._recent)} values)"

    def remember(self, header_value: str, *, lasting: bool = True) -> None:
        """Note a header value sent: the part after its scheme (`SSWS x` -> `x`) is the secret."""
        secret = header_value.split(" ", 1)[1] if " " in header_value else header_value
        secret = secret.strip()
        if len(secret) < MIN_SECRET:
            return
        if lasting:
            self._lasting.add(secret)
        elif secret not in self._recent:
            self._recent.append(secret)

    def _values(self) -> list[str]:
        return sorted(self._lasting | set(self._recent), key=len, reverse=True)

    def scrub_bytes(self, raw: bytes) -> bytes:
        """A body with every remembered value replaced (tokens are URL-safe: JSON escapes nothing in them)."""
        for value in self._values():
            encoded = value.encode()
            if encoded in raw:
                raw = raw.replace(encoded, REDACTED.encode())
        return raw

    def text(self, text: str | None) -> str | None:
        """A server's text for people: remembered values and credential shapes replaced."""
        if text is None:
            return None
        for value in self._values():
            text = text.replace(value, REDACTED)
        return redact_shapes(text)

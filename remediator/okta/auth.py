"""How the client proves who it is: an SSWS API token, or an OAuth 2.0 service app's private key.

Secrets never leave these objects except in the Authorization header: their `repr`/`str` hide
them, and every error names the tenant, the client id and the key *file*, never the key or token.

`PrivateKeyAuth` builds its `private_key_jwt` client assertion with the okta SDK's own
`okta.jwt.JWT.create_token` (the issue asks for the SDK's support where it is sound). Read in
okta 3.4.6, it is: RS256 over `iss = sub = client_id`, `aud = {org}/oauth2/v1/token`, a uuid4 `jti`,
`iat` now and `exp` 50 minutes later, `kid` in the header when given, signed with PyJWT. What is
not used from the SDK is its token exchange (`okta.oauth.OAuth`): it needs the SDK's whole
request executor and configuration, and it only logs failures; the POST to `/oauth2/v1/token` is
done here with the client's own aiohttp session, so errors can name the tenant.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import aiohttp

from remediator.errors import CredentialError, OktaTransportError

__all__ = ["ASSERTION_TYPE", "Auth", "PrivateKeyAuth", "SswsAuth"]

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_PATH = "/oauth2/v1/token"
#: Renew an access token this long before Okta says it expires.
RENEW_BEFORE = 60.0


@runtime_checkable
class Auth(Protocol):
    """Gives the Authorization header value for requests to `org_url`."""

    async def authorization(self, session: aiohttp.ClientSession, org_url: str) -> str: ...


def _where(tenant: str | None) -> str:
    return f"tenant {tenant}: " if tenant else ""


class SswsAuth:
    """An Okta API token: `Authorization: SSWS <token>`."""

    __slots__ = ("__token", "tenant")

    def __init__(self, token: str, *, tenant: str | None = None) -> None:
        self.tenant = tenant
        if not isinstance(token, str) or not token.strip():
            raise CredentialError(f"{_where(tenant)}the API token is empty")
        token = token.strip()
        if token.upper().startswith("SSWS"):
            raise CredentialError(f"{_where(tenant)}give the API token without the 'SSWS' prefix")
        if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in token):
            raise CredentialError(f"{_where(tenant)}the API token contains spaces or control characters")
        self.__token = token

    async def authorization(self, session: aiohttp.ClientSession, org_url: str) -> str:
        return f"SSWS {self.__token}"

    def __repr__(self) -> str:
        return "SswsAuth(token=<redacted>)"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("credentials cannot be pickled")


class PrivateKeyAuth:
    """An OAuth 2.0 service app: `private_key_jwt` to `{org}/oauth2/v1/token`, then `Bearer <token>`.

    The access token is cached until `RENEW_BEFORE` seconds before it expires; concurrent callers
    share one token request. The key is checked when the object is made, so a bad key fails before
    any request, naming the tenant and the key file.
    """

    __slots__ = (
        "__key", "__token", "_expires_at", "_lock", "_lock_loop", "client_id", "clock", "key_path", "kid",
        "scopes", "tenant",
    )

    def __init__(
        self,
        client_id: str,
        private_key_pem: str | bytes,
        scopes: Sequence[str],
        *,
        kid: str | None = None,
        key_path: str | Path | None = None,
        tenant: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tenant = tenant
        self.key_path = str(key_path) if key_path is not None else None
        if not isinstance(client_id, str) or not client_id.strip():
            raise CredentialError(f"{_where(tenant)}the OAuth client id is empty")
        if isinstance(scopes, str):
            scopes = scopes.split()
        if not scopes or not all(isinstance(s, str) and s.strip() for s in scopes):
            raise CredentialError(f"{_where(tenant)}OAuth client {client_id}: no scopes given (e.g. okta.users.read)")
        self.client_id = client_id.strip()
        self.scopes = tuple(s.strip() for s in scopes)
        self.kid = kid
        self.clock = clock
        self.__key = self._checked_key(private_key_pem)
        self.__token: str | None = None
        self._expires_at = 0.0
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def from_file(
        cls,
        client_id: str,
        key_path: str | Path,
        scopes: Sequence[str],
        *,
        kid: str | None = None,
        tenant: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> PrivateKeyAuth:
        """Read the PEM key from `key_path`; a missing or unreadable file is a CredentialError."""
        path = Path(key_path).expanduser()
        try:
            pem = path.read_bytes()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise CredentialError(f"{_where(tenant)}cannot read the private key file {path}: {reason}") from None
        return cls(client_id, pem, scopes, kid=kid, key_path=path, tenant=tenant, clock=clock)

    def _key_place(self) -> str:
        return f"the private key file {self.key_path}" if self.key_path else "the private key"

    def _checked_key(self, pem: str | bytes) -> str:
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        data = pem.encode() if isinstance(pem, str) else bytes(pem or b"")
        if not data.strip():
            raise CredentialError(f"{_where(self.tenant)}{self._key_place()} is empty")
        try:
            key = load_pem_private_key(data, password=None)
        except TypeError:
            raise CredentialError(
                f"{_where(self.tenant)}{self._key_place()} is encrypted; give an unencrypted PEM key"
            ) from None
        except ValueError:
            raise CredentialError(f"{_where(self.tenant)}{self._key_place()} is not a PEM private key") from None
        except UnsupportedAlgorithm:
            raise CredentialError(f"{_where(self.tenant)}{self._key_place()} uses an unsupported algorithm") from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise CredentialError(
                f"{_where(self.tenant)}{self._key_place()} is not an RSA key (Okta's private_key_jwt here uses RS256)"
            )
        return data.decode("ascii", "replace")

    def client_assertion(self, org_url: str) -> str:
        """A fresh signed assertion for `org_url`'s token endpoint (okta SDK's JWT.create_token)."""
        from okta.jwt import JWT  # imported late: the okta package takes about a second to import

        try:
            return JWT.create_token(org_url.rstrip("/"), self.client_id, self.__key, self.kid)
        except Exception:  # the SDK raises ValueError and jwcrypto/PyJWT errors; none may carry the key
            raise CredentialError(
                f"{_where(self.tenant)}cannot sign a client assertion with {self._key_place()}"
            ) from None

    def invalidate(self) -> None:
        """Forget the cached access token (after a 401), so the next request gets a new one."""
        self.__token = None
        self._expires_at = 0.0

    def _get_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    async def authorization(self, session: aiohttp.ClientSession, org_url: str) -> str:
        async with self._get_lock():
            if self.__token is None or self.clock() >= self._expires_at - RENEW_BEFORE:
                token, lifetime = await self._exchange(session, org_url.rstrip("/"))
                self.__token = token
                self._expires_at = self.clock() + lifetime
            return f"Bearer {self.__token}"

    async def _exchange(self, session: aiohttp.ClientSession, org_url: str) -> tuple[str, float]:
        form = {
            "grant_type": "client_credentials",
            "scope": " ".join(self.scopes),
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.client_assertion(org_url),
        }
        where = f"{_where(self.tenant)}OAuth client {self.client_id}"
        last_error = ""
        for attempt in range(3):
            try:
                async with session.post(
                    org_url + TOKEN_PATH, data=form, headers={"Accept": "application/json"}, allow_redirects=False
                ) as resp:
                    status = resp.status
                    try:
                        body = await resp.json(content_type=None)
                    except ValueError:
                        body = None
            except (TimeoutError, aiohttp.ClientError) as exc:
                last_error = type(exc).__name__
                await asyncio.sleep(0.2 * (2**attempt))
                continue
            if status >= 500:
                last_error = f"HTTP {status}"
                await asyncio.sleep(0.2 * (2**attempt))
                continue
            return self._token_from(status, body if isinstance(body, dict) else {}, where)
        raise OktaTransportError(f"{where}: the token endpoint gave no usable answer ({last_error})",
                                 tenant=self.tenant)

    def _token_from(self, status: int, body: dict[str, Any], where: str) -> tuple[str, float]:
        if status != 200:
            error = body.get("error") or body.get("errorCode") or f"HTTP {status}"
            description = body.get("error_description") or body.get("errorSummary") or ""
            hint = " (the app requires DPoP-bound tokens, which remediator does not support)" if "dpop" in str(
                error).lower() else ""
            raise CredentialError(f"{where}: token request refused: {error} {description}".rstrip() + hint)
        token = body.get("access_token")
        token_type = str(body.get("token_type") or "Bearer")
        if not isinstance(token, str) or not token:
            raise CredentialError(f"{where}: the token endpoint answered without an access token")
        if token_type.lower() != "bearer":
            raise CredentialError(f"{where}: got a {token_type} token; only Bearer tokens are supported")
        try:
            lifetime = float(body.get("expires_in", 3600))
        except (TypeError, ValueError):
            lifetime = 3600.0
        return token, lifetime

    def __repr__(self) -> str:
        return f"PrivateKeyAuth(client_id={self.client_id!r}, scopes={list(self.scopes)!r}, key=<redacted>)"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("credentials cannot be pickled")

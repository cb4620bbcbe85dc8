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

DPoP (RFC 9449): Okta may require a service app's tokens to be bound to a key. The token endpoint
then answers `invalid_dpop_proof` ("The DPoP proof JWT header is missing.") to a request without a
proof, and `use_dpop_nonce` with a `dpop-nonce` header to one without its nonce; both are recorded in
okta-sdk-python's tests/integration/cassettes/test_dpop_it. `PrivateKeyAuth` switches to DPoP on the
first, retries once with the nonce on the second, then sends `Authorization: DPoP <token>` with a
fresh proof per request (`htm`, `htu` without query, `iat`, `jti`, `ath` = the token's SHA-256, and
the server's latest nonce), signed RS256 with an ephemeral key made for this run only.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import aiohttp

from remediator.errors import CredentialError, OktaTransportError
from remediator.okta.redact import redact_shapes

__all__ = ["ASSERTION_TYPE", "Auth", "DPoPProver", "PrivateKeyAuth", "SswsAuth"]

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_PATH = "/oauth2/v1/token"
#: Renew an access token this long before Okta says it expires.
RENEW_BEFORE = 60.0
#: Token-endpoint answers that ask for a DPoP proof, and for its server nonce (RFC 9449 sections 7 and 8).
DPOP_REQUIRED = "invalid_dpop_proof"
DPOP_NONCE = "use_dpop_nonce"


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
        "__key", "__token", "_dpop", "_expires_at", "_lock", "_lock_loop", "_token_type", "client_id", "clock",
        "key_path", "kid", "scopes", "tenant",
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
        self._token_type = "Bearer"
        self._dpop: DPoPProver | None = None
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

    @property
    def uses_dpop(self) -> bool:
        return self._dpop is not None

    async def authorization(self, session: aiohttp.ClientSession, org_url: str) -> str:
        async with self._get_lock():
            if self.__token is None or self.clock() >= self._expires_at - RENEW_BEFORE:
                token, lifetime, token_type = await self._exchange(session, org_url.rstrip("/"))
                self.__token, self._token_type = token, token_type
                self._expires_at = self.clock() + lifetime
            return f"{self._token_type} {self.__token}"

    async def request_headers(self, session: aiohttp.ClientSession, org_url: str, method: str,
                              url: str) -> dict[str, str]:
        """Authorization for one request, and its DPoP proof when the token is bound to our key."""
        authorization = await self.authorization(session, org_url)
        headers = {"Authorization": authorization}
        if self._token_type == "DPoP" and self._dpop is not None:
            headers["DPoP"] = self._dpop.proof(method, url, access_token=authorization.split(" ", 1)[1])
        return headers

    def note_response(self, status: int, headers: Mapping[str, str]) -> None:
        """A resource server may hand out a new DPoP nonce with any answer (RFC 9449 section 8.2)."""
        if self._dpop is not None and headers.get("DPoP-Nonce"):
            self._dpop.resource_nonce = headers["DPoP-Nonce"]

    def wants_retry(self, status: int, headers: Mapping[str, str], body: object) -> bool:
        """A 401 asking for a DPoP nonce we now have: the request was refused unprocessed, send it again."""
        challenge = headers.get("WWW-Authenticate", "")
        return (status == 401 and self._dpop is not None and DPOP_NONCE in challenge
                and bool(headers.get("DPoP-Nonce")))

    async def _exchange(self, session: aiohttp.ClientSession, org_url: str) -> tuple[str, float, str]:
        where = f"{_where(self.tenant)}OAuth client {self.client_id}"
        token_url = org_url + TOKEN_PATH
        last_error = ""
        dpop_turns = 0
        for attempt in range(3):
            form = {
                "grant_type": "client_credentials",
                "scope": " ".join(self.scopes),
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": self.client_assertion(org_url),
            }
            headers = {"Accept": "application/json"}
            if self._dpop is not None:
                headers["DPoP"] = self._dpop.proof("POST", token_url, nonce=self._dpop.token_nonce)
            try:
                async with session.post(token_url, data=form, headers=headers, allow_redirects=False) as resp:
                    status, nonce = resp.status, resp.headers.get("DPoP-Nonce")
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
            body = body if isinstance(body, dict) else {}
            if status == 400 and dpop_turns < 2 and self._dpop_asked(body.get("error"), nonce):
                dpop_turns += 1
                continue
            return self._token_from(status, body, where)
        raise OktaTransportError(f"{where}: the token endpoint gave no usable answer ({last_error})",
                                 tenant=self.tenant)

    def _dpop_asked(self, error: object, nonce: str | None) -> bool:
        """Switch to DPoP, or take the server's nonce, when the token endpoint asks for it; else False."""
        if error == DPOP_REQUIRED and self._dpop is None:
            self._dpop = DPoPProver()
            return True
        if error == DPOP_NONCE and nonce:
            if self._dpop is None:
                self._dpop = DPoPProver()
            self._dpop.token_nonce = nonce
            return True
        return False

    def _token_from(self, status: int, body: dict[str, Any], where: str) -> tuple[str, float, str]:
        if status != 200:
            error = body.get("error") or body.get("errorCode") or f"HTTP {status}"
            description = body.get("error_description") or body.get("errorSummary") or ""
            raise CredentialError(redact_shapes(f"{where}: token request refused: {error} {description}".rstrip()))
        token = body.get("access_token")
        token_type = str(body.get("token_type") or "Bearer")
        if not isinstance(token, str) or not token:
            raise CredentialError(f"{where}: the token endpoint answered without an access token")
        if token_type.lower() == "dpop" and self._dpop is not None:
            token_type = "DPoP"
        elif token_type.lower() == "bearer":
            token_type = "Bearer"
        else:
            raise CredentialError(f"{where}: got a {token_type} token; only Bearer and DPoP tokens are supported")
        try:
            lifetime = float(body.get("expires_in", 3600))
        except (TypeError, ValueError):
            lifetime = 3600.0
        return token, lifetime, token_type

    def __repr__(self) -> str:
        return f"PrivateKeyAuth(client_id={self.client_id!r}, scopes={list(self.scopes)!r}, key=<redacted>)"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("credentials cannot be pickled")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class DPoPProver:
    """An ephemeral RSA key and the DPoP proofs it signs (RFC 9449 section 4).

    The key lives in memory for one run; only its public part (`kty`, `n`, `e`) is ever sent.
    `token_nonce` and `resource_nonce` are the latest nonces the token endpoint and the API gave.
    """

    __slots__ = ("__key", "_jwk", "clock", "resource_nonce", "token_nonce")

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.__key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = self.__key.public_key().public_numbers()
        self._jwk = {"kty": "RSA", "e": _b64url(numbers.e.to_bytes(3, "big").lstrip(b"\0")),
                     "n": _b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big"))}
        self.clock = clock
        self.token_nonce: str | None = None
        self.resource_nonce: str | None = None

    @property
    def public_jwk(self) -> dict[str, str]:
        return dict(self._jwk)

    def thumbprint(self) -> str:
        """The key's JWK SHA-256 thumbprint (RFC 7638): what a DPoP-bound token's `cnf.jkt` names."""
        canonical = json.dumps({"e": self._jwk["e"], "kty": "RSA", "n": self._jwk["n"]}, separators=(",", ":"))
        return _b64url(hashlib.sha256(canonical.encode()).digest())

    def proof(self, method: str, url: str, *, access_token: str | None = None, nonce: str | None = None) -> str:
        import jwt

        htu = url.split("?")[0].split("#")[0]  # RFC 9449 4.2: without query and fragment
        claims: dict[str, Any] = {"jti": str(uuid.uuid4()), "htm": method.upper(), "htu": htu, "iat": int(self.clock())}
        nonce = nonce if nonce is not None else (self.resource_nonce if access_token else self.token_nonce)
        if nonce:
            claims["nonce"] = nonce
        if access_token:
            claims["ath"] = _b64url(hashlib.sha256(access_token.encode("ascii")).digest())
        return jwt.encode(claims, self.__key, algorithm="RS256", headers={"typ": "dpop+jwt", "jwk": self._jwk})

    def __repr__(self) -> str:
        return "DPoPProver(key=<redacted>)"

    def __reduce__(self) -> Any:
        raise TypeError("keys cannot be pickled")

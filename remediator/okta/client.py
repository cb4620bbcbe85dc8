"""The async Okta Management API client for one tenant: auth, paging, pacing, retries, errors.

Why not the okta SDK: its models reject real responses (factors' `_links.resend` arrays, bare
arrays from support cases, numeric postal codes in logs), its header dict keeps only the last
`Link` line, `/iam/assignees/users` pages in the body which its helper ignores, it retries only
immediately on 503/504 and raises AttributeError on a dropped connection (see
../shared/guide/okta-api.md). This client speaks plain JSON and keeps Okta's answers as they are.

Rules it keeps:
- one aiohttp session per client; `https://` only, except loopback (a sandbox on 127.0.0.1);
- `next` links are followed verbatim from every `Link` header line and from `_links.next.href`
  in bodies, and never to another origin (the token would go with them);
- requests are paced per rate-limit bucket (pacing.py) and a 429 waits for the window's reset;
- GET/HEAD/PUT/DELETE are retried on 5xx, timeouts and dropped connections with bounded
  exponential backoff and full jitter; a POST/PATCH that may have reached the server is retried
  only when the caller's `recheck()` says the write is not in effect;
- errors carry Okta's errorCode, errorSummary, errorId, the status and `x-okta-request-id`, the
  method and the path without query string, and the tenant; never a header or a secret.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json as jsonlib
import logging
import random
import re
import time
import urllib.request
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from remediator import __version__
from remediator.errors import InputError, OktaApiError, OktaTransportError
from remediator.okta.buckets import bucket_for
from remediator.okta.pacing import Pacer
from remediator.okta.retry import IDEMPOTENT, RETRY_STATUSES, Backoff, parse_http_date, reset_wait

if TYPE_CHECKING:
    from remediator.okta.auth import Auth

__all__ = ["ClientStats", "OktaClient", "OktaResponse", "check_org_url", "is_loopback", "parse_link_header"]

log = logging.getLogger("remediator.okta")

Recheck = Callable[[], Awaitable["OktaResponse | None"]]

#: How many 429s one request may meet (each waits for its window's reset) before giving up.
MAX_THROTTLED = 8
#: Jitter added to a 429's wait, so that callers released by one reset do not arrive in step.
THROTTLE_JITTER = (0.0, 0.5)

_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]+(?:=(?:\"[^\"]*\"|[^;,]*))?)*)")
_REL = re.compile(r";\s*rel\s*=\s*(?:\"([^\"]*)\"|([^;,\s]*))", re.IGNORECASE)


@dataclass(frozen=True)
class OktaResponse:
    """One answer from Okta, kept as Okta sent it."""

    status: int
    headers: Mapping[str, str]      # case-insensitive; `getall("Link")` keeps every line
    body: Any                       # parsed JSON, or None for 204/empty
    request_id: str | None          # x-okta-request-id
    next_url: str | None            # from a Link rel="next" header or the body's _links.next.href


@dataclass
class ClientStats:
    """Cheap counters for benchmarks: requests sent, per bucket, 429s, retries, bytes, waits."""

    requests: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    throttled: int = 0              # 429 responses
    retries: int = 0                # requests sent again (after 5xx, 429, a timeout or a reset)
    bytes_received: int = 0
    throttle_wait: float = 0.0      # seconds slept because of 429s

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "calls": dict(self.calls),
            "throttled": self.throttled,
            "retries": self.retries,
            "bytes_received": self.bytes_received,
            "throttle_wait": round(self.throttle_wait, 3),
        }


def is_loopback(host: str | None) -> bool:
    """127.0.0.0/8, ::1 and localhost: the only places plain http is allowed."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def proxy_for(origin: URL) -> str | None:
    """The proxy the environment sets for this origin (HTTPS_PROXY, honouring NO_PROXY); none for loopback."""
    if not origin.host or is_loopback(origin.host):
        return None
    if urllib.request.proxy_bypass(origin.host):
        return None
    return urllib.request.getproxies().get(origin.scheme)


def check_org_url(org_url: str, tenant: str) -> URL:
    """The org URL as an origin (scheme, host, port), or InputError naming the tenant."""
    try:
        url = URL(str(org_url).strip())
    except (TypeError, ValueError):
        raise InputError(f"org URL {org_url!r} is not a URL", where=f"tenant {tenant}") from None
    if url.scheme not in ("https", "http") or not url.host:
        raise InputError(f"org URL {org_url!r} must look like https://example.okta.com", where=f"tenant {tenant}")
    if url.scheme == "http" and not is_loopback(url.host):
        raise InputError(
            f"org URL {org_url!r} must use https:// (plain http:// is allowed only for loopback addresses)",
            where=f"tenant {tenant}",
        )
    if url.user or url.password:
        raise InputError("org URL must not contain credentials", where=f"tenant {tenant}")
    if url.path not in ("", "/") or url.query_string or url.fragment:
        raise InputError(f"org URL {org_url!r} must be the org's address only, without a path",
                         where=f"tenant {tenant}")
    return url.origin()


def parse_link_header(values: list[str] | tuple[str, ...]) -> dict[str, str]:
    """rel -> URL from every `Link` header line (each line may also hold several links)."""
    links: dict[str, str] = {}
    for value in values:
        for match in _LINK.finditer(value):
            target, params = match.group(1).strip(), match.group(2) or ""
            for rel in _REL.finditer(params):
                for name in (rel.group(1) or rel.group(2) or "").split():
                    links.setdefault(name.lower(), target)
    return links


def _body_next(body: Any) -> str | None:
    if isinstance(body, dict):
        links = body.get("_links")
        if isinstance(links, dict):
            nxt = links.get("next")
            if isinstance(nxt, dict) and isinstance(nxt.get("href"), str) and nxt["href"]:
                return nxt["href"]
    return None


def _page_items(body: Any) -> list[Any]:
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and isinstance(body.get("value"), list):
        return body["value"]
    return []


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class OktaClient:
    """One tenant's HTTP: see the module docstring. Use as `async with OktaClient(...) as c:`."""

    def __init__(
        self,
        org_url: str,
        auth: Auth,
        *,
        tenant: str,
        max_retries: int = 6,
        timeout: float = 30.0,
        pace: bool = True,
        session: aiohttp.ClientSession | None = None,
        max_in_flight: int = 16,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: Callable[[float, float], float] = random.uniform,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.tenant = tenant
        self._origin = check_org_url(org_url, tenant)
        self.org_url = str(self._origin).rstrip("/")
        self.auth = auth
        if getattr(auth, "tenant", "") is None:
            auth.tenant = tenant  # type: ignore[attr-defined]  # so that credential errors name it
        self.max_retries = max_retries
        self.timeout = timeout
        self.stats = ClientStats()
        self.pacer = Pacer(enabled=pace, max_in_flight=max_in_flight, clock=clock, sleep=sleep)
        self.backoff = Backoff(rng=rng)
        self.last_next_url: str | None = None
        self._session = session
        self._owns_session = session is None
        self._sleep = sleep
        self._uniform = rng
        self._wall = wall_clock
        self._clock_offset: float | None = None

    def __repr__(self) -> str:
        return f"OktaClient(tenant={self.tenant!r}, org_url={self.org_url!r})"

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> OktaClient:
        self._ensure_session()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None and self._owns_session and not self._session.closed:
            await self._session.close()
        if self._owns_session:
            self._session = None

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                headers={"Accept": "application/json", "User-Agent": f"remediator/{__version__}"},
                # trust_env stays off: it would also pull ~/.netrc credentials into requests (and make
                # aiohttp refuse our own Authorization header); proxies are taken from the environment here
                trust_env=False,
                proxy=proxy_for(self._origin),
            )
            self._owns_session = True
        return self._session

    # -- the tenant's clock ----------------------------------------------------------------

    def server_now(self) -> datetime:
        """The tenant's clock: local clock plus the offset seen in the last `Date` header."""
        return datetime.fromtimestamp(self._wall() + (self._clock_offset or 0.0), UTC)

    def _note_date(self, headers: Mapping[str, str]) -> None:
        date = parse_http_date(headers.get("Date"))
        if date is not None:
            self._clock_offset = date - self._wall()

    # -- requests --------------------------------------------------------------------------

    def _resolve(self, path_or_url: str, params: dict[str, Any] | None) -> URL:
        if path_or_url.startswith(("http://", "https://")):
            url = URL(path_or_url, encoded=True)
            if url.origin() != self._origin:
                raise OktaTransportError(
                    f"refusing to follow a link to {url.origin()} (not the org {self.org_url})", tenant=self.tenant
                )
        elif path_or_url.startswith("/"):
            url = URL(self.org_url + path_or_url, encoded="%" in path_or_url)
        else:
            raise ValueError(f"expected a path starting with / or an org URL, not {path_or_url!r}")
        if params:
            url = url.update_query({k: _query_value(v) for k, v in params.items() if v is not None})
        return url

    async def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        recheck: Recheck | None = None,
    ) -> OktaResponse:
        """Send one request, with pacing and retries; OktaApiError for any 4xx/5xx answer."""
        method = method.upper()
        url = self._resolve(path_or_url, params)
        bucket = bucket_for(method, url.path)
        body = None if json is None else jsonlib.dumps(json).encode()
        attempt = throttled = 0
        auth_renewed = False
        while True:
            outcome = await self._send(method, url, bucket, body, attempt)
            if isinstance(outcome, OktaResponse):
                resp = outcome
                if resp.status < 400:
                    return resp
                if resp.status == 429 and throttled < MAX_THROTTLED:
                    throttled += 1
                    await self._wait_for_reset(resp, throttled)
                    self.stats.retries += 1
                    continue
                if resp.status == 401 and not auth_renewed and hasattr(self.auth, "invalidate"):
                    auth_renewed = True  # an access token may have been revoked or expired early
                    self.auth.invalidate()
                    self.stats.retries += 1
                    continue
                if resp.status not in RETRY_STATUSES or attempt >= self.max_retries:
                    raise self._api_error(method, url, resp)
                if method not in IDEMPOTENT:
                    if recheck is None:
                        raise self._api_error(method, url, resp)
                    effect = await recheck()
                    if effect is not None:
                        return effect
                reason = f"HTTP {resp.status}"
            else:
                error, sent = outcome
                if attempt >= self.max_retries:
                    raise OktaTransportError(
                        f"{method} {url.path}: no answer after {attempt + 1} attempts ({_describe(error)})",
                        tenant=self.tenant,
                    ) from error
                if sent and method not in IDEMPOTENT:
                    if recheck is None:
                        raise OktaTransportError(
                            f"{method} {url.path}: the connection failed after the request may have reached "
                            f"Okta ({_describe(error)}); not retried, since the write may have taken effect: "
                            "re-read the target before trying again",
                            tenant=self.tenant,
                        ) from error
                    effect = await recheck()
                    if effect is not None:
                        return effect
                reason = _describe(error)
            delay = self.backoff.delay(attempt)
            attempt += 1
            self.stats.retries += 1
            log.info("%s: %s %s: %s, retry %d in %.2fs", self.tenant, method, url.path, reason, attempt, delay)
            await self._sleep(delay)

    async def _send(
        self, method: str, url: URL, bucket: str, body: bytes | None, attempt: int
    ) -> OktaResponse | tuple[BaseException, bool]:
        """One HTTP exchange: the response, or (error, whether the request may have been sent)."""
        session = self._ensure_session()
        authorization = await self.auth.authorization(session, self.org_url)
        headers = {"Authorization": authorization}
        if body is not None:
            headers["Content-Type"] = "application/json"
        ticket = await self.pacer.acquire(bucket)
        status: int | None = None
        resp_headers: CIMultiDictProxy[str] | None = None
        try:
            self.stats.requests += 1
            self.stats.calls[bucket] += 1
            async with session.request(
                method, url, headers=headers, data=body, allow_redirects=False
            ) as resp:
                status = resp.status
                resp_headers = resp.headers
                raw = await resp.read()
        except aiohttp.ClientConnectorCertificateError as exc:
            raise OktaTransportError(f"{method} {url.path}: TLS certificate rejected ({exc.certificate_error})",
                                     tenant=self.tenant) from None
        except aiohttp.ClientConnectorError as exc:
            return exc, False  # refused or unresolvable: nothing was sent
        except (TimeoutError, aiohttp.ClientError) as exc:
            return exc, True
        finally:
            self.pacer.release(ticket, status, resp_headers)
        assert resp_headers is not None and status is not None
        self.stats.bytes_received += len(raw)
        self._note_date(resp_headers)
        if status == 429:
            self.stats.throttled += 1
        parsed = _parse_body(raw, resp_headers)
        next_url = parse_link_header(resp_headers.getall("Link", ())).get("next") or _body_next(parsed)
        request_id = resp_headers.get("x-okta-request-id")
        log.debug("%s: %s %s -> %s (%s, request id %s)", self.tenant, method, url.path, status, bucket, request_id)
        return OktaResponse(status, _frozen(resp_headers), parsed, request_id, next_url)

    async def _wait_for_reset(self, resp: OktaResponse, throttled: int) -> None:
        """Sleep until the 429's window resets: `Reset - Date` (server seconds) plus a little jitter."""
        wait = reset_wait(resp.headers)
        if wait is None:
            wait = max(1.0, self.backoff.delay(throttled))
        wait += self._uniform(*THROTTLE_JITTER)
        self.stats.throttle_wait += wait
        log.info("%s: rate limited (request id %s), waiting %.2fs for the window to reset",
                 self.tenant, resp.request_id, wait)
        await self._sleep(wait)

    def _api_error(self, method: str, url: URL, resp: OktaResponse) -> OktaApiError:
        body = resp.body if isinstance(resp.body, dict) else {}
        summary = body.get("errorSummary") or body.get("error_description")
        if summary is None and not body:
            summary = "no error body" if resp.body is None else "unexpected non-JSON error body"
        error = OktaApiError(
            status=resp.status,
            method=method,
            path=url.path,
            error_code=body.get("errorCode") or body.get("error"),
            error_summary=summary,
            error_id=body.get("errorId"),
            request_id=resp.request_id,
            tenant=self.tenant,
        )
        causes = body.get("errorCauses")
        error.error_causes = [  # type: ignore[attr-defined]
            c.get("errorSummary") for c in causes if isinstance(c, dict) and c.get("errorSummary")
        ] if isinstance(causes, list) else []
        return error

    # -- conveniences ----------------------------------------------------------------------

    async def get(self, path: str, params: dict[str, Any] | None = None) -> OktaResponse:
        return await self.request("GET", path, params=params)

    async def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return (await self.get(path, params)).body

    async def pages(
        self, path: str, params: dict[str, Any] | None = None, *, stop_on_empty: bool = False,
        prefetch: bool = False,
    ) -> AsyncIterator[OktaResponse]:
        """Every page, following `next`; `stop_on_empty` ends at the first empty page (log polling).

        `last_next_url` is the `next` link of the last page seen: the cursor to resume from.
        `prefetch` asks for the next page while the caller works on this one (cursor paging is
        otherwise strictly one round trip after another); a page the caller never reaches is
        cancelled, which is harmless for a GET.
        """
        pending: asyncio.Task[OktaResponse] | None = None
        seen: set[str] = set()
        try:
            resp = await self.request("GET", path, params=params)
            while True:
                url = resp.next_url
                more = url is not None and url not in seen  # the same cursor again would loop forever
                if stop_on_empty and not _page_items(resp.body):
                    more = False
                if more:
                    assert url is not None
                    seen.add(url)
                    if prefetch:
                        pending = asyncio.ensure_future(self.request("GET", url))
                self.last_next_url = resp.next_url
                yield resp
                if not more:
                    return
                if pending is not None:
                    resp, pending = await pending, None
                else:
                    assert url is not None
                    resp = await self.request("GET", url)
        finally:
            if pending is not None:
                pending.cancel()
                await asyncio.wait({pending})  # let it unwind; our own cancellation still propagates
                if not pending.cancelled():
                    pending.exception()  # retrieved: an error of a page nobody asked for is not news

    async def paginate(self, path: str, params: dict[str, Any] | None = None) -> AsyncIterator[Any]:
        """Every item of every page: list bodies, or `value` for `/iam/assignees/*`."""
        async for page in self.pages(path, params):
            for item in _page_items(page.body):
                yield item


def _parse_body(raw: bytes, headers: Mapping[str, str]) -> Any:
    if not raw or not raw.strip():
        return None
    try:
        return jsonlib.loads(raw)
    except ValueError:
        content_type = headers.get("Content-Type", "")
        return raw.decode("utf-8", "replace") if content_type.startswith("text/") else None


def _frozen(headers: Mapping[str, str]) -> CIMultiDictProxy[str]:
    if isinstance(headers, CIMultiDictProxy):
        return headers
    return CIMultiDictProxy(CIMultiDict(headers))


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "timed out"
    text = str(error).strip()
    name = type(error).__name__
    return f"{name}: {text}" if text else name

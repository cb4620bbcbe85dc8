"""The async Okta Management API client for one tenant: auth, paging, pacing, retries, errors.

Why not the okta SDK: its models reject real responses (factors' `_links.resend` arrays, bare
arrays from support cases, numeric postal codes in logs), its header dict keeps only the last
`Link` line, `/iam/assignees/users` pages in the body which its helper ignores, it retries only
immediately on 503/504 and raises AttributeError on a dropped connection (see
../shared/guide/okta-api.md). This client speaks plain JSON and keeps Okta's answers as they are.

Rules it keeps:
- one aiohttp session per client; `https://` only, except loopback (a sandbox on 127.0.0.1);
- `next` links are followed verbatim from every `Link` header line and from `_links.next.href`
  in bodies, to the org itself or to its own Admin host (`{org}-admin.okta.com`, where Okta's
  `/api/v1/iam/*` answers point), never to another host (the token would go with them);
- requests are paced per rate-limit bucket (pacing.py) and a 429 waits for the window's reset;
- an answer is used only when its status is the operation's documented success (retry.SUCCESS or
  the caller's `ok`) and its body is the JSON the operation returns (`expect`): a 3xx, an HTML page,
  an empty or wrong-shaped 200 is an OktaResponseError for the tenant, never "no data";
- every write is sent exactly once: aiohttp's own resend of a PUT/DELETE on a dropped keep-alive
  connection is off; reads are retried on 5xx, timeouts and dropped connections with bounded
  exponential backoff and full jitter; a write that may have reached the server is retried only
  when the caller's `recheck()` says it is not in effect; a 401 (refused unprocessed: RFC 9110
  section 15.5.2) renews the access token and re-sends the request once, and any request refused
  with a DPoP nonce challenge (RFC 9449 section 9: refused unprocessed) is re-sent once with that
  nonce, never twice;
- each attempt has a timeout (`timeout`), a request meets at most two timeouts, and a tenant has a
  deadline (`deadline`, seconds from the first request): a tenant that accepts connections and never
  answers fails in well under a minute, and every later request of it fails at once;
- errors carry Okta's errorCode, errorSummary, errorId, the status and `x-okta-request-id`, the
  method and the path without query string, and the tenant; never a header or a secret, and any
  credential a server echoes is redacted (redact.py).
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
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from remediator import __version__
from remediator.errors import InputError, OktaApiError, OktaResponseError, OktaTransportError
from remediator.okta.buckets import bucket_for
from remediator.okta.pacing import Pacer
from remediator.okta.redact import Redactor
from remediator.okta.retry import (
    RETRY_STATUSES,
    SAFE,
    Backoff,
    not_processed,
    parse_http_date,
    reset_wait,
    success_statuses,
)
from remediator.timeutil import format_time

if TYPE_CHECKING:
    from remediator.okta.auth import Auth

__all__ = ["ClientStats", "OktaClient", "OktaResponse", "check_org_url", "is_loopback", "parse_link_header"]

log = logging.getLogger("remediator.okta")

Recheck = Callable[[], Awaitable["OktaResponse | None"]]

#: How many 429s one request may meet (each waits for its window's reset) before giving up.
MAX_THROTTLED = 8
#: Jitter added to a 429's wait, so that callers released by one reset do not arrive in step.
THROTTLE_JITTER = (0.0, 0.5)
#: Default seconds one attempt may take (connect, send, answer): `--timeout`.
DEFAULT_TIMEOUT = 20.0
#: Default seconds one tenant's client may work, from its first request: `--deadline`.
DEFAULT_DEADLINE = 4 * 3600.0
#: Attempts of one request that may time out before the tenant is given up: two timeouts of 20 s and
#: a backoff fail a tenant that never answers in about 40 s (the whole run used to take 228 s).
MAX_TIMEOUTS = 2
#: How far before a write its System Log re-check looks (clock skew and `Date`'s whole seconds).
LOG_RECHECK_MARGIN = 60.0
#: Okta's own domains, whose orgs have an Admin host `{org}-admin.<domain>` (links from /api/v1/iam/*).
OKTA_DOMAINS = ("okta.com", "oktapreview.com", "okta-emea.com", "okta-gov.com", "okta.mil", "okta-miltest.com")
#: The shapes an operation returns: "page" is a list, or `/iam/*`'s object with a `value` list.
Expect = type | tuple[type, ...] | str | None

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
    problem: str | None = None      # why the body is unusable as JSON (empty, HTML, not JSON), if it is


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


def admin_origin(origin: URL) -> URL | None:
    """The org's Admin host (`acme.okta.com` -> `acme-admin.okta.com`), for Okta's own domains only."""
    host = (origin.host or "").lower()
    for domain in OKTA_DOMAINS:
        suffix = "." + domain
        if host.endswith(suffix) and "." not in host[: -len(suffix)] and not host.endswith("-admin" + suffix):
            return origin.with_host(host[: -len(suffix)] + "-admin" + suffix).origin()
    return None


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


def _shape_problem(body: Any, expect: Expect) -> str | None:
    """Why `body` is not the shape the operation returns, or None when it is."""
    if expect == "page":
        if isinstance(body, list) or (isinstance(body, dict) and isinstance(body.get("value"), list)):
            return None
        return f"the body is {_shape_name(body)}, not the list of items this call returns"
    wanted = expect if expect is not None else (dict, list)
    assert not isinstance(wanted, str)
    if isinstance(body, wanted):
        return None
    kinds = wanted if isinstance(wanted, tuple) else (wanted,)
    names = " or ".join(_shape_name(t()).split(" ", 1)[-1] for t in kinds)
    return f"the body is {_shape_name(body)}, not the {names} this call returns"


def _shape_name(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return f"a JSON {type(value).__name__}"


class OktaClient:
    """One tenant's HTTP: see the module docstring. Use as `async with OktaClient(...) as c:`."""

    def __init__(
        self,
        org_url: str,
        auth: Auth,
        *,
        tenant: str,
        max_retries: int = 6,
        timeout: float = DEFAULT_TIMEOUT,
        deadline: float | None = DEFAULT_DEADLINE,
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
        self._admin_origin = admin_origin(self._origin)
        self.org_url = str(self._origin).rstrip("/")
        self.auth = auth
        if getattr(auth, "tenant", "") is None:
            auth.tenant = tenant  # type: ignore[attr-defined]  # so that credential errors name it
        if not timeout > 0:
            raise InputError(f"must be a positive number of seconds, not {timeout!r}", where="--timeout")
        if deadline is not None and not deadline > 0:
            raise InputError(f"must be a positive number of seconds, not {deadline!r}", where="--deadline")
        self.max_retries = max_retries
        self.timeout = float(timeout)
        self.deadline = deadline
        self.stats = ClientStats()
        self.pacer = Pacer(enabled=pace, max_in_flight=max_in_flight, clock=clock, sleep=sleep)
        self.backoff = Backoff(rng=rng)
        self.redactor = Redactor()
        self._session = session
        self._owns_session = session is None
        self._clock = clock
        self._sleep = sleep
        self._uniform = rng
        self._wall = wall_clock
        self._clock_offset: float | None = None
        self._deadline_at: float | None = None
        self._gave_up: str | None = None  # set once the tenant stopped answering: later requests fail at once

    def __repr__(self) -> str:
        return f"OktaClient(tenant={self.tenant!r}, org_url={self.org_url!r})"

    @property
    def client_id(self) -> str | None:
        """The OAuth 2.0 service app acting, if any: with no user behind the token, it is "the token owner"."""
        return getattr(self.auth, "client_id", None)

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
        no_resend(self._session)
        return self._session

    # -- the tenant's clock ----------------------------------------------------------------

    def server_now(self) -> datetime:
        """The tenant's clock: local clock plus the offset seen in the last `Date` header."""
        return datetime.fromtimestamp(self._wall() + (self._clock_offset or 0.0), UTC)

    def _note_date(self, headers: Mapping[str, str]) -> None:
        date = parse_http_date(headers.get("Date"))
        if date is not None:
            self._clock_offset = date - self._wall()

    # -- time limits -----------------------------------------------------------------------

    def _time_left(self, method: str, url: URL) -> float | None:
        """Seconds left before the tenant's deadline (None: no deadline); raises once it has passed."""
        if self._gave_up is not None:
            raise OktaTransportError(f"{method} {url.path}: not sent: {self._gave_up}", tenant=self.tenant)
        if self.deadline is None:
            return None
        now = self._clock()
        if self._deadline_at is None:
            self._deadline_at = now + self.deadline
        left = self._deadline_at - now
        if left <= 0:
            self._gave_up = f"the tenant's deadline of {self.deadline:g} s has passed (--deadline)"
            raise OktaTransportError(f"{method} {url.path}: {self._gave_up}", tenant=self.tenant)
        return left

    async def _pause(self, seconds: float, method: str, url: URL) -> None:
        """Sleep before a retry, unless the tenant's deadline would pass meanwhile."""
        left = self._time_left(method, url)
        if left is not None and seconds >= left:
            self._gave_up = f"the tenant's deadline of {self.deadline:g} s would pass before a retry (--deadline)"
            raise OktaTransportError(f"{method} {url.path}: {self._gave_up}", tenant=self.tenant)
        await self._sleep(seconds)

    # -- requests --------------------------------------------------------------------------

    def _resolve(self, path_or_url: str, params: dict[str, Any] | None) -> URL:
        if path_or_url.startswith(("http://", "https://")):
            url = URL(path_or_url, encoded=True)
            if url.origin() not in (self._origin, self._admin_origin):
                raise OktaTransportError(
                    f"refusing to follow a link to {url.origin()} (not the org {self.org_url} nor its Admin host)",
                    tenant=self.tenant,
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
        ok: tuple[int, ...] | None = None,
        expect: Expect = None,
    ) -> OktaResponse:
        """Send one request, with pacing and retries.

        Returns only an answer whose status is in `ok` (default: the method's documented success)
        with a JSON body of the `expect`ed shape (default: an object or a list; none for a 204).
        OktaApiError for an error answer, OktaResponseError for anything else that is not success.
        """
        method = method.upper()
        url = self._resolve(path_or_url, params)
        bucket = bucket_for(method, url.path)
        body = None if json is None else jsonlib.dumps(json).encode()
        success = success_statuses(method, ok)
        attempt = throttled = timeouts = 0
        auth_renewed = auth_retried = False
        while True:
            outcome = await self._send(method, url, bucket, body, attempt)
            if isinstance(outcome, OktaResponse):
                resp = outcome
                if resp.status in success:
                    return self._checked(method, url, resp, expect)
                if resp.status < 400:
                    raise self._unexpected(method, url, resp, success)
                if resp.status == 429 and throttled < MAX_THROTTLED:
                    throttled += 1
                    await self._wait_for_reset(resp, throttled, method, url)
                    self.stats.retries += 1
                    continue
                if resp.status in (400, 401) and _auth_retry(self.auth, resp):
                    if auth_retried:  # a second nonce challenge for one request: give up, do not loop
                        raise self._api_error(method, url, resp)
                    auth_retried = True  # a DPoP nonce the server asks for: the request was not processed
                    self.stats.retries += 1
                    continue
                if resp.status == 401 and not auth_renewed and hasattr(self.auth, "invalidate"):
                    # an access token may have been revoked or expired early; a 401 means the request "has not
                    # been applied" (RFC 9110 section 15.5.2), so a write too is re-sent, once, with a new token
                    auth_renewed = True
                    self.auth.invalidate()
                    self.stats.retries += 1
                    continue
                if resp.status not in RETRY_STATUSES or attempt >= self.max_retries:
                    raise self._api_error(method, url, resp)
                if method not in SAFE and not not_processed(resp.status, _error_code(resp.body)):
                    if recheck is None:
                        raise self._api_error(method, url, resp)
                    effect = await recheck()
                    if effect is not None:
                        return effect
                reason = f"HTTP {resp.status}"
            else:
                error, sent = outcome
                if isinstance(error, TimeoutError):
                    timeouts += 1
                    if timeouts >= MAX_TIMEOUTS:
                        self._gave_up = (f"the tenant did not answer {method} {url.path} within {self.timeout:g} s, "
                                         f"{timeouts} times (--timeout); giving up on it")
                        raise OktaTransportError(self._gave_up, tenant=self.tenant) from None
                if attempt >= self.max_retries:
                    raise OktaTransportError(
                        f"{method} {url.path}: no answer after {attempt + 1} attempts ({self._describe(error)})",
                        tenant=self.tenant,
                    ) from None
                if sent and method not in SAFE:
                    if recheck is None:
                        raise OktaTransportError(
                            f"{method} {url.path}: the connection failed after the request may have reached "
                            f"Okta ({self._describe(error)}); not retried, since the write may have taken effect: "
                            "re-read the target before trying again",
                            tenant=self.tenant,
                        ) from None
                    effect = await recheck()
                    if effect is not None:
                        return effect
                reason = self._describe(error)
            delay = self.backoff.delay(attempt)
            attempt += 1
            self.stats.retries += 1
            log.info("%s: %s %s: %s, retry %d in %.2fs", self.tenant, method, url.path, reason, attempt, delay)
            await self._pause(delay, method, url)

    async def _send(
        self, method: str, url: URL, bucket: str, body: bytes | None, attempt: int
    ) -> OktaResponse | tuple[BaseException, bool]:
        """One HTTP exchange: the response, or (error, whether the request may have been sent)."""
        left = self._time_left(method, url)
        session = self._ensure_session()
        headers = await self._auth_headers(session, method, url)
        if body is not None:
            headers["Content-Type"] = "application/json"
        ticket = await self.pacer.acquire(bucket)
        left = self._time_left(method, url) if left is not None else None  # pacing may have waited
        limit = self.timeout if left is None else min(self.timeout, left)
        status: int | None = None
        resp_headers: CIMultiDictProxy[str] | None = None
        try:
            self.stats.requests += 1
            self.stats.calls[bucket] += 1
            async with session.request(
                method, url, headers=headers, data=body, allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=limit),
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
        note = getattr(self.auth, "note_response", None)
        if note is not None:
            note(status, resp_headers)
        if status == 429:
            self.stats.throttled += 1
        parsed, problem = _parse_body(self.redactor.scrub_bytes(raw), resp_headers)
        next_url = parse_link_header(resp_headers.getall("Link", ())).get("next") or _body_next(parsed)
        request_id = resp_headers.get("x-okta-request-id")
        log.debug("%s: %s %s -> %s (%s, request id %s)", self.tenant, method, url.path, status, bucket, request_id)
        return OktaResponse(status, _frozen(resp_headers), parsed, request_id, next_url, problem)

    async def _auth_headers(self, session: aiohttp.ClientSession, method: str, url: URL) -> dict[str, str]:
        """Authorization (and a DPoP proof when the auth binds tokens to a key), remembered for redaction."""
        per_request = getattr(self.auth, "request_headers", None)
        if per_request is not None:
            headers = dict(await per_request(session, self.org_url, method, str(url)))
        else:
            headers = {"Authorization": await self.auth.authorization(session, self.org_url)}
        for name, value in headers.items():
            self.redactor.remember(value, lasting=name.lower() == "authorization")
        return headers

    def _checked(self, method: str, url: URL, resp: OktaResponse, expect: Expect) -> OktaResponse:
        """The answer when its body is what the operation returns; OktaResponseError otherwise."""
        if resp.status == 204:
            return resp
        problem = resp.problem or _shape_problem(resp.body, expect)
        if problem is None:
            return resp
        raise self._response_error(method, url, resp, problem)

    def _unexpected(self, method: str, url: URL, resp: OktaResponse, success: tuple[int, ...]) -> OktaApiError:
        """A status below 400 that is not this call's success: a redirect, or an undocumented 2xx."""
        documented = ", ".join(str(s) for s in success)
        if 300 <= resp.status < 400:
            location = URL(resp.headers.get("Location") or "", encoded=True)
            where = f" to {location.origin()}" if location.is_absolute() and location.host else ""
            detail = _error_detail(resp.body)
            problem = (f"a redirect{where}, not this call's documented success ({documented}); not followed"
                       + (f": {self.redactor.text(detail)}" if detail else
                          " (a proxy's or a sign-in page, or an endpoint Okta retired?)"))
            return self._response_error(method, url, resp, problem)
        error = self._api_error(method, url, resp)
        if error.error_code:
            return error
        return self._response_error(method, url, resp, f"not this call's documented success ({documented})")

    def _response_error(self, method: str, url: URL, resp: OktaResponse, problem: str) -> OktaResponseError:
        return OktaResponseError(problem, status=resp.status, method=method, path=url.path,
                                 request_id=resp.request_id, tenant=self.tenant,
                                 error_code=_error_code(resp.body))

    async def _wait_for_reset(self, resp: OktaResponse, throttled: int, method: str, url: URL) -> None:
        """Sleep until the 429's window resets: `Reset - Date` (server seconds) plus a little jitter."""
        wait = reset_wait(resp.headers)
        if wait is None:
            wait = max(1.0, self.backoff.delay(throttled))
        wait += self._uniform(*THROTTLE_JITTER)
        self.stats.throttle_wait += wait
        log.info("%s: rate limited (request id %s), waiting %.2fs for the window to reset",
                 self.tenant, resp.request_id, wait)
        await self._pause(wait, method, url)

    def _api_error(self, method: str, url: URL, resp: OktaResponse) -> OktaApiError:
        body = resp.body if isinstance(resp.body, dict) else {}
        summary = body.get("errorSummary") or body.get("error_description")
        if summary is None and not body:
            summary = resp.problem or "unexpected non-JSON error body"
        error = OktaApiError(
            status=resp.status,
            method=method,
            path=url.path,
            error_code=self.redactor.text(_text(body.get("errorCode") or body.get("error"))),
            error_summary=self.redactor.text(_text(summary)),
            error_id=self.redactor.text(_text(body.get("errorId"))),
            request_id=self.redactor.text(resp.request_id),
            tenant=self.tenant,
        )
        causes = body.get("errorCauses")
        error.error_causes = [  # type: ignore[attr-defined]
            self.redactor.text(_text(c.get("errorSummary")))
            for c in causes if isinstance(c, dict) and c.get("errorSummary")
        ] if isinstance(causes, list) else []
        return error

    def _describe(self, error: BaseException) -> str:
        return self.redactor.text(_describe(error)) or type(error).__name__

    # -- conveniences ----------------------------------------------------------------------

    async def get(self, path: str, params: dict[str, Any] | None = None, *, expect: Expect = None) -> OktaResponse:
        return await self.request("GET", path, params=params, expect=expect)

    async def get_json(self, path: str, params: dict[str, Any] | None = None, *, expect: Expect = None) -> Any:
        """The JSON body of a GET: an object or a list (or exactly `expect`); never None for "no data"."""
        return (await self.get(path, params, expect=expect)).body

    async def pages(
        self, path: str, params: dict[str, Any] | None = None, *, stop_on_empty: bool = False,
        prefetch: bool = False,
    ) -> AsyncIterator[OktaResponse]:
        """Every page, following `next`; `stop_on_empty` ends at the first empty page (log polling).

        Each page must be a list (or `/iam/*`'s object with a `value` list): anything else is an
        OktaResponseError, so an empty or broken page never reads as "no more items".
        `prefetch` asks for the next page while the caller works on this one (cursor paging is
        otherwise strictly one round trip after another); a page the caller never reaches is
        cancelled, which is harmless for a GET.
        """
        pending: asyncio.Task[OktaResponse] | None = None
        seen: set[str] = set()
        try:
            resp = await self.request("GET", path, params=params, expect="page")
            while True:
                url = resp.next_url
                more = url is not None and url not in seen  # the same cursor again would loop forever
                if stop_on_empty and not _page_items(resp.body):
                    more = False
                if more:
                    assert url is not None
                    seen.add(url)
                    if prefetch:
                        pending = asyncio.ensure_future(self.request("GET", url, expect="page"))
                yield resp
                if not more:
                    return
                if pending is not None:
                    resp, pending = await pending, None
                else:
                    assert url is not None
                    resp = await self.request("GET", url, expect="page")
        finally:
            if pending is not None:
                pending.cancel()
                await asyncio.wait({pending})  # let it unwind; our own cancellation still propagates
                if not pending.cancelled():
                    pending.exception()  # retrieved: an error of a page nobody asked for is not news

    # -- re-checks for writes that may have taken effect ------------------------------------

    def recheck_logged(self, event_type: str, target_id: str) -> Recheck:
        """A re-check for a write whose only trace is its System Log event (a session clear).

        Made before the write is sent: it looks for `event_type` on `target_id` published since then
        (less a margin for clock skew); when found, the write took effect and is not sent again, and the
        answer carries the event's request id (`debugData.requestId`, the write's `x-okta-request-id`).
        An event that Okta has not published yet reads as "not in effect": the write is then repeated
        once more, which for a session clear ends the same sessions again.
        """
        since = format_time(self.server_now() - timedelta(seconds=LOG_RECHECK_MARGIN))
        query = {"since": since, "filter": f'eventType eq "{event_type}" and target.id eq "{target_id}"',
                 "limit": 20}

        async def recheck() -> OktaResponse | None:
            resp = await self.get("/api/v1/logs", query, expect=list)
            events = [e for e in resp.body if isinstance(e, dict)]
            if not events:
                return None
            debug = (events[-1].get("debugContext") or {}).get("debugData") or {}
            request_id = debug.get("requestId") if isinstance(debug, dict) else None
            return OktaResponse(204, resp.headers, None, request_id if isinstance(request_id, str) else None, None)

        return recheck

    def recheck_gone(self, path: str) -> Recheck:
        """A re-check for a DELETE of a resource that can be read: a 404 on GET means it took effect."""

        async def recheck() -> OktaResponse | None:
            try:
                await self.get(path)
            except OktaApiError as exc:
                if exc.status == 404:
                    return OktaResponse(204, CIMultiDictProxy(CIMultiDict()), None, exc.request_id, None)
                raise
            return None

        return recheck

    async def paginate(self, path: str, params: dict[str, Any] | None = None) -> AsyncIterator[Any]:
        """Every item of every page: list bodies, or `value` for `/iam/assignees/*`."""
        async for page in self.pages(path, params):
            for item in _page_items(page.body):
                yield item


def no_resend(session: aiohttp.ClientSession) -> None:
    """Turn off aiohttp's resend of PUT/DELETE (and GET) when a kept-alive connection drops mid-request.

    aiohttp 3.x resends requests of its "idempotent" methods once, silently, after a
    ServerDisconnectedError/ClientOSError on a reused connection; a DELETE resent that way after the
    server acted is a second write and a second System Log event. The switch is the session's
    `_retry_connection` (aiohttp's own test client turns it off the same way); our retry decides instead.
    """
    if getattr(session, "_retry_connection", False):
        session._retry_connection = False


def _auth_retry(auth: Any, resp: OktaResponse) -> bool:
    """Whether the auth wants the request sent again (a DPoP nonce was asked for, and now is known)."""
    retry = getattr(auth, "wants_retry", None)
    return bool(retry is not None and retry(resp.status, resp.headers, resp.body))


def _error_code(body: Any) -> str | None:
    code = body.get("errorCode") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None


def _error_detail(body: Any) -> str | None:
    if isinstance(body, dict):
        detail = body.get("errorSummary") or body.get("error_description")
        return _text(detail)
    return None


def _text(value: Any) -> str | None:
    """A server's value as a short text: servers send numbers, nulls and objects where strings belong."""
    if value is None:
        return None
    text = value if isinstance(value, str) else jsonlib.dumps(value)[:500]
    return text[:2000]


def _parse_body(raw: bytes, headers: Mapping[str, str]) -> tuple[Any, str | None]:
    """The parsed JSON body and None, or (None, why it is not JSON) for a body that is not."""
    content_type = headers.get("Content-Type", "").lower()
    if not raw or not raw.strip():
        return None, "an empty body where this call returns JSON"
    head = raw.lstrip()[:512].lower()
    if "html" in content_type or head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return None, ("an HTML page, not Okta's JSON (a proxy's or a sign-in page? check the org URL, "
                      "the proxy settings and the network path)")
    try:
        return jsonlib.loads(raw), None
    except (ValueError, RecursionError):  # ValueError also covers integers beyond Python's digit limit
        return None, f"a body that is not JSON ({content_type or 'no Content-Type'}, {len(raw)} bytes)"


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

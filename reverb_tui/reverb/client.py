"""The async Reverb client (what it relies on: docs/reverb-api-notes.md).

One ``ReverbClient`` per integration, reused across a sync. It adds the headers Reverb wants,
limits its own rate (per token) and concurrency, retries what is safe to retry within a
budget, follows HAL links only to the integration's own host, and raises typed errors whose
messages never contain the token.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncGenerator, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from .. import USER_AGENT  # built from reverb_tui.__version__
from ..errors import mask_token
from ..logs import register_secret
from .errors import (
    AuthError,
    BadResponseError,
    ForbiddenError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    RefusedError,
    ReverbError,
    ServerError,
    StopRequested,
    ValidationError,
    describe_body,
)
from .payload import next_href, positive
from .ratelimit import (
    MAX_IN_FLIGHT,
    InFlightGate,
    Kind,
    Pace,
    TokenBudget,
    budget_for,
    kind_of,
)

DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=10.0)
PER_PAGE = 50


# Builds the client of one integration from its API URL, token and rate limit (requests per
# second). The services take one, so the tests and the demo can route HTTP elsewhere.
ClientFactory = Callable[[str, str, float], "ReverbClient"]


# The way out when Reverb cannot be reached (nothing was changed on either side).
REACH_HINT = (
    "check the network connection and the integration's site address "
    "(reverb-tui channels list), then try again."
)


@dataclass
class RetryPolicy:
    max_attempts: int = 6
    budget_seconds: float = 60.0  # total time spent waiting between attempts
    base_delay: float = 0.5
    max_delay: float = 20.0


@dataclass
class AccountInfo:
    seller_id: str
    shop_name: str | None
    shop_currency: str | None
    email: str | None = None


class ReverbClient:
    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        rate_limit: float = 4.0,
        max_concurrency: int = MAX_IN_FLIGHT,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        limiter: TokenBudget | None = None,
        sleep=asyncio.sleep,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._origin = urlsplit(self.api_url)
        self._token = token
        register_secret(token)
        self._rate_limit = rate_limit
        self._limiter = limiter
        self._budgets: tuple[int, int] | None = None
        # Requests in flight, per kind: rate × smoothed round trip (Little's law), at most
        # ``max_concurrency``. Reads and writes have their own, so queued reads never hold a
        # write back.
        self.max_concurrency = max(1, max_concurrency)
        self._pace = {
            k: Pace(InFlightGate(min(4, self.max_concurrency))) for k in (Kind.READ, Kind.WRITE)
        }
        # Called with (kind, new budget per minute) when a 429 lowers this token's budget.
        self.on_budget_lowered: Callable[[Kind, int], object] | None = None
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        # Set by the sync that owns this client: a back-off wait (a 429's Retry-After can be
        # 30 s or more) ends as soon as it is set, so a daemon told to stop stops at once.
        self.stop: asyncio.Event | None = None
        self.requests = 0  # every HTTP attempt made, retries included
        self.retries = 0
        self._http = httpx.AsyncClient(
            timeout=timeout,
            transport=transport,
            follow_redirects=False,  # a redirect could take the token to another host
            headers={
                "Accept": "application/hal+json",
                "Accept-Version": "3.0",
                "Content-Type": "application/hal+json",
                "User-Agent": USER_AGENT,
            },
        )

    @property
    def host(self) -> str:
        return self._origin.netloc

    def __repr__(self) -> str:
        return f"ReverbClient({self.api_url!r})"

    async def __aenter__(self) -> ReverbClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- URLs -------------------------------------------------------------------------------

    def url(self, path_or_href: str) -> str:
        """Resolve a path (``/my/account``) or a HAL href against this site.

        Relative hrefs resolve against the site; an absolute href is accepted only on the
        site's own host, so the token is never sent anywhere else.
        """
        href = path_or_href.strip()
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            if parts.scheme != self._origin.scheme or parts.netloc.lower() != self.host.lower():
                raise ReverbError(
                    f"Refused to follow a link to {parts.netloc or href!r}: "
                    f"it is not this integration's site ({self.host})."
                )
            return href
        base_path = self._origin.path.rstrip("/")
        if href.startswith("/"):
            # "/api/my/orders?page=2" is already rooted at the site; "/my/account" is a path
            # below the API root.
            if base_path and (href == base_path or href.startswith(base_path + "/")):
                return urljoin(self.api_url + "/", href)
            return self.api_url + href
        return urljoin(self.api_url + "/", href)

    # -- core request -----------------------------------------------------------------------

    def _limiter_now(self) -> TokenBudget:
        if self._limiter is None:
            self._limiter = budget_for(self._token, self._rate_limit)
            if self._budgets is not None:
                self._apply_budgets(self._limiter, *self._budgets)
        return self._limiter

    @property
    def budget(self) -> TokenBudget:
        """This token's read and write budgets (shared by every client of the token)."""
        return self._limiter_now()

    def set_budgets(self, reads_per_minute: int, writes_per_minute: int) -> None:
        """The integration's read and write budgets (per minute), as stored for it."""
        self._budgets = (reads_per_minute, writes_per_minute)
        if self._limiter is not None:
            self._apply_budgets(self._limiter, reads_per_minute, writes_per_minute)

    @staticmethod
    def _apply_budgets(limiter: TokenBudget, reads: int, writes: int) -> None:
        limiter.set_budget(Kind.READ, reads)
        limiter.set_budget(Kind.WRITE, writes)

    def in_flight_limit(self, kind: Kind) -> int:
        """How many requests of ``kind`` may be in flight now."""
        return self._pace[kind].gate.limit

    def round_trip(self, kind: Kind) -> float:
        """The smoothed round trip of ``kind`` (seconds)."""
        return self._pace[kind].rtt

    def peak_in_flight(self, kind: Kind) -> int:
        return self._pace[kind].gate.peak

    def _resize(self, kind: Kind) -> None:
        self._pace[kind].resize(self._limiter_now().per_second(kind), self.max_concurrency)

    async def request(
        self,
        method: str,
        path_or_href: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """One API call with retries. Returns the decoded JSON body (``None`` when empty)."""
        url = self.url(path_or_href)
        if idempotent is None:
            idempotent = method.upper() in ("GET", "PUT", "HEAD", "DELETE")
        policy = self.retry
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._once(method, url, params, json_body)
            except ReverbError as exc:
                if not self._should_retry(exc, idempotent) or attempt >= policy.max_attempts:
                    raise
                delay = self._delay(exc, attempt)
                if waited + delay > policy.budget_seconds:
                    raise
                if isinstance(exc, RateLimitedError):
                    # Every request of this kind waits, not just this one.
                    self._limiter_now().pause(delay, kind_of(method))
                waited += delay
                self.retries += 1
                await self._back_off(delay)

    async def _unless_stopped(self, waiting: Coroutine[Any, Any, float]) -> float:
        """``await waiting`` (the rate limiter's grant, which waits out a 429's pause for every
        request of its kind), or raise ``StopRequested`` as soon as a stop is asked for."""
        stop = self.stop
        if stop is None:
            return await waiting
        if stop.is_set():
            waiting.close()
            raise StopRequested("The sync was stopped before this request was sent.")
        task = asyncio.ensure_future(waiting)
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait((task, stopped), return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if task.done() and not task.cancelled():
            return task.result()
        raise StopRequested("The sync was stopped while waiting out Reverb's back-off.")

    async def _back_off(self, delay: float) -> None:
        """Wait ``delay`` seconds before the next attempt, or raise ``StopRequested`` the
        moment a stop is asked for."""
        stop = self.stop
        if stop is None:
            await self._sleep(delay)
            return
        if not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=delay)
            except TimeoutError:
                return
        raise StopRequested("The sync was stopped while waiting out Reverb's back-off.")

    @staticmethod
    def _should_retry(exc: ReverbError, idempotent: bool) -> bool:
        if isinstance(exc, RateLimitedError):
            return True  # a 429 was not processed: safe for every method
        if isinstance(exc, NetworkError) and not exc.sent:
            return True  # never reached the server
        return idempotent and exc.retryable

    def _delay(self, exc: ReverbError, attempt: int) -> float:
        policy = self.retry
        if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
            return min(max(exc.retry_after, 0.0), policy.max_delay * 3)
        backoff = min(policy.max_delay, policy.base_delay * (2 ** (attempt - 1)))
        return backoff * (0.5 + random.random() / 2)

    async def _once(self, method: str, url: str, params: Any, json_body: Any) -> Any:
        headers = {"Authorization": f"Bearer {self._token}"}
        kind = kind_of(method)
        limiter = self._limiter_now()
        pace = self._pace[kind]
        async with pace.gate:
            # The rate-limit grant is taken only once a slot is free: a grant taken earlier and
            # then held while waiting for a slot would go out bunched with later grants.
            granted = await self._unless_stopped(limiter.acquire(kind))
            self.requests += 1
            sent = time.monotonic()
            try:
                resp = await self._http.request(
                    method,
                    url,
                    params=params,
                    content=None if json_body is None else json.dumps(json_body),
                    headers=headers,
                )
            except httpx.ConnectTimeout:
                raise NetworkError(
                    f"Cannot reach Reverb at {self.host}: the connection timed out; {REACH_HINT}",
                    sent=False,
                ) from None
            except httpx.ConnectError:
                raise NetworkError(
                    f"Cannot reach Reverb at {self.host}: connection refused or host not found; "
                    + REACH_HINT,
                    sent=False,
                ) from None
            except httpx.TimeoutException:
                raise NetworkError(
                    f"Reverb at {self.host} did not answer in time ({method} {_path(url)})."
                ) from None
            except httpx.DecodingError:
                raise BadResponseError(
                    f"Reverb sent a response that could not be decoded ({method} {_path(url)})."
                ) from None
            except httpx.TransportError as exc:
                raise NetworkError(
                    f"The connection to Reverb at {self.host} failed: {type(exc).__name__}."
                ) from None
            pace.observe(time.monotonic() - sent)
            self._resize(kind)
        try:
            return self._decode(resp, method, url)
        except RateLimitedError:
            self._rate_limited(kind, granted)
            raise

    def _rate_limited(self, kind: Kind, granted: float | None) -> None:
        """A 429: lower this kind's budget (once per incident) and the in-flight limit."""
        limiter = self._limiter_now()
        if limiter.lower(kind, granted):
            new = limiter.per_minute(kind)
            self._resize(kind)
            if self.on_budget_lowered is not None:
                self.on_budget_lowered(kind, new)

    def _decode(self, resp: httpx.Response, method: str, url: str) -> Any:
        status = resp.status_code
        body: Any = None
        if resp.content:
            try:
                body = resp.json()
            except ValueError:
                body = None
                if 200 <= status < 300:
                    raise BadResponseError(
                        f"Reverb sent a response that is not valid JSON ({method} {_path(url)}).",
                        status=status,
                    ) from None
        if 200 <= status < 300:
            return body
        said = describe_body(body)
        if self._token and self._token in said:  # an error body that echoes the token back
            said = said.replace(self._token, mask_token(self._token))
        where = f"{method} {_path(url)}"
        suffix = f": {said}" if said else ""
        if status == 401:
            raise AuthError(f"Reverb refused this token (401){suffix}.", status=status, body=body)
        if status == 403:
            raise ForbiddenError(
                f"Reverb refused access (403); the token may lack a scope{suffix}.",
                status=status,
                body=body,
            )
        if status == 404:
            raise NotFoundError(
                f"Reverb has no such resource ({where}){suffix}.", status=status, body=body
            )
        if status == 429:
            raise RateLimitedError(
                f"Reverb is rate-limiting requests (429) on {where}.",
                retry_after=_retry_after(resp.headers.get("Retry-After")),
                status=status,
                body=body,
            )
        if status >= 500:
            raise ServerError(
                f"Reverb answered {status} on {where}{suffix}.", status=status, body=body
            )
        if 300 <= status < 400:
            raise ReverbError(f"Reverb redirected {where} ({status}); not followed.", status=status)
        errors = body.get("errors") if isinstance(body, dict) else None
        raise ValidationError(
            f"Reverb rejected {where} ({status}){suffix or '.'}".rstrip(".") + ".",
            status=status,
            body=body,
            errors=errors,
        )

    # -- endpoints ----------------------------------------------------------------------------

    async def get(self, path_or_href: str, params: dict[str, Any] | None = None) -> Any:
        return await self.request("GET", path_or_href, params=params)

    async def get_object(self, path_or_href: str, params: dict[str, Any] | None = None) -> dict:
        body = await self.get(path_or_href, params)
        if not isinstance(body, dict):
            raise BadResponseError(f"Reverb sent an unexpected response for {_path(path_or_href)}.")
        return body

    async def page(
        self, path_or_href: str, params: dict[str, Any] | None = None, *, items: str
    ) -> dict[str, Any]:
        """One page of a list: an object whose ``items`` key, when present, holds a list."""
        body = await self.get(path_or_href, params)
        listed = body.get(items) if isinstance(body, dict) else None
        if not isinstance(body, dict) or not (listed is None or isinstance(listed, list)):
            raise BadResponseError(
                f"Reverb sent a page of {items} without a list of {items} "
                f"({_path(self.url(path_or_href))})."
            )
        return body

    async def pages(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        items: str,
        max_pages: int,
        first: dict[str, Any] | None = None,
        before_request: Callable[[], None] | None = None,
    ) -> AsyncGenerator[dict[str, Any], None]:
        """Every page of a HAL list in order, from ``first`` when the caller has read it.

        The next page is ``_links.next.href`` (on this site's host only: ``url`` refuses any
        other), else ``page+1`` while ``current_page < total_pages`` and the page held
        ``items``. A next link back to a page already read ends the walk; a walk that would
        go past ``max_pages`` raises ``BadResponseError``, so a server that keeps sending
        "next" cannot keep us forever. ``before_request`` runs before each request and may
        raise to stop the walk between pages.
        """
        base = dict(params or {})
        visited: set[str] = set()
        if first is None:
            if before_request is not None:
                before_request()
            first = await self.page(path, base, items=items)
        body = first
        page_no = 1
        read = 0
        while True:
            yield body
            read += 1
            href = next_href(body)
            current = positive(body.get("current_page"), page_no)
            total_pages = positive(body.get("total_pages"), 0)
            target: tuple[str, dict[str, Any] | None]
            if href is not None:
                url = self.url(href)
                if url in visited:
                    return  # a next link pointing back: the walk is over
                visited.add(url)
                target = (href, None)
            elif current < total_pages and body.get(items):
                target = (path, {**base, "page": current + 1})
            else:
                return
            if read >= max_pages:
                raise BadResponseError(
                    f"Reverb kept sending next-page links past {max_pages} pages of {items}; "
                    "walk stopped."
                )
            if before_request is not None:
                before_request()
            body = await self.page(*target, items=items)
            page_no = current + 1

    async def verify(self) -> AccountInfo:
        """Check the token with ``GET /my/account`` (and ``/shop`` for name and currency)."""
        account = await self.get_object("/my/account")
        embedded = account.get("shop")
        shop_obj: dict[str, Any] = embedded if isinstance(embedded, dict) else {}
        shop_name = shop_obj.get("name")
        shop_currency = (
            account.get("currency") if isinstance(account.get("currency"), str) else None
        )
        try:
            shop = await self.get_object("/shop")
            shop_name = shop.get("name") or shop_name
            if isinstance(shop.get("currency"), str):
                shop_currency = shop["currency"]
            shop_obj = shop_obj or {"id": shop.get("id")}
        except (NotFoundError, ForbiddenError):
            pass  # a buyer-only account or a token without read_profile on /shop
        seller = shop_obj.get("id") or account.get("user_id") or account.get("id") or ""
        return AccountInfo(
            seller_id=str(seller),
            shop_name=shop_name if isinstance(shop_name, str) else None,
            shop_currency=shop_currency,
            email=account.get("email") if isinstance(account.get("email"), str) else None,
        )

    async def update_listing_inventory(
        self, listing_id: str, inventory: int, has_inventory: bool
    ) -> Any:
        """PUT an absolute inventory: idempotent, so retried like a read."""
        return await self.request(
            "PUT",
            f"/listings/{listing_id}",
            json_body={"has_inventory": has_inventory, "inventory": inventory},
            idempotent=True,
        )

    async def get_order(self, order_number: str) -> dict:
        return await self.get_object(f"/my/orders/selling/{order_number}")

    async def ship_order(
        self, order_number: str, provider: str, tracking_number: str, send_notification: bool = True
    ) -> Any:
        """Mark shipped. Not idempotent: never retried after it may have reached Reverb."""
        return await self.request(
            "POST",
            f"/my/orders/selling/{order_number}/ship",
            json_body={
                "provider": provider,
                "tracking_number": tracking_number,
                "send_notification": send_notification,
            },
            idempotent=False,
        )

    async def mark_picked_up(self, order_number: str) -> Any:
        """Mark a local pickup order picked up. Not idempotent, like ``ship_order``: never
        retried after it may have reached Reverb (the caller re-reads the order instead)."""
        return await self.request(
            "POST",
            f"/my/orders/selling/{order_number}/mark_picked_up",
            json_body={},  # Reverb's optional "date" left out: today
            idempotent=False,
        )

    async def shipping_providers(self) -> list[str]:
        body = await self.get("/shipping/providers")
        return parse_providers(body)


def parse_providers(body: Any) -> list[str]:
    """Provider names from an undocumented shape: a list, or the first list in an object."""
    items: Any = body
    if isinstance(body, dict):
        items = body.get("shipping_providers") or body.get("providers")
        if items is None:
            items = next((v for v in body.values() if isinstance(v, list)), [])
    names: list[str] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, str):
            name = item
        elif isinstance(item, dict):
            name = item.get("name") or item.get("provider") or item.get("display_name") or ""
        else:
            continue
        name = str(name).strip()
        if name and name not in names:
            names.append(name)
    return names


def _path(url: str) -> str:
    return urlsplit(url).path or url


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def is_refusal(exc: BaseException) -> bool:
    return isinstance(exc, RefusedError)


__all__ = [
    "PER_PAGE",
    "AccountInfo",
    "ClientFactory",
    "RetryPolicy",
    "ReverbClient",
    "parse_providers",
]

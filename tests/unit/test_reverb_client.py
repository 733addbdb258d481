"""The async Reverb client against respx: headers, typed errors, retries, links, sites.

Sleeps are recorded instead of waited (the client takes ``sleep=``) and the rate limiter is a
recording stand-in, so retry timing is asserted exactly and the file runs in well under a second.
"""

from __future__ import annotations

import json
import traceback
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import respx

from reverb_tui.errors import AppError, UserError
from reverb_tui.reverb import client as client_mod
from reverb_tui.reverb.client import RetryPolicy, ReverbClient, parse_providers
from reverb_tui.reverb.errors import (
    AuthError,
    BadResponseError,
    ForbiddenError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    ReverbError,
    ServerError,
    ValidationError,
)
from reverb_tui.reverb.ratelimit import Kind
from reverb_tui.reverb.sites import (
    CURRENCIES,
    PRODUCTION_URL,
    SANDBOX_URL,
    resolve_site,
    validate_currency,
)
from tests.conftest import SECRET_TOKEN

API = "https://api.reverb.com/api"


class FakeLimiter:
    """A ``TokenBudget`` stand-in that grants at once and records pauses and lowerings."""

    def __init__(self) -> None:
        self.acquired = 0
        self.pauses: list[float] = []
        self.lowered: list[Kind] = []

    async def acquire(self, kind: Kind = Kind.READ) -> float:
        self.acquired += 1
        return float(self.acquired)

    def pause(self, seconds: float, kind: Kind | None = None) -> None:
        self.pauses.append(seconds)

    def lower(self, kind: Kind, granted_at: float | None = None) -> bool:
        self.lowered.append(kind)
        return True

    def per_minute(self, kind: Kind) -> int:
        return 600

    def per_second(self, kind: Kind) -> float:
        return 10.0


class Harness:
    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.limiter = FakeLimiter()
        self.clients: list[ReverbClient] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def client(self, api_url: str = API, token: str = SECRET_TOKEN, **retry) -> ReverbClient:
        policy = RetryPolicy(
            max_attempts=retry.get("max_attempts", 4),
            budget_seconds=retry.get("budget_seconds", 60.0),
            base_delay=retry.get("base_delay", 0.5),
            max_delay=retry.get("max_delay", 8.0),
        )
        c = ReverbClient(api_url, token, retry=policy, limiter=self.limiter, sleep=self.sleep)
        self.clients.append(c)
        return c


@pytest.fixture
def api():
    with respx.mock(base_url=API, assert_all_called=False) as router:
        yield router


@pytest.fixture
async def h(monkeypatch: pytest.MonkeyPatch):
    # Full backoff, no jitter: delays are base * 2**(attempt-1), capped.
    monkeypatch.setattr(client_mod.random, "random", lambda: 1.0)
    harness = Harness()
    yield harness
    for c in harness.clients:
        await c.aclose()


def assert_one_sentence(exc: BaseException) -> str:
    text = str(exc)
    assert text and "\n" not in text and text.endswith("."), text
    assert SECRET_TOKEN not in text and SECRET_TOKEN not in repr(exc)
    assert SECRET_TOKEN not in "".join(traceback.format_exception(exc))
    return text


# -- headers ---------------------------------------------------------------------------------


async def test_every_request_carries_version_hal_json_and_bearer(api, h) -> None:
    get = api.get("/my/account").respond(200, json={"user_id": 1})
    put = api.put("/listings/77").respond(200, json={})
    c = h.client()
    assert await c.get("/my/account") == {"user_id": 1}
    await c.update_listing_inventory("77", 3, True)
    for route in (get, put):
        req = route.calls.last.request
        assert req.headers["Accept-Version"] == "3.0"
        assert req.headers["Accept"] == "application/hal+json"
        assert req.headers["Content-Type"] == "application/hal+json"
        assert req.headers["Authorization"] == f"Bearer {SECRET_TOKEN}"
    assert json.loads(put.calls.last.request.content) == {"has_inventory": True, "inventory": 3}
    assert h.limiter.acquired == 2  # every attempt goes through the rate limiter


async def test_redirects_are_not_followed(api, h) -> None:
    """A redirect could carry the token to another host."""
    api.get("/my/account").respond(302, headers={"Location": "https://evil.example/steal"})
    with pytest.raises(ReverbError) as ei:
        await h.client(max_attempts=1).get("/my/account")
    assert "302" in assert_one_sentence(ei.value)


# -- typed errors ----------------------------------------------------------------------------


async def test_401_is_auth_error_with_reverbs_reason(api, h) -> None:
    api.get("/my/account").respond(
        401, json={"message": "Please log in to view your listings.", "details": "Invalid token."}
    )
    with pytest.raises(AuthError) as ei:
        await h.client().get("/my/account")
    text = assert_one_sentence(ei.value)
    assert text.startswith("Reverb refused this token")
    assert "Please log in to view your listings" in text
    assert ei.value.exit_code == 2 and ei.value.status == 401
    assert len(api.calls) == 1  # a refusal is never retried


async def test_error_body_echoing_the_token_is_masked(api, h) -> None:
    api.get("/my/account").respond(401, json={"message": f"Invalid token {SECRET_TOKEN}"})
    with pytest.raises(AuthError) as ei:
        await h.client().get("/my/account")
    text = assert_one_sentence(ei.value)
    assert SECRET_TOKEN[-4:] in text  # the masked tail is fine


@pytest.mark.parametrize(
    ("status", "cls", "words"),
    [
        (403, ForbiddenError, "refused access (403)"),
        (404, NotFoundError, "no such resource"),
    ],
)
async def test_403_and_404(api, h, status, cls, words) -> None:
    api.get("/listings/1").respond(status, json={"message": "Nope."})
    with pytest.raises(cls) as ei:
        await h.client().get("/listings/1")
    text = assert_one_sentence(ei.value)
    assert words in text and "Nope" in text
    assert ei.value.exit_code == 2
    assert len(api.calls) == 1


@pytest.mark.parametrize("status", [400, 406, 412, 422])
async def test_validation_errors_carry_the_errors_body(api, h, status) -> None:
    body = {
        "message": "Listing could not be updated.",
        "errors": {"inventory": ["must be greater than or equal to 0"]},
    }
    api.put("/listings/5").respond(status, json=body)
    with pytest.raises(ValidationError) as ei:
        await h.client().update_listing_inventory("5", -1, False)
    text = assert_one_sentence(ei.value)
    assert "Listing could not be updated" in text
    assert "inventory must be greater than or equal to 0" in text
    assert f"({status})" in text
    assert ei.value.errors == body["errors"]
    assert ei.value.status == status and ei.value.exit_code == 2
    assert len(api.calls) == 1


async def test_validation_error_with_flat_list_and_error_key(api, h) -> None:
    api.post("/my/orders/selling/9/ship").respond(
        422, json={"error": "Order cannot be shipped", "errors": ["already shipped"]}
    )
    with pytest.raises(ValidationError) as ei:
        await h.client().ship_order("9", "UPS", "1Z")
    text = assert_one_sentence(ei.value)
    assert "Order cannot be shipped" in text and "already shipped" in text
    assert ei.value.errors == ["already shipped"]


async def test_validation_error_without_body(api, h) -> None:
    api.put("/listings/5").respond(400, text="")
    with pytest.raises(ValidationError) as ei:
        await h.client().update_listing_inventory("5", 1, True)
    assert "(400)" in assert_one_sentence(ei.value)
    assert ei.value.errors is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_is_server_error(api, h, status) -> None:
    api.get("/my/account").respond(status, text="<html>oops</html>")
    with pytest.raises(ServerError) as ei:
        await h.client(max_attempts=1).get("/my/account")
    text = assert_one_sentence(ei.value)
    assert f"Reverb answered {status}" in text
    assert ei.value.exit_code == 1


async def test_429_without_retry_after(api, h) -> None:
    api.get("/my/account").respond(429)
    with pytest.raises(RateLimitedError) as ei:
        await h.client(max_attempts=1).get("/my/account")
    assert "429" in assert_one_sentence(ei.value)
    assert ei.value.retry_after is None and ei.value.exit_code == 1


async def test_429_retry_after_seconds(api, h) -> None:
    api.get("/my/account").respond(429, headers={"Retry-After": "12"})
    with pytest.raises(RateLimitedError) as ei:
        await h.client(max_attempts=1).get("/my/account")
    assert ei.value.retry_after == 12.0


async def test_429_retry_after_http_date(api, h) -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)
    api.get("/my/account").respond(429, headers={"Retry-After": format_datetime(when, True)})
    with pytest.raises(RateLimitedError) as ei:
        await h.client(max_attempts=1).get("/my/account")
    assert 27 <= ei.value.retry_after <= 30


async def test_429_retry_after_garbage_is_ignored(api, h) -> None:
    api.get("/my/account").respond(429, headers={"Retry-After": "soon-ish"})
    with pytest.raises(RateLimitedError) as ei:
        await h.client(max_attempts=1).get("/my/account")
    assert ei.value.retry_after is None


@pytest.mark.parametrize(
    ("exc", "words", "sent"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), "Cannot reach Reverb at", False),
        (httpx.ConnectTimeout("timed out"), "Cannot reach Reverb at", False),
        (httpx.ReadTimeout("timed out"), "did not answer in time", True),
        (httpx.RemoteProtocolError("peer closed"), "connection to Reverb", True),
    ],
)
async def test_network_failures(api, h, exc, words, sent) -> None:
    api.get("/my/account").mock(side_effect=exc)
    with pytest.raises(NetworkError) as ei:
        await h.client(max_attempts=1).get("/my/account")
    text = assert_one_sentence(ei.value)
    assert words in text and "api.reverb.com" in text
    assert ei.value.sent is sent and ei.value.exit_code == 1


async def test_malformed_json_is_bad_response(api, h) -> None:
    api.get("/my/account").respond(200, text="{not json", headers={"Content-Type": "text/html"})
    with pytest.raises(BadResponseError) as ei:
        await h.client(max_attempts=1).get("/my/account")
    assert "not valid JSON" in assert_one_sentence(ei.value)


async def test_undecodable_body_is_bad_response(api, h) -> None:
    api.get("/my/account").mock(side_effect=httpx.DecodingError("bad gzip"))
    with pytest.raises(BadResponseError) as ei:
        await h.client(max_attempts=1).get("/my/account")
    assert_one_sentence(ei.value)


async def test_unexpected_shape_for_an_object(api, h) -> None:
    api.get("/my/account").respond(200, json=["not", "an", "object"])
    with pytest.raises(BadResponseError):
        await h.client(max_attempts=1).get_object("/my/account")


async def test_all_errors_are_app_errors_and_client_repr_hides_token(h) -> None:
    c = h.client()
    assert SECRET_TOKEN not in repr(c) and SECRET_TOKEN not in str(c)
    for cls in (AuthError, ServerError, NetworkError, RateLimitedError, ValidationError):
        assert issubclass(cls, AppError)


# -- retries ---------------------------------------------------------------------------------


async def test_get_retries_5xx_then_succeeds(api, h) -> None:
    route = api.get("/my/account")
    route.side_effect = [httpx.Response(503), httpx.Response(502), httpx.Response(200, json={})]
    c = h.client()
    assert await c.get("/my/account") == {}
    assert route.call_count == 3
    assert h.sleeps == [0.5, 1.0]  # exponential backoff
    assert c.retries == 2 and c.requests == 3


async def test_get_retries_timeouts_then_succeeds(api, h) -> None:
    route = api.get("/my/account")
    route.side_effect = [httpx.ReadTimeout("t"), httpx.ReadTimeout("t"), httpx.Response(200)]
    assert await h.client().get("/my/account") is None
    assert route.call_count == 3


async def test_get_gives_up_after_max_attempts_with_the_typed_error(api, h) -> None:
    route = api.get("/my/account").respond(503)
    with pytest.raises(ServerError):
        await h.client(max_attempts=4).get("/my/account")
    assert route.call_count == 4
    assert h.sleeps == [0.5, 1.0, 2.0]


async def test_get_gives_up_when_the_retry_budget_is_spent(api, h) -> None:
    route = api.get("/my/account").mock(side_effect=httpx.ReadTimeout("t"))
    with pytest.raises(NetworkError):
        await h.client(max_attempts=10, budget_seconds=2.0).get("/my/account")
    # 0.5 + 1.0 fit in the 2 s budget; the next 2.0 would not.
    assert h.sleeps == [0.5, 1.0]
    assert route.call_count == 3


async def test_get_backoff_is_capped(api, h) -> None:
    api.get("/my/account").respond(500)
    with pytest.raises(ServerError):
        await h.client(max_attempts=6, max_delay=1.5, budget_seconds=100).get("/my/account")
    assert h.sleeps == [0.5, 1.0, 1.5, 1.5, 1.5]


async def test_429_honours_retry_after_and_pauses_the_token(api, h) -> None:
    route = api.get("/my/account")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "3"}),
        httpx.Response(200, json={"ok": True}),
    ]
    assert await h.client().get("/my/account") == {"ok": True}
    assert h.sleeps == [3.0]
    assert h.limiter.pauses == [3.0]  # every request of this token waits, not just this one


async def test_429_http_date_retry_after_is_waited(api, h) -> None:
    when = datetime.now(UTC) + timedelta(seconds=5)
    route = api.get("/my/account")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": format_datetime(when, True)}),
        httpx.Response(200, json={}),
    ]
    await h.client().get("/my/account")
    assert len(h.sleeps) == 1 and 3 <= h.sleeps[0] <= 5


async def test_429_without_retry_after_backs_off(api, h) -> None:
    route = api.get("/my/account")
    route.side_effect = [httpx.Response(429), httpx.Response(429), httpx.Response(200, json={})]
    await h.client().get("/my/account")
    assert h.sleeps == [0.5, 1.0]


async def test_429_retry_after_beyond_the_budget_fails_at_once(api, h) -> None:
    route = api.get("/my/account").respond(429, headers={"Retry-After": "30"})
    with pytest.raises(RateLimitedError):
        await h.client(budget_seconds=10, max_delay=20).get("/my/account")
    assert route.call_count == 1 and h.sleeps == []


async def test_429_forever_ends_in_rate_limited_error(api, h) -> None:
    route = api.get("/my/account").respond(429, headers={"Retry-After": "1"})
    with pytest.raises(RateLimitedError) as ei:
        await h.client(max_attempts=3).get("/my/account")
    assert route.call_count == 3 and ei.value.exit_code == 1


@pytest.mark.parametrize(
    "first",
    [httpx.Response(502), httpx.ReadTimeout("t"), httpx.Response(429)],
    ids=["5xx", "timeout", "429"],
)
async def test_put_inventory_is_retried_as_idempotent(api, h, first) -> None:
    route = api.put("/listings/42")
    route.side_effect = [first, httpx.Response(200, json={"inventory": 2})]
    assert await h.client().update_listing_inventory("42", 2, True) == {"inventory": 2}
    assert route.call_count == 2
    bodies = [json.loads(call.request.content) for call in route.calls]
    assert bodies == [{"has_inventory": True, "inventory": 2}] * 2  # same absolute value


@pytest.mark.parametrize(
    ("first", "error"),
    [
        (httpx.ReadTimeout("t"), NetworkError),
        (httpx.RemoteProtocolError("dropped"), NetworkError),
        (httpx.Response(500), ServerError),
        (httpx.Response(503), ServerError),
        (httpx.Response(200, text="<html>"), BadResponseError),
    ],
    ids=["read-timeout", "dropped", "500", "503", "garbled-200"],
)
async def test_ship_is_not_retried_once_it_may_have_reached_reverb(api, h, first, error) -> None:
    route = api.post("/my/orders/selling/1001/ship")
    route.side_effect = [first, httpx.Response(200, json={})]
    with pytest.raises(error):
        await h.client().ship_order("1001", "UPS", "1Z999")
    assert route.call_count == 1
    assert h.sleeps == []


@pytest.mark.parametrize(
    "first",
    [
        httpx.Response(429, headers={"Retry-After": "2"}),
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("no route"),
    ],
    ids=["429", "connect-refused", "connect-timeout"],
)
async def test_ship_is_retried_when_reverb_never_processed_it(api, h, first) -> None:
    route = api.post("/my/orders/selling/1001/ship")
    route.side_effect = [first, httpx.Response(200, json={"status": "shipped"})]
    assert await h.client().ship_order("1001", "UPS", "1Z999") == {"status": "shipped"}
    assert route.call_count == 2
    body = json.loads(route.calls.last.request.content)
    assert body == {"provider": "UPS", "tracking_number": "1Z999", "send_notification": True}


async def test_connect_failures_retried_on_get_too(api, h) -> None:
    route = api.get("/my/account")
    route.side_effect = [httpx.ConnectError("refused"), httpx.Response(200, json={})]
    await h.client().get("/my/account")
    assert route.call_count == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
async def test_refusals_are_never_retried(api, h, status) -> None:
    route = api.get("/my/account").respond(status, json={"message": "no"})
    with pytest.raises(ReverbError):
        await h.client().get("/my/account")
    assert route.call_count == 1 and h.sleeps == []


async def test_token_absent_from_every_error_after_retries(api, h) -> None:
    scenarios = [
        httpx.Response(401, json={"message": "bad"}),
        httpx.Response(500),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("t"),
        httpx.Response(429),
        httpx.Response(422, json={"errors": {"x": ["y"]}}),
    ]
    for outcome in scenarios:
        api.routes.clear()
        api.get("/my/account").mock(side_effect=[outcome] * 3)
        with pytest.raises(ReverbError) as ei:
            await h.client(max_attempts=3).get("/my/account")
        assert_one_sentence(ei.value)
        for linked in (ei.value.__cause__, ei.value.__context__):
            if linked is not None:
                assert SECRET_TOKEN not in str(linked) and SECRET_TOKEN not in repr(linked)


# -- links -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/my/account", f"{API}/my/account"),
        ("my/account", f"{API}/my/account"),
        (
            "/api/my/orders/selling/all?page=3&per_page=50",
            f"{API}/my/orders/selling/all?page=3&per_page=50",
        ),
        ("my/orders/selling/all?page=2", f"{API}/my/orders/selling/all?page=2"),
        ("https://api.reverb.com/api/listings/9", "https://api.reverb.com/api/listings/9"),
        ("https://API.Reverb.com/api/listings/9", "https://API.Reverb.com/api/listings/9"),
        ("/api", "https://api.reverb.com/api"),
    ],
)
async def test_url_resolves_hrefs_against_the_site(h, href, expected) -> None:
    assert h.client().url(href) == expected


@pytest.mark.parametrize(
    "href",
    [
        "https://reverb.com/api/listings/9",
        "https://evil.example/api/my/account",
        "http://api.reverb.com/api/listings/9",  # downgraded scheme
        "//evil.example/api/listings",
        "https://api.reverb.com@evil.example/api",
        "https://api.reverb.com:8443/api/listings/9",
    ],
)
async def test_url_refuses_another_host(api, h, href) -> None:
    c = h.client()
    with pytest.raises(ReverbError) as ei:
        c.url(href)
    assert "not this integration's site" in assert_one_sentence(ei.value)
    with pytest.raises(ReverbError):
        await c.get(href)
    assert c.requests == 0 and len(api.calls) == 0  # the token went nowhere


async def test_relative_next_link_is_fetched_from_the_site(api, h) -> None:
    route = api.get("/my/orders/selling/all", params={"page": "3", "per_page": "50"}).respond(
        200, json={"orders": []}
    )
    await h.client().get("/api/my/orders/selling/all?page=3&per_page=50")
    assert route.called
    assert str(route.calls.last.request.url).startswith("https://api.reverb.com/api/my/orders/")


async def test_site_without_a_path(h) -> None:
    c = h.client("http://127.0.0.1:8765")
    assert c.url("/my/account") == "http://127.0.0.1:8765/my/account"
    assert c.url("my/account") == "http://127.0.0.1:8765/my/account"
    assert c.url("http://127.0.0.1:8765/x?page=2") == "http://127.0.0.1:8765/x?page=2"
    with pytest.raises(ReverbError):
        c.url("http://localhost:8765/x")


# -- paging ----------------------------------------------------------------------------------


def serve_pages(api, pages: dict[int, dict]) -> list[int]:
    """GET /my/things?page=N answers ``pages[N]``; returns the page numbers asked for."""
    asked: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("page", "1"))
        asked.append(n)
        return httpx.Response(200, json=pages[n])

    api.get("/my/things").mock(side_effect=answer)
    return asked


def linked(n: int, items: list, next_page: int | None = None, **extra) -> dict:
    links = {"next": {"href": f"/api/my/things?page={next_page}"}} if next_page else {}
    return {"things": items, "current_page": n, "_links": links, **extra}


async def read_all(walk) -> list:
    return [page async for page in walk]


async def test_pages_follow_next_links_until_there_is_none(api, h) -> None:
    asked = serve_pages(api, {1: linked(1, [1], 2), 2: linked(2, [2], 3), 3: linked(3, [3])})
    pages = await read_all(h.client().pages("/my/things", items="things", max_pages=10))
    assert [p["things"] for p in pages] == [[1], [2], [3]] and asked == [1, 2, 3]


async def test_pages_without_links_count_up_to_total_pages(api, h) -> None:
    asked = serve_pages(
        api,
        {n: {"things": [n], "current_page": n, "total_pages": 3} for n in (1, 2, 3)},
    )
    walk = h.client().pages("/my/things", {"per_page": 2}, items="things", max_pages=10)
    assert [p["things"] for p in await read_all(walk)] == [[1], [2], [3]]
    assert asked == [1, 2, 3]
    assert api.calls.last.request.url.params["per_page"] == "2"  # the caller's params stay


async def test_pages_without_links_stop_at_an_empty_page(api, h) -> None:
    asked = serve_pages(api, {1: {"things": [], "current_page": 1, "total_pages": 5}})
    assert len(await read_all(h.client().pages("/my/things", items="things", max_pages=10))) == 1
    assert asked == [1]


async def test_a_next_link_back_to_a_page_already_read_ends_the_walk(api, h) -> None:
    asked = serve_pages(api, {1: linked(1, [1], 2), 2: linked(2, [2], 2)})
    assert len(await read_all(h.client().pages("/my/things", items="things", max_pages=10))) == 2
    assert asked == [1, 2]


async def test_a_walk_past_max_pages_stops_with_one_sentence(api, h) -> None:
    asked = serve_pages(api, {n: linked(n, [n], n + 1) for n in range(1, 10)})
    with pytest.raises(BadResponseError) as ei:
        await read_all(h.client().pages("/my/things", items="things", max_pages=3))
    assert "past 3 pages" in assert_one_sentence(ei.value)
    assert asked == [1, 2, 3]


async def test_pages_never_follow_a_next_link_to_another_host(api, h) -> None:
    first = linked(1, [1])
    first["_links"]["next"] = {"href": "https://evil.example/api/my/things?page=2"}
    serve_pages(api, {1: first})
    c = h.client()
    with pytest.raises(ReverbError, match="evil.example"):
        await read_all(c.pages("/my/things", items="things", max_pages=10))
    assert c.requests == 1


async def test_pages_start_from_a_page_the_caller_has_read(api, h) -> None:
    asked = serve_pages(api, {2: linked(2, [2])})
    walk = h.client().pages("/my/things", items="things", max_pages=10, first=linked(1, [1], 2))
    assert [p["things"] for p in await read_all(walk)] == [[1], [2]]
    assert asked == [2]


async def test_before_request_can_stop_a_walk_between_pages(api, h) -> None:
    asked = serve_pages(api, {1: linked(1, [1], 2), 2: linked(2, [2], 3)})

    class Stopped(Exception):
        pass

    calls = []

    def before() -> None:
        calls.append(len(asked))
        if len(asked) == 2:
            raise Stopped

    seen = []
    with pytest.raises(Stopped):
        async for page in h.client().pages(
            "/my/things", items="things", max_pages=10, before_request=before
        ):
            seen.append(page["things"])
    assert calls == [0, 1, 2] and asked == [1, 2] and seen == [[1], [2]]


async def test_a_page_whose_items_are_not_a_list_is_a_bad_response(api, h) -> None:
    serve_pages(api, {1: {"things": {"oops": 1}}})
    with pytest.raises(BadResponseError) as ei:
        await read_all(h.client().pages("/my/things", items="things", max_pages=10))
    assert "without a list of things" in assert_one_sentence(ei.value)


# -- endpoints -------------------------------------------------------------------------------


async def test_verify_reads_account_and_shop(api, h) -> None:
    api.get("/my/account").respond(
        200, json={"user_id": 55, "email": "s@example.com", "shop": {"id": 7, "name": "Old"}}
    )
    api.get("/shop").respond(200, json={"id": 7, "name": "Fuzz Shop", "currency": "EUR"})
    info = await h.client().verify()
    assert (info.seller_id, info.shop_name, info.shop_currency, info.email) == (
        "7",
        "Fuzz Shop",
        "EUR",
        "s@example.com",
    )


async def test_verify_without_shop_access_uses_the_account(api, h) -> None:
    api.get("/my/account").respond(200, json={"user_id": 55, "shop": {"name": "Mine"}})
    api.get("/shop").respond(403, json={"message": "missing scope"})
    info = await h.client().verify()
    assert info.seller_id == "55" and info.shop_name == "Mine" and info.shop_currency is None


async def test_verify_refused_token(api, h) -> None:
    api.get("/my/account").respond(401, json={"message": "Invalid token"})
    with pytest.raises(AuthError):
        await h.client().verify()


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ({"shipping_providers": [{"name": "UPS"}, {"name": "USPS"}]}, ["UPS", "USPS"]),
        (["UPS", "FedEx", "UPS", " DHL "], ["UPS", "FedEx", "DHL"]),
        ({"providers": [{"provider": "Royal Mail"}]}, ["Royal Mail"]),
        ({"_links": {}, "data": [{"display_name": "Canada Post"}]}, ["Canada Post"]),
        ({"shipping_providers": [{"name": ""}, None, 5, {"name": "Other"}]}, ["Other"]),
        ({"shipping_providers": []}, []),
        ({}, []),
        (None, []),
        ("UPS", []),
    ],
)
def test_parse_providers(body, names) -> None:
    assert parse_providers(body) == names


async def test_shipping_providers_endpoint(api, h) -> None:
    api.get("/shipping/providers").respond(
        200, json={"shipping_providers": [{"name": "UPS"}, {"name": "Other"}]}
    )
    assert await h.client().shipping_providers() == ["UPS", "Other"]


# -- sites and currencies --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("site", "stored", "url"),
    [
        ("production", "production", PRODUCTION_URL),
        (" Sandbox ", "sandbox", SANDBOX_URL),
        ("PRODUCTION", "production", PRODUCTION_URL),
        ("https://reverb.example.com/api/", "https://reverb.example.com/api", None),
        ("http://127.0.0.1:8080/api", "http://127.0.0.1:8080/api", None),
        ("http://[::1]:8080/api", "http://[::1]:8080/api", None),
        ("http://localhost:9000", "http://localhost:9000", None),
    ],
)
def test_sites_accepted(site, stored, url) -> None:
    key, api_url = resolve_site(site)
    assert key == stored
    assert api_url == (url or stored)
    assert PRODUCTION_URL.startswith("https://") and SANDBOX_URL.startswith("https://")


@pytest.mark.parametrize(
    ("site", "words"),
    [
        ("", "empty"),
        ("prod", "Unknown site"),
        ("api.reverb.com/api", "Unknown site"),
        ("http://api.reverb.com/api", "plain http"),
        ("http://192.168.1.5/api", "plain http"),
        ("http://localhost.evil.example/api", "plain http"),
        ("http://127.0.0.1.nip.io/api", "plain http"),
        ("ftp://reverb.example.com", "not a valid"),
        ("https://", "not a valid"),
        ("https://reverb.example.com:abc/api", "not a valid"),
        ("https://reverb.example.com:99999/api", "not a valid"),
        ("https://rev erb.example.com/api", "not a valid"),
        ("https://[::1/api", "not a valid"),
        ("https://user:pw@reverb.example.com/api", "user name or password"),
        ("https://reverb.example.com/api?x=1", "query or fragment"),
        ("https://reverb.example.com/api#top", "query or fragment"),
    ],
)
def test_sites_refused_with_one_sentence(site, words) -> None:
    with pytest.raises(UserError) as ei:
        resolve_site(site)
    text = str(ei.value)
    assert words in text and "\n" not in text and text.endswith(".")
    assert ei.value.exit_code == 2
    assert "pw" not in text


def test_currencies() -> None:
    assert CURRENCIES == ("USD", "CAD", "EUR", "GBP", "AUD", "JPY", "NZD", "MXN")
    assert validate_currency(" eur ") == "EUR"
    assert validate_currency("jpy") == "JPY"
    for bad in ("", "XYZ", "US", "usd!", None):
        with pytest.raises(UserError) as ei:
            validate_currency(bad)
        assert "Unknown currency" in str(ei.value) and "USD" in str(ei.value)

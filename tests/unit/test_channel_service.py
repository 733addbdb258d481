"""The integration lifecycle service: every refusal is one sentence and changes nothing."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import select

from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import Channel
from reverb_tui.errors import AppError, NotFound, UserError
from reverb_tui.reverb.client import RetryPolicy, ReverbClient
from reverb_tui.reverb.errors import AuthError, NetworkError, ServerError
from reverb_tui.reverb.sites import PRODUCTION_URL, SANDBOX_URL
from reverb_tui.services.channels import DEFAULT_SINCE_DAYS, channel_json
from tests.conftest import CHANNEL_KEYS, SECRET_TOKEN, fast_client_factory
from tests.db_rows import add_channel
from tests.fakes.reverb import Account, FakeReverb

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OTHER_TOKEN = "tok_OTHER_aaaabbbbccccddddeeee1234"


# The two sellers this Reverb knows.
ACCOUNTS = {
    SECRET_TOKEN: Account(shop_id=7001, shop="Fuzz Boxes", currency="EUR", user_id=1),
    OTHER_TOKEN: Account(shop_id=8002, shop="Other Shop", currency="USD", user_id=1),
}


@pytest.fixture
def reverb() -> FakeReverb:
    return FakeReverb(accounts=dict(ACCOUNTS))


@pytest.fixture
def svc(make_services, reverb):
    return make_services(clock=lambda: NOW, client_factory=fast_client_factory(reverb.transport))


def snapshot(svc) -> list[tuple]:
    """Every column of every channel row, removed ones included."""
    with session_scope(svc.engine) as s:
        rows = s.exec(select(Channel).order_by(Channel.id)).all()
        return [tuple(sorted(r.model_dump().items())) for r in rows]


def one_sentence(exc: BaseException) -> str:
    text = str(exc)
    assert text and "\n" not in text and text.endswith("."), text
    assert SECRET_TOKEN not in text and OTHER_TOKEN not in text
    return text


async def add(svc, name: str = "Main Shop", **kw):
    kw.setdefault("currency", "usd")
    kw.setdefault("token", SECRET_TOKEN)
    return await svc.channels.add(name=name, **kw)


# -- add -------------------------------------------------------------------------------------


async def test_add_verifies_then_stores_account_details(svc, reverb) -> None:
    ch = await add(svc, "  Main Shop ")
    assert ch.id is not None
    stored = svc.channels.get("main shop")
    assert stored.name == "Main Shop"  # trimmed
    assert (stored.seller_id, stored.shop_name, stored.shop_currency) == (
        "7001",
        "Fuzz Boxes",
        "EUR",
    )
    assert stored.enabled is True and stored.stock_updates is False
    assert stored.currency == "USD"
    assert (stored.site, stored.api_url) == ("production", PRODUCTION_URL)
    assert stored.orders_since == NOW - timedelta(days=DEFAULT_SINCE_DAYS)
    assert stored.token == SECRET_TOKEN  # the sync needs it ...
    doc = channel_json(stored)
    assert CHANNEL_KEYS <= doc.keys()
    assert SECRET_TOKEN not in repr(doc) and SECRET_TOKEN not in repr(stored)  # ... nobody sees it
    urls = [u for u, _ in reverb.calls]
    assert urls == [f"{PRODUCTION_URL}/my/account", f"{PRODUCTION_URL}/shop"]
    assert {t for _, t in reverb.calls} == {SECRET_TOKEN}


async def test_add_on_sandbox_and_custom_loopback_site(svc, reverb) -> None:
    await add(svc, "Sandbox", site="sandbox")
    await add(svc, "Local", site="http://127.0.0.1:9999/api/", token=OTHER_TOKEN)
    sb, local = svc.channels.get("Sandbox"), svc.channels.get("Local")
    assert (sb.site, sb.api_url) == ("sandbox", SANDBOX_URL)
    assert (local.site, local.api_url) == ("http://127.0.0.1:9999/api",) * 2
    assert reverb.calls[0][0] == f"{SANDBOX_URL}/my/account"
    assert reverb.calls[2][0] == "http://127.0.0.1:9999/api/my/account"


async def test_add_orders_since(svc, reverb) -> None:
    await add(svc, "A", since="2026-01-31")
    await add(svc, "B", since="2026-02-01T10:00:00Z", token=OTHER_TOKEN)
    assert svc.channels.get("A").orders_since == datetime(2026, 1, 31, tzinfo=UTC)
    assert svc.channels.get("B").orders_since == datetime(2026, 2, 1, 10, tzinfo=UTC)


BAD_ADDS = [
    ({"name": ""}, UserError, "name is empty"),
    ({"name": "   \t "}, UserError, "name is empty"),
    ({"name": "x" * 61}, UserError, "longer than"),
    ({"name": "bad\x07name"}, UserError, "control characters"),
    ({"name": "main shop"}, UserError, "already exists"),
    ({"name": " MAIN SHOP  "}, UserError, "already exists"),
    ({"currency": "XYZ"}, UserError, "Unknown currency"),
    ({"currency": ""}, UserError, "Unknown currency"),
    ({"site": "http://api.reverb.com/api"}, UserError, "plain http"),
    ({"site": "reverb"}, UserError, "Unknown site"),
    ({"site": "https://exa mple.com/api"}, UserError, "not a valid"),
    ({"site": "ftp://api.reverb.com/api"}, UserError, "not a valid"),
    ({"token": ""}, UserError, "token is empty"),
    ({"token": "    "}, UserError, "token is empty"),
    ({"token": None}, UserError, "token is empty"),
    ({"token": "short"}, UserError, "does not look like"),
    ({"token": "tok_with space_12345678"}, UserError, "does not look like"),
    ({"token": "tok_\u201csmart\u201d_12345678"}, UserError, "does not look like"),
    ({"since": "last tuesday"}, UserError, "not an ISO date"),
    ({"since": "2099-01-01"}, UserError, "in the future"),
]


@pytest.mark.parametrize(("kw", "cls", "words"), BAD_ADDS)
async def test_bad_input_is_refused_before_reverb_and_changes_nothing(
    svc, reverb, kw, cls, words
) -> None:
    add_channel(svc, "Main Shop", token=OTHER_TOKEN, seller_id="8002")
    before = snapshot(svc)
    args = {"name": "New Shop", **kw}
    with pytest.raises(cls) as ei:
        await add(svc, **args)
    assert words in one_sentence(ei.value)
    assert ei.value.exit_code == 2
    assert snapshot(svc) == before
    assert reverb.calls == []  # nothing was sent anywhere


@pytest.mark.parametrize(
    ("outage", "cls", "words", "code"),
    [
        (None, AuthError, "Reverb refused this token", 2),
        (httpx.ConnectError("refused"), NetworkError, "Cannot reach Reverb at api.reverb.com", 1),
        (httpx.ConnectTimeout("slow"), NetworkError, "Cannot reach Reverb at api.reverb.com", 1),
        (httpx.ReadTimeout("slow"), NetworkError, "did not answer in time", 1),
        (503, ServerError, "Reverb answered 503", 1),
    ],
    ids=["401", "unreachable", "connect-timeout", "timeout", "503"],
)
async def test_reverb_failures_save_nothing(svc, reverb, outage, cls, words, code) -> None:
    reverb.outage = outage
    token = "tok_refused_by_reverb_123" if outage is None else SECRET_TOKEN
    with pytest.raises(cls) as ei:
        await add(svc, token=token)
    assert words in one_sentence(ei.value)
    assert ei.value.exit_code == code
    assert snapshot(svc) == []
    assert svc.channels.list() == []


async def test_verification_retries_briefly_then_gives_up(make_services, reverb) -> None:
    """A person is waiting: at most 3 attempts, even if the client factory allows more."""

    def patient_factory(api_url: str, token: str, rate_limit: float) -> ReverbClient:
        return ReverbClient(
            api_url,
            token,
            rate_limit=1000,
            transport=reverb.transport,
            retry=RetryPolicy(max_attempts=10, budget_seconds=60, base_delay=0.01, max_delay=0.02),
        )

    svc = make_services(clock=lambda: NOW, client_factory=patient_factory)
    reverb.outage = 503
    started = time.monotonic()
    with pytest.raises(ServerError):
        await add(svc)
    assert len(reverb.calls) == 3
    # The factory's quick backoff is kept (not replaced by a slower default).
    assert time.monotonic() - started < 0.5
    reverb.outage = None
    ch = await add(svc)  # Reverb is back: the same input now works
    assert ch.seller_id == "7001"


async def test_name_taken_while_verifying_is_refused(svc, reverb) -> None:
    """Another window adds the same name while Reverb is being asked: only one row results."""

    def race(request: httpx.Request) -> None:  # a before-hook: answers nothing itself
        if request.url.path.endswith("/shop") and not svc.channels.name_taken("Main Shop"):
            add_channel(svc, "Main Shop", token=OTHER_TOKEN, seller_id="8002")

    reverb.before.append(race)
    with pytest.raises(UserError) as ei:
        await add(svc, "main shop")
    assert "already exists" in one_sentence(ei.value)
    assert [c.name for c in svc.channels.list()] == ["Main Shop"]


# -- enable / disable / remove ---------------------------------------------------------------


async def test_enable_disable_by_any_case(svc, reverb) -> None:
    await add(svc)
    assert svc.channels.set_enabled("MAIN shop", False).enabled is False
    assert svc.channels.get("Main Shop").enabled is False
    assert svc.channels.set_enabled(" main shop ", True).enabled is True
    assert svc.channels.get("Main Shop").enabled is True


@pytest.mark.parametrize("op", ["enable", "disable", "remove", "get", "settings", "reauthorise"])
async def test_unknown_name_is_refused_and_changes_nothing(svc, reverb, op) -> None:
    await add(svc)
    before = snapshot(svc)
    calls = len(reverb.calls)
    with pytest.raises(NotFound) as ei:
        if op == "enable":
            svc.channels.set_enabled("Nope", True)
        elif op == "disable":
            svc.channels.set_enabled("Nope", False)
        elif op == "remove":
            svc.channels.remove("Nope")
        elif op == "get":
            svc.channels.get("Nope")
        elif op == "settings":
            svc.channels.update_settings("Nope", buffer=1)
        else:
            await svc.channels.reauthorise("Nope", token=OTHER_TOKEN)
    assert one_sentence(ei.value) == "There is no integration named 'Nope'."
    assert ei.value.exit_code == 2
    assert snapshot(svc) == before
    assert len(reverb.calls) == calls


async def test_remove_frees_the_name_and_recreate_is_a_new_integration(svc, reverb) -> None:
    old = await add(svc)
    svc.channels.remove("main shop")
    assert svc.channels.list() == []
    with pytest.raises(NotFound):
        svc.channels.get("Main Shop")
    with pytest.raises(NotFound):
        svc.channels.set_enabled(old.id, True)  # the removed row cannot come back by id
    new = await add(svc, "MAIN SHOP")
    assert new.id != old.id
    assert [c.name for c in svc.channels.list()] == ["MAIN SHOP"]
    with session_scope(svc.engine) as s:
        gone = s.get(Channel, old.id)
        # History stays (orders point at it) but it holds no usable token any more.
        assert gone.removed_at == NOW and gone.name_key is None and gone.enabled is False
        assert gone.token != SECRET_TOKEN


async def test_remove_twice_is_refused(svc, reverb) -> None:
    ch = await add(svc)
    svc.channels.remove(ch.id)
    with pytest.raises(NotFound):
        svc.channels.remove(ch.id)
    with pytest.raises(NotFound):
        svc.channels.remove("Main Shop")


# -- reauthorise -----------------------------------------------------------------------------


async def needs_reauth(svc) -> None:
    with session_scope(svc.engine) as s:
        ch = s.exec(select(Channel)).one()
        ch.needs_reauth, ch.last_error = True, "Reverb refused this token (401)."
        s.add(ch)


async def test_reauthorise_with_a_new_token_verifies_then_applies(svc, reverb) -> None:
    await add(svc)
    await needs_reauth(svc)
    reverb.accounts["tok_NEW_token_for_7001_xyz"] = Account(
        shop_id=7001, shop="Fuzz Boxes Renamed", currency="EUR"
    )
    ch = await svc.channels.reauthorise("main shop", token="tok_NEW_token_for_7001_xyz")
    assert ch.token == "tok_NEW_token_for_7001_xyz"
    assert ch.needs_reauth is False and ch.last_error is None
    assert ch.shop_name == "Fuzz Boxes Renamed"
    assert reverb.calls[-1][1] == "tok_NEW_token_for_7001_xyz"


async def test_reauthorise_without_token_reverifies_the_stored_one(svc, reverb) -> None:
    await add(svc)
    await needs_reauth(svc)
    for blank in (None, "", "   "):
        ch = await svc.channels.reauthorise("Main Shop", token=blank)
        assert ch.token == SECRET_TOKEN and ch.needs_reauth is False
    assert reverb.calls[-1][1] == SECRET_TOKEN


async def test_reauthorise_site_change(svc, reverb) -> None:
    await add(svc)
    ch = await svc.channels.reauthorise("Main Shop", site="sandbox", seller_id="7001")
    assert (ch.site, ch.api_url) == ("sandbox", SANDBOX_URL)
    assert reverb.calls[-2][0] == f"{SANDBOX_URL}/my/account"


@pytest.mark.parametrize(
    ("kw", "cls", "words"),
    [
        ({"token": "tok_refused_by_reverb_123"}, AuthError, "Reverb refused this token"),
        ({"seller_id": "9999"}, UserError, "belongs to seller 7001, not 9999"),
        ({"token": OTHER_TOKEN}, UserError, "not to this integration's seller 7001"),
        ({"token": OTHER_TOKEN, "seller_id": "7001"}, UserError, "belongs to seller 8002"),
        ({"site": "http://api.reverb.com/api"}, UserError, "plain http"),
        ({"site": "nowhere"}, UserError, "Unknown site"),
        ({"token": "short"}, UserError, "does not look like"),
    ],
)
async def test_reauthorise_refusals_change_nothing(svc, reverb, kw, cls, words) -> None:
    await add(svc)
    await needs_reauth(svc)
    before = snapshot(svc)
    with pytest.raises(cls) as ei:
        await svc.channels.reauthorise("Main Shop", **kw)
    assert words in one_sentence(ei.value)
    assert isinstance(ei.value, AppError) and ei.value.exit_code == 2
    assert snapshot(svc) == before


async def test_reauthorise_unreachable_changes_nothing(svc, reverb) -> None:
    await add(svc)
    before = snapshot(svc)
    reverb.outage = httpx.ConnectError("down")
    with pytest.raises(NetworkError) as ei:
        await svc.channels.reauthorise("Main Shop", token=OTHER_TOKEN, seller_id="8002")
    assert "Cannot reach Reverb" in one_sentence(ei.value)
    assert snapshot(svc) == before


async def test_reauthorise_can_switch_account_when_asked(svc, reverb) -> None:
    await add(svc)
    ch = await svc.channels.reauthorise("Main Shop", token=OTHER_TOKEN, seller_id=" 8002 ")
    assert (ch.seller_id, ch.shop_name, ch.token) == ("8002", "Other Shop", OTHER_TOKEN)


# -- additional settings ---------------------------------------------------------------------


async def test_update_settings_persist(svc, reverb) -> None:
    await add(svc)
    svc.channels.update_settings(
        "main shop",
        stock_updates=True,
        buffer=2,
        max_quantity=10,
        interval_seconds=300,
        rate_limit=2.5,
        currency="gbp",
    )
    ch = svc.channels.get("Main Shop")
    assert (ch.stock_updates, ch.buffer, ch.max_quantity, ch.interval_seconds) == (
        True,
        2,
        10,
        300,
    )
    assert (ch.rate_limit, ch.currency) == (2.5, "GBP")
    svc.channels.update_settings("Main Shop", buffer=0)  # "keep" leaves the maximum alone
    assert svc.channels.get("Main Shop").max_quantity == 10
    svc.channels.update_settings("Main Shop", max_quantity=None)  # None clears it
    ch = svc.channels.get("Main Shop")
    assert ch.max_quantity is None and ch.buffer == 0 and ch.stock_updates is True


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"buffer": -1}, "buffer"),
        ({"buffer": 1.5}, "buffer"),
        ({"max_quantity": -3}, "maximum"),
        ({"max_quantity": "ten"}, "maximum"),
        ({"interval_seconds": 5}, "interval"),
        ({"interval_seconds": 86_401}, "interval"),
        ({"rate_limit": 0.0}, "rate limit"),
        ({"rate_limit": 1000.0}, "rate limit"),
        ({"rate_limit": float("nan")}, "rate limit"),
        ({"currency": "BTC"}, "Unknown currency"),
        ({"read_rate": 0}, "read rate"),
        ({"read_rate": 1.5}, "read rate"),
        ({"write_rate": 200_000}, "write rate"),
        ({"orders_interval_seconds": 1}, "orders interval"),
    ],
)
async def test_update_settings_refusals_change_nothing(svc, reverb, kw, words) -> None:
    await add(svc)
    before = snapshot(svc)
    with pytest.raises(UserError) as ei:
        # stock_updates is valid: a refused request must not apply even its valid parts
        svc.channels.update_settings("Main Shop", stock_updates=True, **kw)
    assert words in one_sentence(ei.value)
    assert snapshot(svc) == before


async def test_quantity_rules_persist_clear_and_store_no_op_values_as_off(svc, reverb) -> None:
    await add(svc)
    svc.channels.update_settings(
        "Main Shop", percent=70, min_quantity=1, end_when=2, max_quantity=5
    )
    ch = svc.channels.get("Main Shop")
    assert (ch.percent, ch.min_quantity, ch.end_when, ch.max_quantity) == (70, 1, 2, 5)
    svc.channels.update_settings("Main Shop", buffer=1)  # "keep" leaves every rule alone
    ch = svc.channels.get("Main Shop")
    assert (ch.percent, ch.min_quantity, ch.end_when) == (70, 1, 2)
    # None turns a rule off; 100 %, a minimum of 0 and end-when 0 change nothing: off too
    svc.channels.update_settings("Main Shop", percent=None, min_quantity=0, end_when=0)
    ch = svc.channels.get("Main Shop")
    assert (ch.percent, ch.min_quantity, ch.end_when, ch.buffer) == (None, None, None, 1)
    svc.channels.update_settings("Main Shop", percent=100)
    assert svc.channels.get("Main Shop").percent is None


@pytest.mark.parametrize(
    ("stored", "kw", "words"),
    [
        ({}, {"percent": 0}, "percentage"),
        ({}, {"percent": 101}, "percentage"),
        ({}, {"percent": -5}, "percentage"),
        ({}, {"percent": 50.5}, "percentage"),
        ({}, {"percent": True}, "percentage"),
        ({}, {"min_quantity": -1}, "minimum"),
        ({}, {"min_quantity": "two"}, "minimum"),
        ({}, {"end_when": -1}, "end-when"),
        ({}, {"end_when": 1.5}, "end-when"),
        ({}, {"min_quantity": 6, "max_quantity": 5}, "more than the maximum"),
        ({"max_quantity": 3}, {"min_quantity": 4}, "more than the maximum"),  # stored max
        ({"min_quantity": 4}, {"max_quantity": 3}, "more than the maximum"),  # stored min
    ],
)
async def test_bad_quantity_rules_change_nothing(svc, reverb, stored, kw, words) -> None:
    await add(svc)
    if stored:
        svc.channels.update_settings("Main Shop", **stored)
    before = snapshot(svc)
    with pytest.raises(UserError) as ei:
        # the valid parts of a refused request are not applied either
        svc.channels.update_settings("Main Shop", **({"stock_updates": True, "buffer": 4} | kw))
    assert words in one_sentence(ei.value)
    assert snapshot(svc) == before


async def test_a_minimum_may_equal_the_maximum_and_clearing_the_maximum_frees_it(
    svc, reverb
) -> None:
    await add(svc)
    svc.channels.update_settings("Main Shop", min_quantity=3, max_quantity=3)
    svc.channels.update_settings("Main Shop", max_quantity=None, min_quantity=9)
    ch = svc.channels.get("Main Shop")
    assert (ch.min_quantity, ch.max_quantity) == (9, None)


async def test_name_taken_between_check_and_insert_is_refused(svc, reverb) -> None:
    """Two processes adding one name: the loser gets the sentence, not an IntegrityError
    (whose text would carry the token among the INSERT parameters)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session as OrmSession

    fired: list[bool] = []

    def competitor_commits_first(session, _ctx, _instances) -> None:
        if not fired:
            fired.append(True)
            add_channel(
                svc, "Main Shop", token=OTHER_TOKEN, seller_id="8002"
            )  # another connection inserts and commits the same name

    event.listen(OrmSession, "before_flush", competitor_commits_first)
    try:
        with pytest.raises(UserError) as ei:
            await add(svc, "main shop")
    finally:
        event.remove(OrmSession, "before_flush", competitor_commits_first)
    assert fired
    assert "already exists" in one_sentence(ei.value)
    assert ei.value.__cause__ is None and ei.value.__suppress_context__
    assert [c.name for c in svc.channels.list()] == ["Main Shop"]


async def test_budgets_default_to_80_percent_of_reverbs_limits_and_are_settable(
    svc, reverb
) -> None:
    await add(svc)
    ch = svc.channels.get("Main Shop")
    assert (ch.read_rate, ch.write_rate, ch.orders_interval_seconds) == (1600, 480, 10)
    assert (ch.reads_per_minute, ch.writes_per_minute) == (1600, 480)
    svc.channels.update_settings(
        "Main Shop", read_rate=1200, write_rate=300, orders_interval_seconds=30
    )
    ch = svc.channels.get("Main Shop")
    assert (ch.reads_per_minute, ch.writes_per_minute, ch.orders_interval_seconds) == (
        1200,
        300,
        30,
    )


async def test_a_remembered_budget_only_lowers_and_a_new_setting_forgets_it(svc, reverb) -> None:
    await add(svc)
    svc.channels.remember_budget("Main Shop", writes=384)
    ch = svc.channels.get("Main Shop")
    assert (ch.write_rate, ch.write_budget, ch.writes_per_minute) == (480, 384, 384)
    assert ch.budget_lowered_at is not None and ch.reads_per_minute == 1600
    svc.channels.remember_budget("Main Shop", writes=450, reads=5000)  # never raises one
    ch = svc.channels.get("Main Shop")
    assert (ch.writes_per_minute, ch.reads_per_minute) == (384, 1600)
    svc.channels.update_settings("Main Shop", write_rate=500)
    ch = svc.channels.get("Main Shop")
    assert (ch.write_budget, ch.writes_per_minute, ch.budget_lowered_at) == (None, 500, None)

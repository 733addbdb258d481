"""services/orders.py: paged queries, exceptions, apply current mappings, mark shipped."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
from sqlalchemy import text
from sqlmodel import select

from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import (
    InventoryItem,
    Order,
    ShippingMapping,
    SkuMapping,
    StockMove,
)
from reverb_tui.errors import AppError, NotFound, UserError
from reverb_tui.services.orders import EXCEPTION_SQL, order_json
from tests.conftest import SECRET_TOKEN
from tests.db_rows import API, T0, Clock, add_channel, add_order, add_service

CONTRACT_KEYS = {
    "channel", "order_number", "status", "channel_sku", "sku", "quantity", "kit", "total_cents",
    "currency", "channel_shipping_method", "shipping_service", "created_at", "updated_at",
}  # fmt: skip


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def svc(make_services, clock):
    return make_services(clock=clock)


def load(engine, order_id: int) -> Order:
    with session_scope(engine) as s:
        return s.get(Order, order_id)


def numbers(rows) -> list[str]:
    return [r.order.order_number for r in rows]


# -- query, count, keyset paging ----------------------------------------------------------------


@pytest.fixture
def book(svc):
    """Two channels, ties on created_at, one undated order, a mix of exceptions."""
    a = add_channel(svc.engine, "Shop A").id
    b = add_channel(svc.engine, "Shop B").id
    ups = add_service(svc.engine, "UPS Ground", "UPS")
    spec = [
        # number, channel, minutes after T0, status, channel_sku, sku, method, service, buyer
        ("1001", a, 0, "paid", "GTR-1", "GTR-1", "shipped", ups, "Ada Lovelace"),
        ("1002", a, 10, "shipped", "GTR-2", None, "shipped", ups, "Ben Okafor"),
        ("1003", b, 10, "paid", "PED-1", "PED-1", "local", None, "Cleo Tanaka"),
        ("1004", b, 10, "cancelled", None, None, "shipped", ups, "Dev Singh"),
        ("1005", a, 20, "paid", "", None, None, None, "Eli Tanaka"),
        ("1006", b, 30, "unpaid", "amp_50%", "AMP-50", "shipped", ups, "Fay Price"),
        ("1007", a, None, "paid", "GTR-3", "GTR-3", "shipped", ups, "Gus Undated"),
    ]
    ids = {}
    for num, ch, minutes, status, csku, sku, method, service, buyer in spec:
        ids[num] = add_order(
            svc.engine,
            ch,
            num,
            status=status,
            channel_sku=csku,
            sku=sku,
            channel_shipping_method=method,
            shipping_service_id=service,
            buyer_name=buyer,
            created_at=None if minutes is None else T0 + timedelta(minutes=minutes),
        )
    return ids


# Newest first; ties on created_at by id descending; undated last.
ALL = ["1006", "1005", "1004", "1003", "1002", "1001", "1007"]


def test_query_orders_newest_first_with_ties_and_undated_last(svc, book) -> None:
    page = svc.orders.query()
    assert numbers(page.rows) == ALL
    assert page.next_after is None
    assert svc.orders.count() == 7


@pytest.mark.parametrize("size", [1, 2, 3, 4, 6])
def test_keyset_pages_cover_every_order_exactly_once(svc, book, size) -> None:
    seen, after, pages = [], None, 0
    while True:
        page = svc.orders.query(limit=size, after=after)
        pages += 1
        seen += numbers(page.rows)
        assert len(page.rows) <= size
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == ALL
    assert pages == -(-len(ALL) // size)


def test_keyset_paging_under_a_filter_with_ties(svc, book) -> None:
    first = svc.orders.query(channel="Shop B", limit=2)
    assert numbers(first.rows) == ["1006", "1004"]
    second = svc.orders.query(channel="Shop B", limit=2, after=first.next_after)
    assert numbers(second.rows) == ["1003"] and second.next_after is None


def test_a_new_order_during_paging_is_neither_skipped_nor_repeated(svc, book) -> None:
    first = svc.orders.query(limit=3)
    a = svc.orders.get("Shop A", "1001").order.channel_id
    add_order(svc.engine, a, "2000", created_at=T0 + timedelta(hours=5))  # a new sale lands
    rest = []
    after = first.next_after
    while after is not None:
        page = svc.orders.query(limit=3, after=after)
        rest += numbers(page.rows)
        after = page.next_after
    assert numbers(first.rows) + rest == ALL


@pytest.mark.parametrize(
    "kw, expected",
    [
        ({"channel": "shop a"}, ["1005", "1002", "1001", "1007"]),
        ({"status": "paid"}, ["1005", "1003", "1001", "1007"]),
        ({"status": " PAID "}, ["1005", "1003", "1001", "1007"]),
        ({"status": ["cancelled", "unpaid"]}, ["1006", "1004"]),
        ({"channel": "Shop B", "status": "paid"}, ["1003"]),
        ({"status": "layaway"}, []),
        ({"exceptions_only": True}, ["1003", "1002"]),
        ({"exceptions_only": True, "channel": "Shop A"}, ["1002"]),
        ({"search": "tanaka"}, ["1005", "1003"]),  # buyer, any case
        ({"search": "100"}, ALL),  # order number substring
        ({"search": "1004"}, ["1004"]),
        ({"search": "ped-1"}, ["1003"]),  # channel SKU
        ({"search": "amp-50"}, ["1006"]),  # local SKU only
        ({"search": "50%"}, ["1006"]),  # a literal %, not a wildcard
        ({"search": "amp_"}, ["1006"]),  # a literal _, not a wildcard
        ({"search": "gtr_"}, []),
        ({"search": "   "}, ALL),  # blank search = no search
        ({"search": "tanaka", "status": "paid", "channel": "Shop B"}, ["1003"]),
    ],
)
def test_filters_and_search(svc, book, kw, expected) -> None:
    assert numbers(svc.orders.query(**kw).rows) == expected
    assert svc.orders.count(**kw) == len(expected)


def test_exception_flag_and_json_agree_with_the_sql_filter(svc, book) -> None:
    rows = svc.orders.query().rows
    flagged = {r.order.order_number for r in rows if r.exception}
    assert flagged == {"1002", "1003"}
    assert {r.order.order_number for r in rows if r.to_json()["exception"]} == flagged


def test_the_exceptions_filter_uses_the_partial_index(svc, book) -> None:
    query = (
        f"SELECT id FROM reverb_order WHERE ({EXCEPTION_SQL}) "
        "ORDER BY created_at DESC, id DESC LIMIT 10"
    )
    with svc.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + query).all()
        else:
            # A table this small is read whole; the index must still be one it can use.
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = conn.exec_driver_sql("EXPLAIN " + query).all()
    assert any("ix_order_exception_created" in str(row[-1]) for row in plan), plan


def test_refused_filters(svc, book) -> None:
    with pytest.raises(NotFound, match="no integration named 'Nope'"):
        svc.orders.query(channel="Nope")
    with pytest.raises(NotFound):
        svc.orders.count(channel="Nope")
    with pytest.raises(UserError, match="status filter is empty"):
        svc.orders.query(status=" ")
    with pytest.raises(UserError, match="page size"):
        svc.orders.query(limit=0)


def test_iter_rows_streams_every_row_or_the_limit(svc, book) -> None:
    assert numbers(svc.orders.iter_rows(page_size=2)) == ALL
    assert numbers(svc.orders.iter_rows(limit=3, page_size=2)) == ALL[:3]
    assert numbers(svc.orders.iter_rows(limit=0)) == []
    assert numbers(svc.orders.iter_rows(status="paid", page_size=1)) == [
        "1005",
        "1003",
        "1001",
        "1007",
    ]


def test_removed_channel_orders_stay_listed_under_their_name(svc, book) -> None:
    svc.channels.remove("Shop B")
    rows = svc.orders.query().rows
    assert {r.channel_name for r in rows} == {"Shop A", "Shop B"}
    with pytest.raises(NotFound):
        svc.orders.query(channel="Shop B")  # the name is free again


def test_a_removed_channels_orders_stay_readable_by_its_id(svc, book) -> None:
    shop_b = svc.channels.get("Shop B").id
    svc.channels.remove("Shop B")
    rows = svc.orders.query(channel=shop_b).rows
    assert sorted(r.order.order_number for r in rows) == ["1003", "1004", "1006"]
    detail = svc.orders.detail(shop_b, "1003")
    assert detail["ship_refusal"] == "The integration 'Shop B' was removed."


# -- JSON and detail ------------------------------------------------------------------------


def test_order_json_has_the_contract_keys(svc, clock) -> None:
    ch = add_channel(svc.engine).id
    ups = add_service(svc.engine, "UPS Ground", "UPS")
    add_order(
        svc.engine,
        ch,
        "24282217",
        channel_sku="GTR-1",
        sku=None,
        quantity=2,
        kit=3,
        total_cents=12345,
        currency="GBP",
        channel_shipping_method="shipped",
        shipping_service_id=ups,
        created_at=datetime(2025, 11, 7, 23, 39, 41, 500, tzinfo=UTC),
        updated_at=datetime(2025, 11, 8, 1, 0, 0, tzinfo=UTC),
        title="A guitar",
        buyer_name="Ada",
    )
    (row,) = svc.orders.query().rows
    doc = row.to_json()
    assert CONTRACT_KEYS <= set(doc)
    assert doc == order_json(row.order, "Main Shop", "UPS Ground")
    assert {k: doc[k] for k in CONTRACT_KEYS} == {
        "channel": "Main Shop",
        "order_number": "24282217",
        "status": "paid",
        "channel_sku": "GTR-1",
        "sku": None,
        "quantity": 2,
        "kit": 3,
        "total_cents": 12345,
        "currency": "GBP",
        "channel_shipping_method": "shipped",
        "shipping_service": "UPS Ground",
        "created_at": "2025-11-07T23:39:41Z",
        "updated_at": "2025-11-08T01:00:00Z",
    }
    assert doc["exception"] is True and doc["title"] == "A guitar"
    json.dumps(doc)  # serialisable as is


def test_get_and_detail(svc) -> None:
    ch = add_channel(svc.engine).id
    ups = add_service(svc.engine, "UPS Ground", "UPS")
    raw = {"shipping_address": {"name": "Ada L", "display_location": "London, GB", "phone": "1"}}
    add_order(
        svc.engine,
        ch,
        "1001",
        channel_sku="GTR-1",
        channel_shipping_method="expedited_shipping",
        raw=json.dumps(raw),
    )
    add_order(svc.engine, ch, "1002", status="shipped", shipping_service_id=ups)
    d = svc.orders.detail("main shop", " 1001 ")
    assert d["order_number"] == "1001" and d["shippable"] is True and d["ship_refusal"] is None
    assert d["default_provider"] == "Other"
    assert d["exception_reasons"] == [
        "The channel SKU 'GTR-1' maps to no local SKU.",
        "The shipping method 'expedited_shipping' maps to no local shipping service.",
    ]
    assert d["shipping_address"] == {"name": "Ada L", "display_location": "London, GB"}
    d2 = svc.orders.detail("Main Shop", "1002")
    assert d2["shippable"] is False and d2["ship_refusal"] == "Order 1002 is already shipped."
    assert d2["default_provider"] == "UPS" and d2["shipping_address"] is None
    with pytest.raises(NotFound, match="no order '9' on 'Main Shop'"):
        svc.orders.get("Main Shop", "9")
    with pytest.raises(UserError, match="order number is empty"):
        svc.orders.get("Main Shop", "  ")


# -- apply current mappings -------------------------------------------------------------------


def test_apply_current_mappings_fills_only_missing_fields(svc, clock) -> None:
    ch = add_channel(svc.engine).id
    ups = add_service(svc.engine, "UPS Ground", "UPS")
    fedex = add_service(svc.engine, "FedEx", "FedEx")
    collect = add_service(svc.engine, "Collection")
    with session_scope(svc.engine) as s:
        s.add(InventoryItem(sku="GTR-RED", sku_key="gtr-red", on_hand=10))
        s.add(InventoryItem(sku="PED-1", sku_key="ped-1", on_hand=5))
        s.add(SkuMapping(channel_id=ch, channel_sku="REV-GTR", channel_sku_key="rev-gtr",
                         sku_key="gtr-red", kit=2, created_at=T0))  # fmt: skip
    # Downloaded before the mappings existed: exceptions.
    o1 = add_order(svc.engine, ch, "1", channel_sku="REV-GTR", channel_shipping_method="shipped",
                   quantity=1, paid_at=T0)  # fmt: skip
    o2 = add_order(svc.engine, ch, "2", channel_sku="ped-1", channel_shipping_method="local",
                   shipping_service_id=fedex)  # fmt: skip
    o3 = add_order(svc.engine, ch, "3", channel_sku="UNKNOWN", channel_shipping_method="courier")
    o4 = add_order(svc.engine, ch, "4", channel_sku="REV-GTR", sku="OLD-SKU", kit=1,
                   channel_shipping_method="shipped", shipping_service_id=collect)  # fmt: skip
    with session_scope(svc.engine) as s:
        s.add(ShippingMapping(channel_id=ch, channel_service="shipped", shipping_service_id=ups,
                              created_at=T0))  # fmt: skip
        s.add(ShippingMapping(channel_id=ch, channel_service="local",
                              shipping_service_id=collect, created_at=T0))  # fmt: skip

    assert svc.orders.count(exceptions_only=True) == 3
    assert svc.orders.apply_current_mappings([o1, o2, o3, o4, o1]) == 2

    a = load(svc.engine, o1)
    assert (a.sku, a.kit, a.shipping_service_id) == ("GTR-RED", 2, ups)
    b = load(svc.engine, o2)
    assert (b.sku, b.kit, b.shipping_service_id) == ("PED-1", 1, fedex)  # service kept
    c = load(svc.engine, o3)
    assert (c.sku, c.shipping_service_id) == (None, None)  # nothing to apply
    d = load(svc.engine, o4)
    assert (d.sku, d.kit, d.shipping_service_id) == ("OLD-SKU", 1, collect)  # never changed
    assert svc.orders.count(exceptions_only=True) == 1

    # A newly linked paid order takes stock once (quantity x kit), as the stock rules say.
    with session_scope(svc.engine) as s:
        item = s.exec(select(InventoryItem).where(InventoryItem.sku_key == "gtr-red")).one()
        assert item.on_hand == 8
        moves = s.exec(select(StockMove).where(StockMove.order_id == o1)).all()
        assert [(m.reason, m.delta) for m in moves] == [("sale", -2)]
    assert svc.orders.apply_current_mappings([o1, o2]) == 0  # idempotent
    with session_scope(svc.engine) as s:
        assert (
            s.exec(select(InventoryItem.on_hand).where(InventoryItem.sku == "GTR-RED")).one() == 8
        )


def test_apply_for_channel(svc) -> None:
    a = add_channel(svc.engine, "Shop A").id
    b = add_channel(svc.engine, "Shop B").id
    ups = add_service(svc.engine, "UPS Ground")
    for ch in (a, b):
        add_order(svc.engine, ch, "1", channel_shipping_method="shipped")
        add_order(svc.engine, ch, "2", channel_shipping_method="shipped")
        add_order(svc.engine, ch, "3", channel_shipping_method="courier")
    with session_scope(svc.engine) as s:
        for ch in (a, b):
            s.add(ShippingMapping(channel_id=ch, channel_service="shipped",
                                  shipping_service_id=ups, created_at=T0))  # fmt: skip
    r = svc.orders.apply_for_channel("Shop A", ["1"])
    assert (r.channel, r.checked, r.changed) == ("Shop A", 1, 1)
    with pytest.raises(NotFound, match="'Shop A' has no order numbered 77, 78; nothing changed"):
        svc.orders.apply_for_channel("Shop A", ["2", "77", "78"])
    assert svc.orders.get("Shop A", "2").order.shipping_service_id is None
    r = svc.orders.apply_for_channel("shop a")  # every exception order of Shop A
    assert (r.checked, r.changed) == (2, 1)
    assert svc.orders.count(channel="Shop B", exceptions_only=True) == 3  # other shop untouched


# -- mark shipped -------------------------------------------------------------------------------


@pytest.fixture
def reverb():
    with respx.mock(base_url=API, assert_all_called=False) as router:
        yield router


@pytest.fixture
def shop(svc):
    ch = add_channel(svc.engine).id
    ups = add_service(svc.engine, "UPS Ground", "UPS")
    add_order(svc.engine, ch, "1001", channel_shipping_method="shipped", shipping_service_id=ups,
              updated_at=T0)  # fmt: skip
    add_order(svc.engine, ch, "1002", channel_shipping_method="courier")
    return ch


def reverb_order(number: str, status: str, **kw) -> dict:
    return {"order_number": number, "status": status, **kw}


def snapshot(engine) -> list[tuple]:
    with session_scope(engine) as s:
        return [
            (o.order_number, o.status, o.shipping_provider, o.tracking_number, o.shipped_at,
             o.updated_at)
            for o in s.exec(select(Order).order_by(Order.id)).all()
        ]  # fmt: skip


async def test_ship_posts_once_and_stores_reverbs_answer(svc, shop, reverb) -> None:
    answer = reverb_order(
        "1001",
        "shipped",
        shipping_provider="UPS",
        shipping_code="1Z999AA10123456784",
        shipped_at="2026-03-01T08:00:00-05:00",
        updated_at="2026-03-01T08:00:01-05:00",
    )
    post = reverb.post("/my/orders/selling/1001/ship").mock(
        return_value=httpx.Response(200, json=answer)
    )
    result = await svc.orders.ship("main shop", "1001", " 1Z999AA10123456784 ")
    assert post.call_count == 1
    assert json.loads(post.calls.last.request.content) == {
        "provider": "UPS",  # the mapped service's carrier
        "tracking_number": "1Z999AA10123456784",
        "send_notification": True,
    }
    o = result.row.order
    assert (o.status, o.shipping_provider, o.tracking_number) == (
        "shipped",
        "UPS",
        "1Z999AA10123456784",
    )
    assert o.shipped_at == datetime(2026, 3, 1, 13, 0, tzinfo=UTC)
    assert o.updated_at == datetime(2026, 3, 1, 13, 0, 1, tzinfo=UTC)
    assert result.confirmed_by_reread is False and result.notes == []
    stored = svc.orders.get("Main Shop", "1001").order
    assert (stored.status, stored.tracking_number) == ("shipped", "1Z999AA10123456784")


async def test_ship_provider_override_no_notify_and_reread_when_answer_has_no_order(
    svc, shop, reverb, clock
) -> None:
    post = reverb.post("/my/orders/selling/1002/ship").mock(
        return_value=httpx.Response(200, json={"message": "ok"})
    )
    get = reverb.get("/my/orders/selling/1002").mock(
        return_value=httpx.Response(200, json=reverb_order("1002", "shipped",
                                                           shipping_provider="Royal Mail",
                                                           shipping_code="RM1"))
    )  # fmt: skip
    result = await svc.orders.ship("Main Shop", "1002", "RM1", provider="royal mail", notify=False)
    body = json.loads(post.calls.last.request.content)
    assert body == {"provider": "Royal Mail", "tracking_number": "RM1", "send_notification": False}
    assert (post.call_count, get.call_count) == (1, 1)
    o = svc.orders.get("Main Shop", "1002").order
    assert (o.status, o.shipping_provider, o.tracking_number) == ("shipped", "Royal Mail", "RM1")
    assert o.shipped_at == clock.now  # Reverb gave no shipped_at
    assert result.notified is False


async def test_ship_defaults_to_other_without_a_mapped_service(svc, shop, reverb) -> None:
    post = reverb.post("/my/orders/selling/1002/ship").mock(
        return_value=httpx.Response(200, json={"order": reverb_order("1002", "shipped")})
    )
    await svc.orders.ship("Main Shop", "1002", "TRACK-1")
    assert json.loads(post.calls.last.request.content)["provider"] == "Other"
    o = svc.orders.get("Main Shop", "1002").order
    assert (o.status, o.shipping_provider, o.tracking_number) == ("shipped", "Other", "TRACK-1")


@pytest.mark.parametrize(
    "setup, args, words",
    [
        (None, ("Main Shop", "1001", ""), "The tracking number is empty."),
        (None, ("Main Shop", "1001", "   "), "The tracking number is empty."),
        (None, ("Main Shop", "1001", "X", " "), "The shipping provider is empty."),
        (None, ("Main Shop", "9999", "X"), "There is no order '9999' on 'Main Shop'."),
        (None, ("Nope", "1001", "X"), "There is no integration named 'Nope'."),
        ("cancelled", ("Main Shop", "1001", "X"), "Order 1001 is cancelled; it cannot be shipped."),
        ("refunded", ("Main Shop", "1001", "X"), "Order 1001 is refunded; it cannot be shipped."),
        ("shipped", ("Main Shop", "1001", "X"), "Order 1001 is already shipped."),
        ("picked_up", ("Main Shop", "1001", "X"), "Order 1001 is already picked up."),
        ("received", ("Main Shop", "1001", "X"), "Order 1001 is already received."),
        ("unpaid", ("Main Shop", "1001", "X"), "Reverb ships only paid orders."),
        ("disabled", ("Main Shop", "1001", "X"), "is disabled; enable it before"),
    ],
)  # fmt: skip
async def test_ship_refusals_make_no_request_and_change_nothing(
    svc, shop, reverb, setup, args, words
) -> None:
    if setup == "disabled":
        svc.channels.set_enabled("Main Shop", False)
    elif setup:
        with session_scope(svc.engine) as s:
            o = s.exec(select(Order).where(Order.order_number == "1001")).one()
            o.status = setup
            s.add(o)
    before = snapshot(svc.engine)
    with pytest.raises(UserError) as e:
        await svc.orders.ship(*args)
    assert words in str(e.value)
    assert str(e.value).endswith(".") and "\n" not in str(e.value)
    assert e.value.exit_code == 2
    assert len(reverb.calls) == 0
    assert snapshot(svc.engine) == before


async def test_ship_422_with_errors_body_is_reverbs_sentence(svc, shop, reverb) -> None:
    body = {
        "message": "Order could not be shipped",
        "errors": {"provider": ["is not a supported shipping provider"]},
    }
    post = reverb.post("/my/orders/selling/1001/ship").mock(
        return_value=httpx.Response(422, json=body)
    )
    before = snapshot(svc.engine)
    with pytest.raises(UserError) as e:
        await svc.orders.ship("Main Shop", "1001", "1Z", provider="Pigeon")
    assert str(e.value) == (
        "Reverb refused to mark order 1001 shipped: Order could not be shipped; "
        "provider is not a supported shipping provider."
    )
    assert e.value.exit_code == 2
    assert post.call_count == 1
    assert snapshot(svc.engine) == before


async def test_ship_401_marks_reauthorise_needed(svc, shop, reverb) -> None:
    reverb.post("/my/orders/selling/1001/ship").mock(
        return_value=httpx.Response(401, json={"message": "Please log in"})
    )
    with pytest.raises(AppError) as e:
        await svc.orders.ship("Main Shop", "1001", "1Z")
    assert e.value.exit_code == 2 and SECRET_TOKEN not in str(e.value)
    assert svc.channels.get("Main Shop").needs_reauth is True


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("timed out"), httpx.Response(502), httpx.Response(200, text="<html>")],
)
async def test_ship_lost_answer_then_reread_shows_shipped_is_success_with_one_post(
    svc, shop, reverb, failure
) -> None:
    post = reverb.post("/my/orders/selling/1001/ship")
    if isinstance(failure, Exception):
        post.mock(side_effect=failure)
    else:
        post.mock(return_value=failure)
    get = reverb.get("/my/orders/selling/1001").mock(
        return_value=httpx.Response(
            200,
            json=reverb_order("1001", "shipped", shipping_provider="UPS", shipping_code="1Z",
                              shipped_at="2026-03-01T13:00:00Z"),
        )
    )  # fmt: skip
    result = await svc.orders.ship("Main Shop", "1001", "1Z")
    assert post.call_count == 1  # never posted twice
    assert get.call_count == 1
    assert result.confirmed_by_reread is True and result.notes
    o = svc.orders.get("Main Shop", "1001").order
    assert (o.status, o.tracking_number) == ("shipped", "1Z")


@pytest.mark.parametrize("failure", [httpx.ReadTimeout("timed out"), httpx.Response(503)])
async def test_ship_lost_answer_then_reread_shows_paid_is_failure_with_one_post(
    svc, shop, reverb, failure
) -> None:
    post = reverb.post("/my/orders/selling/1001/ship")
    if isinstance(failure, Exception):
        post.mock(side_effect=failure)
    else:
        post.mock(return_value=failure)
    get = reverb.get("/my/orders/selling/1001").mock(
        return_value=httpx.Response(200, json=reverb_order("1001", "paid"))
    )
    before = snapshot(svc.engine)
    with pytest.raises(AppError) as e:
        await svc.orders.ship("Main Shop", "1001", "1Z")
    msg = str(e.value)
    assert msg.startswith("Order 1001 was not marked shipped") and "still shows it as 'paid'" in msg
    assert e.value.exit_code == 1
    assert (post.call_count, get.call_count) == (1, 1)
    assert snapshot(svc.engine) == before


async def test_ship_lost_answer_and_failed_reread_says_check_reverb(svc, shop, reverb) -> None:
    post = reverb.post("/my/orders/selling/1001/ship").mock(
        side_effect=httpx.ReadTimeout("timed out")
    )
    get = reverb.get("/my/orders/selling/1001").mock(return_value=httpx.Response(503))
    before = snapshot(svc.engine)
    with pytest.raises(AppError) as e:
        await svc.orders.ship("Main Shop", "1001", "1Z")
    assert "check the order on Reverb before trying again" in str(e.value)
    assert e.value.exit_code == 1
    assert post.call_count == 1 and get.call_count >= 1
    assert snapshot(svc.engine) == before


async def test_ship_that_never_reached_reverb_fails_without_reread(svc, shop, reverb) -> None:
    post = reverb.post("/my/orders/selling/1001/ship").mock(
        side_effect=httpx.ConnectError("refused")
    )
    get = reverb.get("/my/orders/selling/1001")
    before = snapshot(svc.engine)
    with pytest.raises(AppError, match="Order 1001 was not marked shipped: Cannot reach Reverb"):
        await svc.orders.ship("Main Shop", "1001", "1Z")
    assert post.call_count >= 1 and get.call_count == 0  # a refused connection is safe to retry
    assert snapshot(svc.engine) == before


async def test_ship_success_but_reread_fails_still_records_shipped(svc, shop, reverb, clock):
    reverb.post("/my/orders/selling/1001/ship").mock(return_value=httpx.Response(204))
    reverb.get("/my/orders/selling/1001").mock(return_value=httpx.Response(500))
    result = await svc.orders.ship("Main Shop", "1001", "1Z")
    assert result.notes and "the next sync refreshes it" in result.notes[0]
    o = svc.orders.get("Main Shop", "1001").order
    assert (o.status, o.shipping_provider, o.tracking_number, o.shipped_at) == (
        "shipped",
        "UPS",
        "1Z",
        clock.now,
    )
    assert o.updated_at == T0  # never our own clock: the next download must not look stale


async def test_shipping_a_linked_order_records_the_shipped_marker(svc, reverb) -> None:
    ch = add_channel(svc.engine).id
    with session_scope(svc.engine) as s:
        s.add(InventoryItem(sku="GTR", sku_key="gtr", on_hand=3))
    oid = add_order(svc.engine, ch, "5", channel_sku="GTR", sku="GTR", paid_at=T0)
    svc.orders.apply_current_mappings([oid])  # nothing missing: no change
    from reverb_tui.sync.stock import apply_order_stock

    with session_scope(svc.engine) as s:
        apply_order_stock(s, s.get(Order, oid), T0)
    reverb.post("/my/orders/selling/5/ship").mock(
        return_value=httpx.Response(200, json=reverb_order("5", "shipped"))
    )
    await svc.orders.ship("Main Shop", "5", "T")
    with session_scope(svc.engine) as s:
        reasons = sorted(m.reason for m in s.exec(select(StockMove)).all())
        assert reasons == ["sale", "shipped"]
        assert s.exec(select(InventoryItem.on_hand)).one() == 2


def test_exception_sql_matches_the_python_rule(svc, book) -> None:
    with svc.engine.connect() as conn:
        sql_ids = {
            r[0] for r in conn.execute(text(f"SELECT id FROM reverb_order WHERE ({EXCEPTION_SQL})"))
        }
    py_ids = {r.order.id for r in svc.orders.query().rows if r.exception}
    assert sql_ids == py_ids == {book["1002"], book["1003"]}

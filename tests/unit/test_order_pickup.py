"""Local pickup: ``OrderService.pickup`` and ``reverb-tui orders pickup``.

Like mark shipped: refused locally (one sentence, no request, nothing changed) unless the
order is a paid local pickup order; Reverb's refusal is one sentence; the POST is never sent
twice, and a doubt (timeout, 5xx) is settled by re-reading the order."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
import respx
from sqlmodel import select

from reverb_tui.__main__ import main
from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import InventoryItem, Order, StockMove
from reverb_tui.errors import AppError, UserError
from tests.conftest import SECRET_TOKEN
from tests.db_rows import API, T0, Clock, add_channel, add_order

PICKUP = "/my/orders/selling/{}/mark_picked_up"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def svc(make_services, clock):
    return make_services(clock=clock)


@pytest.fixture
def reverb():
    with respx.mock(base_url=API, assert_all_called=False) as router:
        yield router


@pytest.fixture
def shop(svc) -> int:
    ch = add_channel(svc.engine).id
    add_order(svc.engine, ch, "2001", channel_shipping_method="local", updated_at=T0)
    add_order(svc.engine, ch, "2002", channel_shipping_method="shipped")
    # Reverb's shipping_method missing, but the stored order says local_pickup.
    add_order(svc.engine, ch, "2003", raw=json.dumps({"order_number": "2003",
                                                      "local_pickup": True}))  # fmt: skip
    return ch


def snapshot(engine) -> list[tuple]:
    with session_scope(engine) as s:
        return [
            (o.order_number, o.status, o.shipping_provider, o.tracking_number, o.shipped_at,
             o.updated_at)
            for o in s.exec(select(Order).order_by(Order.id)).all()
        ]  # fmt: skip


def set_status(engine, number: str, status: str) -> None:
    with session_scope(engine) as s:
        o = s.exec(select(Order).where(Order.order_number == number)).one()
        o.status = status
        s.add(o)


PICKED = {
    "order_number": "2001",
    "status": "picked_up",
    "shipping_provider": "Personal Collection ",
    "shipping_code": "PersonalCollection",
    "shipped_at": "2026-03-01T08:00:00-05:00",
    "updated_at": "2026-03-01T08:00:01-05:00",
}


async def test_pickup_posts_once_and_stores_reverbs_answer(svc, shop, reverb) -> None:
    post = reverb.post(PICKUP.format("2001")).mock(return_value=httpx.Response(200, json=PICKED))
    result = await svc.orders.pickup("main shop", " 2001 ")
    assert post.call_count == 1
    assert json.loads(post.calls.last.request.content) == {}
    assert result.confirmed_by_reread is False and result.notes == []
    o = svc.orders.get("Main Shop", "2001").order
    assert (o.status, o.shipping_provider, o.tracking_number) == (
        "picked_up",
        "Personal Collection",  # Reverb's trailing space trimmed, as every stored text
        "PersonalCollection",
    )
    assert o.shipped_at == datetime(2026, 3, 1, 13, 0, tzinfo=UTC)
    assert o.updated_at == datetime(2026, 3, 1, 13, 0, 1, tzinfo=UTC)
    assert svc.orders.detail("Main Shop", "2001")["pickup_refusal"] == (
        "Order 2001 is already picked up."
    )


async def test_pickup_when_only_the_stored_order_says_local_pickup(svc, shop, reverb) -> None:
    reverb.post(PICKUP.format("2003")).mock(
        return_value=httpx.Response(200, json={"order_number": "2003", "status": "picked_up"})
    )
    view = svc.orders.detail("Main Shop", "2003")
    assert (view["local_pickup"], view["can_pickup"], view["pickup_refusal"]) == (True, True, None)
    await svc.orders.pickup("Main Shop", "2003")
    assert svc.orders.get("Main Shop", "2003").order.status == "picked_up"


async def test_pickup_of_a_linked_order_keeps_the_stock_rules(svc, reverb, clock) -> None:
    ch = add_channel(svc.engine).id
    with session_scope(svc.engine) as s:
        s.add(InventoryItem(sku="GTR", sku_key="gtr", on_hand=3))
    oid = add_order(svc.engine, ch, "7", channel_sku="GTR", sku="GTR", paid_at=T0,
                    channel_shipping_method="local")  # fmt: skip
    from reverb_tui.sync.stock import apply_order_stock

    with session_scope(svc.engine) as s:
        apply_order_stock(s, s.get(Order, oid), T0)
    reverb.post(PICKUP.format("7")).mock(
        return_value=httpx.Response(200, json={"order_number": "7", "status": "picked_up"})
    )
    await svc.orders.pickup("Main Shop", "7")
    with session_scope(svc.engine) as s:
        reasons = sorted(m.reason for m in s.exec(select(StockMove)).all())
        assert reasons == ["sale", "shipped"]
        assert s.exec(select(InventoryItem.on_hand)).one() == 2  # taken once, not twice


@pytest.mark.parametrize(
    "setup, args, words",
    [
        (None, ("Main Shop", "2002"),
         "Order 2002 is not a local pickup order; mark it shipped instead."),
        (None, ("Main Shop", "9999"), "There is no order '9999' on 'Main Shop'."),
        (None, ("Main Shop", "  "), "The order number is empty."),
        (None, ("Nope", "2001"), "There is no integration named 'Nope'."),
        ("picked_up", ("Main Shop", "2001"), "Order 2001 is already picked up."),
        ("shipped", ("Main Shop", "2001"), "Order 2001 is already shipped."),
        ("received", ("Main Shop", "2001"), "Order 2001 is already received."),
        ("cancelled", ("Main Shop", "2001"), "Order 2001 is cancelled; it cannot be picked up."),
        ("unpaid", ("Main Shop", "2001"),
         "Order 2001 is 'unpaid'; Reverb marks only paid orders picked up."),
        ("disabled", ("Main Shop", "2001"),
         "The integration 'Main Shop' is disabled; enable it before marking orders picked up."),
    ],
)  # fmt: skip
async def test_pickup_refusals_make_no_request_and_change_nothing(
    svc, shop, reverb, setup, args, words
) -> None:
    if setup == "disabled":
        svc.channels.set_enabled("Main Shop", False)
    elif setup:
        set_status(svc.engine, "2001", setup)
    before = snapshot(svc.engine)
    with pytest.raises(UserError) as e:
        await svc.orders.pickup(*args)
    assert str(e.value) == words
    assert e.value.exit_code == 2
    assert len(reverb.calls) == 0
    assert snapshot(svc.engine) == before


async def test_pickup_refused_by_reverb_is_its_sentence(svc, shop, reverb) -> None:
    body = {"message": "This order cannot be marked as picked up",
            "errors": {"status": ["order is shipped (local)"]}}  # fmt: skip
    post = reverb.post(PICKUP.format("2001")).mock(return_value=httpx.Response(422, json=body))
    before = snapshot(svc.engine)
    with pytest.raises(UserError) as e:
        await svc.orders.pickup("Main Shop", "2001")
    assert str(e.value) == (
        "Reverb refused to mark order 2001 picked up: This order cannot be marked as picked "
        "up; status order is shipped (local)."
    )
    assert e.value.exit_code == 2 and post.call_count == 1
    assert snapshot(svc.engine) == before


async def test_pickup_401_marks_reauthorise_needed(svc, shop, reverb) -> None:
    reverb.post(PICKUP.format("2001")).mock(return_value=httpx.Response(401, json={}))
    with pytest.raises(AppError) as e:
        await svc.orders.pickup("Main Shop", "2001")
    assert e.value.exit_code == 2 and SECRET_TOKEN not in str(e.value)
    assert svc.channels.get("Main Shop").needs_reauth is True


def lost_pickup_answer(reverb, failure: Exception | httpx.Response):
    """The pickup POST for order 2001 times out or gets a 5xx: whether it took is unknown."""
    post = reverb.post(PICKUP.format("2001"))
    if isinstance(failure, Exception):
        return post.mock(side_effect=failure)
    return post.mock(return_value=failure)


@pytest.mark.parametrize("failure", [httpx.ReadTimeout("timed out"), httpx.Response(502)])
async def test_pickup_lost_answer_then_reread_shows_picked_up_is_success_with_one_post(
    svc, shop, reverb, failure
) -> None:
    post = lost_pickup_answer(reverb, failure)
    get = reverb.get("/my/orders/selling/2001").mock(return_value=httpx.Response(200, json=PICKED))
    result = await svc.orders.pickup("Main Shop", "2001")
    assert (post.call_count, get.call_count) == (1, 1)
    assert result.confirmed_by_reread is True
    assert "re-reading the order shows it picked up" in result.notes[0]
    assert svc.orders.get("Main Shop", "2001").order.status == "picked_up"


@pytest.mark.parametrize("failure", [httpx.ReadTimeout("timed out"), httpx.Response(503)])
async def test_pickup_lost_answer_then_reread_shows_paid_is_failure_with_one_post(
    svc, shop, reverb, failure
) -> None:
    post = lost_pickup_answer(reverb, failure)
    get = reverb.get("/my/orders/selling/2001").mock(
        return_value=httpx.Response(200, json={"order_number": "2001", "status": "paid"})
    )
    before = snapshot(svc.engine)
    with pytest.raises(AppError) as e:
        await svc.orders.pickup("Main Shop", "2001")
    msg = str(e.value)
    assert msg.startswith("Order 2001 was not marked picked up (")
    assert msg.endswith("Reverb still shows it as 'paid'. Nothing was retried; try again.")
    assert e.value.exit_code == 1 and (post.call_count, get.call_count) == (1, 1)
    assert snapshot(svc.engine) == before


async def test_pickup_lost_answer_and_failed_reread_says_check_reverb(svc, shop, reverb) -> None:
    post = reverb.post(PICKUP.format("2001")).mock(side_effect=httpx.ReadTimeout("slow"))
    reverb.get("/my/orders/selling/2001").mock(return_value=httpx.Response(503))
    before = snapshot(svc.engine)
    with pytest.raises(AppError) as e:
        await svc.orders.pickup("Main Shop", "2001")
    assert str(e.value).startswith("Marking order 2001 picked up may not have reached Reverb")
    assert "check the order on Reverb before trying again" in str(e.value)
    assert e.value.exit_code == 1 and post.call_count == 1
    assert snapshot(svc.engine) == before


async def test_pickup_that_never_reached_reverb_is_not_reread(svc, shop, reverb) -> None:
    reverb.post(PICKUP.format("2001")).mock(side_effect=httpx.ConnectError("refused"))
    get = reverb.get("/my/orders/selling/2001")
    before = snapshot(svc.engine)
    with pytest.raises(AppError, match="^Order 2001 was not marked picked up: Cannot reach"):
        await svc.orders.pickup("Main Shop", "2001")
    assert get.call_count == 0
    assert snapshot(svc.engine) == before


# -- the CLI ----------------------------------------------------------------------------------


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_pickup_text_json_and_refusal(svc, shop, db_path, capsys) -> None:
    with respx.mock(base_url=API, assert_all_called=False) as router:
        post = router.post(PICKUP.format("2001")).mock(
            return_value=httpx.Response(200, json=PICKED)
        )
        code, out, err = run(capsys, "--db", str(db_path), "orders", "pickup", "Main Shop", "2001")
        assert (code, err) == (0, "")
        assert out == "Order 2001 on 'Main Shop' is marked picked up.\n"
        code, out, err = run(capsys, "--db", str(db_path), "orders", "pickup", "Main Shop",
                             "2001")  # fmt: skip
        assert (code, out) == (2, "")
        assert err == "Error: Order 2001 is already picked up.\n"
        router.post(PICKUP.format("2003")).mock(
            return_value=httpx.Response(200, json={"order_number": "2003", "status": "picked_up"})
        )
        code, out, err = run(capsys, "--db", str(db_path), "orders", "pickup", "Main Shop",
                             "2003", "--json")  # fmt: skip
    assert (code, err) == (0, "")
    assert json.loads(out)["status"] == "picked_up"
    assert post.call_count == 1


def test_cli_pickup_not_confirmed_exits_1(svc, shop, db_path, capsys) -> None:
    with respx.mock(base_url=API, assert_all_called=False) as router:
        router.post(PICKUP.format("2001")).mock(side_effect=httpx.ReadTimeout("slow"))
        router.get("/my/orders/selling/2001").mock(
            return_value=httpx.Response(200, json={"order_number": "2001", "status": "paid"})
        )
        code, out, err = run(capsys, "--db", str(db_path), "orders", "pickup", "Main Shop",
                             "2001")  # fmt: skip
    assert (code, out) == (1, "")
    assert err.startswith("Error: Order 2001 was not marked picked up") and err.count("\n") == 1


async def test_pickup_end_to_end_against_the_fake_reverb(make_services) -> None:
    from reverb_tui.domain import RunKind
    from tests.conftest import fast_client_factory
    from tests.fakes.reverb import FakeReverb

    fake = FakeReverb()
    local = fake.add_order(method="local")["order_number"]
    posted = fake.add_order(method="shipped")["order_number"]
    svc = make_services(client_factory=fast_client_factory(fake.transport), clock=Clock())
    add_channel(svc.engine, token=fake.token, api_url=API)
    await svc.sync.run(RunKind.ORDERS)
    result = await svc.orders.pickup("Main Shop", local)
    assert result.row.order.status == "picked_up"
    assert result.row.order.tracking_number == "PersonalCollection"
    with pytest.raises(UserError, match="not a local pickup order"):
        await svc.orders.pickup("Main Shop", posted)
    # Reverb's own rule, when the local copy is stale: it answers 422, one sentence.
    fake.set_status(local, "paid")
    set_status(svc.engine, local, "paid")
    fake.orders[0]["shipping_method"] = "shipped"
    with pytest.raises(UserError, match="^Reverb refused to mark order .* picked up: This order"):
        await svc.orders.pickup("Main Shop", local)

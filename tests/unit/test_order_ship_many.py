"""Mark shipped for many: ``OrderService.ship_many``, the CSV it reads and
``reverb-tui orders ship-many``.

One POST per order, in turn; a bad request as a whole sends nothing; an order that cannot be
shipped is listed with its sentence while the rest go on; nothing is posted twice."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from sqlmodel import select

from reverb_tui.__main__ import main
from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import Order
from reverb_tui.errors import UserError
from reverb_tui.services.orders import ShipItem, read_ship_csv
from tests.db_rows import API, Clock, add_channel, add_order, add_service

SHIP = "/my/orders/selling/{}/ship"


@pytest.fixture
def svc(make_services):
    return make_services(clock=Clock())


@pytest.fixture
def reverb():
    with respx.mock(base_url=API, assert_all_called=False) as router:
        yield router


@pytest.fixture
def shop(svc) -> int:
    ch = add_channel(svc.engine).id
    ups = add_service(svc.engine, "UPS Ground", "UPS")
    for n in ("101", "102", "103", "104"):
        add_order(svc.engine, ch, n, channel_shipping_method="shipped", shipping_service_id=ups)
    add_order(svc.engine, ch, "105", status="shipped")
    return ch


def shipped_answer(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    number = request.url.path.split("/")[-2]
    return httpx.Response(200, json={"order_number": number, "status": "shipped",
                                     "shipping_provider": body["provider"],
                                     "shipping_code": body["tracking_number"]})  # fmt: skip


def statuses(engine) -> dict[str, tuple]:
    with session_scope(engine) as s:
        return {
            o.order_number: (o.status, o.shipping_provider, o.tracking_number)
            for o in s.exec(select(Order)).all()
        }


def items(*rows: tuple) -> list[ShipItem]:
    return [ShipItem("Main Shop", *row) for row in rows]


async def test_each_order_is_posted_once_in_turn(svc, shop, reverb) -> None:
    route = reverb.post(url__regex=r"/my/orders/selling/\d+/ship").mock(side_effect=shipped_answer)
    seen: list[tuple[str, int, int]] = []
    result = await svc.orders.ship_many(
        items(("101", "1Z1"), ("102", " RM2 ", "royal mail"), ("103", "T3", "")),
        notify=False,
        progress=lambda o, done, total: seen.append((o.item.order_number, done, total)),
    )
    assert route.call_count == 3
    bodies = [json.loads(c.request.content) for c in route.calls]
    assert bodies == [
        {"provider": "UPS", "tracking_number": "1Z1", "send_notification": False},
        {"provider": "Royal Mail", "tracking_number": "RM2", "send_notification": False},
        {"provider": "UPS", "tracking_number": "T3", "send_notification": False},
    ]
    assert seen == [("101", 1, 3), ("102", 2, 3), ("103", 3, 3)]
    assert (result.exit_code, len(result.shipped), result.failed) == (0, 3, [])
    assert result.summary() == "Marked 3 of 3 orders shipped."
    now = statuses(svc.engine)
    assert now["102"] == ("shipped", "Royal Mail", "RM2")
    assert now["104"] == ("paid", None, None)


async def test_failures_are_listed_and_the_rest_ship(svc, shop, reverb) -> None:
    reverb.post(SHIP.format("101")).mock(side_effect=shipped_answer)
    reverb.post(SHIP.format("102")).mock(
        return_value=httpx.Response(422, json={"message": "Tracking number is invalid"})
    )
    reverb.post(SHIP.format("103")).mock(side_effect=shipped_answer)
    result = await svc.orders.ship_many(
        items(("105", "A"), ("101", "B"), ("102", "C"), ("999", "D"), ("103", "E"))
    )
    assert [o.item.order_number for o in result.shipped] == ["101", "103"]
    assert [(o.item.order_number, o.message) for o in result.failed] == [
        ("105", "Order 105 is already shipped."),
        ("102", "Reverb refused to mark order 102 shipped: Tracking number is invalid."),
        ("999", "There is no order '999' on 'Main Shop'."),
    ]
    assert result.exit_code == 2  # every failure was a refusal
    assert result.summary() == "Marked 2 of 5 orders shipped; 3 failed."
    assert statuses(svc.engine)["102"] == ("paid", None, None)


async def test_a_lost_answer_is_reread_never_reposted_and_exits_1(svc, shop, reverb) -> None:
    post = reverb.post(SHIP.format("101")).mock(side_effect=httpx.ReadTimeout("slow"))
    get = reverb.get("/my/orders/selling/101").mock(
        return_value=httpx.Response(200, json={"order_number": "101", "status": "paid"})
    )
    reverb.post(SHIP.format("102")).mock(side_effect=shipped_answer)
    result = await svc.orders.ship_many(items(("101", "A"), ("102", "B")))
    assert (post.call_count, get.call_count) == (1, 1)
    assert [o.item.order_number for o in result.shipped] == ["102"]
    assert "still shows it as 'paid'" in result.failed[0].message
    assert result.exit_code == 1


async def test_after_reverb_refuses_the_token_nothing_more_is_sent(svc, shop, reverb) -> None:
    route = reverb.post(url__regex=r"/my/orders/selling/\d+/ship").mock(
        return_value=httpx.Response(401, json={"message": "Unauthorized"})
    )
    result = await svc.orders.ship_many(items(("101", "A"), ("102", "B"), ("103", "C")))
    assert route.call_count == 1
    assert [o.ok for o in result.outcomes] == [False, False, False]
    assert result.outcomes[1].message == (
        "Order 102 was not sent: Reverb refused the access token; reauthorise the integration."
    )
    assert svc.channels.get("Main Shop").needs_reauth is True


@pytest.mark.parametrize(
    "request_items, words",
    [
        ([], "There are no orders to ship."),
        (items(("101", "A"), ("101", "B")), "Order 101 is listed twice; nothing was sent."),
        (items(("101", "A"), ("102", " ")),
         "The tracking number is empty (order 102); nothing was sent."),
        (items(("101", "A\x07")),
         "The tracking number contains control characters (order 101); nothing was sent."),
        (items(("101", "A" * 101)),
         "The tracking number is longer than 100 characters (order 101); nothing was sent."),
        (items(("", "A")), "An order number is empty; nothing was sent."),
    ],
)  # fmt: skip
async def test_a_bad_request_sends_nothing(svc, shop, reverb, request_items, words) -> None:
    before = statuses(svc.engine)
    with pytest.raises(UserError) as e:
        await svc.orders.ship_many(request_items)
    assert str(e.value) == words
    assert len(reverb.calls) == 0 and statuses(svc.engine) == before


# -- the CSV file -----------------------------------------------------------------------------


def test_read_ship_csv_columns_aliases_and_bom(tmp_path) -> None:
    f = tmp_path / "t.csv"
    f.write_bytes(
        b"\xef\xbb\xbfOrder_Number, Tracking ,Carrier\r\n101,1Z1,UPS\r\n\r\n102,RM2,\r\n,,\r\n"
    )
    assert read_ship_csv(f, "Main Shop") == [
        ShipItem("Main Shop", "101", "1Z1", "UPS"),
        ShipItem("Main Shop", "102", "RM2", None),
    ]


@pytest.mark.parametrize(
    "content, words",
    [
        ("", "is empty; nothing was sent."),
        ("order_number,tracking_number\n", "lists no orders; nothing was sent."),
        ("order,carrier\n101,UPS\n", "has no tracking_number column; the first line must name"),
        ("number,tracking_number\n101,1Z\n", "has no order_number column"),
        ("order_number,tracking_number\n101,1Z\n,2Z\n", "Line 3 has no order number"),
        ("order_number,tracking_number\n101\n", "Line 2 (order 101): the tracking number is empty"),
        ("order_number,tracking_number\n101,1Z\n102,2Z\n101,3Z\n",
         "Order 101 is on lines 2 and 4; nothing was sent."),
    ],
)  # fmt: skip
def test_read_ship_csv_refuses_a_bad_file_whole(tmp_path, content, words) -> None:
    f = tmp_path / "t.csv"
    f.write_text(content)
    with pytest.raises(UserError) as e:
        read_ship_csv(f, "Main Shop")
    assert words in str(e.value) and "\n" not in str(e.value)


def test_read_ship_csv_missing_file(tmp_path) -> None:
    with pytest.raises(UserError, match="There is no file"):
        read_ship_csv(tmp_path / "nope.csv", "Main Shop")


# -- the CLI ----------------------------------------------------------------------------------


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_ship_many_ships_lists_failures_and_exits_2(svc, shop, db_path, tmp_path, capsys):
    f = tmp_path / "t.csv"
    f.write_text("order_number,tracking_number,provider\n101,1Z1,\n105,X,\n102,RM2,Royal Mail\n")
    with respx.mock(base_url=API, assert_all_called=False) as router:
        route = router.post(url__regex=r"/my/orders/selling/\d+/ship").mock(
            side_effect=shipped_answer
        )
        code, out, err = run(capsys, "--db", str(db_path), "orders", "ship-many", "Main Shop",
                             str(f))  # fmt: skip
    assert route.call_count == 2
    assert code == 2
    assert out == (
        "Order 101 shipped with UPS 1Z1.\n"
        "Order 102 shipped with Royal Mail RM2.\n"
        "Marked 2 of 3 orders shipped; 1 failed.\n"
    )
    assert err == "Failed: Order 105 is already shipped.\n"


def test_cli_ship_many_json(svc, shop, db_path, tmp_path, capsys) -> None:
    f = tmp_path / "t.csv"
    f.write_text("order_number,tracking_number\n103,T3\n")
    with respx.mock(base_url=API, assert_all_called=False) as router:
        router.post(SHIP.format("103")).mock(side_effect=shipped_answer)
        code, out, err = run(capsys, "--db", str(db_path), "orders", "ship-many", "Main Shop",
                             str(f), "--no-notify", "--json")  # fmt: skip
        body = json.loads(router.calls.last.request.content)
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert [d["order_number"] for d in doc["shipped"]] == ["103"] and doc["failed"] == []
    assert doc["shipped"][0]["tracking_number"] == "T3"
    assert body["send_notification"] is False


@pytest.mark.parametrize(
    "channel, content, words",
    [
        ("Nope", "order_number,tracking_number\n101,1Z\n", "There is no integration named"),
        ("Main Shop", "order_number,tracking_number\n101,\n", "Line 2 (order 101)"),
    ],
)
def test_cli_ship_many_bad_request_sends_nothing(
    svc, shop, db_path, tmp_path, capsys, channel, content, words
) -> None:
    f = tmp_path / "t.csv"
    f.write_text(content)
    with respx.mock(base_url=API, assert_all_called=False) as router:
        code, out, err = run(capsys, "--db", str(db_path), "orders", "ship-many", channel, str(f))
        assert len(router.calls) == 0
    assert (code, out) == (2, "")
    assert words in err and err.count("\n") == 1

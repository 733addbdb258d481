"""``reverb-tui orders …`` and ``reverb-tui shipping …``: JSON keys, streaming, exit codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx

from reverb_tui.__main__ import main
from reverb_tui.db.engine import make_engine, session_scope
from reverb_tui.db.models import Order, ShippingService
from tests.conftest import SECRET_TOKEN
from tests.db_rows import add_channel

API = "https://api.reverb.com/api"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ORDER_KEYS = {
    "channel", "order_number", "status", "channel_sku", "sku", "quantity", "kit", "total_cents",
    "currency", "channel_shipping_method", "shipping_service", "created_at", "updated_at",
}  # fmt: skip


@pytest.fixture
def db(db_path) -> str:
    """A database with two integrations, a local service and 7 orders (two exceptions)."""
    engine = make_engine(str(db_path))
    main_id, sleepy_id = (
        add_channel(engine, name, orders_since=T0 - timedelta(days=9), enabled=enabled).id
        for name, enabled in (("Main Shop", True), ("Sleepy Shop", False))
    )
    with session_scope(engine) as s:
        ups = ShippingService(name="UPS Ground", name_key="ups ground", carrier="UPS")
        s.add(ups)
        s.flush()
        for i in range(5):
            s.add(Order(channel_id=main_id, order_number=str(1000 + i), status="paid",
                        channel_sku=f"GTR-{i}", sku=f"GTR-{i}" if i else None,
                        channel_shipping_method="shipped", shipping_service_id=ups.id,
                        quantity=1, total_cents=1000 * (i + 1), currency="USD",
                        buyer_name=f"Buyer {i}", first_seen_at=T0,
                        created_at=T0 + timedelta(minutes=i)))  # fmt: skip
        s.add(Order(channel_id=main_id, order_number="2000", status="shipped", first_seen_at=T0,
                    created_at=T0 - timedelta(days=1), channel_shipping_method="courier"))  # fmt: skip
        s.add(Order(channel_id=sleepy_id, order_number="3000", status="paid", first_seen_at=T0,
                    created_at=T0 - timedelta(days=2)))  # fmt: skip
    engine.dispose()
    return str(db_path)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_orders_list_json_streams_every_row_with_the_contract_keys(db, capsys) -> None:
    code, out, err = run(capsys, "--db", db, "orders", "list", "--json")
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert [d["order_number"] for d in doc] == [
        "1004", "1003", "1002", "1001", "1000", "2000", "3000",
    ]  # fmt: skip
    for d in doc:
        assert ORDER_KEYS <= set(d)
    first = doc[0]
    assert (first["channel"], first["sku"], first["shipping_service"], first["total_cents"]) == (
        "Main Shop",
        "GTR-4",
        "UPS Ground",
        5000,
    )
    assert first["created_at"] == "2026-03-01T12:04:00Z"


def test_orders_list_filters_and_limit(db, capsys) -> None:
    def listed(*extra: str) -> list[str]:
        code, out, err = run(capsys, "--db", db, "orders", "list", "--json", *extra)
        assert (code, err) == (0, ""), err
        return [d["order_number"] for d in json.loads(out)]

    assert listed("--limit", "2") == ["1004", "1003"]
    assert listed("--limit", "0") == []
    assert listed("--channel", "sleepy shop") == ["3000"]
    assert listed("--status", "shipped") == ["2000"]
    assert listed("--exceptions") == ["1000", "2000"]
    assert listed("--search", "buyer 3") == ["1003"]
    assert listed("--search", "no such thing") == []
    assert listed("--channel", "Main Shop", "--status", "paid", "--limit", "3") == [
        "1004", "1003", "1002",
    ]  # fmt: skip


def test_orders_list_text(db, capsys) -> None:
    code, out, err = run(capsys, "--db", db, "orders", "list", "--exceptions")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("CHANNEL") and len(lines) == 3
    assert "1000" in lines[1] and lines[1].rstrip().endswith("!")
    code, out, _ = run(capsys, "--db", db, "orders", "list", "--search", "zzz")
    assert (code, out) == (0, "No orders match.\n")


@pytest.mark.parametrize(
    "argv, words",
    [
        (["orders", "list", "--channel", "Nope"], "There is no integration named 'Nope'."),
        (["orders", "list", "--json", "--channel", "Nope"], "There is no integration named"),
        (["orders", "show", "Main Shop", "99"], "There is no order '99' on 'Main Shop'."),
        (["orders", "ship", "Main Shop", "1001", "--tracking", " "], "tracking number is empty"),
        (["orders", "ship", "Main Shop", "2000", "--tracking", "1Z"], "already shipped"),
        (["orders", "ship", "Sleepy Shop", "3000", "--tracking", "1Z"], "is disabled"),
        (["orders", "ship", "Main Shop", "404", "--tracking", "1Z"], "no order '404'"),
        (["orders", "apply", "Main Shop", "77"], "has no order numbered 77"),
        (["shipping", "services", "add", " "], "shipping service name is empty"),
        (["shipping", "services", "add", "ups ground"], "already exists"),
        (["shipping", "services", "delete", "UPS Ground"], "recorded on 5 downloaded orders"),
        (["shipping", "services", "rename", "Nope", "X"], "no local shipping service named"),
        (["shipping", "map", "Main Shop", "--channel-service", "shipped", "--service", "Gone"],
         "no local shipping service named 'Gone'"),
        (["shipping", "unmap", "Main Shop", "--channel-service", "local"], "not mapped"),
        (["shipping", "mappings", "Nope"], "no integration named 'Nope'"),
    ],
)  # fmt: skip
def test_refusals_exit_2_with_one_sentence_and_nothing_on_stdout(db, capsys, argv, words) -> None:
    with respx.mock(assert_all_called=False) as router:
        code, out, err = run(capsys, "--db", db, *argv)
        assert len(router.calls) == 0  # refused before any request
    assert code == 2
    assert out == ""
    assert words in err
    assert err.startswith("Error: ") and err.count("\n") == 1 and err.rstrip().endswith(".")
    assert "Traceback" not in err and SECRET_TOKEN not in err


def test_mapping_twice_exits_2(db, capsys) -> None:
    argv = ["--db", db, "shipping", "map", "Main Shop", "--channel-service", "shipped"]
    code, out, err = run(capsys, *argv, "--service", "UPS Ground", "--json")
    assert code == 0
    assert json.loads(out) == {
        "channel": "Main Shop",
        "channel_service": "shipped",
        "channel_service_label": "Standard shipping",
        "service": "UPS Ground",
        "carrier": "UPS",
        "created_at": json.loads(out)["created_at"],
    }
    code, out, err = run(capsys, *argv, "--service", "UPS Ground")
    assert code == 2 and out == ""
    assert "already mapped to 'UPS Ground'" in err


def test_shipping_services_and_mappings_round_trip(db, capsys) -> None:
    base = ["--db", db, "shipping"]
    assert run(capsys, *base, "services", "add", "Collection", "--carrier", "other")[0] == 0
    code, out, _ = run(capsys, *base, "services", "add", "Royal 48", "--carrier", "royal mail",
                       "--json")  # fmt: skip
    assert code == 0 and json.loads(out)["carrier"] == "Royal Mail"
    code, out, _ = run(capsys, *base, "services", "list", "--json")
    doc = json.loads(out)
    assert [(d["name"], d["carrier"], d["orders"]) for d in doc] == [
        ("Collection", "Other", 0),
        ("Royal 48", "Royal Mail", 0),
        ("UPS Ground", "UPS", 5),
    ]
    assert run(capsys, *base, "services", "rename", "royal 48", "Royal Mail 48")[0] == 0
    assert run(capsys, *base, "services", "set", "Royal Mail 48", "--code", "RM48")[0] == 0
    code, _, err = run(capsys, *base, "map", "Main Shop", "--channel-service", "Local pickup",
                       "--service", "Collection")  # fmt: skip
    assert code == 0 and "only orders downloaded after" in err
    code, out, _ = run(capsys, *base, "mappings", "Main Shop", "--json")
    assert [(m["channel_service"], m["service"]) for m in json.loads(out)] == [
        ("local", "Collection")
    ]
    code, out, _ = run(capsys, *base, "channel-services", "Main Shop", "--json")
    assert [c["key"] for c in json.loads(out)] == [
        "shipped", "expedited_shipping", "local", "courier",
    ]  # fmt: skip
    assert run(capsys, *base, "unmap", "Main Shop", "--channel-service", "local")[0] == 0
    assert run(capsys, *base, "services", "delete", "collection")[0] == 0
    code, out, _ = run(capsys, *base, "services", "list", "--json")
    assert [d["name"] for d in json.loads(out)] == ["Royal Mail 48", "UPS Ground"]
    assert json.loads(out)[0]["code"] == "RM48"


def test_shipping_providers_json_falls_back_with_a_note(db, capsys) -> None:
    with respx.mock(base_url=API, assert_all_called=False) as router:
        route = router.get("/shipping/providers").mock(return_value=httpx.Response(200, json={}))
        code, out, err = run(capsys, "--db", db, "shipping", "providers", "--json")
    assert code == 0 and route.call_count == 1
    names = json.loads(out)
    assert names[0] == "UPS" and names[-1] == "Other" and len(names) == 24
    assert err.startswith("Note: ")


def test_orders_ship_success_and_json(db, capsys) -> None:
    with respx.mock(base_url=API, assert_all_called=False) as router:
        post = router.post("/my/orders/selling/1001/ship").mock(
            return_value=httpx.Response(
                200,
                json={"order_number": "1001", "status": "shipped", "shipping_provider": "UPS",
                      "shipping_code": "1Z42", "shipped_at": "2026-03-02T10:00:00Z"},
            )
        )  # fmt: skip
        code, out, err = run(capsys, "--db", db, "orders", "ship", "Main Shop", "1001",
                             "--tracking", "1Z42", "--json")  # fmt: skip
    assert (code, err) == (0, "")
    assert post.call_count == 1
    doc = json.loads(out)
    assert ORDER_KEYS <= set(doc)
    assert (doc["status"], doc["shipping_provider"], doc["tracking_number"]) == (
        "shipped",
        "UPS",
        "1Z42",
    )
    code, out, _ = run(capsys, "--db", db, "orders", "list", "--status", "shipped", "--json")
    assert sorted(d["order_number"] for d in json.loads(out)) == ["1001", "2000"]


def test_orders_ship_422_exits_2_and_timeout_not_confirmed_exits_1(db, capsys) -> None:
    with respx.mock(base_url=API, assert_all_called=False) as router:
        router.post("/my/orders/selling/1001/ship").mock(
            return_value=httpx.Response(422, json={"errors": ["Tracking number is invalid"]})
        )
        code, out, err = run(capsys, "--db", db, "orders", "ship", "Main Shop", "1001",
                             "--tracking", "bad")  # fmt: skip
    assert code == 2 and out == ""
    assert err == "Error: Reverb refused to mark order 1001 shipped: Tracking number is invalid.\n"

    with respx.mock(base_url=API, assert_all_called=False) as router:
        post = router.post("/my/orders/selling/1002/ship").mock(
            side_effect=httpx.ReadTimeout("slow")
        )
        router.get("/my/orders/selling/1002").mock(
            return_value=httpx.Response(200, json={"order_number": "1002", "status": "paid"})
        )
        code, out, err = run(capsys, "--db", db, "orders", "ship", "Main Shop", "1002",
                             "--tracking", "1Z")  # fmt: skip
    assert code == 1 and out == "" and post.call_count == 1
    assert "still shows it as 'paid'" in err


def test_orders_apply_and_show(db, capsys, db_path) -> None:
    engine = make_engine(db)
    with session_scope(engine) as s:
        from reverb_tui.db.models import InventoryItem

        s.add(InventoryItem(sku="GTR-0", sku_key="gtr-0", on_hand=1))
    engine.dispose()
    code, out, err = run(capsys, "--db", db, "orders", "show", "Main Shop", "1000", "--json")
    assert code == 0 and json.loads(out)["exception_reasons"]
    code, out, err = run(capsys, "--db", db, "orders", "apply", "main shop", "--json")
    assert code == 0
    assert json.loads(out) == {"channel": "Main Shop", "checked": 2, "changed": 1}
    code, out, err = run(capsys, "--db", db, "orders", "show", "Main Shop", "1000")
    assert code == 0 and "Local SKU:" in out and "GTR-0" in out and "Exception" not in out


def test_help_everywhere(capsys) -> None:
    for argv in (
        ["orders", "--help"],
        ["orders", "list", "--help"],
        ["orders", "ship", "--help"],
        ["orders", "apply", "--help"],
        ["shipping", "--help"],
        ["shipping", "services", "add", "--help"],
        ["shipping", "map", "--help"],
        ["shipping", "providers", "--help"],
    ):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 0
        assert "usage: reverb-tui" in capsys.readouterr().out
    assert main(["orders"]) == 2  # a group without its subcommand prints help, exit 2

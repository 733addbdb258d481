"""services/shipping.py: local shipping services, per-integration mappings, carrier list."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
import respx
from sqlmodel import select

from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import Order, ShippingMapping
from reverb_tui.errors import NotFound, UserError
from reverb_tui.sync.shipping import FALLBACK_PROVIDERS
from tests.conftest import SECRET_TOKEN, fast_client_factory
from tests.db_rows import API, T0, Clock, add_channel, add_order


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def svc(make_services, clock):
    return make_services(clock=clock)


def mapping_rows(engine) -> list[tuple[int, str, int]]:
    with session_scope(engine) as s:
        return sorted(
            (m.channel_id, m.channel_service, m.shipping_service_id)
            for m in s.exec(select(ShippingMapping)).all()
        )


# -- local shipping services ------------------------------------------------------------------


def test_add_list_rename_set_carrier_delete(svc) -> None:
    sh = svc.shipping
    a = sh.add("  UPS Ground ", carrier="ups", code="03")
    assert (a.name, a.carrier, a.code) == ("UPS Ground", "UPS", "03")  # carrier as Reverb spells it
    b = sh.add("Collection")
    assert b.carrier == "Other" and b.code is None
    sh.add("Parcel Local", carrier="CanPar")  # not in the swagger list: kept as typed
    assert [s.name for s in sh.list()] == ["Collection", "Parcel Local", "UPS Ground"]
    assert sh.get("parcel local").carrier == "CanPar"

    r = sh.rename("ups ground", "UPS Ground (2-5 days)")
    assert r.name == "UPS Ground (2-5 days)" and r.id == a.id
    assert sh.rename("collection", "COLLECTION").name == "COLLECTION"  # case-only rename
    assert sh.set_carrier("COLLECTION", "royal mail").carrier == "Royal Mail"
    assert sh.set_code("COLLECTION", "PC").code == "PC"

    sh.delete("parcel local")
    assert [s.name for s in sh.list()] == ["COLLECTION", "UPS Ground (2-5 days)"]


@pytest.mark.parametrize(
    "name, words",
    [("", "empty"), ("   ", "empty"), ("x" * 61, "longer than 60"), ("a\tb", "control")],
)
def test_bad_names_are_refused(svc, name, words) -> None:
    with pytest.raises(UserError, match=words):
        svc.shipping.add(name)
    assert svc.shipping.list() == []


def test_duplicate_names_are_refused_case_insensitively(svc) -> None:
    sh = svc.shipping
    sh.add("UPS Ground")
    sh.add("Royal Mail 48")
    with pytest.raises(UserError, match="already exists"):
        sh.add(" ups ground ")
    with pytest.raises(UserError, match="already exists"):
        sh.rename("Royal Mail 48", "UPS GROUND")
    assert [s.name for s in sh.list()] == ["Royal Mail 48", "UPS Ground"]


def test_unknown_service_is_refused(svc) -> None:
    for op in (
        lambda: svc.shipping.rename("Nope", "Other name"),
        lambda: svc.shipping.delete("Nope"),
        lambda: svc.shipping.set_carrier("Nope", "UPS"),
    ):
        with pytest.raises(NotFound, match="no local shipping service named 'Nope'"):
            op()


def test_delete_refused_while_a_mapping_uses_it(svc) -> None:
    ch = add_channel(svc.engine).id
    svc.shipping.add("UPS Ground", carrier="UPS")
    svc.shipping.map(ch, "shipped", "UPS Ground")
    with pytest.raises(UserError, match="used by the shipping mapping of Main Shop") as e:
        svc.shipping.delete("UPS Ground")
    assert "Standard shipping" in str(e.value)
    assert [s.name for s in svc.shipping.list()] == ["UPS Ground"]
    svc.shipping.unmap(ch, "shipped")
    svc.shipping.delete("UPS Ground")
    assert svc.shipping.list() == []


def test_delete_refused_while_an_order_uses_it(svc) -> None:
    ch = add_channel(svc.engine).id
    info = svc.shipping.add("UPS Ground", carrier="UPS")
    add_order(
        svc.engine, ch, "1001", shipping_service_id=info.id, channel_shipping_method="shipped"
    )
    add_order(
        svc.engine, ch, "1002", shipping_service_id=info.id, channel_shipping_method="shipped"
    )
    with pytest.raises(UserError, match="recorded on 2 downloaded orders"):
        svc.shipping.delete("ups ground")
    (row,) = svc.shipping.list()
    assert (row.name, row.mappings, row.orders) == ("UPS Ground", 0, 2)


# -- mappings ---------------------------------------------------------------------------------


def test_map_list_unmap(svc, clock) -> None:
    ch = add_channel(svc.engine).id
    svc.shipping.add("UPS Ground", carrier="UPS")
    svc.shipping.add("Collection")
    m = svc.shipping.map("main shop", "shipped", "ups ground")
    assert (m.channel, m.channel_service, m.label, m.service, m.carrier) == (
        "Main Shop",
        "shipped",
        "Standard shipping",
        "UPS Ground",
        "UPS",
    )
    assert m.created_at == T0
    svc.shipping.map(ch, "Local pickup", "Collection")  # a label is accepted for its key
    assert [(x.channel_service, x.service) for x in svc.shipping.mappings(ch)] == [
        ("local", "Collection"),
        ("shipped", "UPS Ground"),
    ]
    assert m.to_json()["channel_service_label"] == "Standard shipping"
    svc.shipping.unmap("Main Shop", "shipped")
    assert [x.channel_service for x in svc.shipping.mappings(ch)] == ["local"]
    with pytest.raises(NotFound, match="not mapped"):
        svc.shipping.unmap("Main Shop", "shipped")


def test_mapping_a_channel_service_twice_is_refused(svc) -> None:
    ch = add_channel(svc.engine).id
    svc.shipping.add("UPS Ground")
    svc.shipping.add("FedEx Home")
    svc.shipping.map(ch, "shipped", "UPS Ground")
    before = mapping_rows(svc.engine)
    for target in ("FedEx Home", "UPS Ground"):
        with pytest.raises(UserError, match="already mapped to 'UPS Ground'; remove that"):
            svc.shipping.map(ch, "shipped", target)
    assert mapping_rows(svc.engine) == before


def test_mapping_to_a_deleted_or_unknown_service_is_refused(svc) -> None:
    ch = add_channel(svc.engine).id
    svc.shipping.add("Gone Soon")
    svc.shipping.delete("Gone Soon")
    with pytest.raises(NotFound, match="no local shipping service named 'Gone Soon'"):
        svc.shipping.map(ch, "shipped", "Gone Soon")
    with pytest.raises(UserError, match="empty"):
        svc.shipping.map(ch, "shipped", " ")
    with pytest.raises(UserError, match="sales channel shipping service is empty"):
        svc.shipping.map(ch, "", "Gone Soon")
    assert mapping_rows(svc.engine) == []


def test_mapping_on_unknown_or_removed_channel_is_refused(svc) -> None:
    svc.shipping.add("UPS Ground")
    with pytest.raises(NotFound, match="no integration named 'Nope'"):
        svc.shipping.map("Nope", "shipped", "UPS Ground")
    ch = add_channel(svc.engine, "Old Shop").id
    svc.channels.remove(ch)
    with pytest.raises(NotFound):
        svc.shipping.map("Old Shop", "shipped", "UPS Ground")
    with pytest.raises(NotFound):
        svc.shipping.mappings(ch)


def test_mappings_are_per_channel(svc) -> None:
    a = add_channel(svc.engine, "Shop A").id
    b = add_channel(svc.engine, "Shop B").id
    svc.shipping.add("UPS Ground")
    svc.shipping.add("Collection")
    svc.shipping.map(a, "shipped", "UPS Ground")
    svc.shipping.map(b, "shipped", "Collection")  # same key, other channel: fine
    assert [m.service for m in svc.shipping.mappings(a)] == ["UPS Ground"]
    assert [m.service for m in svc.shipping.mappings(b)] == ["Collection"]


def test_save_mappings_applies_all_or_nothing(svc) -> None:
    ch = add_channel(svc.engine).id
    for n in ("UPS Ground", "UPS Express", "Collection"):
        svc.shipping.add(n)
    svc.shipping.map(ch, "shipped", "UPS Ground")
    before = mapping_rows(svc.engine)

    # One bad add (unknown service) after a good remove and a good add: nothing applies.
    with pytest.raises(NotFound):
        svc.shipping.save_mappings(
            ch,
            adds=[("expedited_shipping", "UPS Express"), ("local", "Nope")],
            removes=["shipped"],
        )
    assert mapping_rows(svc.engine) == before

    # A bad remove: nothing applies either.
    with pytest.raises(NotFound):
        svc.shipping.save_mappings(ch, adds=[("local", "Collection")], removes=["local"])
    assert mapping_rows(svc.engine) == before

    # The same key twice in one Save.
    with pytest.raises(UserError, match="mapped twice"):
        svc.shipping.save_mappings(
            ch, adds=[("local", "Collection"), ("Local pickup", "UPS Ground")], removes=[]
        )
    assert mapping_rows(svc.engine) == before

    # X on a mapping and re-map the same key in one Save; plus two new ones.
    after = svc.shipping.save_mappings(
        ch,
        adds=[
            ("shipped", "UPS Express"),
            ("local", "Collection"),
            ("freight", "UPS Ground"),
        ],
        removes=["shipped"],
    )
    assert [(m.channel_service, m.service) for m in after] == [
        ("freight", "UPS Ground"),
        ("local", "Collection"),
        ("shipped", "UPS Express"),
    ]


def test_saving_a_mapping_never_touches_stored_orders(svc) -> None:
    ch = add_channel(svc.engine).id
    oid = add_order(svc.engine, ch, "1001", channel_shipping_method="shipped")
    svc.shipping.add("UPS Ground")
    svc.shipping.map(ch, "shipped", "UPS Ground")
    with session_scope(svc.engine) as s:
        assert s.get(Order, oid).shipping_service_id is None


def test_channel_service_choices_include_values_seen_on_orders(svc) -> None:
    a = add_channel(svc.engine, "Shop A").id
    b = add_channel(svc.engine, "Shop B").id
    add_order(svc.engine, a, "1", channel_shipping_method="shipped")
    add_order(svc.engine, a, "2", channel_shipping_method="freight_pallet")
    add_order(svc.engine, a, "3", channel_shipping_method="freight_pallet")
    add_order(svc.engine, a, "4", channel_shipping_method="courier")
    add_order(svc.engine, a, "5", channel_shipping_method=None)
    add_order(svc.engine, b, "6", channel_shipping_method="only_on_b")
    assert svc.shipping.channel_service_choices("Shop A") == [
        ("shipped", "Standard shipping"),
        ("expedited_shipping", "Expedited shipping"),
        ("local", "Local pickup"),
        ("courier", "courier"),
        ("freight_pallet", "freight_pallet"),
    ]
    assert [k for k, _ in svc.shipping.channel_service_choices(b)][-1] == "only_on_b"


# -- carriers ---------------------------------------------------------------------------------


@pytest.fixture
def reverb():
    with respx.mock(base_url=API, assert_all_called=False) as router:
        yield router


@pytest.mark.parametrize(
    "body",
    [
        {"shipping_providers": [{"name": "UPS"}, {"name": "Royal Mail"}, {"name": "CanPar"}]},
        {"providers": ["UPS", "Royal Mail", "CanPar"]},
        ["UPS", "Royal Mail", "CanPar", "UPS"],
        {"something": {"x": 1}, "list": [{"provider": "UPS"}, {"display_name": "Royal Mail"},
                                          {"name": " CanPar "}, 42, None]},
    ],
)  # fmt: skip
async def test_providers_from_several_shapes(svc, reverb, body) -> None:
    add_channel(svc.engine)
    route = reverb.get("/shipping/providers").mock(return_value=httpx.Response(200, json=body))
    assert await svc.shipping.providers() == ["UPS", "Royal Mail", "CanPar", "Other"]
    assert route.call_count == 1
    auth = route.calls.last.request.headers["authorization"]
    assert auth == f"Bearer {SECRET_TOKEN}"


async def test_providers_are_cached_for_a_day_per_site(svc, reverb, clock) -> None:
    add_channel(svc.engine, "Main Shop")
    route = reverb.get("/shipping/providers").mock(
        return_value=httpx.Response(200, json={"shipping_providers": ["UPS", "Other"]})
    )
    assert (await svc.shipping.providers_info("Main Shop")).source == "live"
    clock.now = T0 + timedelta(hours=23)
    info = await svc.shipping.providers_info("main shop")
    assert (info.source, info.providers) == ("cache", ["UPS", "Other"])
    assert route.call_count == 1
    cached = json.loads(svc.shipping.cache_path().read_text())
    assert cached[API]["providers"] == ["UPS", "Other"]

    clock.now = T0 + timedelta(days=1, minutes=1)  # a day later: asked again
    route.mock(return_value=httpx.Response(200, json={"shipping_providers": ["DHL", "Other"]}))
    assert await svc.shipping.providers("Main Shop") == ["DHL", "Other"]
    assert route.call_count == 2


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(503, json={"message": "down"}),
        httpx.Response(200, json={"message": "no list here"}),
        httpx.Response(200, json=[]),
        httpx.Response(200, text="<html>oops</html>"),
        httpx.ConnectError("refused"),
    ],
)
async def test_providers_fall_back_to_the_swagger_list(svc, reverb, response) -> None:
    add_channel(svc.engine)
    route = reverb.get("/shipping/providers")
    if isinstance(response, Exception):
        route.mock(side_effect=response)
    else:
        route.mock(return_value=response)
    info = await svc.shipping.providers_info()
    assert info.source == "fallback"
    assert info.providers == list(FALLBACK_PROVIDERS)
    assert info.note and info.note.endswith("showing Reverb's documented list.")
    assert not svc.shipping.cache_path().exists()  # nothing usable was cached


async def test_providers_prefer_a_stale_cache_over_the_swagger_list(svc, reverb, clock) -> None:
    add_channel(svc.engine)
    route = reverb.get("/shipping/providers").mock(
        return_value=httpx.Response(200, json=["UPS", "CanPar"])
    )
    await svc.shipping.providers()
    clock.now = T0 + timedelta(days=3)
    route.mock(return_value=httpx.Response(500))
    info = await svc.shipping.providers_info()
    assert (info.source, info.providers) == ("stale-cache", ["UPS", "CanPar", "Other"])


async def test_providers_without_any_integration_make_no_request(svc, reverb) -> None:
    route = reverb.get("/shipping/providers")
    info = await svc.shipping.providers_info()
    assert info.providers == list(FALLBACK_PROVIDERS) and info.source == "fallback"
    assert route.call_count == 0
    with pytest.raises(NotFound):
        await svc.shipping.providers("Nope")


async def test_a_corrupt_cache_file_is_ignored(svc, reverb) -> None:
    add_channel(svc.engine)
    path = svc.shipping.cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json")
    reverb.get("/shipping/providers").mock(return_value=httpx.Response(200, json=["GLS"]))
    assert await svc.shipping.providers() == ["GLS", "Other"]
    assert json.loads(path.read_text())[API]["providers"] == ["GLS", "Other"]


def test_factory_wires_the_service(make_services) -> None:
    svc = make_services(client_factory=fast_client_factory())
    from reverb_tui.services.shipping import ShippingCatalog

    assert isinstance(svc.shipping, ShippingCatalog)

"""sync/shipping.py: the mapping lookup the order downloader calls at download time."""

from __future__ import annotations

from datetime import UTC, datetime

from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import ShippingMapping, ShippingService
from reverb_tui.sync.shipping import (
    CHANNEL_METHODS,
    FALLBACK_PROVIDERS,
    resolve_shipping_service,
)
from tests.db_rows import add_channel

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_resolve_returns_mapped_service_per_channel(make_services) -> None:
    svc = make_services()
    a, b = (add_channel(svc, name, orders_since=T0, created_at=T0) for name in ("Shop A", "Shop B"))
    with session_scope(svc.engine) as s:
        ups = ShippingService(name="UPS Ground", name_key="ups ground", carrier="UPS")
        pick = ShippingService(name="Collect", name_key="collect")
        s.add_all([ups, pick])
        s.flush()
        s.add(
            ShippingMapping(
                channel_id=a.id,
                channel_service="shipped",
                shipping_service_id=ups.id,
                created_at=T0,
            )
        )
        s.add(
            ShippingMapping(
                channel_id=b.id, channel_service="local", shipping_service_id=pick.id, created_at=T0
            )
        )
        s.flush()
        ids = (a.id, b.id, ups.id, pick.id)
    a_id, b_id, ups_id, pick_id = ids
    with session_scope(svc.engine) as s:
        assert resolve_shipping_service(s, a_id, "shipped") == ups_id
        assert resolve_shipping_service(s, a_id, " shipped ") == ups_id
        assert resolve_shipping_service(s, a_id, "local") is None
        assert resolve_shipping_service(s, b_id, "local") == pick_id
        assert resolve_shipping_service(s, b_id, "shipped") is None
        assert resolve_shipping_service(s, a_id, None) is None
        assert resolve_shipping_service(s, a_id, "") is None


def test_constants() -> None:
    assert set(CHANNEL_METHODS) == {"shipped", "expedited_shipping", "local"}
    assert FALLBACK_PROVIDERS[0] == "UPS" and FALLBACK_PROVIDERS[-1] == "Other"
    assert "Royal Mail" in FALLBACK_PROVIDERS and len(FALLBACK_PROVIDERS) == 24

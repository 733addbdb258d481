"""The Reports screen: totals per currency, range switching, custom dates, charts per
integration (a removed and re-created integration is two series), the integration filter."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from textual.widgets import DataTable, Input, Select, Static

from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import Order
from reverb_tui.screens.reports import ReportsScreen
from reverb_tui.widgets.form_error import FormError
from reverb_tui.widgets.report_chart import ReportChart
from tests.db_rows import add_channel
from tests.ui.helpers import FIXED_NOW, make_app, screen_text, settle, type_text

_numbers = count(1)


def add_order(
    services,
    channel_id: int,
    *,
    days_ago: int,
    total: int,
    currency: str = "USD",
    status: str = "paid",
    quantity: int = 1,
    sku: str | None = None,
    channel_sku: str | None = None,
) -> None:
    paid = FIXED_NOW - timedelta(days=days_ago)
    with session_scope(services.engine) as s:
        s.add(
            Order(
                channel_id=channel_id,
                order_number=str(next(_numbers)),
                status=status,
                created_at=paid - timedelta(minutes=5),
                paid_at=paid,
                total_cents=total,
                currency=currency,
                quantity=quantity,
                sku=sku,
                channel_sku=channel_sku or sku,
                first_seen_at=paid,
            )
        )


def totals(screen: ReportsScreen) -> dict[str, list[str]]:
    """The totals table as {row key: [integration, currency, orders, units, revenue, all]}."""
    table = screen.query_one("#report-totals", DataTable)
    return {row.key.value: [str(c) for c in table.get_row(row.key)] for row in table.ordered_rows}


async def open_reports(pilot) -> ReportsScreen:
    await settle(pilot)
    await pilot.press("R")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ReportsScreen)
    return screen


async def test_totals_per_currency_and_switching_the_range(fixed_services) -> None:
    main = add_channel(fixed_services, "Main shop")
    euro = add_channel(fixed_services, "Euro shop")
    add_order(fixed_services, main.id, days_ago=1, total=12_500, quantity=2, sku="GTR-1")
    add_order(fixed_services, main.id, days_ago=3, total=4_999, sku="AMP-7")
    add_order(fixed_services, main.id, days_ago=20, total=100_000, sku="GTR-1")
    add_order(fixed_services, main.id, days_ago=2, total=7_000, status="cancelled", sku="X")
    add_order(fixed_services, euro.id, days_ago=2, total=30_000, currency="EUR", sku="PED-2")
    add_order(fixed_services, euro.id, days_ago=40, total=1_000, currency="EUR", sku="PED-2")
    app = make_app(fixed_services)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reports(pilot)
        assert screen.report["range"]["days"] == 30
        assert screen.query_one("#report-body").has_focus  # arrows and page keys scroll it
        assert totals(screen) == {
            f"{main.id}:USD": ["Main shop", "USD", "3", "4", "1,174.99", "4"],
            f"{euro.id}:EUR": ["Euro shop", "EUR", "1", "1", "300.00", "1"],
            "all:EUR": ["All integrations", "EUR", "1", "1", "300.00", "1"],
            "all:USD": ["All integrations", "USD", "3", "4", "1,174.99", "4"],
        }
        summary = str(screen.query_one("#report-summary", Static).content)
        assert summary == "2026-02-13 to 2026-03-14 · 30 days (UTC)"
        orders_chart = screen.query_one(f"#channel-{main.id}-orders", ReportChart)
        assert len(orders_chart.values) == 30 and sum(orders_chart.values) == 3
        revenue = screen.query_one(f"#channel-{main.id}-revenue-usd", ReportChart)
        assert sum(revenue.values) == 1_174.99
        skus = screen.query_one(f"#channel-{main.id}-skus", DataTable)
        assert [str(skus.get_row(r.key)[0]) for r in skus.ordered_rows] == ["GTR-1", "AMP-7"]

        await pilot.press("1")  # the last 7 days
        await settle(pilot)
        assert screen.report["range"]["days"] == 7
        assert totals(screen)[f"{main.id}:USD"] == ["Main shop", "USD", "2", "3", "174.99", "3"]
        assert len(screen.query_one(f"#channel-{main.id}-orders", ReportChart).values) == 7

        await pilot.press("3")  # the last 90 days: the old euro sale counts
        await settle(pilot)
        assert screen.report["range"]["days"] == 90
        assert totals(screen)["all:EUR"] == ["All integrations", "EUR", "2", "2", "310.00", "2"]
        assert not screen.query_one("#report-body").loading


async def test_a_bad_custom_date_is_one_sentence_and_changes_nothing(fixed_services) -> None:
    main = add_channel(fixed_services, "Main shop")
    add_order(fixed_services, main.id, days_ago=1, total=2_000)
    add_order(fixed_services, main.id, days_ago=10, total=3_000)
    app = make_app(fixed_services)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reports(pilot)
        before = screen.report
        await pilot.press("c")
        await pilot.pause()
        start = screen.query_one("#report-from", Input)
        assert start.has_focus
        start.value = ""
        await type_text(pilot, "2026-02-30")
        await pilot.press("enter", "enter")  # to the end date, then apply
        await settle(pilot)
        error = screen.query_one("#report-error", FormError)
        assert error.display
        assert error.message == "The start date '2026-02-30' is not a real calendar date."
        assert screen.report is before  # nothing recomputed

        start.value = "2026-03-10"
        screen.query_one("#report-to", Input).value = "2026-03-01"
        screen.apply_custom()
        await settle(pilot)
        assert error.message == "The start date 2026-03-10 is after the end date 2026-03-01."
        assert screen.report is before

        screen.query_one("#report-to", Input).value = "2026-03-14"
        screen.apply_custom()
        await settle(pilot)
        assert not error.display
        assert screen.report["range"] == {"start": "2026-03-10", "end": "2026-03-14", "days": 5}
        assert totals(screen)[f"{main.id}:USD"][2:5] == ["1", "1", "20.00"]


async def test_a_removed_and_recreated_integration_is_two_series(fixed_services) -> None:
    old = add_channel(fixed_services, "Main shop")
    add_order(fixed_services, old.id, days_ago=12, total=5_000, sku="GTR-1")
    add_order(fixed_services, old.id, days_ago=11, total=6_000, sku="GTR-1")
    fixed_services.channels.remove(old.id)
    new = add_channel(fixed_services, "Main shop")
    add_order(fixed_services, new.id, days_ago=2, total=7_000, sku="GTR-1")
    app = make_app(fixed_services)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reports(pilot)
        sections = [s.id for s in screen.query(".report-section")]
        assert sections == [f"channel-{old.id}", f"channel-{new.id}"]
        old_chart = screen.query_one(f"#channel-{old.id}-orders", ReportChart)
        new_chart = screen.query_one(f"#channel-{new.id}-orders", ReportChart)
        assert sum(old_chart.values) == 2 and sum(new_chart.values) == 1
        rows = totals(screen)
        assert rows[f"{old.id}:USD"][:3] == ["Main shop (removed)", "USD", "2"]
        assert rows[f"{new.id}:USD"][:3] == ["Main shop", "USD", "1"]
        text = screen_text(app)
        assert "Main shop (removed) · 2 orders" in text
        assert "Main shop · 1 orders" in text

        # Filtering by the name shows both series, each still on its own.
        screen.query_one("#report-channel", Select).value = "Main shop"
        await settle(pilot)
        assert screen.report["channel"] == "Main shop"
        assert [s.id for s in screen.query(".report-section")] == sections


async def test_the_filter_limits_the_report_to_one_integration(fixed_services) -> None:
    main = add_channel(fixed_services, "Main shop")
    other = add_channel(fixed_services, "Other shop")
    add_order(fixed_services, main.id, days_ago=1, total=1_000)
    add_order(fixed_services, other.id, days_ago=1, total=2_000)
    app = make_app(fixed_services)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_reports(pilot)
        select = screen.query_one("#report-channel", Select)
        assert [label for label, _value in screen._channel_options] == [
            "All integrations",
            "Main shop",
            "Other shop",
        ]
        select.value = "Other shop"
        await settle(pilot)
        assert list(totals(screen)) == [f"{other.id}:USD"]
        assert [s.id for s in screen.query(".report-section")] == [f"channel-{other.id}"]
        assert select.value == "Other shop"  # kept when the options were refreshed


async def test_charts_fit_a_small_terminal(fixed_services) -> None:
    main = add_channel(fixed_services, "Main shop")
    for day in range(90):
        add_order(fixed_services, main.id, days_ago=day, total=1_000 + day)
    app = make_app(fixed_services)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_reports(pilot)
        await pilot.press("3")
        await settle(pilot)
        assert screen.has_class("-narrow")  # the charts stack
        chart = screen.query_one(f"#channel-{main.id}-orders", ReportChart)
        assert chart.size.width <= 80
        assert chart.bucket_days > 1  # 90 bars do not fit 78 columns: days are summed
        assert chart.title == f"Orders per {chart.bucket_days} days"
        body = screen.query_one("#report-body")
        assert body.has_focus
        await pilot.press("pagedown")  # the charts and tables below are reached by scrolling
        await pilot.pause()
        assert body.scroll_y > 0
        top_skus = screen.query_one(f"#channel-{main.id}-skus", DataTable)
        body.scroll_to_widget(top_skus, animate=False)
        await pilot.pause()
        assert top_skus.region.height > 0  # nothing clipped away at the bottom

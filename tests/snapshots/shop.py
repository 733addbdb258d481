"""The integrations the snapshot pictures show, with every time relative to the fixed clock."""

from __future__ import annotations

from datetime import timedelta

from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import Channel
from reverb_tui.services.factory import Services
from tests.db_rows import add_channel
from tests.ui.helpers import FIXED_NOW


def two_channels(services: Services) -> tuple[int, int]:
    """ "Main shop" synced recently; "Vintage room" disabled, needing reauthorisation, with
    errors. Returns their ids (main, vintage)."""
    main = add_channel(services, "Main shop")
    vintage = add_channel(services, "Vintage room", enabled=False)
    with session_scope(services.engine) as s:
        row = s.get(Channel, main.id)
        row.last_order_sync_at = FIXED_NOW - timedelta(minutes=5)
        row.last_stock_push_at = FIXED_NOW - timedelta(hours=2)
        s.add(row)
        row = s.get(Channel, vintage.id)
        row.last_order_sync_at = FIXED_NOW - timedelta(days=9)
        row.needs_reauth = True
        row.error_count = 3
        row.last_error = "Reverb refused this token (401): The access token is invalid."
        s.add(row)
    return int(main.id), int(vintage.id)

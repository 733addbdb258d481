"""Shipping mappings as used at download time (mappings are frozen on an order
when it is first downloaded). Sync-only helpers; no network and no UI here."""

from __future__ import annotations

from sqlmodel import Session, col, select

from ..db.models import ShippingMapping
from ..reverb.providers import SWAGGER_PROVIDERS

# Reverb's ``shipping_method`` values (the buyer's service level, not the
# carrier; docs/reverb-api-notes.md) and their readable labels.
CHANNEL_METHODS: dict[str, str] = {
    "shipped": "Standard shipping",
    "expedited_shipping": "Expedited shipping",
    "local": "Local pickup",
}

# Swagger's provider enumeration for POST /my/orders/selling/{n}/ship (docs/reverb-api-notes.md),
# used when GET /shipping/providers is unreachable or answers an unusable shape.
FALLBACK_PROVIDERS: tuple[str, ...] = SWAGGER_PROVIDERS


def resolve_shipping_service(
    session: Session, channel_id: int, channel_method: str | None
) -> int | None:
    """The local shipping service id mapped to ``channel_method`` on this channel, or None.

    Matching is exact on the trimmed method (Reverb's values are lower-case identifiers).
    """
    if channel_method is None:
        return None
    method = channel_method.strip()
    if not method:
        return None
    return session.exec(
        select(ShippingMapping.shipping_service_id).where(
            col(ShippingMapping.channel_id) == channel_id,
            col(ShippingMapping.channel_service) == method,
        )
    ).first()

"""The one factory that builds every service; the CLI, the TUI and the tests all call it."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from ..clock import Clock, utcnow

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from ..reverb.client import ClientFactory, ReverbClient
    from ..sync.service import SyncService
    from .channels import ChannelService
    from .inventory import InventoryService
    from .orders import OrderService
    from .reports import ReportService
    from .shipping import ShippingCatalog
    from .skus import SkuService
    from .sync_log import SyncLog

TIMEOUT_ENV = "REVERB_TUI_HTTP_TIMEOUT"


def default_client_factory(api_url: str, token: str, rate_limit: float) -> ReverbClient:
    """A client per integration. ``$REVERB_TUI_HTTP_TIMEOUT`` (seconds), else the config
    file's ``http_timeout``, sets how long one request may take before it counts as failed
    (default 20 s; 10 s to connect)."""
    import os

    import httpx

    from ..config import current
    from ..errors import UserError
    from ..reverb.client import DEFAULT_TIMEOUT, ReverbClient

    timeout = DEFAULT_TIMEOUT
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    seconds: float | None = None
    if raw:
        try:
            seconds = float(raw)
        except ValueError:
            seconds = -1.0
        if not 0.1 <= seconds <= 600:
            raise UserError(f"${TIMEOUT_ENV} must be a number of seconds from 0.1 to 600.")
    else:
        seconds = current().http_timeout  # checked when the file was read
    if seconds is not None:
        timeout = httpx.Timeout(seconds, connect=min(10.0, seconds))
    return ReverbClient(api_url, token, rate_limit=rate_limit, timeout=timeout)


@dataclass
class Services:
    engine: Engine
    db_target: str
    clock: Clock = utcnow
    client_factory: ClientFactory = field(default=default_client_factory)

    @cached_property
    def channels(self) -> ChannelService:
        from .channels import ChannelService

        return ChannelService(self.engine, self.client_factory, self.clock)

    # Each service lives in its own module; imported on first use so start-up stays light.

    @cached_property
    def inventory(self) -> InventoryService:
        from .inventory import InventoryService

        return InventoryService(self.engine, self.clock)

    @cached_property
    def skus(self) -> SkuService:
        from .skus import SkuService

        return SkuService(self.engine, self.clock)

    @cached_property
    def shipping(self) -> ShippingCatalog:
        from .shipping import ShippingCatalog

        return ShippingCatalog(self.engine, self.client_factory, self.clock)

    @cached_property
    def orders(self) -> OrderService:
        from .orders import OrderService

        return OrderService(self.engine, self.client_factory, self.clock)

    @cached_property
    def sync(self) -> SyncService:
        from ..sync.service import SyncService

        return SyncService(self.engine, self.client_factory, self.clock)

    @cached_property
    def sync_log(self) -> SyncLog:
        from .sync_log import SyncLog

        return SyncLog(self.engine)

    @cached_property
    def reports(self) -> ReportService:
        from .reports import ReportService

        return ReportService(self.engine, self.clock)

    def close(self) -> None:
        self.engine.dispose()


def build_services(
    db_target: str | None = None,
    *,
    clock: Clock = utcnow,
    client_factory: ClientFactory | None = None,
) -> Services:
    """Open the database (migrating it) and wire the services."""
    from ..db.engine import make_engine
    from ..paths import db_target as resolve_target

    target = resolve_target(db_target)
    engine = make_engine(target)
    return Services(
        engine=engine,
        db_target=target,
        clock=clock,
        client_factory=client_factory or default_client_factory,
    )

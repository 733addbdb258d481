"""The one factory that builds every service; the CLI, the TUI and the tests all call it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..clock import Clock, utcnow
from ..errors import StorageError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from ..reverb.client import ClientFactory, ReverbClient
    from ..sync.service import SyncService
    from .channels import ChannelService
    from .inventory import InventoryService
    from .onboarding import OnboardingService
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


T = TypeVar("T")


class _service(Generic[T]):
    """A service built on first use, once, under the Services' lock; then a plain attribute."""

    def __init__(self, build: Callable[[Any], T]) -> None:
        self.build = build
        self.name = build.__name__

    def __get__(self, obj: Services | None, owner: type | None = None) -> T:
        if obj is None:
            return self  # type: ignore[return-value]
        built = obj.__dict__.get(self.name)
        if built is None:
            with obj._lock:
                built = obj.__dict__.get(self.name)
                if built is None:
                    built = obj.__dict__[self.name] = self.build(obj)
        return built


class Services:
    """Every service, on one database. ``engine`` is the opened database; a ``Services`` made
    by ``build_services(..., lazy=True)`` opens (and migrates) it on first use instead, on
    whichever thread asks first, while any other thread asking meanwhile waits for it. The
    TUI uses that to paint its first frame before SQLAlchemy is even imported."""

    def __init__(
        self,
        engine: Engine | None,
        db_target: str,
        clock: Clock = utcnow,
        client_factory: ClientFactory = default_client_factory,
        *,
        opener: Callable[[], Engine] | None = None,
    ) -> None:
        if (engine is None) == (opener is None):
            raise ValueError("give either an engine or an opener")
        self._engine = engine
        self._opener = opener
        self._error: BaseException | None = None
        # One lock for opening the database and building each service: the database stack
        # (SQLAlchemy, SQLModel, httpx) is imported by one thread at a time. Imported by
        # several at once, from different entry points, its circular imports can hand one
        # thread a partly initialised module.
        self._lock = threading.RLock()
        self._closed = False
        self.db_target = db_target
        self.clock = clock
        self.client_factory = client_factory

    @property
    def engine(self) -> Engine:
        engine = self._engine
        if engine is not None:
            return engine
        with self._lock:
            if self._engine is None:
                if self._error is not None:  # opening failed once: the same error again
                    raise self._error
                if self._closed or self._opener is None:
                    raise StorageError("The database was closed.")
                try:
                    self._engine = self._opener()
                except BaseException as exc:
                    self._error = exc
                    raise
            return self._engine

    @property
    def opened(self) -> bool:
        """True once the database is open (always, unless made with ``lazy=True``)."""
        return self._engine is not None

    @_service
    def channels(self) -> ChannelService:
        from .channels import ChannelService

        return ChannelService(self.engine, self.client_factory, self.clock)

    # Each service lives in its own module; imported on first use so start-up stays light.

    @_service
    def inventory(self) -> InventoryService:
        from .inventory import InventoryService

        return InventoryService(self.engine, self.clock)

    @_service
    def onboarding(self) -> OnboardingService:
        from .onboarding import OnboardingService

        return OnboardingService(self.engine, self.clock)

    @_service
    def skus(self) -> SkuService:
        from .skus import SkuService

        return SkuService(self.engine, self.clock)

    @_service
    def shipping(self) -> ShippingCatalog:
        from .shipping import ShippingCatalog

        return ShippingCatalog(self.engine, self.client_factory, self.clock)

    @_service
    def orders(self) -> OrderService:
        from .orders import OrderService

        return OrderService(self.engine, self.client_factory, self.clock)

    @_service
    def sync(self) -> SyncService:
        from ..sync.service import SyncService

        return SyncService(self.engine, self.client_factory, self.clock)

    @_service
    def sync_log(self) -> SyncLog:
        from .sync_log import SyncLog

        return SyncLog(self.engine)

    @_service
    def reports(self) -> ReportService:
        from .reports import ReportService

        return ReportService(self.engine, self.clock)

    def close(self) -> None:
        """Dispose of the engine; a database still being opened is waited for, then closed."""
        with self._lock:
            self._closed = True
            if self._engine is not None:
                self._engine.dispose()


def build_services(
    db_target: str | None = None,
    *,
    clock: Clock = utcnow,
    client_factory: ClientFactory | None = None,
    lazy: bool = False,
) -> Services:
    """Open the database (migrating it) and wire the services. ``lazy``: open it on first
    use instead (``Services.engine``), so that nothing of the database stack is imported yet."""
    from ..paths import db_target as resolve_target

    target = resolve_target(db_target)

    def open_engine() -> Engine:
        from ..db.engine import make_engine

        return make_engine(target)

    return Services(
        None if lazy else open_engine(),
        target,
        clock,
        client_factory or default_client_factory,
        opener=open_engine if lazy else None,
    )

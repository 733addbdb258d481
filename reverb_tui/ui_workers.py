"""Worker routing that screens and widgets share (imported by both; imports neither).

- Work runs in named worker groups (``GROUP_*``) with ``exit_on_error=False``;
  ``exclusive=True`` is used only within a group. Worker names are ``WorkerName`` members,
  so a handler that compares ``worker.name`` cannot misspell one.
- ``Worker.StateChanged`` does not bubble, so ``WorkerRouting`` (mixed into every screen and
  into the widgets that run workers) turns a failure into a bubbling ``WorkerFailed``. The
  App handles it once: the screen or widget that asked may show the error inline (a form:
  ``show_worker_error`` returns True), otherwise the App notifies.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, cast

from textual.dom import DOMNode
from textual.message import Message
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from .services.factory import Services

GROUP_DB = "db"  # short database writes and reads in a thread
GROUP_TABLE = "table"  # reading the rows of a table (exclusive: the newest read wins)
GROUP_VERIFY = "verify"  # async calls to Reverb made while a person waits on a form
GROUP_SYNC = "sync"  # background sync runs
GROUP_PROVIDERS = "providers"  # Reverb's shipping providers (exclusive: one read at a time)
GROUP_SEARCH = "search"  # debounced searches as a person types (exclusive)


class WorkerName(StrEnum):
    """Every worker's name (a ``StrEnum``: equal to the plain string Textual keeps)."""

    ADD_SKU = "add-sku"
    APPLY_MAPPINGS = "apply-mappings"
    APPLY_WAITING = "apply-waiting"
    AUTO_LINK = "auto-link"
    CHECK_DELETE = "check-delete"
    CHECK_NAME = "check-name"
    CHECK_SKU_MAPPING = "check-sku-mapping"
    COUNT_ORDERS = "count-orders"
    CSV_FILE = "csv-file"
    DELETE_SERVICE = "delete-service"
    DELETE_SKU = "delete-sku"
    INVENTORY = "inventory"
    INVENTORY_SEARCH = "inventory-search"
    LOAD_CARRIERS = "load-carriers"
    LOAD_CHANNEL = "load-channel"
    LOAD_CHANNELS = "load-channels"
    LOAD_LOG_FILTER = "load-log-filter"
    LOAD_ORDER = "load-order"
    LOAD_ORDER_FILTERS = "load-order-filters"
    LOAD_ORDERS = "load-orders"
    LOAD_PROVIDERS = "load-providers"
    LOAD_RUNS = "load-runs"
    LOAD_SERVICES = "load-services"
    LOAD_SHIPPING_MAPPINGS = "load-shipping-mappings"
    LOAD_SKU_MAPPINGS = "load-sku-mappings"
    ONBOARD_CREATE = "onboard-create"
    ONBOARD_PLAN = "onboard-plan"
    REAUTHORISE = "reauthorise"
    REMOVE_CHANNEL = "remove-channel"
    REPORT = "report"
    RETRY_RUN = "retry-run"
    SAVE_SERVICE = "save-service"
    SAVE_SETTINGS = "save-settings"
    SAVE_SHIPPING_MAPPINGS = "save-shipping-mappings"
    SAVE_SKU_MAPPINGS = "save-sku-mappings"
    SET_ENABLED = "set-enabled"
    SET_ON_HAND = "set-on-hand"
    SHIP = "ship"
    SKU_SEARCH = "sku-search"
    STOCK_DRY_RUN = "stock-dry-run"
    SYNC_LOOP = "sync-loop"
    SYNC_NOW = "sync-now"
    UNLINKED = "unlinked"
    UNLINKED_COUNTS = "unlinked-counts"
    VERIFY_CHANNEL = "verify-channel"


class WorkerFailed(Message):
    """A worker ended in error. Posted by ``origin`` (the screen or widget that ran it); it
    bubbles to the App, which reports it once (see ``ReverbApp.on_worker_failed``)."""

    def __init__(self, worker: Worker[Any], origin: DOMNode) -> None:
        super().__init__()
        self.worker = worker
        self.origin = origin


class _HasServices(Protocol):
    services: Services


class WorkerRouting:
    """Mixin for screens and widgets: failed workers become ``WorkerFailed``; ``services`` is
    the App's injected ``Services``.

    The handler's name has a leading underscore so that Textual calls it from this class's
    ``__dict__`` during its walk of the MRO, in addition to any ``on_worker_state_changed``
    the screen or widget defines; override ``worker_state_changed`` to follow progress.
    """

    app: Any  # Textual's ``MessagePump.app``; the App is ``ReverbApp`` (see ``services``)

    @property
    def services(self) -> Services:
        # Not ``getters.app(lambda: ReverbApp)``: Textual 8.2.8 calls that lambda when the
        # class is created, which would import the App into every widget module.
        return cast(_HasServices, self.app).services

    def _on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            cast(DOMNode, self).post_message(WorkerFailed(event.worker, cast(DOMNode, self)))
        self.worker_state_changed(event.worker, event.state)

    def worker_state_changed(self, worker: Worker[Any], state: WorkerState) -> None:
        """Hook for screens that track a worker's progress (spinners, disabled buttons)."""

    def show_worker_error(self, worker: Worker[Any], message: str) -> bool:
        """Show ``message`` inline for ``worker``; return False to let the App notify."""
        return False

"""The control API under ``/_sim``: drives a simulator running in another process (the
standalone runner) through the facade's public methods. Never counted, never faulted.

A body is a JSON object; a missing or bad field answers 400 (server.py), an unknown route 404.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .api import Reply

if TYPE_CHECKING:
    from .simulator import ReverbSimulator

Handler = Callable[["ReverbSimulator", dict[str, str], dict[str, Any]], Reply]


@dataclass(frozen=True)
class ControlRoute:
    method: str
    path: str  # below /_sim, e.g. "/stats"
    handler: Handler


def jsonable(obj: Any) -> Any:
    """A copy with every dict key a string (counters key listing ids and statuses by int)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    return copy.deepcopy(obj)


def _stats(sim: ReverbSimulator, query: dict[str, str], data: dict[str, Any]) -> Reply:
    return Reply(200, jsonable(sim.stats()))


def _reset(sim: ReverbSimulator, query: dict[str, str], data: dict[str, Any]) -> Reply:
    sim.reset_counters()
    return Reply(200, {"ok": True})


def _get_config(sim: ReverbSimulator, query: dict[str, str], data: dict[str, Any]) -> Reply:
    return Reply(200, sim.config())


def _set_config(sim: ReverbSimulator, query: dict[str, str], data: dict[str, Any]) -> Reply:
    return Reply(200, sim.configure(**data))


def _shops(sim: ReverbSimulator, query: dict[str, str], data: dict[str, Any]) -> Reply:
    return Reply(200, {"shops": sim.shop_summaries()})


def _tick(sim: ReverbSimulator, query: dict[str, str], data: dict[str, Any]) -> Reply:
    return Reply(200, {"events": sim.tick(**data)})


def _sale(sim: ReverbSimulator, query: dict[str, str], data: dict[str, Any]) -> Reply:
    shop = data.pop("shop")
    return Reply(200, sim.add_sale(shop, **data))


def _status(sim: ReverbSimulator, query: dict[str, str], data: dict[str, Any]) -> Reply:
    return Reply(200, sim.set_order_status(data["shop"], data["order_number"], data["status"]))


def _orders(sim: ReverbSimulator, query: dict[str, str], data: dict[str, Any]) -> Reply:
    return Reply(200, {"orders": sim.orders(query["shop"])})


def _listings(sim: ReverbSimulator, query: dict[str, str], data: dict[str, Any]) -> Reply:
    return Reply(200, {"listings": sim.listings(query["shop"])})


def _activity(sim: ReverbSimulator, query: dict[str, str], data: dict[str, Any]) -> Reply:
    every = float(data.get("every_seconds") or 0)
    if every > 0:
        sim.start_activity(every)
    else:
        sim.stop_activity()
    return Reply(200, {"every_seconds": every})


CONTROL_ROUTES: tuple[ControlRoute, ...] = (
    ControlRoute("GET", "/stats", _stats),
    ControlRoute("POST", "/reset", _reset),
    ControlRoute("GET", "/config", _get_config),
    ControlRoute("POST", "/config", _set_config),
    ControlRoute("GET", "/shops", _shops),
    ControlRoute("POST", "/tick", _tick),
    ControlRoute("POST", "/sale", _sale),
    ControlRoute("POST", "/status", _status),
    ControlRoute("GET", "/orders", _orders),
    ControlRoute("GET", "/listings", _listings),
    ControlRoute("POST", "/activity", _activity),
)
_BY_KEY = {(r.method, r.path): r for r in CONTROL_ROUTES}


def handle(sim: ReverbSimulator, method: str, path: str, query: dict[str, str], data: Any) -> Reply:
    """Answer a control request (``path`` as sent, e.g. ``/_sim/stats``). Raises KeyError,
    ValueError or TypeError for a bad body, which server.py answers with a 400."""
    if not isinstance(data, dict):
        raise ValueError("control body must be a JSON object")
    route = _BY_KEY.get((method, path.removeprefix("/_sim")))
    if route is None:
        return Reply(404, {"message": f"no control endpoint {method} {path}"})
    return route.handler(sim, query, data)

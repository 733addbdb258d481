"""The simulated Reverb: a real HTTP server on loopback for the demo, tests and benchmarks.

``ReverbSimulator`` is imported lazily so that ``python -m reverb_tui.demo.simulator`` runs
without the module being imported twice.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ReverbSimulator"]


def __getattr__(name: str) -> Any:
    if name == "ReverbSimulator":
        from .simulator import ReverbSimulator

        return ReverbSimulator
    raise AttributeError(name)

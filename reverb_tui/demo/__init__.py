"""The simulated Reverb: a real HTTP server on loopback for the demo, tests and benchmarks.

``ReverbSimulator`` is imported lazily: the CLI imports ``demo.options`` to build its parser
without loading the simulator, and ``python -m reverb_tui.demo.simulator`` (the runner's former
name) does not find the module already imported.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ReverbSimulator"]


def __getattr__(name: str) -> Any:
    if name == "ReverbSimulator":
        from .simulator import ReverbSimulator

        return ReverbSimulator
    raise AttributeError(name)

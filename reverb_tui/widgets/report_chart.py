"""A bar chart of one value per day (orders, revenue) drawn with Plotext.

The chart is redrawn from its data at every render, at the widget's current size: when there
are more days than the plot has columns for, consecutive days are summed into equal buckets
(the title then says "per N days"), so a 90-day range stays readable in an 80-column terminal.
"""

from __future__ import annotations

import math
from datetime import date

from textual.app import RenderResult
from textual_plotext import PlotextPlot

# Columns Plotext takes for the y-axis labels and the frame, besides the bars.
AXIS_COLUMNS = 10
# Columns each bar wants before days are bucketed.
COLUMNS_PER_BAR = 1
MAX_X_LABELS = 6


def buckets(
    days: list[date], values: list[float], slots: int
) -> tuple[int, list[date], list[float]]:
    """Sum consecutive days into buckets so at most ``slots`` bars remain.

    Returns the bucket size in days, the first day of each bucket, and each bucket's sum.
    """
    if not days:
        return 1, [], []
    size = max(1, math.ceil(len(days) / max(1, slots)))
    firsts = days[::size]
    sums = [sum(values[i : i + size]) for i in range(0, len(values), size)]
    return size, firsts, sums


def nice_step(top: float, most: int = 4) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving at most ``most`` steps to ``top``."""
    if top <= 0:
        return 1.0
    raw = top / most
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * power >= raw:
            return m * power
    return 10 * power


def tick_label(value: float) -> str:
    """``12500`` -> ``12,500``; ``2.5`` -> ``2.5``."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def tick_positions(count: int, most: int = MAX_X_LABELS) -> list[int]:
    """Evenly spread indexes (first and last included) for at most ``most`` x labels."""
    if count <= 0:
        return []
    if count <= most:
        return list(range(count))
    step = (count - 1) / (most - 1)
    return sorted({round(i * step) for i in range(most)})


class ReportChart(PlotextPlot):
    """Bars of ``values`` (one per day in ``days``) under a title such as "Orders per day"."""

    DEFAULT_CSS = """
    ReportChart {
        height: 12;
        min-width: 30;
    }
    """

    def __init__(
        self,
        what: str,
        days: list[date],
        values: list[float],
        *,
        color: tuple[int, int, int],
        whole: bool = True,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        if len(days) != len(values):
            raise ValueError("a chart needs one value per day")
        self.what = what
        self.days = list(days)
        self.values = list(values)
        self.color = color
        self.whole = whole
        self.bucket_days = 1

    @property
    def title(self) -> str:
        per = "day" if self.bucket_days == 1 else f"{self.bucket_days} days"
        return f"{self.what} per {per}"

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_data()
        slots = (self.size.width - AXIS_COLUMNS) // COLUMNS_PER_BAR
        self.bucket_days, firsts, sums = buckets(self.days, self.values, slots)
        plt.title(self.title)
        if not firsts:
            return
        xs = list(range(len(firsts)))
        plt.bar(xs, sums, color=self.color, width=0.6, reset_ticks=False)
        ticks = tick_positions(len(firsts), max(2, min(MAX_X_LABELS, self.size.width // 12)))
        plt.xticks(ticks, [firsts[i].strftime("%m-%d") for i in ticks])
        step = nice_step(max(sums))
        if self.whole:
            step = max(1.0, math.ceil(step))
        count = max(1, math.ceil(max(sums) / step))
        yticks = [i * step for i in range(count + 1)]
        plt.ylim(0, yticks[-1])
        plt.yticks(yticks, [tick_label(v) for v in yticks])
        plt.xlim(-0.6, len(firsts) - 0.4)

    def render(self) -> RenderResult:
        self._draw()
        return super().render()

"""Charts as inline SVG, drawn on the server: no JavaScript library, no CDN, readable without scripts.

Presentation, so it stays in `api/`: the figures come from `services/statistics.py` and `services/supervision.py`.

Four small functions share one frame (a y axis with round ticks, grid lines, x labels, a legend):

- `bar_chart`: one value per category (no legend).
- `grouped_bar_chart`: several series side by side per category (e.g. before vs after per one-thing).
- `stacked_bar_chart`: several series stacked per category (e.g. outcomes per week).
- `line_chart`: several series as lines over the categories (e.g. a rate per week); None leaves a gap.

Every chart shows its title on top and a legend of its series below; it is an `<svg role="img">` with a
`<title>` and a `<desc>` that lists the figures in words, so a
screen reader gets the data, and every bar or point has its own `<title>` (shown on hover). The result is
`Markup`, to be placed in a Jinja2 template as it is; all text passed in is escaped here. Colours come from
`PALETTE` in series order unless a series names its own. Sizes are the viewBox: the SVG scales to the
width of its container (CSS class `chart`).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#0b5cad", "#e07b00", "#1e7b34", "#b42318", "#6b4fbb", "#00838f", "#5b6473")
"""Distinguishable on white and for the common colour-vision deficiencies (blue/orange first)."""

_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 44, 64
_LEGEND_ROW = 20
_MAX_X_LABELS = 14
_FONT = 12
"""The labels' font size (svg.chart in the stylesheet), to tell whether a label fits under its bar."""
_LABEL_GAP = 16
_WIDEST_BAR = 72
"""A lone category must not turn into a wall of colour."""


@dataclass(frozen=True)
class Series:
    """One named row of values, one per category; None where there is no value."""

    name: str
    values: Sequence[float | None]
    color: str | None = None


def number(value: float) -> str:
    """A figure as people write it: no trailing `.0`, at most two decimals."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def nice_ticks(maximum: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least `maximum` (steps of 1, 2, 2.5 or 5 times a power of ten)."""
    if maximum <= 0:
        return [0.0, 1.0]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    steps = math.ceil(maximum / step - 1e-9)
    return [round(i * step, 10) for i in range(steps + 1)]


def text_width(text: str) -> float:
    """An estimate of how wide `text` is drawn: a CJK or full-width character is one em, anything else about half
    of one (the fonts are the system's, so no exact metrics exist on the server)."""
    return sum(_FONT if unicodedata.east_asian_width(char) in "WF" else 0.6 * _FONT for char in text)


@dataclass(frozen=True)
class _Frame:
    chart_id: str
    width: int
    height: int
    categories: Sequence[str]
    ticks: list[float]
    unit: str
    legend: Sequence[Series]

    @property
    def vertical_labels(self) -> bool:
        """Labels wider than their slot would run into each other side by side: they are written top to bottom
        (CJK characters upright) under their bars instead."""
        step = math.ceil(len(self.categories) / _MAX_X_LABELS) or 1
        return any(text_width(label) > self.band(0)[1] * step - 4 for label in self.categories[::step])

    @property
    def _label_step(self) -> int:
        """Every how many categories a label is written: side by side, at most _MAX_X_LABELS of them; top to
        bottom, every one whose slot is as wide as a line of text."""
        if self.vertical_labels:
            return max(1, math.ceil((_FONT + 2) / self.band(0)[1]))
        return math.ceil(len(self.categories) / _MAX_X_LABELS) or 1

    @property
    def label_depth(self) -> float:
        """How far below the plot the x labels reach."""
        if not self.vertical_labels:
            return _BOTTOM
        return _LABEL_GAP + max((text_width(label) for label in self.categories), default=0) + 8

    @property
    def full_height(self) -> float:
        """The height asked for, plus what labels written top to bottom need beyond the usual margin: the plot
        keeps its size."""
        return self.height + max(0.0, self.label_depth - _BOTTOM)

    @property
    def plot_bottom(self) -> float:
        return self.height - _BOTTOM - self._legend_height

    @property
    def _legend_height(self) -> int:
        return _LEGEND_ROW if self.legend else 0

    @property
    def plot_width(self) -> float:
        return self.width - _LEFT - _RIGHT

    def y(self, value: float) -> float:
        top = self.ticks[-1] or 1
        return self.plot_bottom - (self.plot_bottom - _TOP) * value / top

    def band(self, index: int) -> tuple[float, float]:
        """(left x, width) of a category's slot."""
        width = self.plot_width / max(len(self.categories), 1)
        return _LEFT + index * width, width

    def axes(self) -> list[str]:
        parts = []
        for tick in self.ticks:
            y = self.y(tick)
            parts.append(f'<line class="grid" x1="{_LEFT}" x2="{self.width - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
            parts.append(f'<text class="tick" x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{number(tick)}</text>')
        if self.unit:
            parts.append(
                f'<text class="unit" x="{_LEFT - 6}" y="{_TOP - 14}" text-anchor="end">{escape(self.unit)}</text>'
            )
        bottom = self.plot_bottom
        parts.append(
            f'<line class="axis" x1="{_LEFT}" x2="{self.width - _RIGHT}" y1="{bottom:.1f}" y2="{bottom:.1f}"/>'
        )
        parts.append(f'<line class="axis" x1="{_LEFT}" x2="{_LEFT}" y1="{_TOP}" y2="{bottom:.1f}"/>')
        every = self._label_step
        vertical = self.vertical_labels
        for index, label in enumerate(self.categories):
            if index % every:
                continue
            left, width = self.band(index)
            x, y = left + width / 2, bottom + _LABEL_GAP
            if vertical:
                # Tilted text ran into its neighbours and the legend and off the left edge; written top to
                # bottom each label keeps to its own bar's width and the frame grows to fit the longest.
                parts.append(
                    f'<text class="label" x="{x:.1f}" y="{y - _LABEL_GAP + 6:.1f}" writing-mode="vertical-rl" '
                    f'text-anchor="start">{escape(label)}</text>'
                )
            else:
                parts.append(f'<text class="label" x="{x:.1f}" y="{y:.1f}" text-anchor="middle">{escape(label)}</text>')
        return parts

    def legend_parts(self) -> list[str]:
        parts, x, y = [], float(_LEFT), self.full_height - _LEGEND_ROW + 4
        for index, series in enumerate(self.legend):
            parts.append(f'<rect x="{x:.1f}" y="{y - 10}" width="12" height="12" fill="{_color(series, index)}"/>')
            parts.append(f'<text class="legend" x="{x + 16:.1f}" y="{y}">{escape(series.name)}</text>')
            x += 28 + 13 * len(series.name)  # wide enough for CJK characters, the widest ones here
        return parts

    def svg(self, title: str, description: str, body: list[str]) -> Markup:
        labelled = f"{self.chart_id}-title {self.chart_id}-desc"
        heading = f'<text class="title" x="8" y="20">{escape(title)}</text>'
        content = "".join([heading, *self.axes(), *body, *self.legend_parts()])
        return Markup(  # noqa: S704 - every piece of text above went through escape()
            f'<svg class="chart" id="{escape(self.chart_id)}" role="img" aria-labelledby="{escape(labelled)}" '
            f'viewBox="0 0 {self.width} {self.full_height:.0f}" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="{escape(self.chart_id)}-title">{escape(title)}</title>'
            f'<desc id="{escape(self.chart_id)}-desc">{escape(description)}</desc>{content}</svg>'
        )


def _color(series: Series, index: int) -> str:
    return str(escape(series.color or PALETTE[index % len(PALETTE)]))


def _check(categories: Sequence[str], series: Sequence[Series]) -> None:
    for one in series:
        if len(one.values) != len(categories):
            raise ValueError(
                f"series {one.name!r} has {len(one.values)} values for {len(categories)} categories; give one each"
            )


def _describe(categories: Sequence[str], series: Sequence[Series], unit: str) -> str:
    suffix = f" {unit}" if unit else ""
    rows = []
    for index, category in enumerate(categories):
        figures = ", ".join(
            f"{one.name} {number(value)}{suffix}" if (value := one.values[index]) is not None else f"{one.name} –"
            for one in series
        )
        rows.append(f"{category}: {figures}")
    return "; ".join(rows)


def _tip(category: str, series: Series, value: float, unit: str) -> str:
    suffix = escape(f" {unit}" if unit else "")
    return f"<title>{escape(category)} · {escape(series.name)}: {number(value)}{suffix}</title>"


def bar_chart(
    *,
    chart_id: str,
    title: str,
    categories: Sequence[str],
    values: Sequence[float | None],
    unit: str = "",
    name: str = "",
    width: int = 640,
    height: int = 300,
) -> Markup:
    """One bar per category, labelled with its value. `chart_id` must be unique on the page."""
    series = [Series(name or title, values)]
    return _grouped(chart_id, title, categories, series, unit, width, height, legend=False)


def grouped_bar_chart(
    *,
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    unit: str = "",
    width: int = 640,
    height: int = 300,
) -> Markup:
    """The series' bars side by side in each category, each labelled with its value when there is room."""
    return _grouped(chart_id, title, categories, series, unit, width, height, legend=True)


def _grouped(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    unit: str,
    width: int,
    height: int,
    *,
    legend: bool,
) -> Markup:
    _check(categories, series)
    present = [value for one in series for value in one.values if value is not None]
    ticks = nice_ticks(max(present, default=0))
    frame = _Frame(chart_id, width, height, categories, ticks, unit, series if legend else ())
    body = []
    for index, category in enumerate(categories):
        left, band = frame.band(index)
        bar = min(band * 0.8 / max(len(series), 1), _WIDEST_BAR)
        start = left + (band - bar * len(series)) / 2
        for number_in_group, one in enumerate(series):
            value = one.values[index]
            if value is None:
                continue
            x, y = start + number_in_group * bar, frame.y(value)
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar * 0.92:.1f}" height="{frame.plot_bottom - y:.1f}" '
                f'fill="{_color(one, number_in_group)}">{_tip(category, one, value, unit)}</rect>'
            )
            if bar >= 18:
                body.append(
                    f'<text class="value" x="{x + bar * 0.46:.1f}" y="{y - 4:.1f}" text-anchor="middle">'
                    f"{number(value)}</text>"
                )
    return frame.svg(title, _describe(categories, series, unit), body)


def stacked_bar_chart(
    *,
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    unit: str = "",
    width: int = 640,
    height: int = 300,
) -> Markup:
    """The series stacked in each category, first series at the bottom; a category's total tops its bar."""
    _check(categories, series)
    totals = [sum(one.values[index] or 0 for one in series) for index in range(len(categories))]
    frame = _Frame(chart_id, width, height, categories, nice_ticks(max(totals, default=0)), unit, series)
    body = []
    for index, category in enumerate(categories):
        left, band = frame.band(index)
        bar = min(band * 0.7, _WIDEST_BAR)
        base = 0.0
        for number_in_stack, one in enumerate(series):
            value = one.values[index]
            if not value:
                continue
            top, bottom = frame.y(base + value), frame.y(base)
            body.append(
                f'<rect x="{left + (band - bar) / 2:.1f}" y="{top:.1f}" width="{bar:.1f}" '
                f'height="{bottom - top:.1f}" fill="{_color(one, number_in_stack)}">'
                f"{_tip(category, one, value, unit)}</rect>"
            )
            base += value
        if totals[index] and band >= 18:
            body.append(
                f'<text class="value" x="{left + band / 2:.1f}" y="{frame.y(totals[index]) - 4:.1f}" '
                f'text-anchor="middle">{number(totals[index])}</text>'
            )
    return frame.svg(title, _describe(categories, series, unit), body)


def line_chart(
    *,
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    unit: str = "",
    y_max: float | None = None,
    width: int = 640,
    height: int = 300,
) -> Markup:
    """Each series as a line with a dot per value; a None value breaks the line. `y_max` fixes the scale
    (e.g. 100 for percentages), else it fits the largest value."""
    _check(categories, series)
    present = [value for one in series for value in one.values if value is not None]
    ticks = nice_ticks(y_max if y_max is not None else max(present, default=0))
    frame = _Frame(chart_id, width, height, categories, ticks, unit, series)
    body = []
    for number_in_chart, one in enumerate(series):
        color = _color(one, number_in_chart)
        runs: list[list[str]] = [[]]
        for index, value in enumerate(one.values):
            if value is None:
                runs.append([])
                continue
            left, band = frame.band(index)
            x, y = left + band / 2, frame.y(value)
            runs[-1].append(f"{x:.1f},{y:.1f}")
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}">'
                f"{_tip(categories[index], one, value, unit)}</circle>"
            )
        for run in runs:
            if len(run) > 1:
                body.insert(0, f'<polyline fill="none" stroke="{color}" stroke-width="2.5" points="{" ".join(run)}"/>')
    return frame.svg(title, _describe(categories, series, unit), body)

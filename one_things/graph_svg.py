"""A definition's dependency graph as SVG: items in columns by dependency depth, arrows for depends_on.

Drawn here rather than by Graphviz so that the API (the one-notice page), the CLI and a test share one
pure function with no external program. Every item's column is its depth: items that wait for nothing
come first, each other item one column right of the deepest item it waits for, so every arrow points
right. The critical path (the chain that decides the promised completion) is drawn thicker and in
colour; the title compares it with the sum of promised days when the items are done one by one.

The SVG is accessible as one image: `role="img"` with a `<title>` and a `<desc>` that says in words
what the boxes and arrows show; each box also has its own `<title>` (its full text, shown on hover).
All text is escaped here, so the result can be placed in a page as it is.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from itertools import pairwise
from typing import Literal

from one_things.graph import critical_path, critical_path_days, dependency_order, sequential_days
from one_things.schema import Item, Names, OneThing

Lang = Literal["zh", "en"]

_FONT = 'system-ui, "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif'
_NAME_SIZE, _SMALL_SIZE, _TITLE_SIZE = 14, 12, 16
_PAD, _MARGIN = 10, 16
_BOX_H, _MIN_BOX_W, _MAX_BOX_W = 72, 150, 280
_COLUMN_GAP, _ROW_GAP = 64, 20
_HEADER_H, _LEGEND_H, _LANE_H = 64, 32, 10
_INK, _MUTED, _LINE, _CRITICAL, _CRITICAL_FILL = "#1f2430", "#5b6473", "#8a93a3", "#b42318", "#fdecea"

_TEXT: dict[Lang, dict[str, str]] = {
    "zh": {
        "title": "办理顺序:{name}",
        "days": "关键路径 {critical} 个工作日 · 逐项办理 {sequential} 个工作日",
        "box_days": "承诺 {days} 个工作日",
        "legend": "关键路径:决定全部办结的时间",
        "desc_item": "{name}({department},承诺 {days} 个工作日){after}。",
        "desc_after": ",在{deps}之后办理",
        "desc_first": ",可立即开始",
        "desc_path": "关键路径:{path},共 {critical} 个工作日;"
        "互不依赖的事项同时办理,逐项办理则需 {sequential} 个工作日。",
        "join": "、",
    },
    "en": {
        "title": "Order of handling: {name}",
        "days": "Critical path {critical} working days · one by one {sequential} working days",
        "box_days": "promised {days} working days",
        "legend": "Critical path: decides when everything is done",
        "desc_item": "{name} ({department}, promised {days} working days){after}.",
        "desc_after": ", after {deps}",
        "desc_first": ", starts at once",
        "desc_path": "Critical path: {path}, {critical} working days in all; independent items run at the "
        "same time, one by one they would take {sequential} working days.",
        "join": ", ",
    },
}


def _say(names: Names, lang: Lang) -> str:
    return names.zh if lang == "zh" else names.en


def text_width(text: str, size: float) -> float:
    """Approximate rendered width: CJK characters are one em wide, others about 0.58 em."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else 0.58 * size for ch in text)


def _fit(text: str, size: float, width: float) -> str:
    """`text` cut with an ellipsis so it fits `width` (the box's `<title>` keeps the full text)."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


@dataclass(frozen=True)
class _Box:
    item: Item
    lines: tuple[str, str, str]
    x: float
    y: float
    width: float
    critical: bool

    @property
    def middle(self) -> float:
        return self.y + _BOX_H / 2


def depths(thing: OneThing, included: Iterable[str]) -> dict[str, int]:
    """Each item's column: 0 if it waits for no included item, else one more than its deepest dependency."""
    chosen = set(included)
    depth: dict[str, int] = {}
    for code in dependency_order(thing, chosen):
        deps = [d for d in thing.item(code).waits_for if d in chosen]
        depth[code] = 1 + max(depth[d] for d in deps) if deps else 0
    return depth


def dependency_svg(
    thing: OneThing, included: Iterable[str] | None = None, *, lang: Lang = "zh", svg_id: str = "dependency-graph"
) -> str:
    """The graph of `included` items (default: all of them) as an `<svg>` element.

    `svg_id` prefixes every id inside, so two graphs can share a page. Raises ValueError without items.
    """
    words = _TEXT[lang]
    chosen = [item.code for item in thing.items] if included is None else list(included)
    items = [item for item in thing.items if item.code in set(chosen)]
    if not items:
        raise ValueError("no items to draw")
    codes = [item.code for item in items]
    depth = depths(thing, codes)
    path = critical_path(thing, codes)
    critical_days, one_by_one = critical_path_days(thing, codes), sequential_days(thing, codes)

    def label(item: Item) -> tuple[str, str, str]:
        department = _say(thing.department(item.department).name, lang)
        return _say(item.name, lang), department, words["box_days"].format(days=item.promised_days)

    texts = {item.code: label(item) for item in items}
    widest = max(
        max(text_width(name, _NAME_SIZE), text_width(dept, _SMALL_SIZE), text_width(days, _SMALL_SIZE))
        for name, dept, days in texts.values()
    )
    box_w = min(max(widest + 2 * _PAD, _MIN_BOX_W), _MAX_BOX_W)
    columns: list[list[Item]] = [[] for _ in range(max(depth.values()) + 1)]
    for item in items:
        columns[depth[item.code]].append(item)
    tallest = max(len(column) for column in columns)
    graph_h = tallest * _BOX_H + (tallest - 1) * _ROW_GAP
    graph_w = len(columns) * box_w + (len(columns) - 1) * _COLUMN_GAP

    title = words["title"].format(name=_say(thing.name, lang))
    days_line = words["days"].format(critical=critical_days, sequential=one_by_one)
    width = max(graph_w, text_width(title, _TITLE_SIZE), text_width(days_line, _SMALL_SIZE)) + 2 * _MARGIN
    # An arrow that skips a column would cross the boxes in between: it runs in a lane of its own above them.
    long_edges = [(d, i.code) for i in items for d in i.waits_for if d in depth and depth[i.code] - depth[d] > 1]
    lanes = {edge: _HEADER_H + _LANE_H * (n + 0.5) for n, edge in enumerate(long_edges)}
    graph_top = _HEADER_H + _LANE_H * len(long_edges)
    height = graph_top + graph_h + _LEGEND_H + _MARGIN

    boxes: dict[str, _Box] = {}
    for index, column in enumerate(columns):
        column_h = len(column) * _BOX_H + (len(column) - 1) * _ROW_GAP
        top = graph_top + (graph_h - column_h) / 2  # centred, so a lone item sits level with its neighbours
        for row, item in enumerate(column):
            x = _MARGIN + index * (box_w + _COLUMN_GAP)
            y = top + row * (_BOX_H + _ROW_GAP)
            boxes[item.code] = _Box(item, texts[item.code], x, y, box_w, item.code in path)

    critical_edges = set(pairwise(path))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{svg_id}" class="dep-graph" role="img" '
        f'aria-labelledby="{svg_id}-title {svg_id}-desc" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" font-family="{escape(_FONT)}" '
        f'data-critical-days="{critical_days}" data-sequential-days="{one_by_one}">',
        f'<title id="{svg_id}-title">{escape(title)} — {escape(days_line)}</title>',
        f'<desc id="{svg_id}-desc">{escape(_description(thing, items, path, lang))}</desc>',
        _markers(svg_id),
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
        _text(_MARGIN, 26, title, _TITLE_SIZE, _INK, bold=True),
        _text(_MARGIN, 48, days_line, _SMALL_SIZE, _MUTED),
    ]
    for item in items:
        for dep in item.waits_for:
            if dep in boxes:
                edge = (dep, item.code)
                parts.append(_edge(boxes[dep], boxes[item.code], edge in critical_edges, svg_id, lanes.get(edge)))
    parts.extend(_box(box) for box in boxes.values())
    legend_y = graph_top + graph_h + _LEGEND_H / 2 + 6
    parts.append(
        f'<line x1="{_MARGIN}" y1="{legend_y:.0f}" x2="{_MARGIN + 28}" y2="{legend_y:.0f}" '
        f'stroke="{_CRITICAL}" stroke-width="3"/>'
    )
    parts.append(_text(_MARGIN + 36, legend_y + 4, words["legend"], _SMALL_SIZE, _MUTED))
    parts.append("</svg>")
    return "\n".join(parts)


def _description(thing: OneThing, items: list[Item], path: list[str], lang: Lang) -> str:
    words = _TEXT[lang]
    shown = {item.code for item in items}

    def name(code: str) -> str:
        return _say(thing.item(code).name, lang)

    sentences = []
    for item in items:
        deps = [name(d) for d in item.waits_for if d in shown]
        after = words["desc_after"].format(deps=words["join"].join(deps)) if deps else words["desc_first"]
        department = _say(thing.department(item.department).name, lang)
        sentences.append(
            words["desc_item"].format(name=name(item.code), department=department, days=item.promised_days, after=after)
        )
    codes = [item.code for item in items]
    sentences.append(
        words["desc_path"].format(
            path=" → ".join(name(code) for code in path),
            critical=critical_path_days(thing, codes),
            sequential=sequential_days(thing, codes),
        )
    )
    return " ".join(sentences)


def _markers(svg_id: str) -> str:
    def marker(suffix: str, colour: str) -> str:
        return (
            # Sized in user units: the default (stroke widths) would make the thick critical arrows huge.
            f'<marker id="{svg_id}-{suffix}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="10" '
            f'markerHeight="10" markerUnits="userSpaceOnUse" orient="auto">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        )

    return f"<defs>{marker('arrow', _LINE)}{marker('arrow-critical', _CRITICAL)}</defs>"


def _text(x: float, y: float, text: str, size: int, colour: str, *, bold: bool = False) -> str:
    weight = ' font-weight="700"' if bold else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{colour}"{weight}>{escape(text)}</text>'


def _edge(source: _Box, target: _Box, critical: bool, svg_id: str, lane: float | None) -> str:
    # A horizontal S-curve from the right side of what is waited for to the left side of the waiting item;
    # with a lane, up into it within the first column gap, along it, and down within the last gap.
    x1, y1, x2, y2 = source.x + source.width, source.middle, target.x, target.middle
    if lane is None:
        bend = (x2 - x1) / 2
        d = f"M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
    else:
        half, gap = _COLUMN_GAP / 2, _COLUMN_GAP
        d = (
            f"M{x1:.1f},{y1:.1f} C{x1 + half:.1f},{y1:.1f} {x1 + half:.1f},{lane:.1f} {x1 + gap:.1f},{lane:.1f} "
            f"L{x2 - gap:.1f},{lane:.1f} C{x2 - half:.1f},{lane:.1f} {x2 - half:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
        )
    colour, stroke, marker = (_CRITICAL, 3, "arrow-critical") if critical else (_LINE, 1.5, "arrow")
    return (
        f'<path data-from="{source.item.code}" data-to="{target.item.code}" data-critical="{str(critical).lower()}" '
        f'd="{d}" fill="none" stroke="{colour}" stroke-width="{stroke}" marker-end="url(#{svg_id}-{marker})"/>'
    )


def _box(box: _Box) -> str:
    name, department, days = box.lines
    inner = box.width - 2 * _PAD
    stroke, fill, width = (_CRITICAL, _CRITICAL_FILL, 3) if box.critical else (_MUTED, "#ffffff", 1)
    x = box.x + _PAD
    return "".join(
        [
            f'<g data-node="{box.item.code}" data-critical="{str(box.critical).lower()}">',
            f"<title>{escape(f'{name} · {department} · {days}')}</title>",
            f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{_BOX_H}" rx="8" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>',
            _text(x, box.y + 24, _fit(name, _NAME_SIZE, inner), _NAME_SIZE, _INK, bold=True),
            _text(x, box.y + 44, _fit(department, _SMALL_SIZE, inner), _SMALL_SIZE, _MUTED),
            _text(x, box.y + 62, _fit(days, _SMALL_SIZE, inner), _SMALL_SIZE, _INK),
            "</g>",
        ]
    )

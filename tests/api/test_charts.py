"""The server-side SVG charts: valid, accessible, escaped, and drawn to scale."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from api.charts import Series, bar_chart, grouped_bar_chart, line_chart, nice_ticks, stacked_bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def test_grouped_bars_are_labelled_and_to_scale() -> None:
    svg = parse(
        grouped_bar_chart(
            chart_id="steps",
            title="Steps <before & after>",
            categories=["新生儿", "Other"],
            series=[Series("before", [22, 10]), Series("after", [1.2, None])],
        )
    )
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "steps-title steps-desc"
    assert svg.find(f"{SVG}title").text == "Steps <before & after>"
    assert svg.find(f"{SVG}desc").text == "新生儿: before 22, after 1.2; Other: before 10, after –"
    bars = svg.findall(f"{SVG}rect[{SVG}title]")
    assert [bar.find(f"{SVG}title").text for bar in bars] == [
        "新生儿 · before: 22",
        "新生儿 · after: 1.2",
        "Other · before: 10",
    ]
    heights = [float(bar.get("height")) for bar in bars]
    assert heights[0] / heights[2] == pytest.approx(2.2, rel=0.01)
    assert heights[0] / heights[1] == pytest.approx(22 / 1.2, rel=0.01)
    assert {"before", "after"} <= {text.text for text in svg.iter(f"{SVG}text")}  # the legend


def test_stacked_bars_put_the_total_on_top() -> None:
    svg = parse(
        stacked_bar_chart(
            chart_id="weeks",
            title="Finished",
            categories=["2027-W05", "2027-W06"],
            series=[Series("completed", [3, 0]), Series("rejected", [1, 0])],
        )
    )
    bars = svg.findall(f"{SVG}rect[{SVG}title]")
    assert len(bars) == 2  # a zero draws nothing
    completed, rejected = (float(bar.get("height")) for bar in bars)
    assert completed == pytest.approx(3 * rejected)
    assert float(bars[1].get("y")) + rejected == pytest.approx(float(bars[0].get("y")))  # stacked, not overlaid
    assert "4" in [text.text for text in svg.findall(f"{SVG}text[@class='value']")]


def test_a_missing_value_breaks_the_line() -> None:
    svg = parse(
        line_chart(
            chart_id="rate",
            title="Good reviews",
            categories=["W1", "W2", "W3", "W4", "W5"],
            series=[Series("newborn", [50, 75, None, 80, 100])],
            unit="%",
            y_max=100,
        )
    )
    lines = svg.findall(f"{SVG}polyline")
    assert [len(line.get("points").split()) for line in lines] == [2, 2]
    assert len(svg.findall(f"{SVG}circle")) == 4
    assert [t.text for t in svg.findall(f"{SVG}text[@class='tick']")][-1] == "100"


def test_text_is_escaped_and_bad_input_is_named() -> None:
    markup = bar_chart(chart_id="x", title="<script>alert(1)</script>", categories=["a"], values=[1])
    assert "<script>" not in markup
    assert not re.search(r"<title[^>]*><script", markup)
    with pytest.raises(ValueError, match="series 'after' has 1 values for 2 categories"):
        grouped_bar_chart(chart_id="y", title="t", categories=["a", "b"], series=[Series("after", [1])])


@pytest.mark.parametrize(
    ("maximum", "ticks"),
    [
        (22, [0, 5, 10, 15, 20, 25]),
        (100, [0, 20, 40, 60, 80, 100]),
        (3, [0, 1, 2, 3]),
        (0, [0, 1]),
        (1.2, [0, 0.25, 0.5, 0.75, 1, 1.25]),
    ],
)
def test_ticks_are_round_and_cover_the_maximum(maximum: float, ticks: list[float]) -> None:
    assert nice_ticks(maximum) == ticks


DEPARTMENTS = [
    "上海市疾病预防控制中心",
    "上海市卫生健康委员会",
    "上海市人力资源和社会保障局",
    "上海市医疗保障局",
    "上海市公安局",
]


def labels(svg: ET.Element) -> list[ET.Element]:
    return [text for text in svg.iter(f"{SVG}text") if text.get("class") == "label"]


def test_names_too_wide_to_sit_side_by_side_are_written_top_to_bottom_in_full() -> None:
    """Five departments under a board chart: side by side their names ran into one another and could not be
    read; written top to bottom each keeps to its own bars, and the frame grows so the legend stays below."""
    svg = parse(
        grouped_bar_chart(
            chart_id="on-time",
            title="办结情况",
            categories=DEPARTMENTS,
            series=[Series("承诺时限内", [100.0] * 5), Series("法定时限内", [100.0] * 5)],
            unit="%",
        )
    )
    written = labels(svg)
    assert [text.text for text in written] == DEPARTMENTS  # every name, none thinned out
    assert {text.get("writing-mode") for text in written} == {"vertical-rl"}
    longest = 13 * 12  # 上海市人力资源和社会保障局: 13 characters of 12 px
    lowest_label_end = max(float(text.get("y")) for text in written) + longest
    legend_top = min(float(rect.get("y")) for rect in svg.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is None)
    assert legend_top > lowest_label_end
    assert float(svg.get("viewBox").split()[3]) > 300  # taller than asked, the plot kept its height


def test_short_names_stay_side_by_side() -> None:
    svg = parse(bar_chart(chart_id="weeks", title="每周", categories=["2026-W48", "2026-W49"], values=[1, 2]))
    assert [text.get("writing-mode") for text in labels(svg)] == [None, None]
    assert svg.get("viewBox") == "0 0 640 300"

"""The dependency graph drawing and the critical path it highlights, on the newborn definition."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from one_things.graph import critical_path, critical_path_days, sequential_days
from one_things.graph_svg import dependency_svg
from one_things.plan import make_plan
from one_things.schema import OneThing

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # also proves the markup is well-formed XML


def boxes(root: ET.Element) -> dict[str, ET.Element]:
    return {g.attrib["data-node"]: g for g in root.iter(f"{SVG}g") if "data-node" in g.attrib}


def box_x(box: ET.Element) -> float:
    rect = box.find(f"{SVG}rect")
    assert rect is not None
    return float(rect.attrib["x"])


def test_newborn_critical_path_is_the_longest_chain(newborn: OneThing) -> None:
    codes = [item.code for item in newborn.items]
    path = critical_path(newborn, codes)
    assert path == ["birth_certificate", "hukou_registration", "social_security_card"]
    # Each step waits for the one before, and the chain's days are the promised completion.
    for before, after in itertools.pairwise(path):
        assert before in newborn.item(after).depends_on
    assert sum(newborn.item(code).promised_days for code in path) == critical_path_days(newborn, codes)
    assert critical_path_days(newborn, codes) < sequential_days(newborn, codes)


def test_critical_path_follows_the_plan(newborn: OneThing) -> None:
    # Hukou in another province drops it and its dependants: the longest remaining item is alone.
    plan = make_plan(newborn, {"hukou_location": "other_province"})
    longest = max(plan.included, key=lambda code: newborn.item(code).promised_days)
    assert critical_path(newborn, plan.included) == [longest]
    assert plan.promised_days == newborn.item(longest).promised_days


def test_equal_chains_keep_the_one_defined_first(newborn: OneThing) -> None:
    items = [item.model_copy(update={"promised_days": 5}) for item in newborn.items]
    even = newborn.model_copy(update={"items": items})
    # social_security_card and medical_insurance both end a 15-day chain; the earlier one is shown.
    assert critical_path(even, [item.code for item in items])[-1] == "social_security_card"


def test_graph_has_a_box_per_item_with_name_department_and_days(newborn: OneThing) -> None:
    root = parse(dependency_svg(newborn))
    drawn = boxes(root)
    assert list(drawn) == [item.code for item in newborn.items]
    for item in newborn.items:
        words = " ".join(text.text or "" for text in drawn[item.code].iter(f"{SVG}text"))
        assert item.name.zh in words
        assert newborn.department(item.department).name.zh in words
        assert f"承诺 {item.promised_days} 个工作日" in words


def test_graph_arrows_are_the_dependencies_and_point_right(newborn: OneThing) -> None:
    root = parse(dependency_svg(newborn))
    drawn = boxes(root)
    edges = {
        (p.attrib["data-from"], p.attrib["data-to"]): p for p in root.iter(f"{SVG}path") if "data-from" in p.attrib
    }
    assert set(edges) == {(dep, item.code) for item in newborn.items for dep in item.depends_on}
    for source, target in edges:
        assert box_x(drawn[source]) < box_x(drawn[target])
    # Items that wait for nothing share the first column.
    assert box_x(drawn["birth_certificate"]) == box_x(drawn["vaccination_certificate"])


def test_graph_highlights_the_critical_path(newborn: OneThing) -> None:
    root = parse(dependency_svg(newborn))
    path = critical_path(newborn, [item.code for item in newborn.items])
    critical_boxes = {code for code, box in boxes(root).items() if box.attrib["data-critical"] == "true"}
    assert critical_boxes == set(path)
    critical_edges = {
        (p.attrib["data-from"], p.attrib["data-to"])
        for p in root.iter(f"{SVG}path")
        if p.attrib.get("data-critical") == "true"
    }
    assert critical_edges == set(itertools.pairwise(path))


def test_graph_is_an_accessible_image_with_both_figures(newborn: OneThing) -> None:
    codes = [item.code for item in newborn.items]
    root = parse(dependency_svg(newborn, svg_id="g1"))
    assert root.attrib["role"] == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None
    assert desc is not None
    assert root.attrib["aria-labelledby"] == f"{title.attrib['id']} {desc.attrib['id']}"
    critical, one_by_one = critical_path_days(newborn, codes), sequential_days(newborn, codes)
    assert f"关键路径 {critical} 个工作日" in (title.text or "")
    assert f"逐项办理 {one_by_one} 个工作日" in (title.text or "")
    # The description says in words what the arrows show.
    assert "出生登记(户口)(上海市公安局,承诺 5 个工作日),在出生医学证明签发之后办理" in (desc.text or "")
    english = parse(dependency_svg(newborn, lang="en"))
    assert f"Critical path {critical} working days" in (english.findtext(f"{SVG}title") or "")


def test_graph_of_a_plan_draws_only_its_items(newborn: OneThing) -> None:
    plan = make_plan(newborn, {"hukou_location": "this_district", "wants_social_security_card": "no"})
    root = parse(dependency_svg(newborn, plan.included))
    assert list(boxes(root)) == plan.included
    assert all(p.attrib["data-to"] != "social_security_card" for p in root.iter(f"{SVG}path") if "data-to" in p.attrib)
    assert f"关键路径 {plan.promised_days} 个工作日" in (root.findtext(f"{SVG}title") or "")
    with pytest.raises(ValueError, match="no items"):
        dependency_svg(newborn, [])


def test_text_is_escaped(newborn: OneThing) -> None:
    names = newborn.name.model_copy(update={"zh": '<b>"新生儿" & 出生</b>'})
    svg = dependency_svg(newborn.model_copy(update={"name": names}))
    assert "<b>" not in svg
    assert re.search(r"&lt;b&gt;&quot;新生儿&quot; &amp; 出生", svg)
    parse(svg)


def test_an_arrow_that_skips_a_column_runs_above_the_boxes(newborn: OneThing) -> None:
    # The social security card also waits for the birth certificate directly: two columns to the right.
    items = [
        item.model_copy(update={"depends_on": [*item.depends_on, "birth_certificate"]})
        if item.code == "social_security_card"
        else item
        for item in newborn.items
    ]
    root = parse(dependency_svg(newborn.model_copy(update={"items": items})))
    long = next(
        p
        for p in root.iter(f"{SVG}path")
        if (p.attrib.get("data-from"), p.attrib.get("data-to")) == ("birth_certificate", "social_security_card")
    )
    lane = float(long.attrib["d"].split("L")[1].split(",")[1].split()[0])
    tops = [float(rect.attrib["y"]) for box in boxes(root).values() for rect in box.iter(f"{SVG}rect")]
    assert lane < min(tops)

"""A small valid definition that each validation test breaks in one place."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from one_things.catalog import load_catalog
from one_things.schema import OneThing

TODAY = date(2025, 3, 10)

MINI = """\
code: mini
version: 1
name: {zh: 小事, en: Mini}
life_event: {zh: 出生, en: Birth}
departments:
  - code: health
    name: {zh: 卫健委, en: Health}
  - code: police
    name: {zh: 公安, en: Police}
items:
  - code: cert
    item_no: "X-1"
    department: health
    name: {zh: 证明, en: Certificate}
    mode: sync_rest
    statutory_days: 5
    promised_days: 2
    inputs:
      child: form.child_name
    outputs: [cert_no]
  - code: hukou
    item_no: "X-2"
    department: police
    name: {zh: 户口, en: Hukou}
    mode: async_callback
    statutory_days: 20
    promised_days: 5
    depends_on: [cert]
    inputs:
      cert_no: items.cert.cert_no
    outputs: [hukou_no]
  - code: card
    item_no: "X-3"
    department: police
    name: {zh: 卡, en: Card}
    mode: batch
    statutory_days: 10
    promised_days: 3
    depends_on: [hukou]
    inputs:
      hukou_no: items.hukou.hukou_no
      first_cert: items.cert.cert_no
form:
  - code: child_name
    name: {zh: 姓名, en: Name}
    type: text
  - code: sex
    name: {zh: 性别, en: Sex}
    type: choice
    choices: [male, female]
    choice_names:
      male: {zh: 男, en: Male}
      female: {zh: 女, en: Female}
materials:
  - code: photo
    source: citizen
    items: [card]
questions:
  - code: wants_card
    text: {zh: 要卡吗, en: Want a card}
    default: "yes"
    options:
      - value: "yes"
        label: {zh: 是, en: "Yes"}
      - value: "no"
        label: {zh: 否, en: "No"}
        exclude: [card]
baseline: {steps: 5, days: 30, materials: 2, trips: 3}
"""


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing `needle`."""
    hits = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} not found {occurrence} times"
    return hits[occurrence - 1]


Breaker = Callable[..., tuple[Path, str]]


@pytest.fixture
def broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Breaker:
    """Write MINI with replacements applied (old, new pairs) as tmp_path/mini.yaml; cwd is tmp_path."""
    monkeypatch.chdir(tmp_path)

    def write(*edits: tuple[str, str], name: str = "mini.yaml") -> tuple[Path, str]:
        text = MINI
        for old, new in edits:
            assert old in text, old
            text = text.replace(old, new, 1)
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path, text

    return write


@pytest.fixture(scope="session")
def newborn() -> OneThing:
    return load_catalog().get("newborn")

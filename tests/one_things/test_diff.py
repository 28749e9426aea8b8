"""`onething things diff`: what an author changed, and what it does to the promised days and the baseline."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cli.things import things_app
from one_things.catalog import CATALOG_DIR, load_catalog
from tests.one_things.conftest import Breaker

runner = CliRunner()

# v2 of MINI: the card item goes (and the question that excluded it loses that), hukou promises a day
# less, a new independent vaccination item is longer than the whole old chain, the photo is now held
# by the government, a question gets an option, the baseline is corrected.
V2_EDITS = (
    ("version: 1", "version: 2"),
    ("    promised_days: 5\n", "    promised_days: 4\n"),
    (
        """  - code: card
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
""",
        """  - code: vax
    item_no: "X-4"
    department: health
    name: {zh: 接种证, en: Vaccination}
    mode: standard_module
    statutory_days: 10
    promised_days: 7
""",
    ),
    ("    source: citizen\n    items: [card]", "    source: shared_data\n    items: [cert]"),
    (
        """      - value: "no"
        label: {zh: 否, en: "No"}
        exclude: [card]""",
        """      - value: "no"
        label: {zh: 否, en: "No"}
        exclude: [vax]
      - value: later
        label: {zh: 以后再说, en: Later}""",
    ),
    ("days: 30,", "days: 45,"),
)


def test_diff_of_two_files_lists_changes_and_effects_and_exits_1(broken: Breaker) -> None:
    old, _ = broken(name="old.yaml")
    new, _ = broken(*V2_EDITS, name="new.yaml")
    result = runner.invoke(things_app, ["diff", str(old), str(new)])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0] == "mini 小事 / Mini: version 1 → 2"
    assert "  - removed card 卡 / Card (police, batch, promised 3 / statutory 10 working days)" in lines
    added = "  + added vax 接种证 / Vaccination (health, standard_module, promised 7 / statutory 10 working days)"
    assert added in lines
    changed = lines.index("  ~ changed hukou 户口 / Hukou")
    assert lines[changed + 1] == "      promised_days: 5 → 4"
    photo = lines.index("  ~ changed photo 近期二寸免冠照片(电子版) / Recent passport photo (digital)")
    assert lines[photo + 1 : photo + 4] == [
        "      source: citizen → shared_data",
        "      items: +cert -card",
        "      exempt status: now exempt 免于提交",
    ]
    question = lines.index("  ~ changed wants_card 要卡吗 / Want a card")
    assert lines[question + 1] == "      options: +later; no (exclude: +vax -card)"
    assert "      days: 30 → 45" in lines
    # Old: cert 2 → hukou 5 → card 3 = 10, all in a chain so also 10 one by one. New: vax 7 alone beats
    # cert 2 → hukou 4 = 6; one by one 2 + 4 + 7 = 13.
    assert "  promised, critical path 承诺时限(关键路径): 10 → 7 (-3)" in lines
    assert "      was: cert → hukou → card" in lines
    assert "      now: vax" in lines
    assert "  one by one, sequential sum 逐项办理合计: 10 → 13 (+3)" in lines
    assert "  saved by running items in parallel 并联节省: 0 → 6 (+6)" in lines
    assert "  days 时间: 30 → 45 (+15) calendar days before; promised 10 → 7 (-3) working days after" in lines
    assert "the citizen provides 1 → 0 (-1), exempt (免于提交) 0 → 1 (+1)" in result.output


def test_same_meaning_in_other_words_is_no_difference(broken: Breaker) -> None:
    old, _ = broken(name="old.yaml")
    # A comment, flow style turned into block style, and a default written out: nothing a case would see.
    new, _ = broken(
        ("code: mini\n", "# edited by the health commission\ncode: mini\n"),
        ("name: {zh: 小事, en: Mini}", "name:\n  zh: 小事\n  en: Mini"),
        ("    type: text\n", "    type: text\n    required: true\n"),
        name="new.yaml",
    )
    result = runner.invoke(things_app, ["diff", str(old), str(new)])
    assert result.exit_code == 0, result.output
    assert "no change in meaning" in result.output
    assert "promised, critical path 承诺时限(关键路径): 10 (unchanged)" in result.output


def test_diff_against_the_catalogue_by_code(tmp_path: Path) -> None:
    text = (CATALOG_DIR / "newborn.yaml").read_text(encoding="utf-8")
    edited = tmp_path / "newborn.yaml"
    version = load_catalog().get("newborn").version
    edited.write_text(
        text.replace(f"version: {version}\n", f"version: {version + 1}\n").replace(
            "promised_days: 7", "promised_days: 4"
        )
    )
    result = runner.invoke(things_app, ["diff", "newborn", str(edited)])
    assert result.exit_code == 1, result.output
    assert "  ~ changed social_security_card 社会保障卡申领 / Social security card application" in result.output
    assert "      promised_days: 7 → 4" in result.output


def test_unreadable_arguments_exit_2_saying_what_to_give(broken: Breaker, tmp_path: Path) -> None:
    good, _ = broken(name="good.yaml")
    bad, _ = broken(("promised_days: 5", "promised_days: 30"), name="bad.yaml")
    result = runner.invoke(things_app, ["diff", str(good), str(bad)])
    assert result.exit_code == 2
    assert "promised_days 30 is more than statutory_days 20" in result.output
    result = runner.invoke(things_app, ["diff", "no_such_thing", str(good)])
    assert result.exit_code == 2
    assert "no_such_thing: no such one-thing in the catalogue; known: " in result.output
    result = runner.invoke(things_app, ["diff", "Not A Code", str(good)])
    assert result.exit_code == 2
    assert "give a definition file (*.yaml), a one-thing code, or code@version" in result.output

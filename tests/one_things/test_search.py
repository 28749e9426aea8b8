"""Search in a citizen's own words over names, item names and keywords."""

from __future__ import annotations

from one_things.catalog import load_catalog
from one_things.search import search


def test_plain_words_in_both_languages_find_the_newborn_bundle() -> None:
    things = load_catalog().all()
    for words in ("生孩子", "宝宝出生了", "上户口", "My baby was born", "newborn"):
        assert [thing.code for thing in search(things, words)] == ["newborn"], words


def test_single_letters_and_unrelated_words_find_nothing() -> None:
    # English item names with punctuation ("Birth registration (hukou)") match by word, not by substring.
    things = load_catalog().all()
    # (The catalogue has tax items now, so "tax return" is no longer unrelated.)
    for words in ("e", " s", "卖房子", "pet adoption"):
        assert search(things, words) == [], words

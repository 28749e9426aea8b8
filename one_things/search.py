"""Finding a one-thing by the words a citizen types: "生孩子", "my baby was born".

People do not know the official names, so names, the life event, the item names and the definition's
`keywords` are all searched. Chinese has no spaces: a term matches when either string contains the
other ("宝宝出生了" contains "宝宝出生"). English is matched word by word, so "my baby was born" finds
"baby" and "born". The score only orders results; any hit is shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from one_things.schema import OneThing

WORD = re.compile(r"[a-z0-9]+")
CJK = re.compile(r"[\u3400-\u9fff]")
# "s" is what is left of a possessive ("the owner's plate") once the apostrophe splits the word.
STOP_WORDS = frozenset({"a", "an", "the", "my", "our", "was", "is", "has", "been", "i", "we", "to", "for", "of", "s"})


def _terms(thing: OneThing) -> list[tuple[str, int]]:
    """(term, weight): the one-thing's own names weigh most, its items' names least."""
    terms = [(thing.name.zh, 5), (thing.name.en, 5), (thing.life_event.zh, 3), (thing.life_event.en, 3)]
    terms += [(keyword, 4) for keyword in thing.keywords]
    for item in thing.items:
        terms += [(item.name.zh, 1), (item.name.en, 1)]
    return [(term.lower(), weight) for term, weight in terms]


def _words(text: str) -> set[str]:
    return {word for word in WORD.findall(text.lower()) if word not in STOP_WORDS}


def score(thing: OneThing, query: str) -> int:
    query = query.strip().lower()
    if not query:
        return 0
    query_words = _words(query)
    total = 0
    for term, weight in _terms(thing):
        if CJK.search(term) and (term in query or query in term):
            total += weight * 2  # a Chinese term inside the query, or the query inside a term
        elif query_words and query_words & _words(term):
            total += weight * len(query_words & _words(term))
    return total


def search(things: Iterable[OneThing], query: str) -> list[OneThing]:
    """The one-things matching `query`, best first; every one of them for an empty query."""
    things = list(things)
    if not query.strip():
        return things
    scored = [(score(thing, query), thing.code, thing) for thing in things]
    return [thing for points, _, thing in sorted(scored, key=lambda s: (-s[0], s[1])) if points > 0]

"""What the citizen agrees to at the counter, as the words they will meet again on their own pages."""

from __future__ import annotations

from api.pages.i18n import WORDS
from services.counter import CONSENT_TEXT


def test_the_consent_names_the_page_the_citizen_will_find() -> None:
    """The citizen agrees at the counter that every look-up is listed on a page of theirs: the consent names it as
    their menu does, in both languages, so they can find it afterwards."""
    for index, lang in enumerate(("zh", "en")):
        menu_entry = WORDS["nav_data_access"][index]
        assert menu_entry in CONSENT_TEXT[lang], (lang, menu_entry)

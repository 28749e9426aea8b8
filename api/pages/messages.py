"""Refusals worded for a page in its language: a field's error from its rule, an error page from its rule or status.

The services and the JSON API say what went wrong in English for programs and logs; they also name the rule
as data (`rule` and its values on a field error, `rule` on a problem). A page never shows that English: it
words the rule from the translation catalogue (api/pages/i18n.py), and a rule the catalogue does not know yet
gets the catalogue's general sentence for the kind of error, so a gap is less precise but never the other
language.
"""

from __future__ import annotations

from collections.abc import Mapping

from api.pages.i18n import known
from api.pages.rendering import Page
from one_things.schema import OneThing

# Pydantic's error types (api/problems.field_errors) that mean the same as one of the form's own rules.
_SAME_AS = {
    "missing": "required",
    "string_too_long": "max_length",
    "too_long": "max_length",
    "string_type": "text",
    "value_error": "not_accepted",
    "string_pattern_mismatch": "not_accepted",
    "date_from_datetime_parsing": "date_not_calendar",
    "date_parsing": "date_not_calendar",
}


def field_message(page: Page, error: Mapping[str, str], thing: OneThing | None = None) -> str:
    """One field's error in the page's language, from its rule and values (never the English message)."""
    rule = error.get("rule") or ""
    if rule == "eligibility" and thing is not None:  # the definition's own reason, in both languages
        code = error["field"].removeprefix("eligibility.")
        reason = next((r.reason for r in thing.eligibility if r.code == code), None)
        if reason is not None:
            return page.name(reason)
    rule = _SAME_AS.get(rule, rule)
    values = {name: value for name, value in error.items() if name not in {"field", "message", "rule"}}
    if "max_length" in values:  # pydantic's name for the limit the form's own rule calls `limit`
        values.setdefault("limit", values["max_length"])
    if rule.startswith("upload_") and known(rule):
        return page.t(rule, **values)
    if rule.startswith("held_by_") and known(f"form_{rule}"):
        return page.t(f"form_{rule}")
    key = f"form_{rule}"
    if not known(key):
        return page.t("form_not_accepted")
    try:
        return page.t(key, **values)
    except KeyError:  # a value the sentence needs is missing: the general sentence, not a broken one
        return page.t("form_not_accepted")


def problem_message(page: Page, status: int, rule: object, values: Mapping[str, object]) -> str:
    """An error page's sentence: the rule's, when the catalogue knows it, else the one for its status."""
    key = f"rule_{rule}"
    if rule and known(key):
        try:
            return page.t(key, **values)
        except KeyError:
            pass
    return page.t(f"error_{status}" if known(f"error_{status}") else "error_other")


def rules_broken(page: Page, errors: list[dict[str, str]]) -> list[str]:
    """The rules a page request's values broke (a search too long, a day that is not a date), each once, worded in
    the page's language; the general sentence is left out, since the error page says it already."""
    general = page.t("form_not_accepted")
    said = [field_message(page, error) for error in errors]
    return [message for message in dict.fromkeys(said) if message != general]

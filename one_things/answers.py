"""Guidance answers and the conditions definitions put on them (format 2).

An answer is one option value, or for a multi-select question (`multiple: true`) a list of them. Pure
functions on the schema, so the plan, the form checks, the pages and the workflow read answers one way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from one_things.schema import AnswerIs, FormField

Answer = str | list[str]
"""A question's answer: an option value, or the chosen values of a multi-select question."""


def chosen(answer: Answer | None) -> list[str]:
    """The option values an answer chose: none, one, or (multi-select) several."""
    if answer is None:
        return []
    return [answer] if isinstance(answer, str) else list(answer)


def condition_met(conditions: Sequence[AnswerIs], answers: Mapping[str, Answer]) -> bool:
    """Whether any of `conditions` holds: its question was answered with one of its answers."""
    return any(set(chosen(answers.get(c.question))) & set(c.answers) for c in conditions)


def field_asked(field: FormField, answers: Mapping[str, Answer] | None) -> bool:
    """Whether the form asks for `field` with these answers. A field with `required_when` is asked only when
    one of its conditions holds (the loan contract number only when there is a mortgage); with no answers
    known yet (`None`), every field is asked."""
    return not field.required_when or answers is None or condition_met(field.required_when, answers)


def field_required(field: FormField, answers: Mapping[str, Answer] | None) -> bool:
    """Whether the applicant must fill `field` in: always when `required`, else when an answer says so."""
    if field.required:
        return True
    return bool(field.required_when) and answers is not None and condition_met(field.required_when, answers)

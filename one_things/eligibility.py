"""Who may use a bundle, and the way out for everyone else: its items one by one (分别办理).

Pure functions on a definition (no I/O), so the API, pages and tests judge an applicant the same way.
An applicant who fails an eligibility rule is told the rule's reason and may apply for any single item
of the bundle instead: a case of one item, run by the same workflow, counted as an individual case
(not as the bundle) in the leaders' statistics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from one_things.answers import Answer, chosen
from one_things.schema import FieldType, FormField, Item, Names, OneThing, Question


@dataclass(frozen=True)
class Ineligible:
    rule: str
    reason: Names


def check_eligibility(
    thing: OneThing, *, answers: Mapping[str, Answer], form: Mapping[str, object], today: date
) -> list[Ineligible]:
    """Every eligibility rule the applicant fails. A rule whose input is missing is not failed: the form's
    own checks ask for what is missing."""
    failed = []
    for rule in thing.eligibility:
        if rule.question is not None and set(chosen(answers.get(rule.question))) & set(rule.not_in):
            failed.append(Ineligible(rule.code, rule.reason))
        if rule.field is not None and rule.within_days is not None:
            day = _as_date(form.get(rule.field))
            if day is not None and day < today - timedelta(days=rule.within_days):
                failed.append(Ineligible(rule.code, rule.reason))
    return failed


def _as_date(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def individual_definition(thing: OneThing, item_code: str) -> OneThing:
    """The bundle cut down to one item applied for on its own, the way it was done before the reform.

    The item keeps its department, mode and time limits; what it read from other items of the bundle
    (e.g. the hukou registration's birth certificate number) becomes a form field the applicant fills in
    from the document they already hold. No guidance questions and no eligibility rules apply.
    """
    item = thing.item(item_code)
    fields = {field.code: field for field in thing.form}
    form: dict[str, FormField] = {}
    inputs: dict[str, str] = {}
    for name, source in item.inputs.items():
        kind, _, rest = source.partition(".")
        if kind == "form":
            # A field the bundle asks only for some answers is asked whenever this item, which reads it, is.
            field = fields[rest]
            if field.required_when:
                field = field.model_copy(update={"required": True, "required_when": []})
            form[rest] = field
            inputs[name] = source
            continue
        if kind == "answers":
            # Applied for on its own the item has no guidance questions: the answer it reads is asked on the form.
            question = next(q for q in thing.questions if q.code == rest)
            form.setdefault(rest, _question_field(question))
            inputs[name] = f"form.{rest}"
            continue
        producer, _, output = rest.partition(".")
        label = thing.item(producer).result_name or thing.item(producer).name
        form.setdefault(
            output,
            FormField(
                code=output,
                name=Names(zh=f"{label.zh}编号", en=f"{label.en} number"),
                type=FieldType.TEXT,
                max_length=64,
            ),
        )
        inputs[name] = f"form.{output}"
    alone = {"depends_on": [], "depends_on_if_included": [], "inputs": inputs}
    single = Item.model_validate({**item.model_dump(), **alone})
    return thing.model_copy(
        update={
            "items": [single],
            "departments": [thing.department(item.department)],
            "form": list(form.values()),
            "materials": [m for m in thing.materials if item_code in m.items],
            "questions": [],
            "eligibility": [],
        }
    )


def _question_field(question: Question) -> FormField:
    """A guidance question as a form field: a choice of its options (a multi-select one's as text)."""
    if question.multiple:
        return FormField(code=question.code, name=question.text, type=FieldType.TEXT, max_length=200)
    return FormField(
        code=question.code, name=question.text, type=FieldType.CHOICE, choices=[o.value for o in question.options]
    )

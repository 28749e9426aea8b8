"""Which items, materials and promised days apply to one applicant, from their guidance answers.

This is the "one notice" (一次告知) before the form: nothing here depends on personal data.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from one_things.answers import Answer, chosen
from one_things.graph import critical_path_days, sequential_days
from one_things.problems import FieldProblem
from one_things.schema import Material, Names, OneThing, Question


class Plan(BaseModel):
    model_config = ConfigDict(frozen=True)

    thing: str
    version: int
    answers: dict[str, Answer]
    """Every question's answer, defaults filled in: what the case records as the applicant's situation
    (a list of option values for a multi-select question)."""
    included: list[str]
    """Item codes in definition order."""
    excluded: list[str]
    materials_to_provide: list[Material]
    materials_exempt: list[Material]
    """免于提交: held by the government already (shared data or e-licences)."""
    promised_days: int
    """Working days along the critical path: independent items run in parallel."""
    sequential_days: int
    """Working days if the same items ran one after another, for the before/after comparison."""
    notices: list[Names] = Field(default_factory=list)
    """What the chosen answers tell the applicant (options' `notice`), in question order."""


class PlanError(ValueError):
    """The answers do not fit the definition's questions; `problems` says which and what is allowed."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))


def _allowed(question: Question) -> str:
    return ", ".join(option.value for option in question.options)


def resolve_answers(thing: OneThing, answers: Mapping[str, Answer]) -> dict[str, Answer]:
    """Every question's chosen option value (the answer, else the default); PlanError lists all problems.

    A multi-select question's answer is a list of distinct option values (a single value is taken as a list
    of one); any other question's is one value. Answer values are option codes, not personal data, but
    they are still not echoed back: a client could put anything there.
    """
    problems: list[FieldProblem] = []
    questions = {question.code: question for question in thing.questions}
    for code in answers:
        if code not in questions:
            known = ", ".join(questions) or "(this one-thing asks no questions)"
            problems.append(
                FieldProblem(
                    field=f"answers.{code}",
                    message=f"not a question of {thing.code}; allowed: {known}",
                    rule="answer_unknown",
                )
            )
    resolved: dict[str, Answer] = {}
    for question in thing.questions:
        value = answers.get(question.code, question.default)
        problem = _answer_problem(question, value)
        if problem is not None:
            rule, message = problem
            problems.append(FieldProblem(field=f"answers.{question.code}", message=message, rule=rule))
        elif question.multiple:
            resolved[question.code] = chosen(value)
        else:
            assert isinstance(value, str)  # checked by _answer_problem
            resolved[question.code] = value
    if problems:
        raise PlanError(problems)
    return resolved


def _answer_problem(question: Question, value: Answer | None) -> tuple[str, str] | None:
    """(rule, English message) of an answer that cannot be taken; the rule words it on pages (api/pages/messages)."""
    options = {option.value for option in question.options}
    if value is None:
        return "answer_missing", f"please answer: {question.text.en}; allowed: {_allowed(question)}"
    if not question.multiple:
        if not isinstance(value, str):
            return "answer_invalid", f"choose one answer; allowed: {_allowed(question)}"
        return None if value in options else ("answer_invalid", f"not an allowed answer; allowed: {_allowed(question)}")
    values = chosen(value)
    if any(v not in options for v in values):
        return "answer_invalid", f"not an allowed answer; choose any of: {_allowed(question)}"
    if len(set(values)) != len(values):
        return "answer_twice", "an answer is chosen twice; choose each at most once"
    return None


def make_plan(thing: OneThing, answers: Mapping[str, Answer]) -> Plan:
    """The plan for these answers; raises PlanError when an answer is unknown, invalid or missing."""
    resolved = resolve_answers(thing, answers)
    # Start from every item; each question's chosen options then add and remove items, in question order,
    # so a later question can re-include what an earlier one removed (the file's order is the rule).
    included = {item.code for item in thing.items}
    notices: list[Names] = []
    for question in thing.questions:
        picked = chosen(resolved[question.code])
        if question.multiple:
            # In a multi-select question an option's items come with the choice: a utility the applicant
            # does not ask to transfer is not transferred.
            included -= {code for option in question.options for code in option.include}
        for option in question.options:
            if option.value in picked:
                included |= set(option.include)
                included -= set(option.exclude)
                if option.notice is not None:
                    notices.append(option.notice)
    # An item cannot run without the results of what it depends on: with no hukou registered here
    # there is no hukou number for the social security card or the medical insurance, so dependants
    # of an excluded item are excluded too, transitively. Definition authors see this in `make_plan`
    # output rather than as a case stuck waiting for an item that will never run. A conditional
    # dependency (`depends_on_if_included`) is only waited for: its absence drops nothing.
    changed = True
    while changed:
        changed = False
        for item in thing.items:
            if item.code in included and any(dep not in included for dep in item.depends_on):
                included.discard(item.code)
                changed = True
    if not included:
        message = "with these answers no item of this one-thing applies; apply for the items separately"
        raise PlanError([FieldProblem(field="answers", message=message, rule="answers_exclude_all")])
    order = [item.code for item in thing.items if item.code in included]
    # A material with no items listed concerns the whole one-thing.
    needed = [m for m in thing.materials if not m.items or included & set(m.items)]
    return Plan(
        thing=thing.code,
        version=thing.version,
        answers=resolved,
        included=order,
        excluded=[item.code for item in thing.items if item.code not in included],
        materials_to_provide=[m for m in needed if not m.exempt],
        materials_exempt=[m for m in needed if m.exempt],
        promised_days=critical_path_days(thing, included),
        sequential_days=sequential_days(thing, included),
        notices=notices,
    )

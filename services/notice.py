"""一次告知: everything a one-thing will do for this applicant, by whom and by when, before the form.

The same view feeds `GET /api/v1/things/{code}`, the guidance plan and the notice page, so the citizen
reads the same promise everywhere. The "after" figures are what the bundle promises an online
applicant: one application and one collection of results (2 steps), no trips, the materials only the
citizen can provide, and the critical path of promised working days. The leaders' statistics measure
the same figures from real cases.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.calendar import TZ, WorkingDays, add_working_days, last_day_on_time
from one_things.answers import Answer
from one_things.catalog import Catalog
from one_things.plan import Plan, PlanError, make_plan
from one_things.schema import Baseline, Material, MaterialSource, Names, OneThing
from services.errors import InvalidError, NotFoundError

ONLINE_STEPS = 2
"""Apply once, receive the results: what a citizen does when the bundle runs fully online."""


class View(BaseModel):
    """The views below are built as dicts the notice page shares; forbidding extra keys keeps the two in step."""

    model_config = ConfigDict(extra="forbid")


class MaterialView(View):
    code: str
    name: Names
    source: MaterialSource
    exempt: bool
    """免于提交: the government already holds it, the citizen does not provide it."""
    items: list[str]


class NoticeItem(View):
    code: str
    item_no: str
    name: Names
    result_name: Names
    department: str
    department_name: Names
    promised_days: int
    statutory_days: int
    depends_on: list[str]
    """Only the dependencies included in this plan."""


class Figures(View):
    steps: int
    days: int | None
    """None after the reform while a question without a default is unanswered."""
    materials: int
    trips: int


class Notice(View):
    """一次告知: what the one-thing does for this applicant's answers (every item while questions are open)."""

    thing: str
    version: int
    name: Names
    summary: Names | None
    answers: dict[str, str | list[str]]
    """A list for a multi-select question."""
    notices: list[Names]
    """What the chosen answers tell the applicant (format 2 options' `notice`), in question order."""
    items: list[NoticeItem]
    excluded: list[str]
    promised_days: int | None
    sequential_days: int | None
    materials_to_provide: list[MaterialView]
    materials_exempt: list[MaterialView]
    before: Figures
    after: Figures
    baseline_source: str


class OptionView(View):
    value: str
    label: Names


class QuestionView(View):
    code: str
    text: Names
    multiple: bool = False
    """Several answers may be chosen (format 2); the answer is then a list."""
    default: str | list[str] | None
    options: list[OptionView]


class ThingSummary(View):
    code: str
    version: int
    name: Names
    life_event: Names
    departments: int
    items: int
    promised_days: int | None = Field(description="With every default answer; None when a question has none")
    baseline: Baseline


class ThingDetail(ThingSummary):
    notice: Notice
    questions: list[QuestionView]
    materials: list[MaterialView]
    definition: OneThing


def find_thing(catalog: Catalog, code: str) -> OneThing:
    try:
        return catalog.get(code)
    except KeyError:
        raise NotFoundError(f"No one-thing {code}; see GET /api/v1/things.") from None


def promise_in_calendar_days(working_days: int, applied_at: datetime, calendar: WorkingDays) -> int:
    """A promise of `working_days` as the calendar days it spans for an application made at `applied_at`: from that
    day to the last day on time. The before-reform baseline is in calendar days, so this is what it compares with
    (a promise in working days beside a baseline in calendar days would make the reform look larger than it is)."""
    last_day = last_day_on_time(add_working_days(applied_at, working_days, calendar))
    return (last_day - applied_at.astimezone(TZ).date()).days


def default_plan(thing: OneThing) -> Plan | None:
    """The plan with every default answer; None when a question has no default (the notice then shows all)."""
    try:
        return make_plan(thing, {})
    except ValueError:
        return None


def _material(material: Material) -> dict[str, Any]:
    return {
        "code": material.code,
        "name": material.name.model_dump(),
        "source": material.source.value,
        "exempt": material.exempt,
        "items": material.items,
    }


def _items(thing: OneThing, included: list[str]) -> list[dict[str, Any]]:
    views = []
    for item in thing.items:
        if item.code not in included:
            continue
        department = thing.department(item.department)
        views.append(
            {
                "code": item.code,
                "item_no": item.item_no,
                "name": item.name.model_dump(),
                "result_name": (item.result_name or item.name).model_dump(),
                "department": department.code,
                "department_name": department.name.model_dump(),
                "promised_days": item.promised_days,
                "statutory_days": item.statutory_days,
                "depends_on": [dep for dep in item.waits_for if dep in included],
            }
        )
    return views


def notice(thing: OneThing, plan: Plan | None) -> dict[str, Any]:
    """The one notice for `plan` (or for every item and material when there is no plan yet)."""
    if plan is None:
        included = [item.code for item in thing.items]
        to_provide = [m for m in thing.materials if not m.exempt]
        exempt = [m for m in thing.materials if m.exempt]
        promised = sequential = None
    else:
        included, to_provide, exempt = plan.included, plan.materials_to_provide, plan.materials_exempt
        promised, sequential = plan.promised_days, plan.sequential_days
    baseline = thing.baseline
    after = {"steps": ONLINE_STEPS, "days": promised, "materials": len(to_provide), "trips": 0}
    before = {"steps": baseline.steps, "days": baseline.days, "materials": baseline.materials, "trips": baseline.trips}
    return {
        "thing": thing.code,
        "version": thing.version,
        "name": thing.name.model_dump(),
        "summary": thing.summary.model_dump() if thing.summary else None,
        "answers": plan.answers if plan else {},
        "notices": [text.model_dump() for text in plan.notices] if plan else [],
        "items": _items(thing, included),
        "excluded": [item.code for item in thing.items if item.code not in included],
        "promised_days": promised,
        "sequential_days": sequential,
        "materials_to_provide": [_material(m) for m in to_provide],
        "materials_exempt": [_material(m) for m in exempt],
        "before": before,
        "after": after,
        "baseline_source": baseline.source,
    }


def plan_for(thing: OneThing, answers: Mapping[str, Answer]) -> Plan:
    """情形引导: the plan for these answers; every unanswered or unknown question named in the error."""
    try:
        return make_plan(thing, answers)
    except PlanError as error:
        errors = [problem.model_dump() for problem in error.problems]
        raise InvalidError("Please answer the questions named in errors.", errors, title="Invalid answers") from None


def question_views(thing: OneThing) -> list[dict[str, Any]]:
    return [
        {
            "code": question.code,
            "text": question.text.model_dump(),
            "multiple": question.multiple,
            "default": question.default,
            "options": [{"value": o.value, "label": o.label.model_dump()} for o in question.options],
        }
        for question in thing.questions
    ]


def answers_from_query(thing: OneThing, pairs: Iterable[tuple[str, str]]) -> dict[str, Answer]:
    """Guidance answers from a query string or a posted form: a multi-select question's answer is every value
    given under its code (`?utilities=water&utilities=gas`), any other question's the last one."""
    questions = {question.code: question for question in thing.questions}
    answers: dict[str, Answer] = {}
    for key, value in pairs:
        question = questions.get(key)
        if question is None:
            continue
        if question.multiple:
            # The page sends an empty value before the boxes: answered, even with no box ticked.
            previous = answers.get(key, [])
            answers[key] = [*(previous if isinstance(previous, list) else [previous]), *([value] if value else [])]
        else:
            answers[key] = value
    return answers

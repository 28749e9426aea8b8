"""The catalogue of one-things: what each bundle does, for whom, by when (一次告知, 情形引导)."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import CatalogDep, PrincipalDep
from api.openapi import problems
from api.params import Code
from core.bounds import Answers
from one_things.plan import Plan
from one_things.schema import OneThing
from one_things.search import search
from services.errors import InvalidError, NotFoundError
from services.notice import (
    MaterialView,
    Notice,
    QuestionView,
    ThingDetail,
    ThingSummary,
    default_plan,
    find_thing,
    notice,
    plan_for,
    question_views,
)

router = APIRouter(prefix="/things", tags=["one-things"])


class PlanIn(BaseModel):
    answers: Answers = Field(default_factory=dict, description="Guidance answers: question code -> option")


def _summary(thing: OneThing, plan: Plan | None) -> ThingSummary:
    return ThingSummary(
        code=thing.code,
        version=thing.version,
        name=thing.name,
        life_event=thing.life_event,
        departments=len(thing.departments),
        items=len(thing.items),
        promised_days=plan.promised_days if plan else None,
        baseline=thing.baseline,
    )


@router.get("")
def list_things(
    _principal: PrincipalDep,
    catalog: CatalogDep,
    q: str = Query(default="", max_length=100, description="Plain words, e.g. 生孩子 or 'my baby was born'"),
) -> list[ThingSummary]:
    return [_summary(thing, default_plan(thing)) for thing in search(catalog.all(), q)]


@router.get("/{code}", responses=problems(NotFoundError))
def get_thing(code: Code, _principal: PrincipalDep, catalog: CatalogDep) -> ThingDetail:
    """The one notice with every default answer, the guidance questions and the full definition."""
    thing = find_thing(catalog, code)
    plan = default_plan(thing)
    return ThingDetail(
        **dict(_summary(thing, plan)),
        notice=Notice.model_validate(notice(thing, plan)),
        questions=[QuestionView.model_validate(question) for question in question_views(thing)],
        materials=[MaterialView(**m.model_dump(), exempt=m.exempt) for m in thing.materials],
        definition=thing,
    )


@router.post("/{code}/plan", responses=problems(NotFoundError, InvalidError))
def plan_for_answers(code: Code, body: PlanIn, _principal: PrincipalDep, catalog: CatalogDep) -> Notice:
    """情形引导: the items, materials and promised days that apply for these answers."""
    thing = find_thing(catalog, code)
    return Notice.model_validate(notice(thing, plan_for(thing, body.answers)))

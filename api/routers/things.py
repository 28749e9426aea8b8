"""The catalogue of one-things: what each bundle does, for whom, by when (一次告知, 情形引导)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import CatalogDep, PrincipalDep
from one_things.plan import Plan
from one_things.schema import OneThing
from one_things.search import search
from services.notice import default_plan, find_thing, notice, plan_for, question_views

router = APIRouter(prefix="/things", tags=["one-things"])


class PlanIn(BaseModel):
    answers: dict[str, str] = Field(default_factory=dict, description="Guidance answers: question code -> option")


def _summary(thing: OneThing, plan: Plan | None) -> dict[str, Any]:
    return {
        "code": thing.code,
        "version": thing.version,
        "name": thing.name.model_dump(),
        "life_event": thing.life_event.model_dump(),
        "departments": len(thing.departments),
        "items": len(thing.items),
        "promised_days": plan.promised_days if plan else None,
        "baseline": thing.baseline.model_dump(),
    }


@router.get("")
def list_things(
    _principal: PrincipalDep,
    catalog: CatalogDep,
    q: str = Query(default="", max_length=100, description="Plain words, e.g. 生孩子 or 'my baby was born'"),
) -> list[dict[str, Any]]:
    return [_summary(thing, default_plan(thing)) for thing in search(catalog.all(), q)]


@router.get("/{code}")
def get_thing(code: str, _principal: PrincipalDep, catalog: CatalogDep) -> dict[str, Any]:
    """The one notice with every default answer, the guidance questions and the full definition."""
    thing = find_thing(catalog, code)
    plan = default_plan(thing)
    return {
        **_summary(thing, plan),
        "notice": notice(thing, plan),
        "questions": question_views(thing),
        "materials": [{**m.model_dump(), "exempt": m.exempt} for m in thing.materials],
        "definition": thing.model_dump(mode="json"),
    }


@router.post("/{code}/plan")
def plan_for_answers(code: str, body: PlanIn, _principal: PrincipalDep, catalog: CatalogDep) -> dict[str, Any]:
    """情形引导: the items, materials and promised days that apply for these answers."""
    thing = find_thing(catalog, code)
    return notice(thing, plan_for(thing, body.answers))

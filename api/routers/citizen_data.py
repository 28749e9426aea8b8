"""The citizen's own data: the one form pre-filled from the population register and the licence library."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import CatalogDep, CitizenDep, ClockDep, SessionDep
from api.openapi import problems
from api.params import Code
from api.problems import invalid_input
from one_things.plan import PlanError
from services.errors import NotFoundError
from services.notice import answers_from_query, find_thing
from services.prefill import PrefilledForm, prefill_form

router = APIRouter(tags=["citizen data"])


@router.get("/things/{code}/form", response_model=PrefilledForm, responses=problems(NotFoundError, 422))
def prefilled_form(
    clock: ClockDep, code: Code, request: Request, principal: CitizenDep, session: SessionDep, catalog: CatalogDep
) -> PrefilledForm:
    """Every field of the one form, pre-filled where the government holds the value (ID numbers masked).

    Guidance answers go in the query string (`?hukou_location=this_district`); they decide which
    materials apply. Unanswered questions without a default leave `materials` empty (null).
    """
    thing = find_thing(catalog, code)
    answers = answers_from_query(thing, request.query_params.multi_items())
    try:
        return prefill_form(session, thing=thing, subject=principal.subject, answers=answers, now=clock.now())
    except PlanError as error:
        raise invalid_input([problem.model_dump() for problem in error.problems]) from None

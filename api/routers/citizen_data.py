"""The citizen's own data: the one form pre-filled from the population register and the licence library."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request

from api.deps import CatalogDep, CitizenDep, SessionDep
from api.prefill import PrefilledForm, prefill_form
from api.problems import ProblemError, invalid_input
from core.privacy import mask_id_no
from one_things.plan import PlanError

router = APIRouter(tags=["citizen data"])


@router.get("/things/{code}/form", response_model=PrefilledForm)
def prefilled_form(
    code: str, request: Request, principal: CitizenDep, session: SessionDep, catalog: CatalogDep
) -> PrefilledForm:
    """Every field of the one form, pre-filled where the government holds the value (ID numbers masked).

    Guidance answers go in the query string (`?hukou_location=this_district`); they decide which
    materials apply. Unanswered questions without a default leave `materials` empty (null).
    """
    try:
        thing = catalog.get(code)
    except KeyError:
        raise ProblemError(404, "Not found", f"No one-thing {code}; see GET /api/v1/things.") from None
    answers = dict(request.query_params)
    try:
        form = prefill_form(session, thing=thing, subject=principal.subject, answers=answers, now=datetime.now(UTC))
    except PlanError as error:
        raise invalid_input([problem.model_dump() for problem in error.problems]) from None
    # ID numbers leave the server only masked (one may be a spouse's). Pre-filled fields can be left out
    # of POST /applications: the server fills them in from the same sources.
    fields = [
        field.model_copy(update={"value": mask_id_no(field.value)})
        if field.type == "resident_id" and field.value
        else field
        for field in form.fields
    ]
    return form.model_copy(update={"fields": fields})

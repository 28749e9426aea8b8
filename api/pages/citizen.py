"""The citizen's pages: the pre-filled form, submission, the case list and the live case page."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.deps import CaseGatewayDep, CatalogDep, ClockDep, SessionDep, SettingsDep
from api.pages.acting import acting_choices, applicant, submitted_by
from api.pages.case_view import case_page_view, local_time, thing_or_none
from api.pages.feedback import feedback_context
from api.pages.messages import field_message, problem_message
from api.pages.rendering import CitizenPageDep, Page, control_characters
from api.pages.uploads import ACCEPT, read_upload
from api.params import CaseNo, Code, CodeFilter
from api.problems import field_errors, from_domain
from api.schemas import WithdrawIn
from one_things.answers import Answer
from one_things.catalog import Catalog
from one_things.plan import PlanError
from one_things.schema import OneThing
from persistence.materials import uploaded_materials
from services.cases import case_list, load_case, send_supplement, shown_status, withdraw_case
from services.errors import DomainError, InvalidError, NotAllowedError
from services.materials import mb
from services.notice import answers_from_query
from services.prefill import PrefilledForm, prefill_form
from services.submission import (
    ApplicationIn,
    accept,
    applied_definition,
    checked_application,
    definition_for,
    with_held_data,
)

router = APIRouter(include_in_schema=False)
# 代办: the account an agent acts for, chosen on the page and checked against their authority each time.
ActingFor = Annotated[str | None, Query(alias="for", max_length=128)]


def _prefilled(
    session: Any, thing: OneThing, answers: dict[str, Answer], now: datetime, *, owner: str
) -> PrefilledForm:
    return prefill_form(session, thing=thing, subject=owner, answers=answers, now=now)


def render_form(
    page: Page,
    thing: OneThing,
    form: PrefilledForm,
    *,
    typed: dict[str, str] | None = None,
    errors: list[dict[str, str]] | None = None,
    idempotency_key: str | None = None,
    status_code: int = 200,
    individual_item: str | None = None,
    bundle: OneThing | None = None,
    on_behalf_of: str | None = None,
    action: str | None = None,
) -> HTMLResponse:
    """`individual_item`: one item applied for on its own; `bundle`: the one-thing that ruled the applicant
    out, whose items are then offered one by one; `action`: where the form posts (the counter's own URL)."""
    labels = {field.code: page.name(field.name) for field in thing.form}
    labels |= {f"material_{material.code}": page.name(material.name) for material in thing.materials}
    shown_errors = []
    for error in errors or []:
        code = error["field"].removeprefix("form.").removeprefix("answers.")
        code = code.replace("materials.", "material_").replace("material.", "material_")
        message = field_message(page, error, bundle or thing)
        shown_errors.append({"code": code, "label": labels.get(code, ""), "message": message})
    return page.render(
        "apply.html",
        status_code=status_code,
        form=form.model_dump(),
        thing_name=page.name(thing.name),
        typed=typed or {},
        errors=shown_errors,
        error_codes={error["code"]: error["message"] for error in shown_errors},
        idempotency_key=idempotency_key or uuid.uuid4().hex,
        accept=ACCEPT,
        action=action,
        individual_item=individual_item,
        on_behalf_of=on_behalf_of,
        individual_items=[(item.code, page.name(item.result_name or item.name)) for item in bundle.items]
        if bundle
        else [],
    )


@router.get("/things/{code}/apply", response_class=HTMLResponse)
def apply_page(
    code: Code,
    page: CitizenPageDep,
    session: SessionDep,
    catalog: CatalogDep,
    clock: ClockDep,
    item: CodeFilter = None,
    for_: ActingFor = None,
) -> Response:
    thing = definition_for(catalog, code, item)
    answers = answers_from_query(thing, page.request.query_params.multi_items())
    try:  # before any of the principal's held data is read
        owner = applicant(session, page, thing, for_, clock.now())
    except NotAllowedError as error:
        return page.render("error.html", status_code=403, message=rule_message(page, error))
    try:
        form = _prefilled(session, thing, answers, clock.now(), owner=owner)
    except PlanError:
        form = None
    if form is None or form.unanswered:  # the questions first
        acting = {"for": for_} if for_ else {}
        return RedirectResponse(f"/things/{code}?{urlencode({**answers, **acting}, doseq=True)}", status_code=303)
    return render_form(page, thing, form, individual_item=item, on_behalf_of=_acting(page, owner))


def _acting(page: Page, owner: str) -> str | None:
    assert page.principal is not None
    return owner if owner != page.principal.subject else None


def posted_application(posted: FormData) -> tuple[str | None, list[tuple[str, str]], dict[str, str], str]:
    """The apply form as posted (by the citizen, or at the counter): the item applied for alone, the guidance
    answers (as posted pairs: `answers_from_query` reads them once the definition is known), the typed fields
    and the Idempotency-Key the page was rendered with."""
    item = str(posted.get("individual_item") or "") or None
    answers = [(k.removeprefix("answer."), str(v)) for k, v in posted.multi_items() if k.startswith("answer.")]
    typed = {k.removeprefix("field."): str(v).strip() for k, v in posted.items() if k.startswith("field.")}
    key = str(posted.get("idempotency_key") or uuid.uuid4().hex)[:128]
    return item, answers, typed, key


@router.post("/things/{code}/apply", response_class=HTMLResponse)
async def apply(
    clock: ClockDep,
    code: Code,
    page: CitizenPageDep,
    session: SessionDep,
    cases: CaseGatewayDep,
    settings: SettingsDep,
    catalog: CatalogDep,
) -> Response:
    """One submission: what the government holds is taken from the register again, never from the page."""
    posted = await page.request.form()
    item, pairs, typed, key = posted_application(posted)
    thing = definition_for(catalog, code, item)
    answers = answers_from_query(thing, pairs)
    acting_for = str(posted.get("on_behalf_of") or "")[:128] or None
    # The SQL below runs in the thread pool (run_in_threadpool), as every query of an async route must.
    try:  # checked first: the form re-rendered below carries the principal's held data
        owner = await run_in_threadpool(applicant, session, page, thing, acting_for, clock.now())
    except NotAllowedError as error:
        return page.render("error.html", status_code=403, message=rule_message(page, error))
    acting = _acting(page, owner)
    try:
        form = await run_in_threadpool(_prefilled, session, thing, answers, clock.now(), owner=owner)
    except PlanError:
        return RedirectResponse(f"/things/{code}", status_code=303)
    # Only what the citizen typed: the held data is filled in by `accept`, from the register, not the page.
    values: dict[str, Any] = {f.code: typed[f.code] for f in form.fields if not f.prefilled and typed.get(f.code)}
    assert page.principal is not None
    uploads, upload_errors = await checked_uploads(page, form, posted)
    materials = {code: base64.b64encode(data) for code, data in uploads.items()}
    try:
        body = ApplicationIn(
            thing=code, answers=answers, form=values, individual_item=item, materials=materials, on_behalf_of=acting
        )
    except ValidationError as error:  # e.g. a posted answer with a control character: named, as by the API
        return render_form(
            page, thing, form, typed=typed, errors=field_errors(error.errors()), idempotency_key=key,
            status_code=422, individual_item=item, on_behalf_of=acting,
        )  # fmt: skip
    if upload_errors:  # every problem at once: the form's own too, checked without starting anything
        errors = await run_in_threadpool(_form_errors, session, catalog, owner, body, now=clock.now())
        errors += upload_errors
        return render_form(
            page,
            thing,
            form,
            typed=typed,
            errors=errors,
            idempotency_key=key,
            status_code=422,
            individual_item=item,
            on_behalf_of=acting,
        )
    try:
        accepted = await accept(
            session=session,
            cases=cases,
            settings=settings,
            catalog=catalog,
            caller=page.principal.subject,
            idempotency_key=key,
            body=body,
            now=clock.now(),
        )
    except NotAllowedError as error:  # who may apply: the rule in the page's language
        return page.render("error.html", status_code=403, message=rule_message(page, error))
    except InvalidError as error:  # anything else is an error page, from the one handler in api/problems.py
        ruled_out = any(e["field"].startswith("eligibility.") for e in error.errors)
        return render_form(
            page,
            thing,
            form,
            typed=typed,
            errors=error.errors,
            idempotency_key=key,
            status_code=422,
            individual_item=item,
            bundle=thing if ruled_out else None,
            on_behalf_of=acting,
        )
    return RedirectResponse(f"/cases/{accepted.case_no}", status_code=303)


def rule_message(page: Page, error: DomainError) -> str:
    """A refusal in the page's language: its rule's sentence, else the one for its kind."""
    return problem_message(page, from_domain(error).status, error.context.get("rule"), error.context)


def _form_errors(
    session: Any, catalog: Catalog, owner: str, body: ApplicationIn, *, now: datetime
) -> list[dict[str, str]]:
    try:
        thing = applied_definition(catalog, body)
        checked_application(thing, with_held_data(session, thing, owner, body, now=now), now=now)
    except InvalidError as error:
        return error.errors
    return []


async def checked_uploads(
    page: Page, form: PrefilledForm, posted: Any
) -> tuple[dict[str, bytes], list[dict[str, str]]]:
    """The materials only the citizen can provide, each present, small enough and of an accepted type (checked
    here for messages in the page's language; `accept` checks them again, as for the API)."""
    uploads, errors = {}, []
    for material in form.materials or []:
        if material.exempt:
            continue
        max_bytes = page.request.app.state.settings.material_max_bytes
        data, problem = await read_upload(posted.get(f"material.{material.code}"), max_bytes)
        if data is not None:
            uploads[material.code] = data
        else:
            errors.append(
                {
                    "field": f"material.{material.code}",
                    "message": page.t(f"upload_{problem}", mb=mb(max_bytes)),
                    "rule": f"upload_{problem}",
                    "mb": mb(max_bytes),
                }
            )
    return uploads, errors


@router.get("/cases", response_class=HTMLResponse)
def cases_page(
    page: CitizenPageDep, session: SessionDep, catalog: CatalogDep, clock: ClockDep, for_: ActingFor = None
) -> Response:
    """My cases (an agent's filing for me named), or with `for` those of an account I act for."""
    assert page.principal is not None
    try:
        found = case_list(session, principal=page.principal, on_behalf_of=for_, now=clock.now())
    except NotAllowedError as error:
        return page.render("error.html", status_code=403, message=rule_message(page, error))
    cases = []
    for case in found:
        thing = thing_or_none(catalog, case)
        name = page.name(thing.name) if thing else case.thing
        cases.append(
            {
                "case_no": case.case_no,
                "name": name,
                "status": shown_status(case),
                "accepted": local_time(case.accepted_at),
                "submitted_by": submitted_by(session, case),
            }
        )
    choices = acting_choices(session, page, catalog, clock.now())
    acting = next((choice for choice in choices if choice.subject == for_), None)
    return page.render("cases.html", cases=cases, choices=choices, acting=acting)


def _case_context(page: Page, session: Any, catalog: Catalog, case_no: str, now: datetime) -> dict[str, Any]:
    """Everything the case page shows, from one read of the case: the live fragment asks every 1.5 s."""
    assert page.principal is not None
    case, items = load_case(session, page.principal, case_no, now=now)
    thing = thing_or_none(catalog, case)
    names = {material.code: page.name(material.name) for material in thing.materials} if thing else {}
    uploaded = [names.get(code, code) for code in uploaded_materials(session, case_no=case_no)]
    return {
        "view": case_page_view(page, catalog, case, items),
        "submitted_by": submitted_by(session, case),
        "uploaded": uploaded,
        "accept": ACCEPT,
        **feedback_context(page, session, catalog, case, items),
    }


@router.get("/cases/{case_no}", response_class=HTMLResponse)
def case_page(
    case_no: CaseNo, page: CitizenPageDep, session: SessionDep, catalog: CatalogDep, clock: ClockDep
) -> Response:
    return page.render("case.html", **_case_context(page, session, catalog, case_no, clock.now()))


@router.get("/cases/{case_no}/live", response_class=HTMLResponse)
def case_live(
    case_no: CaseNo, page: CitizenPageDep, session: SessionDep, catalog: CatalogDep, clock: ClockDep
) -> Response:
    """The fragment the case page's script swaps in: the same template, so both always agree."""
    return page.render("case_live.html", **_case_context(page, session, catalog, case_no, clock.now()))


@router.post("/cases/{case_no}/supplement")
async def supplement(
    clock: ClockDep,
    case_no: CaseNo,
    page: CitizenPageDep,
    session: SessionDep,
    cases: CaseGatewayDep,
    catalog: CatalogDep,
) -> Response:
    assert page.principal is not None
    posted = await page.request.form()
    fields = {
        k.removeprefix("field."): str(v).strip() for k, v in posted.items() if k.startswith("field.") and str(v).strip()
    }
    note = str(posted.get("note") or "")[:500] or None
    materials: dict[str, bytes] = {}
    max_bytes = page.request.app.state.settings.material_max_bytes
    for key, upload in posted.multi_items():
        if not key.startswith("material."):
            continue
        data, wrong = await read_upload(upload, max_bytes)
        if wrong == "missing":
            continue  # the file input left empty: only the fields are corrected
        if wrong is not None or data is None:
            message = page.t("correction_bad_file")
            return page.render("error.html", status_code=422, message=message)
        materials[key.removeprefix("material.")] = data
    item_code = str(posted.get("item_code") or "")[:64]
    if (refused := control_characters(page, lines=(item_code,), texts=(note or "",))) is not None:
        return refused
    try:
        await send_supplement(
            session=session,
            cases=cases,
            catalog=catalog,
            principal=page.principal,
            case_no=case_no,
            item_code=item_code,
            form=fields,
            now=clock.now(),
            note=note,
            materials=materials,
            max_material_bytes=max_bytes,
        )
    except InvalidError as error:
        case, _ = await run_in_threadpool(load_case, session, page.principal, case_no, now=clock.now())
        detail = correction_refused(page, thing_or_none(catalog, case), error.errors)
        return page.render("error.html", status_code=from_domain(error).status, message=detail)
    return RedirectResponse(f"/cases/{case_no}", status_code=303)


def correction_refused(page: Page, thing: OneThing | None, errors: list[dict[str, str]]) -> str:
    """Every refused part of a correction, each named by its label, in the page's language."""
    labels = {f"form.{field.code}": page.name(field.name) for field in thing.form} if thing else {}
    labels |= {f"materials.{m.code}": page.name(m.name) for m in thing.materials} if thing else {}
    named = [(labels.get(error["field"], ""), field_message(page, error, thing)) for error in errors]
    return page.t("list_sep").join(f"{label}: {text}" if label else text for label, text in named) or page.t(
        "error_422"
    )


@router.post("/cases/{case_no}/withdraw")
async def withdraw(
    clock: ClockDep, case_no: CaseNo, page: CitizenPageDep, session: SessionDep, cases: CaseGatewayDep
) -> Response:
    assert page.principal is not None
    posted = await page.request.form()
    if posted.get("confirm") != "yes":
        # Nothing was withdrawn: say so, what to tick, and lead back to the case rather than to the home page.
        message = page.t("withdraw_unconfirmed", confirm=page.t("withdraw_confirm"), button=page.t("withdraw"))
        back = {"href": f"/cases/{case_no}", "label": page.t("back_to_case")}
        return page.render("error.html", status_code=422, message=message, back=back)
    await withdraw_case(
        session=session,
        cases=cases,
        principal=page.principal,
        case_no=case_no,
        reason=WithdrawIn().reason,
        now=clock.now(),
    )
    return RedirectResponse(f"/cases/{case_no}", status_code=303)

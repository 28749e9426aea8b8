"""The counter (一窗受理): a window clerk serves a citizen in person, from the ID card to the case number.

The steps, each checked here and not trusted from a page: the identity the clerk types (ID number and
name) matches the population register; the citizen consents to the clerk acting with their data; the one
form is the citizen's own pre-filled form; the application is filed **for** the citizen (who-may-apply
checked for them, never for the clerk), the case theirs and `acted_by` the clerk, on channel `counter`.
Every read of the citizen's data by the clerk is on the audit log (purpose `counter`).

A visit belongs to the clerk who opened it and lasts a working session (VISIT_LENGTH): another clerk, or
the same one the next day, verifies the citizen again.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import partial

from anyio import to_thread
from pydantic import BaseModel, Field
from sqlmodel import Session
from stdnum.cn import ric

from core.auth import Principal
from core.bounds import SingleLine
from core.privacy import mask_id_no, mask_name
from core.settings import Settings
from one_things.answers import Answer
from one_things.catalog import Catalog
from one_things.graph import critical_path_days
from persistence.cases import get_case
from persistence.counter import (
    CounterVisit,
    add_visit,
    get_counter_case,
    get_visit,
    record_consent,
    record_counter_case,
)
from persistence.register import find_by_id_no, get_resident
from services.audit import DataCategory, Purpose, record_read
from services.case_gateway import CaseGateway
from services.errors import ConflictError, InvalidError, NotAllowedError, NotFoundError
from services.prefill import PrefilledForm, prefill_form
from services.submission import (
    Accepted,
    ApplicationIn,
    accept,
    applied_definition,
    checked_application,
    definition_for,
    with_held_data,
)

VISIT_LENGTH = timedelta(hours=4)
CONSENT_TEXT = {
    "zh": "本人同意窗口工作人员在本次办理中查询并使用政府部门掌握的本人信息（户籍、婚姻、证照），"
    "代本人填写并提交申请；办件归本人所有，查询记录可在“谁查看了我的数据”中查看。",
    "en": "I agree that the counter clerk may look up and use the data the government holds about me (household "
    "register, marriage, licences) during this visit to fill in and submit my application for me; the case is "
    "mine, and every look-up is listed under 'Who viewed my data'.",
}
"""Shown beside the checkbox and stored with the consent exactly as shown."""


class VerificationIn(BaseModel):
    id_no: SingleLine = Field(
        min_length=1, max_length=32, description="The resident ID number on the citizen's ID card"
    )
    name: SingleLine = Field(min_length=1, max_length=60, description="The name on the citizen's ID card")


class ConsentIn(BaseModel):
    agreed: bool = Field(description="The citizen agreed to the consent text (read it from GET /counter/consent)")
    lang: str = Field(default="zh", pattern="^(zh|en)$", description="The language the text was shown in")


class CounterApplicationIn(ApplicationIn):
    visit: SingleLine = Field(
        min_length=1, max_length=32, description="The visit from POST /api/v1/counter/verifications"
    )


class ConsentText(BaseModel):
    zh: str
    en: str


class VisitView(BaseModel):
    """No full ID number and no full name: the clerk has the ID card in hand."""

    id: str
    citizen: str
    """The citizen's opaque account id."""
    name_masked: str
    id_no_masked: str
    service_point: str
    verified_at: datetime
    consented_at: datetime | None
    expires_at: datetime


class ReceiptItem(BaseModel):
    code: str
    name: str
    department: str
    promised_days: int


class Receipt(BaseModel):
    """What the citizen takes home (回执): enough to follow the case, nothing more of them than masked."""

    case_no: str
    thing: str
    thing_name: str
    accepted_at: datetime
    name_masked: str
    id_no_masked: str
    service_point: str
    clerk: str
    items: list[ReceiptItem]
    promised_days: int
    """The critical path of the items' promised working days."""


def _id_no(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().upper()


def _name(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value).split())


def verify(session: Session, *, clerk: Principal, body: VerificationIn, now: datetime) -> VisitView:
    """Opens a visit for the citizen whose ID number *and* name match the register.

    A mismatch says only "does not match": telling which part differs would let anyone at a counter learn a
    name from an ID number. A number that is not a valid ID number at all is said so (checksum, no oracle)."""
    id_no = _id_no(body.id_no)
    if not ric.is_valid(id_no):
        raise InvalidError(
            "Please correct: id_no. Type the 18 characters of the ID card again. Nothing was saved.",
            [{"field": "id_no", "message": "not a valid resident ID number (its check digit is wrong)"}],
            title="Invalid ID number",
            rule="id_no_invalid",
        )
    resident = find_by_id_no(session, id_no=id_no)
    if resident is None or _name(resident.name) != _name(body.name):
        raise InvalidError(
            "The ID number and name do not match the population register. Check both against the ID card; if "
            "the card is right, the citizen has the register corrected at their hukou police station. "
            "Nothing was saved.",
            [{"field": "identity", "message": "does not match the register"}],
            title="Identity not verified",
            rule="identity_mismatch",
        )
    visit = add_visit(
        session,
        CounterVisit(
            clerk=clerk.subject, service_point=clerk.department or "", citizen=resident.subject, verified_at=now
        ),
    )
    return _view(session, visit)


def _view(session: Session, visit: CounterVisit) -> VisitView:
    resident = get_resident(session, subject=visit.citizen)
    return VisitView(
        id=visit.id,
        citizen=visit.citizen,
        name_masked=mask_name(resident.name) if resident else "",
        id_no_masked=mask_id_no(resident.id_no) if resident else "",
        service_point=visit.service_point,
        verified_at=visit.verified_at,
        consented_at=visit.consented_at,
        expires_at=visit.verified_at + VISIT_LENGTH,
    )


def load_visit(session: Session, *, clerk: Principal, visit_id: str, now: datetime) -> CounterVisit:
    """The clerk's own visit, still open; another clerk's visit does not exist for them."""
    visit = get_visit(session, visit_id=visit_id)
    if visit is None or visit.clerk != clerk.subject:
        raise NotFoundError(f"No counter visit {visit_id[:32]} of yours; verify the citizen's identity to start one.")
    if now >= visit.verified_at + VISIT_LENGTH:
        raise ConflictError(
            "This counter visit has ended; verify the citizen's identity again to serve them.",
            title="Visit ended",
            rule="visit_ended",
        )
    return visit


def visit_view(session: Session, *, clerk: Principal, visit_id: str, now: datetime) -> VisitView:
    return _view(session, load_visit(session, clerk=clerk, visit_id=visit_id, now=now))


def consent(session: Session, *, clerk: Principal, visit_id: str, body: ConsentIn, now: datetime) -> VisitView:
    visit = load_visit(session, clerk=clerk, visit_id=visit_id, now=now)
    if not body.agreed:
        raise InvalidError(
            "The citizen has not agreed: read them the consent text and tick the box once they agree. Without "
            "consent the clerk cannot use their data; they can apply online themself instead.",
            [{"field": "agreed", "message": "the citizen must agree to the consent text"}],
            title="No consent",
            rule="consent_missing",
        )
    return _view(session, record_consent(session, visit=visit, text=CONSENT_TEXT[body.lang], now=now))


def _consented(visit: CounterVisit) -> CounterVisit:
    if visit.consented_at is None:
        raise NotAllowedError(
            "The citizen's consent is not recorded for this visit: record it (POST "
            "/api/v1/counter/verifications/{visit}/consent, or the counter page's checkbox) first. Nothing was "
            "started.",
            title="No consent",
            rule="consent_missing",
        )
    return visit


def prefilled_for(
    session: Session,
    *,
    clerk: Principal,
    catalog: Catalog,
    visit_id: str,
    code: str,
    item: str | None,
    answers: Mapping[str, Answer],
    now: datetime,
) -> PrefilledForm:
    """The citizen's own pre-filled form, shown to the clerk: a read of the register, logged under the visit
    (the case does not exist yet; the citizen's list shows it under the visit's id)."""
    visit = _consented(load_visit(session, clerk=clerk, visit_id=visit_id, now=now))
    thing = definition_for(catalog, code, item)
    form = prefill_form(session, thing=thing, subject=visit.citizen, answers=answers, now=now)
    record_read(session, clerk, case_no=visit.id, what=DataCategory.REGISTER, purpose=Purpose.COUNTER, now=now)
    return form


async def submit(
    *,
    session: Session,
    cases: CaseGateway,
    settings: Settings,
    catalog: Catalog,
    clerk: Principal,
    body: CounterApplicationIn,
    idempotency_key: str | None,
    now: datetime,
) -> Accepted:
    """Files the application for the visit's citizen: every online rule, checked for the citizen.

    Its SQL runs in a worker thread, as in `accept` (no blocking I/O on the event loop)."""
    visit = _consented(
        await to_thread.run_sync(partial(load_visit, session, clerk=clerk, visit_id=body.visit, now=now))
    )
    application = ApplicationIn.model_validate(body.model_dump(exclude={"visit", "on_behalf_of"}))
    accepted = await accept(
        session=session,
        cases=cases,
        settings=settings,
        catalog=catalog,
        caller=clerk.subject,
        idempotency_key=idempotency_key,
        body=application,
        now=now,
        at_counter_for=visit.citizen,
    )
    await to_thread.run_sync(partial(_record_filing, session, clerk, visit, accepted, now=now))
    return accepted


def form_errors(
    session: Session, *, clerk: Principal, catalog: Catalog, body: CounterApplicationIn, now: datetime
) -> list[dict[str, str]]:
    """Every problem of the form as it stands, checked for the visit's citizen and nothing filed: shown beside a
    missing upload, so the clerk corrects everything in one pass rather than one kind of mistake per submit."""
    visit = _consented(load_visit(session, clerk=clerk, visit_id=body.visit, now=now))
    application = ApplicationIn.model_validate(body.model_dump(exclude={"visit", "on_behalf_of"}))
    try:
        thing = applied_definition(catalog, application)
        checked_application(thing, with_held_data(session, thing, visit.citizen, application, now=now), now=now)
    except InvalidError as error:
        return error.errors
    return []


def _record_filing(
    session: Session, clerk: Principal, visit: CounterVisit, accepted: Accepted, *, now: datetime
) -> None:
    record_counter_case(session, case_no=accepted.case_no, visit=visit, included=accepted.plan.included)
    if accepted.created:  # the clerk handled the citizen's form and materials to file them
        for what in (DataCategory.FORM, DataCategory.MATERIALS):
            record_read(session, clerk, case_no=accepted.case_no, what=what, purpose=Purpose.COUNTER, now=now)
    session.commit()


def receipt(session: Session, *, clerk: Principal, catalog: Catalog, case_no: str, lang: str, now: datetime) -> Receipt:
    """The receipt of a case this clerk filed at the counter; any other case does not exist for them."""
    found = get_case(session, case_no=case_no)
    filed = get_counter_case(session, case_no=case_no)
    visit = get_visit(session, visit_id=filed.visit) if filed else None
    if found is None or filed is None or visit is None or visit.clerk != clerk.subject:
        raise NotFoundError(f"No case {case_no[:40]} filed by you at the counter.")
    case = found[0]
    thing = catalog.get(case.thing, case.version)
    resident = get_resident(session, subject=case.owner)
    record_read(session, clerk, case_no=case_no, what=DataCategory.CASE_DETAIL, purpose=Purpose.COUNTER, now=now)
    # As accepted, not as projected: the receipt is printed before the workflow has projected its items.
    included = set(filed.included)
    items = [
        ReceiptItem(
            code=item.code,
            name=_in(item.name.model_dump(), lang),
            department=_in(thing.department(item.department).name.model_dump(), lang),
            promised_days=item.promised_days,
        )
        for item in thing.items
        if item.code in included
    ]
    return Receipt(
        case_no=case.case_no,
        thing=thing.code,
        thing_name=_in(thing.name.model_dump(), lang),
        accepted_at=case.accepted_at,
        name_masked=mask_name(resident.name) if resident else "",
        id_no_masked=mask_id_no(resident.id_no) if resident else "",
        service_point=clerk.department or "",
        clerk=clerk.subject,
        items=items,
        promised_days=critical_path_days(thing, included) if included else 0,
    )


def _in(names: dict[str, str], lang: str) -> str:
    return names.get(lang) or names["zh"]

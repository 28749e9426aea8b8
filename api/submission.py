"""Accepting an application: validate everything first, then start exactly one case per request.

Order matters for "nothing accepted is ever lost": the Idempotency-Key row (with the case number) is
committed before the workflow starts, and a repeat of the request re-starts the same workflow id,
which Temporal turns into a no-op if it already runs. A failure in between is healed by the retry.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from api.metrics import record_bundle_started
from api.prefill import prefill_fields
from api.problems import ProblemError, invalid_input
from api.schemas import ApplicationIn
from core import clock
from core.ids import new_case_no
from core.settings import Settings
from one_things.catalog import Catalog
from one_things.eligibility import Ineligible, check_eligibility, individual_definition
from one_things.forms import validate_form
from one_things.plan import Plan, PlanError, make_plan
from one_things.schema import ApplicantKind, OneThing
from persistence.applications import count_applications_since, find_application, record_application
from persistence.cases import record_accepted_case
from persistence.definitions import record_definition
from persistence.enterprises import get_enterprise
from persistence.register import get_resident
from services.case_gateway import CaseGateway
from workflows.contracts import BundleInput

SHANGHAI = ZoneInfo("Asia/Shanghai")


def applied_definition(catalog: Catalog, body: ApplicationIn) -> OneThing:
    """What the application is for: the one-thing, or one of its items on its own; a 422 naming the field."""
    try:
        thing = catalog.get(body.thing)
    except KeyError:
        known = ", ".join(t.code for t in catalog.all())
        raise invalid_input([{"field": "thing", "message": f"unknown one-thing; choose one of: {known}"}]) from None
    if body.individual_item is None:
        return thing
    codes = [item.code for item in thing.items]
    if body.individual_item not in codes:
        message = f"not an item of {thing.code}; choose one of: {', '.join(codes)}"
        raise invalid_input([{"field": "individual_item", "message": message}])
    return individual_definition(thing, body.individual_item)


def checked_application(thing: OneThing, body: ApplicationIn) -> tuple[Plan, dict[str, Any]]:
    """The plan and the normalised form; a 422 naming every bad field, or every eligibility rule failed."""
    errors: list[dict[str, str]] = []
    plan: Plan | None = None
    try:
        plan = make_plan(thing, {} if body.individual_item else body.answers)
    except PlanError as error:
        errors.extend(problem.model_dump() for problem in error.problems)
    form, problems = validate_form(thing, body.form, today=today_local())
    errors.extend(problem.model_dump() for problem in problems)
    if errors or plan is None:
        raise invalid_input(errors)
    failed = check_eligibility(thing, answers=plan.answers, form=form, today=today_local())
    if failed:
        raise not_eligible(thing, failed)
    return plan, form


def not_eligible(thing: OneThing, failed: list[Ineligible]) -> ProblemError:
    items = [
        {"code": item.code, "name": item.name.zh, "department": thing.department(item.department).name.zh}
        for item in thing.items
    ]
    return ProblemError(
        422,
        "Not eligible for this one-thing",
        f"{'; '.join(rule.reason.en for rule in failed)}. Nothing was started. Apply for the items you need one by "
        "one instead: send the same application with individual_item set to one of the items listed.",
        errors=[{"field": f"eligibility.{rule.rule}", "message": rule.reason.zh} for rule in failed],
        individual_items=items,
    )


def check_applicant(session: Session, thing: OneThing, owner: str) -> str:
    """The applicant's district, after checking the account is of the kind the one-thing serves."""
    enterprise = get_enterprise(session, subject=owner)
    if thing.applicant is ApplicantKind.LEGAL_PERSON:
        if enterprise is None:
            raise ProblemError(
                403,
                "Enterprise account needed",
                "This one-thing is for enterprises: sign in with the enterprise's account.",
            )
        return enterprise.district
    if enterprise is not None:
        raise ProblemError(
            403, "Personal account needed", "This one-thing is for residents: sign in with a personal account."
        )
    resident = get_resident(session, subject=owner)
    return resident.district if resident is not None else ""


def with_held_data(session: Session, thing: OneThing, owner: str, body: ApplicationIn) -> ApplicationIn:
    """两个免于提交: what the government holds about the applicant need not be sent; it is filled in here.

    Pages and API responses show other people's ID numbers only masked, so a client could not send
    them back anyway. A value the client does send wins: it is what the citizen checked.
    """
    fields = prefill_fields(session, thing=thing, subject=owner, now=clock.now())
    held = {field.code: field.value for field in fields if field.prefilled}
    return body.model_copy(update={"form": {**held, **body.form}})


def request_hash(body: ApplicationIn) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def accept(
    *,
    session: Session,
    cases: CaseGateway,
    settings: Settings,
    catalog: Catalog,
    owner: str,
    idempotency_key: str | None,
    body: ApplicationIn,
) -> tuple[str, Plan, bool]:
    """Returns (case number, plan, created). A repeat of an accepted request returns the same case."""
    digest = request_hash(body)
    thing = applied_definition(catalog, body)
    district = check_applicant(session, thing, owner)
    plan, form = checked_application(thing, with_held_data(session, thing, owner, body))
    key = idempotency_key or f"body:{digest}"  # without a key, an identical resubmission is the same case
    existing = find_application(session, owner=owner, idempotency_key=key)
    if existing is not None and existing.request_hash != digest:
        raise ProblemError(
            422,
            "Idempotency-Key reused",
            "This Idempotency-Key was used for a different application; send a new key for a new application.",
            errors=[{"field": "Idempotency-Key", "message": "already used with a different body"}],
        )
    now = clock.now()
    case_no = existing.case_no if existing else new_case_no(now)
    if existing is None:
        check_rate(session, settings, owner, now)
        # The catalogue's definition, also for a single item: that case's cut-down one derives from it.
        record_definition(session, thing=catalog.get(thing.code), accepted_at=now)
        record_application(
            session, owner=owner, idempotency_key=key, case_no=case_no, thing=thing.code, request_hash=digest
        )
        record_accepted_case(
            session,
            case_no=case_no,
            thing=thing.code,
            version=thing.version,
            owner=owner,
            accepted_at=now,
            district=district,
            channel="individual" if body.individual_item else "bundle",
        )
        session.commit()
        record_bundle_started(thing.code)  # counted once: a repeat of the request finds `existing`
    bundle = BundleInput(
        case_no=case_no,
        thing=thing,
        included=plan.included,
        answers=body.answers,
        form=form,
        owner=owner,
        accepted_at=existing.created_at if existing else now,
    )
    await cases.start(bundle)
    return case_no, plan, existing is None


def check_rate(session: Session, settings: Settings, owner: str, now: datetime) -> None:
    """A per-citizen limit on new cases: a script or a stuck button must not flood the departments."""
    recent = count_applications_since(session, owner=owner, since=now - timedelta(hours=1))
    if recent >= settings.submissions_per_hour:
        raise ProblemError(
            429,
            "Too many applications",
            f"At most {settings.submissions_per_hour} new applications per hour; try again later. "
            "Your earlier applications are safe: see your case list.",
            headers={"Retry-After": "600"},
        )


def today_local() -> date:
    """Age limits and 'not in the future' are judged on the citizen's calendar, not UTC."""
    return clock.now().astimezone(SHANGHAI).date()

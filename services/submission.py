"""Accepting an application: validate everything first, then start exactly one case per request.

Order matters for "nothing accepted is ever lost": the Idempotency-Key row (with the case number), the case and
its start intent (the outbox, services/outbox.py) commit in one transaction before the workflow is started. The
request then starts it at once when Temporal answers; otherwise the starter does, retrying until the workflow
exists. Starting is idempotent by the workflow id, so the request, a repeat of it and the starter may all try.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from anyio import to_thread
from pydantic import Base64Bytes, BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.bounds import Answers, Code, SingleLine
from core.calendar import local_today
from core.calendar_year import CalendarFileError, case_calendar
from core.ids import new_case_no
from core.settings import Settings
from one_things.catalog import Catalog
from one_things.eligibility import Ineligible, check_eligibility, individual_definition
from one_things.forms import validate_form
from one_things.plan import Plan, PlanError, make_plan
from one_things.schema import ApplicantKind, OneThing, Party
from persistence.applications import count_applications_since, find_application, record_application
from persistence.cases import record_accepted_case
from persistence.definitions import record_definition
from persistence.enterprises import get_enterprise
from persistence.materials import save_upload
from persistence.outbox import pending_for_case
from persistence.register import Resident, find_by_id_no, get_resident
from persistence.tables import ApplicationRequest
from services.authority import check_filing
from services.case_gateway import CaseGateway
from services.errors import InvalidError, NotAllowedError, NotFoundError, TooManyError
from services.materials import HOW, checked_materials
from services.metrics import record_bundle_started
from services.notice import find_thing
from services.outbox import START, record_start, start_now
from services.prefill import FieldSource, prefill_fields
from workflows.contracts import BundleInput, WorkingCalendar

log = logging.getLogger("onething.submission")


class ApplicationIn(BaseModel):
    thing: Code = Field(description="The one-thing code, e.g. newborn (see GET /api/v1/things)")
    answers: Answers = Field(default_factory=dict, description="Guidance answers: question code -> option")
    # Values are checked against the definition's fields (one_things/forms.py), text with the same rules.
    form: dict[Code, Any] = Field(max_length=200, description="The unified form: field code -> value")
    individual_item: Code | None = Field(
        default=None,
        description="Apply for this one item of the one-thing on its own (分别办理), e.g. when the bundle's "
        "eligibility rules rule the applicant out; answers are then ignored",
    )
    # In the body, not a prior upload referenced by id: the application and its materials are accepted (or
    # refused) together in one request, so there are no orphaned uploads and the Idempotency-Key covers both.
    materials: dict[Code, Base64Bytes] = Field(
        default_factory=dict,
        max_length=20,
        description=f"The materials the applicant provides (source: citizen) for the items that apply: {HOW}",
    )
    on_behalf_of: SingleLine | None = Field(
        default=None,
        max_length=128,
        description="File for this account, which authorised you (代办 or 法人授权); the case is theirs",
    )


def invalid_application(errors: list[dict[str, str]]) -> InvalidError:
    fields = ", ".join(error["field"] for error in errors)
    return InvalidError(f"Please correct: {fields}. Nothing was started.", errors, title="Invalid application")


def applied_definition(catalog: Catalog, body: ApplicationIn) -> OneThing:
    """What the application is for: the one-thing, or one of its items on its own; invalid naming the field."""
    try:
        thing = catalog.get(body.thing)
    except KeyError:
        known = ", ".join(t.code for t in catalog.all())
        raise invalid_application(
            [{"field": "thing", "message": f"unknown one-thing; choose one of: {known}"}]
        ) from None
    if body.individual_item is None:
        return thing
    codes = [item.code for item in thing.items]
    if body.individual_item not in codes:
        message = f"not an item of {thing.code}; choose one of: {', '.join(codes)}"
        raise invalid_application([{"field": "individual_item", "message": message}])
    return individual_definition(thing, body.individual_item)


def definition_for(catalog: Catalog, code: str, item: str | None) -> OneThing:
    """The one-thing, or one of its items on its own (分别办理), as a page links to it."""
    thing = find_thing(catalog, code)
    if item is None:
        return thing
    if item not in {i.code for i in thing.items}:
        raise NotFoundError(f"{code} has no item {item}; pick one from its notice.")
    return individual_definition(thing, item)


def checked_application(thing: OneThing, body: ApplicationIn, *, now: datetime) -> tuple[Plan, dict[str, Any]]:
    """The plan and the normalised form; invalid naming every bad field, or every eligibility rule failed."""
    errors: list[dict[str, str]] = []
    plan: Plan | None = None
    try:
        plan = make_plan(thing, {} if body.individual_item else body.answers)
    except PlanError as error:
        errors.extend(problem.as_error() for problem in error.problems)
    answers = plan.answers if plan is not None else None
    form, problems = validate_form(thing, body.form, today=local_today(now), answers=answers)
    errors.extend(problem.as_error() for problem in problems)
    if errors or plan is None:
        raise invalid_application(errors)
    failed = check_eligibility(thing, answers=plan.answers, form=form, today=local_today(now))
    if failed:
        raise not_eligible(thing, failed)
    return plan, form


def not_eligible(thing: OneThing, failed: list[Ineligible]) -> InvalidError:
    items = [
        {"code": item.code, "name": item.name.zh, "department": thing.department(item.department).name.zh}
        for item in thing.items
    ]
    return InvalidError(
        f"{'; '.join(rule.reason.en for rule in failed)}. Nothing was started. Apply for the items you need one by "
        "one instead: send the same application with individual_item set to one of the items listed.",
        # A page shows the rule's reason from the definition in its own language (api/pages/messages.py).
        [{"field": f"eligibility.{rule.rule}", "message": rule.reason.zh, "rule": "eligibility"} for rule in failed],
        title="Not eligible for this one-thing",
        individual_items=items,
    )


def check_applicant(session: Session, thing: OneThing, owner: str) -> str:
    """The applicant's district, after checking the account is of the kind the one-thing serves."""
    enterprise = get_enterprise(session, subject=owner)
    if thing.applicant is ApplicantKind.LEGAL_PERSON:
        if enterprise is None:
            raise NotAllowedError(
                "This one-thing is for enterprises: sign in with the enterprise's account.",
                title="Enterprise account needed",
                rule="enterprise_account_needed",
            )
        return enterprise.district
    if enterprise is not None:
        raise NotAllowedError(
            "This one-thing is for residents: sign in with a personal account.",
            title="Personal account needed",
            rule="personal_account_needed",
        )
    resident = get_resident(session, subject=owner)
    return resident.district if resident is not None else ""


CORRECTED_BY = {
    FieldSource.POPULATION_REGISTER: "the population register: ask the police station of your hukou (户籍派出所)",
    FieldSource.ENTERPRISE_REGISTER: "the enterprise register: ask the market regulation bureau (市场监管部门)",
    FieldSource.LICENCE_LIBRARY: "the e-licence library: ask the department that issued the licence",
}


def with_held_data(
    session: Session, thing: OneThing, owner: str, body: ApplicationIn, *, now: datetime
) -> ApplicationIn:
    """两个免于提交: what the government holds about the applicant need not be sent; it is filled in here.

    A held value is the register's: a differing typed value is refused, never silently replaced nor allowed
    to win (it would reach the departments as if the register said it). Only fields the definition marks
    `editable` (a contact number) take the typed value.
    """
    fields = prefill_fields(session, thing=thing, subject=owner, now=now)
    held = {field.code: field for field in fields if field.prefilled}
    errors = [
        {
            "field": f"form.{code}",
            "message": f"differs from {CORRECTED_BY[held[code].source].partition(':')[0]}, whose value is used: "
            f"leave the field out. If the register is wrong, have it corrected at {CORRECTED_BY[held[code].source]}",
            "rule": f"held_by_{held[code].source.value}",
        }
        for code, typed in body.form.items()
        if code in held and not _editable(thing, code) and not _same(typed, held[code].value)
    ]
    if errors:
        fields_named = ", ".join(error["field"] for error in errors)
        raise InvalidError(
            f"The government holds {fields_named} and uses its own values; leave them out. Nothing was started.",
            errors,
            title="Held data cannot be overridden",
            rule="held_value_differs",
        )
    values = {code: field.value for code, field in held.items()}
    typed = {code: value for code, value in body.form.items() if code not in held or _editable(thing, code)}
    return body.model_copy(update={"form": {**values, **typed}})


def _editable(thing: OneThing, code: str) -> bool:
    return any(field.code == code and field.editable for field in thing.form)


def _same(typed: object, held: str | None) -> bool:
    def norm(value: object) -> str:
        return "".join(str(value).split()).upper()

    return held is not None and norm(typed) == norm(held)


def check_registered(session: Session, thing: OneThing, owner: str) -> None:
    """A one-thing naming its parties is for residents the population register knows, checked first."""
    parties = thing.may_apply.parties
    if parties and get_resident(session, subject=owner) is None:
        raise NotAllowedError(
            f"Only the {_names(thing)}, as the population register records them, may apply for {thing.code}, and "
            "this account is not in the population register. Sign in with your own resident account, or have one "
            "of them authorise you (代办) and send on_behalf_of. Nothing was started.",
            title="Applicant not in the register",
            rule="applicant_not_registered",
        )


def check_parties(session: Session, thing: OneThing, owner: str, form: dict[str, Any]) -> None:
    """The applicant is one of the parties the definition names: their own ID number is in that party's field."""
    resident = get_resident(session, subject=owner)
    # An item applied for on its own may lack the parties' fields; the held data then ties it to the register.
    present = [party for party in thing.may_apply.parties if party.id_field in form]
    if resident is None or not present:
        return
    if any(_same(form[party.id_field], resident.id_no) for party in present):
        _check_related(session, thing, resident, form, present)
        return
    raise NotAllowedError(
        f"Only the {_names(thing)} may apply for {thing.code}: your own ID number must be in "
        f"{' or '.join('form.' + party.id_field for party in present)}. Leave those fields out to have them "
        "filled in from the population register, or have a parent authorise you (代办). Nothing was started.",
        title="Applicant is not a party",
        rule="applicant_not_a_party",
    )


def _check_related(
    session: Session, thing: OneThing, applicant: Resident, form: dict[str, Any], present: list[Party]
) -> None:
    """The other parties are who the register relates to the applicant. A married applicant's spouse is filled in
    from the register (a differing value was refused as held data); an applicant the register shows unmarried
    may name the other party, but not someone the register shows married to another person."""
    for party in present:
        named = form[party.id_field]
        if _same(named, applicant.id_no):
            continue
        other = find_by_id_no(session, id_no=str(named).strip().upper())
        if other is not None and other.spouse_subject is not None and other.spouse_subject != applicant.subject:
            raise NotAllowedError(
                f"The population register does not relate the {party.name.en.lower()} named in form.{party.id_field} "
                f"to the applicant. Check the ID number, or have the register corrected (户籍派出所). Nothing was "
                "started.",
                title="Parties not related in the register",
                rule="parties_not_related",
            )


def _names(thing: OneThing) -> str:
    return " or ".join(party.name.en.lower() for party in thing.may_apply.parties)


def request_hash(body: ApplicationIn) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Accepted:
    case_no: str
    plan: Plan
    created: bool
    """False for a repeat of an accepted request (the same Idempotency-Key and body): the same case."""
    started: bool
    """Whether its workflow exists; False while the start waits in the outbox (accepted, starting)."""


async def accept(
    *,
    session: Session,
    cases: CaseGateway,
    settings: Settings,
    catalog: Catalog,
    caller: str,
    idempotency_key: str | None,
    body: ApplicationIn,
    now: datetime,
    at_counter_for: str | None = None,
) -> Accepted:
    """Accepts the application, or answers the case a repeat of an accepted request became.

    `caller` is the signed-in account; the case is theirs, or with `on_behalf_of` the account that authorised
    them (the caller is then recorded as `acted_by`). `at_counter_for`: a window clerk (the caller) files for
    this verified, consenting citizen (services/counter.py checked both), on channel `counter`. Every rule is
    checked before anything is recorded, for the owner of the case.

    The checks and the writes run in a worker thread (they are blocking SQL) and commit before the case engine
    is called, so the event loop never waits on the database and no connection is held while Temporal answers."""
    recorded = await to_thread.run_sync(
        partial(
            _record,
            session=session,
            settings=settings,
            catalog=catalog,
            caller=caller,
            idempotency_key=idempotency_key,
            body=body,
            now=now,
            at_counter_for=at_counter_for,
        )
    )
    started = True
    if recorded.start_pending:
        lease = timedelta(seconds=settings.outbox_lease_seconds)
        started = await start_now(session, cases, recorded.bundle, now=now, lease=lease, held=recorded.held)
    return Accepted(recorded.bundle.case_no, recorded.plan, recorded.created, started)


@dataclass(frozen=True)
class _Recorded:
    bundle: BundleInput
    plan: Plan
    created: bool
    start_pending: bool
    held: list[int] | None = None
    """The start rows this request leased as it recorded them; None for a repeat (its start claims them)."""


def _record(
    *,
    session: Session,
    settings: Settings,
    catalog: Catalog,
    caller: str,
    idempotency_key: str | None,
    body: ApplicationIn,
    now: datetime,
    at_counter_for: str | None,
) -> _Recorded:
    """Checks every rule, then records the application, its case and its start intent in one transaction."""
    digest = request_hash(body)
    thing = applied_definition(catalog, body)
    owner, acted_by = caller, None
    if at_counter_for is not None:
        owner, acted_by = at_counter_for, caller
    elif body.on_behalf_of is not None and body.on_behalf_of != caller:
        check_filing(session, agent=caller, principal=body.on_behalf_of, thing=thing, now=now)
        owner, acted_by = body.on_behalf_of, caller
    district = check_applicant(session, thing, owner)
    check_registered(session, thing, owner)
    plan, form = checked_application(thing, with_held_data(session, thing, owner, body, now=now), now=now)
    check_parties(session, thing, owner, form)
    materials, problems = checked_materials(thing, plan, body.materials, max_bytes=settings.material_max_bytes)
    if problems:
        raise invalid_application(problems)
    key = idempotency_key or f"body:{digest}"  # without a key, an identical resubmission is the same case
    existing = find_application(session, owner=owner, idempotency_key=key)
    if existing is not None and existing.request_hash != digest:
        raise InvalidError(
            "This Idempotency-Key was used for a different application; send a new key for a new application.",
            [{"field": "Idempotency-Key", "message": "already used with a different body"}],
            title="Idempotency-Key reused",
        )
    case_no = existing.case_no if existing else new_case_no(now)
    if existing is None:
        check_rate(session, settings, owner, now)
        record_application(
            session,
            owner=owner,
            acted_by=acted_by,
            idempotency_key=key,
            case_no=case_no,
            thing=thing.code,
            request_hash=digest,
            now=now,
        )
        existing = _first_under_the_key(session, owner=owner, key=key, digest=digest)
        case_no = existing.case_no if existing else case_no
    accepted_at = existing.created_at if existing else now
    bundle = BundleInput(
        case_no=case_no,
        thing=thing,
        included=plan.included,
        answers=plan.answers,  # defaults filled in: an item may read any answer (answers.<question>)
        form=form,
        owner=owner,
        accepted_at=accepted_at,
        acted_by=existing.acted_by if existing else acted_by,
        calendar=working_calendar(settings, accepted_at),
    )
    if existing is not None:
        # A repeat: its start may still wait in the outbox, and this request may as well try it now.
        pending = pending_for_case(session, case_no=case_no, kind=START)
        session.commit()
        return _Recorded(bundle, plan, created=False, start_pending=pending)
    # The catalogue's definition, also for a single item: that case's cut-down one derives from it.
    record_definition(session, thing=catalog.get(thing.code), accepted_at=now)
    record_accepted_case(
        session,
        case_no=case_no,
        thing=thing.code,
        version=thing.version,
        owner=owner,
        acted_by=acted_by,
        accepted_at=now,
        district=district,
        channel=_channel(body, counter=at_counter_for is not None),
        simulated=settings.simulated,
    )
    for material in materials:
        save_upload(
            session,
            case_no=case_no,
            owner=owner,
            material=material.material,
            content_type=material.content_type,
            data=material.data,
            now=now,
        )
    # Accepted means started: the start intent commits with the acceptance, or neither does.
    start = record_start(
        session,
        bundle,
        now=now,
        first_try_after=timedelta(seconds=settings.temporal_rpc_seconds + 5),
        lease=timedelta(seconds=settings.outbox_lease_seconds),
    )
    # Its id, known at the flush: read after the commit, it would be loaded again in a new transaction, holding a
    # connection while the case engine is called.
    session.flush()
    held = [start.id] if start.id is not None else []
    session.commit()
    record_bundle_started(thing.code)  # counted once: a repeat of the request finds `existing`
    return _Recorded(bundle, plan, created=True, start_pending=True, held=held)


def working_calendar(settings: Settings, accepted_at: datetime) -> WorkingCalendar | None:
    """The working days a case's deadlines are counted on, fixed as it is accepted: its workflow counts them
    itself, with no activity per item, and a calendar file an operator loads later changes none of them.

    Fixed at acceptance is the right rule for the promised date: the citizen is told it when the case is
    accepted and a promise that moves is a broken one. The statutory limit counts the year's real working days,
    so a year whose 调休 schedule is published after acceptance is counted on the festivals the `holidays`
    package knows: the worker warns from December 1st until next year is loaded (core/calendar_year.py), so
    operators load it before cases reach it. A calendar folder that does not read must not refuse a citizen:
    the case then goes without, and its items ask the calendar activity as cases did before."""
    try:
        return WorkingCalendar.of(case_calendar(settings, accepted_at))
    except CalendarFileError:
        log.error("calendar: a loaded year no longer reads; the case's items will ask the calendar activity")
        return None


def _first_under_the_key(session: Session, *, owner: str, key: str, digest: str) -> ApplicationRequest | None:
    """None when this request's application row is written; else the one another process wrote under the same
    key a moment before (the same key sent to two API processes at once): this request is then its repeat and
    answers the same case, never a 500."""
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        first = find_application(session, owner=owner, idempotency_key=key)
        if first is None or first.request_hash != digest:
            raise
        return first
    return None


def _channel(body: ApplicationIn, *, counter: bool) -> str:
    # An item on its own stays `individual` at the counter too: its handling (cases.py) and the statistics
    # tell it from a bundle by that alone.
    if body.individual_item:
        return "individual"
    return "counter" if counter else "bundle"


def check_rate(session: Session, settings: Settings, owner: str, now: datetime) -> None:
    """A per-citizen limit on new cases: a script or a stuck button must not flood the departments."""
    recent = count_applications_since(session, owner=owner, since=now - timedelta(hours=1))
    if recent >= settings.submissions_per_hour:
        raise TooManyError(
            f"At most {settings.submissions_per_hour} new applications per hour; try again later. "
            "Your earlier applications are safe: see your case list.",
            retry_after=600,
            title="Too many applications",
        )

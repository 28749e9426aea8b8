"""The one form, pre-filled from what the government already holds (两个免于提交).

A form field's `prefill` names its source: `population_register.<attribute>` (the signed-in resident,
or a household member relative to them: mother_*, father_*, spouse_*), `enterprise_register.<attribute>`
(the enterprise whose account is signed in, for one-things of legal persons) or `licence_library.<kind>`
(the number of a licence the applicant holds). Whatever the government cannot know stays empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel
from sqlmodel import Session

from core.calendar import local_today
from core.privacy import mask_id_no
from one_things.answers import Answer, field_asked, field_required
from one_things.forms import date_bounds
from one_things.plan import make_plan
from one_things.schema import ApplicantKind, FieldType, FormField, Material, MaterialSource, OneThing
from persistence.enterprises import get_enterprise
from persistence.enterprises import register_values as enterprise_values
from persistence.licences import find_licence
from persistence.register import Resident, Sex, get_resident, get_spouse

REGISTER = "population_register"
ENTERPRISES = "enterprise_register"
LIBRARY = "licence_library"


class FieldSource(StrEnum):
    POPULATION_REGISTER = REGISTER
    ENTERPRISE_REGISTER = ENTERPRISES
    LICENCE_LIBRARY = LIBRARY
    NONE = "none"


class PrefilledField(BaseModel):
    code: str
    name: dict[str, str]
    type: str
    required: bool
    personal: bool
    choices: list[str]
    choice_names: dict[str, dict[str, str]] = {}
    """Each choice as the applicant reads it, {zh, en}: what the form shows instead of the codes."""
    value: str | None
    source: FieldSource
    """Where the value comes from; `none` means the citizen types it."""
    prefilled: bool
    earliest: str | None = None
    """A date field's first acceptable day (YYYY-MM-DD, Asia/Shanghai, on the day the form is shown)."""
    latest: str | None = None
    """A date field's last acceptable day."""


class MaterialNeed(BaseModel):
    code: str
    name: dict[str, str]
    source: MaterialSource
    exempt: bool
    in_wallet: bool | None
    """For a licence_library material: whether the citizen's wallet holds it now (one issued inside
    this very case, like the birth certificate, is not there yet and still exempt)."""


class FormCounts(BaseModel):
    fields: int
    prefilled: int
    to_type: int
    """Required fields the citizen must type."""
    optional_empty: int
    materials_exempt: int | None
    """None until every guidance question without a default is answered."""
    materials_to_provide: int | None


class PrefilledForm(BaseModel):
    thing: str
    version: int
    fields: list[PrefilledField]
    counts: FormCounts
    answers: dict[str, Answer]
    """Every answer with defaults filled in; only the given ones if some are still unanswered."""
    unanswered: list[str]
    included: list[str] | None
    materials: list[MaterialNeed] | None


def prefill_form(
    session: Session, *, thing: OneThing, subject: str, answers: Mapping[str, Answer], now: datetime
) -> PrefilledForm:
    """The form for `subject` with what the government holds filled in, and the materials of the plan.

    Raises one_things.plan.PlanError for an unknown question or answer. A question without a default
    that is not answered yet leaves the plan (included items, materials) as None, not an error: the
    form can be shown before the guidance questions are done.
    """
    # This form leaves the server: ID numbers only masked (one may be a spouse's). The raw values are
    # read by `prefill_fields` alone, where the server fills them into the application itself.
    unanswered = [q.code for q in thing.questions if q.default is None and q.code not in answers]
    plan = None if unanswered else make_plan(thing, answers)
    known = plan.answers if plan is not None else None
    fields = [
        field.model_copy(update={"value": mask_id_no(field.value)})
        if field.type == "resident_id" and field.value
        else field
        for field in prefill_fields(session, thing=thing, subject=subject, now=now, answers=known)
    ]
    materials = None
    if plan is not None:
        materials = [_need(session, subject, m, now) for m in plan.materials_exempt + plan.materials_to_provide]
    prefilled = sum(field.prefilled for field in fields)
    return PrefilledForm(
        thing=thing.code,
        version=thing.version,
        fields=fields,
        counts=FormCounts(
            fields=len(fields),
            prefilled=prefilled,
            to_type=sum(field.required and not field.prefilled for field in fields),
            optional_empty=sum(not field.required and not field.prefilled for field in fields),
            materials_exempt=len(plan.materials_exempt) if plan else None,
            materials_to_provide=len(plan.materials_to_provide) if plan else None,
        ),
        answers=plan.answers if plan else dict(answers),
        unanswered=unanswered,
        included=plan.included if plan else None,
        materials=materials,
    )


def prefill_fields(
    session: Session, *, thing: OneThing, subject: str, now: datetime, answers: Mapping[str, Answer] | None = None
) -> list[PrefilledField]:
    """Every form field of `thing` the answers ask for (all while they are not known), in order, with its value
    where the government holds it; `required` as the answers make it (format 2 `required_when`)."""
    if thing.applicant is ApplicantKind.LEGAL_PERSON:
        registers = {ENTERPRISES: enterprise_values(get_enterprise(session, subject=subject))}
    else:
        resident = get_resident(session, subject=subject)
        spouse = get_spouse(session, resident=resident) if resident else None
        registers = {REGISTER: _register_values(resident, spouse)}
    return [
        _field(session, field, subject, registers, now).model_copy(update={"required": field_required(field, answers)})
        for field in thing.form
        if field_asked(field, answers)
    ]


def _field(
    session: Session, field: FormField, subject: str, registers: dict[str, dict[str, str]], now: datetime
) -> PrefilledField:
    source, _, attribute = (field.prefill or "").partition(".")
    value: str | None = None
    if source in registers:
        value = registers[source].get(attribute)
    elif source == LIBRARY:
        licence = find_licence(session, holder=subject, kinds=[attribute], now=now)
        value = licence.number if licence else None
    return PrefilledField(
        code=field.code,
        name=field.name.model_dump(),
        type=field.type.value,
        required=field.required,
        personal=field.personal,
        choices=field.choices,
        choice_names={choice: names.model_dump() for choice, names in field.choice_names.items()},
        value=value,
        source=FieldSource(source) if source in (REGISTER, ENTERPRISES, LIBRARY) else FieldSource.NONE,
        prefilled=value is not None,
        **_date_bounds(field, now),
    )


def _date_bounds(field: FormField, now: datetime) -> dict[str, str]:
    if field.type is not FieldType.DATE:
        return {}
    first, last = date_bounds(field, local_today(now))
    return {"earliest": first.isoformat(), "latest": last.isoformat()}


def _register_values(resident: Resident | None, spouse: Resident | None) -> dict[str, str]:
    """Register attributes by name, household relations resolved from the signed-in resident's side."""
    if resident is None:
        return {}
    values = _person("", resident) | {"contact_phone": resident.mobile, "hukou_address": resident.hukou_address}
    values |= {"province": resident.province, "district": resident.district}
    mother, father = (resident, spouse) if resident.sex == Sex.FEMALE else (spouse, resident)
    for prefix, person in (("mother_", mother), ("father_", father), ("spouse_", spouse)):
        if person is not None:
            values |= _person(prefix, person)
    return values


def _person(prefix: str, person: Resident) -> dict[str, str]:
    return {
        f"{prefix}name": person.name,
        f"{prefix}id_no": person.id_no,
        f"{prefix}mobile": person.mobile,
        f"{prefix}birth_date": person.birth_date.isoformat(),
        f"{prefix}sex": person.sex,
    }


def _need(session: Session, subject: str, material: Material, now: datetime) -> MaterialNeed:
    in_wallet: bool | None = None
    if material.source is MaterialSource.LICENCE_LIBRARY:
        in_wallet = find_licence(session, holder=subject, kinds=[material.code], now=now) is not None
    return MaterialNeed(
        code=material.code,
        name=material.name.model_dump(),
        source=material.source,
        exempt=material.exempt,
        in_wallet=in_wallet,
    )

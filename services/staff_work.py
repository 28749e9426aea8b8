"""The standard handling module's work: a department's queue, claiming an item, deciding it.

Shared by the staff JSON routes and the staff page. A department's staff see and touch only their own
department's items: anything else is answered as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from typing import Any, Literal

from pydantic import BaseModel, computed_field
from sqlmodel import Session

from core.auth import Principal
from core.calendar import day_on_time
from core.privacy import mask_id_no, mask_name, mask_phone
from one_things.catalog import Catalog
from one_things.schema import FieldType, FormField, Item, Names, OneThing
from persistence.cases import get_case, staff_queue
from persistence.item_history import current_light, item_events
from persistence.materials import get_upload, upload_list, uploaded_materials
from persistence.register import get_resident
from persistence.staff_claims import StaffClaim, claim_item, claims_for, get_claim
from persistence.tables import CaseRecord, ItemRecord
from services.audit import DataCategory, Purpose, record_read
from services.case_gateway import CaseGateway
from services.cases import not_found
from services.errors import ConflictError, InvalidError, NotFoundError
from services.in_thread import committed
from workflows.contracts import ItemApplication, ItemState, ItemStatus, Light, StaffDecision


class QueueEntry(BaseModel):
    case_no: str
    item_code: str
    department: str
    thing: str
    status: ItemStatus
    round: int = 0
    """0 for the first submission; n after the n-th correction (补正)."""
    due_at: datetime | None
    light: Light | None
    outputs: list[str]
    accepted_at: datetime
    claimed_by: str | None = None
    claimed_at: datetime | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def due_on(self) -> date | None:
        """The last day on time (Asia/Shanghai), as people read the deadline; `due_at` is the instant ending it."""
        return day_on_time(self.due_at)


def queue(session: Session, catalog: Catalog, staff: Principal, now: datetime) -> list[QueueEntry]:
    assert staff.department is not None
    items = staff_queue(session, department=staff.department, now=now)
    claims = claims_for(session, case_nos=[item.case_no for item, _ in items])
    entries = []
    for item, light in items:
        found = get_case(session, case_no=item.case_no)
        if found is None:
            continue
        case, _ = found
        try:
            outputs = list(catalog.get(case.thing, case.version).item(item.code).outputs)
        except KeyError:
            outputs = []
        claim = claims.get((item.case_no, item.code, item.round))
        entries.append(
            QueueEntry(
                case_no=item.case_no,
                item_code=item.code,
                department=item.department,
                thing=case.thing,
                status=item.status,
                round=item.round,
                due_at=item.due_at,
                light=light,
                outputs=outputs,
                accepted_at=case.accepted_at,
                claimed_by=claim.staff if claim else None,
                claimed_at=claim.claimed_at if claim else None,
            )
        )
    return entries


class FormRow(BaseModel):
    code: str
    label: Names
    value: str
    masked: bool
    """The item does not read this personal field: the clerk sees it masked (minimum necessary)."""
    choice_name: Names | None = None
    """`value` is one of the field's choices: its name from the definition, which the page shows instead."""
    yes_no: bool | None = None
    """A boolean field's answer, which the page words as yes or no in its language."""


class MaterialRow(BaseModel):
    code: str
    label: Names
    content_type: str
    size: int
    uploaded_at: datetime
    for_items: list[Names]
    """The items the catalogue says need it."""


class OutputField(BaseModel):
    code: str
    label: Names
    """What the clerk types: the item's declared outputs are text (a certificate or card number)."""


class CaseItemRow(BaseModel):
    code: str
    label: Names
    department: Names
    status: ItemStatus
    holder: str | None


class HistoryRow(BaseModel):
    at: datetime
    kind: str
    round: int = 0
    who: str = ""
    title: Names | None = None
    note: str = ""


class Applicant(BaseModel):
    party: Names | None
    """The applicant's party in the case (e.g. mother), when the register relates them."""
    name_masked: str
    id_no_masked: str
    agent: str | None
    """The opaque account id of the agent (代办) who filed for the applicant, if any."""


class Workbench(BaseModel):
    """What a clerk reads to decide an item: the applicant, the form labelled, the materials, the case's other
    items, the deadline and light, the item's history; and the outputs to type when approving. Never the raw
    form: only `form_rows`, masked where the item does not read a personal field."""

    item_code: str
    round: int
    inputs: dict[str, Any]
    """The item's inputs as its department would receive them."""
    case_no: str
    thing: str
    version: int
    item_label: Names
    applicant: Applicant
    form_rows: list[FormRow]
    from_items: list[FormRow]
    """Inputs from other items' results (e.g. a birth certificate number), labelled as those items' outputs."""
    materials: list[MaterialRow]
    outputs: list[OutputField]
    correctable: list[tuple[str, Names]]
    """What a correction request can name: `field.<code>` (a form field the item reads) or `material.<code>`."""
    other_items: list[CaseItemRow]
    due_at: datetime | None
    light: str | None
    paused: bool
    history: list[HistoryRow]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def due_on(self) -> date | None:
        """The last day on time (Asia/Shanghai), as people read the deadline; `due_at` is the instant ending it."""
        return day_on_time(self.due_at)


async def application(
    session: Session,
    cases: CaseGateway,
    catalog: Catalog,
    staff: Principal,
    *,
    case_no: str,
    item_code: str,
    now: datetime,
) -> Workbench:
    """The clerk's workbench for an item waiting for their department's decision; every view is recorded in
    the personal-data access log (the queue itself shows case numbers and deadlines only).

    The SQL runs in the thread pool in two blocks, before and after the engine is asked for the item's inputs, so
    no connection is held while it answers (services/in_thread.py)."""
    case, items = await committed(session, _waiting_for_staff, session, staff, case_no, item_code)
    found = await cases.item_application(case_no, item_code)
    return await committed(session, _workbench, session, catalog, staff, case, items, found, item_code, now)


def _waiting_for_staff(
    session: Session, staff: Principal, case_no: str, item_code: str
) -> tuple[CaseRecord, list[ItemRecord]]:
    case, items = _case_of(session, case_no)
    item = _own_item(items, staff, case_no, item_code)
    if item.holder != "staff":
        raise ConflictError(f"Item {item_code} is not waiting for a staff decision.")
    return case, items


def _workbench(
    session: Session,
    catalog: Catalog,
    staff: Principal,
    case: CaseRecord,
    items: list[ItemRecord],
    found: ItemApplication,
    item_code: str,
    now: datetime,
) -> Workbench:
    case_no = case.case_no
    item = next(i for i in items if i.code == item_code)
    thing = catalog.get(case.thing, case.version)
    definition = thing.item(item_code)
    record_read(session, staff, case_no=case_no, what=DataCategory.FORM, purpose=Purpose.HANDLING, now=now)
    read_fields = _form_fields_read(definition)
    return Workbench(
        item_code=item_code,
        round=found.round,
        inputs=found.inputs,
        case_no=case_no,
        thing=case.thing,
        version=case.version,
        item_label=definition.name,
        applicant=_applicant(session, thing, case, found.form),
        form_rows=[_form_row(field, found.form.get(field.code), field.code in read_fields) for field in thing.form],
        from_items=[
            FormRow(
                code=name,
                label=_output_label(thing.item(source.split(".")[1]), source.split(".")[2]),
                value=str(found.inputs.get(name) or ""),
                masked=False,
            )
            for name, source in definition.inputs.items()
            if source.startswith("items.")
        ],
        materials=_materials(session, thing, case_no),
        outputs=[OutputField(code=code, label=_output_label(definition, code)) for code in definition.outputs],
        correctable=correctable(thing, item_code, session=session, case_no=case_no),
        other_items=[
            CaseItemRow(
                code=other.code,
                label=thing.item(other.code).name,
                department=thing.department(other.department).name,
                status=other.status,
                holder=other.holder,
            )
            for other in items
            if other.code != item_code and other.code in {i.code for i in thing.items}
        ],
        due_at=item.due_at,
        light=current_light(session, case_no=case_no, item_code=item_code, now=now),
        paused=item.paused_at is not None,
        history=_history(session, item, thing),
    )


def material_for_staff(
    session: Session, staff: Principal, *, case_no: str, item_code: str, material: str, now: datetime
) -> tuple[str, bytes]:
    """A material's bytes for the clerk deciding `item_code` (while it waits for them), the read recorded."""
    _, item = _own_waiting_case(session, staff, case_no, item_code)
    if item.holder != "staff":
        raise ConflictError(f"Item {item_code} is not waiting for a staff decision.")
    upload = get_upload(session, case_no=case_no, material=material)
    if upload is None:
        raise NotFoundError(f"Case {case_no} has no uploaded material {material}.", case_no=case_no)
    record_read(session, staff, case_no=case_no, what=DataCategory.MATERIALS, purpose=Purpose.HANDLING, now=now)
    return upload.content_type, upload.data


def correctable(thing: OneThing, item_code: str, *, session: Session, case_no: str) -> list[tuple[str, Names]]:
    """What a correction of `item_code` can name: the form fields it reads, then the case's uploaded materials."""
    read = _form_fields_read(thing.item(item_code))
    fields = [(f"field.{field.code}", field.name) for field in thing.form if field.code in read]
    uploaded = set(uploaded_materials(session, case_no=case_no))
    materials = [(f"material.{m.code}", m.name) for m in thing.materials if m.code in uploaded]
    return fields + materials


def _form_fields_read(item: Item) -> set[str]:
    return {source.removeprefix("form.") for source in item.inputs.values() if source.startswith("form.")}


def _form_row(field: FormField, value: object, read_by_item: bool) -> FormRow:
    text = "" if value is None else str(value)
    masked = field.personal and not read_by_item and bool(text)
    return FormRow(
        code=field.code,
        label=field.name,
        value=_masked(field, text) if masked else text,
        masked=masked,
        choice_name=field.choice_names.get(text) if field.type is FieldType.CHOICE and not masked else None,
        yes_no=value if field.type is FieldType.BOOLEAN and isinstance(value, bool) else None,
    )


def _masked(field: FormField, text: str) -> str:
    if field.type is FieldType.RESIDENT_ID:
        return mask_id_no(text)
    if field.type is FieldType.PHONE:
        return mask_phone(text)
    if field.type is FieldType.DATE:
        return text[:4] + "-**-**"
    return mask_name(text)


def _complete_decision(
    item: Item, *, decision: str, output: dict[str, str], reason: str | None, lang: Literal["zh", "en"]
) -> None:
    """What the workflow's validator would refuse, refused here with the rule and the field: the clerk is told what
    to fill in, not that the case is in the wrong state (the workflow still checks it again)."""
    if decision != "approve" and not (reason or "").strip():
        raise InvalidError(
            f"A {decision} of {item.code} needs a reason the applicant can act on: write it in `reason`. "
            "Nothing was decided.",
            [{"field": "reason", "message": "required for a rejection or a correction request"}],
            rule="decision_needs_reason",
        )
    missing = [code for code in item.outputs if not output.get(code, "").strip()]
    if decision == "approve" and missing:
        names = "、" if lang == "zh" else ", "
        raise InvalidError(
            f"Approving {item.code} needs its result: {', '.join(missing)}. Nothing was decided.",
            [{"field": f"output.{code}", "message": "required to approve"} for code in missing],
            rule="decision_needs_output",
            missing=names.join(getattr(_output_label(item, code), lang) for code in missing),
        )


def _output_label(item: Item, code: str) -> Names:
    """An output's label: its name from the definition (required when an item has several), else the number of the
    item's result (e.g. 预防接种证编号)."""
    if code in item.output_names:
        return item.output_names[code]
    result = item.result_name or item.name
    return Names(zh=f"{result.zh}编号", en=f"{result.en} number")


def _applicant(session: Session, thing: OneThing, case: CaseRecord, form: dict[str, Any]) -> Applicant:
    resident = get_resident(session, subject=case.owner)
    if resident is None:
        return Applicant(party=None, name_masked="", id_no_masked="", agent=case.acted_by)
    party = next((p.name for p in thing.may_apply.parties if form.get(p.id_field) == resident.id_no), None)
    return Applicant(
        party=party,
        name_masked=mask_name(resident.name),
        id_no_masked=mask_id_no(resident.id_no),
        agent=case.acted_by,
    )


def _materials(session: Session, thing: OneThing, case_no: str) -> list[MaterialRow]:
    known = {material.code: material for material in thing.materials}
    return [
        MaterialRow(
            code=upload.material,
            label=known[upload.material].name,
            content_type=upload.content_type,
            size=upload.size,
            uploaded_at=upload.uploaded_at,
            for_items=[thing.item(code).name for code in known[upload.material].items],
        )
        for upload in upload_list(session, case_no=case_no)
        if upload.material in known
    ]


def _history(session: Session, item: ItemRecord, thing: OneThing) -> list[HistoryRow]:
    rows = [HistoryRow(at=item.started_at, kind="received")] if item.started_at else []
    for event in item_events(session, case_no=item.case_no, item_code=item.code):
        title = Names(zh=event.title_zh, en=event.title_en) if event.title_zh else None
        rows.append(
            HistoryRow(at=event.at, kind=event.kind, round=event.round, who=event.who, title=title, note=event.note)
        )
    if item.paused_at is not None:
        rows.append(HistoryRow(at=item.paused_at, kind="paused", round=item.round))
    return sorted(rows, key=lambda row: row.at)


def _own_waiting_case(
    session: Session, staff: Principal, case_no: str, item_code: str
) -> tuple[CaseRecord, ItemRecord]:
    case, items = _case_of(session, case_no)
    return case, _own_item(items, staff, case_no, item_code)


def _case_of(session: Session, case_no: str) -> tuple[CaseRecord, list[ItemRecord]]:
    found = get_case(session, case_no=case_no)
    if found is None:
        raise not_found(case_no)
    return found


def _own_item(items: list[ItemRecord], staff: Principal, case_no: str, item_code: str) -> ItemRecord:
    item = next((i for i in items if i.code == item_code and i.department == staff.department), None)
    if item is None:
        raise not_found(case_no)  # another department's item is invisible, not forbidden
    return item


def _own_waiting_item(session: Session, staff: Principal, case_no: str, item_code: str) -> tuple[str, ItemRecord]:
    case, item = _own_waiting_case(session, staff, case_no, item_code)
    return case.thing, item


def claim(session: Session, staff: Principal, *, case_no: str, item_code: str, now: datetime) -> StaffClaim:
    _, item = _own_waiting_item(session, staff, case_no, item_code)
    if item.holder != "staff":
        raise ConflictError(f"Item {item_code} is not waiting for a staff decision.")
    taken = claim_item(session, case_no=case_no, item_code=item_code, round=item.round, staff=staff.subject, at=now)
    if taken.staff != staff.subject:
        raise _claimed_by_colleague(case_no, item_code)
    return taken


async def decide(
    session: Session,
    cases: CaseGateway,
    staff: Principal,
    *,
    case_no: str,
    item_code: str,
    decision: Literal["approve", "reject", "correction"],
    output: dict[str, str],
    reason: str | None,
    about: str | None = None,
    catalog: Catalog | None = None,
    lang: Literal["zh", "en"] = "zh",
) -> ItemState:
    """`about` names what a correction request is about (`field.<code>` or `material.<code>`, from
    `correctable`); its name, in the clerk's language, leads the reason the citizen reads."""
    about = about if decision == "correction" else None
    complete = partial(_complete_decision, decision=decision, output=output, reason=reason, lang=lang)
    label = await committed(
        session, _checked_decision, session, staff, case_no, item_code, about, catalog, lang, complete
    )
    if label is not None:
        reason = f"{label}:{reason}" if reason else None
    command = StaffDecision(item_code=item_code, decision=decision, output=output, reason=reason, staff=staff.subject)
    return await cases.decide(case_no, command)


def _checked_decision(
    session: Session,
    staff: Principal,
    case_no: str,
    item_code: str,
    about: str | None,
    catalog: Catalog | None,
    lang: Literal["zh", "en"],
    complete: Callable[[Item], None] | None = None,
) -> str | None:
    """Refuses a decision on an item a colleague claimed, one without what it needs (`complete`), or a correction
    naming what the item cannot correct; returns the name of what the correction is about, in the clerk's
    language."""
    case, item = _own_waiting_case(session, staff, case_no, item_code)
    taken = get_claim(session, case_no=case_no, item_code=item_code, round=item.round)
    if taken is not None and taken.staff != staff.subject:
        raise _claimed_by_colleague(case_no, item_code)
    if catalog is None:
        return None
    thing = catalog.get(case.thing, case.version)
    if complete is not None:
        complete(thing.item(item_code))
    if not about:
        return None
    names = dict(correctable(thing, item_code, session=session, case_no=case_no))
    if about not in names:
        raise InvalidError(
            f"A correction of {item_code} can name only a form field it reads or an uploaded material.",
            [{"field": "about", "message": "choose one of the listed fields or materials"}],
        )
    return str(getattr(names[about], lang))


def _claimed_by_colleague(case_no: str, item_code: str) -> ConflictError:
    return ConflictError(f"Item {item_code} of case {case_no} is claimed by a colleague.", title="Already claimed")

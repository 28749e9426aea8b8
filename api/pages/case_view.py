"""A case as the citizen's page shows it: result names first, dates on the citizen's calendar."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from api.pages.rendering import Page, due_day
from core.calendar import TZ
from one_things.catalog import Catalog
from one_things.schema import FieldType, OneThing
from persistence.tables import CaseRecord, ItemRecord
from services.cases import shown_status

FINISHED = {"completed", "rejected", "withdrawn"}
WAITING = {"waiting_citizen", "correction_requested"}
INPUT_TYPES = {FieldType.DATE: "date", FieldType.PHONE: "tel"}


def local_day(moment: datetime | None) -> str | None:
    return moment.astimezone(TZ).date().isoformat() if moment else None


def local_time(moment: datetime | None) -> str | None:
    return moment.astimezone(TZ).strftime("%Y-%m-%d %H:%M") if moment else None


def thing_or_none(catalog: Catalog, case: CaseRecord) -> OneThing | None:
    """The definition version the case was accepted under; None if it is not known any more."""
    try:
        return catalog.get(case.thing, case.version)
    except KeyError:
        return None


def correction_fields(page: Page, thing: OneThing, item_code: str) -> list[dict[str, str]]:
    """The form fields the item reads: what a department can ask the citizen to correct."""
    sources = thing.item(item_code).inputs.values()
    codes = {source.removeprefix("form.") for source in sources if source.startswith("form.")}
    return [
        {"code": field.code, "label": page.name(field.name), "input": INPUT_TYPES.get(field.type, "text")}
        for field in thing.form
        if field.code in codes
    ]


def _item(page: Page, thing: OneThing | None, item: ItemRecord) -> dict[str, Any]:
    definition = thing.item(item.code) if thing else None
    view: dict[str, Any] = {
        "code": item.code,
        "title": page.name(definition.result_name or definition.name) if definition else item.code,
        "name": page.name(definition.name) if definition else item.code,
        "department_name": page.name(thing.department(item.department).name) if thing else item.department,
        "status": item.status,
        "holder": item.holder,
        "light": item.light if item.status not in FINISHED | {"cancelled", "pending"} else None,
        "due": due_day(item.due_at),
        "finished": local_time(item.finished_at),
        "reason": item.reason,
        "output_text": " ".join(str(value) for value in (item.output or {}).values()),
        "correction": item.status in WAITING and thing is not None,
    }
    if view["correction"] and thing is not None:
        view["fields"] = correction_fields(page, thing, item.code)
        # A correction may ask for a material again (e.g. a clearer photo), not only for retyped fields.
        view["materials"] = [
            {"code": material.code, "label": page.name(material.name)}
            for material in thing.materials
            if not material.exempt
        ]
    return view


def case_page_view(page: Page, catalog: Catalog, case: CaseRecord, items: list[ItemRecord]) -> dict[str, Any]:
    thing = thing_or_none(catalog, case)
    order = {item.code: index for index, item in enumerate(thing.items)} if thing else {}
    views = [_item(page, thing, item) for item in sorted(items, key=lambda i: order.get(i.code, 99))]
    done = sum(item["status"] == "completed" for item in views)
    # Changes whenever anything the citizen sees changes: the live script swaps the fragment only then.
    status = shown_status(case)
    fingerprint = "|".join([status, *(f"{i.code}:{i.status}:{i.light}:{i.holder}:{i.round}" for i in items)])
    return {
        "case_no": case.case_no,
        "name": page.name(thing.name) if thing else case.thing,
        "status": status,
        "reason": case.reason,
        "accepted": local_time(case.accepted_at),
        "finished": case.status in FINISHED,
        "items": views,
        "done": done,
        "percent": round(100 * done / len(views)) if views else 0,
        "signature": hashlib.sha256(fingerprint.encode()).hexdigest()[:16],
    }

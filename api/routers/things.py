"""The catalogue of one-things: what each bundle does, for whom, by when."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import CatalogDep, PrincipalDep
from api.problems import ProblemError
from one_things.graph import critical_path_days
from one_things.schema import OneThing

router = APIRouter(prefix="/things", tags=["one-things"])


def _summary(thing: OneThing) -> dict[str, Any]:
    return {
        "code": thing.code,
        "version": thing.version,
        "name": thing.name.model_dump(),
        "life_event": thing.life_event.model_dump(),
        "departments": len(thing.departments),
        "items": len(thing.items),
        "promised_days": critical_path_days(thing, [item.code for item in thing.items]),
        "baseline": thing.baseline.model_dump(),
    }


@router.get("")
def list_things(_principal: PrincipalDep, catalog: CatalogDep) -> list[dict[str, Any]]:
    return [_summary(thing) for thing in catalog.all()]


@router.get("/{code}")
def get_thing(code: str, _principal: PrincipalDep, catalog: CatalogDep) -> dict[str, Any]:
    try:
        thing = catalog.get(code)
    except KeyError:
        raise ProblemError(404, "Not found", f"No one-thing {code}; see GET /api/v1/things.") from None
    materials = [{**material.model_dump(), "exempt": material.exempt} for material in thing.materials]
    return {**_summary(thing), "definition": thing.model_dump(mode="json"), "materials": materials}

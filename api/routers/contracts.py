"""The published department contract, served as committed, so an integrator reads what the kit checks."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from core.department_contract import MAJOR, contract_text

router = APIRouter(tags=["department contract"])
CONTRACT_URL = f"/contracts/department/v{MAJOR}.yaml"
GUIDE = "docs/department-contract.md"


@router.get(
    CONTRACT_URL,
    response_class=Response,
    responses={200: {"content": {"application/yaml": {}}, "description": "The OpenAPI 3.1 document"}},
)
def department_contract() -> Response:
    """What a department system implements and what the platform exposes to it (OpenAPI 3.1, YAML)."""
    return Response(contract_text(), media_type="application/yaml; charset=utf-8")

"""Who may apply, held data and materials, through the real API in-process: every refusal starts nothing."""

from __future__ import annotations

import base64
from typing import Any

from sqlmodel import Session

from core.auth import Role
from persistence.register import get_resident
from tests.routers.test_applications import assert_problem
from tests.support.fake_gateway import FakeCaseGateway
from tests.support.inprocess import InProcessApi


def _id_no(api: InProcessApi, subject: str) -> str:
    with Session(api.engine) as session:
        resident = get_resident(session, subject=subject)
    assert resident is not None
    return resident.id_no


async def _post(api: InProcessApi, subject: str, body: dict[str, Any]) -> Any:
    async with api.as_user(Role.CITIZEN, subject) as citizen:
        return await citizen.post("/api/v1/applications", json=body)


async def test_naming_another_couple_as_parents_is_refused_and_nothing_starts(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    api.as_user(Role.CITIZEN, "citizen-not-the-parent")  # registers her as a married mother
    other_mother = _id_no(api, "demo-mother-1")
    response = await _post(api, "citizen-not-the-parent", api.newborn(mother_id_no=other_mother))
    problem = assert_problem(response, 422)
    assert problem["rule"] == "held_value_differs"
    assert [e["field"] for e in problem["errors"]] == ["form.mother_id_no"]
    assert "population register" in problem["errors"][0]["message"]
    assert "户籍派出所" in problem["errors"][0]["message"]  # how to have the register corrected
    assert other_mother not in response.text  # no ID numbers in error texts
    assert gateway.started == []


async def test_the_other_parent_is_the_spouse_the_register_holds(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    someone_else = _id_no(api, "demo-father-1")
    response = await _post(api, "citizen-spouse-check", api.newborn(father_id_no=someone_else))
    problem = assert_problem(response, 422)
    assert [e["field"] for e in problem["errors"]] == ["form.father_id_no"]
    assert gateway.started == []
    # Left out, the register's spouse is filled in.
    assert (await _post(api, "citizen-spouse-check", api.newborn())).status_code == 201
    [bundle] = gateway.started
    assert bundle.form["father_id_no"] == _id_no(api, "citizen-spouse-check-spouse")


async def test_a_typed_value_differing_from_the_register_is_refused_not_replaced(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    response = await _post(api, "citizen-typed-name", api.newborn(mother_name="别人"))
    problem = assert_problem(response, 422)
    assert problem["title"] == "Held data cannot be overridden"
    assert "whose value is used" in problem["errors"][0]["message"]
    assert "别人" not in response.text
    assert gateway.started == []


async def test_an_editable_held_value_takes_the_typed_one(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    assert (await _post(api, "citizen-new-phone", api.newborn(contact_phone="13911112222"))).status_code == 201
    assert gateway.started[0].form["contact_phone"] == "13911112222"


async def test_an_account_outside_the_register_may_not_apply(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    response = await _post(api, "stranger-1", api.newborn())
    assert assert_problem(response, 403)["rule"] == "applicant_not_registered"
    assert gateway.started == []


async def test_a_required_material_is_required_through_the_api(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    missing = {**api.newborn(), "materials": {}}
    problem = assert_problem(await _post(api, "citizen-no-photo", missing), 422)
    assert [e["field"] for e in problem["errors"]] == ["materials.newborn_photo"]
    not_a_photo = {**api.newborn(), "materials": {"newborn_photo": base64.b64encode(b"MZ not an image").decode()}}
    problem = assert_problem(await _post(api, "citizen-no-photo", not_a_photo), 422)
    assert "not a whole, readable JPEG, PNG or PDF file" in problem["errors"][0]["message"]
    unknown = {**api.newborn(), "materials": {**api.newborn()["materials"], "passport": "JVBERi0="}}
    assert [e["field"] for e in assert_problem(await _post(api, "citizen-no-photo", unknown), 422)["errors"]] == [
        "materials.passport"
    ]
    assert gateway.started == []
    # Not needed when the answers leave its item out (no social security card): no photo asked.
    no_card = {**missing, "answers": {**missing["answers"], "wants_social_security_card": "no"}}
    assert (await _post(api, "citizen-no-photo", no_card)).status_code == 201


async def test_an_unmarried_parent_may_name_the_other_but_not_someone_married_to_another(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    # demo-mother-2 is unmarried in the register, so the father's fields are hers to type.
    married_elsewhere = _id_no(api, "demo-father-1")  # the register has him married to demo-mother-1
    refused = await _post(api, "demo-mother-2", api.newborn(father_id_no=married_elsewhere, father_name="王强"))
    problem = assert_problem(refused, 403)
    assert problem["rule"] == "parties_not_related"
    assert "form.father_id_no" in problem["detail"]
    assert married_elsewhere not in refused.text
    assert gateway.started == []

    unmarried_father = _id_no(api, "demo-father-2")
    accepted = await _post(api, "demo-mother-2", api.newborn(father_id_no=unmarried_father, father_name="刘洋"))
    assert accepted.status_code == 201, accepted.text
    [bundle] = gateway.started
    assert bundle.form["father_id_no"] == unmarried_father

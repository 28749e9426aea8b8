"""The one form pre-filled from the population register and the licence library, over the real API."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, func, select
from stdnum.cn import ric

from api.app import create_app
from core.auth import Role
from core.privacy import mask_id_no
from persistence.db import make_engine
from persistence.demo_seed import seed_demo_data
from persistence.licences import Licence
from persistence.register import Resident, list_demo_citizens
from tests.support.db import database_url, settings_for
from tests.support.servers import ThreadedServer, free_port
from tests.support.stack import running_stack

pytestmark = pytest.mark.e2e

THE_GOVERNMENT_CANNOT_KNOW = {"newborn_name", "newborn_sex", "newborn_birth_date", "birth_hospital"}
MAIN_ANSWERS = {"hukou_location": "this_district"}


def by_code(form: dict) -> dict[str, dict]:
    return {field["code"]: field for field in form["fields"]}


async def test_married_mother_types_only_what_the_government_cannot_know(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir, with_worker=False) as stack:
        mother = stack.as_user(Role.CITIZEN, "demo-mother-1")
        response = await mother.get("/api/v1/things/newborn/form", params=MAIN_ANSWERS)
        assert response.status_code == 200, response.text
        form = response.json()
        fields = by_code(form)

        assert {code for code, field in fields.items() if not field["prefilled"]} == THE_GOVERNMENT_CANNOT_KNOW
        assert all(
            fields[code]["value"] is None and fields[code]["source"] == "none" for code in THE_GOVERNMENT_CANNOT_KNOW
        )
        assert fields["mother_name"]["value"] == "李梅"
        assert fields["father_name"]["value"] == "王强"  # from the household link to her spouse
        # ID numbers leave the server only masked: the father's is not the signed-in mother's to see.
        with Session(make_engine(stack.settings.projection_url)) as session:
            full = {r.subject: r.id_no for r in session.exec(select(Resident)).all()}
        assert fields["mother_id_no"]["value"] == mask_id_no(full["demo-mother-1"])
        assert fields["father_id_no"]["value"] == mask_id_no(full["demo-father-1"])
        assert not any(number in response.text for number in full.values())
        assert fields["hukou_address"]["value"] == "上海市徐汇区示例路1号101室"
        assert fields["contact_phone"]["value"] == "13800138000"
        for code in ("mother_name", "mother_id_no", "father_name", "father_id_no", "hukou_address", "contact_phone"):
            assert fields[code]["source"] == "population_register"
        assert fields["marriage_cert_no"] == {**fields["marriage_cert_no"], "value": "J310104-2019-000123"}
        assert fields["marriage_cert_no"]["source"] == "licence_library"

        assert form["counts"] == {
            "fields": 11,
            "prefilled": 7,
            "to_type": 4,
            "optional_empty": 0,
            "materials_exempt": 4,
            "materials_to_provide": 1,
        }
        materials = {material["code"]: material for material in form["materials"]}
        assert [code for code, m in materials.items() if not m["exempt"]] == ["newborn_photo"]
        assert materials["marriage_certificate"]["in_wallet"] is True
        assert materials["parents_id_cards"]["source"] == "shared_data"
        assert form["included"] == [
            "birth_certificate",
            "vaccination_certificate",
            "hukou_registration",
            "social_security_card",
            "medical_insurance",
        ]

        # The father signing in sees the same household from his side.
        father = by_code((await stack.as_user(Role.CITIZEN, "demo-father-1").get("/api/v1/things/newborn/form")).json())
        assert fields["mother_id_no"]["value"] == father["mother_id_no"]["value"]
        assert father["contact_phone"]["value"] == "13900139000"


async def test_unmarried_parents_get_no_marriage_certificate_or_partner(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir, with_worker=False) as stack:
        mother = stack.as_user(Role.CITIZEN, "demo-mother-2")
        form = (await mother.get("/api/v1/things/newborn/form", params=MAIN_ANSWERS)).json()
        fields = by_code(form)
        assert fields["marriage_cert_no"]["prefilled"] is False
        assert fields["marriage_cert_no"]["value"] is None
        assert fields["marriage_cert_no"]["source"] == "licence_library"  # where it would come from
        assert fields["mother_name"]["value"] == "陈静"
        # No household link: the register cannot say who the father is, so he is typed in.
        assert fields["father_name"]["prefilled"] is False
        assert form["counts"]["prefilled"] == 4
        assert form["counts"]["to_type"] == 6
        assert form["counts"]["optional_empty"] == 1
        materials = {material["code"]: material for material in form["materials"]}
        assert materials["marriage_certificate"]["in_wallet"] is False


async def test_other_province_hukou_plan_drops_hukou_materials(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir, with_worker=False) as stack:
        mother = stack.as_user(Role.CITIZEN, "demo-mother-3")
        form = (await mother.get("/api/v1/things/newborn/form", params={"hukou_location": "other_province"})).json()
        assert by_code(form)["hukou_address"]["value"].startswith("浙江省")
        assert "hukou_registration" not in form["included"]
        # Materials only for included items: no hukou booklet, no marriage certificate, no photo for the card.
        assert {material["code"] for material in form["materials"]} == {"parents_id_cards"}
        assert form["counts"]["materials_to_provide"] == 0


async def test_form_before_the_guidance_answers_and_with_bad_ones(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir, with_worker=False) as stack:
        mother = stack.as_user(Role.CITIZEN, "demo-mother-1")
        early = (await mother.get("/api/v1/things/newborn/form")).json()
        assert early["unanswered"] == ["hukou_location"]
        assert early["materials"] is None
        assert early["counts"]["prefilled"] == 7
        bad = await mother.get("/api/v1/things/newborn/form", params={"hukou_location": "mars"})
        assert bad.status_code == 422
        assert bad.headers["content-type"].startswith("application/problem+json")
        assert bad.json()["errors"][0]["field"] == "answers.hukou_location"
        unknown = await mother.get("/api/v1/things/nothing/form")
        assert unknown.status_code == 404
        # Someone not in the register still gets the form, with nothing filled in.
        stranger = (await stack.as_user(Role.CITIZEN, "unregistered-visitor").get("/api/v1/things/newborn/form")).json()
        assert stranger["counts"]["prefilled"] == 0
        assert (await stack.api.get("/api/v1/things/newborn/form")).status_code == 401


async def test_demo_seeding_is_idempotent_and_valid(dev_env, data_dir: Path) -> None:
    for _ in range(2):  # the API seeds on every start, on the same database
        async with running_stack(dev_env.client, data_dir, with_worker=False):
            pass
    engine = make_engine(database_url(data_dir))
    with Session(engine) as session:
        assert seed_demo_data(session) == 0
        session.commit()
        residents = session.exec(select(Resident)).all()
        assert len(residents) == 7  # three couples and a grandmother
        assert all(ric.is_valid(resident.id_no) for resident in residents)
        for resident in residents:
            assert ric.get_birth_date(resident.id_no) == resident.birth_date
        spouses = {r.subject: r.spouse_subject for r in residents}
        assert spouses["demo-mother-1"] == "demo-father-1"
        assert spouses["demo-father-1"] == "demo-mother-1"
        assert spouses["demo-mother-2"] is None
        marriages = session.exec(select(func.count()).select_from(Licence)).one()
        assert marriages == 2  # one copy each for the married demo couple
        citizens = list_demo_citizens(session)
        assert len(citizens) == 7
        for citizen, resident in zip(citizens, sorted(residents, key=lambda r: r.subject), strict=True):
            assert citizen.subject == resident.subject
            assert resident.id_no not in citizen.model_dump_json()
    engine.dispose()


def test_production_seeds_nothing(data_dir: Path) -> None:
    settings = settings_for(
        data_dir,
        environment="production",
        secret_key="a-production-secret-for-this-test",
        codec_key="cHJvZHVjdGlvbi10ZXN0LWNvZGVjLWtleS0zMmJ5dGU=",
        callback_keys_key="cHJvZHVjdGlvbi10ZXN0LWNhbGxiYWNrLWtleS0zMmI=",
        oidc_issuer="https://id.example.gov.cn",
        oidc_client_secret="a-production-client-secret",
        oidc_redirect_url="https://onething.example.gov.cn/auth/callback",
        temporal_address=f"127.0.0.1:{free_port()}",
    )
    with ThreadedServer(create_app(settings)):
        pass
    engine = make_engine(settings.projection_url)
    with Session(engine) as session:
        assert session.exec(select(Resident)).all() == []
        assert session.exec(select(Licence)).all() == []
    engine.dispose()

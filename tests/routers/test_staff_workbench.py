"""The clerk's workbench (standard handling module) in-process: the application as the clerk needs it, masked
where the item does not need the value; materials served safely and their reads recorded; a correction that
names a material, answered by the citizen with a new upload on the case page."""

from __future__ import annotations

import base64
import io
import re
from datetime import date
from html import unescape
from typing import Any

import httpx
from PIL import Image
from sqlmodel import Session, select

from api.sessions import SESSION_COOKIE, csrf_token
from core.auth import Principal, Role, issue_token
from core.privacy import mask_id_no
from one_things.demo import demo_materials, demo_request
from persistence.data_access import PersonalDataRead
from persistence.materials import get_upload
from tests.support.fake_gateway import FakeCaseGateway, Method
from tests.support.inprocess import InProcessApi
from tests.support.people import register_if_test_citizen
from workflows.contracts import Holder, ItemStatus


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 180, 160)).save(out, "PNG")
    return out.getvalue()


ITEM = "vaccination_certificate"
PHOTO = "newborn_photo"
# A different PNG than the demo's: 2×1 pixels (what a clearer photo sent again would be), whole and decodable, as
# the content check requires (services/materials.py).
SECOND_PNG = _png(2, 1)


def page_client(api: InProcessApi, role: Role, subject: str, department: str | None = None, lang: str = "zh") -> Any:
    """A client signed in by the session cookie, as the pages are, and its CSRF token."""
    if role is Role.CITIZEN:
        register_if_test_citizen(api.engine, subject)
    token = issue_token(api.settings.secret_key, Principal(role=role, subject=subject, department=department))
    client = api.client({"Cookie": f"{SESSION_COOKIE}={token}; onething_lang={lang}"})
    return client, csrf_token(api.settings.secret_key, token)


def reads(api: InProcessApi, case_no: str) -> list[tuple[str, str, str]]:
    with Session(api.engine) as session:
        rows = session.exec(select(PersonalDataRead).where(PersonalDataRead.case_no == case_no)).all()
        return [(row.reader, row.what, row.purpose) for row in rows]


def text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


async def test_the_workbench_shows_the_application_labelled_and_masks_what_the_item_does_not_need(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    case_no = await api.submit("citizen-workbench")
    form = gateway.started[-1].form
    clerk, _ = page_client(api, Role.STAFF, "cdc-workbench", department="cdc")
    async with clerk:
        page = await clerk.get(f"/staff/items/{case_no}/{ITEM}")
    assert page.status_code == 200, page.text
    shown = text(page.text)
    # The applicant, masked: the clerk needs to know who applied as what, not the full number.
    assert "申请人身份 母亲" in shown
    assert form["mother_id_no"] not in page.text
    assert form["father_id_no"] not in page.text
    assert f"母亲身份证号码 {mask_id_no(form['mother_id_no'])} (已遮蔽)" in shown
    # What the item reads is in full, labelled from the catalogue.
    assert f"新生儿姓名 {form['newborn_name']}" in shown
    assert f"母亲姓名 {form['mother_name']}" in shown
    assert f"联系电话 {form['contact_phone']}" in shown
    assert "新生儿免冠照片(电子版)" in shown
    assert "用于 社会保障卡申领" in shown
    assert "新生儿性别 男" in shown
    # The case's other items and their state, the deadline as a day, the outputs as labelled fields.
    assert "出生医学证明签发 · 上海市卫生健康委员会" in shown
    assert "承诺期限(最后一天)" in shown
    assert '<label for="out-vaccination_cert_no">预防接种证编号</label>' in page.text
    assert '<option value="material.newborn_photo">新生儿免冠照片(电子版)</option>' in page.text
    assert '<option value="field.newborn_name">新生儿姓名</option>' in page.text
    assert '<option value="field.mother_id_no">' not in page.text  # the item does not read it: not its to correct
    assert "Approve" not in page.text
    assert "Vaccination" not in page.text
    assert reads(api, case_no) == [("cdc-workbench", "form", "handling")]

    english, _ = page_client(api, Role.STAFF, "cdc-workbench", department="cdc", lang="en")
    async with english:
        page_en = await english.get(f"/staff/items/{case_no}/{ITEM}")
    shown_en = text(page_en.text)
    assert "Applies as Mother" in shown_en
    assert "Vaccination certificate number" in shown_en
    assert "Mother's resident ID number" in shown_en
    for chinese in ("申请人", "预防接种证编号", "已遮蔽", "承诺期限", "补正"):
        assert chinese not in page_en.text


async def test_a_material_is_served_safely_to_the_deciding_clerk_and_the_read_recorded(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    case_no = await api.submit("citizen-workbench-photo")
    photo = base64.b64decode(demo_materials(api.catalog.get("newborn"))[PHOTO])
    url = f"/staff/items/{case_no}/{ITEM}/materials/{PHOTO}"
    clerk, _ = page_client(api, Role.STAFF, "cdc-photo", department="cdc")
    other, _ = page_client(api, Role.STAFF, "health-photo", department="health")
    async with clerk, other:
        served = await clerk.get(url)
        assert served.status_code == 200
        assert served.content == photo
        assert served.headers["content-type"] == "image/png"
        assert served.headers["content-disposition"] == f'inline; filename="{case_no}-{PHOTO}.png"'
        assert served.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in served.headers["content-security-policy"]
        assert served.headers["cache-control"] == "no-store"
        assert (await other.get(url)).status_code == 404  # not the health department's item
        assert (await clerk.get(f"/staff/items/{case_no}/{ITEM}/materials/unknown")).status_code == 404
    assert reads(api, case_no) == [("cdc-photo", "materials", "handling")]


async def test_a_correction_names_the_material_and_the_citizen_uploads_it_again(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    case_no = await api.submit("citizen-workbench-fix")
    clerk, clerk_csrf = page_client(api, Role.STAFF, "cdc-fix", department="cdc")
    decision = f"/staff/items/{case_no}/{ITEM}/decision"
    async with clerk:
        wrong = {"csrf_token": clerk_csrf, "decision": "correction", "about": "field.mother_id_no", "reason": "x"}
        assert (await clerk.post(decision, data=wrong)).status_code == 422  # not a field this item reads
        ask = {"csrf_token": clerk_csrf, "decision": "correction", "about": f"material.{PHOTO}", "reason": "照片不清晰"}
        assert (await clerk.post(decision, data=ask)).status_code == 303
    [asked] = gateway.messages(Method.DECIDE, case_no)
    assert asked.reason == "新生儿免冠照片(电子版):照片不清晰"

    citizen, citizen_csrf = page_client(api, Role.CITIZEN, "citizen-workbench-fix")
    async with citizen:
        case_page = await citizen.get(f"/cases/{case_no}")
        assert 'enctype="multipart/form-data"' in case_page.text
        assert f'name="material.{PHOTO}" type="file"' in case_page.text
        fields = {"csrf_token": citizen_csrf, "item_code": ITEM}
        html = {f"material.{PHOTO}": ("photo.png", b"<html><script>alert(1)</script>", "image/png")}
        assert (await citizen.post(f"/cases/{case_no}/supplement", data=fields, files=html)).status_code == 422
        good = {f"material.{PHOTO}": ("photo.png", SECOND_PNG, "image/png")}
        sent = await citizen.post(f"/cases/{case_no}/supplement", data=fields, files=good)
        assert sent.status_code == 303, sent.text
    [supplement] = gateway.messages(Method.SUPPLEMENT, case_no)
    assert (supplement.item_code, supplement.materials, supplement.form) == (ITEM, [PHOTO], {})
    with Session(api.engine) as session:
        stored = get_upload(session, case_no=case_no, material=PHOTO)
        assert stored is not None
        assert (stored.data, stored.content_type) == (SECOND_PNG, "image/png")  # the type the check found


async def test_the_json_workbench_has_the_same_view(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    case_no = await api.submit("citizen-workbench-json")
    async with api.as_user(Role.STAFF, "cdc-json", department="cdc") as clerk:
        response: httpx.Response = await clerk.get(f"/api/v1/staff/items/{case_no}/{ITEM}")
    body = response.json()
    form = gateway.started[-1].form
    assert "form" not in body  # the raw form never leaves: only its rows, masked where the item does not read them
    assert form["mother_id_no"] not in response.text
    assert form["father_id_no"] not in response.text
    assert body["inputs"]["mother_name"] == form["mother_name"]  # what the item reads, in full
    assert [(o["code"], o["label"]["zh"]) for o in body["outputs"]] == [("vaccination_cert_no", "预防接种证编号")]
    masked = {row["code"] for row in body["form_rows"] if row["masked"]}
    assert {"mother_id_no", "father_id_no", "father_name", "hukou_address"} <= masked
    assert "newborn_name" not in masked
    assert [m["code"] for m in body["materials"]] == [PHOTO]


async def test_the_api_takes_a_material_with_a_correction_checked_like_the_application(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    case_no = await api.submit("citizen-workbench-api-fix")
    async with api.as_user(Role.STAFF, "cdc-api-fix", department="cdc") as clerk:
        ask = {"decision": "correction", "about": f"material.{PHOTO}", "reason": "照片不清晰"}
        assert (await clerk.post(f"/api/v1/staff/items/{case_no}/{ITEM}/decision", json=ask)).status_code == 200
    url = f"/api/v1/applications/{case_no}/supplements"
    async with api.as_user(Role.CITIZEN, "citizen-workbench-api-fix") as citizen:
        not_a_photo = {"item_code": ITEM, "materials": {PHOTO: base64.b64encode(b"<html>").decode()}}
        refused = await citizen.post(url, json=not_a_photo)
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == f"materials.{PHOTO}"
        held = {"item_code": ITEM, "materials": {"parents_id_cards": base64.b64encode(SECOND_PNG).decode()}}
        assert (await citizen.post(url, json=held)).json()["errors"][0]["field"] == "materials.parents_id_cards"
        good = {"item_code": ITEM, "materials": {PHOTO: base64.b64encode(SECOND_PNG).decode()}}
        sent = await citizen.post(url, json=good)
        assert sent.status_code == 202, sent.text
    assert [s.materials for s in gateway.messages(Method.SUPPLEMENT, case_no)] == [[PHOTO]]
    with Session(api.engine) as session:
        stored = get_upload(session, case_no=case_no, material=PHOTO)
        assert stored is not None
        assert (stored.data, stored.content_type) == (SECOND_PNG, "image/png")  # the type the check found


async def test_an_input_from_another_items_result_is_labelled_as_that_result(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    body = demo_request(api.catalog.get("social_security_card"), date.today())
    body["answers"] = {**body["answers"], "wants_library": "yes"}  # type: ignore[dict-item]
    async with api.as_user(Role.CITIZEN, "citizen-workbench-library") as citizen:
        response = await citizen.post("/api/v1/applications", json=body)
    assert response.status_code == 201, response.text
    case_no = response.json()["case_no"]
    output = {"social_security_card_no": "SSC123456789"}
    done = {"status": ItemStatus.COMPLETED, "holder": None, "output": output, "finished_at": gateway.now()}
    await gateway.put(case_no, "card_application", **done)
    await gateway.put(case_no, "library_activation", status=ItemStatus.RUNNING, holder=Holder.STAFF)
    async with api.as_user(Role.STAFF, "library-clerk", department="library") as clerk:
        read = await clerk.get(f"/api/v1/staff/items/{case_no}/library_activation")
    assert read.status_code == 200, read.text
    workbench = read.json()
    [row] = workbench["from_items"]
    assert (row["code"], row["value"]) == ("social_security_card_no", "SSC123456789")
    assert row["label"]["zh"].endswith("编号")

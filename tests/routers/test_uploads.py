"""Materials are checked by their whole content on every way in (the JSON API's base64, the citizen's page, the
counter's API and page): only a file a parser reads entirely as JPEG, PNG or PDF is accepted, nothing after
its end, and no larger than the configured cap."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from PIL import Image
from pypdf import PdfWriter
from sqlmodel import Session, select

from api.sessions import CSRF_FIELD, SESSION_COOKIE, csrf_token
from cli.bad_input import FORGED_UPLOADS, HTML
from core.auth import Principal, Role, issue_token
from persistence.materials import MaterialUpload
from services.materials import content_type, inspect
from tests.routers.test_applications import assert_problem
from tests.routers.test_counter import CLERK, POINT, _visit
from tests.support.fake_gateway import FakeCaseGateway
from tests.support.inprocess import InProcessApi
from tests.support.people import register_if_test_citizen


def image(kind: str, size: tuple[int, int] = (8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=kind)
    return out.getvalue()


def pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PNG, JPEG, PDF = image("PNG"), image("JPEG"), pdf()
GOOD = {"png": (PNG, "image/png"), "jpeg": (JPEG, "image/jpeg"), "pdf": (PDF, "application/pdf")}
BAD = {
    **FORGED_UPLOADS,
    "whole-png-then-html": PNG + HTML,
    "truncated-png": PNG[: len(PNG) // 2],
    "png-with-a-broken-checksum": PNG[:-5] + bytes([PNG[-5] ^ 0xFF]) + PNG[-4:],
    "whole-jpeg-then-html": JPEG + HTML,
    "truncated-jpeg": JPEG[: len(JPEG) // 2],
    "whole-pdf-then-html": PDF + HTML,
    "gif": image("GIF"),
}


@pytest.mark.parametrize("kind", GOOD)
def test_a_whole_file_of_an_accepted_format_is_accepted(kind: str) -> None:
    data, expected = GOOD[kind]
    assert content_type(data) == expected
    assert inspect(data) == (expected, None)


@pytest.mark.parametrize("kind", BAD)
def test_a_file_that_is_not_wholly_an_accepted_format_is_refused(kind: str) -> None:
    assert content_type(BAD[kind]) is None
    assert inspect(BAD[kind]) == (None, "bad_type")


def test_the_size_cap_is_checked_before_the_content() -> None:
    assert inspect(PNG, max_bytes=len(PNG)) == ("image/png", None)
    assert inspect(PNG, max_bytes=len(PNG) - 1) == (None, "too_large")


def claiming_size(png: bytes, width: int, height: int) -> bytes:
    """The PNG with its header (IHDR, checksum fixed) claiming another size: a decompression bomb's trick."""
    header = png[12:16] + struct.pack(">II", width, height) + png[24:29]
    return png[:8] + png[8:12] + header + struct.pack(">I", zlib.crc32(header)) + png[33:]


def test_an_image_claiming_too_many_pixels_is_refused_before_it_is_decoded() -> None:
    assert content_type(claiming_size(PNG, 8, 8)) == "image/png"  # the rewriting itself keeps a PNG a PNG
    assert content_type(claiming_size(PNG, 8000, 6000)) is None  # 48 megapixels: no photo of a newborn needs this


Submit = Callable[[InProcessApi, str, bytes], Awaitable[httpx.Response]]


def _browser(
    api: InProcessApi, role: Role, subject: str, department: str | None = None
) -> tuple[httpx.AsyncClient, str]:
    if role is Role.CITIZEN:
        register_if_test_citizen(api.engine, subject)
    token = issue_token(api.settings.secret_key, Principal(role=role, subject=subject, department=department))
    client = api.client({"Cookie": f"{SESSION_COOKIE}={token}"})
    return client, csrf_token(api.settings.secret_key, token)


def _posted(api: InProcessApi, csrf: str) -> dict[str, Any]:
    request = api.newborn()
    return {
        CSRF_FIELD: csrf,
        **{f"answer.{k}": v for k, v in request["answers"].items()},
        **{f"field.{k}": v for k, v in request["form"].items()},
    }


async def via_json_api(api: InProcessApi, subject: str, data: bytes) -> httpx.Response:
    body = {**api.newborn(), "materials": {"newborn_photo": base64.b64encode(data).decode()}}
    async with api.as_user(Role.CITIZEN, subject) as citizen:
        return await citizen.post("/api/v1/applications", json=body)


async def via_citizen_page(api: InProcessApi, subject: str, data: bytes) -> httpx.Response:
    browser, csrf = _browser(api, Role.CITIZEN, subject)
    async with browser:
        return await browser.post(
            "/things/newborn/apply", data=_posted(api, csrf), files={"material.newborn_photo": ("photo.png", data)}
        )


async def via_counter_api(api: InProcessApi, subject: str, data: bytes) -> httpx.Response:
    async with api.as_user(Role.CLERK, CLERK, POINT) as clerk:
        visit = await _visit(api, clerk, subject)
        body = {**api.newborn(), "visit": visit, "materials": {"newborn_photo": base64.b64encode(data).decode()}}
        return await clerk.post("/api/v1/counter/applications", json=body)


async def via_counter_page(api: InProcessApi, subject: str, data: bytes) -> httpx.Response:
    async with api.as_user(Role.CLERK, CLERK, POINT) as clerk:
        visit = await _visit(api, clerk, subject)
    browser, csrf = _browser(api, Role.CLERK, CLERK, POINT)
    async with browser:
        return await browser.post(
            f"/counter/visits/{visit}/things/newborn",
            data=_posted(api, csrf),
            files={"material.newborn_photo": ("photo.png", data)},
        )


WAYS_IN: dict[str, Submit] = {
    "json-api": via_json_api,
    "citizen-page": via_citizen_page,
    "counter-api": via_counter_api,
    "counter-page": via_counter_page,
}


def _stored(api: InProcessApi, owner: str) -> list[MaterialUpload]:
    with Session(api.engine) as session:
        return list(session.exec(select(MaterialUpload).where(MaterialUpload.owner == owner)).all())


@pytest.mark.parametrize("way", WAYS_IN)
@pytest.mark.parametrize("kind", ["png-header-then-html", "whole-png-then-html", "pdf-header-then-html", "gif"])
async def test_every_way_in_refuses_a_file_that_is_not_what_it_claims(
    api: InProcessApi, gateway: FakeCaseGateway, way: str, kind: str
) -> None:
    subject = f"citizen-upload-{way}-{kind}"[:60]
    response = await WAYS_IN[way](api, subject, BAD[kind])
    assert response.status_code == 422, response.text
    if way.endswith("api"):
        problem = assert_problem(response, 422)
        assert [error["field"] for error in problem["errors"]] == ["materials.newborn_photo"]
        assert "not a whole, readable JPEG, PNG or PDF" in problem["errors"][0]["message"]
    else:
        assert "请上传完整、可读的 JPG、PNG 或 PDF 文件" in response.text
    assert gateway.started == []
    assert _stored(api, subject) == []


@pytest.mark.parametrize("way", WAYS_IN)
async def test_every_way_in_accepts_a_whole_pdf_and_stores_it_apart(
    api: InProcessApi, gateway: FakeCaseGateway, way: str
) -> None:
    subject = f"citizen-upload-ok-{way}"
    response = await WAYS_IN[way](api, subject, PDF)
    assert response.status_code in (201, 303), response.text
    [stored] = _stored(api, subject)
    assert (stored.content_type, stored.data, stored.size) == ("application/pdf", PDF, len(PDF))


async def test_the_size_cap_comes_from_the_settings(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    cap = api.settings.material_max_bytes
    api.settings.material_max_bytes = len(PNG) - 1
    try:
        over = await via_json_api(api, "citizen-upload-over-cap", PNG)
        page = await via_citizen_page(api, "citizen-upload-over-cap-page", PNG)
    finally:
        api.settings.material_max_bytes = cap
    problem = assert_problem(over, 422)
    assert problem["errors"] == [
        {
            "field": "materials.newborn_photo",
            "message": f"too large: at most {(len(PNG) - 1) / 2**20:g} MB",
            "rule": "upload_too_large",  # with its limit, for a page to say it in its language
            "mb": f"{(len(PNG) - 1) / 2**20:g}",
        }
    ]
    assert page.status_code == 422
    assert f"文件超过 {(len(PNG) - 1) / 2**20:g} MB" in page.text


@pytest.mark.parametrize("url", ["/healthz", "/api/v1/things", "/stats/things.csv", "/", "/api/v1/verify/NOPE"])
async def test_no_response_is_left_to_a_browser_to_sniff(api: InProcessApi, url: str) -> None:
    async with api.as_user(Role.LEADER, "leader-1") as client:
        response = await client.get(url)
    assert response.headers["x-content-type-options"] == "nosniff"

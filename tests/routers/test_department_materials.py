"""A department downloads an uploaded material by the signed, expiring URL its submission carried; every
download is on the personal-data access log; a forged, re-targeted or expired URL gets nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlmodel import Session, select

from activities.gateways.materials import MaterialsDesk
from core.clock import SYSTEM_CLOCK
from one_things.demo import DEMO_PHOTO
from persistence.data_access import PersonalDataRead
from persistence.db import session_scope
from persistence.materials import save_upload
from tests.support.inprocess import InProcessApi
from workflows.contracts import MaterialRef, Submission

CASE_NO = "20261201-MAT00001"


def submission(department: str = "human_resources") -> Submission:
    return Submission(
        department=department,
        idempotency_key=f"{CASE_NO}:social_security_card",
        case_no=CASE_NO,
        item_code="social_security_card",
        mode="batch",
        payload={},
        outputs=[],
        materials=[
            MaterialRef(code="newborn_photo", source="citizen"),
            MaterialRef(code="hukou", source="shared_data"),
        ],
    )


def desk(api: InProcessApi, lifetime: timedelta = timedelta(hours=1)) -> MaterialsDesk:
    return MaterialsDesk(api.engine, api.settings.secret_key, "http://platform.example", lifetime, SYSTEM_CLOCK)


async def path_of(api: InProcessApi, lifetime: timedelta = timedelta(hours=1), inline: bool = False) -> list[dict]:
    with session_scope(api.engine) as session:
        save_upload(
            session,
            case_no=CASE_NO,
            owner="citizen-materials",
            material="newborn_photo",
            content_type="image/png",
            data=DEMO_PHOTO,
            now=datetime.now(UTC),
        )
    return await desk(api, lifetime).describe(submission(), inline=inline)


def relative(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def department_reads(api: InProcessApi) -> list[tuple[str, str, str | None]]:
    with Session(api.engine) as session:
        rows = session.exec(select(PersonalDataRead).where(PersonalDataRead.case_no == CASE_NO)).all()
    return [(row.reader, row.what, row.department) for row in rows if row.role == "department_system"]


async def test_the_department_downloads_the_photo_and_the_download_is_logged(api: InProcessApi) -> None:
    photo, register = await path_of(api)
    assert register == {"code": "hukou", "source": "shared_data", "reference": "shared_data:hukou"}
    assert photo["sha256"]
    assert photo["size"] == len(DEMO_PHOTO)
    before = len(department_reads(api))
    async with api.client() as client:
        response = await client.get(relative(str(photo["url"])))
    assert response.status_code == 200, response.text
    assert response.content == DEMO_PHOTO
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "no-store"
    reads = department_reads(api)
    assert len(reads) == before + 1
    assert reads[-1] == ("system:human_resources", "materials", "human_resources")


async def test_inline_materials_carry_the_bytes(api: InProcessApi) -> None:
    photo, _ = await path_of(api, inline=True)
    assert "url" not in photo
    assert photo["content_base64"]


async def test_a_changed_or_expired_url_gets_nothing(api: InProcessApi) -> None:
    photo, _ = await path_of(api)
    url = relative(str(photo["url"]))
    [expired] = [m for m in await path_of(api, lifetime=timedelta(seconds=-1)) if m["code"] == "newborn_photo"]
    before = len(department_reads(api))
    async with api.client() as client:
        other_department = await client.get(url.replace("department=human_resources", "department=tax"))
        other_material = await client.get(url.replace("/newborn_photo?", "/parents_id_cards?"))
        late = await client.get(relative(str(expired["url"])))
        missing = await client.get(url.replace("&signature=", "&x="))
        # A signature with characters beyond ASCII (schemathesis found it a 500): refused like any other.
        forged = await client.get(url.split("&signature=")[0] + "&signature=%F3%A9%A0%A3")
    assert forged.status_code == 403
    assert "signature" in forged.json()["detail"]
    assert other_department.status_code == 403
    assert "signature" in other_department.json()["detail"]
    assert other_material.status_code == 403
    assert late.status_code == 403
    assert "expired" in late.json()["detail"]
    assert missing.status_code == 403
    assert len(department_reads(api)) == before  # nothing was served, nothing is logged

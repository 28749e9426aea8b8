"""A deadline reads as the last day on time on every page and in the JSON meant for people.

A case accepted on a Sunday with a 1-working-day item is due by the end of Monday: the calendar stores that as
00:00 Tuesday (Asia/Shanghai), and pages that printed the instant's day showed Tuesday, one day late. The
deadline here comes from the real calendar activity; the fake engine only carries it into the projection.
"""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape

from activities.calendar import CalendarActivities
from core.auth import Role
from core.calendar import TZ, add_working_days
from persistence.db import session_scope
from persistence.rectifications import project_rectification
from tests.routers.test_staff_workbench import page_client
from tests.support.fake_gateway import FakeCaseGateway
from tests.support.inprocess import InProcessApi
from workflows.contracts import CaseStatus, DeadlineRequest, Holder, ItemStatus, Light, RectificationState
from workflows.rectification import rectification_id

ITEM = "vaccination_certificate"  # handled by the CDC's clerks on the platform's own workbench
SUNDAY = datetime(2026, 11, 15, 10, 30, tzinfo=TZ)
MONDAY, TUESDAY = "2026-11-16", "2026-11-17"


def text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


async def sunday_case(api: InProcessApi, gateway: FakeCaseGateway, citizen: str) -> str:
    case_no = await api.submit(citizen)
    request = DeadlineRequest(start=SUNDAY, promised_days=1, statutory_days=1, yellow_before_days=1)
    deadline = await CalendarActivities().compute_deadline(request)
    assert deadline.due_at == datetime(2026, 11, 17, tzinfo=TZ)  # the instant: the midnight ending Monday
    await gateway.put(case_no, accepted_at=SUNDAY)
    await gateway.put(
        case_no,
        ITEM,
        status=ItemStatus.RUNNING,
        holder=Holder.STAFF,
        started_at=SUNDAY,
        due_at=deadline.due_at,
        statutory_due_at=deadline.statutory_due_at,
        yellow_at=deadline.yellow_at,
        light=Light.RED,
    )
    return case_no


async def test_the_citizen_the_clerk_and_the_supervisor_read_monday(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    case_no = await sunday_case(api, gateway, "citizen-sunday")
    citizen, _ = page_client(api, Role.CITIZEN, "citizen-sunday")
    clerk, _ = page_client(api, Role.STAFF, "cdc-sunday", department="cdc")
    supervisor, _ = page_client(api, Role.SUPERVISOR, "supervisor-sunday")
    async with citizen, clerk, supervisor:
        pages = {
            "citizen case": await citizen.get(f"/cases/{case_no}"),
            "citizen live": await citizen.get(f"/cases/{case_no}/live"),
            "clerk queue": await clerk.get("/staff"),
            "clerk item": await clerk.get(f"/staff/items/{case_no}/{ITEM}"),
            "supervision items": await supervisor.get("/supervision/items?light=red"),
            "supervision case": await supervisor.get(f"/supervision/cases/{case_no}"),
        }
    for name, page in pages.items():
        assert page.status_code == 200, (name, page.text[:300])
        shown = text(page.text)
        assert MONDAY in shown, f"{name}: the deadline is not shown as Monday"
        assert TUESDAY not in shown, f"{name}: the deadline instant's day (Tuesday) is shown"
    assert f"承诺期限(最后一天) {MONDAY}" in text(pages["clerk item"].text)


async def test_the_json_keeps_the_instant_and_adds_the_day(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    case_no = await sunday_case(api, gateway, "citizen-sunday-json")
    instant = "2026-11-16T16:00:00Z"
    async with (
        api.as_user(Role.CITIZEN, "citizen-sunday-json") as citizen,
        api.as_user(Role.STAFF, "cdc-sunday-json", department="cdc") as clerk,
        api.as_user(Role.SUPERVISOR, "supervisor-sunday-json") as supervisor,
    ):
        [item] = [
            i for i in (await citizen.get(f"/api/v1/applications/{case_no}")).json()["items"] if i["code"] == ITEM
        ]
        queue = (await clerk.get("/api/v1/staff/queue")).json()["items"]
        [entry] = [e for e in queue if e["case_no"] == case_no]
        red = (await supervisor.get("/api/v1/supervision/items", params={"light": "red"})).json()
        [row] = [r for r in red if r["case_no"] == case_no]
        detail = (await supervisor.get(f"/api/v1/supervision/cases/{case_no}")).json()
    assert (item["due_at"], item["due_on"], item["statutory_due_on"]) == (instant, MONDAY, MONDAY)
    assert (entry["due_at"], entry["due_on"]) == (instant, MONDAY)
    assert (row["due_at"], row["due_on"]) == (instant, MONDAY)
    [supervised] = [i for i in detail["case"]["items"] if i["code"] == ITEM]
    assert supervised["due_on"] == MONDAY


async def test_the_citizen_reads_a_rectifications_last_day(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    """A department's reply to a bad rating is due in 15 working days: from Sunday 15 November, Friday 4 December
    (its instant is 00:00 Saturday 5 December)."""
    case_no = await sunday_case(api, gateway, "citizen-sunday-rating")
    await gateway.put(case_no, status=CaseStatus.COMPLETED, finished_at=SUNDAY)
    due_at = add_working_days(SUNDAY, 15)
    state = RectificationState(
        id=rectification_id(case_no, "cdc"),
        case_no=case_no,
        thing="newborn",
        department="cdc",
        owner="citizen-sunday-rating",
        score=1,
        comment="慢",
        started_at=SUNDAY,
        due_at=due_at,
        seq=1,
    )
    with session_scope(api.engine) as session:
        project_rectification(session, state=state, now=SUNDAY)
    citizen, _ = page_client(api, Role.CITIZEN, "citizen-sunday-rating")
    async with citizen:
        page = await citizen.get(f"/cases/{case_no}")
    assert page.status_code == 200, page.text[:300]
    [card] = re.findall(r'<div class="card rectification".*?</p>', page.text, flags=re.S)
    assert "2026-12-04" in text(card)
    assert "2026-12-05" not in text(card)
